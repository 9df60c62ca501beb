package storetest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// failures reports the first few errors of many goroutines (t.Errorf is
// safe from any goroutine; t.Fatal is not) and counts the rest.
type failures struct {
	t *testing.T
	n atomic.Int64
}

func (f *failures) errorf(format string, args ...any) {
	if f.n.Add(1) <= 10 {
		f.t.Errorf(format, args...)
	}
}

func (f *failures) stop() {
	if n := f.n.Load(); n > 0 {
		f.t.Fatalf("%d failures in all", n)
	}
}

// testConcurrentCast: 50 goroutines each cast for 200 voters of their own
// (10,000 voters), then cast again for all of them with other choices and
// for every fourth in another group, then retract and cast a third time for
// every tenth. Every Cast must return exactly the ballot it replaced; at the
// end the tally must be exactly the one recomputed from each voter's last
// ballot, and Ballots must stream exactly 10,000 ballots, those.
func testConcurrentCast(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	const themeCount = 5
	p := newPoll(tn, "CONC", polls.Approval, themes(themeCount)...)
	create(t, s, p)

	const workers, voters = 50, 200
	base := now()
	// ballotFor is voter i of worker w's ballot in pass k: the choices are
	// a non-empty subset of the themes (a bit mask from 1 to 31) that
	// differs from one pass to the next.
	ballotFor := func(w, i, k int) polls.Ballot {
		g := allGroups[(w+i)%len(allGroups)]
		if k > 0 && i%4 == 0 {
			g = allGroups[(w+i+1)%len(allGroups)]
		}
		mask := 1 + (w*31+i*7+k*11)%31
		var choices []int
		for th := range themeCount {
			if mask&(1<<th) != 0 {
				choices = append(choices, th)
			}
		}
		return polls.Ballot{
			Voter:   fmt.Sprintf("voter-%02d-%03d", w, i),
			Group:   g,
			Choices: choices,
			Points:  polls.Points(polls.Approval, themeCount, choices),
			CastAt:  base.Add(time.Duration(k) * time.Millisecond),
		}
	}

	f := &failures{t: t}
	final := make([][]polls.Ballot, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			last := make([]polls.Ballot, voters)
			cast := func(b polls.Ballot, want *polls.Ballot) {
				r, err := s.Cast(ctx, tn, p.ID, b, "")
				prev := r.Prev
				switch {
				case err != nil:
					f.errorf("Cast(%s): %v", b.Voter, err)
				case want == nil && prev != nil:
					f.errorf("Cast(%s): previous ballot %+v, want none", b.Voter, *prev)
				case want != nil && prev == nil:
					f.errorf("Cast(%s): no previous ballot, want %+v", b.Voter, *want)
				case want != nil:
					if d := ballotDiff(*prev, *want); d != "" {
						f.errorf("Cast(%s): previous ballot differs: %s", b.Voter, d)
					}
				}
			}
			for i := range voters {
				last[i] = ballotFor(w, i, 0)
				cast(last[i], nil)
			}
			for i := range voters {
				b := ballotFor(w, i, 1)
				cast(b, &last[i])
				last[i] = b
			}
			for i := 0; i < voters; i += 10 {
				had, err := retract(ctx, s, tn, p.ID, last[i].Voter)
				if err != nil || !had {
					f.errorf("Retract(%s) = %v, %v; want true, nil", last[i].Voter, had, err)
				}
				last[i] = ballotFor(w, i, 2)
				cast(last[i], nil)
			}
			final[w] = last
		})
	}
	close(start)
	wg.Wait()
	f.stop()

	m := newModel(p)
	for _, last := range final {
		for _, b := range last {
			m.ballots[b.Voter] = b
		}
	}
	want := m.tally()
	if want.Total() != workers*voters {
		t.Fatalf("test bug: model has %d ballots", want.Total())
	}
	m.check(t, "after 50x200 concurrent voters", s)
	got, err := s.Tally(ctx, tn, p.ID)
	must(t, "Tally", err)
	if got.Total() != workers*voters {
		t.Fatalf("Tally: %d ballots, want %d", got.Total(), workers*voters)
	}
}

