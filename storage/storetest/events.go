package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// eventTests check the audit log's read side (polls.LogReader) and change
// notifications (polls.Watcher), which every store implements.
var eventTests = []subtest{
	{"LogRead", testLogRead},
	{"LogAfter", testLogAfter},
	{"LogPages", testLogPages},
	{"LogConsistent", testLogConsistent},
	{"LogNotFound", testLogNotFound},
	{"Timeline", testServiceTimeline},
	{"Watch", testWatch},
	{"WatchStops", testWatchStops},
}

func logReader(t *testing.T, s polls.Store) polls.LogReader {
	t.Helper()
	lr, ok := s.(polls.LogReader)
	if !ok {
		t.Fatalf("%T does not implement polls.LogReader", s)
	}
	return lr
}

func watcher(t *testing.T, s polls.Store) polls.Watcher {
	t.Helper()
	w, ok := s.(polls.Watcher)
	if !ok {
		t.Fatalf("%T does not implement polls.Watcher", s)
	}
	return w
}

// readLog reads the poll's whole log after a position.
func readLog(t testing.TB, lr polls.LogReader, k polls.Key, after string) ([]polls.Event, polls.LogTail) {
	t.Helper()
	var out []polls.Event
	tail, err := lr.ReadLog(context.Background(), k.Tenant, k.ID, after, func(e polls.Event) error {
		out = append(out, e)
		return nil
	})
	must(t, fmt.Sprintf("ReadLog(%s after %q)", k, after), err)
	return out, tail
}

// sumDeltas adds up the vote events' tally changes.
func sumDeltas(t testing.TB, p *polls.Poll, events []polls.Event) polls.Tally {
	t.Helper()
	sum := polls.NewTally()
	for _, e := range events {
		err := polls.ParseDelta(e.Delta, len(p.Themes), func(c polls.Change) {
			if c.Theme < 0 {
				sum.Ballots[c.Group] += c.N
				return
			}
			if sum.Points[c.Group] == nil {
				sum.Points[c.Group] = make([]int64, len(p.Themes))
			}
			sum.Points[c.Group][c.Theme] += c.N
		})
		must(t, fmt.Sprintf("ParseDelta(%q) of event %s", e.Delta, e.Pos), err)
	}
	return sum
}

