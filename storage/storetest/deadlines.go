package storetest

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// testPastDeadline: once its deadline has passed by the store's clock, an
// open poll rejects Cast, Toggle and Retract with ErrPastDeadline and
// stores nothing (a ballot cast before the deadline stays as it was), and
// DueDeadlines returns it, earliest first; a poll due later is not.
//
// The stores' clocks are real here (the Redis one is the server's), so the
// deadlines are a minute and a second in the past.
func testPastDeadline(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()

	past := newPoll(tn, "PAST", polls.Approval, themes(3)...)
	past.OpenedAt = now().Add(-time.Hour)
	past.ClosesAt = now().Add(-time.Minute)
	create(t, s, past)
	_, err := s.Cast(ctx, tn, past.ID, ballot("v1", gov, 0), "")
	mustIs(t, "Cast after the deadline", err, polls.ErrPastDeadline)
	_, err = s.Toggle(ctx, tn, past.ID, ballot("v1", gov), flip(1, 0), "")
	mustIs(t, "Toggle after the deadline", err, polls.ErrPastDeadline)
	newModel(past).check(t, "after votes past the deadline", s)

	late := newPoll(tn, "LATE", polls.Approval, themes(3)...)
	late.ClosesAt = now().Add(time.Hour)
	create(t, s, late)
	m := newModel(late)
	m.cast(t, s, ballot("v1", gov, 0, 1))
	must(t, "SetDeadline(a second ago)", s.SetDeadline(ctx, tn, late.ID, now().Add(-time.Second)))
	_, err = s.Cast(ctx, tn, late.ID, ballot("v1", civil, 2), "")
	mustIs(t, "Cast(replacement) after the deadline", err, polls.ErrPastDeadline)
	_, err = s.Toggle(ctx, tn, late.ID, ballot("v1", gov), flip(0, 0), "")
	mustIs(t, "Toggle after the deadline", err, polls.ErrPastDeadline)
	_, err = retract(ctx, s, tn, late.ID, "v1")
	mustIs(t, "Retract after the deadline", err, polls.ErrPastDeadline)
	m.check(t, "after votes past the deadline", s)

	future := newPoll(tn, "FUTR", polls.Approval, themes(3)...)
	future.ClosesAt = now().Add(time.Hour)
	create(t, s, future)

	due, err := s.DueDeadlines(ctx, now(), 100_000)
	must(t, "DueDeadlines(now)", err)
	if got, want := ours(due, tn), []string{"PAST", "LATE"}; !slices.Equal(got, want) {
		t.Fatalf("DueDeadlines(now): this test's polls %v, want %v", got, want)
	}
}

