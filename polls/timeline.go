package polls

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Timeline is how a poll's consensus report changed as its ballots
// arrived: the report recomputed after every event of the poll's audit
// log, kept as each theme's status changes (with their times) and its
// score over time. Its JSON form is what `pollbot timeline -format json`
// prints.
type Timeline struct {
	Poll ReportPoll `json:"poll"`
	// From says where the timeline starts: TimelineFromOpening (the
	// poll's opening, with no ballot yet) or TimelineFromLog (the oldest
	// event its audit log still keeps, the bound of the log having
	// dropped older ones; StartBallots ballots were cast by then).
	From         string    `json:"from"`
	Start        time.Time `json:"start"`
	StartBallots int64     `json:"start_ballots"`
	// End is the time of the last event (Start when there is none).
	End time.Time `json:"end"`
	// Events counts the audit log events the timeline rests on, and
	// Ballots the ballots at End.
	Events  int   `json:"events"`
	Ballots int64 `json:"ballots"`
	// HourTimes is set for anonymous polls, whose times are cut to the
	// hour (as their exports' are), so that a change of status cannot be
	// tied to the moment one person voted.
	HourTimes bool `json:"hour_times"`
	// Marks are the poll's own events: closes, cancellations, reopenings
	// and deadline changes.
	Marks []Mark `json:"marks"`
	// Themes are in the rank order of the report at End.
	Themes []ThemeTimeline `json:"themes"`
	// Pos is the audit log position the timeline is computed up to.
	Pos string `json:"-"`
}

// Where a timeline starts (Timeline.From).
const (
	TimelineFromOpening = "opened"
	TimelineFromLog     = "log"
)

// ThemeTimeline is one theme's line in a timeline.
type ThemeTimeline struct {
	Theme string `json:"theme"`
	Index int    `json:"index"` // 0-based position in the poll
	// Rank, Status and Score are the theme's at End.
	Rank   int         `json:"rank"`
	Status ThemeStatus `json:"status"`
	Score  float64     `json:"score"`
	// Changes are the theme's statuses from Start, each with the time it
	// began: the first is the status at Start. A theme that changed
	// status more than MaxStatusChanges times (a poll whose votes flip
	// back and forth) keeps the first and its latest changes; Omitted
	// counts those left out between them.
	Changes []StatusChange `json:"changes"`
	Omitted int            `json:"omitted"`
	// Scores is the score over time, from Start to End: a point at each
	// change of status and wherever the score moved by ScoreStep or more
	// since the last point (at most MaxScorePoints of them, thinned
	// evenly beyond, changes of status kept).
	Scores []ScorePoint `json:"scores"`
}

// StatusChange is a theme's status from a time on.
type StatusChange struct {
	At     time.Time   `json:"at"`
	Status ThemeStatus `json:"status"`
}

// ScorePoint is a theme's score at a time.
type ScorePoint struct {
	At    time.Time `json:"at"`
	Score float64   `json:"score"`
}

// Mark is one of the poll's own events in a timeline.
type Mark struct {
	At    time.Time `json:"at"`
	Event EventKind `json:"event"` // close, cancel, reopen or deadline
	// Deadline is the new deadline of reopen and deadline events (null:
	// none).
	Deadline *time.Time `json:"deadline,omitempty"`
}

// Resolution and bounds of a timeline's series, per theme.
const (
	ScoreStep        = 0.005
	MaxScorePoints   = 512
	MaxStatusChanges = 1000
)

// ErrTimelineDrift is returned by TimelineBuilder.Finish when the tally
// of a read does not follow from the last one and the events in between
// (a log that was rewritten, or read out of order): the timeline must be
// computed afresh.
var ErrTimelineDrift = errors.New("audit log and tally disagree")

// TimelineBuilder computes a poll's timeline in one pass over its audit
// log. Events are handed to Add as they are read (oldest first); Finish,
// given the tally as of the last of them, computes the timeline and
// returns it. More events may then be added and Finish called again: the
// builder goes on from where it was, so a timeline kept up to date costs
// only the new events. A builder is not safe for concurrent use.
//
// The report at each point is the tally at that point: the tally at the
// start of the log is the last tally minus every event's change, so a log
// whose oldest events were dropped gives a timeline that starts at its
// first event kept, with the ballots cast by then.
type TimelineBuilder struct {
	p      *Poll
	groups *Groups
	tau    *threshold
	fast   fastTau
	scale  int64
	themes int

	started bool
	// Running state, per group index (gs order, the order groups were
	// first seen): ballots, points per theme, and per theme the cell's
	// verdicts and log of smoothed support.
	gs      []Group
	gi      map[Group]int
	n       []int64
	pts     [][]int64
	cells   [][]cellState
	present []int // group indexes with ballots, in report order
	qual    int   // groups with at least quorum ballots

	status []ThemeStatus
	score  []float64
	lines  []themeLine
	marks  []Mark

	// Events added since the last Finish, compact: times (unix ms),
	// and the range of each one's changes in ch.
	evAt  []int64
	evEnd []int32
	ch    []change

	events  int
	start   time.Time
	from    string
	startN  int64
	last    time.Time
	pos     string
	changed []bool // scratch: groups touched by an event
}

