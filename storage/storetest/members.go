package storetest

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/pollbot/pollbot/polls"
)

// membershipVoter returns s as a polls.MembershipVoter that checks
// memberships, or skips the test.
func membershipVoter(t *testing.T, s polls.Store) polls.MembershipVoter {
	t.Helper()
	mv, ok := s.(polls.MembershipVoter)
	if !ok || !mv.ChecksMembership() {
		t.Skip("the store does not check memberships in a vote")
	}
	return mv
}

// testMembershipVote: a store that checks memberships in a vote
// (polls.MembershipVoter) applies it only when the stored membership is
// the expected one (zero: none stored); otherwise it changes nothing, does
// not record the delivery, and reports the stored membership. A delivery
// applied before is Repeated whatever the membership.
func testMembershipVote(t *testing.T, e *env) {
	s, tn := e.store(t)
	mv := membershipVoter(t, s)
	ctx := polls.WithVoteTally(t.Context())
	p := newPoll(tn, "MBRV", polls.Approval, themes(3)...)
	create(t, s, p)
	declared := polls.Membership{Group: civil, Source: polls.SourceDeclared}
	assigned := polls.Membership{Group: tech, Source: polls.SourceAssigned}
	check := func(user string, want polls.Membership) polls.MembershipCheck {
		return polls.MembershipCheck{User: user, Want: want}
	}
	mustChanged := func(op string, err error, stored polls.Membership) {
		t.Helper()
		var ch *polls.MembershipChanged
		if !errors.As(err, &ch) {
			t.Fatalf("%s: %v, want *polls.MembershipChanged", op, err)
		}
		if ch.Stored != stored {
			t.Fatalf("%s: stored membership reported %+v, want %+v", op, ch.Stored, stored)
		}
	}

	// No membership stored: the zero one matches, any other does not.
	r, err := mv.CastIfMember(ctx, tn, p.ID, ballot("U1", acad, 0), "mv-1", check("U1", polls.Membership{}))
	must(t, "CastIfMember with none stored, none expected", err)
	if r.Ballot == nil || r.Ballot.Group != acad || r.Tally == nil || r.Tally.Version != 1 {
		t.Fatalf("CastIfMember with none stored: %+v", r)
	}
	_, err = mv.CastIfMember(ctx, tn, p.ID, ballot("U1", civil, 1), "mv-2", check("U1", declared))
	mustChanged("CastIfMember expecting a membership where none is stored", err, polls.Membership{})

	// A stored membership: only that one matches.
	must(t, "SetMembership", s.SetMembership(ctx, tn, "U1", declared))
	_, err = mv.ToggleIfMember(ctx, tn, p.ID, ballot("U1", acad), flip(1, 0), "mv-3", check("U1", polls.Membership{}))
	mustChanged("ToggleIfMember expecting none", err, declared)
	_, err = mv.ToggleIfMember(ctx, tn, p.ID, ballot("U1", tech), flip(1, 0), "mv-3", check("U1", assigned))
	mustChanged("ToggleIfMember expecting another", err, declared)
	mustTally(t, "after refused votes", s, p.Key(), tallyOf(3, map[polls.Group]counts{acad: {1, []int64{1, 0, 0}}}))
	if tl, err := s.Tally(ctx, tn, p.ID); err != nil || tl.Version != 1 {
		t.Fatalf("tally version after refused votes: %d, %v; want 1", tl.Version, err)
	}
	// The refused delivery was not recorded: the same one now applies.
	r, err = mv.ToggleIfMember(ctx, tn, p.ID, ballot("U1", civil), flip(1, 0), "mv-3", check("U1", declared))
	must(t, "ToggleIfMember expecting the stored one", err)
	if r.Repeated || r.Ballot == nil || r.Ballot.Group != civil || !slices.Equal(r.Ballot.Choices, []int{0, 1}) {
		t.Fatalf("ToggleIfMember expecting the stored one: %+v", r)
	}
	mustTally(t, "after the toggle", s, p.Key(), tallyOf(3, map[polls.Group]counts{civil: {1, []int64{1, 1, 0}}}))

	// A repeat is a repeat, whatever the membership.
	must(t, "SetMembership", s.SetMembership(ctx, tn, "U1", assigned))
	r, err = mv.ToggleIfMember(ctx, tn, p.ID, ballot("U1", civil), flip(1, 0), "mv-3", check("U1", declared))
	must(t, "ToggleIfMember repeated", err)
	if !r.Repeated || r.Ballot == nil || !slices.Equal(r.Ballot.Choices, []int{0, 1}) {
		t.Fatalf("ToggleIfMember repeated: %+v, want Repeated with choices [0 1]", r)
	}
	// Memberships are per user and per tenant.
	_, err = mv.CastIfMember(ctx, tn, p.ID, ballot("U2", gov, 2), "", check("U2", assigned))
	mustChanged("CastIfMember for another user", err, polls.Membership{})
	r, err = mv.CastIfMember(ctx, tn, p.ID, ballot("U1", tech, 2), "", check("U1", assigned))
	must(t, "CastIfMember after the assignment", err)
	if r.Prev == nil || r.Prev.Group != civil || r.Ballot == nil || r.Ballot.Group != tech {
		t.Fatalf("CastIfMember after the assignment: %+v", r)
	}
	// The poll's own checks still apply, after the membership's.
	_, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusClosed, now())
	must(t, "ClosePoll", err)
	_, err = mv.CastIfMember(ctx, tn, p.ID, ballot("U1", tech, 0), "", check("U1", assigned))
	mustIs(t, "CastIfMember on a closed poll", err, polls.ErrClosed)
}

