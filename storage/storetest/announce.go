package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// The owed announcement of a poll closed at its deadline (CloseAtDeadline,
// ClaimAnnouncement, AnnouncementDone). The times lie in a random stretch
// of 1995, away from the other tests' deadlines; the checks of the
// deadline index look at the subtest's own tenant only.

// announceEra returns a random instant of 1995 at millisecond precision.
func announceEra() time.Time {
	return time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC).
		Add(time.Duration(rand.Int64N(360*24*3600*1000)) * time.Millisecond)
}

// dueAt returns this tenant's polls in the deadline index at or before t.
func dueAt(t *testing.T, s polls.Store, tn string, at time.Time) []string {
	t.Helper()
	keys, err := s.DueDeadlines(context.Background(), at, 100_000)
	must(t, "DueDeadlines", err)
	return ours(keys, tn)
}

// mustDue checks which of this tenant's polls are due at t.
func mustDue(t *testing.T, op string, s polls.Store, tn string, at time.Time, want ...string) {
	t.Helper()
	if got := dueAt(t, s, tn, at); !slices.Equal(got, want) {
		t.Fatalf("%s: DueDeadlines(%s) = %v, want %v", op, at.Format(time.RFC3339Nano), got, want)
	}
}

// dueAtDeadline creates an open poll whose deadline is era.
func dueAtDeadline(t *testing.T, s polls.Store, tn, id string, era time.Time) *polls.Poll {
	t.Helper()
	p := newPoll(tn, id, polls.Approval, themes(2)...)
	p.OpenedAt = era.Add(-time.Hour)
	p.ClosesAt = era
	create(t, s, p)
	return p
}

// testCloseAtDeadline: of several callers closing a due poll at its
// deadline at once (each with its own time and lease), exactly one gets
// true; the poll is closed at its deadline; it stays in the deadline
// index, at the winner's lease: not due before it, due from it on.
// Closing it again (either way) changes nothing and keeps the entry; a
// cancelled poll is not closed; an unknown one gives ErrNotFound. A poll
// whose deadline was moved later before the close (an extension that
// landed first) is not closed: the deadline is checked in the close's own
// atomic step.
func testCloseAtDeadline(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := announceEra()
	for round := range 5 {
		p := dueAtDeadline(t, s, tn, fmt.Sprintf("CD%02d", round), era)
		at := func(i int) time.Time { return era.Add(time.Duration(i) * time.Millisecond) }
		lease := func(i int) time.Time { return era.Add(time.Minute + time.Duration(i)*time.Second) }
		op := fmt.Sprintf("round %d: 8 racing CloseAtDeadline", round)
		changed, errs := race(8, func(i int) (bool, error) { return s.CloseAtDeadline(ctx, tn, p.ID, at(i), lease(i)) })
		w := oneWinner(t, op, changed, errs)
		got := mustStatus(t, s, p.Key(), polls.StatusClosed)
		if d := timeDiff(got.ClosedAt, era); d != "" {
			t.Fatalf("%s: ClosedAt %s (the deadline)", op, d)
		}
		mustDue(t, op+", before the lease", s, tn, lease(w).Add(-time.Millisecond))
		mustDue(t, op+", at the lease", s, tn, lease(w), p.ID)

		ok, err := s.CloseAtDeadline(ctx, tn, p.ID, era, era.Add(time.Hour))
		mustChanged(t, op+": CloseAtDeadline again", ok, err, false)
		ok, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusClosed, era)
		mustChanged(t, op+": ClosePoll(closed) after it", ok, err, false)
		mustDue(t, op+", closed again", s, tn, lease(w), p.ID)
		mustDue(t, op+", closed again, before the lease", s, tn, lease(w).Add(-time.Millisecond))
		ok, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusCancelled, era)
		mustChanged(t, op+": cancel", ok, err, true)
		mustDue(t, op+", cancelled", s, tn, era.Add(time.Hour))
	}

	c := dueAtDeadline(t, s, tn, "CANC", era)
	ok, err := s.ClosePoll(ctx, tn, c.ID, polls.StatusCancelled, era)
	mustChanged(t, "Cancel(CANC)", ok, err, true)
	ok, err = s.CloseAtDeadline(ctx, tn, c.ID, era, era.Add(time.Minute))
	if ok || err != nil && !errors.Is(err, polls.ErrCancelled) {
		t.Fatalf("CloseAtDeadline(cancelled) = %v, %v; want false and nil or ErrCancelled", ok, err)
	}
	mustStatus(t, s, c.Key(), polls.StatusCancelled)
	mustDue(t, "after CloseAtDeadline(cancelled)", s, tn, era.Add(time.Hour))
	_, err = s.CloseAtDeadline(ctx, tn, "ZZZZ", era, era.Add(time.Minute))
	mustIs(t, "CloseAtDeadline(unknown poll)", err, polls.ErrNotFound)

	x := dueAtDeadline(t, s, tn, "EXTD", era)
	must(t, "SetDeadline(EXTD an hour later)", s.SetDeadline(ctx, tn, x.ID, era.Add(time.Hour)))
	ok, err = s.CloseAtDeadline(ctx, tn, x.ID, era, era.Add(time.Minute))
	mustChanged(t, "CloseAtDeadline(extended first)", ok, err, false)
	mustStatus(t, s, x.Key(), polls.StatusOpen)
	mustDue(t, "after CloseAtDeadline(extended first)", s, tn, era.Add(time.Minute))
	mustDue(t, "after CloseAtDeadline(extended first), at the new deadline", s, tn, era.Add(time.Hour), x.ID)
	ok, err = s.CloseAtDeadline(ctx, tn, x.ID, era.Add(time.Hour), era.Add(2*time.Hour))
	mustChanged(t, "CloseAtDeadline(at the new deadline)", ok, err, true)
	if got := mustStatus(t, s, x.Key(), polls.StatusClosed); timeDiff(got.ClosedAt, era.Add(time.Hour)) != "" {
		t.Fatalf("CloseAtDeadline(at the new deadline): ClosedAt %s", timeDiff(got.ClosedAt, era.Add(time.Hour)))
	}
}

