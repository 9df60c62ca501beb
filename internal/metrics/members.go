package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/pollbot/pollbot/polls"
)

var _ polls.MembershipVoter = (*Store)(nil)

// ChecksMembership passes through to the wrapped store: false when it is
// no polls.MembershipVoter.
func (s *Store) ChecksMembership() bool {
	mv, ok := s.Store.(polls.MembershipVoter)
	return ok && mv.ChecksMembership()
}

// CastIfMember times a cast with a membership check, as "cast".
func (s *Store) CastIfMember(ctx context.Context, tenant, id string, b polls.Ballot, delivery string, m polls.MembershipCheck) (r polls.VoteResult, err error) {
	mv, err := s.membershipVoter()
	if err != nil {
		return r, err
	}
	defer func(t time.Time) { s.done("cast", t, err) }(time.Now())
	return mv.CastIfMember(ctx, tenant, id, b, delivery, m)
}

// ToggleIfMember times a toggle with a membership check, as "toggle".
func (s *Store) ToggleIfMember(ctx context.Context, tenant, id string, b polls.Ballot, f polls.Flip, delivery string, m polls.MembershipCheck) (r polls.VoteResult, err error) {
	mv, err := s.membershipVoter()
	if err != nil {
		return r, err
	}
	defer func(t time.Time) { s.done("toggle", t, err) }(time.Now())
	return mv.ToggleIfMember(ctx, tenant, id, b, f, delivery, m)
}

func (s *Store) membershipVoter() (polls.MembershipVoter, error) {
	mv, ok := s.Store.(polls.MembershipVoter)
	if !ok {
		return nil, fmt.Errorf("vote with a membership check: the store cannot: %w", errors.ErrUnsupported)
	}
	return mv, nil
}
