package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// clock is an injectable clock that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// sequentialIDs returns poll ids prefix01, prefix02, ...
func sequentialIDs(prefix string) func() string {
	var n atomic.Int64
	return func() string { return fmt.Sprintf("%s%02d", prefix, n.Add(1)) }
}

// testPersistence: polls, ballots, the tally, memberships, held votes and
// the deadline index survive a restart (Harness.Reopen), and the reopened
// store takes votes.
func testPersistence(t *testing.T, e *env) {
	if e.h.Reopen == nil {
		t.Skip("Harness.Reopen is nil")
	}
	s, tn := e.store(t)
	ctx := t.Context()

	a := newPoll(tn, "KEEP", polls.Approval, themes(3)...)
	a.ClosesAt = now().Add(time.Hour)
	a.Options = polls.Options{Anonymous: true, Results: polls.ResultsHidden, Quorum: 2, Threshold: 0.75, MaxChoices: 2}
	create(t, s, a)
	b := newPoll(tn, "DONE", polls.Ranked, themes(3)...)
	b.OpenedAt = a.OpenedAt.Add(time.Millisecond)
	create(t, s, b)

	ma, mb := newModel(a), newModel(b)
	ma.cast(t, s, ballot("v1", gov, 0, 2))
	ma.cast(t, s, ballot("v2", civil, 1))
	ma.toggle(t, s, ballot("v3", acad), 2, 2)
	mb.cast(t, s, ballot("v1", gov, 2, 0, 1))
	mb.cast(t, s, ballot("v2", tech, 1))
	ref := polls.MessageRef{Platform: "slack", Channel: "C1", Message: "1712345678.000100"}
	must(t, "SetMessage", s.SetMessage(ctx, tn, a.ID, ref))
	a.Messages = []polls.MessageRef{ref}
	closedAt := now()
	ok, err := s.ClosePoll(ctx, tn, b.ID, polls.StatusClosed, closedAt)
	mustChanged(t, "Close(DONE)", ok, err, true)
	b.Status, b.ClosedAt = polls.StatusClosed, closedAt
	member := polls.Membership{Group: civil, Source: polls.SourceAssigned}
	must(t, "SetMembership", s.SetMembership(ctx, tn, "U1", member))
	held := polls.HeldVote{Poll: a.ID, Choices: []int{1}, At: now()}
	must(t, "Hold", s.Hold(ctx, tn, "h1", held, time.Hour))

	s = e.h.Reopen(t, s)
	cancelAtEnd(t, s, a.Key()) // the first instance may be closed by then

	mustPoll(t, "Poll(KEEP) after reopening", getPoll(t, s, a.Key()), a)
	mustPoll(t, "Poll(DONE) after reopening", getPoll(t, s, b.Key()), b)
	page, err := s.Polls(ctx, tn, polls.PollQuery{})
	must(t, "Polls after reopening", err)
	if len(page.Polls) != 2 || page.Polls[0].ID != b.ID || page.Polls[1].ID != a.ID {
		t.Fatalf("Polls after reopening: %d polls, want DONE, KEEP", len(page.Polls))
	}
	ma.check(t, "KEEP after reopening", s)
	mb.check(t, "DONE after reopening", s)
	got, err := s.Membership(ctx, tn, "U1")
	must(t, "Membership after reopening", err)
	if got != member {
		t.Fatalf("Membership after reopening: %+v, want %+v", got, member)
	}
	hv, err := s.TakeHeld(ctx, tn, "h1")
	must(t, "TakeHeld after reopening", err)
	mustHeld(t, "TakeHeld after reopening", hv, held)
	due, err := s.DueDeadlines(ctx, a.ClosesAt, 100_000)
	must(t, "DueDeadlines after reopening", err)
	if got := ours(due, tn); !slices.Equal(got, []string{a.ID}) {
		t.Fatalf("DueDeadlines after reopening: %v, want [%s]", got, a.ID)
	}

	ma.cast(t, s, ballot("v4", tech, 0, 1))
	ma.check(t, "KEEP after a cast on the reopened store", s)
}

