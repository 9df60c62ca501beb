package polls

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Reminders. A poll with a deadline may be given reminder offsets
// (Options.Remind, e.g. 24h and 1h): a reminder is posted that long
// before the deadline. The offsets are part of the poll's definition; the
// times they fall at are computed from the deadline whenever it is set
// (open, extend, reopen) and kept by the store as the poll's reminder
// schedule, with an index of when each poll's next reminder is due, so
// that reminders survive restarts and, of several replicas, exactly one
// posts each (see ReminderStore). Reminders whose time has already passed
// when the schedule is made are skipped, never posted late in a burst.

// Bounds of a poll's reminder offsets.
const (
	// MaxReminders is the most reminders a poll may have: a reminder is
	// a message in a channel, and more than a handful is noise.
	MaxReminders = 5
	// MinRemindBefore is the shortest offset: a reminder less than a
	// minute before the deadline leaves no time to act on it.
	MinRemindBefore = time.Minute
)

// Codes of reminder errors; Given, Min, Max and Left are time.Duration
// except for CodeRemindCount's (int).
const (
	CodeRemindCount      Code = "remind_count"       // Given, Max
	CodeRemindRange      Code = "remind_range"       // Given, Min, Max
	CodeRemindTwice      Code = "remind_twice"       // Given
	CodeRemindNoDeadline Code = "remind_no_deadline" // -
	CodeRemindTooEarly   Code = "remind_too_early"   // Given, Left
)

// ErrRemindersUnscheduled is returned, wrapping the store's error, by an
// operation that changed a poll as asked (opened it, moved its deadline)
// but could not store the reminder schedule of its new deadline. The
// operation's other results are valid; the poll's reminders may not come
// until its deadline changes again.
var ErrRemindersUnscheduled = errors.New("the poll's reminders could not be scheduled")

// normalizeReminders orders the offsets longest first (the earliest
// reminder first).
func (o *Options) normalizeReminders() {
	slices.SortFunc(o.Remind, func(a, b time.Duration) int {
		switch {
		case a > b:
			return -1
		case a < b:
			return 1
		}
		return 0
	})
}

// validateReminders checks the offsets on their own; whether they fit
// before a deadline is checked when the poll is opened.
func (o *Options) validateReminders() error {
	if len(o.Remind) > MaxReminders {
		return fail(ErrInvalidOption, CodeRemindCount, Params{"Given": len(o.Remind), "Max": MaxReminders})
	}
	for i, d := range o.Remind {
		if d < MinRemindBefore || d > MaxAhead {
			return fail(ErrInvalidOption, CodeRemindRange, Params{"Given": d, "Min": MinRemindBefore, "Max": MaxAhead})
		}
		if slices.Contains(o.Remind[:i], d) {
			return fail(ErrInvalidOption, CodeRemindTwice, Params{"Given": d})
		}
	}
	return nil
}

// checkRemindersFit refuses reminders a new poll cannot have: any without
// a deadline, and one that would fall at or before now.
func (p *Poll) checkRemindersFit(now time.Time) error {
	if len(p.Remind) == 0 {
		return nil
	}
	if p.ClosesAt.IsZero() {
		return fail(ErrInvalidOption, CodeRemindNoDeadline, nil)
	}
	left := p.ClosesAt.Sub(now)
	for _, d := range p.Remind {
		if d >= left {
			return fail(ErrInvalidOption, CodeRemindTooEarly, Params{"Given": d, "Left": left})
		}
	}
	return nil
}

// ReminderTimes returns when the poll's reminders fall for its current
// deadline, earliest first, leaving out those at or before now: none for
// a poll that is not open or has no deadline.
func (p *Poll) ReminderTimes(now time.Time) []time.Time {
	if p.Status != StatusOpen || p.ClosesAt.IsZero() {
		return nil
	}
	var out []time.Time
	for _, d := range p.Remind {
		if at := stampTime(p.ClosesAt.Add(-d)); at.After(now) {
			out = append(out, at)
		}
	}
	slices.SortFunc(out, time.Time.Compare)
	return slices.Compact(out)
}

