package storetest

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// Reminders (polls.ReminderStore, and the Service on top of it). The
// times lie in a random stretch of 1993, away from the other tests'
// deadlines; the checks of the reminder index look at the subtest's own
// tenant only.

// remindEra returns a random instant of 1993 at millisecond precision.
func remindEra() time.Time {
	return time.Date(1993, 1, 1, 0, 0, 0, 0, time.UTC).
		Add(time.Duration(rand.Int64N(360*24*3600*1000)) * time.Millisecond)
}

// remindDue returns this tenant's polls in the reminder index at or
// before at.
func remindDue(t *testing.T, s polls.Store, tn string, at time.Time) []string {
	t.Helper()
	keys, err := s.DueReminders(context.Background(), at, 100_000)
	must(t, "DueReminders", err)
	return ours(keys, tn)
}

// mustRemindDue checks which of this tenant's polls are due a reminder at
// at.
func mustRemindDue(t *testing.T, op string, s polls.Store, tn string, at time.Time, want ...string) {
	t.Helper()
	if got := remindDue(t, s, tn, at); !slices.Equal(got, want) {
		t.Fatalf("%s: DueReminders(%s) = %v, want %v", op, at.Format(time.RFC3339Nano), got, want)
	}
}

// mustClaim claims a reminder and checks what was claimed (zero: none).
func mustClaim(t *testing.T, op string, s polls.Store, k polls.Key, now, lease, want time.Time) {
	t.Helper()
	c, err := s.ClaimReminder(context.Background(), k.Tenant, k.ID, now, lease)
	must(t, op, err)
	if c.Stale {
		t.Fatalf("%s: stale, want %v", op, want)
	}
	if d := timeDiff(c.At, want); d != "" {
		t.Fatalf("%s: claimed %s", op, d)
	}
}

// remindPoll creates an open poll closing at closes, and drops its
// schedule when the test ends.
func remindPoll(t *testing.T, s polls.Store, tn, id string, closes time.Time) *polls.Poll {
	t.Helper()
	p := newPoll(tn, id, polls.Approval, themes(2)...)
	p.OpenedAt = closes.Add(-72 * time.Hour)
	p.ClosesAt = closes
	p.Remind = []time.Duration{48 * time.Hour, 24 * time.Hour, time.Hour}
	create(t, s, p)
	dropRemindersAtEnd(t, s, p.Key())
	return p
}

func dropRemindersAtEnd(t *testing.T, s polls.Store, k polls.Key) {
	t.Cleanup(func() { _, _ = s.SetReminders(context.Background(), k.Tenant, k.ID, time.Time{}, nil) })
}

// before returns closes minus each offset.
func before(closes time.Time, offsets ...time.Duration) []time.Time {
	out := make([]time.Time, len(offsets))
	for i, d := range offsets {
		out[i] = closes.Add(-d)
	}
	return out
}

