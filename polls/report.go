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

// Report is the consensus report of a poll: every number of DESIGN.md
// section 4. Its JSON form is the external contract of `report --format json`.
type Report struct {
	Poll      ReportPoll     `json:"poll"`
	Quorum    int            `json:"quorum"`
	Threshold float64        `json:"threshold"`
	MinGroups int            `json:"min_groups"` // qualifying groups a theme needs to be more than insufficient
	Ballots   int64          `json:"ballots"`
	Groups    []GroupTurnout `json:"groups"`
	// UnderRepresented lists the groups with ballots but fewer than quorum;
	// Absent the configured groups with no ballot at all.
	UnderRepresented []Group       `json:"under_represented"`
	Absent           []Group       `json:"absent"`
	Themes           []ThemeResult `json:"themes"`
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
}

// ThemeResult is one theme's line in the report.
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
}

// GroupSupport is one group's support for one theme.
type GroupSupport struct {
	Group      Group   `json:"group"`
	Supporters float64 `json:"supporters"` // a_tg (Borda points in ranked polls)
	Ballots    int64   `json:"ballots"`    // n_g
	Support    float64 `json:"support"`    // s_tg
	Lower      float64 `json:"lower"`      // Wilson lower bound
	Qualifies  bool    `json:"-"`
}

// ComputeReport computes the consensus report of p from its tally, in time
// proportional to themes x groups. groups orders the groups and names the
// absent ones; it may be nil.
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
		r.Groups = append(r.Groups, GroupTurnout{Group: g, Ballots: n, Qualifies: q})
		r.Ballots += n
	}
	if r.Groups == nil {
		r.Groups = []GroupTurnout{}
	}
	for _, gi := range groups.list {
		if t.Ballots[gi.ID] <= 0 {
			r.Absent = append(r.Absent, gi.ID)
		}
	}

	scale := t.scale(p)
	keys := newRankKeys(len(p.Themes), present, t.Ballots)
	for i, th := range p.Themes {
		tr := ThemeResult{Theme: th.Label, Index: i, Groups: make([]GroupSupport, 0, len(present))}
		var sumA, sumS, logScore float64
		minS, maxS := math.Inf(1), math.Inf(-1)
		for j, g := range present {
			n := t.Ballots[g]
			pts := t.points(g, i)
			keys.add(i, j, pts, scale)
			a := float64(pts) / float64(scale)
			s := a / float64(n)
			gs := GroupSupport{
				Group: g, Supporters: a, Ballots: n, Support: s,
				Lower: WilsonLower(a, float64(n), WilsonZ), Qualifies: n >= int64(p.Quorum),
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
		tr.Status = themeStatus(tr.Groups, qualifying, r.MinGroups, p.Threshold)
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

func themeStatus(gs []GroupSupport, qualifying, minGroups int, threshold float64) ThemeStatus {
	if qualifying < minGroups {
		return Insufficient
	}
	allLower, allSupport, anySupport := true, true, false
	for _, g := range gs {
		if !g.Qualifies {
			continue
		}
		if g.Lower < threshold {
			allLower = false
		}
		if g.Support >= threshold {
			anySupport = true
		} else {
			allSupport = false
		}
	}
	switch {
	case allLower:
		return Consensus
	case allSupport:
		return Emerging
	case anySupport:
		return Divided
	}
	return Low
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