// passChecks wraps a store and passes its membership check through
// (polls.MembershipVoter), which a plain wrapper of polls.Store hides, so
// that a service over the wrapper votes as it would over the store.
type passChecks struct{ polls.Store }

func (c passChecks) ChecksMembership() bool {
	mv, ok := c.Store.(polls.MembershipVoter)
	return ok && mv.ChecksMembership()
}

func (c passChecks) CastIfMember(ctx context.Context, tenant, id string, b polls.Ballot, delivery string, m polls.MembershipCheck) (polls.VoteResult, error) {
	return c.Store.(polls.MembershipVoter).CastIfMember(ctx, tenant, id, b, delivery, m)
}

func (c passChecks) ToggleIfMember(ctx context.Context, tenant, id string, b polls.Ballot, f polls.Flip, delivery string, m polls.MembershipCheck) (polls.VoteResult, error) {
	return c.Store.(polls.MembershipVoter).ToggleIfMember(ctx, tenant, id, b, f, delivery, m)
}

// memberCounter counts the memberships a service reads.
type memberCounter struct {
	passChecks
	reads atomic.Int64
}

func (c *memberCounter) Membership(ctx context.Context, tenant, user string) (polls.Membership, error) {
	c.reads.Add(1)
	return c.Store.Membership(ctx, tenant, user)
}