// testReminderSchedule: a schedule is stored for an open poll whose
// deadline is the one given, and the poll is in the reminder index at its
// first reminder; replacing the schedule moves it; a schedule for another
// deadline (an extension landed first), or for a poll that is not open,
// is refused (false) and changes nothing; no times drop the schedule
// whatever the poll's status; an unknown poll gives ErrNotFound. Polls
// without a schedule are never due. The offsets survive in the poll's
// definition.
func testReminderSchedule(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := remindEra()
	p := remindPoll(t, s, tn, "SCHD", era)
	if got := getPoll(t, s, p.Key()); !slices.Equal(got.Remind, p.Remind) {
		t.Fatalf("Poll: Remind %v, want %v", got.Remind, p.Remind)
	}
	remindPoll(t, s, tn, "NONE", era) // offsets, but no schedule stored
	mustRemindDue(t, "before any schedule", s, tn, era)

	at := before(era, 24*time.Hour, time.Hour)
	ok, err := s.SetReminders(ctx, tn, p.ID, era, at)
	mustChanged(t, "SetReminders", ok, err, true)
	mustRemindDue(t, "before the first reminder", s, tn, at[0].Add(-time.Millisecond))
	mustRemindDue(t, "at the first reminder", s, tn, at[0], p.ID)

	at = before(era, 2*time.Hour)
	ok, err = s.SetReminders(ctx, tn, p.ID, era, at)
	mustChanged(t, "SetReminders again", ok, err, true)
	mustRemindDue(t, "after replacing, at the old first reminder", s, tn, era.Add(-24*time.Hour))
	mustRemindDue(t, "after replacing, at the new one", s, tn, at[0], p.ID)

	ok, err = s.SetReminders(ctx, tn, p.ID, era.Add(time.Hour), before(era, 30*time.Minute))
	mustChanged(t, "SetReminders for another deadline", ok, err, false)
	mustRemindDue(t, "after SetReminders for another deadline", s, tn, era.Add(-time.Minute), p.ID)
	mustClaim(t, "claim after SetReminders for another deadline", s, p.Key(), era.Add(-time.Minute), era, at[0])

	ok, err = s.SetReminders(ctx, tn, p.ID, time.Time{}, nil)
	mustChanged(t, "SetReminders(none)", ok, err, true)
	mustRemindDue(t, "after dropping the schedule", s, tn, era.Add(time.Hour))
	c, err := s.ClaimReminder(ctx, tn, p.ID, era.Add(-time.Minute), era)
	if err != nil || c != (polls.ReminderClaim{}) {
		t.Fatalf("ClaimReminder without a schedule = %+v, %v; want nothing", c, err)
	}

	shut := remindPoll(t, s, tn, "SHUT", era)
	ok, err = s.ClosePoll(ctx, tn, shut.ID, polls.StatusClosed, era.Add(-48*time.Hour))
	mustChanged(t, "ClosePoll(SHUT)", ok, err, true)
	ok, err = s.SetReminders(ctx, tn, shut.ID, era, before(era, time.Hour))
	mustChanged(t, "SetReminders(closed poll)", ok, err, false)
	mustRemindDue(t, "after SetReminders(closed poll)", s, tn, era)

	_, err = s.SetReminders(ctx, tn, "ZZZZ", era, before(era, time.Hour))
	mustIs(t, "SetReminders(unknown poll)", err, polls.ErrNotFound)
	mustRemindDue(t, "at the end", s, tn, era)
}

// testReminderClaim: of several callers claiming a due reminder at once,
// exactly one gets it; the poll moves in the reminder index to the
// winner's lease, before which nothing is claimed; at the lease the same
// reminder is claimed again (its poster died). Once done, the poll's next
// reminder comes due at its time, not before. A caller late enough that
// several reminders are due gets the latest only, and once it is done the
// earlier ones are gone too: no burst. Done for a reminder that is not
// the one claimed changes nothing; for an unknown poll it gives
// ErrNotFound, as a claim does.
func testReminderClaim(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := remindEra()
	p := remindPoll(t, s, tn, "CLAM", era)
	at := before(era, 48*time.Hour, 24*time.Hour, time.Hour)
	ok, err := s.SetReminders(ctx, tn, p.ID, era, at)
	mustChanged(t, "SetReminders", ok, err, true)

	mustClaim(t, "claim before the first reminder", s, p.Key(), at[0].Add(-time.Millisecond), era, time.Time{})
	lease := func(i int) time.Time { return at[0].Add(time.Minute + time.Duration(i)*time.Second) }
	var mu sync.Mutex
	claimed := map[int]time.Time{}
	_, errs := race(8, func(i int) (bool, error) {
		c, err := s.ClaimReminder(ctx, tn, p.ID, at[0].Add(time.Second), lease(i))
		if err == nil && !c.At.IsZero() {
			mu.Lock()
			claimed[i] = c.At
			mu.Unlock()
		}
		return !c.At.IsZero(), err
	})
	must(t, "8 racing claims", errors.Join(errs...))
	if len(claimed) != 1 {
		t.Fatalf("8 racing claims: %d got a reminder, want 1", len(claimed))
	}
	var w int
	for i, c := range claimed {
		w = i
		if d := timeDiff(c, at[0]); d != "" {
			t.Fatalf("8 racing claims: claimed %s", d)
		}
	}
	mustRemindDue(t, "after the claim, before its lease", s, tn, lease(w).Add(-time.Millisecond))
	mustRemindDue(t, "after the claim, at its lease", s, tn, lease(w), p.ID)
	mustClaim(t, "claim before the lease", s, p.Key(), lease(w).Add(-time.Millisecond), lease(w).Add(time.Hour), time.Time{})
	l2 := lease(w).Add(time.Minute)
	mustClaim(t, "claim at the lease", s, p.Key(), lease(w), l2, at[0])
	mustRemindDue(t, "after the claim at the lease", s, tn, l2, p.ID)

	must(t, "ReminderDone(another time)", s.ReminderDone(ctx, tn, p.ID, at[1]))
	mustRemindDue(t, "after ReminderDone(another time)", s, tn, l2, p.ID)
	must(t, "ReminderDone", s.ReminderDone(ctx, tn, p.ID, at[0]))
	mustRemindDue(t, "after ReminderDone, before the next reminder", s, tn, at[1].Add(-time.Millisecond))
	mustRemindDue(t, "after ReminderDone, at the next reminder", s, tn, at[1], p.ID)
	must(t, "ReminderDone again", s.ReminderDone(ctx, tn, p.ID, at[0]))
	mustRemindDue(t, "after ReminderDone again", s, tn, at[1], p.ID)

	// Both remaining reminders are due: the latest is claimed, once.
	late := at[2].Add(time.Minute)
	mustClaim(t, "late claim", s, p.Key(), late, late.Add(time.Minute), at[2])
	mustClaim(t, "late claim again", s, p.Key(), late, late.Add(time.Minute), time.Time{})
	must(t, "ReminderDone(late)", s.ReminderDone(ctx, tn, p.ID, at[2]))
	mustRemindDue(t, "after the last reminder", s, tn, era.Add(time.Hour))
	mustClaim(t, "claim after the last reminder", s, p.Key(), era.Add(-time.Second), era, time.Time{})

	_, err = s.ClaimReminder(ctx, tn, "ZZZZ", era, era.Add(time.Minute))
	mustIs(t, "ClaimReminder(unknown poll)", err, polls.ErrNotFound)
	mustIs(t, "ReminderDone(unknown poll)", s.ReminderDone(ctx, tn, "ZZZZ", era), polls.ErrNotFound)
}