// testLogRead: the log holds every change of the poll, oldest first: each
// vote with the voter, the group and the change to the tally (which add up
// to the tally), and the poll's closes, reopenings, deadlines and
// cancellation; the tail is the tally as of the last event.
func testLogRead(t *testing.T, e *env) {
	s, tn := e.store(t)
	lr := logReader(t, s)
	ctx := t.Context()
	p := newPoll(tn, "LOG1", polls.Approval, themes(3)...)
	create(t, s, p)
	m := newModel(p)
	m.cast(t, s, ballot("u1", gov, 0, 2))
	m.cast(t, s, ballot("u2", civil, 1))
	toggled := ballot("u2", civil)
	_, err := s.Toggle(ctx, tn, p.ID, toggled, flip(0, 0), "")
	must(t, "Toggle", err)
	m.ballots["u2"] = ballot("u2", civil, 0, 1)
	m.retract(t, s, "u1")
	// Taking back a choice, then the last one, in the ballot's own group.
	for _, c := range []int{1, 0} {
		_, err = s.Toggle(ctx, tn, p.ID, toggled, flip(c, 0), "")
		must(t, "Toggle", err)
	}
	delete(m.ballots, "u2")
	m.retract(t, s, "nobody") // changes nothing, logs nothing
	m.cast(t, s, ballot("u1", acad, 1))
	_, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusClosed, now())
	must(t, "ClosePoll", err)
	_, err = s.Reopen(ctx, tn, p.ID, time.Time{})
	must(t, "Reopen", err)
	deadline := now().Add(time.Hour)
	must(t, "SetDeadline", s.SetDeadline(ctx, tn, p.ID, deadline))
	_, err = s.ClosePoll(ctx, tn, p.ID, polls.StatusCancelled, now())
	must(t, "ClosePoll(cancelled)", err)

	events, tail := readLog(t, lr, p.Key(), "")
	var kinds []polls.EventKind
	for _, ev := range events {
		kinds = append(kinds, ev.Kind)
	}
	want := []polls.EventKind{polls.EventCast, polls.EventCast, polls.EventToggle, polls.EventRetract, polls.EventToggle, polls.EventToggle, polls.EventCast,
		polls.EventClose, polls.EventReopen, polls.EventDeadline, polls.EventCancel}
	if !slices.Equal(kinds, want) {
		t.Fatalf("log = %v, want %v", kinds, want)
	}
	for i, ev := range events {
		if i > 0 && ev.Pos == events[i-1].Pos {
			t.Fatalf("events %d and %d share position %q", i-1, i, ev.Pos)
		}
		if ev.At.IsZero() || ev.At.Location() != time.UTC {
			t.Fatalf("event %d (%s) at %v, want a UTC time", i, ev.Kind, ev.At)
		}
	}
	if ev := events[0]; ev.Voter != "u1" || ev.Group != gov {
		t.Errorf("first cast by %q in %q, want u1 in %s", ev.Voter, ev.Group, gov)
	}
	if ev := events[3]; ev.Voter != "u1" || ev.Group != gov {
		t.Errorf("retraction by %q in %q, want u1 in %s (the ballot's group)", ev.Voter, ev.Group, gov)
	}
	if d := timeDiff(events[9].Deadline, deadline); d != "" {
		t.Errorf("deadline event's deadline %s", d)
	}
	if !events[8].Deadline.IsZero() {
		t.Errorf("reopening without a deadline carries %v", events[8].Deadline)
	}
	if d := tallyDiff(sumDeltas(t, p, events), m.tally()); len(d) > 0 {
		t.Errorf("the events' changes add up to a tally that differs:\n\t%v", d)
	}
	if d := tallyDiff(tail.Tally, m.tally()); len(d) > 0 {
		t.Errorf("the tail's tally differs:\n\t%v", d)
	}
	if tail.Last != events[len(events)-1].Pos || tail.Trimmed {
		t.Errorf("tail at %q (trimmed %v), want %q, not trimmed", tail.Last, tail.Trimmed, events[len(events)-1].Pos)
	}
	// A poll with no event yet has an empty log and an empty tally.
	q := newPoll(tn, "LOG2", polls.Approval, themes(2)...)
	create(t, s, q)
	events, tail = readLog(t, lr, q.Key(), "")
	if len(events) != 0 || tail.Last != "" || tail.Trimmed || tail.Tally.Total() != 0 {
		t.Errorf("fresh poll: %d events, tail %+v", len(events), tail)
	}
}

// testLogAfter: reading after a position gives what follows it, and
// reading after the last gives nothing, with the tally as of then.
func testLogAfter(t *testing.T, e *env) {
	s, tn := e.store(t)
	lr := logReader(t, s)
	p := newPoll(tn, "LOGA", polls.Approval, themes(2)...)
	create(t, s, p)
	m := newModel(p)
	for i := range 6 {
		m.cast(t, s, ballot(fmt.Sprintf("u%d", i), allGroups[i%3], i%2))
	}
	all, _ := readLog(t, lr, p.Key(), "")
	if len(all) != 6 {
		t.Fatalf("%d events, want 6", len(all))
	}
	rest, tail := readLog(t, lr, p.Key(), all[2].Pos)
	if len(rest) != 3 || rest[0].Pos != all[3].Pos || tail.Last != all[5].Pos {
		t.Fatalf("after %s: %d events from %v, tail %q; want 3 from %s", all[2].Pos, len(rest), rest, tail.Last, all[3].Pos)
	}
	none, tail := readLog(t, lr, p.Key(), all[5].Pos)
	if len(none) != 0 || tail.Last != all[5].Pos {
		t.Fatalf("after the last: %d events, tail %q", len(none), tail.Last)
	}
	if d := tallyDiff(tail.Tally, m.tally()); len(d) > 0 {
		t.Errorf("tally after the last event differs:\n\t%v", d)
	}
	m.cast(t, s, ballot("late", tech, 0))
	more, tail := readLog(t, lr, p.Key(), all[5].Pos)
	if len(more) != 1 || more[0].Voter != "late" || tail.Last != more[0].Pos {
		t.Fatalf("after the last, once another vote came: %v, tail %q", more, tail.Last)
	}
	if d := tallyDiff(tail.Tally, m.tally()); len(d) > 0 {
		t.Errorf("tally differs:\n\t%v", d)
	}
}