// testServiceEndToEnd drives polls.Service over the store: a vote cast
// before the voter has a group is held in the store and applied when they
// pick one; closing is reported once; the report's numbers come out of the
// store's tally exactly.
func testServiceEndToEnd(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	clk := &clock{t: now()} // the store checks deadlines by its own, real clock
	svc := polls.NewService(s, polls.WithClock(clk.now), polls.WithIDs(sequentialIDs("E")), polls.WithHoldTTL(time.Hour))

	p, err := svc.Open(ctx, polls.OpenRequest{
		Tenant: tn, Title: "Next year's themes", Themes: []string{"Access", "Security", "Governance"},
		Creator: "U-FAC", Channel: "C1", ClosesAt: clk.now().Add(24 * time.Hour),
		Options: polls.Options{Quorum: 2},
	})
	must(t, "Open", err)
	cancelAtEnd(t, s, p.Key())
	voter := func(user string) polls.Voter { return polls.Voter{Tenant: tn, User: user} }
	for user, g := range map[string]string{"g1": "government", "g2": "government", "g3": "gov", "c1": "civil-society", "c2": "Civil society"} {
		_, held, err := svc.SetGroup(ctx, voter(user), g)
		must(t, "SetGroup("+user+")", err)
		if len(held) != 0 {
			t.Fatalf("SetGroup(%s): %d held votes applied, want none", user, len(held))
		}
	}
	cast := func(user string, choices ...int) polls.CastResult {
		t.Helper()
		clk.set(clk.now().Add(time.Second))
		r, err := svc.Cast(ctx, voter(user), p.ID, choices)
		must(t, fmt.Sprintf("Cast(%s %v)", user, choices), err)
		return r
	}
	cast("g1", 0, 1)
	cast("g2", 0)
	cast("g3", 2, 0)
	cast("c1", 1, 0)
	cast("c2", 1)

	r := cast("newbie", 2)
	if !r.Held || len(r.Ballot.Choices) != 0 {
		t.Fatalf("Cast(newbie without a group) = held %v, ballot %+v; want a held vote", r.Held, r.Ballot)
	}
	_, err = s.Ballot(ctx, tn, p.ID, "newbie")
	mustIs(t, "Ballot(newbie) while held", err, polls.ErrNoBallot)
	g, outcomes, err := svc.SetGroup(ctx, voter("newbie"), "academia")
	must(t, "SetGroup(newbie)", err)
	if g != acad || len(outcomes) != 1 || outcomes[0].Err != nil || outcomes[0].PollID != p.ID {
		t.Fatalf("SetGroup(newbie) = %s, %+v; want academia and the held vote applied", g, outcomes)
	}
	nb, err := s.Ballot(ctx, tn, p.ID, "newbie")
	must(t, "Ballot(newbie) after SetGroup", err)
	if nb.Group != acad || !slices.Equal(nb.Choices, []int{2}) {
		t.Fatalf("Ballot(newbie) = %+v, want academia choosing theme 2", nb)
	}

	tr, err := svc.Click(ctx, voter("g2"), p.ID, 1)
	must(t, "Click(g2, 1)", err)
	if !slices.Equal(tr.Ballot.Choices, []int{0, 1}) {
		t.Fatalf("Toggle(g2, 1): choices %v, want [0 1]", tr.Ballot.Choices)
	}
	rt, err := svc.Retract(ctx, voter("c2"), p.ID)
	mustChanged(t, "Retract(c2)", rt.Had, err, true)
	cast("c2", 2, 1)

	changed, closed, err := svc.Close(ctx, tn, p.ID)
	mustChanged(t, "Close", changed, err, true)
	if closed.Status != polls.StatusClosed || closed.ClosedAt.IsZero() {
		t.Fatalf("Close: poll %s closed at %s", closed.Status, closed.ClosedAt)
	}
	changed, _, err = svc.Close(ctx, tn, p.ID)
	mustChanged(t, "Close again", changed, err, false)
	_, err = svc.Cast(ctx, voter("g1"), p.ID, []int{2})
	mustIs(t, "Cast after Close", err, polls.ErrClosed)

	_, rep, err := svc.Report(ctx, tn, p.ID)
	must(t, "Report", err)
	if rep.Ballots != 6 {
		t.Fatalf("Report: %d ballots, want 6", rep.Ballots)
	}
	wantTurnout := []polls.GroupTurnout{{Group: gov, Ballots: 3, Qualifies: true}, {Group: civil, Ballots: 2, Qualifies: true}, {Group: acad, Ballots: 1, Needed: 1}}
	if !slices.Equal(rep.Groups, wantTurnout) {
		t.Fatalf("Report: turnout %+v, want %+v", rep.Groups, wantTurnout)
	}
	// supporters per theme and group: government (3), civil society (2),
	// academia (1).
	want := [][]float64{{3, 1, 0}, {2, 2, 0}, {1, 1, 1}}
	for i, row := range want {
		th, ok := rep.Theme(i)
		if !ok {
			t.Fatalf("Report: no theme %d", i)
		}
		for j, gs := range th.Groups {
			n := wantTurnout[j].Ballots
			if gs.Group != wantTurnout[j].Group || gs.Supporters != row[j] || gs.Ballots != n || math.Abs(gs.Support-row[j]/float64(n)) > 1e-12 {
				t.Fatalf("Report: theme %q group %d: %+v, want %s with %g of %d", th.Theme, j, gs, wantTurnout[j].Group, row[j], n)
			}
		}
	}
}

