package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// race runs n calls of fn at once and returns their results.
func race(n int, fn func(i int) (bool, error)) ([]bool, []error) {
	changed, errs := make([]bool, n), make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			changed[i], errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return changed, errs
}

// oneWinner checks that exactly one racer got true and none an error, and
// returns the winner.
func oneWinner(t testing.TB, op string, changed []bool, errs []error) int {
	t.Helper()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	winner, wins := -1, 0
	for i, c := range changed {
		if c {
			winner, wins = i, wins+1
		}
	}
	if wins != 1 {
		t.Fatalf("%s: %d of %d racers got true, want exactly 1", op, wins, len(changed))
	}
	return winner
}

// testCloseRace: of several callers closing (or cancelling) the same poll
// at once, exactly one gets true, its time is the poll's ClosedAt, and the
// poll leaves the deadline index.
func testCloseRace(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	for round := range 10 {
		p := newPoll(tn, fmt.Sprintf("CR%02d", round), polls.Approval, themes(2)...)
		p.ClosesAt = now().Add(time.Hour)
		create(t, s, p)
		to := polls.StatusClosed
		if round%2 == 1 {
			to = polls.StatusCancelled
		}
		base := now()
		at := func(i int) time.Time { return base.Add(time.Duration(i) * time.Millisecond) }
		op := fmt.Sprintf("round %d: 8 racing Close(%s)", round, to)
		changed, errs := race(8, func(i int) (bool, error) { return s.ClosePoll(ctx, tn, p.ID, to, at(i)) })
		w := oneWinner(t, op, changed, errs)
		got := mustStatus(t, s, p.Key(), to)
		if d := timeDiff(got.ClosedAt, at(w)); d != "" {
			t.Fatalf("%s: ClosedAt %s (the winner's time)", op, d)
		}
		due, err := s.DueDeadlines(ctx, p.ClosesAt.Add(time.Hour), 100_000)
		must(t, op+": DueDeadlines", err)
		if slices.Contains(ours(due, tn), p.ID) {
			t.Fatalf("%s: the poll is still in the deadline index", op)
		}
	}
}

// testCancel: cancelling works from open and from closed, and repeating a
// close or cancel changes nothing. Closing a cancelled poll reports false
// and may give ErrCancelled (polls.Service and CloseDue accept both); a
// poll cannot be "closed" to open.
func testCancel(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()

	a := newPoll(tn, "CANA", polls.Approval, themes(2)...)
	create(t, s, a)
	at := now()
	ok, err := s.ClosePoll(ctx, tn, a.ID, polls.StatusCancelled, at)
	mustChanged(t, "Close(open, cancelled)", ok, err, true)
	got := mustStatus(t, s, a.Key(), polls.StatusCancelled)
	if d := timeDiff(got.ClosedAt, at); d != "" {
		t.Fatalf("Close(open, cancelled): ClosedAt %s", d)
	}
	ok, err = s.ClosePoll(ctx, tn, a.ID, polls.StatusCancelled, at.Add(time.Second))
	mustChanged(t, "Close(cancelled, cancelled)", ok, err, false)
	ok, err = s.ClosePoll(ctx, tn, a.ID, polls.StatusClosed, at.Add(time.Second))
	if ok || err != nil && !errors.Is(err, polls.ErrCancelled) {
		t.Fatalf("Close(cancelled, closed) = %v, %v; want false and nil or ErrCancelled", ok, err)
	}
	got = mustStatus(t, s, a.Key(), polls.StatusCancelled)
	if d := timeDiff(got.ClosedAt, at); d != "" {
		t.Fatalf("after repeated closes: ClosedAt %s", d)
	}

	b := newPoll(tn, "CANB", polls.Approval, themes(2)...)
	create(t, s, b)
	at = now()
	ok, err = s.ClosePoll(ctx, tn, b.ID, polls.StatusClosed, at)
	mustChanged(t, "Close(open, closed)", ok, err, true)
	got = mustStatus(t, s, b.Key(), polls.StatusClosed)
	if d := timeDiff(got.ClosedAt, at); d != "" {
		t.Fatalf("Close(open, closed): ClosedAt %s", d)
	}
	ok, err = s.ClosePoll(ctx, tn, b.ID, polls.StatusClosed, at.Add(time.Second))
	mustChanged(t, "Close(closed, closed)", ok, err, false)
	ok, err = s.ClosePoll(ctx, tn, b.ID, polls.StatusCancelled, at.Add(time.Second))
	mustChanged(t, "Close(closed, cancelled)", ok, err, true)
	mustStatus(t, s, b.Key(), polls.StatusCancelled)

	c := newPoll(tn, "CANC", polls.Approval, themes(2)...)
	create(t, s, c)
	if _, err := s.ClosePoll(ctx, tn, c.ID, polls.StatusOpen, now()); err == nil {
		t.Fatal("Close(open, open): no error")
	}
	mustPoll(t, "after Close(open, open)", getPoll(t, s, c.Key()), c)

	_, err = s.ClosePoll(ctx, tn, "ZZZZ", polls.StatusClosed, now())
	mustIs(t, "Close(unknown poll)", err, polls.ErrNotFound)
}