// testReminderVoid: a schedule made for another deadline than the poll's
// (the deadline moved, the new schedule was not stored) is reported
// stale, claims nothing and stays until replaced; replacing it for the
// new deadline makes its reminders due. A claimed reminder whose schedule
// is replaced cannot be marked done. The schedule of a poll closed or
// cancelled, or whose deadline has passed, is dropped by the next claim.
func testReminderVoid(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := remindEra()

	x := remindPoll(t, s, tn, "EXTD", era)
	ok, err := s.SetReminders(ctx, tn, x.ID, era, before(era, time.Hour))
	mustChanged(t, "SetReminders(EXTD)", ok, err, true)
	later := era.Add(24 * time.Hour)
	must(t, "SetDeadline(EXTD)", s.SetDeadline(ctx, tn, x.ID, later))
	for range 2 {
		c, err := s.ClaimReminder(ctx, tn, x.ID, era.Add(-time.Minute), era)
		if err != nil || !c.Stale || !c.At.IsZero() {
			t.Fatalf("ClaimReminder after the deadline moved = %+v, %v; want stale, nothing claimed", c, err)
		}
	}
	mustRemindDue(t, "stale schedule", s, tn, era.Add(-time.Minute), x.ID)
	ok, err = s.SetReminders(ctx, tn, x.ID, later, before(later, time.Hour))
	mustChanged(t, "SetReminders for the new deadline", ok, err, true)
	mustRemindDue(t, "rescheduled, at the old reminder", s, tn, era)
	mustClaim(t, "claim at the new reminder", s, x.Key(), later.Add(-time.Hour), later, later.Add(-time.Hour))
	ok, err = s.SetReminders(ctx, tn, x.ID, later, before(later, 30*time.Minute))
	mustChanged(t, "SetReminders while one is claimed", ok, err, true)
	must(t, "ReminderDone of the replaced claim", s.ReminderDone(ctx, tn, x.ID, later.Add(-time.Hour)))
	mustRemindDue(t, "after ReminderDone of the replaced claim", s, tn, later.Add(-30*time.Minute), x.ID)

	for _, to := range []polls.Status{polls.StatusClosed, polls.StatusCancelled} {
		p := remindPoll(t, s, tn, strings.ToUpper("X"+string(to[:3])), era)
		ok, err := s.SetReminders(ctx, tn, p.ID, era, before(era, time.Hour))
		mustChanged(t, "SetReminders", ok, err, true)
		ok, err = s.ClosePoll(ctx, tn, p.ID, to, era.Add(-2*time.Hour))
		mustChanged(t, "ClosePoll("+string(to)+")", ok, err, true)
		mustClaim(t, "claim after "+string(to), s, p.Key(), era.Add(-time.Minute), era, time.Time{})
		mustRemindDue(t, "after the claim of a poll "+string(to), s, tn, era)
	}

	d := remindPoll(t, s, tn, "PAST", era)
	ok, err = s.SetReminders(ctx, tn, d.ID, era, before(era, time.Hour))
	mustChanged(t, "SetReminders(PAST)", ok, err, true)
	mustClaim(t, "claim at the deadline", s, d.Key(), era, era.Add(time.Minute), time.Time{})
	mustRemindDue(t, "after the claim at the deadline", s, tn, era)
}

