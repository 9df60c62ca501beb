package slack_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/polls"
)

// hangingStore is a store that, once told to, hangs on every group lookup
// until the caller gives up, as a partitioned Redis does while go-redis
// waits out its dial timeout.
type hangingStore struct {
	polls.Store
	hang atomic.Bool
}

func (s *hangingStore) Membership(ctx context.Context, tenant, user string) (polls.Membership, error) {
	if s.hang.Load() {
		<-ctx.Done()
		return polls.Membership{}, ctx.Err()
	}
	return s.Store.Membership(ctx, tenant, user)
}

// TestClickAnsweredWhileStoreHangs: Slack shows the clicker an error when
// no acknowledgement comes within 3 s. A store that hangs must not keep
// the click from being acknowledged in time, and the clicker is told to
// try again, in both connection modes.
func TestClickAnsweredWhileStoreHangs(t *testing.T) {
	for _, socket := range []bool{false, true} {
		name := map[bool]string{false: "http", true: "socket"}[socket]
		t.Run(name, func(t *testing.T) {
			st := &hangingStore{Store: boltStore(t)}
			e := newEnv(t, socket, st)
			p := e.open(`open "Hangs" "DNSSEC" "Privacy"`)
			e.command("UCIV", "group civil-society")
			st.hang.Store(true)
			start := time.Now()
			e.click("UCIV", bot.VoteAction(p.ID, 0))
			if d := time.Since(start); d > kit.AnswerWithin+400*time.Millisecond {
				t.Errorf("click acknowledged after %v; Slack gives up after 3s", d)
			}
			e.waitEphemeral("took too long to answer")
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("the try-again answer came after %v", d)
			}
			st.hang.Store(false)
			e.click("UCIV", bot.VoteAction(p.ID, 0))
			waitFor(t, "the vote once the store answers", func() bool { return e.votes(p.ID)[0] == 1 })
		})
	}
}
