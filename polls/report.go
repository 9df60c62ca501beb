package polls

import (
	"cmp"
	"encoding/json"
	"math"
	"slices"
	"sort"
	"time"
)

// ThemeStatus is the consensus verdict on one theme.
type ThemeStatus string

const (
	Insufficient ThemeStatus = "insufficient" // fewer than MinGroups groups reach quorum
	Consensus    ThemeStatus = "consensus"    // every qualifying group's Wilson lower bound >= threshold
	Emerging     ThemeStatus = "emerging"     // every qualifying group's support >= threshold
	Divided      ThemeStatus = "divided"      // some qualifying groups above threshold, some below
	Low          ThemeStatus = "low"          // no qualifying group reaches threshold
)

// WilsonZ is the z of the Wilson lower bound (95% two-sided).
const WilsonZ = 1.96

// Report is the consensus report of a poll: per theme a status, the
// numbers it rests on and what would change it. Its JSON form is the
// external contract of `report --format json`.
type Report struct {
	Poll      ReportPoll     `json:"poll"`
	Quorum    int            `json:"quorum"`
	Threshold float64        `json:"threshold"`
	MinGroups int            `json:"min_groups"` // qualifying groups a theme needs to be more than insufficient
	Ballots   int64          `json:"ballots"`
	Groups    []GroupTurnout `json:"groups"`
	// UnderRepresented lists the groups with ballots but fewer than quorum;
	// Absent the configured groups with no ballot at all.
	UnderRepresented []Group `json:"under_represented"`
	Absent           []Group `json:"absent"`
	// Held counts votes kept while their voters pick a group: not in the
	// tally, so not counted above, but never silently dropped. The tally
	// does not know them; the caller sets Held after ComputeReport.
	Held int64 `json:"held"`
	// Version is the version of the tally the report was computed from
	// (see Tally.Version); zero when it is not known.
	Version int64         `json:"-"`
	Themes  []ThemeResult `json:"themes"`
}

// ReportPoll is the poll as a report shows it.
type ReportPoll struct {
	ID       string    `json:"id"`
	Tenant   string    `json:"tenant"`
	Title    string    `json:"title"`
	Kind     Kind      `json:"kind"`
	Status   Status    `json:"status"`
	OpenedAt time.Time `json:"opened_at"`
	ClosedAt time.Time `json:"closed_at"` // null while the poll is open
}

// MarshalJSON writes closed_at as null, not a zero time, for an open poll:
// the key is part of the contract either way.
func (p ReportPoll) MarshalJSON() ([]byte, error) {
	type plain ReportPoll
	var closed *time.Time
	if !p.ClosedAt.IsZero() {
		t := p.ClosedAt.UTC()
		closed = &t
	}
	return json.Marshal(struct {
		plain
		ClosedAt *time.Time `json:"closed_at"`
	}{plain(p), closed})
}

// GroupTurnout is a represented group's participation.
type GroupTurnout struct {
	Group     Group `json:"group"`
	Ballots   int64 `json:"ballots"`
	Qualifies bool  `json:"qualifies"`
	Needed    int64 `json:"needed"` // more ballots to reach quorum: max(0, quorum - ballots)
}

// ThemeResult is one theme's line in the report: its status, the numbers
// behind it, and what the status rests on. Each field after Groups
// applies to some statuses only; for the others its list is empty (never
// nil), Margin nil and Split empty.
type ThemeResult struct {
	Theme   string         `json:"theme"`
	Index   int            `json:"-"` // 0-based position in the poll
	Rank    int            `json:"rank"`
	Status  ThemeStatus    `json:"status"`
	Score   float64        `json:"score"`
	Equal   float64        `json:"equal"`
	Overall float64        `json:"overall"`
	Spread  float64        `json:"spread"`
	Groups  []GroupSupport `json:"groups"`

	// Above and Below split the qualifying groups at the threshold:
	// support >= threshold, or below it. Group order.
	Above []Group `json:"above"`
	Below []Group `json:"below"`
	// ToEmerging (divided, low): per below-group, the fewest extra
	// supporting ballots from that group that lift its support to the
	// threshold.
	ToEmerging []GroupNeed `json:"to_emerging"`
	// ToConsensus (emerging): per qualifying group whose Wilson lower
	// bound is below the threshold, the fewest extra supporting ballots
	// that lift the lower bound to it.
	ToConsensus []GroupNeed `json:"to_consensus"`
	// SizeLimited (emerging): qualifying groups too small to reach
	// consensus even if unanimous.
	SizeLimited []SizeLimit `json:"size_limited"`
	// Margin (consensus, emerging): the fewest extra opposing ballots in
	// one qualifying group that lower the status; nil otherwise, and nil
	// too when it would take more than 2^53-1 (a threshold within a hair
	// of 0).
	Margin  *Margin `json:"margin"`
	Fragile bool    `json:"fragile"` // one dissenting ballot lowers the status
	Split   Split   `json:"split,omitempty"`
}