// testKey is a pseudonym key of the length deployments must use.
var testKey = []byte("storetest pseudonym key, 32 bytes or more")

// testAnonymous: in an anonymous poll the store never holds the voter's
// user id (ballots, held votes, deliveries, tally, audit log, poll), only a
// pseudonym of the voter in that poll; the voter can still change and
// retract their ballot. (Memberships are kept per user id: they are
// tenant-wide, not per poll.)
func testAnonymous(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	key := testKey
	svc := polls.NewService(s, polls.WithPseudonymKey(key), polls.WithIDs(sequentialIDs("N")))
	p, err := svc.Open(ctx, polls.OpenRequest{
		Tenant: tn, Title: "Anonymous", Themes: themes(3), Creator: "U-FAC",
		Options: polls.Options{Anonymous: true},
	})
	must(t, "Open", err)
	const secret, shy = "U-SECRET-42", "U-SECRET-43"
	me := polls.Voter{Tenant: tn, User: secret}
	pseudonym := polls.Pseudonym(key, tn, p.ID, secret)

	_, _, err = svc.SetGroup(ctx, me, "civil-society")
	must(t, "SetGroup", err)
	r, err := svc.Cast(ctx, me, p.ID, []int{0, 2})
	must(t, "Cast", err)
	if r.Ballot.Voter != pseudonym {
		t.Fatalf("Cast: ballot voter %q, want the pseudonym %q", r.Ballot.Voter, pseudonym)
	}
	me.Delivery = "slack:act:T1:" + secret + ":1712345678.1:pollbot:vote:" + p.ID + ":2"
	_, err = svc.Click(ctx, me, p.ID, 1)
	must(t, "Click", err)
	me.Delivery = ""
	_, b, err := svc.MyBallot(ctx, me, p.ID)
	must(t, "MyBallot", err)
	if !slices.Equal(b.Choices, []int{0, 1, 2}) {
		t.Fatalf("MyBallot: choices %v, want [0 1 2]", b.Choices)
	}

	// A vote held while its voter picks a group is kept under a pseudonym
	// too.
	r, err = svc.Click(ctx, polls.Voter{Tenant: tn, User: shy, Delivery: "slack:act:T1:" + shy + ":1712345679.1"}, p.ID, 2)
	must(t, "Click(voter without a group)", err)
	if !r.Held {
		t.Fatal("Click(voter without a group): not held")
	}
	for _, h := range []string{shy, "u-" + shy, polls.Pseudonym(key, tn, p.ID, shy)} {
		if n, err := s.HeldCount(ctx, tn, p.ID); err != nil || n != 1 {
			t.Fatalf("HeldCount = %d, %v; want the held vote", n, err)
		}
		hv, err := s.TakeHeld(ctx, tn, h)
		must(t, "TakeHeld("+h+")", err)
		if len(hv) != 0 {
			t.Fatalf("TakeHeld(%s): %+v; held votes must be kept under a key of their own", h, hv)
		}
	}
	_, applied, err := svc.SetGroup(ctx, polls.Voter{Tenant: tn, User: shy}, "academia")
	must(t, "SetGroup(shy)", err)
	if len(applied) != 1 || applied[0].Err != nil {
		t.Fatalf("SetGroup(shy): %+v, want the held vote applied", applied)
	}

	_, err = s.Ballot(ctx, tn, p.ID, secret)
	mustIs(t, "Ballot(user id)", err, polls.ErrNoBallot)
	sb, err := s.Ballot(ctx, tn, p.ID, pseudonym)
	must(t, "Ballot(pseudonym)", err)
	if !slices.Equal(sb.Choices, []int{0, 1, 2}) || sb.Group != civil {
		t.Fatalf("Ballot(pseudonym) = %+v", sb)
	}

	var exported []string
	n := 0
	must(t, "Ballots", s.Ballots(ctx, tn, p.ID, func(b polls.Ballot) error {
		n++
		exported = append(exported, jsonOf(t, b))
		return nil
	}))
	if n != 2 {
		t.Fatalf("Ballots: %d ballots, want 2", n)
	}
	tally, err := s.Tally(ctx, tn, p.ID)
	must(t, "Tally", err)
	list, err := s.Polls(ctx, tn, polls.PollQuery{})
	must(t, "Polls", err)
	exported = append(exported, jsonOf(t, tally), jsonOf(t, list), jsonOf(t, getPoll(t, s, p.Key())))
	for _, x := range exported {
		if strings.Contains(x, "U-SECRET") {
			t.Fatalf("store data of an anonymous poll holds a user id: %s", x)
		}
	}

	rt, err := svc.Retract(ctx, polls.Voter{Tenant: tn, User: secret, Delivery: "discord:1234" + secret}, p.ID)
	mustChanged(t, "Retract", rt.Had, err, true)
	if e.h.Dump != nil {
		for k, v := range e.h.Dump(t, s) {
			if strings.Contains(k, "groups") {
				continue // memberships are tenant-wide, kept by user id
			}
			if strings.Contains(k+v, "U-SECRET") {
				t.Fatalf("store data of an anonymous poll holds a user id: %q = %q", k, v)
			}
		}
	}
	_, err = s.Ballot(ctx, tn, p.ID, pseudonym)
	mustIs(t, "Ballot(pseudonym) after Retract", err, polls.ErrNoBallot)
}