// ReminderStore keeps the reminder schedules of open polls and the index
// of when each poll's next reminder is due. Reminders are claimed the way
// owed announcements are (see PollStore.CloseAtDeadline): a claim leases
// the reminder to one caller, which posts it and then calls ReminderDone;
// should it die in between, the reminder comes due again when the lease
// has run out, and is claimed anew. Every method is atomic on its own.
type ReminderStore interface {
	// SetReminders replaces the poll's reminder schedule by at, times in
	// ascending order, for the deadline closesAt: only if the poll is
	// open and its deadline is closesAt (an extension that landed in
	// between wins: false, nothing changed). Any claim of the old
	// schedule is void. With no times it drops the poll's schedule,
	// whatever the poll's status. ErrNotFound for an unknown poll.
	SetReminders(ctx context.Context, tenant, id string, closesAt time.Time, at []time.Time) (bool, error)
	// DueReminders returns up to limit polls (no limit if limit <= 0)
	// whose next reminder, or whose claimed reminder's lease, is at or
	// before the given time, earliest first. Entries of polls that no
	// longer exist, or no longer have a schedule, are removed, never
	// returned.
	DueReminders(ctx context.Context, before time.Time, limit int) ([]Key, error)
	// ClaimReminder claims the poll's latest reminder at or before now
	// (earlier ones that are also due are passed over: a poll is
	// reminded once, not in a burst), leasing it until leaseUntil; of
	// several racing callers exactly one gets it. It claims nothing while
	// an earlier claim's lease is after now. A schedule made for another
	// deadline than the poll has now is reported Stale and left for the
	// caller to replace; the schedule of a poll that is no longer open,
	// or whose deadline is at or before now, is dropped. ErrNotFound for
	// an unknown poll.
	ClaimReminder(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (ReminderClaim, error)
	// ReminderDone records that the claimed reminder at (ReminderClaim.At)
	// was posted: it and every earlier reminder of the schedule are done,
	// and the poll's next reminder, if any, comes due at its time. It
	// changes nothing unless that reminder is the one claimed (the
	// schedule may have been replaced meanwhile). ErrNotFound for an
	// unknown poll.
	ReminderDone(ctx context.Context, tenant, id string, at time.Time) error
}

// ReminderClaim is what ClaimReminder found.
type ReminderClaim struct {
	// At is the time of the reminder claimed; zero when none was.
	At time.Time
	// Stale is set when the schedule was made for another deadline than
	// the poll's (the change of deadline was stored, the new schedule
	// was not): the caller makes the schedule anew.
	Stale bool
}

// DueReminder is a reminder RemindDue leased to its caller.
type DueReminder struct {
	Poll *Poll
	At   time.Time // when it was due
}

// scheduleReminders stores the reminder schedule of p's current deadline
// (none for a poll that is not open). Polls without reminder offsets
// never have a schedule, and cost nothing.
func (s *Service) scheduleReminders(ctx context.Context, p *Poll) error {
	if len(p.Remind) == 0 {
		return nil
	}
	at := p.ReminderTimes(s.stamp())
	if _, err := s.store.SetReminders(ctx, p.Tenant, p.ID, p.ClosesAt, at); err != nil && !(len(at) == 0 && errors.Is(err, ErrNotFound)) {
		return fmt.Errorf("%w: %w", ErrRemindersUnscheduled, err)
	}
	return nil
}

// RemindDue claims due reminders, at most limit of them, and returns those
// this call now owes: each is leased to one caller for the announce lease
// (WithAnnounceLease), who posts it and then calls ReminderDone. A
// reminder whose post fails is left alone: it comes due again when its
// lease runs out. Schedules made for an earlier deadline (the store
// failed to replace them when the deadline moved) are made anew here.
func (s *Service) RemindDue(ctx context.Context, limit int) ([]DueReminder, error) {
	now := s.now().UTC()
	keys, err := s.store.DueReminders(ctx, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due reminders: %w", err)
	}
	var won []DueReminder
	var errs []error
	for _, k := range keys {
		c, err := s.store.ClaimReminder(ctx, k.Tenant, k.ID, now, now.Add(s.lease))
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("claim reminder of %s: %w", k, err))
			continue
		}
		if !c.Stale && c.At.IsZero() {
			continue
		}
		p, err := s.store.Poll(ctx, k.Tenant, k.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if c.Stale {
			if err := s.scheduleReminders(ctx, p); err != nil {
				errs = append(errs, fmt.Errorf("reschedule reminders of %s: %w", k, err))
			}
			continue
		}
		won = append(won, DueReminder{Poll: p, At: c.At})
	}
	return won, errors.Join(errs...)
}

// ReminderDone records that a reminder RemindDue returned was posted, so
// that no replica posts it again.
func (s *Service) ReminderDone(ctx context.Context, r DueReminder) error {
	return s.store.ReminderDone(ctx, r.Poll.Tenant, r.Poll.ID, r.At)
}

// NearEmerging returns the group a divided or low theme is one step from
// emerging in: the theme's only qualifying group below the threshold,
// when at most max more supporting ballots from it would lift it there
// (and so make the theme emerging, every other qualifying group being
// above). It reports false for every other theme.
func (t ThemeResult) NearEmerging(max int64) (GroupNeed, bool) {
	if t.Status != Divided && t.Status != Low || len(t.ToEmerging) != 1 {
		return GroupNeed{}, false
	}
	n := t.ToEmerging[0]
	if n.Needed == nil || *n.Needed < 1 || *n.Needed > max {
		return GroupNeed{}, false
	}
	return n, true
}