type cellState struct {
	above, confident bool
	logv             float64 // log((a+1)/(n+2))
}

type change struct {
	g     int32
	theme int32 // -1: the group's ballots
	n     int64
}

type themeLine struct {
	changes []StatusChange
	omitted int
	scores  []scorePoint
}

type scorePoint struct {
	at    time.Time
	score float64
	keep  bool // a change of status: never thinned out
}

// NewTimelineBuilder returns a builder for p's timeline; groups orders the
// groups as reports do (nil: DefaultGroups).
func NewTimelineBuilder(p *Poll, groups *Groups) *TimelineBuilder {
	if groups == nil {
		groups = MustGroups(DefaultGroups)
	}
	tau := newThreshold(p.Threshold)
	return &TimelineBuilder{
		p: p, groups: groups, tau: tau, fast: newFastTau(tau),
		scale: p.scale(), themes: len(p.Themes), gi: map[Group]int{},
	}
}

// Add takes the next event of the log. A vote event whose change is not a
// tally delta (see ParseDelta) is refused.
func (b *TimelineBuilder) Add(e Event) error {
	at := e.At.UTC()
	if !b.last.IsZero() && at.Before(b.last) {
		// Replicas' clocks differ a little; the log's order is the
		// order things happened in.
		at = b.last
	}
	if !b.started && len(b.evAt) == 0 {
		b.start = at
	}
	b.last = at
	b.pos = e.Pos
	b.events++
	switch e.Kind {
	case EventClose, EventCancel, EventReopen, EventDeadline:
		m := Mark{At: at, Event: e.Kind}
		if e.Kind == EventReopen || e.Kind == EventDeadline {
			if !e.Deadline.IsZero() {
				d := e.Deadline.UTC()
				m.Deadline = &d
			}
		}
		b.marks = append(b.marks, m)
	}
	var err error
	if e.Kind.IsVote() {
		err = ParseDelta(e.Delta, b.themes, func(c Change) {
			b.ch = append(b.ch, change{g: int32(b.group(c.Group)), theme: int32(c.Theme), n: c.N})
		})
	}
	if err != nil {
		b.ch = b.ch[:b.end()]
		return fmt.Errorf("event %s: %w", e.Pos, err)
	}
	b.evAt = append(b.evAt, at.UnixMilli())
	b.evEnd = append(b.evEnd, int32(len(b.ch)))
	return nil
}

func (b *TimelineBuilder) end() int {
	if len(b.evEnd) == 0 {
		return 0
	}
	return int(b.evEnd[len(b.evEnd)-1])
}

// group returns g's index, adding it with no ballots.
func (b *TimelineBuilder) group(g Group) int {
	if i, ok := b.gi[g]; ok {
		return i
	}
	i := len(b.gs)
	b.gi[g] = i
	b.gs = append(b.gs, g)
	b.n = append(b.n, 0)
	b.pts = append(b.pts, make([]int64, b.themes))
	b.cells = append(b.cells, make([]cellState, b.themes))
	b.changed = append(b.changed, false)
	return i
}

// Finish computes the timeline up to the last event added, given the tally
// as of that event (and, on the first call, whether the log was trimmed).
func (b *TimelineBuilder) Finish(tail LogTail) (*Timeline, error) {
	// Groups of the tally the events never named.
	for g, n := range tail.Tally.Ballots {
		if n != 0 {
			b.group(g)
		}
	}
	if !b.started {
		if err := b.begin(tail); err != nil {
			return nil, err
		}
	}
	off := 0
	for i, at := range b.evAt {
		end := int(b.evEnd[i])
		b.apply(b.ch[off:end], time.UnixMilli(at).UTC())
		off = end
	}
	b.evAt, b.evEnd, b.ch = b.evAt[:0], b.evEnd[:0], b.ch[:0]
	if tail.Last != "" {
		b.pos = tail.Last
	}
	if !b.agrees(tail.Tally) {
		return nil, ErrTimelineDrift
	}
	return b.snapshot(), nil
}

