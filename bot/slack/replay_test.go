package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

// captured is a signed request as it went over the wire, to be sent again
// byte for byte: what an attacker who captured it (a proxy log, a
// misdirected request) could replay within its signature's window.
type captured struct {
	path string
	body string
	head http.Header
}

func capture(path string, form url.Values) captured {
	body := form.Encode()
	h := http.Header{}
	h.Set("Content-Type", "application/x-www-form-urlencoded")
	sign(h, body, time.Now(), secret)
	return captured{path: path, body: body, head: h}
}

func (c captured) to(t *testing.T, e *env) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.head.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func commandForm(p map[string]string) url.Values {
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	return form
}

func interactionForm(payload map[string]any) url.Values {
	data, _ := json.Marshal(payload)
	return url.Values{"payload": {string(data)}}
}

// TestReplayToAnotherReplica: a captured signed slash command, click or
// modal submission, replayed to another replica within the signature
// window, does nothing and says nothing: no second poll, no reverted
// choice, no ballot shown in the acknowledgement.
func TestReplayToAnotherReplica(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	open := func() polls.Store {
		st, err := redisstore.Open(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := newEnv(t, false, open()), newEnv(t, false, open())

	// A command: open.
	openCmd := capture("/slack/commands", commandForm(a.commandPayload("UFAC", `open "Replayed" "A" "B" "C" --kind single`)))
	if code, body := openCmd.to(t, a); code != http.StatusOK {
		t.Fatalf("open: HTTP %d %s", code, body)
	}
	waitFor(t, "the poll", func() bool {
		page, _ := a.svc.List(ctx, tenant, polls.PollQuery{})
		return len(page.Polls) == 1
	})
	if code, body := openCmd.to(t, b); code != http.StatusOK || body != "" {
		t.Fatalf("replayed open on replica B: HTTP %d %q; want an empty acknowledgement", code, body)
	}
	page, _ := a.svc.List(ctx, tenant, polls.PollQuery{})
	if len(page.Polls) != 1 {
		t.Fatalf("a replayed open made %d polls", len(page.Polls))
	}
	id := page.Polls[0].ID
	a.command("UCIV", "group civil-society")

	// A text vote, replayed after a newer one: the newer one stays, and
	// the replay's acknowledgement shows nobody's ballot.
	voteCmd := capture("/slack/commands", commandForm(a.commandPayload("UCIV", "vote "+id+" 1")))
	voteCmd.to(t, a)
	a.command("UCIV", "vote "+id+" 2")
	waitFor(t, "the newer vote", func() bool { return slices.Equal(a.votes(id), []float64{0, 1, 0}) })
	if _, body := voteCmd.to(t, b); strings.Contains(body, "ballot") || strings.Contains(body, "Counted") {
		t.Errorf("the replayed vote's acknowledgement shows a ballot: %q", body)
	}

	// A click on the single-choice poll, replayed after a newer click.
	click := capture("/slack/interactions", interactionForm(a.clickPayload("UCIV", bot.VoteAction(id, 2), false)))
	click.to(t, a)
	a.click("UCIV", bot.VoteAction(id, 0))
	waitFor(t, "the newer click", func() bool { return slices.Equal(a.votes(id), []float64{1, 0, 0}) })
	if code, _ := click.to(t, b); code != http.StatusOK {
		t.Fatalf("replayed click: HTTP %d", code)
	}

	// A modal submission (a ranking poll), replayed after a newer one.
	a.command("UFAC", `open "Ranked" "A" "B" "C" --kind ranked`)
	var rp *polls.Poll
	waitFor(t, "the ranked poll", func() bool {
		page, _ := a.svc.List(ctx, tenant, polls.PollQuery{})
		for _, p := range page.Polls {
			if p.Kind == polls.Ranked {
				rp = p
			}
		}
		return rp != nil
	})
	submission := func(order ...string) captured {
		values := map[string]any{}
		for i, n := range order {
			values[fmt.Sprintf("rank%d", i+1)] = map[string]any{"theme": map[string]any{
				"type": "static_select", "selected_option": map[string]any{"value": n, "text": map[string]any{"type": "plain_text", "text": n}}}}
		}
		return capture("/slack/interactions", interactionForm(map[string]any{
			"type": "view_submission", "team": map[string]any{"id": team}, "user": map[string]any{"id": "UCIV"},
			"trigger_id": fmt.Sprintf("trig-view-%d", a.next()),
			"view": map[string]any{"id": "V1", "hash": fmt.Sprint(a.next()), "type": "modal", "callback_id": "pollbot:rankform:" + rp.ID,
				"private_metadata": "C1", "state": map[string]any{"values": values}},
		}))
	}
	first := submission("1", "2")
	first.to(t, a)
	submission("3", "2").to(t, a)
	waitFor(t, "the newer ranking", func() bool { return slices.Equal(a.votes(rp.ID), []float64{0, 0.5, 1}) })
	first.to(t, b)

	// Give replica B time to have acted, had it acted; then nothing
	// changed.
	time.Sleep(300 * time.Millisecond)
	if got := a.votes(id); !slices.Equal(got, []float64{1, 0, 0}) {
		t.Errorf("single-choice poll after replays: %v, want [1 0 0]", got)
	}
	if got := a.votes(rp.ID); !slices.Equal(got, []float64{0, 0.5, 1}) {
		t.Errorf("ranked poll after a replayed submission: %v, want [0 0.5 1]", got)
	}
	if n := len(b.fake.Calls("chat.postMessage")); n != 0 {
		t.Errorf("replica B posted %d messages for replays", n)
	}
}