// testClaimAnnouncement: an owed announcement cannot be claimed before its
// lease has passed (by the time given), by any of several racers, and
// nothing changes; at the lease, exactly one of several racers claims it,
// and the poll moves in the deadline index to the winner's new lease,
// where the next claim waits. Polls that are open, or closed without an
// owed announcement, are never claimed; an unknown poll gives ErrNotFound.
func testClaimAnnouncement(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := announceEra()
	p := dueAtDeadline(t, s, tn, "CLAM", era)
	l1 := era.Add(30 * time.Second)
	ok, err := s.CloseAtDeadline(ctx, tn, p.ID, era, l1)
	mustChanged(t, "CloseAtDeadline", ok, err, true)

	changed, errs := race(8, func(i int) (bool, error) {
		return s.ClaimAnnouncement(ctx, tn, p.ID, l1.Add(-time.Millisecond), l1.Add(time.Hour))
	})
	must(t, "8 racing claims before the lease", errors.Join(errs...))
	if slices.Contains(changed, true) {
		t.Fatalf("8 racing claims before the lease: %v, want none", changed)
	}
	mustDue(t, "after claims before the lease", s, tn, l1, p.ID)
	mustDue(t, "after claims before the lease (before it)", s, tn, l1.Add(-time.Millisecond))

	lease := func(i int) time.Time { return l1.Add(time.Minute + time.Duration(i)*time.Second) }
	changed, errs = race(8, func(i int) (bool, error) { return s.ClaimAnnouncement(ctx, tn, p.ID, l1, lease(i)) })
	w := oneWinner(t, "8 racing claims at the lease", changed, errs)
	mustStatus(t, s, p.Key(), polls.StatusClosed)
	mustDue(t, "after the claim, before its lease", s, tn, lease(w).Add(-time.Millisecond))
	mustDue(t, "after the claim, at its lease", s, tn, lease(w), p.ID)
	ok, err = s.ClaimAnnouncement(ctx, tn, p.ID, lease(w).Add(-time.Millisecond), lease(w).Add(time.Hour))
	mustChanged(t, "claim before the new lease", ok, err, false)
	ok, err = s.ClaimAnnouncement(ctx, tn, p.ID, lease(w).Add(time.Hour), lease(w).Add(2*time.Hour))
	mustChanged(t, "claim after the new lease", ok, err, true)
	mustDue(t, "after the second claim", s, tn, lease(w).Add(2*time.Hour), p.ID)

	open := dueAtDeadline(t, s, tn, "OPEN", era)
	ok, err = s.ClaimAnnouncement(ctx, tn, open.ID, era.Add(time.Hour), era.Add(2*time.Hour))
	mustChanged(t, "ClaimAnnouncement(open poll)", ok, err, false)
	mustStatus(t, s, open.Key(), polls.StatusOpen)
	closed := dueAtDeadline(t, s, tn, "SHUT", era)
	ok, err = s.ClosePoll(ctx, tn, closed.ID, polls.StatusClosed, era)
	mustChanged(t, "ClosePoll(SHUT)", ok, err, true)
	ok, err = s.ClaimAnnouncement(ctx, tn, closed.ID, era.Add(time.Hour), era.Add(2*time.Hour))
	mustChanged(t, "ClaimAnnouncement(closed by hand)", ok, err, false)
	mustDue(t, "at the end", s, tn, lease(w).Add(2*time.Hour), open.ID, p.ID)
	_, err = s.ClaimAnnouncement(ctx, tn, "ZZZZ", era, era.Add(time.Minute))
	mustIs(t, "ClaimAnnouncement(unknown poll)", err, polls.ErrNotFound)
}

