package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// testApproval: casting, replacing (a new group moves the counts) and
// retracting keep the tally exact; Cast returns the replaced ballot.
func testApproval(t *testing.T, e *env) {
	s, tn := e.store(t)
	p := newPoll(tn, "APPR", polls.Approval, themes(4)...)
	create(t, s, p)
	m := newModel(p)
	m.check(t, "empty poll", s)

	m.cast(t, s, ballot("v1", gov, 0, 1))
	m.cast(t, s, ballot("v2", civil, 1, 2, 3))
	m.cast(t, s, ballot("v3", gov, 3))
	mustTally(t, "after three casts", s, p.Key(), tallyOf(4, map[polls.Group]counts{
		gov:   {2, []int64{1, 1, 0, 1}},
		civil: {1, []int64{0, 1, 1, 1}},
	}))
	m.check(t, "after three casts", s)

	m.cast(t, s, ballot("v1", civil, 2)) // replaced, and in another group
	mustTally(t, "after v1 moved to civil-society", s, p.Key(), tallyOf(4, map[polls.Group]counts{
		gov:   {1, []int64{0, 0, 0, 1}},
		civil: {2, []int64{0, 1, 2, 1}},
	}))
	m.check(t, "after v1 moved to civil-society", s)

	m.retract(t, s, "v2")
	m.retract(t, s, "v2") // nothing left: false
	m.retract(t, s, "nobody")
	_, err := s.Ballot(t.Context(), tn, p.ID, "v2")
	mustIs(t, "Ballot(retracted)", err, polls.ErrNoBallot)
	mustTally(t, "after retracting v2", s, p.Key(), tallyOf(4, map[polls.Group]counts{
		gov:   {1, []int64{0, 0, 0, 1}},
		civil: {1, []int64{0, 0, 1, 0}},
	}))
	m.check(t, "after retracting v2", s)

	m.retract(t, s, "v1")
	m.retract(t, s, "v3")
	mustTally(t, "after retracting everyone", s, p.Key(), polls.NewTally())
	m.check(t, "after retracting everyone", s)
}

// testSingle: one theme per ballot, one point each.
func testSingle(t *testing.T, e *env) {
	s, tn := e.store(t)
	p := newPoll(tn, "SNGL", polls.Single, themes(3)...)
	create(t, s, p)
	m := newModel(p)
	m.cast(t, s, ballot("v1", gov, 2))
	m.cast(t, s, ballot("v2", gov, 0))
	m.cast(t, s, ballot("v3", civil, 2))
	mustTally(t, "after three casts", s, p.Key(), tallyOf(3, map[polls.Group]counts{
		gov:   {2, []int64{1, 0, 1}},
		civil: {1, []int64{0, 0, 1}},
	}))
	m.cast(t, s, ballot("v2", tech, 2))
	mustTally(t, "after v2 changed theme and group", s, p.Key(), tallyOf(3, map[polls.Group]counts{
		gov:   {1, []int64{0, 0, 1}},
		civil: {1, []int64{0, 0, 1}},
		tech:  {1, []int64{0, 0, 1}},
	}))
	m.check(t, "after v2 changed", s)
}

// testRanked: the i-th preference (0-based) of m themes scores m-1-i
// integer Borda points (polls.Points); unranked themes score nothing.
func testRanked(t *testing.T, e *env) {
	s, tn := e.store(t)
	p := newPoll(tn, "RANK", polls.Ranked, themes(4)...)
	create(t, s, p)
	m := newModel(p)
	m.cast(t, s, ballot("v1", gov, 2, 0, 3, 1)) // 3, 2, 1, 0 points
	m.cast(t, s, ballot("v2", gov, 1, 2))       // 3, 2
	m.cast(t, s, ballot("v3", civil, 3))        // 3
	mustTally(t, "after three casts", s, p.Key(), tallyOf(4, map[polls.Group]counts{
		gov:   {2, []int64{2, 3, 5, 1}},
		civil: {1, []int64{0, 0, 0, 3}},
	}))
	m.check(t, "after three casts", s)

	m.cast(t, s, ballot("v1", civil, 0))
	mustTally(t, "after v1 re-ranked in civil-society", s, p.Key(), tallyOf(4, map[polls.Group]counts{
		gov:   {1, []int64{0, 3, 2, 0}},
		civil: {2, []int64{3, 0, 0, 3}},
	}))
	m.retract(t, s, "v2")
	m.check(t, "after retracting v2", s)
}