// GroupNeed is how many more ballots of some kind one group needs. Needed
// is nil when no number of ballots will do (a threshold of 1 asks for
// unanimity, and Wilson lower bounds never reach 1), or when it would take
// more than 2^53-1, which only thresholds within a hair of 1 ask for.
type GroupNeed struct {
	Group  Group  `json:"group"`
	Needed *int64 `json:"needed"`
}

// SizeLimit names a group whose Wilson lower bound stays below the
// threshold even if every ballot supports the theme: a unanimous group of
// n has lower bound n/(n+z^2). BallotsNeeded is the least group size n' at
// which n'/(n'+z^2) reaches the threshold: the group's total ballots, not
// the extra ones (nil when no size will do, as for a threshold of 1).
type SizeLimit struct {
	Group         Group  `json:"group"`
	BallotsNeeded *int64 `json:"ballots_needed"`
}

// Margin is how robust a consensus or emerging status is: Dissents extra
// opposing ballots (ballots that leave the theme out) in Group lower the
// status to To, and no qualifying group needs fewer (ties go to the group
// first in group order).
type Margin struct {
	Group    Group       `json:"group"`
	Dissents int64       `json:"dissents"`
	To       ThemeStatus `json:"to"`
}

// Split says whether a divided theme is divided beyond sampling noise.
type Split string

const (
	// SplitClear: some group is above the threshold with confidence (its
	// Wilson lower bound reaches it) and some group is below it with
	// confidence (its Wilson upper bound is under it).
	SplitClear Split = "clear"
	// SplitMarginal: the groups' support differs, but not beyond what
	// their sample sizes allow.
	SplitMarginal Split = "marginal"
)

// GroupSupport is one group's support for one theme.
type GroupSupport struct {
	Group      Group   `json:"group"`
	Supporters float64 `json:"supporters"` // a_tg (Borda points in ranked polls)
	Ballots    int64   `json:"ballots"`    // n_g
	Support    float64 `json:"support"`    // s_tg
	Lower      float64 `json:"lower"`      // Wilson lower bound (statuses compare it exactly, not this float)
	Qualifies  bool    `json:"-"`
}

