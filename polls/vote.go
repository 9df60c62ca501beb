package polls

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Voter is who is voting: the tenant, the platform user id, and the group
// their platform roles map to (empty if none).
type Voter struct {
	Tenant    string
	User      string
	RoleGroup Group
	// Delivery, when not empty, identifies the request that carries this
	// vote (a signature, a click's action id, an interaction id). A vote
	// delivered twice, to any replica, is then applied once: the store
	// records it in the vote's own atomic step (see BallotStore).
	Delivery string
}

// CastResult is the outcome of a vote.
type CastResult struct {
	Poll     *Poll
	Ballot   Ballot  // the voter's ballot now; no choices if it was removed
	Previous *Ballot // the ballot it replaced, if any
	// Held is true when the voter has no group yet: the vote is kept and
	// applied when they pick one (SetGroup). Ballot is then empty.
	Held bool
	// Repeated is true when the vote's delivery was applied before:
	// nothing changed, and Ballot is the voter's ballot now.
	Repeated bool
	// Tally is the poll's tally as the vote left it, when the store read
	// it in the vote's atomic step (see BallotStore); nil otherwise, and
	// for a held vote.
	Tally *Tally
}

// openPoll returns a poll that is open by the service's clock and that
// this process may vote in, for the vote path: from the cache when it can
// (see openPolls), else from the store.
func (s *Service) openPoll(ctx context.Context, tenant, id string) (*Poll, error) {
	k := Key{Tenant: tenant, ID: NormalizeID(id)}
	now := s.now()
	if p := s.open.get(k, now); p != nil && s.checkOpen(p) == nil {
		return p, nil
	}
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		s.open.drop(k)
		return nil, err
	}
	if err := s.checkOpen(p); err != nil {
		s.open.drop(k)
		return nil, err
	}
	if err := s.CheckKey(p); err != nil {
		return nil, err
	}
	s.open.put(p.Key(), p, now)
	return p, nil
}

func (s *Service) checkOpen(p *Poll) error {
	switch {
	case p.Status == StatusCancelled:
		return fail(ErrCancelled, CodePollCancelled, Params{"Poll": p.ID})
	case p.Status == StatusClosed:
		return fail(ErrClosed, CodePollClosed, Params{"Poll": p.ID})
	case p.DeadlinePassed(s.now()):
		return fail(ErrPastDeadline, CodePollClosedAt, Params{"Poll": p.ID, "Deadline": p.ClosesAt})
	}
	return nil
}

// Resolve returns the voter's group by precedence: facilitator assignment,
// platform role mapping, self-declaration. ok is false if they have none.
func (s *Service) Resolve(ctx context.Context, v Voter) (g Group, src GroupSource, ok bool, err error) {
	m, err := s.store.Membership(ctx, v.Tenant, v.User)
	if err != nil {
		return "", "", false, err
	}
	s.members.put(memberKey{v.Tenant, v.User}, m, s.now())
	return s.resolve(m, v)
}

func (s *Service) resolve(m Membership, v Voter) (Group, GroupSource, bool, error) {
	switch {
	case m.Source == SourceAssigned && m.Group != "":
		return m.Group, SourceAssigned, true, nil
	case v.RoleGroup != "" && s.groups.Known(v.RoleGroup):
		return v.RoleGroup, SourceRole, true, nil
	case m.Group != "":
		return m.Group, m.Source, true, nil
	}
	return "", "", false, nil
}

// Cast replaces the voter's ballot with choices (0-based theme indexes).
// A voter without a group gets a held vote (CastResult.Held).
func (s *Service) Cast(ctx context.Context, v Voter, pollID string, choices []int) (CastResult, error) {
	p, err := s.openPoll(ctx, v.Tenant, pollID)
	if err != nil {
		return CastResult{}, err
	}
	choices, err = CheckBallot(p, choices)
	if err != nil {
		return CastResult{Poll: p}, err
	}
	return s.apply(ctx, p, v, HeldVote{Poll: p.ID, Choices: choices, Delivery: s.keys.delivery(v.Delivery)})
}

// Click is a click on a theme's button: in an approval poll it adds the
// theme to the voter's ballot or removes it; in a single-choice poll it
// casts that theme. Polls of other kinds are not voted by clicks on
// themes.
func (s *Service) Click(ctx context.Context, v Voter, pollID string, theme int) (CastResult, error) {
	p, err := s.openPoll(ctx, v.Tenant, pollID)
	if err != nil {
		return CastResult{}, err
	}
	if _, err := CheckBallot(p, []int{theme}); err != nil {
		return CastResult{Poll: p}, err
	}
	hv := HeldVote{Poll: p.ID, Delivery: s.keys.delivery(v.Delivery)}
	switch p.Kind.Click() {
	case ClickToggle:
		hv.Click, hv.Theme = true, theme
	case ClickChoose:
		hv.Choices = []int{theme}
	default:
		return CastResult{Poll: p}, fail(ErrVotingNotByClick, CodeNotByClick, Params{"Poll": p.ID, "Kind": p.Kind})
	}
	return s.apply(ctx, p, v, hv)
}

