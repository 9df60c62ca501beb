package polls

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// logSim plays votes on a poll as a store does: it keeps the ballots and
// the tally, and for every vote appends the event with the tally's change
// to its log.
type logSim struct {
	p       *Poll
	ballots map[string]Ballot
	tally   Tally
	log     []Event
	at      time.Time
	seq     int
}

func newLogSim(p *Poll, start time.Time) *logSim {
	return &logSim{p: p, ballots: map[string]Ballot{}, tally: NewTally(), at: start}
}

// flat is a tally's flat-map form without zeros.
func flat(t Tally) map[string]int64 {
	out := map[string]int64{}
	for g, n := range t.Ballots {
		if n != 0 {
			out[TallyBallotsField(g)] = n
		}
	}
	for g, pts := range t.Points {
		for i, n := range pts {
			if n != 0 {
				out[TallyField(i, g)] = n
			}
		}
	}
	return out
}

func copyTally(t Tally) Tally {
	c := NewTally()
	for g, n := range t.Ballots {
		c.Ballots[g] = n
	}
	for g, pts := range t.Points {
		c.Points[g] = slices.Clone(pts)
	}
	return c
}

// vote replaces voter's ballot by b (nil: retracts it) and logs it.
func (s *logSim) vote(kind EventKind, voter string, b *Ballot) {
	before := flat(s.tally)
	old, had := s.ballots[voter]
	if had {
		s.tally.Add(s.p, old, -1)
	}
	g := old.Group
	if b != nil {
		s.tally.Add(s.p, *b, +1)
		s.ballots[voter] = *b
		g = b.Group
	} else {
		delete(s.ballots, voter)
	}
	if !had && b == nil {
		return // nothing changed: stores log nothing
	}
	after := flat(s.tally)
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(mergeFlat(before, after))) {
		if d := after[k] - before[k]; d != 0 {
			parts = append(parts, k+":"+strconv.FormatInt(d, 10))
		}
	}
	s.at = s.at.Add(time.Duration(1+len(s.log)%7) * time.Second)
	s.seq++
	s.log = append(s.log, Event{Pos: strconv.Itoa(s.seq), Kind: kind, Voter: voter, Group: g, Delta: strings.Join(parts, ","), At: s.at})
}

func (s *logSim) mark(kind EventKind) {
	s.at = s.at.Add(time.Second)
	s.seq++
	s.log = append(s.log, Event{Pos: strconv.Itoa(s.seq), Kind: kind, At: s.at})
}

func mergeFlat(a, b map[string]int64) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// randomVote casts, toggles or retracts a random voter's ballot.
func (s *logSim) randomVote(rng *rand.Rand, voters int, groups []Group) {
	voter := fmt.Sprintf("U%d", rng.IntN(voters))
	g := groups[rng.IntN(len(groups))]
	if old, ok := s.ballots[voter]; ok && rng.IntN(3) > 0 {
		g = old.Group // most people keep their group
	}
	m := len(s.p.Themes)
	switch r := rng.IntN(10); {
	case r == 0:
		s.vote(EventRetract, voter, nil)
	case r < 4 && s.p.Kind == Approval:
		// A click: one theme flips.
		old := s.ballots[voter]
		choices := slices.Clone(old.Choices)
		c := rng.IntN(m)
		if i := slices.Index(choices, c); i >= 0 {
			choices = slices.Delete(choices, i, i+1)
		} else {
			choices = append(choices, c)
			slices.Sort(choices)
		}
		if len(choices) == 0 {
			s.vote(EventToggle, voter, nil)
			return
		}
		b := NewBallot(s.p, voter, g, choices, s.at)
		s.vote(EventToggle, voter, &b)
	default:
		var choices []int
		switch s.p.Kind {
		case Single:
			// Lean towards the first themes, so that some reach consensus.
			choices = []int{min(rng.IntN(m), rng.IntN(m))}
		case Ranked:
			choices = rng.Perm(m)[:1+rng.IntN(m)]
		default:
			for i := range m {
				if rng.IntN(10) < 7-i {
					choices = append(choices, i)
				}
			}
			if len(choices) == 0 {
				choices = []int{rng.IntN(m)}
			}
		}
		choices = s.p.canonical(choices)
		b := NewBallot(s.p, voter, g, choices, s.at)
		s.vote(EventCast, voter, &b)
	}
}