// testCloseDueRace: polls.Service.CloseDue, run by two Services (two
// replicas) on the same store at once, closes every due poll exactly once
// between them, at its deadline, and leaves polls not yet due alone.
//
// Service clocks are injected; the deadlines lie in a random stretch of
// the 1980s so that no other test's due polls are swept up, nor theirs by
// this one.
func testCloseDueRace(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	for round := range 3 {
		era := time.Date(1980+rand.IntN(8), 1, 1, 0, 0, 0, 0, time.UTC).
			Add(time.Duration(rand.Int64N(360*24*3600*1000)) * time.Millisecond)
		clk := &clock{t: era}
		ids := sequentialIDs(fmt.Sprintf("D%d", round))
		a := polls.NewService(s, polls.WithClock(clk.now), polls.WithIDs(ids))
		b := polls.NewService(s, polls.WithClock(clk.now), polls.WithIDs(ids))

		open := func(closes time.Duration) *polls.Poll {
			t.Helper()
			p, err := a.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Due", Themes: themes(2), Creator: "U-FAC", ClosesAt: era.Add(closes)})
			must(t, "Open", err)
			cancelAtEnd(t, s, p.Key())
			return p
		}
		var due []*polls.Poll
		for i := range 10 {
			due = append(due, open(time.Duration(i+1)*time.Minute))
		}
		later := open(2 * time.Hour)

		clk.set(era.Add(30 * time.Minute))
		var wonA, wonB []*polls.Poll
		var errA, errB error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; wonA, errA = a.CloseDue(ctx, 1000) })
		wg.Go(func() { <-start; wonB, errB = b.CloseDue(ctx, 1000) })
		close(start)
		wg.Wait()
		must(t, "CloseDue(replica a)", errA)
		must(t, "CloseDue(replica b)", errB)

		count := map[string]int{}
		for _, p := range append(wonA, wonB...) {
			if p.Tenant == tn {
				count[p.ID]++
			}
		}
		for _, p := range due {
			if count[p.ID] != 1 {
				t.Fatalf("round %d: poll %s closed by %d replicas, want exactly 1", round, p.ID, count[p.ID])
			}
			got := mustStatus(t, s, p.Key(), polls.StatusClosed)
			if d := timeDiff(got.ClosedAt, p.ClosesAt); d != "" {
				t.Fatalf("round %d: poll %s: ClosedAt %s (its deadline)", round, p.ID, d)
			}
		}
		if count[later.ID] != 0 {
			t.Fatalf("round %d: poll %s closed before its deadline", round, later.ID)
		}
		mustStatus(t, s, later.Key(), polls.StatusOpen)

		again, err := a.CloseDue(ctx, 1000)
		must(t, "CloseDue again", err)
		for _, p := range again {
			if p.Tenant == tn {
				t.Fatalf("round %d: CloseDue again closed %s", round, p.ID)
			}
		}
	}
}