// apply casts a vote for v, or holds it while v has no group. A vote held
// just as another replica records the voter's group pick (and takes the
// held votes before this one was held) would be stranded; so after holding
// it, the group is read again, and if there is one now, the held votes are
// applied here.
//
// On a store that checks memberships (MembershipVoter) the vote is first
// tried without reading the voter's membership (see applyChecked); a
// vote to hold, or one whose check failed twice, takes the path below,
// which reads it.
func (s *Service) apply(ctx context.Context, p *Poll, v Voter, hv HeldVote) (CastResult, error) {
	if s.checked != nil {
		if res, done, err := s.applyChecked(ctx, p, v, hv); done {
			return res, err
		}
	}
	g, _, ok, err := s.Resolve(ctx, v)
	if err != nil {
		return CastResult{Poll: p}, err
	}
	if ok {
		return s.applyAs(ctx, p, v, hv, g, nil)
	}
	hv.At = s.stamp()
	holder := s.keys.holder(v.Tenant, v.User)
	if err := s.store.Hold(ctx, v.Tenant, holder, hv, s.holdTTL); err != nil {
		return CastResult{Poll: p}, fmt.Errorf("hold vote: %w", err)
	}
	g, _, ok, err = s.Resolve(ctx, v)
	if err != nil || !ok {
		return CastResult{Poll: p, Held: true}, nil
	}
	outcomes, err := s.applyHeld(ctx, v, g)
	if err != nil {
		return CastResult{Poll: p, Held: true}, nil
	}
	res := CastResult{Poll: p, Held: true}
	for _, o := range outcomes {
		if o.PollID == p.ID {
			res, err = o.Result, o.Err
		}
	}
	return res, err
}

// applyChecked casts a vote for v in the group resolved, by the usual
// precedence, from the membership this process last saw for v (none when
// it saw none), and has the store apply it only if that membership is
// still the stored one: the vote and its group then rest on what the
// store holds at the vote's own atomic step, as if it had been read
// first, and a change made through any replica decides the very next
// vote. When the store holds another membership, nothing was changed and
// the vote is tried once more with it. done is false, with nothing
// changed, when the membership gives no group (the vote is to be held:
// apply reads the membership, as the hold's race needs), changed again,
// or the store could not check it (ErrNotChecked).
func (s *Service) applyChecked(ctx context.Context, p *Poll, v Voter, hv HeldVote) (res CastResult, done bool, err error) {
	k := memberKey{v.Tenant, v.User}
	m := s.members.get(k, s.now())
	for range 2 {
		g, _, ok, _ := s.resolve(m, v)
		if !ok {
			return CastResult{}, false, nil
		}
		res, err = s.applyAs(ctx, p, v, hv, g, &MembershipCheck{User: v.User, Want: m})
		var changed *MembershipChanged
		if errors.Is(err, ErrNotChecked) {
			return CastResult{}, false, nil
		}
		if !errors.As(err, &changed) {
			return res, true, err
		}
		m = changed.Stored
		s.members.put(k, m, s.now())
	}
	return CastResult{}, false, nil
}

// applyAs casts a vote for v in group g; with check, only if the store's
// MembershipCheck holds (see applyChecked).
func (s *Service) applyAs(ctx context.Context, p *Poll, v Voter, hv HeldVote, g Group, check *MembershipCheck) (CastResult, error) {
	now := s.stamp()
	b := Ballot{Voter: s.voterKey(p, v.User), Group: g, CastAt: now}
	var (
		r   VoteResult
		err error
	)
	switch {
	case hv.Click:
		f := Flip{
			Choice: hv.Theme,
			Points: Points(p.Kind, len(p.Themes), []int{hv.Theme})[0],
			Max:    p.maxChoices(),
		}
		if check != nil {
			r, err = s.checked.ToggleIfMember(ctx, p.Tenant, p.ID, b, f, hv.Delivery, *check)
		} else {
			r, err = s.store.Toggle(ctx, p.Tenant, p.ID, b, f, hv.Delivery)
		}
	default:
		b.Choices, b.Points = hv.Choices, Points(p.Kind, len(p.Themes), hv.Choices)
		if check != nil {
			r, err = s.checked.CastIfMember(ctx, p.Tenant, p.ID, b, hv.Delivery, *check)
		} else {
			r, err = s.store.Cast(ctx, p.Tenant, p.ID, b, hv.Delivery)
		}
	}
	if err != nil {
		return CastResult{Poll: p}, storeErr(p, err)
	}
	res := CastResult{Poll: p, Previous: r.Prev, Repeated: r.Repeated, Ballot: Ballot{Voter: b.Voter, Group: g, CastAt: now}, Tally: r.Tally}
	if r.Ballot != nil {
		res.Ballot = *r.Ballot
	}
	return res, nil
}

// Retraction is what taking back a vote did.
type Retraction struct {
	Poll *Poll
	// Had is true when the voter had a ballot, now deleted.
	Had bool
	// Held is how many votes held for the voter's group pick in this
	// poll were dropped.
	Held int
	// Repeated is true when the request's delivery was applied before.
	Repeated bool
	// Tally is the poll's tally after the retraction, as CastResult.Tally.
	Tally *Tally
}

