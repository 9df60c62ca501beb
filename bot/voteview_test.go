package bot_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

// countingStore counts the store calls the vote path may save.
type countingStore struct {
	polls.Store
	tallies, memberships atomic.Int64
}

func (s *countingStore) Tally(ctx context.Context, tenant, id string) (polls.Tally, error) {
	s.tallies.Add(1)
	return s.Store.Tally(ctx, tenant, id)
}

func (s *countingStore) Tallies(ctx context.Context, tenant string, ids []string) ([]polls.Tally, error) {
	s.tallies.Add(1)
	return s.Store.Tallies(ctx, tenant, ids)
}

func (s *countingStore) Membership(ctx context.Context, tenant, user string) (polls.Membership, error) {
	s.memberships.Add(1)
	return s.Store.Membership(ctx, tenant, user)
}

// storesUnderTest runs fn on the embedded store and on a real
// redis-server.
func storesUnderTest(t *testing.T, fn func(t *testing.T, st polls.Store)) {
	t.Run("bolt", func(t *testing.T) {
		st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.StartServer(t)
		st, err := redisstore.Open(context.Background(), srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		fn(t, st)
	})
}

// TestVoteViewNeedsNoTallyRead: answering a click with the poll's message
// (Discord's type-7 update) renders the tally the vote returned, read in
// the vote's own atomic step: the click reads no tally, and the view is
// the one a fresh read gives. Withdrawing likewise. A response that carries
// no vote's tally still gets its view, from a read.
func TestVoteViewNeedsNoTallyRead(t *testing.T) {
	storesUnderTest(t, func(t *testing.T, st polls.Store) {
		cs := &countingStore{Store: st}
		cfg := bot.Config{}
		e := bot.New(polls.NewService(cs, polls.WithGroups(cfg.GroupList())), cfg)
		ctx := polls.WithVoteTally(context.Background())
		req := bot.Request{Platform: "discord", Tenant: "discord:G1", User: "U1"}
		if r := e.Handle(ctx, req, bot.Group{Group: "academia"}); r.Err != nil {
			t.Fatal(text(r))
		}
		r := e.Handle(ctx, req, bot.Open{Title: "T", Themes: []string{"A", "B", "C"}})
		if r.Err != nil {
			t.Fatal(text(r))
		}
		k := r.Replies[0].Poll.Key

		check := func(op string, resp bot.Response, wantBallots int64) {
			t.Helper()
			if resp.Err != nil {
				t.Fatalf("%s: %s", op, text(resp))
			}
			before := cs.tallies.Load()
			v, err := e.VoteView(ctx, resp)
			if err != nil {
				t.Fatalf("%s: VoteView: %v", op, err)
			}
			if n := cs.tallies.Load() - before; n != 0 {
				t.Errorf("%s: VoteView read the tally %d times, want 0", op, n)
			}
			fresh, err := e.PollView(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			if v.Ballots != wantBallots || fresh.Ballots != wantBallots {
				t.Errorf("%s: view shows %d ballots, a fresh read %d, want %d", op, v.Ballots, fresh.Ballots, wantBallots)
			}
			for i := range v.Themes {
				if v.Themes[i].Count != fresh.Themes[i].Count {
					t.Errorf("%s: theme %d count %v, a fresh read %v", op, i+1, v.Themes[i].Count, fresh.Themes[i].Count)
				}
			}
		}
		before := cs.tallies.Load()
		resp := e.Act(ctx, req, bot.Action{Kind: bot.ActVote, Poll: k.ID, Theme: 1})
		if n := cs.tallies.Load() - before; n != 0 {
			t.Errorf("a click read the tally %d times, want 0", n)
		}
		check("click", resp, 1)
		check("second click", e.Act(ctx, req, bot.Action{Kind: bot.ActVote, Poll: k.ID, Theme: 2}), 1)
		check("unvote", e.Handle(ctx, req, bot.Unvote{Poll: k.ID}), 0)

		// Without the vote's tally (a response built elsewhere), the view
		// reads it.
		before = cs.tallies.Load()
		if _, err := e.VoteView(ctx, bot.Response{Updated: []polls.Key{k}}); err != nil {
			t.Fatal(err)
		}
		if n := cs.tallies.Load() - before; n != 1 {
			t.Errorf("VoteView without a vote's tally read the tally %d times, want 1", n)
		}

		// A vote made without asking for the tally (Slack's, confirmed by
		// a private message alone) still gets a correct view, from a read.
		plain := context.Background()
		resp = e.Act(plain, req, bot.Action{Kind: bot.ActVote, Poll: k.ID, Theme: 2})
		if resp.Err != nil || len(resp.Updated) == 0 {
			t.Fatalf("a vote without asking for its tally: %s", text(resp))
		}
		v, err := e.VoteView(plain, resp)
		if err != nil {
			t.Fatal(err)
		}
		if v.Ballots != 1 || v.Themes[2].Count == 0 {
			t.Errorf("view after a vote without its tally: %d ballots, theme 3 count %v", v.Ballots, v.Themes[2].Count)
		}
	})
}
