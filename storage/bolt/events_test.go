package boltstore

import (
	"fmt"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// TestReadLogTrimmed: past its bound the log keeps its latest events; a
// read from the start says it was trimmed, and the timeline starts at the
// first event kept and still ends at the report.
func TestReadLogTrimmed(t *testing.T) {
	s := openTemp(t, WithLogMax(300))
	ctx := t.Context()
	p := testPoll("local", "TRIM")
	if err := s.CreatePoll(ctx, p); err != nil {
		t.Fatal(err)
	}
	groups := []polls.Group{"government", "civil-society", "academia"}
	for i := range 1000 {
		b := polls.NewBallot(p, fmt.Sprint("u", i%40), groups[i%3], []int{i % len(p.Themes)}, time.Now())
		if _, err := s.Cast(ctx, p.Tenant, p.ID, b, ""); err != nil {
			t.Fatal(err)
		}
	}
	b := polls.NewTimelineBuilder(p, nil)
	var first string
	n := 0
	tail, err := s.ReadLog(ctx, p.Tenant, p.ID, "", func(ev polls.Event) error {
		if n == 0 {
			first = ev.Pos
		}
		n++
		return b.Add(ev)
	})
	if err != nil {
		t.Fatal(err)
	}
	if !tail.Trimmed || n < 300 || n >= 1000 || first == "1" {
		t.Fatalf("read %d events from %s, trimmed %v; want 300 to 999 of the latest, trimmed", n, first, tail.Trimmed)
	}
	tl, err := b.Finish(tail)
	if err != nil {
		t.Fatal(err)
	}
	if tl.From != polls.TimelineFromLog || tl.StartBallots == 0 {
		t.Errorf("timeline from %s with %d ballots at its start", tl.From, tl.StartBallots)
	}
	rep := polls.ComputeReport(p, tail.Tally, nil)
	for _, want := range rep.Themes {
		got, _ := tl.Theme(want.Index)
		if got.Status != want.Status || got.Score != want.Score {
			t.Errorf("%s ends %s %v, report %s %v", want.Theme, got.Status, got.Score, want.Status, want.Score)
		}
	}
	if _, err := s.ReadLog(ctx, p.Tenant, p.ID, "not-a-position", func(polls.Event) error { return nil }); err == nil {
		t.Error("ReadLog after a position that is not one: no error")
	}
}

// TestWatchOnlyCommitted: a refused vote, whose transaction rolls back,
// tells no watcher.
func TestWatchOnlyCommitted(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	p := testPoll("local", "ROLL")
	if err := s.CreatePoll(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, time.Now()); err != nil {
		t.Fatal(err)
	}
	ch, err := s.Watch(ctx, p.Tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	b := polls.NewBallot(p, "u1", "government", []int{0}, time.Now())
	if _, err := s.Cast(ctx, p.Tenant, p.ID, b, ""); err == nil {
		t.Fatal("a vote on a closed poll was accepted")
	}
	if _, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, time.Now()); err != nil {
		t.Fatal(err) // closing a closed poll changes nothing
	}
	select {
	case <-ch:
		t.Error("a watcher heard of a change that was not made")
	case <-time.After(100 * time.Millisecond):
	}
}