// begin sets the state at the start of the log: the tally minus every
// buffered event's change.
func (b *TimelineBuilder) begin(tail LogTail) error {
	for g, n := range tail.Tally.Ballots {
		b.n[b.gi[g]] = n
	}
	for g, pts := range tail.Tally.Points {
		if tail.Tally.Ballots[g] == 0 {
			continue
		}
		copy(b.pts[b.gi[g]], pts)
	}
	for _, c := range b.ch {
		b.bump(c, -1)
	}
	b.from, b.startN = TimelineFromOpening, 0
	for i, n := range b.n {
		if n < 0 {
			return fmt.Errorf("%w: %s would have %d ballots", ErrTimelineDrift, b.gs[i], n)
		}
		for _, p := range b.pts[i] {
			if p < 0 {
				return fmt.Errorf("%w: negative points in %s", ErrTimelineDrift, b.gs[i])
			}
		}
		b.startN += n
	}
	switch {
	case b.startN > 0 || tail.Trimmed:
		b.from = TimelineFromLog
		if len(b.evAt) == 0 {
			b.start = b.p.OpenedAt.UTC()
		}
	default:
		if open := b.p.OpenedAt.UTC(); b.start.IsZero() || open.Before(b.start) {
			b.start = open
		}
	}
	if b.last.IsZero() || b.last.Before(b.start) {
		b.last = b.start
	}
	b.started = true
	b.status = make([]ThemeStatus, b.themes)
	b.score = make([]float64, b.themes)
	b.lines = make([]themeLine, b.themes)
	for i := range b.gs {
		b.refreshGroup(i)
	}
	b.refreshPresent()
	for t := range b.themes {
		st, sc := b.themeState(t)
		b.status[t], b.score[t] = st, sc
		b.lines[t].changes = []StatusChange{{At: b.start, Status: st}}
		b.lines[t].scores = []scorePoint{{at: b.start, score: sc, keep: true}}
	}
	return nil
}

func (b *TimelineBuilder) bump(c change, sign int64) {
	if c.theme < 0 {
		b.n[c.g] += sign * c.n
	} else {
		b.pts[c.g][c.theme] += sign * c.n
	}
}

// apply moves the state by one event's changes and records what changed.
func (b *TimelineBuilder) apply(cs []change, at time.Time) {
	if len(cs) == 0 {
		return
	}
	wasPresent := make([]bool, 0, 2)
	touched := make([]int, 0, 2)
	for _, c := range cs {
		if !b.changed[c.g] {
			b.changed[c.g] = true
			touched = append(touched, int(c.g))
			wasPresent = append(wasPresent, b.n[c.g] > 0)
		}
		b.bump(c, +1)
	}
	reorder := false
	for k, g := range touched {
		b.changed[g] = false
		b.refreshGroup(g)
		if wasPresent[k] != (b.n[g] > 0) {
			reorder = true
		}
	}
	if reorder {
		b.refreshPresent()
	} else {
		b.countQualifying()
	}
	for t := range b.themes {
		st, sc := b.themeState(t)
		line := &b.lines[t]
		last := &line.scores[len(line.scores)-1]
		switch {
		case st != b.status[t]:
			line.changes = append(line.changes, StatusChange{At: at, Status: st})
			if len(line.changes) > 2*MaxStatusChanges {
				// Keep the first (the status at the start) and the latest.
				cut := len(line.changes) - MaxStatusChanges
				line.omitted += cut - 1
				line.changes = append(line.changes[:1], line.changes[cut:]...)
			}
			line.scores = append(line.scores, scorePoint{at: at, score: sc, keep: true})
		case math.Abs(sc-last.score) >= ScoreStep:
			line.scores = append(line.scores, scorePoint{at: at, score: sc})
		}
		if len(line.scores) > 2*MaxScorePoints {
			line.scores = thin(line.scores)
		}
		b.status[t], b.score[t] = st, sc
	}
}

// thin halves a score series, keeping its ends, and its changes of status
// unless they are most of it (a theme that changes status on every event).
func thin(s []scorePoint) []scorePoint {
	loose := 0
	for _, p := range s[1 : len(s)-1] {
		if !p.keep {
			loose++
		}
	}
	out := s[:1]
	k := 0
	for i := 1; i < len(s)-1; i++ {
		if s[i].keep && loose >= len(s)/4 {
			out = append(out, s[i])
			continue
		}
		if k++; k%2 == 0 {
			out = append(out, s[i])
		}
	}
	return append(out, s[len(s)-1])
}

// refreshGroup recomputes group g's cells for every theme.
func (b *TimelineBuilder) refreshGroup(g int) {
	n := b.n[g]
	if n <= 0 {
		return
	}
	for t := range b.themes {
		p := b.pts[g][t]
		c := &b.cells[g][t]
		var ok bool
		c.above, c.confident, ok = b.fast.cell(p, b.scale, n)
		if !ok {
			c.above = b.tau.supportAtLeast(p, b.scale, n)
			c.confident = c.above && b.tau.lowerAtLeast(p, b.scale, n)
		}
		// As ComputeReport computes it, for the same float.
		a := float64(p) / float64(b.scale)
		c.logv = math.Log((a + 1) / (float64(n) + 2))
	}
}