// testStream: Ballots visits every ballot exactly once, also past any
// chunking a store does; it stops at fn's first error and returns it; fn
// may call the store, reads and writes, without deadlocking it.
func testStream(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	p := newPoll(tn, "STRM", polls.Approval, themes(3)...)
	create(t, s, p)
	m := newModel(p)
	const workers, each = 25, 100 // 2500 ballots: more than a chunk of 1000
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				b := ballot(fmt.Sprintf("v%02d-%03d", w, i), allGroups[(w+i)%len(allGroups)], i%3)
				if _, err := s.Cast(ctx, tn, p.ID, b, ""); err != nil {
					t.Errorf("Cast(%s): %v", b.Voter, err)
					return
				}
				mu.Lock()
				m.ballots[b.Voter] = b
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	m.check(t, "2500 ballots", s)

	errStop := errors.New("stop here")
	calls := 0
	err := s.Ballots(ctx, tn, p.ID, func(polls.Ballot) error {
		calls++
		if calls == 10 {
			return errStop
		}
		return nil
	})
	mustIs(t, "Ballots(fn failing at the 10th ballot)", err, errStop)
	if calls != 10 {
		t.Fatalf("Ballots(fn failing at the 10th ballot): fn called %d times, want 10", calls)
	}

	// A store that held a lock or transaction across fn would hang here;
	// fail instead.
	done := make(chan error, 1)
	go func() {
		n := 0
		done <- s.Ballots(ctx, tn, p.ID, func(b polls.Ballot) error {
			n++
			if n%500 != 0 {
				return nil
			}
			if _, err := s.Ballot(ctx, tn, p.ID, b.Voter); err != nil {
				return fmt.Errorf("calling Ballot inside fn: %w", err)
			}
			if err := s.SetMembership(ctx, tn, b.Voter, polls.Membership{Group: b.Group, Source: polls.SourceDeclared}); err != nil {
				return fmt.Errorf("calling SetMembership inside fn: %w", err)
			}
			return nil
		})
	}()
	select {
	case err := <-done:
		must(t, "Ballots(fn using the store)", err)
	case <-time.After(30 * time.Second):
		t.Fatal("Ballots(fn using the store): no return after 30s; is a lock held across fn?")
	}

	empty := newPoll(tn, "NONE", polls.Approval, themes(2)...)
	create(t, s, empty)
	must(t, "Ballots(empty poll)", s.Ballots(ctx, tn, empty.ID, func(b polls.Ballot) error {
		return fmt.Errorf("unexpected ballot %+v", b)
	}))
}

// testBallotsNotFound: ballot operations on a poll that does not exist
// give ErrNotFound; on a voter without a ballot, ErrNoBallot.
func testBallotsNotFound(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	_, err := s.Cast(ctx, tn, "ZZZZ", ballot("v1", gov, 0), "")
	mustIs(t, "Cast(unknown poll)", err, polls.ErrNotFound)
	_, err = s.Toggle(ctx, tn, "ZZZZ", ballot("v1", gov), flip(0, 0), "")
	mustIs(t, "Toggle(unknown poll)", err, polls.ErrNotFound)
	_, err = retract(ctx, s, tn, "ZZZZ", "v1")
	mustIs(t, "Retract(unknown poll)", err, polls.ErrNotFound)
	_, err = s.Tally(ctx, tn, "ZZZZ")
	mustIs(t, "Tally(unknown poll)", err, polls.ErrNotFound)

	p := newPoll(tn, "HERE", polls.Approval, themes(2)...)
	create(t, s, p)
	_, err = s.Ballot(ctx, tn, p.ID, "v1")
	mustIs(t, "Ballot(no ballot)", err, polls.ErrNoBallot)
}

// toggle toggles theme for b's voter and checks the resulting ballot: the
// voter, b's group and cast time, and the choices wanted; or, wanting
// none, that the ballot is gone.
func (m *model) toggle(t testing.TB, s polls.Store, b polls.Ballot, theme int, want ...int) {
	t.Helper()
	op := fmt.Sprintf("Toggle(%s %s theme %d)", b.Voter, b.Group, theme)
	r, err := s.Toggle(polls.WithVoteTally(context.Background()), m.p.Tenant, m.p.ID, b, flip(theme, m.p.MaxChoices), "")
	must(t, op, err)
	mustVoteTally(t, op, s, m.p.Key(), r)
	if len(want) == 0 {
		if r.Ballot != nil {
			t.Fatalf("%s: choices %v, want none (ballot deleted)", op, r.Ballot.Choices)
		}
		delete(m.ballots, b.Voter)
		_, err := s.Ballot(context.Background(), m.p.Tenant, m.p.ID, b.Voter)
		mustIs(t, op+": Ballot after the last theme went", err, polls.ErrNoBallot)
		return
	}
	b.Choices, b.Points = want, polls.Points(polls.Approval, 0, want)
	if r.Ballot == nil {
		t.Fatalf("%s: no ballot, want choices %v", op, want)
	}
	mustBallot(t, op, *r.Ballot, b)
	m.ballots[b.Voter] = b
}

