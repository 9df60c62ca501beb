package metrics

import (
	"context"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// The reminder operations (polls.ReminderStore), timed like the others.

func (s *Store) SetReminders(ctx context.Context, tenant, id string, closesAt time.Time, at []time.Time) (changed bool, err error) {
	defer func(t time.Time) { s.done("set_reminders", t, err) }(time.Now())
	return s.Store.SetReminders(ctx, tenant, id, closesAt, at)
}

func (s *Store) DueReminders(ctx context.Context, before time.Time, limit int) (out []polls.Key, err error) {
	defer func(t time.Time) { s.done("due_reminders", t, err) }(time.Now())
	return s.Store.DueReminders(ctx, before, limit)
}

func (s *Store) ClaimReminder(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (c polls.ReminderClaim, err error) {
	defer func(t time.Time) { s.done("claim_reminder", t, err) }(time.Now())
	return s.Store.ClaimReminder(ctx, tenant, id, now, leaseUntil)
}

func (s *Store) ReminderDone(ctx context.Context, tenant, id string, at time.Time) (err error) {
	defer func(t time.Time) { s.done("reminder_done", t, err) }(time.Now())
	return s.Store.ReminderDone(ctx, tenant, id, at)
}