// testReminderPersistence: a schedule and a claim's lease survive a
// restart (Harness.Reopen).
func testReminderPersistence(t *testing.T, e *env) {
	if e.h.Reopen == nil {
		t.Skip("Harness.Reopen is nil")
	}
	s, tn := e.store(t)
	ctx := t.Context()
	era := remindEra()
	p := remindPoll(t, s, tn, "KEEP", era)
	at := before(era, 24*time.Hour, time.Hour)
	ok, err := s.SetReminders(ctx, tn, p.ID, era, at)
	mustChanged(t, "SetReminders", ok, err, true)
	lease := at[0].Add(time.Minute)
	mustClaim(t, "claim", s, p.Key(), at[0], lease, at[0])

	s = e.h.Reopen(t, s)
	cancelAtEnd(t, s, p.Key())
	dropRemindersAtEnd(t, s, p.Key())
	mustRemindDue(t, "after reopening, before the lease", s, tn, lease.Add(-time.Millisecond))
	mustRemindDue(t, "after reopening, at the lease", s, tn, lease, p.ID)
	mustClaim(t, "claim at the lease, after reopening", s, p.Key(), lease, lease.Add(time.Minute), at[0])
	must(t, "ReminderDone after reopening", s.ReminderDone(ctx, tn, p.ID, at[0]))
	mustRemindDue(t, "after ReminderDone", s, tn, at[1], p.ID)
}

