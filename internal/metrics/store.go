package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// Store is a polls.Store that times every operation of the store it wraps
// (pollbot_store_duration_seconds) and counts the failures that are not the
// domain's answers (pollbot_store_errors_total). It passes Ping,
// OpenPolls, the audit log, watches and votes with a membership check
// (polls.MembershipVoter) through.
type Store struct {
	polls.Store
	m *Metrics
}

var (
	_ polls.Store       = (*Store)(nil)
	_ polls.Pinger      = (*Store)(nil)
	_ polls.OpenCounter = (*Store)(nil)
)

// WrapStore returns s measured by m.
func (m *Metrics) WrapStore(s polls.Store) *Store { return &Store{Store: s, m: m} }

// Unwrap returns the wrapped store.
func (s *Store) Unwrap() polls.Store { return s.Store }

// domainErrs are answers, not failures: a vote on a closed poll is the
// store working.
var domainErrs = []error{
	polls.ErrNotFound, polls.ErrExists, polls.ErrClosed, polls.ErrCancelled, polls.ErrPastDeadline,
	polls.ErrNotOpen, polls.ErrNoBallot, polls.ErrTooManyChoices,
	polls.ErrInvalidOption, polls.ErrUnknownTheme,
}

func (s *Store) done(op string, start time.Time, err error) {
	s.m.store.WithLabelValues(op).Observe(time.Since(start).Seconds())
	if err == nil {
		return
	}
	for _, d := range domainErrs {
		if errors.Is(err, d) {
			return
		}
	}
	if _, ok := errors.AsType[*polls.MembershipChanged](err); ok {
		return // the check's answer: the service tries again
	}
	s.m.storeErr.WithLabelValues(op).Inc()
}

func (s *Store) CreatePoll(ctx context.Context, p *polls.Poll) (err error) {
	defer func(t time.Time) { s.done("create_poll", t, err) }(time.Now())
	return s.Store.CreatePoll(ctx, p)
}

func (s *Store) Poll(ctx context.Context, tenant, id string) (p *polls.Poll, err error) {
	defer func(t time.Time) { s.done("poll", t, err) }(time.Now())
	return s.Store.Poll(ctx, tenant, id)
}

func (s *Store) Polls(ctx context.Context, tenant string, q polls.PollQuery) (page polls.PollPage, err error) {
	defer func(t time.Time) { s.done("polls", t, err) }(time.Now())
	return s.Store.Polls(ctx, tenant, q)
}

func (s *Store) CountOpen(ctx context.Context, tenant string) (n int, err error) {
	defer func(t time.Time) { s.done("count_open", t, err) }(time.Now())
	return s.Store.CountOpen(ctx, tenant)
}

func (s *Store) ClosePoll(ctx context.Context, tenant, id string, to polls.Status, at time.Time) (changed bool, err error) {
	defer func(t time.Time) { s.done("close_poll", t, err) }(time.Now())
	return s.Store.ClosePoll(ctx, tenant, id, to, at)
}

func (s *Store) CloseAtDeadline(ctx context.Context, tenant, id string, at, leaseUntil time.Time) (changed bool, err error) {
	defer func(t time.Time) { s.done("close_at_deadline", t, err) }(time.Now())
	return s.Store.CloseAtDeadline(ctx, tenant, id, at, leaseUntil)
}