// testConcurrentToggle: one voter's toggles of different themes, all at
// once (two quick clicks served by different replicas), all land; of the
// toggles that empty the ballot together exactly one sees it deleted.
func testConcurrentToggle(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	const n = 12
	p := newPoll(tn, "CTGL", polls.Approval, themes(n)...)
	create(t, s, p)

	all, odd, even := make([]int, n), []int{}, []int{}
	for i := range n {
		all[i] = i
		if i%2 == 0 {
			even = append(even, i)
		} else {
			odd = append(odd, i)
		}
	}
	// toggleAll toggles the themes at once and returns how many results
	// had no choices left.
	toggleAll := func(ths []int) int {
		f := &failures{t: t}
		var empty atomic.Int64
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, th := range ths {
			wg.Go(func() {
				<-start
				r, err := s.Toggle(ctx, tn, p.ID, ballot("clicker", gov), flip(th, 0), "")
				if err != nil {
					f.errorf("Toggle(theme %d): %v", th, err)
				}
				if r.Ballot == nil {
					empty.Add(1)
				}
			})
		}
		close(start)
		wg.Wait()
		f.stop()
		return int(empty.Load())
	}
	expect := func(op string, want []int) {
		t.Helper()
		pts := make([]int64, n)
		for _, th := range want {
			pts[th] = 1
		}
		wantTally := polls.NewTally()
		if len(want) > 0 {
			wantTally = tallyOf(n, map[polls.Group]counts{gov: {1, pts}})
			b, err := s.Ballot(ctx, tn, p.ID, "clicker")
			must(t, op+": Ballot", err)
			if !slices.Equal(b.Choices, want) {
				t.Fatalf("%s: choices %v, want %v", op, b.Choices, want)
			}
		} else {
			_, err := s.Ballot(ctx, tn, p.ID, "clicker")
			mustIs(t, op+": Ballot", err, polls.ErrNoBallot)
		}
		mustTally(t, op, s, p.Key(), wantTally)
	}
	for round := range 3 {
		toggleAll(all)
		expect(fmt.Sprintf("round %d: all on", round), all)
		toggleAll(even)
		expect(fmt.Sprintf("round %d: even themes off", round), odd)
		toggleAll(even)
		expect(fmt.Sprintf("round %d: even themes on again", round), all)
		if empty := toggleAll(all); empty != 1 {
			t.Fatalf("round %d: all off: %d toggles saw the ballot deleted, want exactly 1", round, empty)
		}
		expect(fmt.Sprintf("round %d: all off", round), nil)
	}
}

// testConcurrentToggles: 50 goroutines each toggle themes for 200 voters
// of their own (10,000 voters), three passes of clicks that turn themes on
// and off, with every fourth voter clicking from another group in the
// second pass (the ballot moves, whole). At the end the tally must be
// exactly the one recomputed from each voter's final ballot, and the
// tally's version must count every change.
func testConcurrentToggles(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	const themeCount = 5
	p := newPoll(tn, "CTGS", polls.Approval, themes(themeCount)...)
	create(t, s, p)
	const workers, voters = 50, 200
	// clicks is voter i of worker w's clicks in pass k: themes toggled in
	// turn, and the group clicked from.
	clicks := func(w, i, k int) ([]int, polls.Group) {
		g := allGroups[(w+i)%len(allGroups)]
		if k == 1 && i%4 == 0 {
			g = allGroups[(w+i+1)%len(allGroups)]
		}
		mask := 1 + (w*13+i*7+k*5)%31
		var ths []int
		for th := range themeCount {
			if mask&(1<<th) != 0 {
				ths = append(ths, th)
			}
		}
		return ths, g
	}
	f := &failures{t: t}
	var changes atomic.Int64
	type final struct {
		set   map[int]bool
		group polls.Group
	}
	finals := make([][]final, workers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			<-start
			mine := make([]final, voters)
			for i := range mine {
				mine[i].set = map[int]bool{}
			}
			for k := range 3 {
				for i := range voters {
					ths, g := clicks(w, i, k)
					voter := fmt.Sprintf("clicker-%02d-%03d", w, i)
					for _, th := range ths {
						r, err := s.Toggle(ctx, tn, p.ID, ballot(voter, g), flip(th, 0), "")
						if err != nil {
							f.errorf("Toggle(%s theme %d): %v", voter, th, err)
							return
						}
						changes.Add(1)
						mine[i].set[th] = !mine[i].set[th]
						mine[i].group = g
						if r.Ballot != nil && r.Ballot.Group != g {
							f.errorf("Toggle(%s theme %d): ballot in %s, want %s", voter, th, r.Ballot.Group, g)
						}
					}
				}
			}
			finals[w] = mine
		})
	}
	close(start)
	wg.Wait()
	f.stop()

	m := newModel(p)
	for w, mine := range finals {
		for i, fin := range mine {
			var choices []int
			for th := range themeCount {
				if fin.set[th] {
					choices = append(choices, th)
				}
			}
			if len(choices) == 0 {
				continue
			}
			b := ballot(fmt.Sprintf("clicker-%02d-%03d", w, i), fin.group, choices...)
			b.CastAt = time.Time{}
			m.ballots[b.Voter] = b
		}
	}
	mustTally(t, "after 50x200 concurrent clickers", s, p.Key(), m.tally())
	got, err := s.Tally(ctx, tn, p.ID)
	must(t, "Tally", err)
	if got.Version != changes.Load() {
		t.Fatalf("Tally: version %d after %d changes", got.Version, changes.Load())
	}
}