// testCloseDueLease: a poll CloseDue returned whose announcement is never
// recorded as done (its replica died announcing it) is returned again, by
// exactly one of two racing replicas, once the announce lease has passed
// and not before; after AnnouncementDone no replica returns it again.
func testCloseDueLease(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	era := time.Date(1989, 1, 1, 0, 0, 0, 0, time.UTC).
		Add(time.Duration(rand.Int64N(360*24*3600*1000)) * time.Millisecond)
	clk := &clock{t: era}
	const lease = 10 * time.Second
	ids := sequentialIDs("L")
	a := polls.NewService(s, polls.WithClock(clk.now), polls.WithIDs(ids), polls.WithAnnounceLease(lease))
	b := polls.NewService(s, polls.WithClock(clk.now), polls.WithIDs(ids), polls.WithAnnounceLease(lease))
	p, err := a.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Due", Themes: themes(2), Creator: "U-FAC", ClosesAt: era.Add(time.Minute)})
	must(t, "Open", err)
	cancelAtEnd(t, s, p.Key())

	mine := func(won []*polls.Poll) int {
		n := 0
		for _, w := range won {
			if w.Key() == p.Key() {
				n++
				if w.Status != polls.StatusClosed {
					t.Fatalf("CloseDue returned %s %s, want it closed", w.ID, w.Status)
				}
			}
		}
		return n
	}
	closeDue := func(op string, svc *polls.Service) int {
		t.Helper()
		won, err := svc.CloseDue(ctx, 100_000)
		must(t, op, err)
		return mine(won)
	}
	both := func(op string) int {
		t.Helper()
		var wonA, wonB []*polls.Poll
		var errA, errB error
		var wg sync.WaitGroup
		start := make(chan struct{})
		wg.Go(func() { <-start; wonA, errA = a.CloseDue(ctx, 100_000) })
		wg.Go(func() { <-start; wonB, errB = b.CloseDue(ctx, 100_000) })
		close(start)
		wg.Wait()
		must(t, op+" (replica a)", errA)
		must(t, op+" (replica b)", errB)
		return mine(wonA) + mine(wonB)
	}

	clk.set(era.Add(time.Minute))
	if n := closeDue("CloseDue at the deadline", a); n != 1 {
		t.Fatalf("CloseDue at the deadline returned the poll %d times, want once", n)
	}
	// Replica a "dies" announcing: no AnnouncementDone.
	clk.set(era.Add(time.Minute + lease - time.Millisecond))
	if n := both("CloseDue before the lease"); n != 0 {
		t.Fatalf("CloseDue before the lease returned the poll %d times, want never", n)
	}
	clk.set(era.Add(time.Minute + lease))
	if n := both("CloseDue at the lease"); n != 1 {
		t.Fatalf("two racing CloseDue at the lease returned the poll %d times, want once", n)
	}
	if n := both("CloseDue again at the lease"); n != 0 {
		t.Fatalf("CloseDue again at the lease returned the poll %d times, want never", n)
	}
	must(t, "AnnouncementDone", b.AnnouncementDone(ctx, p.Key()))
	clk.set(era.Add(time.Hour))
	if n := both("CloseDue after AnnouncementDone"); n != 0 {
		t.Fatalf("CloseDue after AnnouncementDone returned the poll %d times, want never", n)
	}
	got := mustStatus(t, s, p.Key(), polls.StatusClosed)
	if d := timeDiff(got.ClosedAt, p.ClosesAt); d != "" {
		t.Fatalf("ClosedAt %s (its deadline)", d)
	}
}

// countingStore counts poll reads, to show the vote path reuses them.
type countingStore struct {
	polls.Store
	reads atomic.Int64
}

func (c *countingStore) Poll(ctx context.Context, tenant, id string) (*polls.Poll, error) {
	c.reads.Add(1)
	return c.Store.Poll(ctx, tenant, id)
}

