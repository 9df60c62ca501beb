package redisstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// TestWatchAcrossProcesses: a vote through one client is heard by a
// watcher on another, as a page served by one replica hears of a vote
// applied by another; on a single node and on a cluster (sharded pub/sub).
func TestWatchAcrossProcesses(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(*testing.T) env
	}{{"single", singleEnv}, {"cluster", clusterEnv}} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.env(t)
			a := e.store(t)
			b := New(e.client(t), WithPrefix(a.prefix))
			t.Cleanup(func() { b.Close() })
			ctx := t.Context()
			for i := range 5 {
				// Polls in several slots, so several nodes of the cluster.
				p := newPoll("slack:T1", fmt.Sprintf("X%dQ", i), polls.Approval, 2)
				mustCreate(t, a, p)
				ch, err := b.Watch(ctx, p.Tenant, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				mustCast(t, a, p, ballot("u1", "government", 0))
				waitChange(t, ch, "a cast through the other client")
				if _, err := a.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, time.Now()); err != nil {
					t.Fatal(err)
				}
				waitChange(t, ch, "a close through the other client")
			}
		})
	}
}

// TestWatchReconnects: when the subscription's connection is cut, the
// watcher is told (a change may have been missed) and goes on hearing
// changes.
func TestWatchReconnects(t *testing.T) {
	e := singleEnv(t)
	s := e.store(t)
	ctx := t.Context()
	p := newPoll("slack:T1", "RCON", polls.Approval, 2)
	mustCreate(t, s, p)
	ch, err := s.Watch(ctx, p.Tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.client(t)
	defer admin.Close()
	if err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "the subscription restored")
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		mustCast(t, s, p, ballot(fmt.Sprint("u", i), "government", 0))
		select {
		case <-ch:
			return
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no change heard after the connection was restored")
		}
	}
}

// TestReadLogTrimmed: a log past its bound keeps its latest events; a read
// from the start says so, and the timeline starts at the first event kept
// and still ends at the report.
func TestReadLogTrimmed(t *testing.T) {
	e := singleEnv(t)
	s := New(e.client(t), WithPrefix(e.store(t).prefix), WithLogMax(10))
	t.Cleanup(func() { s.Close() })
	p := newPoll("slack:T1", "TRIM", polls.Approval, 3)
	mustCreate(t, s, p)
	groups := []polls.Group{"government", "civil-society", "academia"}
	for i := range 500 {
		mustCast(t, s, p, ballot(fmt.Sprint("u", i%40), groups[i%3], i%3))
	}
	b := polls.NewTimelineBuilder(p, nil)
	n := 0
	tail, err := s.ReadLog(t.Context(), p.Tenant, p.ID, "", func(ev polls.Event) error { n++; return b.Add(ev) })
	if err != nil {
		t.Fatal(err)
	}
	if !tail.Trimmed || n >= 500 || n < 10 {
		t.Fatalf("read %d events, trimmed %v; want fewer than 500, at least 10, trimmed", n, tail.Trimmed)
	}
	tl, err := b.Finish(tail)
	if err != nil {
		t.Fatal(err)
	}
	if tl.From != polls.TimelineFromLog || tl.StartBallots == 0 {
		t.Errorf("timeline from %s with %d ballots; want from the log, with the ballots cast by then", tl.From, tl.StartBallots)
	}
	rep := polls.ComputeReport(p, tail.Tally, nil)
	for _, want := range rep.Themes {
		got, _ := tl.Theme(want.Index)
		if got.Status != want.Status || got.Score != want.Score {
			t.Errorf("%s ends %s %v, report %s %v", want.Theme, got.Status, got.Score, want.Status, want.Score)
		}
	}
}

func waitChange(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: watch ended", what)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: not heard within 5s", what)
	}
}
