package polls

import (
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

// statusLevel orders the statuses a theme with enough groups can have.
var statusLevel = map[ThemeStatus]int{Low: 0, Divided: 1, Emerging: 2, Consensus: 3}

// randomPoll makes a poll and tally of 1 to 6 groups, mostly small, with
// thresholds that are exact decimals, 1, and repeating fractions.
func randomPoll(rng *rand.Rand) (*Poll, Tally) {
	m := 1 + rng.IntN(4)
	kind := []Kind{Approval, Single, Ranked}[rng.IntN(3)]
	if kind == Ranked {
		m = 2 + rng.IntN(3)
	}
	labels := make([]string, m)
	for i := range labels {
		labels[i] = fmt.Sprintf("Theme %d", i+1)
	}
	p := approvalPoll(labels...)
	p.Kind = kind
	p.Quorum = 1 + rng.IntN(5)
	p.MinGroups = 1 + rng.IntN(3)
	p.Threshold = testThresholds[rng.IntN(len(testThresholds))]
	if rng.IntN(4) == 0 {
		p.Threshold = float64(1+rng.IntN(100)) / 100
	}
	s := int64(1)
	if kind == Ranked {
		s = int64(m - 1)
	}
	tl := NewTally()
	for _, g := range DefaultGroups[:1+rng.IntN(len(DefaultGroups))] {
		n := 1 + rng.Int64N(30)
		if rng.IntN(8) == 0 {
			n = 1 + rng.Int64N(2000)
		}
		pts := make([]int64, m)
		for i := range pts {
			// Lean towards support so that emerging and consensus occur.
			lo := int64(0)
			if rng.IntN(2) == 0 {
				lo = n * s / 2
			}
			pts[i] = lo + rng.Int64N(n*s-lo+1)
		}
		tl.Ballots[g.ID] = n
		tl.Points[g.ID] = pts
	}
	return p, tl
}

// plus returns tl with extra ballots in g, each giving theme a whole point
// (supporting) or nothing (opposing).
func plus(p *Poll, tl Tally, g Group, ballots int64, theme int, support bool) Tally {
	c := cloneTally(tl)
	c.Ballots[g] += ballots
	if support {
		c.Points[g][theme] += ballots * tl.scale(p)
	}
	return c
}

func themeOf(p *Poll, tl Tally, theme int) ThemeResult {
	th, _ := ComputeReport(p, tl, nil).Theme(theme)
	return th
}

// TestGroundsProperties checks, over random tallies, that each count in
// the report does what it says, and nothing less would: adding
// to_emerging[g].needed supporting ballots to g lifts g to the threshold
// and one fewer does not; adding to_consensus[g].needed lifts g's Wilson
// lower bound to it and one fewer does not; adding margin.dissents
// opposing ballots to margin.group lowers the status, one fewer does not,
// and no other qualifying group falls with fewer (nor an earlier one with
// as many). Statuses, size limits and splits are checked against the
// Wilson bounds evaluated from their formula at high precision.
func TestGroundsProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 41))
	seen := map[string]int{}
	for c := range 2500 {
		p, tl := randomPoll(rng)
		r := ComputeReport(p, tl, nil)
		e := newThreshold(p.Threshold)
		tau := tauRat(e)
		s := tl.scale(p)
		fail := func(th ThemeResult, format string, args ...any) {
			t.Helper()
			t.Fatalf("case %d (%s, quorum %d, min groups %d, threshold %v, tally %v), theme %q %s: %s",
				c, p.Kind, p.Quorum, p.MinGroups, p.Threshold, tl.Points, th.Theme, th.Status, fmt.Sprintf(format, args...))
		}
		for _, th := range r.Themes {
			i := th.Index
			seen[string(th.Status)]++

			// The status and its grounds from the formulas.
			var above, below []Group
			allConfident, confidentAbove, confidentBelow := true, false, false
			qualifying := 0
			for _, g := range r.Groups {
				if !g.Qualifies {
					continue
				}
				qualifying++
				pts, n := tl.Points[g.Group][i], tl.Ballots[g.Group]
				lo, hi := wilsonBig(pts, s, n)
				if big.NewRat(pts, s*n).Cmp(tau) >= 0 {
					above = append(above, g.Group)
				} else {
					below = append(below, g.Group)
				}
				allConfident = allConfident && cmpBig(lo, tau) >= 0
				confidentAbove = confidentAbove || cmpBig(lo, tau) >= 0
				confidentBelow = confidentBelow || cmpBig(hi, tau) < 0
			}
			want := Low
			switch {
			case qualifying < p.MinGroups:
				want = Insufficient
			case allConfident:
				want = Consensus
			case len(below) == 0:
				want = Emerging
			case len(above) > 0:
				want = Divided
			}
			if th.Status != want {
				fail(th, "status should be %s", want)
			}
			if !slices.Equal(th.Above, orEmptyGroups(above)) || !slices.Equal(th.Below, orEmptyGroups(below)) {
				fail(th, "above %v below %v, want %v %v", th.Above, th.Below, above, below)
			}
			if want := map[bool]Split{true: SplitClear, false: SplitMarginal}[confidentAbove && confidentBelow]; th.Status == Divided && th.Split != want {
				fail(th, "split %q, want %q", th.Split, want)
			}
			if th.Status != Divided && th.Split != "" {
				fail(th, "split %q on a theme that is not divided", th.Split)
			}

			// to_emerging: exactly the below-groups of divided and low themes.
			var wantTo []Group
			if th.Status == Divided || th.Status == Low {
				wantTo = below
			}
			if got := needGroups(th.ToEmerging); !slices.Equal(got, wantTo) {
				fail(th, "to_emerging groups %v, want %v", got, wantTo)
			}
			for _, need := range th.ToEmerging {
				if need.Needed == nil {
					if e.reachable() {
						fail(th, "to_emerging %s is null below a threshold of 1", need.Group)
					}
					continue
				}
				k := *need.Needed
				if !slices.Contains(themeOf(p, plus(p, tl, need.Group, k, i, true), i).Above, need.Group) {
					fail(th, "%d more supporters leave %s below", k, need.Group)
				}
				if k > 0 && slices.Contains(themeOf(p, plus(p, tl, need.Group, k-1, i, true), i).Above, need.Group) {
					fail(th, "%d more supporters (one fewer than needed) already lift %s", k-1, need.Group)
				}
			}

			// to_consensus and size_limited: emerging themes only.
			if th.Status != Emerging && (len(th.ToConsensus) > 0 || len(th.SizeLimited) > 0) {
				fail(th, "to_consensus %s, size_limited %s on a theme that is not emerging", show(th.ToConsensus), show(th.SizeLimited))
			}
			for _, need := range th.ToConsensus {
				pts, n := tl.Points[need.Group][i], tl.Ballots[need.Group]
				if need.Needed == nil {
					if e.reachable() {
						fail(th, "to_consensus %s is null below a threshold of 1", need.Group)
					}
					continue
				}
				k := *need.Needed
				if lo, _ := wilsonBig(pts+k*s, s, n+k); cmpBig(lo, tau) < 0 {
					fail(th, "%d more supporters leave %s's lower bound at %s", k, need.Group, lo.Text('g', 10))
				}
				if lo, _ := wilsonBig(pts+(k-1)*s, s, n+k-1); k < 1 || cmpBig(lo, tau) >= 0 {
					fail(th, "%d more supporters (one fewer than needed) already lift %s", k-1, need.Group)
				}
			}
			for _, g := range r.Groups {
				if th.Status != Emerging || !g.Qualifies {
					continue
				}
				lo, _ := wilsonBig(g.Ballots, 1, g.Ballots) // unanimous: n/(n+z^2)
				at := slices.IndexFunc(th.SizeLimited, func(l SizeLimit) bool { return l.Group == g.Group })
				if (at >= 0) != (cmpBig(lo, tau) < 0) {
					fail(th, "size_limited %s, but a unanimous %d has lower bound %s", show(th.SizeLimited), g.Ballots, lo.Text('g', 10))
				}
				if at < 0 {
					continue
				}
				if bn := th.SizeLimited[at].BallotsNeeded; bn != nil {
					lo, _ := wilsonBig(*bn, 1, *bn)
					before, _ := wilsonBig(*bn-1, 1, *bn-1)
					if cmpBig(lo, tau) < 0 || *bn > 1 && cmpBig(before, tau) >= 0 {
						fail(th, "ballots_needed %d for %s is not the least unanimous size", *bn, g.Group)
					}
				} else if e.reachable() {
					fail(th, "ballots_needed null below a threshold of 1")
				}
			}

			// margin: consensus and emerging themes.
			if (th.Status == Consensus || th.Status == Emerging) != (th.Margin != nil) {
				fail(th, "margin %s", show(th.Margin))
			}
			if th.Fragile != (th.Margin != nil && th.Margin.Dissents == 1) {
				fail(th, "fragile %v with margin %s", th.Fragile, show(th.Margin))
			}
			if th.Margin == nil {
				continue
			}
			d, mg := th.Margin.Dissents, th.Margin.Group
			if got := themeOf(p, plus(p, tl, mg, d, i, false), i).Status; statusLevel[got] >= statusLevel[th.Status] {
				fail(th, "%d dissents in %s leave it %s", d, mg, got)
			} else if got != th.Margin.To {
				fail(th, "%d dissents in %s make it %s, margin says %s", d, mg, got, th.Margin.To)
			}
			for _, g := range r.Groups {
				if !g.Qualifies {
					continue
				}
				fewer := d - 1
				if groups := MustGroups(DefaultGroups); groups.order(g.Group) < groups.order(mg) {
					fewer = d // an earlier group would have won the tie
				}
				if got := themeOf(p, plus(p, tl, g.Group, fewer, i, false), i).Status; got != th.Status {
					fail(th, "margin %s, yet %d dissents in %s make it %s", show(th.Margin), fewer, g.Group, got)
				}
			}
		}
	}
	for _, st := range []ThemeStatus{Insufficient, Consensus, Emerging, Divided, Low} {
		if seen[string(st)] < 100 {
			t.Errorf("only %d %s themes: the generator no longer covers them (%v)", seen[string(st)], st, seen)
		}
	}
	t.Logf("themes by status: %v", seen)
}

func needGroups(ns []GroupNeed) []Group {
	var out []Group
	for _, n := range ns {
		out = append(out, n.Group)
	}
	return out
}

func orEmptyGroups(gs []Group) []Group {
	if gs == nil {
		return []Group{}
	}
	return gs
}