// ComputeReport computes the consensus report of p from its tally, in time
// proportional to themes x groups (plus, for a few counts, searches of
// logarithmic length). groups orders the groups and names the absent ones;
// it may be nil.
//
// Per theme t and represented group g (a group with at least one ballot),
// with n_g its ballots and a_tg its supporters (Borda points in ranked
// polls, see Points):
//
//	support  s_tg = a_tg / n_g
//	overall  sum_g a_tg / sum_g n_g
//	equal    mean_g s_tg
//	score    (prod_g (a_tg+1)/(n_g+2))^(1/|G|): the geometric mean of
//	         Laplace-smoothed support, so that support shared by every
//	         group outweighs support concentrated in some
//	spread   max_g s_tg - min_g s_tg
//	lower    the Wilson score lower bound of s_tg (z = 1.96)
//
// Groups with at least quorum ballots qualify. A theme is insufficient when
// fewer than MinGroups groups qualify; else consensus when every
// qualifying group's lower bound reaches the threshold; else emerging when
// every qualifying group's support does; else divided when some do; else
// low. Themes rank by score, equal, overall, then label. Statuses, counts
// and ranks are decided in exact arithmetic (exact.go, rank.go); the float
// fields are for display.
func ComputeReport(p *Poll, t Tally, groups *Groups) *Report {
	if groups == nil {
		groups = MustGroups(DefaultGroups)
	}
	r := &Report{
		Poll: ReportPoll{
			ID: p.ID, Tenant: p.Tenant, Title: p.Title, Kind: p.Kind,
			Status: p.Status, OpenedAt: p.OpenedAt, ClosedAt: p.ClosedAt,
		},
		Quorum:           p.Quorum,
		Threshold:        p.Threshold,
		MinGroups:        p.minGroups(),
		Groups:           []GroupTurnout{},
		UnderRepresented: []Group{},
		Absent:           []Group{},
		Themes:           make([]ThemeResult, 0, len(p.Themes)),
	}
	// Represented groups in configured order.
	var present []Group
	for g, n := range t.Ballots {
		if n > 0 {
			present = append(present, g)
		}
	}
	sort.Slice(present, func(i, j int) bool {
		oi, oj := groups.order(present[i]), groups.order(present[j])
		if oi != oj {
			return oi < oj
		}
		return present[i] < present[j]
	})
	qualifying := 0
	for _, g := range present {
		n := t.Ballots[g]
		q := n >= int64(p.Quorum)
		if q {
			qualifying++
		} else {
			r.UnderRepresented = append(r.UnderRepresented, g)
		}
		r.Groups = append(r.Groups, GroupTurnout{Group: g, Ballots: n, Qualifies: q, Needed: max(0, int64(p.Quorum)-n)})
		r.Ballots += n
	}
	for _, gi := range groups.list {
		if t.Ballots[gi.ID] <= 0 {
			r.Absent = append(r.Absent, gi.ID)
		}
	}

	tau := newThreshold(p.Threshold)
	scale := t.scale(p)
	keys := newRankKeys(len(p.Themes), present, t.Ballots)
	cells := make([]cell, len(present))
	for i, th := range p.Themes {
		tr := ThemeResult{Theme: th.Label, Index: i, Groups: make([]GroupSupport, 0, len(present))}
		var sumA, sumS, logScore float64
		minS, maxS := math.Inf(1), math.Inf(-1)
		for j, g := range present {
			n := t.Ballots[g]
			pts := t.points(g, i)
			cells[j] = cell{group: g, p: pts, s: scale, n: n, qualifies: n >= int64(p.Quorum)}
			keys.add(i, j, pts, scale)
			a := float64(pts) / float64(scale)
			s := a / float64(n)
			gs := GroupSupport{
				Group: g, Supporters: a, Ballots: n, Support: s,
				Lower: WilsonLower(a, float64(n), WilsonZ), Qualifies: cells[j].qualifies,
			}
			tr.Groups = append(tr.Groups, gs)
			sumA += a
			sumS += s
			logScore += math.Log((a + 1) / (float64(n) + 2))
			minS, maxS = math.Min(minS, s), math.Max(maxS, s)
		}
		if len(present) > 0 {
			tr.Overall = sumA / float64(r.Ballots)
			tr.Equal = sumS / float64(len(present))
			tr.Score = math.Exp(logScore / float64(len(present)))
			tr.Spread = maxS - minS
		}
		tau.grounds(&tr, cells, qualifying, r.MinGroups)
		r.Themes = append(r.Themes, tr)
	}
	slices.SortFunc(r.Themes, func(a, b ThemeResult) int {
		if c := keys.compare(a.Index, b.Index); c != 0 {
			return c
		}
		if c := compareLabels(a.Theme, b.Theme); c != 0 {
			return c
		}
		return cmp.Compare(a.Index, b.Index)
	})
	for i := range r.Themes {
		r.Themes[i].Rank = i + 1
	}
	return r
}

// cell is one group's exact count for one theme: support a = p/s of n.
type cell struct {
	group     Group
	p, s, n   int64
	qualifies bool
	above     bool // a/n >= threshold
	confident bool // Wilson lower bound >= threshold
}