// testToggleMaxChoices: Toggle adds and removes single themes, keeps
// approval choices sorted, refuses to pass max_choices (ErrTooManyChoices,
// nothing changed), takes the group it is given, and deletes the ballot
// with its last theme.
func testToggleMaxChoices(t *testing.T, e *env) {
	s, tn := e.store(t)
	p := newPoll(tn, "TGL2", polls.Approval, themes(4)...)
	p.MaxChoices = 2
	create(t, s, p)
	m := newModel(p)

	m.toggle(t, s, ballot("v", gov), 2, 2)
	m.toggle(t, s, ballot("v", gov), 0, 0, 2)
	m.check(t, "after two toggles", s)
	mustTally(t, "after two toggles", s, p.Key(), tallyOf(4, map[polls.Group]counts{gov: {1, []int64{1, 0, 1, 0}}}))

	_, err := s.Toggle(t.Context(), tn, p.ID, ballot("v", gov), flip(3, 2), "")
	mustIs(t, "Toggle(a third theme, max 2)", err, polls.ErrTooManyChoices)
	m.check(t, "after a refused toggle", s)

	m.toggle(t, s, ballot("v", civil), 0, 2) // removing moves the ballot to the new group
	mustTally(t, "after a toggle in another group", s, p.Key(), tallyOf(4, map[polls.Group]counts{civil: {1, []int64{0, 0, 1, 0}}}))
	m.toggle(t, s, ballot("w", tech), 3, 3)
	m.check(t, "two voters", s)

	m.toggle(t, s, ballot("v", civil), 2) // last theme: deleted
	mustTally(t, "after v's last theme went", s, p.Key(), tallyOf(4, map[polls.Group]counts{tech: {1, []int64{0, 0, 0, 1}}}))
	m.toggle(t, s, ballot("v", civil), 1, 1)
	m.check(t, "after v came back", s)
}

// testToggleUnlimited: with max_choices 0 every theme can be chosen.
func testToggleUnlimited(t *testing.T, e *env) {
	s, tn := e.store(t)
	p := newPoll(tn, "TGLN", polls.Approval, themes(5)...)
	create(t, s, p)
	m := newModel(p)
	m.toggle(t, s, ballot("v", acad), 4, 4)
	m.toggle(t, s, ballot("v", acad), 0, 0, 4)
	m.toggle(t, s, ballot("v", acad), 2, 0, 2, 4)
	m.toggle(t, s, ballot("v", acad), 1, 0, 1, 2, 4)
	m.toggle(t, s, ballot("v", acad), 3, 0, 1, 2, 3, 4)
	m.toggle(t, s, ballot("v", acad), 2, 0, 1, 3, 4)
	mustTally(t, "after six toggles", s, p.Key(), tallyOf(5, map[polls.Group]counts{acad: {1, []int64{1, 1, 0, 1, 1}}}))
	m.check(t, "after six toggles", s)
}

// testTogglePoints: a store knows no poll kind. Toggle adds a choice with
// the points it is given and keeps them with the ballot, whatever the
// poll's kind, so that removing the choice or moving the ballot to another
// group takes exactly those points back.
func testTogglePoints(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	for _, kind := range []polls.Kind{polls.Approval, polls.Single, polls.Ranked} {
		p := newPoll(tn, "TP"+strings.ToUpper(string(kind[:2])), kind, themes(3)...)
		create(t, s, p)
		toggle := func(b polls.Ballot, f polls.Flip, choices []int, points []int64) {
			t.Helper()
			r, err := s.Toggle(ctx, tn, p.ID, b, f, "")
			op := fmt.Sprintf("%s poll: Toggle(%+v)", kind, f)
			must(t, op, err)
			if r.Ballot == nil || !slices.Equal(r.Ballot.Choices, choices) || !slices.Equal(r.Ballot.Points, points) {
				t.Fatalf("%s: ballot %+v, want choices %v points %v", op, r.Ballot, choices, points)
			}
		}
		toggle(ballot("v", acad), polls.Flip{Choice: 1, Points: 5}, []int{1}, []int64{5})
		toggle(ballot("v", acad), polls.Flip{Choice: 0, Points: 2}, []int{0, 1}, []int64{2, 5})
		mustTally(t, string(kind)+" poll: two toggles", s, p.Key(), tallyOf(3, map[polls.Group]counts{acad: {1, []int64{2, 5, 0}}}))
		toggle(ballot("v", acad), polls.Flip{Choice: 1, Points: 1}, []int{0}, []int64{2})
		mustTally(t, string(kind)+" poll: a choice taken back in the same group", s, p.Key(), tallyOf(3, map[polls.Group]counts{acad: {1, []int64{2, 0, 0}}}))
		toggle(ballot("v", acad), polls.Flip{Choice: 1, Points: 5}, []int{0, 1}, []int64{2, 5})
		toggle(ballot("v", tech), polls.Flip{Choice: 1, Points: 5}, []int{0}, []int64{2})
		mustTally(t, string(kind)+" poll: moved to another group", s, p.Key(), tallyOf(3, map[polls.Group]counts{tech: {1, []int64{2, 0, 0}}}))
	}
}