// testAnnouncementDone: once its announcement is done, a poll leaves the
// deadline index for good and cannot be claimed; repeating it changes
// nothing; on a poll owing nothing (open, closed by hand) it changes
// nothing, and an unknown poll gives ErrNotFound.
func testAnnouncementDone(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := announceEra()
	far := era.Add(24 * time.Hour)
	p := dueAtDeadline(t, s, tn, "DONE", era)
	ok, err := s.CloseAtDeadline(ctx, tn, p.ID, era, era.Add(time.Minute))
	mustChanged(t, "CloseAtDeadline", ok, err, true)
	mustDue(t, "before AnnouncementDone", s, tn, far, p.ID)
	must(t, "AnnouncementDone", s.AnnouncementDone(ctx, tn, p.ID))
	mustDue(t, "after AnnouncementDone", s, tn, far)
	ok, err = s.ClaimAnnouncement(ctx, tn, p.ID, far, far.Add(time.Minute))
	mustChanged(t, "ClaimAnnouncement after AnnouncementDone", ok, err, false)
	must(t, "AnnouncementDone again", s.AnnouncementDone(ctx, tn, p.ID))
	mustStatus(t, s, p.Key(), polls.StatusClosed)
	mustDue(t, "after AnnouncementDone again", s, tn, far)

	open := dueAtDeadline(t, s, tn, "OPEN", era)
	must(t, "AnnouncementDone(open poll)", s.AnnouncementDone(ctx, tn, open.ID))
	got := mustStatus(t, s, open.Key(), polls.StatusOpen)
	if d := timeDiff(got.ClosesAt, era); d != "" {
		t.Fatalf("AnnouncementDone(open poll): ClosesAt %s", d)
	}
	mustDue(t, "after AnnouncementDone(open poll)", s, tn, far, open.ID)
	mustIs(t, "AnnouncementDone(unknown poll)", s.AnnouncementDone(ctx, tn, "ZZZZ"), polls.ErrNotFound)
}

