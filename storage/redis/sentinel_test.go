package redisstore

import (
	"errors"
	"maps"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
)

// TestSentinelFailover: a store opened on a Sentinel URL follows a failover
// to the replica, with the ballots cast before it and those cast after.
func TestSentinelFailover(t *testing.T) {
	sen := redistest.StartSentinel(t, 1, redistest.WithReplicas(1))
	ctx := t.Context()
	s, err := Open(ctx, sen.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

	p := newPoll("local", "FAIL", polls.Approval, 3)
	mustCreate(t, s, p)
	want := polls.NewTally()
	cast := func(b polls.Ballot) {
		t.Helper()
		if prev := mustCast(t, s, p, b); prev != nil {
			want.Add(p, *prev, -1)
		}
		want.Add(p, b, 1)
	}
	cast(ballot("a", "academia", 0, 1))
	cast(ballot("b", "government", 2))
	cast(ballot("c", "government", 0, 2))

	// Failover waits for the replica to catch up, so no ballot is lost.
	promoted, err := sen.Failover()
	if err != nil {
		t.Fatal(err)
	}
	if promoted.Addr == sen.Master.Addr {
		t.Fatalf("the master %s is still the master", promoted.Addr)
	}

	// Failover returns once the sentinel has announced the switch
	// (+switch-master); the client acts on that message in its own
	// goroutine. Until it has, it may still write to the old master, which
	// Sentinel demotes only seconds later, discarding such writes (Sentinel
	// replicates asynchronously); so wait for the client to follow.
	_, promotedPort, _ := net.SplitHostPort(promoted.Addr)
	deadline := time.Now().Add(10 * time.Second)
	for {
		port, err := s.rdb.ConfigGet(ctx, "port").Result()
		if err == nil && port["port"] == promotedPort {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client still talks to port %v (%v), not to the new master %s", port, err, promoted.Addr)
		}
		time.Sleep(10 * time.Millisecond)
	}

	cast(ballot("d", "academia", 2))
	cast(ballot("a", "civil-society", 1)) // replaces a ballot cast before the failover
	if r, err := s.Retract(ctx, p.Tenant, p.ID, "b", time.Now(), ""); err != nil || r.Prev == nil {
		t.Fatalf("Retract(b) = %+v, %v", r, err)
	}
	want.Add(p, ballot("b", "government", 2), -1)

	// The tally is exact through the store, and on the new master itself.
	direct := New(env{url: promoted.URL}.client(t))
	t.Cleanup(func() { direct.Close() })
	for name, st := range map[string]*Store{"store on the Sentinel URL": s, "store on the new master": direct} {
		got, err := st.Tally(ctx, p.Tenant, p.ID)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !maps.Equal(got.Ballots, want.Ballots) || !maps.EqualFunc(got.Points, want.Points, slices.Equal) {
			t.Errorf("%s: tally = %+v, want %+v", name, got, want)
		}
		checkTally(t, st, p)
	}
	if _, err := direct.Ballot(ctx, p.Tenant, p.ID, "b"); !errors.Is(err, polls.ErrNoBallot) {
		t.Errorf("retracted ballot on the new master: %v, want ErrNoBallot", err)
	}
}