// refreshPresent orders the represented groups as reports do.
func (b *TimelineBuilder) refreshPresent() {
	b.present = b.present[:0]
	for i, n := range b.n {
		if n > 0 {
			b.present = append(b.present, i)
		}
	}
	slices.SortFunc(b.present, func(i, j int) int {
		if c := cmp.Compare(b.groups.order(b.gs[i]), b.groups.order(b.gs[j])); c != 0 {
			return c
		}
		return cmp.Compare(b.gs[i], b.gs[j])
	})
	b.countQualifying()
}

func (b *TimelineBuilder) countQualifying() {
	b.qual = 0
	for _, g := range b.present {
		if b.n[g] >= int64(b.p.Quorum) {
			b.qual++
		}
	}
}

// themeState is theme t's status and score now, decided as ComputeReport
// decides them.
func (b *TimelineBuilder) themeState(t int) (ThemeStatus, float64) {
	var sum float64
	confident, above, below := true, false, false
	for _, g := range b.present {
		c := b.cells[g][t]
		sum += c.logv
		if b.n[g] < int64(b.p.Quorum) {
			continue
		}
		confident = confident && c.confident
		above = above || c.above
		below = below || !c.above
	}
	score := 0.0
	if len(b.present) > 0 {
		score = math.Exp(sum / float64(len(b.present)))
	}
	switch {
	case b.qual < b.p.minGroups():
		return Insufficient, score
	case confident:
		return Consensus, score
	case !below:
		return Emerging, score
	case above:
		return Divided, score
	}
	return Low, score
}

// tally is the running state as a Tally.
func (b *TimelineBuilder) tally() Tally {
	t := NewTally()
	for i, g := range b.gs {
		if b.n[i] != 0 {
			t.Ballots[g] = b.n[i]
			t.Points[g] = slices.Clone(b.pts[i])
		}
	}
	return t
}

// agrees reports whether the running state is t.
func (b *TimelineBuilder) agrees(t Tally) bool {
	for i, g := range b.gs {
		if b.n[i] != t.Ballots[g] {
			return false
		}
		if b.n[i] == 0 {
			continue
		}
		want := t.Points[g]
		for j, p := range b.pts[i] {
			var w int64
			if j < len(want) {
				w = want[j]
			}
			if p != w {
				return false
			}
		}
	}
	return true
}

// snapshot is the timeline as of now, sharing nothing with the builder.
func (b *TimelineBuilder) snapshot() *Timeline {
	t := b.tally()
	rep := ComputeReport(b.p, t, b.groups)
	tl := &Timeline{
		Poll: rep.Poll, From: b.from, Start: b.start, StartBallots: b.startN,
		End: b.last, Events: b.events, Ballots: rep.Ballots,
		HourTimes: b.p.Anonymous, Marks: slices.Clone(b.marks), Pos: b.pos,
		Themes: make([]ThemeTimeline, 0, b.themes),
	}
	if tl.Marks == nil {
		tl.Marks = []Mark{}
	}
	for _, tr := range rep.Themes {
		i := tr.Index
		line := b.lines[i]
		th := ThemeTimeline{
			Theme: tr.Theme, Index: i, Rank: tr.Rank, Status: b.status[i], Score: b.score[i],
			Changes: slices.Clone(line.changes), Omitted: line.omitted,
			Scores: make([]ScorePoint, 0, len(line.scores)+1),
		}
		for _, sp := range line.scores {
			th.Scores = append(th.Scores, ScorePoint{At: sp.at, Score: sp.score})
		}
		if last := th.Scores[len(th.Scores)-1]; last.Score != b.score[i] || last.At.Before(b.last) {
			th.Scores = append(th.Scores, ScorePoint{At: b.last, Score: b.score[i]})
		}
		tl.Themes = append(tl.Themes, th)
	}
	if b.p.Anonymous {
		tl.cutToHour()
	}
	return tl
}

// cutToHour cuts every time to the hour (Timeline.HourTimes).
func (tl *Timeline) cutToHour() {
	h := func(t *time.Time) { *t = t.Truncate(time.Hour) }
	h(&tl.Start)
	h(&tl.End)
	for i := range tl.Marks {
		h(&tl.Marks[i].At)
	}
	for i := range tl.Themes {
		th := &tl.Themes[i]
		for j := range th.Changes {
			h(&th.Changes[j].At)
		}
		for j := range th.Scores {
			h(&th.Scores[j].At)
		}
	}
}

// Theme returns the line of the theme with the given 0-based index.
func (tl *Timeline) Theme(index int) (ThemeTimeline, bool) {
	for _, th := range tl.Themes {
		if th.Index == index {
			return th, true
		}
	}
	return ThemeTimeline{}, false
}