// testLogPages: a log longer than a store's page of events reads whole,
// in order, once each.
func testLogPages(t *testing.T, e *env) {
	s, tn := e.store(t)
	lr := logReader(t, s)
	p := newPoll(tn, "LOGP", polls.Approval, themes(2)...)
	create(t, s, p)
	const voters, each = 50, 50 // 2,500 events: more than one page of any store
	var wg sync.WaitGroup
	errs := make(chan error, voters)
	for v := range voters {
		wg.Go(func() {
			for i := range each {
				b := ballot(fmt.Sprintf("v%d", v), allGroups[v%len(allGroups)], i%2)
				if _, err := s.Cast(context.Background(), tn, p.ID, b, ""); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "Cast", err)
	}
	events, tail := readLog(t, lr, p.Key(), "")
	if len(events) != voters*each {
		t.Fatalf("%d events, want %d", len(events), voters*each)
	}
	seen := map[string]bool{}
	for _, ev := range events {
		if seen[ev.Pos] {
			t.Fatalf("position %q read twice", ev.Pos)
		}
		seen[ev.Pos] = true
	}
	got, err := s.Tally(t.Context(), tn, p.ID)
	must(t, "Tally", err)
	if d := tallyDiff(sumDeltas(t, p, events), got); len(d) > 0 {
		t.Errorf("the events add up to a tally that differs:\n\t%v", d)
	}
	if d := tallyDiff(tail.Tally, got); len(d) > 0 {
		t.Errorf("tail tally differs:\n\t%v", d)
	}
}

// testLogConsistent: while votes land, every read's tail tally is exactly
// what its events add up to: the tally is read with the last event.
func testLogConsistent(t *testing.T, e *env) {
	s, tn := e.store(t)
	lr := logReader(t, s)
	p := newPoll(tn, "LOGC", polls.Approval, themes(3)...)
	create(t, s, p)
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for v := range 8 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				b := ballot(fmt.Sprintf("v%d-%d", v, i%5), allGroups[(v+i)%len(allGroups)], i%3)
				_, _ = s.Cast(ctx, tn, p.ID, b, "")
			}
		})
	}
	defer func() { cancel(); wg.Wait() }()
	for round := range 20 {
		events, tail := readLog(t, lr, p.Key(), "")
		if d := tallyDiff(sumDeltas(t, p, events), tail.Tally); len(d) > 0 {
			t.Fatalf("read %d of %d events: the tail's tally is not what they add up to:\n\t%v", round, len(events), d)
		}
	}
}

// testLogNotFound: the log of an unknown poll is ErrNotFound.
func testLogNotFound(t *testing.T, e *env) {
	s, tn := e.store(t)
	_, err := logReader(t, s).ReadLog(t.Context(), tn, "NOPE", "", func(polls.Event) error { return nil })
	mustIs(t, "ReadLog(unknown)", err, polls.ErrNotFound)
}