// testReopen: Reopen moves a closed poll back to open with its new
// deadline (clearing ClosedAt), reports false for an open poll (leaving it
// as it was), gives ErrCancelled for a cancelled one, and of racing
// reopeners exactly one gets true.
func testReopen(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	p := newPoll(tn, "REOP", polls.Approval, themes(2)...)
	p.ClosesAt = now().Add(time.Hour)
	create(t, s, p)

	ok, err := s.Reopen(ctx, tn, p.ID, now().Add(5*time.Hour))
	mustChanged(t, "Reopen(open)", ok, err, false)
	mustPoll(t, "after Reopen(open)", getPoll(t, s, p.Key()), p)

	ok, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusClosed, now())
	mustChanged(t, "Close", ok, err, true)
	closes := now().Add(2 * time.Hour)
	ok, err = s.Reopen(ctx, tn, p.ID, closes)
	mustChanged(t, "Reopen(closed)", ok, err, true)
	got := mustStatus(t, s, p.Key(), polls.StatusOpen)
	if d := timeDiff(got.ClosesAt, closes); d != "" {
		t.Fatalf("Reopen(closed): ClosesAt %s", d)
	}
	if !got.ClosedAt.IsZero() {
		t.Fatalf("Reopen(closed): ClosedAt %s, want zero", got.ClosedAt)
	}
	ok, err = s.Reopen(ctx, tn, p.ID, closes)
	mustChanged(t, "Reopen(reopened)", ok, err, false)

	ok, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusClosed, now())
	mustChanged(t, "Close again", ok, err, true)
	changed, errs := race(8, func(int) (bool, error) { return s.Reopen(ctx, tn, p.ID, closes) })
	oneWinner(t, "8 racing Reopen", changed, errs)
	mustStatus(t, s, p.Key(), polls.StatusOpen)

	ok, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusClosed, now())
	mustChanged(t, "Close a third time", ok, err, true)
	ok, err = s.Reopen(ctx, tn, p.ID, time.Time{})
	mustChanged(t, "Reopen(no deadline)", ok, err, true)
	if got := mustStatus(t, s, p.Key(), polls.StatusOpen); !got.ClosesAt.IsZero() {
		t.Fatalf("Reopen(no deadline): ClosesAt %s, want zero", got.ClosesAt)
	}

	ok, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusCancelled, now())
	mustChanged(t, "Cancel", ok, err, true)
	_, err = s.Reopen(ctx, tn, p.ID, closes)
	mustIs(t, "Reopen(cancelled)", err, polls.ErrCancelled)
	mustStatus(t, s, p.Key(), polls.StatusCancelled)

	_, err = s.Reopen(ctx, tn, "ZZZZ", closes)
	mustIs(t, "Reopen(unknown poll)", err, polls.ErrNotFound)
}