// grounds sets a theme's status and what it rests on from its cells,
// comparing with the threshold exactly.
func (e *threshold) grounds(tr *ThemeResult, cells []cell, qualifying, minGroups int) {
	tr.Above, tr.Below = []Group{}, []Group{}
	tr.ToEmerging, tr.ToConsensus, tr.SizeLimited = []GroupNeed{}, []GroupNeed{}, []SizeLimit{}
	// The qualifying cells, in place (cells is scratch owned by the caller).
	q := cells[:0]
	allConfident := true
	for _, c := range cells {
		if !c.qualifies {
			continue
		}
		c.above = e.supportAtLeast(c.p, c.s, c.n)
		// Confidence implies support: the lower bound is at most a/n.
		c.confident = c.above && e.lowerAtLeast(c.p, c.s, c.n)
		if c.above {
			tr.Above = append(tr.Above, c.group)
		} else {
			tr.Below = append(tr.Below, c.group)
		}
		allConfident = allConfident && c.confident
		q = append(q, c)
	}
	switch {
	case qualifying < minGroups:
		tr.Status = Insufficient
	case allConfident:
		tr.Status = Consensus
	case len(tr.Below) == 0:
		tr.Status = Emerging
	case len(tr.Above) > 0:
		tr.Status = Divided
	default:
		tr.Status = Low
	}

	switch tr.Status {
	case Divided, Low:
		for _, c := range q {
			if !c.above {
				tr.ToEmerging = append(tr.ToEmerging, GroupNeed{c.group, count(e.toReach(c.p, c.s, c.n))})
			}
		}
	case Emerging:
		enough, ok := e.unanimousEnough()
		for _, c := range q {
			if c.confident {
				continue
			}
			tr.ToConsensus = append(tr.ToConsensus, GroupNeed{c.group, count(e.toConfident(c.p, c.s, c.n))})
			// A group too small even if unanimous has its lower bound
			// below the threshold, so it is among these.
			if !ok || c.n < enough {
				tr.SizeLimited = append(tr.SizeLimited, SizeLimit{c.group, count(enough, ok)})
			}
		}
	}

	if tr.Status == Consensus || tr.Status == Emerging {
		lower := e.dissentsBelow
		if tr.Status == Consensus {
			lower = e.dissentsUnconfident
		}
		var at cell
		for _, c := range q {
			if d, ok := lower(c.p, c.s, c.n); ok && (tr.Margin == nil || d < tr.Margin.Dissents) {
				tr.Margin = &Margin{Group: c.group, Dissents: d}
				at = c
			}
		}
		if m := tr.Margin; m != nil {
			// Only the margin's group changes, and it still qualifies. A
			// consensus whose group stays above the threshold becomes
			// emerging; a group that falls below leaves the theme divided
			// when another group is above, else low.
			switch {
			case tr.Status == Consensus && e.supportAtLeast(at.p, at.s, at.n+m.Dissents):
				m.To = Emerging
			case len(tr.Above) > 1:
				m.To = Divided
			default:
				m.To = Low
			}
		}
		tr.Fragile = tr.Margin != nil && tr.Margin.Dissents == 1
	}

	if tr.Status == Divided {
		tr.Split = SplitMarginal
		var confidentAbove, confidentBelow bool
		for _, c := range q {
			confidentAbove = confidentAbove || c.confident
			confidentBelow = confidentBelow || !c.above && e.upperBelow(c.p, c.s, c.n)
		}
		if confidentAbove && confidentBelow {
			tr.Split = SplitClear
		}
	}
}

// count is a search result as a JSON number, or null when not found.
func count(n int64, ok bool) *int64 {
	if !ok {
		return nil
	}
	return &n
}

// WilsonLower is the lower bound of the Wilson score interval for a
// successes out of n trials. It is 0 when n is 0. a may be fractional
// (Borda points).
func WilsonLower(a, n, z float64) float64 {
	if n <= 0 {
		return 0
	}
	p := a / n
	z2 := z * z
	centre := p + z2/(2*n)
	margin := z * math.Sqrt(p*(1-p)/n+z2/(4*n*n))
	lo := (centre - margin) / (1 + z2/n)
	if lo < 0 {
		return 0
	}
	return lo
}

// Theme returns the result for the theme with the given 0-based index.
func (r *Report) Theme(index int) (ThemeResult, bool) {
	for _, t := range r.Themes {
		if t.Index == index {
			return t, true
		}
	}
	return ThemeResult{}, false
}
