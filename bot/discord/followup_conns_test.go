package discord

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// TestFollowUpsKeepConnections: a burst of follow-ups larger than
// net/http's default idle-connection bound (100 over all hosts) leaves
// its connections open for the next burst, which dials none: a busy room
// must not pay a TLS handshake with Discord per follow-up.
func TestFollowUpsKeepConnections(t *testing.T) {
	const n = 150
	var (
		dials   atomic.Int64
		mu      sync.Mutex
		release chan struct{}
		arrived sync.WaitGroup
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		wait := release
		mu.Unlock()
		arrived.Done()
		<-wait // every follow-up of the burst in flight at once
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"1"}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	a, err := New(bot.New(polls.NewService(nil), bot.Config{}), Config{BotToken: "t", AppID: "1", APIURL: srv.URL + "/api/v10/"})
	if err != nil {
		t.Fatal(err)
	}
	burst := func() int64 {
		before := dials.Load()
		mu.Lock()
		release = make(chan struct{})
		mu.Unlock()
		arrived.Add(n)
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				errs <- a.createFollowUp(ctx, &discordgo.Interaction{AppID: "1", Token: "tok"}, &discordgo.WebhookParams{Content: "Your ballot"})
			}()
		}
		arrived.Wait()
		close(release)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("follow-up: %v", err)
			}
		}
		return dials.Load() - before
	}
	if d := burst(); d != n {
		t.Fatalf("the first burst of %d follow-ups dialed %d connections", n, d)
	}
	if d := burst(); d != 0 {
		t.Errorf("the second burst of %d follow-ups dialed %d new connections, want 0 (idle ones kept)", n, d)
	}
}