func randomTimelinePoll(rng *rand.Rand) *Poll {
	kind := []Kind{Approval, Approval, Single, Ranked}[rng.IntN(4)]
	m := 2 + rng.IntN(5)
	labels := make([]string, m)
	for i := range labels {
		labels[i] = fmt.Sprintf("Theme %d", i+1)
	}
	p := approvalPoll(labels...)
	p.Kind = kind
	p.Quorum = 1 + rng.IntN(4)
	p.MinGroups = 1 + rng.IntN(3)
	p.Threshold = testThresholds[rng.IntN(len(testThresholds))]
	p.OpenedAt = time.Date(2026, 5, 12, 14, 0, 0, 0, time.UTC)
	return p
}

// checkAgainstReport fails unless the timeline's last point, for every
// theme, is the report of the tally: the same status and the same score
// (to the bit: the timeline computes it as the report does), and the
// themes in the report's order.
func checkAgainstReport(t *testing.T, what string, tl *Timeline, p *Poll, tally Tally) {
	t.Helper()
	rep := ComputeReport(p, tally, nil)
	if len(tl.Themes) != len(rep.Themes) {
		t.Fatalf("%s: %d themes, report has %d", what, len(tl.Themes), len(rep.Themes))
	}
	if tl.Ballots != rep.Ballots {
		t.Fatalf("%s: %d ballots, report has %d", what, tl.Ballots, rep.Ballots)
	}
	for i, want := range rep.Themes {
		got := tl.Themes[i]
		last := got.Scores[len(got.Scores)-1]
		lastStatus := got.Changes[len(got.Changes)-1].Status
		if got.Index != want.Index || got.Rank != want.Rank || got.Status != want.Status || lastStatus != want.Status ||
			got.Score != want.Score || last.Score != want.Score {
			t.Fatalf("%s: theme %d (%s): timeline ends %s (last change %s) score %v (last point %v), rank %d; report says %s score %v rank %d\ntally %v",
				what, want.Index, want.Theme, got.Status, lastStatus, got.Score, last.Score, got.Rank, want.Status, want.Score, want.Rank, flat(tally))
		}
	}
}

// TestTimelineEndsAtReport: the property the timeline rests on. Whatever
// the votes, however the log is read (whole, in pieces, or trimmed at its
// start), the last point of every theme is the report of the tally.
func TestTimelineEndsAtReport(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 9))
	groups := []Group{"government", "civil-society", "academia", "private-sector", "unlisted-group"}
	for iter := range 300 {
		p := randomTimelinePoll(rng)
		sim := newLogSim(p, p.OpenedAt)
		events := 1 + rng.IntN(200)
		voters := 1 + rng.IntN(40)
		gs := groups[:1+rng.IntN(len(groups))]
		// Finish after random prefixes, going on from the last: the
		// builder must agree with the report at every Finish.
		b := NewTimelineBuilder(p, nil)
		read := 0
		for range events {
			sim.randomVote(rng, voters, gs)
			if rng.IntN(40) == 0 {
				sim.mark(EventClose)
				sim.mark(EventReopen)
			}
			if rng.IntN(25) == 0 || len(sim.log) > 0 && read == 0 && rng.IntN(5) == 0 {
				for _, e := range sim.log[read:] {
					if err := b.Add(e); err != nil {
						t.Fatal(err)
					}
				}
				read = len(sim.log)
				tl, err := b.Finish(LogTail{Tally: copyTally(sim.tally)})
				if err != nil {
					t.Fatalf("iteration %d: %v", iter, err)
				}
				checkAgainstReport(t, fmt.Sprintf("iteration %d after %d events", iter, read), tl, p, sim.tally)
			}
		}
		for _, e := range sim.log[read:] {
			if err := b.Add(e); err != nil {
				t.Fatal(err)
			}
		}
		tl, err := b.Finish(LogTail{Tally: copyTally(sim.tally)})
		if err != nil {
			t.Fatalf("iteration %d: %v", iter, err)
		}
		checkAgainstReport(t, fmt.Sprintf("iteration %d", iter), tl, p, sim.tally)
		if tl.From != TimelineFromOpening || !tl.Start.Equal(p.OpenedAt) || tl.Events != len(sim.log) {
			t.Fatalf("iteration %d: from %s at %v, %d events; want the opening, %v, %d", iter, tl.From, tl.Start, tl.Events, p.OpenedAt, len(sim.log))
		}

		// The same log with its first events dropped.
		if len(sim.log) > 2 {
			cut := 1 + rng.IntN(len(sim.log)-1)
			tb := NewTimelineBuilder(p, nil)
			for _, e := range sim.log[cut:] {
				if err := tb.Add(e); err != nil {
					t.Fatal(err)
				}
			}
			tl, err := tb.Finish(LogTail{Tally: copyTally(sim.tally), Trimmed: true})
			if err != nil {
				t.Fatalf("iteration %d, trimmed at %d: %v", iter, cut, err)
			}
			checkAgainstReport(t, fmt.Sprintf("iteration %d trimmed at %d", iter, cut), tl, p, sim.tally)
			if tl.From != TimelineFromLog || !tl.Start.Equal(sim.log[cut].At) {
				t.Fatalf("iteration %d: trimmed log starts %s at %v, want the log at %v", iter, tl.From, tl.Start, sim.log[cut].At)
			}
		}
	}
}

