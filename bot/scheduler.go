package bot

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// Announcer delivers the announcement of a poll the scheduler closed: the
// adapter of the poll's platform posts it in the poll's channel and
// re-renders the poll's messages.
type Announcer interface {
	Announce(ctx context.Context, p *polls.Poll, r Response)
}

// AnnouncerFunc adapts a function to Announcer.
type AnnouncerFunc func(ctx context.Context, p *polls.Poll, r Response)

// Announce calls f.
func (f AnnouncerFunc) Announce(ctx context.Context, p *polls.Poll, r Response) { f(ctx, p, r) }

// Scheduler closes polls whose deadline has passed. It reads the store's
// deadline index, so it survives restarts and closes polls that fell due
// while no process ran. Any number of replicas may run one: the store's
// close picks exactly one winner per poll, and only the winner announces.
//
// A poll closed at its deadline owes its announcement until the scheduler
// that announced it says so (polls.Service.AnnouncementDone). Should that
// scheduler's process die in between, the poll comes due again when the
// announcement's lease runs out (polls.WithAnnounceLease), and the next
// tick of any replica announces it: at least once, and more than once only
// if an announcement outlasts the lease or its completion cannot be
// recorded. Given a Reminder (WithReminders), it also posts the reminders
// that fall due, on the same lease terms (see PostReminders).
type Scheduler struct {
	engine   *Engine
	announce Announcer
	remind   Reminder
	interval time.Duration
	batch    int
	log      *slog.Logger
}

// NewScheduler returns a scheduler that checks every interval (default 5s).
// With WithReminders it posts due reminders too (see PostReminders), on
// the same terms: any number of replicas, each reminder posted once.
func NewScheduler(e *Engine, a Announcer, interval time.Duration, opts ...SchedulerOption) *Scheduler {
	if interval <= 0 {
		interval = 5 * time.Second
	}
	s := &Scheduler{engine: e, announce: a, interval: interval, batch: 100, log: e.log}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Tick closes every due poll (in batches) and announces those this call
// closed, and those whose owed announcement it took over from a process
// that died before making it; then it posts the reminders that are due
// (PostReminders). It returns how many polls it announced.
func (s *Scheduler) Tick(ctx context.Context) (int, error) {
	closed, err := s.closeDue(ctx)
	_, rerr := s.PostReminders(ctx)
	return closed, errors.Join(err, rerr)
}

// closeDue closes and announces due polls; see Tick.
func (s *Scheduler) closeDue(ctx context.Context) (int, error) {
	closed := 0
	for {
		won, err := s.engine.svc.CloseDue(ctx, s.batch)
		for _, p := range won {
			closed++
			s.log.Info("poll closed at deadline", "tenant", p.Tenant, "poll", p.ID)
			if s.announce != nil {
				s.announce.Announce(ctx, p, s.engine.ClosedAnnouncement(ctx, p))
			}
			if derr := s.engine.svc.AnnouncementDone(ctx, p.Key()); derr != nil {
				s.log.Warn("could not record a poll's announcement as made; it will be announced again", "tenant", p.Tenant, "poll", p.ID, "err", derr)
			}
		}
		if err != nil || len(won) < s.batch {
			return closed, err
		}
	}
}

// Run ticks at once and then every interval until ctx is done.
func (s *Scheduler) Run(ctx context.Context) error {
	// A tick under way when ctx ends may finish, for up to TickDrain: a
	// tick that has closed a poll gets to post its announcement and record
	// it made. Cancelling it with ctx would leave the announcement to
	// another tick only after its lease ran out (late), or post it twice
	// when the post went through but recording it did not.
	tickCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(TickDrain, cancel) })
	defer stop()
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		if _, err := s.Tick(tickCtx); err != nil && ctx.Err() == nil {
			s.log.Warn("deadline check failed; will retry", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// TickDrain bounds how long Run lets a deadline check under way go on
// after its context ends.
const TickDrain = 10 * time.Second