// Retract takes back the voter's vote in a poll: their ballot, and any
// votes held in the poll while they pick a group.
func (s *Service) Retract(ctx context.Context, v Voter, pollID string) (Retraction, error) {
	p, err := s.openPoll(ctx, v.Tenant, pollID)
	if err != nil {
		return Retraction{}, err
	}
	held, err := s.store.DropHeld(ctx, v.Tenant, s.keys.holder(v.Tenant, v.User), p.ID)
	if err != nil {
		return Retraction{Poll: p}, fmt.Errorf("drop held votes: %w", err)
	}
	r, err := s.store.Retract(ctx, p.Tenant, p.ID, s.voterKey(p, v.User), s.stamp(), s.keys.delivery(v.Delivery))
	if err != nil {
		return Retraction{Poll: p, Held: held}, storeErr(p, err)
	}
	return Retraction{Poll: p, Had: r.Prev != nil, Held: held, Repeated: r.Repeated, Tally: r.Tally}, nil
}

// MyBallot returns the voter's ballot in a poll, or ErrNoBallot.
func (s *Service) MyBallot(ctx context.Context, v Voter, pollID string) (*Poll, Ballot, error) {
	p, err := s.Poll(ctx, v.Tenant, pollID)
	if err != nil {
		return nil, Ballot{}, err
	}
	if err := s.CheckKey(p); err != nil {
		return p, Ballot{}, err
	}
	b, err := s.store.Ballot(ctx, p.Tenant, p.ID, s.voterKey(p, v.User))
	return p, b, err
}

// HeldOutcome is what became of a held vote once its voter had a group.
type HeldOutcome struct {
	PollID string
	// Anonymous is true when the vote was in an anonymous poll: whoever
	// is told about it on the voter's behalf (a facilitator assigning
	// their group) must not learn which poll.
	Anonymous bool
	Result    CastResult
	Err       error
}

// SetGroup records the voter's self-declared group and applies any votes
// held for them. A group assigned by a facilitator cannot be overridden
// (ErrGroupAssigned).
func (s *Service) SetGroup(ctx context.Context, v Voter, group string) (Group, []HeldOutcome, error) {
	g, err := s.groups.Lookup(group)
	if err != nil {
		return "", nil, err
	}
	m, err := s.store.Membership(ctx, v.Tenant, v.User)
	if err != nil {
		return "", nil, err
	}
	s.members.put(memberKey{v.Tenant, v.User}, m, s.now())
	if m.Source == SourceAssigned && m.Group != g {
		return m.Group, nil, fail(ErrGroupAssigned, CodeGroupAssigned, Params{"Group": m.Group})
	}
	if m.Source != SourceAssigned {
		m = Membership{Group: g, Source: SourceDeclared}
		if err := s.store.SetMembership(ctx, v.Tenant, v.User, m); err != nil {
			return "", nil, err
		}
		s.members.put(memberKey{v.Tenant, v.User}, m, s.now())
	}
	eff, _, _, _ := s.resolve(m, v)
	out, err := s.applyHeld(ctx, v, eff)
	return g, out, err
}

// Assign sets a user's group as a facilitator, overriding role mappings and
// self-declarations, and applies their held votes.
func (s *Service) Assign(ctx context.Context, tenant, user, group string) (Group, []HeldOutcome, error) {
	g, err := s.groups.Lookup(group)
	if err != nil {
		return "", nil, err
	}
	m := Membership{Group: g, Source: SourceAssigned}
	if err := s.store.SetMembership(ctx, tenant, user, m); err != nil {
		return "", nil, err
	}
	s.members.put(memberKey{tenant, user}, m, s.now())
	out, err := s.applyHeld(ctx, Voter{Tenant: tenant, User: user}, g)
	return g, out, err
}

// applyHeld takes the votes held for v and casts them, oldest first, in
// group g. Each is applied once: held votes keep their delivery.
func (s *Service) applyHeld(ctx context.Context, v Voter, g Group) ([]HeldOutcome, error) {
	held, err := s.store.TakeHeld(ctx, v.Tenant, s.keys.holder(v.Tenant, v.User))
	if err != nil {
		return nil, fmt.Errorf("take held votes: %w", err)
	}
	var out []HeldOutcome
	for _, hv := range held {
		o := HeldOutcome{PollID: hv.Poll}
		p, err := s.openPoll(ctx, v.Tenant, hv.Poll)
		if err == nil {
			o.Anonymous = p.Anonymous
			o.Result, err = s.applyAs(ctx, p, v, hv, g, nil)
		} else if p, perr := s.store.Poll(ctx, v.Tenant, hv.Poll); perr == nil {
			o.Anonymous = p.Anonymous
		} else {
			o.Anonymous = true // unknown: say nothing of it
		}
		o.Err = err
		out = append(out, o)
	}
	return out, nil
}

// HoldTTL is how long votes are held for a group pick.
func (s *Service) HoldTTL() time.Duration { return s.holdTTL }