// testServiceReminders: the Service schedules a poll's reminders when it
// opens it, skipping none that fit; of two replicas calling RemindDue at
// once each reminder is returned once, and again only when its lease ran
// out before ReminderDone (its poster died). Extend schedules the
// reminders of the new deadline (those already past are skipped, not
// posted late); a stale schedule (the store lost the rescheduling) is
// made anew by RemindDue; Close drops them and Reopen schedules them for
// the new deadline. Reminders that cannot fit are refused at open.
func testServiceReminders(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := time.Date(1991, 1, 1, 0, 0, 0, 0, time.UTC).
		Add(time.Duration(rand.Int64N(360*24*3600*1000)) * time.Millisecond)
	clk := &clock{t: era}
	const lease = 10 * time.Second
	ids := sequentialIDs("R")
	a := polls.NewService(s, polls.WithClock(clk.now), polls.WithIDs(ids), polls.WithAnnounceLease(lease))
	b := polls.NewService(s, polls.WithClock(clk.now), polls.WithIDs(ids), polls.WithAnnounceLease(lease))

	for _, c := range []struct {
		closes time.Time
		remind []time.Duration
		code   polls.Code
	}{
		{time.Time{}, []time.Duration{time.Hour}, polls.CodeRemindNoDeadline},
		{era.Add(2 * time.Hour), []time.Duration{24 * time.Hour, time.Hour}, polls.CodeRemindTooEarly},
		{era.Add(2 * time.Hour), []time.Duration{2 * time.Hour}, polls.CodeRemindTooEarly},
		{era.Add(48 * time.Hour), []time.Duration{time.Hour, time.Hour}, polls.CodeRemindTwice},
		{era.Add(48 * time.Hour), []time.Duration{time.Second}, polls.CodeRemindRange},
		{era.Add(48 * time.Hour), []time.Duration{1, 2, 3, 4, 5, 6}, polls.CodeRemindCount},
	} {
		_, err := a.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Bad", Themes: themes(2), Creator: "U-FAC",
			ClosesAt: c.closes, Options: polls.Options{Remind: c.remind}})
		var de *polls.Error
		if !errors.As(err, &de) || de.Code != c.code {
			t.Fatalf("Open(closes %v, remind %v) = %v, want %s", c.closes, c.remind, err, c.code)
		}
	}

	closes := era.Add(48 * time.Hour)
	p, err := a.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Remind", Themes: themes(2), Creator: "U-FAC",
		ClosesAt: closes, Options: polls.Options{Remind: []time.Duration{time.Hour, 24 * time.Hour}}})
	must(t, "Open", err)
	cancelAtEnd(t, s, p.Key())
	dropRemindersAtEnd(t, s, p.Key())
	if want := []time.Duration{24 * time.Hour, time.Hour}; !slices.Equal(p.Remind, want) {
		t.Fatalf("Open: Remind %v, want %v (longest first)", p.Remind, want)
	}

	mine := func(due []polls.DueReminder) []time.Time {
		var out []time.Time
		for _, d := range due {
			if d.Poll.Key() == p.Key() {
				out = append(out, d.At)
			}
		}
		return out
	}
	both := func(op string, done bool) []time.Time {
		t.Helper()
		var dueA, dueB []polls.DueReminder
		var errA, errB error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; dueA, errA = a.RemindDue(ctx, 100_000) })
		wg.Go(func() { <-start; dueB, errB = b.RemindDue(ctx, 100_000) })
		close(start)
		wg.Wait()
		must(t, op+" (replica a)", errA)
		must(t, op+" (replica b)", errB)
		if done {
			for _, d := range append(dueA, dueB...) {
				must(t, op+": ReminderDone", a.ReminderDone(ctx, d))
			}
		}
		return append(mine(dueA), mine(dueB)...)
	}
	mustReminded := func(op string, done bool, want ...time.Time) {
		t.Helper()
		got := both(op, done)
		if len(got) != len(want) {
			t.Fatalf("%s: reminders %v, want %v", op, got, want)
		}
		for i := range got {
			if d := timeDiff(got[i], want[i]); d != "" {
				t.Fatalf("%s: reminder %s", op, d)
			}
		}
	}

	mustReminded("at the open", true)
	clk.set(closes.Add(-24*time.Hour - time.Millisecond))
	mustReminded("just before the first reminder", true)
	clk.set(closes.Add(-24 * time.Hour))
	mustReminded("at the first reminder, the poster dies", false, closes.Add(-24*time.Hour))
	mustReminded("again before the lease", true)
	clk.set(closes.Add(-24*time.Hour + lease))
	mustReminded("at the lease", true, closes.Add(-24*time.Hour))
	mustReminded("after it was done", true)

	// Extended by 2 days at 12h before the deadline: the new deadline's
	// 24h and 1h reminders are both ahead.
	clk.set(closes.Add(-12 * time.Hour))
	p, err = a.Extend(ctx, tn, p.ID, 48*time.Hour)
	must(t, "Extend", err)
	closes = p.ClosesAt
	clk.set(closes.Add(-24 * time.Hour))
	mustReminded("at the extended deadline's first reminder", true, closes.Add(-24*time.Hour))

	// Extended by 30m at 10m before the deadline: the new 1h reminder is
	// already past and skipped.
	clk.set(closes.Add(-10 * time.Minute))
	mustReminded("at 10 minutes to go (the 1h reminder was due)", true, closes.Add(-time.Hour))
	p, err = a.Extend(ctx, tn, p.ID, 30*time.Minute)
	must(t, "Extend by 30m", err)
	closes = p.ClosesAt
	clk.set(closes.Add(-time.Second))
	mustReminded("after extending past its reminders", true)

	// The store moves the deadline but loses the new schedule: the next
	// due reminder of the old one is found stale and made anew.
	clk.set(closes.Add(-5 * time.Minute))
	p, err = a.Extend(ctx, tn, p.ID, 3*time.Hour)
	must(t, "Extend by 3h", err)
	closes = p.ClosesAt
	must(t, "SetDeadline behind the service's back", s.SetDeadline(ctx, tn, p.ID, closes.Add(time.Hour)))
	closes = closes.Add(time.Hour)
	clk.set(closes.Add(-2 * time.Hour))
	mustReminded("at the lost schedule's reminder (found stale)", true)
	clk.set(closes.Add(-time.Hour))
	mustReminded("at the remade schedule's reminder", true, closes.Add(-time.Hour))

	// Closed by hand: nothing more. Reopened for 3 days: both again.
	clk.set(closes.Add(-30 * time.Minute))
	_, _, err = a.Close(ctx, tn, p.ID)
	must(t, "Close", err)
	mustRemindDue(t, "after Close", s, tn, closes.Add(time.Hour))
	_, p, err = a.Reopen(ctx, tn, p.ID, 72*time.Hour)
	must(t, "Reopen", err)
	closes = p.ClosesAt
	clk.set(closes.Add(-time.Hour))
	mustReminded("after Reopen, an hour before the deadline (the 24h reminder passed over)", true, closes.Add(-time.Hour))
	clk.set(closes)
	mustReminded("at the deadline", true)
	_, _, err = a.Cancel(ctx, tn, p.ID)
	must(t, "Cancel", err)
	mustRemindDue(t, "at the end", s, tn, closes.Add(time.Hour))
}