// testVotesRejected: a closed poll rejects Cast, Toggle and Retract with
// ErrClosed, a cancelled one with ErrCancelled, and neither changes a
// ballot or the tally; a reopened poll takes votes again.
func testVotesRejected(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	p := newPoll(tn, "SHUT", polls.Approval, themes(3)...)
	create(t, s, p)
	m := newModel(p)
	m.cast(t, s, ballot("v1", gov, 0))
	m.cast(t, s, ballot("v2", civil, 1, 2))

	rejected := func(state string, want error) {
		t.Helper()
		_, err := s.Cast(ctx, tn, p.ID, ballot("v3", gov, 1), "")
		mustIs(t, "Cast(new voter) on "+state+" poll", err, want)
		_, err = s.Cast(ctx, tn, p.ID, ballot("v1", tech, 2), "")
		mustIs(t, "Cast(replacement) on "+state+" poll", err, want)
		_, err = s.Toggle(ctx, tn, p.ID, ballot("v2", civil), flip(1, 0), "")
		mustIs(t, "Toggle on "+state+" poll", err, want)
		_, err = s.Toggle(ctx, tn, p.ID, ballot("v4", civil), flip(1, 0), "")
		mustIs(t, "Toggle(new voter) on "+state+" poll", err, want)
		_, err = retract(ctx, s, tn, p.ID, "v1")
		mustIs(t, "Retract on "+state+" poll", err, want)
		m.check(t, "after votes on "+state+" poll", s)
	}

	ok, err := s.ClosePoll(ctx, tn, p.ID, polls.StatusClosed, now())
	mustChanged(t, "Close", ok, err, true)
	rejected("a closed", polls.ErrClosed)

	ok, err = s.Reopen(ctx, tn, p.ID, time.Time{})
	mustChanged(t, "Reopen", ok, err, true)
	m.cast(t, s, ballot("v3", acad, 2))
	m.check(t, "after a cast on the reopened poll", s)

	ok, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusCancelled, now())
	mustChanged(t, "Cancel", ok, err, true)
	rejected("a cancelled", polls.ErrCancelled)
}

// testOpenCount: a store that counts open polls (polls.OpenCounter) follows
// every change of status, across tenants.
func testOpenCount(t *testing.T, e *env) {
	s, tenant := e.store(t)
	oc, ok := s.(polls.OpenCounter)
	if !ok {
		t.Skip("the store does not count open polls")
	}
	ctx := t.Context()
	count := func() int64 {
		t.Helper()
		n, err := oc.OpenPolls(ctx)
		must(t, "OpenPolls", err)
		return n
	}
	base := count()
	a := newPoll(tenant, "OPNA", polls.Approval, themes(2)...)
	b := newPoll(tenant+"x", "OPNB", polls.Approval, themes(2)...)
	b.ClosesAt = now().Add(time.Hour)
	create(t, s, a)
	create(t, s, b)
	cancelAtEnd(t, s, b.Key())
	if n := count(); n != base+2 {
		t.Fatalf("after opening two polls: %d open, want %d", n, base+2)
	}
	changed, err := s.ClosePoll(ctx, tenant, a.ID, polls.StatusClosed, now())
	mustChanged(t, "close", changed, err, true)
	if n := count(); n != base+1 {
		t.Fatalf("after closing one: %d open, want %d", n, base+1)
	}
	changed, err = s.Reopen(ctx, tenant, a.ID, time.Time{})
	mustChanged(t, "reopen", changed, err, true)
	if n := count(); n != base+2 {
		t.Fatalf("after reopening it: %d open, want %d", n, base+2)
	}
	changed, err = s.ClosePoll(ctx, tenant, a.ID, polls.StatusCancelled, now())
	mustChanged(t, "cancel", changed, err, true)
	changed, err = s.ClosePoll(ctx, b.Tenant, b.ID, polls.StatusClosed, now())
	mustChanged(t, "close the other", changed, err, true)
	if n := count(); n != base {
		t.Fatalf("after cancelling and closing: %d open, want %d", n, base)
	}
}