// testDelivery: a vote named by a delivery is applied once. Repeating the
// delivery reports Repeated with the voter's current ballot and changes
// nothing, also after a restart (another replica); another delivery, or
// the same delivery on another poll, is a new vote; a refused vote does
// not use up its delivery. Casts and retractions keep deliveries too (a
// replayed single-choice click must not revert a newer choice).
func testDelivery(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := polls.WithVoteTally(t.Context())
	p := newPoll(tn, "TGOP", polls.Approval, themes(3)...)
	p.MaxChoices = 2
	q := newPoll(tn, "TGOQ", polls.Approval, themes(3)...)
	create(t, s, p)
	create(t, s, q)
	toggle := func(s polls.Store, poll *polls.Poll, theme int, dlv string, want ...int) {
		t.Helper()
		r, err := s.Toggle(ctx, tn, poll.ID, ballot("v", gov), flip(theme, poll.MaxChoices), dlv)
		op := fmt.Sprintf("Toggle(%s theme %d delivery %q)", poll.ID, theme, dlv)
		must(t, op, err)
		mustVoteTally(t, op, s, poll.Key(), r)
		var got []int
		if r.Ballot != nil {
			got = r.Ballot.Choices
		}
		if !slices.Equal(got, want) {
			t.Fatalf("%s: choices %v, want %v", op, got, want)
		}
	}
	toggle(s, p, 0, "click-1", 0)
	toggle(s, p, 0, "click-1", 0) // redelivered: still on, not toggled off
	toggle(s, p, 1, "click-2", 0, 1)
	toggle(s, p, 0, "click-1", 0, 1) // an old delivery again: the ballot as it is
	mustTally(t, "after repeated deliveries", s, p.Key(), tallyOf(3, map[polls.Group]counts{gov: {1, []int64{1, 1, 0}}}))
	toggle(s, q, 0, "click-1", 0) // the same delivery on another poll is its own vote

	_, err := s.Toggle(ctx, tn, p.ID, ballot("v", gov), flip(2, 2), "click-3")
	mustIs(t, "Toggle(a third theme, max 2)", err, polls.ErrTooManyChoices)
	toggle(s, p, 1, "click-3", 0) // refused before, so applied now
	toggle(s, p, 1, "click-3", 0)
	toggle(s, p, 0, "click-4") // the last theme goes: the ballot is deleted
	toggle(s, p, 0, "click-4") // and stays deleted
	toggle(s, p, 2, "", 2)     // no delivery: always applied
	toggle(s, p, 2, "")        // and applied again
	mustTally(t, "after the last toggles", s, p.Key(), tallyOf(3, nil))

	// Casts: a replayed older choice does not revert a newer one.
	first := ballot("w", civil, 0)
	r, err := s.Cast(ctx, tn, q.ID, first, "choose-0")
	must(t, "Cast(choose-0)", err)
	if r.Repeated || r.Ballot == nil {
		t.Fatalf("Cast(choose-0): %+v", r)
	}
	_, err = s.Cast(ctx, tn, q.ID, ballot("w", civil, 2), "choose-2")
	must(t, "Cast(choose-2)", err)
	r, err = s.Cast(ctx, tn, q.ID, first, "choose-0")
	must(t, "Cast(choose-0) replayed", err)
	mustVoteTally(t, "Cast(choose-0) replayed", s, q.Key(), r)
	if !r.Repeated || r.Ballot == nil || !slices.Equal(r.Ballot.Choices, []int{2}) {
		t.Fatalf("Cast(choose-0) replayed: %+v; want Repeated with the newer ballot [2]", r)
	}
	// Retractions likewise: a replayed retraction does not delete a ballot
	// cast after it.
	rr, err := s.Retract(ctx, tn, q.ID, "w", now(), "unvote-1")
	must(t, "Retract(unvote-1)", err)
	if rr.Prev == nil || rr.Ballot != nil {
		t.Fatalf("Retract(unvote-1): %+v", rr)
	}
	_, err = s.Cast(ctx, tn, q.ID, ballot("w", civil, 1), "choose-1")
	must(t, "Cast(choose-1)", err)
	rr, err = s.Retract(ctx, tn, q.ID, "w", now(), "unvote-1")
	must(t, "Retract(unvote-1) replayed", err)
	mustVoteTally(t, "Retract(unvote-1) replayed", s, q.Key(), rr)
	if !rr.Repeated || rr.Ballot == nil || !slices.Equal(rr.Ballot.Choices, []int{1}) {
		t.Fatalf("Retract(unvote-1) replayed: %+v; want Repeated with the ballot [1]", rr)
	}
	// A refused cast keeps its delivery unused.
	closed := newPoll(tn, "TGOC", polls.Approval, themes(2)...)
	create(t, s, closed)
	_, err = s.ClosePoll(ctx, tn, closed.ID, polls.StatusClosed, now())
	must(t, "ClosePoll", err)
	_, err = s.Cast(ctx, tn, closed.ID, ballot("w", civil, 1), "late")
	mustIs(t, "Cast(closed poll)", err, polls.ErrClosed)
	_, err = s.Reopen(ctx, tn, closed.ID, time.Time{})
	must(t, "Reopen", err)
	r, err = s.Cast(ctx, tn, closed.ID, ballot("w", civil, 1), "late")
	must(t, "Cast(late) after reopening", err)
	if r.Repeated {
		t.Fatal("Cast(late): a refused cast used up its delivery")
	}

	if e.h.Reopen != nil {
		s2 := e.h.Reopen(t, s)
		toggle(s2, p, 1, "click-2") // applied before the restart: nothing changes
		toggle(s2, q, 0, "click-1", 0)
	}
}

