package redisstore

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	"github.com/redis/go-redis/v9"
)

// commandCounter is a go-redis hook that counts the commands a client
// sends (a pipeline's each), and with names set, keeps their names in
// last.
type commandCounter struct {
	n     atomic.Int64
	names bool
	last  atomic.Value // []string
}

func (c *commandCounter) DialHook(next redis.DialHook) redis.DialHook { return next }

func (c *commandCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		c.n.Add(1)
		c.note(cmd)
		return next(ctx, cmd)
	}
}

func (c *commandCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.n.Add(int64(len(cmds)))
		for _, cmd := range cmds {
			c.note(cmd)
		}
		return next(ctx, cmds)
	}
}

func (c *commandCounter) note(cmd redis.Cmder) {
	if !c.names {
		return
	}
	names, _ := c.last.Load().([]string)
	c.last.Store(append(slices.Clone(names), cmd.Name()))
}

// countedStore returns a store with a fresh prefix whose client counts its
// commands.
func countedStore(t *testing.T, e env) (*Store, *commandCounter) {
	t.Helper()
	client := e.client(t)
	cc := &commandCounter{names: true}
	client.AddHook(cc)
	s := New(client, WithPrefix(fmt.Sprintf("t%d:pollbot:", prefixes.Add(1))))
	t.Cleanup(func() { s.Close() })
	return s, cc
}

// TestClickRoundTrips: on a single node a click by a voter whose group has
// not changed is one command, the vote script, which checks the group; a
// change made through another replica costs the next click one more
// attempt, and still lands the ballot in the new group. On a Cluster the
// membership is read first, as before: two commands.
func TestClickRoundTrips(t *testing.T) {
	for _, c := range []struct {
		name string
		env  func(*testing.T) env
		want int64
	}{
		{"single", singleEnv, 1},
		{"cluster", clusterEnv, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := c.env(t)
			s, cc := countedStore(t, e)
			if got := s.ChecksMembership(); got != (c.name == "single") {
				t.Fatalf("ChecksMembership = %v on %s", got, c.name)
			}
			other := New(e.client(t), WithPrefix(s.prefix))
			t.Cleanup(func() { other.Close() })
			ctx := t.Context()
			a, b := polls.NewService(s), polls.NewService(other)
			p, err := a.Open(ctx, polls.OpenRequest{Tenant: "slack:T1", Title: "Round trips", Themes: []string{"A", "B", "C"}, Creator: "U-FAC"})
			if err != nil {
				t.Fatal(err)
			}
			v := polls.Voter{Tenant: "slack:T1", User: "U1"}
			if _, _, err := b.SetGroup(ctx, v, "government"); err != nil {
				t.Fatal(err)
			}
			click := func(theme int, group polls.Group, want ...int) int64 {
				t.Helper()
				n0 := cc.n.Load()
				cc.last.Store([]string(nil))
				r, err := a.Click(ctx, v, p.ID, theme)
				if err != nil {
					t.Fatal(err)
				}
				if r.Ballot.Group != group || !slices.Equal(r.Ballot.Choices, want) {
					t.Fatalf("Click(%d): %s %v, want %s %v", theme, r.Ballot.Group, r.Ballot.Choices, group, want)
				}
				n := cc.n.Load() - n0
				names, _ := cc.last.Load().([]string)
				t.Logf("Click(%d): %d commands %v", theme, n, names)
				return n
			}
			// The first click reads the poll and the membership; either may
			// load a script into the server (EVALSHA, then EVAL).
			click(0, "government", 0)
			click(1, "government", 0, 1)
			click(1, "government", 0)
			click(1, "government", 0, 1)
			if n := click(2, "government", 0, 1, 2); n != c.want {
				t.Errorf("a steady click sent %d commands, want %d", n, c.want)
			}
			if _, _, err := b.Assign(ctx, "slack:T1", "U1", "academia"); err != nil {
				t.Fatal(err)
			}
			n := click(2, "academia", 0, 1)
			if c.name == "single" && n != 2 {
				t.Errorf("the click after a change elsewhere sent %d commands, want 2 (refused, retried)", n)
			}
			if n := click(2, "academia", 0, 1, 2); n != c.want {
				t.Errorf("a steady click after the change sent %d commands, want %d", n, c.want)
			}
		})
	}
}

// TestCheckedVoteAfterStall: a checked vote written to a server that then
// stalls (SIGSTOP) past the caller's deadline does not apply when the
// server wakes: the voter was told to try again, and a vote applied
// behind that answer would be undone by their next click. A read before
// the vote used to take the stall; the script now refuses by its own
// deadline argument.
func TestCheckedVoteAfterStall(t *testing.T) {
	srv := redistest.StartServer(t)
	s, err := Open(t.Context(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	p := newPoll("slack:T1", "STAL", polls.Approval, 3)
	mustCreate(t, s, p)
	m := polls.Membership{Group: "academia", Source: polls.SourceDeclared}
	if err := s.SetMembership(ctx, "slack:T1", "U1", m); err != nil {
		t.Fatal(err)
	}
	check := polls.MembershipCheck{User: "U1", Want: m}
	b := ballot("U1", "academia")
	// Loaded, so that the stalled call is one EVALSHA.
	if _, err := s.ToggleIfMember(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: 0, Points: 1}, "", check); err != nil {
		t.Fatal(err)
	}

	if err := srv.Pause(); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	_, err = s.ToggleIfMember(short, p.Tenant, p.ID, b, polls.Flip{Choice: 1, Points: 1}, "stalled", check)
	cancel()
	time.Sleep(500 * time.Millisecond) // the server is stopped: past the deadline by any clock
	if rerr := srv.Resume(); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil {
		t.Fatal("a vote to a stopped server succeeded")
	}
	// The stalled script has run by the time a later command is answered
	// on any connection: the server runs commands one at a time, in the
	// order it reads them, and read the stalled one first.
	got, err := s.Ballot(ctx, p.Tenant, p.ID, "U1")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Choices, []int{0}) {
		t.Fatalf("ballot after the stall: %v, want [0]: the stalled vote applied", got.Choices)
	}
	// Its delivery was not recorded: sent again, it applies.
	r, err := s.ToggleIfMember(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: 1, Points: 1}, "stalled", check)
	if err != nil || r.Repeated || r.Ballot == nil || !slices.Equal(r.Ballot.Choices, []int{0, 1}) {
		t.Fatalf("the stalled delivery sent again: %+v, %v", r, err)
	}
}