// testServiceTimeline: the service's timeline over the store ends at the
// report, when first computed and when brought up to date from its cache.
func testServiceTimeline(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	svc := polls.NewService(s, polls.WithIDs(sequentialIDs("T")))
	p, err := svc.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Timeline", Themes: []string{"A", "B"}, Creator: "U", Options: polls.Options{Quorum: 2}})
	must(t, "Open", err)
	vote := func(user, g string, choices ...int) {
		t.Helper()
		_, _, err := svc.SetGroup(ctx, polls.Voter{Tenant: tn, User: user}, g)
		must(t, "SetGroup", err)
		_, err = svc.Cast(ctx, polls.Voter{Tenant: tn, User: user}, p.ID, choices)
		must(t, "Cast", err)
	}
	check := func(what string) {
		t.Helper()
		tl, err := svc.Timeline(ctx, p)
		must(t, "Timeline", err)
		_, rep, err := svc.Report(ctx, tn, p.ID)
		must(t, "Report", err)
		for _, want := range rep.Themes {
			got, _ := tl.Theme(want.Index)
			if got.Status != want.Status || got.Score != want.Score {
				t.Fatalf("%s: %s ends %s %v, report says %s %v", what, want.Theme, got.Status, got.Score, want.Status, want.Score)
			}
		}
		if tl.From != polls.TimelineFromOpening || tl.Ballots != rep.Ballots {
			t.Fatalf("%s: timeline from %s with %d ballots, report %d", what, tl.From, tl.Ballots, rep.Ballots)
		}
	}
	vote("g1", "government", 0, 1)
	vote("g2", "government", 0)
	check("first")
	vote("c1", "civil-society", 0)
	vote("c2", "civil-society", 1)
	check("brought up to date")
	check("unchanged")
}

// receive waits for a value on ch.
func receive(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: the watch ended", what)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: no change heard within 5s", what)
	}
}

// drain empties ch of a waiting value.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// testWatch: a watcher hears of every kind of change: votes, a close, a
// reopening, a new deadline and a cancellation. Many changes with no
// receiver leave one value waiting.
func testWatch(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	p := newPoll(tn, "WAT1", polls.Approval, themes(2)...)
	create(t, s, p)
	other := newPoll(tn, "WAT2", polls.Approval, themes(2)...)
	create(t, s, other)
	ch, err := watcher(t, s).Watch(ctx, tn, p.ID)
	must(t, "Watch", err)
	otherCh, err := watcher(t, s).Watch(ctx, tn, other.ID)
	must(t, "Watch(other)", err)
	steps := []struct {
		what string
		do   func() error
	}{
		{"cast", func() error { _, err := s.Cast(ctx, tn, p.ID, ballot("u1", gov, 0), ""); return err }},
		{"toggle", func() error { _, err := s.Toggle(ctx, tn, p.ID, ballot("u1", gov), flip(1, 0), ""); return err }},
		{"retract", func() error { _, err := retract(ctx, s, tn, p.ID, "u1"); return err }},
		{"close", func() error { _, err := s.ClosePoll(ctx, tn, p.ID, polls.StatusClosed, now()); return err }},
		{"reopen", func() error { _, err := s.Reopen(ctx, tn, p.ID, time.Time{}); return err }},
		{"deadline", func() error { return s.SetDeadline(ctx, tn, p.ID, now().Add(time.Hour)) }},
		{"cancel", func() error { _, err := s.ClosePoll(ctx, tn, p.ID, polls.StatusCancelled, now()); return err }},
	}
	for _, st := range steps {
		drain(ch)
		must(t, st.what, st.do())
		receive(t, ch, st.what)
	}
	select {
	case <-otherCh:
		t.Errorf("the other poll's watcher heard of this poll's changes")
	default:
	}
	// Many changes unheard: one value waits, and nothing blocks.
	q := newPoll(tn, "WAT3", polls.Approval, themes(2)...)
	create(t, s, q)
	qch, err := watcher(t, s).Watch(ctx, tn, q.ID)
	must(t, "Watch", err)
	for i := range 20 {
		_, err := s.Cast(ctx, tn, q.ID, ballot(fmt.Sprint(i), gov, 0), "")
		must(t, "Cast", err)
	}
	receive(t, qch, "20 casts")

	_, err = watcher(t, s).Watch(ctx, tn, "NOPE")
	mustIs(t, "Watch(unknown)", err, polls.ErrNotFound)
}

// testWatchStops: a watch ends, its channel closed, when its context is
// done.
func testWatchStops(t *testing.T, e *env) {
	s, tn := e.store(t)
	p := newPoll(tn, "WATS", polls.Approval, themes(2)...)
	create(t, s, p)
	ctx, cancel := context.WithCancel(t.Context())
	ch, err := watcher(t, s).Watch(ctx, tn, p.ID)
	must(t, "Watch", err)
	cancel()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("the channel stayed open after its context was done")
		}
	}
}