// testAnnouncementCleared: Reopen and cancel clear an owed announcement
// (the poll is then never claimed, and is in the deadline index only as an
// open poll with a deadline is), and so does a ClosePoll that closes the
// reopened poll; a ClosePoll(closed) that finds the poll already closed
// changes nothing, so the announcement stays owed.
func testAnnouncementCleared(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := announceEra()
	far := era.Add(24 * time.Hour)
	owe := func(id string) *polls.Poll {
		t.Helper()
		p := dueAtDeadline(t, s, tn, id, era)
		ok, err := s.CloseAtDeadline(ctx, tn, id, era, era.Add(time.Minute))
		mustChanged(t, "CloseAtDeadline("+id+")", ok, err, true)
		return p
	}

	r := owe("REOP")
	ok, err := s.Reopen(ctx, tn, r.ID, era.Add(time.Hour))
	mustChanged(t, "Reopen(REOP)", ok, err, true)
	mustDue(t, "after Reopen, before the new deadline", s, tn, era.Add(time.Hour-time.Millisecond))
	mustDue(t, "after Reopen, at the new deadline", s, tn, era.Add(time.Hour), r.ID)
	ok, err = s.ClosePoll(ctx, tn, r.ID, polls.StatusClosed, era.Add(time.Hour))
	mustChanged(t, "ClosePoll(REOP) by hand", ok, err, true)
	mustDue(t, "after REOP closed by hand", s, tn, far)
	ok, err = s.ClaimAnnouncement(ctx, tn, r.ID, far, far.Add(time.Minute))
	mustChanged(t, "ClaimAnnouncement(REOP)", ok, err, false)

	n := owe("NODL")
	ok, err = s.Reopen(ctx, tn, n.ID, time.Time{})
	mustChanged(t, "Reopen(NODL, no deadline)", ok, err, true)
	mustDue(t, "after Reopen without a deadline", s, tn, far)

	c := owe("CANC")
	ok, err = s.ClosePoll(ctx, tn, c.ID, polls.StatusCancelled, era)
	mustChanged(t, "Cancel(CANC)", ok, err, true)
	mustDue(t, "after Cancel", s, tn, far)
	ok, err = s.ClaimAnnouncement(ctx, tn, c.ID, far, far.Add(time.Minute))
	mustChanged(t, "ClaimAnnouncement(cancelled)", ok, err, false)

	k := owe("KEPT")
	ok, err = s.ClosePoll(ctx, tn, k.ID, polls.StatusClosed, era)
	mustChanged(t, "ClosePoll(closed) on a poll owing its announcement", ok, err, false)
	mustDue(t, "after a ClosePoll that changed nothing", s, tn, far, k.ID)
	ok, err = s.ClaimAnnouncement(ctx, tn, k.ID, far, far.Add(time.Minute))
	mustChanged(t, "ClaimAnnouncement(KEPT)", ok, err, true)
}

// testAnnouncementPersistence: an owed announcement and its lease survive
// a restart (Harness.Reopen): the reopened store returns the poll from
// DueDeadlines at the lease, and it is claimed there.
func testAnnouncementPersistence(t *testing.T, e *env) {
	if e.h.Reopen == nil {
		t.Skip("Harness.Reopen is nil")
	}
	s, tn := e.store(t)
	ctx := t.Context()
	era := announceEra()
	p := dueAtDeadline(t, s, tn, "OWED", era)
	lease := era.Add(time.Minute)
	ok, err := s.CloseAtDeadline(ctx, tn, p.ID, era, lease)
	mustChanged(t, "CloseAtDeadline", ok, err, true)

	s = e.h.Reopen(t, s)
	cancelAtEnd(t, s, p.Key())
	mustStatus(t, s, p.Key(), polls.StatusClosed)
	mustDue(t, "after reopening, before the lease", s, tn, lease.Add(-time.Millisecond))
	mustDue(t, "after reopening, at the lease", s, tn, lease, p.ID)
	ok, err = s.ClaimAnnouncement(ctx, tn, p.ID, lease.Add(-time.Millisecond), lease.Add(time.Hour))
	mustChanged(t, "ClaimAnnouncement before the lease, after reopening", ok, err, false)
	ok, err = s.ClaimAnnouncement(ctx, tn, p.ID, lease, lease.Add(time.Hour))
	mustChanged(t, "ClaimAnnouncement at the lease, after reopening", ok, err, true)
	must(t, "AnnouncementDone after reopening", s.AnnouncementDone(ctx, tn, p.ID))
	mustDue(t, "after AnnouncementDone", s, tn, lease.Add(24*time.Hour))
}