// testGroupChangeReplicas: a change of a voter's group made through replica
// B — a facilitator's assignment, a new self-declared group — decides the
// very next vote applied through replica A, which voted for them before
// (and, on a store that checks memberships, remembers their membership),
// and the tally moves the ballot; so does a change of the role the request
// carries. On a store that checks memberships, A's votes after the first
// read no membership of their own.
func testGroupChangeReplicas(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	mc := &memberCounter{passChecks: passChecks{s}}
	a := polls.NewService(mc, polls.WithIDs(sequentialIDs("GA")))
	b := polls.NewService(s, polls.WithIDs(sequentialIDs("GB")))
	p, err := a.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Groups", Themes: themes(4), Creator: "U-FAC"})
	must(t, "Open", err)
	checks := mc.ChecksMembership()
	voter := func(u string, role polls.Group) polls.Voter { return polls.Voter{Tenant: tn, User: u, RoleGroup: role} }
	click := func(v polls.Voter, theme int, wantGroup polls.Group, want ...int) {
		t.Helper()
		r, err := a.Click(ctx, v, p.ID, theme)
		must(t, "Click on A", err)
		if r.Held || r.Ballot.Group != wantGroup || !slices.Equal(r.Ballot.Choices, want) {
			t.Fatalf("Click(%s, %d) on A: held %v, ballot %s %v; want %s %v", v.User, theme, r.Held, r.Ballot.Group, r.Ballot.Choices, wantGroup, want)
		}
		stored, err := s.Ballot(ctx, tn, p.ID, v.User)
		must(t, "Ballot", err)
		if stored.Group != wantGroup || !slices.Equal(stored.Choices, want) {
			t.Fatalf("stored ballot of %s: %s %v; want %s %v", v.User, stored.Group, stored.Choices, wantGroup, want)
		}
	}
	steady := func(v polls.Voter, theme int, wantGroup polls.Group, want ...int) {
		t.Helper()
		before := mc.reads.Load()
		click(v, theme, wantGroup, want...)
		if got := mc.reads.Load() - before; checks && got != 0 {
			t.Errorf("a click on A with its group unchanged read the membership %d times, want none", got)
		}
	}

	// A facilitator's assignment through B.
	_, _, err = b.SetGroup(ctx, voter("u1", ""), "government")
	must(t, "SetGroup u1 on B", err)
	click(voter("u1", ""), 0, gov, 0)
	steady(voter("u1", ""), 1, gov, 0, 1)
	_, _, err = b.Assign(ctx, tn, "u1", "technical-community")
	must(t, "Assign u1 on B", err)
	click(voter("u1", ""), 2, tech, 0, 1, 2)
	steady(voter("u1", ""), 2, tech, 0, 1)

	// A new self-declared group through B.
	_, _, err = b.SetGroup(ctx, voter("u2", ""), "government")
	must(t, "SetGroup u2 on B", err)
	click(voter("u2", ""), 3, gov, 3)
	steady(voter("u2", ""), 0, gov, 0, 3)
	_, _, err = b.SetGroup(ctx, voter("u2", ""), "civil-society")
	must(t, "SetGroup u2 again on B", err)
	click(voter("u2", ""), 1, civil, 0, 1, 3)
	mustTally(t, "after the changes through B", s, p.Key(), tallyOf(4, map[polls.Group]counts{
		tech:  {1, []int64{1, 1, 0, 0}},
		civil: {1, []int64{1, 1, 0, 1}},
	}))

	// The role the request carries beats a self-declared group, and an
	// assigned one beats the role: nothing changes in the store.
	steady(voter("u2", acad), 2, acad, 0, 1, 2, 3)
	steady(voter("u2", ""), 2, civil, 0, 1, 3)
	steady(voter("u1", acad), 3, tech, 0, 1, 3)
	// A voter with a role and no stored group votes at once.
	click(voter("u3", priv), 0, priv, 0)
	steady(voter("u3", priv), 1, priv, 0, 1)
	// And once B records a group for them, the role still decides; once B
	// assigns one, that does.
	_, _, err = b.SetGroup(ctx, voter("u3", ""), "government")
	must(t, "SetGroup u3 on B", err)
	click(voter("u3", priv), 2, priv, 0, 1, 2)
	_, _, err = b.Assign(ctx, tn, "u3", "intergovernmental")
	must(t, "Assign u3 on B", err)
	click(voter("u3", priv), 2, igo, 0, 1)
	mustTally(t, "after the role changes", s, p.Key(), tallyOf(4, map[polls.Group]counts{
		tech:  {1, []int64{1, 1, 0, 1}},
		civil: {1, []int64{1, 1, 0, 1}},
		igo:   {1, []int64{1, 1, 0, 0}},
	}))

	// A voter without a group is held, and applied at their pick on B.
	r, err := a.Click(ctx, voter("u4", ""), p.ID, 3)
	must(t, "Click u4 without a group", err)
	if !r.Held {
		t.Fatal("Click u4 without a group: not held")
	}
	_, out, err := b.SetGroup(ctx, voter("u4", ""), "academia")
	must(t, "SetGroup u4 on B", err)
	if len(out) != 1 || out[0].Err != nil {
		t.Fatalf("SetGroup u4 applied %+v, want the held vote", out)
	}
	click(voter("u4", ""), 0, acad, 0, 3)
	steady(voter("u4", ""), 1, acad, 0, 1, 3)
}