// TestTimelineChanges follows one small poll by hand: the statuses each
// theme went through, with the time of each change.
func TestTimelineChanges(t *testing.T) {
	p := approvalPoll("DNS abuse", "Privacy")
	p.Quorum = 2
	p.OpenedAt = time.Date(2026, 5, 12, 14, 0, 0, 0, time.UTC)
	sim := newLogSim(p, p.OpenedAt)
	cast := func(voter string, g Group, choices ...int) {
		b := NewBallot(p, voter, g, choices, sim.at)
		sim.vote(EventCast, voter, &b)
	}
	cast("a1", "government", 0, 1) // 14:00:01
	cast("a2", "government", 0)    // 14:00:03
	cast("b1", "civil-society", 0) // 14:00:06: two groups qualify? civil society has 1 of 2
	cast("b2", "civil-society", 0) // 14:00:10: both qualify; DNS abuse 2/2, 2/2: emerging; Privacy 1/2, 0/2: divided
	sim.vote(EventRetract, "a1", nil)
	sim.mark(EventClose)

	b := NewTimelineBuilder(p, nil)
	for _, e := range sim.log {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	tl, err := b.Finish(LogTail{Tally: sim.tally})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, th := range tl.Themes {
		var parts []string
		for _, c := range th.Changes {
			parts = append(parts, fmt.Sprintf("%s %s", c.Status, c.At.Format("15:04:05")))
		}
		got[th.Theme] = strings.Join(parts, ", ")
	}
	want := map[string]string{
		// a1's retraction leaves government 1 ballot, below quorum.
		"DNS abuse": "insufficient 14:00:00, emerging 14:00:10, insufficient 14:00:15",
		"Privacy":   "insufficient 14:00:00, divided 14:00:10, insufficient 14:00:15",
	}
	if !maps.Equal(got, want) {
		t.Errorf("changes:\n got %q\nwant %q", got, want)
	}
	if len(tl.Marks) != 1 || tl.Marks[0].Event != EventClose {
		t.Errorf("marks = %+v, want the close", tl.Marks)
	}
	if !tl.End.Equal(sim.log[len(sim.log)-1].At) || tl.Events != 6 {
		t.Errorf("end %v after %d events", tl.End, tl.Events)
	}
}

// TestTimelineDrift: a tally that does not follow from the last one and
// the events between is refused, not papered over.
func TestTimelineDrift(t *testing.T) {
	p := approvalPoll("A", "B")
	sim := newLogSim(p, time.Now())
	b1 := NewBallot(p, "u1", "government", []int{0}, sim.at)
	sim.vote(EventCast, "u1", &b1)
	b := NewTimelineBuilder(p, nil)
	for _, e := range sim.log {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Finish(LogTail{Tally: copyTally(sim.tally)}); err != nil {
		t.Fatal(err)
	}
	wrong := copyTally(sim.tally)
	wrong.Ballots["government"]++
	if _, err := b.Finish(LogTail{Tally: wrong}); !errors.Is(err, ErrTimelineDrift) {
		t.Errorf("Finish with a tally the log does not explain: %v, want ErrTimelineDrift", err)
	}
	// A start with fewer ballots than none.
	b = NewTimelineBuilder(p, nil)
	for _, e := range sim.log {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Finish(LogTail{Tally: NewTally()}); !errors.Is(err, ErrTimelineDrift) {
		t.Errorf("Finish with an empty tally after a cast: %v, want ErrTimelineDrift", err)
	}
	// A delta that is not one.
	if err := NewTimelineBuilder(p, nil).Add(Event{Kind: EventCast, Delta: "0|government:x"}); !errors.Is(err, ErrBadDelta) {
		t.Errorf("bad delta: %v", err)
	}
}

// TestTimelineAnonymousHours: an anonymous poll's times are cut to the
// hour.
func TestTimelineAnonymousHours(t *testing.T) {
	p := approvalPoll("A", "B")
	p.Anonymous = true
	p.OpenedAt = time.Date(2026, 5, 12, 14, 27, 13, 0, time.UTC)
	sim := newLogSim(p, p.OpenedAt)
	for i := range 6 {
		b := NewBallot(p, fmt.Sprint(i), []Group{"government", "academia"}[i%2], []int{0}, sim.at)
		sim.vote(EventCast, b.Voter, &b)
	}
	b := NewTimelineBuilder(p, nil)
	for _, e := range sim.log {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	tl, err := b.Finish(LogTail{Tally: sim.tally})
	if err != nil {
		t.Fatal(err)
	}
	if !tl.HourTimes {
		t.Error("HourTimes not set")
	}
	check := func(at time.Time) {
		if at.Truncate(time.Hour) != at {
			t.Errorf("time %v is finer than the hour", at)
		}
	}
	check(tl.Start)
	check(tl.End)
	for _, th := range tl.Themes {
		for _, c := range th.Changes {
			check(c.At)
		}
		for _, s := range th.Scores {
			check(s.At)
		}
	}
}

// TestTimelineThinning: a series that moves on every event stays within
// its bound and keeps every change of status.
func TestTimelineThinning(t *testing.T) {
	p := approvalPoll("A", "B")
	p.Quorum = 1
	sim := newLogSim(p, time.Now())
	// One voter in each of two groups flips theme A on and off: A
	// swings between emerging and divided on every click.
	gov := NewBallot(p, "g", "government", []int{0, 1}, sim.at)
	sim.vote(EventCast, "g", &gov)
	for i := range 5000 {
		choices := []int{1}
		if i%2 == 1 {
			choices = []int{0, 1}
		}
		b := NewBallot(p, "c", "civil-society", choices, sim.at)
		sim.vote(EventToggle, "c", &b)
	}
	b := NewTimelineBuilder(p, nil)
	for _, e := range sim.log {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	tl, err := b.Finish(LogTail{Tally: sim.tally})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := tl.Theme(0)
	if len(a.Changes) > 2*MaxStatusChanges+1 || len(a.Changes)+a.Omitted != 5001 || a.Changes[0].Status != Insufficient {
		t.Errorf("%d changes of status kept, %d omitted; want at most %d, 5001 in all, from insufficient", len(a.Changes), a.Omitted, 2*MaxStatusChanges+1)
	}
	if last := a.Changes[len(a.Changes)-1]; last.Status != Emerging {
		t.Errorf("last change %v, want emerging", last)
	}
	if len(a.Scores) > 2*MaxScorePoints+2 {
		t.Errorf("%d score points, want at most %d", len(a.Scores), 2*MaxScorePoints+2)
	}
	checkAgainstReport(t, "thinned", tl, p, sim.tally)
}

func TestParseDelta(t *testing.T) {
	var got []Change
	err := ParseDelta("n|government:1,0|government:1,2|civil-society:-3", 3, func(c Change) { got = append(got, c) })
	want := []Change{{-1, "government", 1}, {0, "government", 1}, {2, "civil-society", -3}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("ParseDelta = %v, %v; want %v", got, err, want)
	}
	for _, bad := range []string{"x", "0|g", "0|g:", "0|g:0", "3|g:1", "-1|g:1", "01|g:1", "0|:1", "0|g:1,", ",0|g:1", "0|g|h:1", "0g:1", "0|g:1.5"} {
		if err := ParseDelta(bad, 3, func(Change) {}); !errors.Is(err, ErrBadDelta) {
			t.Errorf("ParseDelta(%q) = %v, want ErrBadDelta", bad, err)
		}
	}
}

// FuzzParseDelta: no input makes ParseDelta panic, and what it accepts,
// written again in the stores' form, reads back as the same changes.
func FuzzParseDelta(f *testing.F) {
	for _, s := range []string{"", "n|government:1,0|government:1", "24|a:-9223372036854775808", "n|x:1,n|y:-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got []Change
		if err := ParseDelta(s, MaxThemes, func(c Change) { got = append(got, c) }); err != nil {
			return
		}
		parts := make([]string, len(got))
		for i, c := range got {
			field := TallyBallotsField(c.Group)
			if c.Theme >= 0 {
				field = TallyField(c.Theme, c.Group)
			}
			parts[i] = field + ":" + strconv.FormatInt(c.N, 10)
		}
		var back []Change
		if err := ParseDelta(strings.Join(parts, ","), MaxThemes, func(c Change) { back = append(back, c) }); err != nil || !slices.Equal(back, got) {
			t.Errorf("ParseDelta(%q) = %v; written as %q it reads %v, %v", s, got, strings.Join(parts, ","), back, err)
		}
	})
}

// TestFastTauAgrees: the 64/128-bit comparisons give the big-integer
// answers wherever they answer.
func TestFastTauAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	taus := append(slices.Clone(testThresholds), 0.123456789, 1e-9, 0.999999999)
	for range 200000 {
		tau := taus[rng.IntN(len(taus))]
		e := newThreshold(tau)
		f := newFastTau(e)
		s := int64(1 + rng.IntN(24))
		n := 1 + rng.Int64N(100)
		if rng.IntN(5) == 0 {
			n = 1 + rng.Int64N(1<<40)
		}
		p := rng.Int64N(n*s + 1)
		above, confident, ok := f.cell(p, s, n)
		if !ok {
			continue
		}
		wantAbove := e.supportAtLeast(p, s, n)
		wantConfident := wantAbove && e.lowerAtLeast(p, s, n)
		if above != wantAbove || confident != wantConfident {
			t.Fatalf("%d/%d of %d at %v: fast (%v, %v), exact (%v, %v)", p, s, n, tau, above, confident, wantAbove, wantConfident)
		}
	}
}

// benchLog is a poll of themes themes and its audit log of n events: 6
// groups of voters casting, clicking and retracting.
func benchLog(n, themes int) (*Poll, []Event, Tally) {
	labels := make([]string, themes)
	for i := range labels {
		labels[i] = fmt.Sprintf("Theme %d", i+1)
	}
	p := approvalPoll(labels...)
	p.OpenedAt = time.Date(2026, 5, 12, 14, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	sim := newLogSim(p, p.OpenedAt)
	groups := make([]Group, 0, len(DefaultGroups))
	for _, g := range DefaultGroups {
		groups = append(groups, g.ID)
	}
	for len(sim.log) < n {
		sim.randomVote(rng, 5000, groups)
	}
	return p, sim.log[:n], sim.tallyAt(n)
}

// tallyAt is the tally after the first n events of the log.
func (s *logSim) tallyAt(n int) Tally {
	t := NewTally()
	for _, e := range s.log[:n] {
		_ = ParseDelta(e.Delta, len(s.p.Themes), func(c Change) {
			if c.Theme < 0 {
				t.Ballots[c.Group] += c.N
				return
			}
			if t.Points[c.Group] == nil {
				t.Points[c.Group] = make([]int64, len(s.p.Themes))
			}
			t.Points[c.Group][c.Theme] += c.N
		})
	}
	return t
}

// BenchmarkTimeline computes the timeline of 100,000 events in one pass,
// with ComputeReport on the final tally as the baseline of one report.
func BenchmarkTimeline(b *testing.B) {
	for _, themes := range []int{10, 25} {
		p, log, tally := benchLog(100_000, themes)
		b.Run(fmt.Sprintf("events=100000/themes=%d", themes), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tb := NewTimelineBuilder(p, nil)
				for _, e := range log {
					if err := tb.Add(e); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := tb.Finish(LogTail{Tally: tally}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("report/themes=%d", themes), func(b *testing.B) {
			for b.Loop() {
				ComputeReport(p, tally, nil)
			}
		})
	}
}