// testServiceCacheReplicas: a service reuses the open poll it read for
// later votes, yet another replica's close or reopen decides the next vote
// at once, because the store checks status in the vote's own atomic step.
func testServiceCacheReplicas(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	cs := &countingStore{Store: s}
	a := polls.NewService(cs, polls.WithIDs(sequentialIDs("CA")))
	b := polls.NewService(s, polls.WithIDs(sequentialIDs("CB")))
	p, err := a.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Cache", Themes: themes(3), Creator: "U-FAC", ClosesAt: now().Add(time.Hour)})
	must(t, "Open", err)
	cancelAtEnd(t, s, p.Key())
	voter := func(u string) polls.Voter { return polls.Voter{Tenant: tn, User: u, RoleGroup: acad} }

	_, err = a.Cast(ctx, voter("u1"), p.ID, []int{0})
	must(t, "Cast u1", err)
	reads := cs.reads.Load()
	_, err = a.Click(ctx, voter("u1"), p.ID, 2)
	must(t, "Click u1", err)
	if got := cs.reads.Load(); got != reads {
		t.Errorf("a second vote read the poll again (%d reads, want %d)", got, reads)
	}

	// Replica B closes the poll; A's cached copy still says open.
	_, _, err = b.Close(ctx, tn, p.ID)
	must(t, "Close on B", err)
	if _, err := a.Cast(ctx, voter("u2"), p.ID, []int{1}); !errors.Is(err, polls.ErrClosed) {
		t.Errorf("Cast on A after B closed: %v, want ErrClosed", err)
	}
	if _, err := a.Click(ctx, voter("u1"), p.ID, 1); !errors.Is(err, polls.ErrClosed) {
		t.Errorf("Click on A after B closed: %v, want ErrClosed", err)
	}
	// B reopens it; A's votes count again.
	_, _, err = b.Reopen(ctx, tn, p.ID, time.Hour)
	must(t, "Reopen on B", err)
	_, err = a.Cast(ctx, voter("u2"), p.ID, []int{1})
	must(t, "Cast u2 after reopen", err)
	mustTally(t, "after close and reopen elsewhere", s, p.Key(), tallyOf(3, map[polls.Group]counts{acad: {2, []int64{1, 1, 1}}}))
}

// testServiceRedelivery: a click delivered twice (polls.Voter.Delivery),
// to two replicas, toggles once: also when the first delivery was held
// for the voter's group, and in an anonymous poll.
func testServiceRedelivery(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	key := testKey
	a := polls.NewService(s, polls.WithIDs(sequentialIDs("RA")), polls.WithPseudonymKey(key))
	b := polls.NewService(s, polls.WithIDs(sequentialIDs("RB")), polls.WithPseudonymKey(key))
	for _, anonymous := range []bool{false, true} {
		p, err := a.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Redelivery", Themes: themes(3), Creator: "U-FAC", Options: polls.Options{Anonymous: anonymous}})
		must(t, "Open", err)
		click := func(svc *polls.Service, user, delivery string, theme int, want ...int) {
			t.Helper()
			r, err := svc.Click(ctx, polls.Voter{Tenant: tn, User: user, Delivery: delivery}, p.ID, theme)
			must(t, "Click "+delivery, err)
			if !r.Held && !slices.Equal(r.Ballot.Choices, want) {
				t.Fatalf("anonymous=%v: Toggle %s: choices %v, want %v", anonymous, delivery, r.Ballot.Choices, want)
			}
		}
		_, _, err = a.SetGroup(ctx, polls.Voter{Tenant: tn, User: "u1"}, string(acad))
		must(t, "SetGroup u1", err)
		click(a, "u1", "slack:act:1", 0, 0)
		click(b, "u1", "slack:act:1", 0, 0) // the redelivery reaches replica B
		click(b, "u1", "slack:act:2", 1, 0, 1)

		// u2 has no group: the click is held, redelivered (held again), then
		// applied once when u2 picks a group, and a late redelivery after
		// that changes nothing.
		u2 := fmt.Sprintf("u2-%v", anonymous)
		click(a, u2, "slack:act:3", 2)
		click(b, u2, "slack:act:3", 2)
		_, out, err := b.SetGroup(ctx, polls.Voter{Tenant: tn, User: u2}, string(civil))
		must(t, "SetGroup u2", err)
		if len(out) != 1 || out[0].Err != nil {
			t.Fatalf("held votes applied: %+v", out)
		}
		click(a, u2, "slack:act:3", 2, 2)
		mustTally(t, fmt.Sprintf("anonymous=%v", anonymous), s, p.Key(), tallyOf(3, map[polls.Group]counts{acad: {1, []int64{1, 1, 0}}, civil: {1, []int64{0, 0, 1}}}))
		_, _, err = a.Cancel(ctx, tn, p.ID)
		must(t, "Cancel", err)
	}
}