func (s *Store) ClaimAnnouncement(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (won bool, err error) {
	defer func(t time.Time) { s.done("claim_announcement", t, err) }(time.Now())
	return s.Store.ClaimAnnouncement(ctx, tenant, id, now, leaseUntil)
}

func (s *Store) AnnouncementDone(ctx context.Context, tenant, id string) (err error) {
	defer func(t time.Time) { s.done("announcement_done", t, err) }(time.Now())
	return s.Store.AnnouncementDone(ctx, tenant, id)
}

func (s *Store) Reopen(ctx context.Context, tenant, id string, closesAt time.Time) (changed bool, err error) {
	defer func(t time.Time) { s.done("reopen", t, err) }(time.Now())
	return s.Store.Reopen(ctx, tenant, id, closesAt)
}

func (s *Store) SetDeadline(ctx context.Context, tenant, id string, closesAt time.Time) (err error) {
	defer func(t time.Time) { s.done("set_deadline", t, err) }(time.Now())
	return s.Store.SetDeadline(ctx, tenant, id, closesAt)
}

func (s *Store) SetMessage(ctx context.Context, tenant, id string, ref polls.MessageRef) (err error) {
	defer func(t time.Time) { s.done("set_message", t, err) }(time.Now())
	return s.Store.SetMessage(ctx, tenant, id, ref)
}

func (s *Store) DueDeadlines(ctx context.Context, before time.Time, limit int) (out []polls.Key, err error) {
	defer func(t time.Time) { s.done("due_deadlines", t, err) }(time.Now())
	return s.Store.DueDeadlines(ctx, before, limit)
}

func (s *Store) Cast(ctx context.Context, tenant, id string, b polls.Ballot, delivery string) (r polls.VoteResult, err error) {
	defer func(t time.Time) { s.done("cast", t, err) }(time.Now())
	return s.Store.Cast(ctx, tenant, id, b, delivery)
}

func (s *Store) Toggle(ctx context.Context, tenant, id string, b polls.Ballot, f polls.Flip, delivery string) (r polls.VoteResult, err error) {
	defer func(t time.Time) { s.done("toggle", t, err) }(time.Now())
	return s.Store.Toggle(ctx, tenant, id, b, f, delivery)
}

func (s *Store) Retract(ctx context.Context, tenant, id, voter string, at time.Time, delivery string) (r polls.VoteResult, err error) {
	defer func(t time.Time) { s.done("retract", t, err) }(time.Now())
	return s.Store.Retract(ctx, tenant, id, voter, at, delivery)
}

func (s *Store) Ballot(ctx context.Context, tenant, id, voter string) (b polls.Ballot, err error) {
	defer func(t time.Time) { s.done("ballot", t, err) }(time.Now())
	return s.Store.Ballot(ctx, tenant, id, voter)
}

func (s *Store) Ballots(ctx context.Context, tenant, id string, fn func(polls.Ballot) error) (err error) {
	defer func(t time.Time) { s.done("ballots", t, err) }(time.Now())
	return s.Store.Ballots(ctx, tenant, id, fn)
}

func (s *Store) Tally(ctx context.Context, tenant, id string) (t polls.Tally, err error) {
	defer func(start time.Time) { s.done("tally", start, err) }(time.Now())
	return s.Store.Tally(ctx, tenant, id)
}

func (s *Store) Tallies(ctx context.Context, tenant string, ids []string) (ts []polls.Tally, err error) {
	defer func(start time.Time) { s.done("tallies", start, err) }(time.Now())
	return s.Store.Tallies(ctx, tenant, ids)
}

func (s *Store) Membership(ctx context.Context, tenant, user string) (m polls.Membership, err error) {
	defer func(t time.Time) { s.done("membership", t, err) }(time.Now())
	return s.Store.Membership(ctx, tenant, user)
}

func (s *Store) SetMembership(ctx context.Context, tenant, user string, m polls.Membership) (err error) {
	defer func(t time.Time) { s.done("set_membership", t, err) }(time.Now())
	return s.Store.SetMembership(ctx, tenant, user, m)
}

func (s *Store) Hold(ctx context.Context, tenant, holder string, v polls.HeldVote, ttl time.Duration) (err error) {
	defer func(t time.Time) { s.done("hold", t, err) }(time.Now())
	return s.Store.Hold(ctx, tenant, holder, v, ttl)
}

func (s *Store) TakeHeld(ctx context.Context, tenant, holder string) (out []polls.HeldVote, err error) {
	defer func(t time.Time) { s.done("take_held", t, err) }(time.Now())
	return s.Store.TakeHeld(ctx, tenant, holder)
}

func (s *Store) DropHeld(ctx context.Context, tenant, holder, poll string) (n int, err error) {
	defer func(t time.Time) { s.done("drop_held", t, err) }(time.Now())
	return s.Store.DropHeld(ctx, tenant, holder, poll)
}

func (s *Store) HeldCount(ctx context.Context, tenant, poll string) (n int, err error) {
	defer func(t time.Time) { s.done("held_count", t, err) }(time.Now())
	return s.Store.HeldCount(ctx, tenant, poll)
}

func (s *Store) RecordDelivery(ctx context.Context, tenant, key string) (first bool, err error) {
	defer func(t time.Time) { s.done("record_delivery", t, err) }(time.Now())
	return s.Store.RecordDelivery(ctx, tenant, key)
}

func (s *Store) Allow(ctx context.Context, tenant, key string, limit int, window time.Duration) (ok bool, err error) {
	defer func(t time.Time) { s.done("allow", t, err) }(time.Now())
	return s.Store.Allow(ctx, tenant, key, limit, window)
}

// Ping passes through to the wrapped store; one that cannot ping is
// always reachable (an open embedded file).
func (s *Store) Ping(ctx context.Context) (err error) {
	p, ok := s.Store.(polls.Pinger)
	if !ok {
		return nil
	}
	defer func(t time.Time) { s.done("ping", t, err) }(time.Now())
	return p.Ping(ctx)
}

// OpenPolls passes through to the wrapped store.
func (s *Store) OpenPolls(ctx context.Context) (n int64, err error) {
	oc, ok := s.Store.(polls.OpenCounter)
	if !ok {
		return 0, errors.ErrUnsupported
	}
	defer func(t time.Time) { s.done("open_polls", t, err) }(time.Now())
	return oc.OpenPolls(ctx)
}