// testTallies: Tallies reads what Tally reads, for many polls at once, in
// the order asked, with the zero Tally for a poll that does not exist.
func testTallies(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	a := newPoll(tn, "TALA", polls.Approval, themes(3)...)
	b := newPoll(tn, "TALB", polls.Ranked, themes(3)...)
	c := newPoll(tn, "TALC", polls.Approval, themes(2)...)
	for _, p := range []*polls.Poll{a, b, c} {
		create(t, s, p)
	}
	_, err := s.Cast(ctx, tn, a.ID, ballot("v1", gov, 0, 2), "")
	must(t, "Cast", err)
	_, err = s.Cast(ctx, tn, a.ID, ballot("v2", civil, 2), "")
	must(t, "Cast", err)
	_, err = s.Cast(ctx, tn, b.ID, polls.Ballot{Voter: "v1", Group: acad, Choices: []int{2, 0}, Points: polls.Points(polls.Ranked, 3, []int{2, 0}), CastAt: now()}, "")
	must(t, "Cast", err)

	ids := []string{b.ID, "NONE", a.ID, c.ID, a.ID}
	got, err := s.Tallies(ctx, tn, ids)
	must(t, "Tallies", err)
	if len(got) != len(ids) {
		t.Fatalf("Tallies: %d tallies for %d ids", len(got), len(ids))
	}
	for i, id := range ids {
		want := polls.Tally{}
		if id != "NONE" {
			want, err = s.Tally(ctx, tn, id)
			must(t, "Tally", err)
		}
		if d := tallyDiff(got[i], want); len(d) > 0 {
			t.Errorf("Tallies[%d] (%s) differs from Tally:\n\t%s", i, id, strings.Join(d, "\n\t"))
		}
		if got[i].Version != want.Version {
			t.Errorf("Tallies[%d] (%s): version %d, Tally says %d", i, id, got[i].Version, want.Version)
		}
	}
	if got[2].Total() != 2 || got[0].Total() != 1 || got[3].Total() != 0 {
		t.Errorf("Tallies: ballots %d, %d, %d; want 2, 1, 0", got[2].Total(), got[0].Total(), got[3].Total())
	}
	empty, err := s.Tallies(ctx, tn, nil)
	must(t, "Tallies(none)", err)
	if len(empty) != 0 {
		t.Errorf("Tallies(none): %d tallies", len(empty))
	}
}