// testDeadlineIndex: DueDeadlines returns the open polls due at or before
// a time, earliest first, at most limit of them; SetDeadline and Reopen
// move a poll in the index and Close removes it.
//
// The deadlines lie in a random stretch of 2001, so that no other test's
// polls fall between them; other tenants' entries may still come first
// (a shared, long-lived server), so the checks look at this tenant's only.
func testDeadlineIndex(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).
		Add(time.Duration(rand.Int64N(360*24*3600*1000)) * time.Millisecond)
	mk := func(id string, closes time.Duration) *polls.Poll {
		p := newPoll(tn, id, polls.Approval, themes(2)...)
		p.OpenedAt = era.Add(-time.Hour)
		if closes != 0 {
			p.ClosesAt = era.Add(closes)
		}
		create(t, s, p)
		return p
	}
	a := mk("AAAA", 3*time.Second)
	b := mk("BBBB", time.Second)
	mk("CCCC", 2*time.Second)
	mk("DDDD", 10*time.Minute)
	mk("EEEE", 0)
	f := mk("FFFF", 500*time.Millisecond)
	ok, err := s.ClosePoll(ctx, tn, f.ID, polls.StatusClosed, era)
	mustChanged(t, "Close(FFFF)", ok, err, true)

	due := func(before time.Duration, limit int) ([]string, []polls.Key) {
		t.Helper()
		keys, err := s.DueDeadlines(ctx, era.Add(before), limit)
		must(t, "DueDeadlines", err)
		if len(keys) > limit {
			t.Fatalf("DueDeadlines(limit %d): %d keys", limit, len(keys))
		}
		return ours(keys, tn), keys
	}
	expect := func(op string, before time.Duration, want ...string) {
		t.Helper()
		if got, _ := due(before, 100_000); !slices.Equal(got, want) {
			t.Fatalf("%s: DueDeadlines(era+%s) = %v, want %v", op, before, got, want)
		}
	}
	expect("initially", 5*time.Second, "BBBB", "CCCC", "AAAA")
	expect("at a deadline", time.Second, "BBBB")
	expect("just before a deadline", 999*time.Millisecond)

	full, fullKeys := due(5*time.Second, 100_000)
	limited, limitedKeys := due(5*time.Second, 2)
	if len(limitedKeys) != 2 || !slices.Equal(limited, full[:len(limited)]) {
		t.Fatalf("DueDeadlines(limit 2) = %v, want the first 2 of %v", limitedKeys, fullKeys)
	}
	if len(full) == len(fullKeys) && !slices.Equal(limited, []string{"BBBB", "CCCC"}) {
		t.Fatalf("DueDeadlines(limit 2) = %v, want [BBBB CCCC]", limited)
	}

	must(t, "SetDeadline(AAAA earlier)", s.SetDeadline(ctx, tn, a.ID, era.Add(500*time.Millisecond)))
	if got := getPoll(t, s, a.Key()); timeDiff(got.ClosesAt, era.Add(500*time.Millisecond)) != "" {
		t.Fatalf("SetDeadline(AAAA): ClosesAt %s", timeDiff(got.ClosesAt, era.Add(500*time.Millisecond)))
	}
	expect("after AAAA moved earlier", 5*time.Second, "AAAA", "BBBB", "CCCC")
	must(t, "SetDeadline(DDDD earlier)", s.SetDeadline(ctx, tn, "DDDD", era.Add(4*time.Second)))
	expect("after DDDD moved earlier", 5*time.Second, "AAAA", "BBBB", "CCCC", "DDDD")
	must(t, "SetDeadline(CCCC none)", s.SetDeadline(ctx, tn, "CCCC", time.Time{}))
	if got := getPoll(t, s, polls.Key{Tenant: tn, ID: "CCCC"}); !got.ClosesAt.IsZero() {
		t.Fatalf("SetDeadline(CCCC none): ClosesAt %s, want zero", got.ClosesAt)
	}
	expect("after CCCC lost its deadline", 5*time.Second, "AAAA", "BBBB", "DDDD")
	must(t, "SetDeadline(EEEE)", s.SetDeadline(ctx, tn, "EEEE", era.Add(4500*time.Millisecond)))
	expect("after EEEE got a deadline", 5*time.Second, "AAAA", "BBBB", "DDDD", "EEEE")

	mustIs(t, "SetDeadline(closed poll)", s.SetDeadline(ctx, tn, f.ID, era), polls.ErrNotOpen)
	mustIs(t, "SetDeadline(unknown poll)", s.SetDeadline(ctx, tn, "ZZZZ", era), polls.ErrNotFound)

	ok, err = s.ClosePoll(ctx, tn, b.ID, polls.StatusClosed, era)
	mustChanged(t, "Close(BBBB)", ok, err, true)
	expect("after BBBB closed", 5*time.Second, "AAAA", "DDDD", "EEEE")
	ok, err = s.ClosePoll(ctx, tn, "EEEE", polls.StatusCancelled, era)
	mustChanged(t, "Cancel(EEEE)", ok, err, true)
	expect("after EEEE cancelled", 5*time.Second, "AAAA", "DDDD")

	ok, err = s.ClosePoll(ctx, tn, a.ID, polls.StatusClosed, era)
	mustChanged(t, "Close(AAAA)", ok, err, true)
	expect("after AAAA closed", 5*time.Second, "DDDD")
	ok, err = s.Reopen(ctx, tn, a.ID, era.Add(4500*time.Millisecond))
	mustChanged(t, "Reopen(AAAA)", ok, err, true)
	expect("after AAAA reopened", 5*time.Second, "DDDD", "AAAA")
	ok, err = s.ClosePoll(ctx, tn, "DDDD", polls.StatusClosed, era)
	mustChanged(t, "Close(DDDD)", ok, err, true)
	ok, err = s.Reopen(ctx, tn, "DDDD", time.Time{})
	mustChanged(t, "Reopen(DDDD, no deadline)", ok, err, true)
	expect("after DDDD reopened without a deadline", 5*time.Second, "AAAA")
}
