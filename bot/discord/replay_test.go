package discord

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

// TestReplayToAnotherReplica: a captured signed interaction (a command, a
// click), replayed byte for byte to another replica of the application
// within the timestamp window, does nothing: no second poll, no reverted
// choice, and its answer shows nobody's ballot.
func TestReplayToAnotherReplica(t *testing.T) {
	t.Parallel()
	srv := redistest.StartServer(t)
	store := func() polls.Store {
		st, err := redisstore.Open(context.Background(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	a := newHarness(t, c, harnessOpts{http: true, store: store()})
	b := newHarness(t, c, harnessOpts{http: true, store: store(), priv: a.priv})

	// A command, captured as sent to replica A.
	in := a.command(alice, "open", str("title", "Replayed"), str("themes", "A; B; C"), str("kind", "single"))
	body, _ := json.Marshal(in)
	s := a.sign(body, time.Now())
	if status, data := a.post(t, body, s); status != http.StatusOK {
		t.Fatalf("open on A: %d %s", status, data)
	}
	page, _ := a.svc.List(context.Background(), "discord:"+testGuild, polls.PollQuery{})
	if len(page.Polls) != 1 {
		t.Fatalf("%d polls after one open", len(page.Polls))
	}
	p := page.Polls[0]
	status, data := b.post(t, body, s)
	if status != http.StatusOK {
		t.Fatalf("replayed open on B: %d %s", status, data)
	}
	page, _ = a.svc.List(context.Background(), "discord:"+testGuild, polls.PollQuery{})
	if len(page.Polls) != 1 || len(b.fake.createdMessages()) != 0 {
		t.Fatalf("a replayed open made %d polls and %d messages", len(page.Polls), len(b.fake.createdMessages()))
	}
	msgID := a.fake.createdMessages()[0].ID

	// A click, replayed after a newer one.
	click := a.click(bob, msgID, "pollbot:vote:"+p.ID+":1")
	cbody, _ := json.Marshal(click)
	cs := a.sign(cbody, time.Now())
	if status, data := a.post(t, cbody, cs); status != http.StatusOK {
		t.Fatalf("click on A: %d %s", status, data)
	}
	a.interact(t, a.click(bob, msgID, "pollbot:vote:"+p.ID+":3"))
	status, data = b.post(t, cbody, cs)
	var resp map[string]any
	_ = json.Unmarshal(data, &resp)
	if status != http.StatusOK || resp["type"] != float64(6) || resp["data"] != nil {
		t.Fatalf("replayed click on B: %d %s; want a bare type 6 acknowledgement", status, data)
	}
	if tl := tally(t, a, p.ID); tl.Points["government"][2] != 1 || tl.Points["government"][0] != 0 {
		t.Errorf("after a replayed older click: %+v; want the newer choice kept", tl.Points)
	}
}
