package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

// TestRetryToAnotherReplica: Slack redelivers a click it thinks was lost,
// and behind a load balancer the retry reaches another replica. Toggling
// is not idempotent, so applying it again would undo the vote; the
// replicas share what they handled through Redis.
func TestRetryToAnotherReplica(t *testing.T) {
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
	a.command("UFAC", `open "Theme for 2027" "DNSSEC" "Privacy"`)
	page, err := a.svc.List(ctx, tenant, polls.PollQuery{Status: polls.StatusOpen})
	ps := page.Polls
	if err != nil || len(ps) != 1 {
		t.Fatalf("polls: %v %v", ps, err)
	}
	id := ps[0].ID
	a.command("UCIV", "group civil-society")

	payload := a.clickPayload("UCIV", bot.VoteAction(id, 0), false)
	a.interact(payload)
	waitFor(t, "the vote", func() bool { return slices.Equal(a.votes(id), []float64{1, 0}) })

	// Replica A's toggle remembered the click (its op) in the poll's
	// slot, in the same script; B's toggle of the retry finds it there.
	data, _ := json.Marshal(payload)
	for i := 1; i <= 2; i++ {
		code, body := b.post("/slack/interactions", url.Values{"payload": {string(data)}}, func(r *http.Request) {
			r.Header.Set("X-Slack-Retry-Num", fmt.Sprint(i))
			r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
		})
		if code != http.StatusOK {
			t.Fatalf("retry %d on replica B: HTTP %d %s", i, code, body)
		}
	}
	// A fresh click on B still counts: only the redelivery is dropped.
	b.click("UCIV", bot.VoteAction(id, 1))
	waitFor(t, "the second theme", func() bool { return slices.Equal(b.votes(id), []float64{1, 1}) })
	if got := a.votes(id); !slices.Equal(got, []float64{1, 1}) {
		t.Errorf("votes = %v, want [1 1]: the retried click was applied again", got)
	}
}
