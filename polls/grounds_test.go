package polls

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
)

// grounds is what a theme's status rests on, as the report gives it.
type grounds struct {
	Status      ThemeStatus
	Above       []Group
	Below       []Group
	ToEmerging  []GroupNeed
	ToConsensus []GroupNeed
	SizeLimited []SizeLimit
	Margin      *Margin
	Fragile     bool
	Split       Split
}

func groundsOf(th ThemeResult) grounds {
	return grounds{th.Status, th.Above, th.Below, th.ToEmerging, th.ToConsensus, th.SizeLimited, th.Margin, th.Fragile, th.Split}
}

func need(g Group, n int64) GroupNeed { return GroupNeed{Group: g, Needed: &n} }
func never(g Group) GroupNeed         { return GroupNeed{Group: g} }
func limited(g Group, n int64) SizeLimit {
	return SizeLimit{Group: g, BallotsNeeded: &n}
}
func groups(gs ...Group) []Group { return append([]Group{}, gs...) }

// normalized fills nil lists with empty ones, as the report does.
func (g grounds) normalized() grounds {
	if g.Above == nil {
		g.Above = []Group{}
	}
	if g.Below == nil {
		g.Below = []Group{}
	}
	if g.ToEmerging == nil {
		g.ToEmerging = []GroupNeed{}
	}
	if g.ToConsensus == nil {
		g.ToConsensus = []GroupNeed{}
	}
	if g.SizeLimited == nil {
		g.SizeLimited = []SizeLimit{}
	}
	return g
}

func show(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

const (
	gov  Group = "government"
	priv Group = "private-sector"
	civ  Group = "civil-society"
	tech Group = "technical-community"
	acad Group = "academia"
	igo  Group = "intergovernmental"
)

// TestReportGrounds checks every field of what a status rests on against
// numbers worked out by hand (threshold 0.5 and quorum 3 unless a case
// says otherwise; z^2 = 3.8416). With tau = t/d, a group's support a/n has
// Wilson lower bound >= tau exactly when X = a·d - t·n > 0 and
// 625·X^2 >= 2401·t·(d-t)·n; for tau = 1/2 that is 2a > n and
// 625·(2a-n)^2 >= 2401·n.
func TestReportGrounds(t *testing.T) {
	tests := []struct {
		name      string
		kind      Kind // approval unless set; ranked polls have 3 themes
		quorum    int
		threshold float64
		groups    map[Group]gc // ranked: scaled points (2 per whole point)
		want      grounds
	}{
		{
			// The demo's DNS abuse. Civil society 6/15: (6+k)/(15+k) >= 1/2
			// at k = 3. No above-group is confident (Government 7/12:
			// 625·2^2 = 2500 < 2401·12), so the split is within noise.
			name: "DNS abuse (demo): Civil society alone below, 3 supporters short",
			groups: map[Group]gc{
				gov: {12, []int64{7}}, priv: {14, []int64{8}}, civ: {15, []int64{6}},
				tech: {12, []int64{7}}, acad: {6, []int64{3}}, igo: {2, []int64{1}},
			},
			want: grounds{
				Status: Divided, Above: groups(gov, priv, tech, acad), Below: groups(civ),
				ToEmerging: []GroupNeed{need(civ, 3)}, Split: SplitMarginal,
			},
		},
		{
			// The demo's Collaboration: every group unanimous. Academia 6/6
			// is confident (625·6^2 = 22500 >= 2401·6 = 14406) but 6/7 is
			// not (625·5^2 = 15625 < 2401·7 = 16807): one dissent.
			name: "Collaboration (demo): consensus rests on Academia's 6/6",
			groups: map[Group]gc{
				gov: {12, []int64{12}}, priv: {14, []int64{14}}, civ: {15, []int64{15}},
				tech: {12, []int64{12}}, acad: {6, []int64{6}}, igo: {2, []int64{2}},
			},
			want: grounds{
				Status: Consensus, Above: groups(gov, priv, civ, tech, acad),
				Margin: &Margin{acad, 1, Emerging}, Fragile: true,
			},
		},
		{
			// The demo's Education and awareness. Technical community 8/12
			// is not confident (625·4^2 < 2401·12); with k more supporters
			// X = 4+k: k = 3 gives 625·49 = 30625 < 2401·15 = 36015, k = 4
			// gives 40000 >= 38416. Its 8/(12+d) < 1/2 at d = 5; the other
			// groups need more (Academia 6/6: d = 7).
			name: "Education (demo): consensus needs 4 in Technical community",
			groups: map[Group]gc{
				gov: {12, []int64{11}}, priv: {14, []int64{12}}, civ: {15, []int64{14}},
				tech: {12, []int64{8}}, acad: {6, []int64{6}}, igo: {2, []int64{2}},
			},
			want: grounds{
				Status: Emerging, Above: groups(gov, priv, civ, tech, acad),
				ToConsensus: []GroupNeed{need(tech, 4)}, Margin: &Margin{tech, 5, Divided},
			},
		},
		{
			// The demo's Privacy. Civil society 14/15 is confidently above;
			// Private sector 3/14 confidently below (X = -8:
			// 625·64 = 40000 > 2401·14 = 33614). Government 4/12 needs
			// 8+2k >= 12+k: 4; Private sector 6+2k >= 14+k: 8.
			name: "Privacy (demo): a clear split",
			groups: map[Group]gc{
				gov: {12, []int64{4}}, priv: {14, []int64{3}}, civ: {15, []int64{14}},
				tech: {12, []int64{7}}, acad: {6, []int64{5}}, igo: {2, []int64{0}},
			},
			want: grounds{
				Status: Divided, Above: groups(civ, tech, acad), Below: groups(gov, priv),
				ToEmerging: []GroupNeed{need(gov, 4), need(priv, 8)}, Split: SplitClear,
			},
		},
		{
			// A unanimous group of 3 has lower bound 3/6.8416 = 0.44: the
			// least n with n/(n+3.8416) >= 1/2 is 4, so one more supporter
			// each. 3/(3+d) < 1/2 at d = 4; all tie, Government is first.
			name: "unanimous groups of 3 are too small for consensus",
			groups: map[Group]gc{
				gov: {3, []int64{3}}, civ: {3, []int64{3}}, acad: {3, []int64{3}},
			},
			want: grounds{
				Status: Emerging, Above: groups(gov, civ, acad),
				ToConsensus: []GroupNeed{need(gov, 1), need(civ, 1), need(acad, 1)},
				SizeLimited: []SizeLimit{limited(gov, 4), limited(civ, 4), limited(acad, 4)},
				Margin:      &Margin{gov, 4, Divided},
			},
		},
		{
			// tau = 1: a Wilson lower bound never reaches 1, so consensus is
			// impossible and no size helps; one dissent anywhere divides.
			name: "threshold 1: unanimity is emerging at best", threshold: 1,
			groups: map[Group]gc{gov: {5, []int64{5}}, civ: {5, []int64{5}}},
			want: grounds{
				Status: Emerging, Above: groups(gov, civ),
				ToConsensus: []GroupNeed{never(gov), never(civ)},
				SizeLimited: []SizeLimit{{Group: gov}, {Group: civ}},
				Margin:      &Margin{gov, 1, Divided}, Fragile: true,
			},
		},
		{
			name: "threshold 1: no number of supporters lifts a group with a dissent", threshold: 1,
			groups: map[Group]gc{gov: {5, []int64{5}}, civ: {5, []int64{4}}},
			want: grounds{
				Status: Divided, Above: groups(gov), Below: groups(civ),
				ToEmerging: []GroupNeed{never(civ)}, Split: SplitMarginal,
			},
		},
		{
			// Quorum 1: a single ballot counts. (0+k)/(1+k) >= 1/2 at k = 1.
			name: "quorum 1: a group of one counts", quorum: 1,
			groups: map[Group]gc{gov: {1, []int64{1}}, civ: {1, []int64{0}}, acad: {2, []int64{2}}},
			want: grounds{
				Status: Divided, Above: groups(gov, acad), Below: groups(civ),
				ToEmerging: []GroupNeed{need(civ, 1)}, Split: SplitMarginal,
			},
		},
		{
			// 1/1 has lower bound 1/4.8416: 3 more supporters make 4/4.
			// 1/(1+d) < 1/2 at d = 2.
			name: "quorum 1: single unanimous ballots are emerging", quorum: 1,
			groups: map[Group]gc{gov: {1, []int64{1}}, civ: {1, []int64{1}}},
			want: grounds{
				Status: Emerging, Above: groups(gov, civ),
				ToConsensus: []GroupNeed{need(gov, 3), need(civ, 3)},
				SizeLimited: []SizeLimit{limited(gov, 4), limited(civ, 4)},
				Margin:      &Margin{gov, 2, Divided},
			},
		},
		{
			// Government has exactly quorum and counts; Civil society's 2
			// ballots do not, so its dissent does not block. Academia 10/10
			// needs 11 dissents, Government 3/3 only 4.
			name:   "a group exactly at quorum counts, one below does not",
			groups: map[Group]gc{gov: {3, []int64{3}}, civ: {2, []int64{0}}, acad: {10, []int64{10}}},
			want: grounds{
				Status: Emerging, Above: groups(gov, acad),
				ToConsensus: []GroupNeed{need(gov, 1)}, SizeLimited: []SizeLimit{limited(gov, 4)},
				Margin: &Margin{gov, 4, Divided},
			},
		},
		{
			// Ranked, 3 themes: points scaled by 2. Government 2.5/4,
			// Civil society 1.5/4: (1.5+k)/(4+k) >= 1/2 at k = 1 (a
			// supporting ballot ranks the theme first: one whole point).
			name: "ranked: fractional points", kind: Ranked,
			groups: map[Group]gc{gov: {4, []int64{5}}, civ: {4, []int64{3}}},
			want: grounds{
				Status: Divided, Above: groups(gov), Below: groups(civ),
				ToEmerging: []GroupNeed{need(civ, 1)}, Split: SplitMarginal,
			},
		},
		{
			// 2/4 points is exactly 1/2. (2+k)/(4+k): a - n/2 = k/2, so
			// confident when k^2 >= 3.8416·(4+k): k = 6 gives 36 < 38.4,
			// k = 7 gives 49 >= 42.3. 2/(4+d) < 1/2 at d = 1.
			name: "ranked: exactly at the threshold in points", kind: Ranked,
			groups: map[Group]gc{gov: {4, []int64{4}}, civ: {4, []int64{4}}},
			want: grounds{
				Status: Emerging, Above: groups(gov, civ),
				ToConsensus: []GroupNeed{need(gov, 7), need(civ, 7)},
				Margin:      &Margin{gov, 1, Divided}, Fragile: true,
			},
		},
		{
			// 9.5/10 and 10/10 points. Government with d dissents:
			// X = 2·9.5 - (10+d); d = 2: 625·7^2 = 30625 >= 2401·12 = 28812
			// still confident, d = 3: 625·36 = 22500 < 2401·13 = 31213.
			// Civil society: d = 2: 625·64 >= 28812, d = 3: 625·49 = 30625
			// < 31213. A tie at 3: Government comes first.
			name: "ranked: consensus margin in points", kind: Ranked,
			groups: map[Group]gc{gov: {10, []int64{19}}, civ: {10, []int64{20}}},
			want: grounds{
				Status: Consensus, Above: groups(gov, civ), Margin: &Margin{gov, 3, Emerging},
			},
		},
		{
			// 1299/2500: 625·(2598-2500)^2 = 6002500 = 2401·2500, so the
			// Wilson lower bound is exactly 1/2, and that reaches it. With
			// one dissent, 625·97^2 = 5880625 < 2401·2501 = 6004901.
			name:   "a Wilson lower bound exactly at the threshold reaches it",
			groups: map[Group]gc{gov: {2500, []int64{1299}}, civ: {2500, []int64{1299}}},
			want: grounds{
				Status: Consensus, Above: groups(gov, civ), Margin: &Margin{gov, 1, Emerging}, Fragile: true,
			},
		},
		{
			// 1298/2500: X = 96, 625·96^2 = 5760000 < 2401·2500. With k
			// more supporters X = 96+k: k = 2 gives 6002500 < 2401·2502 =
			// 6007302, k = 3 gives 6125625 >= 6009703.
			name:   "just below an exact Wilson boundary",
			groups: map[Group]gc{gov: {2500, []int64{1298}}, civ: {2500, []int64{1299}}},
			want: grounds{
				Status: Emerging, Above: groups(gov, civ),
				ToConsensus: []GroupNeed{need(gov, 3)}, Margin: &Margin{gov, 97, Divided},
			},
		},
		{
			// 19/20 is confident, 1/20 confidently below. (1+k)/(20+k) >=
			// 1/2 at 2+2k >= 20+k: 18.
			name:   "a clear split",
			groups: map[Group]gc{gov: {20, []int64{19}}, civ: {20, []int64{1}}},
			want: grounds{
				Status: Divided, Above: groups(gov), Below: groups(civ),
				ToEmerging: []GroupNeed{need(civ, 18)}, Split: SplitClear,
			},
		},
		{
			// 1201/2500: 625·(2402-2500)^2 = 6002500 = 2401·2500, so the
			// Wilson upper bound is exactly 1/2, not below it: marginal.
			// (The float upper bound is 0.4999999999999999.) 98 more
			// supporters: 2402+2k >= 2500+k.
			name:   "a Wilson upper bound exactly at the threshold is not below it",
			groups: map[Group]gc{gov: {20, []int64{19}}, civ: {2500, []int64{1201}}},
			want: grounds{
				Status: Divided, Above: groups(gov), Below: groups(civ),
				ToEmerging: []GroupNeed{need(civ, 98)}, Split: SplitMarginal,
			},
		},
		{
			// 1/5: 2+2k >= 5+k at 3; 2/5: 4+2k >= 5+k at 1.
			name:   "low: every qualifying group below",
			groups: map[Group]gc{gov: {5, []int64{1}}, civ: {5, []int64{2}}},
			want: grounds{
				Status: Low, Below: groups(gov, civ), ToEmerging: []GroupNeed{need(gov, 3), need(civ, 1)},
			},
		},
		{
			name:   "insufficient: above and below only",
			groups: map[Group]gc{gov: {5, []int64{5}}, civ: {2, []int64{2}}},
			want:   grounds{Status: Insufficient, Above: groups(gov)},
		},
		{
			// tau = 0.8 is 4/5: 4/5 meets it. t = 4, d = 5, so confident
			// when 625·X^2 >= 2401·4·1·n = 9604·n with X = 5a - 4n.
			// Government 4/5 plus k: X = k, k^2 >= 15.3664·(5+k): k = 19
			// gives 361 < 368.96, k = 20 gives 400 >= 384.33. Civil
			// society 5/5 plus k: X = 5+k >= 15.3664: k = 11. A unanimous
			// group needs n >= 15.3664: 16. 4/(5+d) < 4/5 at d = 1.
			name: "threshold 0.8 is four fifths", threshold: 0.8,
			groups: map[Group]gc{gov: {5, []int64{4}}, civ: {5, []int64{5}}},
			want: grounds{
				Status: Emerging, Above: groups(gov, civ),
				ToConsensus: []GroupNeed{need(gov, 20), need(civ, 11)},
				SizeLimited: []SizeLimit{limited(gov, 16), limited(civ, 16)},
				Margin:      &Margin{gov, 1, Divided}, Fragile: true,
			},
		},
		{
			// tau = 0.1 is 1/10: 1 of 10 meets it, though the float64
			// nearest 0.1 is a little more than 1/10. 1/(10+d) < 1/10 at
			// d = 1.
			name: "threshold 0.1 is one tenth", threshold: 0.1,
			groups: map[Group]gc{gov: {10, []int64{1}}, civ: {10, []int64{1}}},
			want: grounds{
				// 1/10 at 1/10: X = 0, not confident. Plus k: X = 10(1+k) -
				// (10+k) = 9k, confident when 625·81k^2 >= 2401·9·(10+k):
				// k = 2: 202500 >= 259308? no; k = 3: 455625 >= 280917.
				Status: Emerging, Above: groups(gov, civ),
				ToConsensus: []GroupNeed{need(gov, 3), need(civ, 3)},
				Margin:      &Margin{gov, 1, Divided}, Fragile: true,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := approvalPoll("Theme")
			if tt.kind == Ranked {
				p = approvalPoll("Theme", "Other", "Third")
				p.Kind = Ranked
			}
			if tt.quorum != 0 {
				p.Quorum = tt.quorum
			}
			if tt.threshold != 0 {
				p.Threshold = tt.threshold
			}
			r := ComputeReport(p, tallyOf(p, tt.groups), nil)
			th, _ := r.Theme(0)
			got, want := groundsOf(th), tt.want.normalized()
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s\nwant %s", show(got), show(want))
			}
		})
	}
}

// TestReportDemoThemes checks the report of `pollbot demo` (its tally, as
// cmd/pollbot/demo.go casts it) theme by theme, and that the sentences a
// chair would read out hold: one more dissenting Academia ballot makes
// Collaboration emerging; three more supporting Civil society ballots make
// DNS abuse emerging and two do not.
func TestReportDemoThemes(t *testing.T) {
	p := approvalPoll("DNSSEC", "DNS abuse", "Critical success factors in cybersecurity", "Responsible disclosure",
		"Tools for prevention", "Privacy", "BCP38 (DDoS mitigation)", "Enforcement",
		"Education and awareness", "Collaboration and cooperation among actors")
	tl := tallyOf(p, map[Group]gc{
		gov:  {12, []int64{4, 7, 3, 6, 4, 4, 3, 11, 11, 12}},
		priv: {14, []int64{4, 8, 3, 9, 6, 3, 5, 5, 12, 14}},
		civ:  {15, []int64{2, 6, 2, 12, 3, 14, 2, 2, 14, 15}},
		tech: {12, []int64{11, 7, 2, 11, 5, 7, 10, 3, 8, 12}},
		acad: {6, []int64{3, 3, 1, 5, 2, 5, 2, 2, 6, 6}},
		igo:  {2, []int64{0, 1, 0, 1, 1, 0, 1, 2, 2, 2}},
	})
	r := ComputeReport(p, tl, nil)
	type row struct {
		theme       string
		status      ThemeStatus
		toEmerging  []GroupNeed
		toConsensus []GroupNeed
		margin      *Margin
		split       Split
	}
	want := []row{
		{"Collaboration and cooperation among actors", Consensus, nil, nil, &Margin{acad, 1, Emerging}, ""},
		{"Education and awareness", Emerging, nil, []GroupNeed{need(tech, 4)}, &Margin{tech, 5, Divided}, ""},
		{"Responsible disclosure", Emerging, nil, []GroupNeed{need(gov, 9), need(priv, 5), need(acad, 2)}, &Margin{gov, 1, Divided}, ""},
		{"DNS abuse", Divided, []GroupNeed{need(civ, 3)}, nil, nil, SplitMarginal},
		{"Privacy", Divided, []GroupNeed{need(gov, 4), need(priv, 8)}, nil, nil, SplitClear},
		{"Enforcement", Divided, []GroupNeed{need(priv, 4), need(civ, 11), need(tech, 6), need(acad, 2)}, nil, nil, SplitClear},
		{"Tools for prevention", Low, []GroupNeed{need(gov, 4), need(priv, 2), need(civ, 9), need(tech, 2), need(acad, 2)}, nil, nil, ""},
		{"BCP38 (DDoS mitigation)", Divided, []GroupNeed{need(gov, 6), need(priv, 4), need(civ, 11), need(acad, 2)}, nil, nil, SplitClear},
		{"DNSSEC", Divided, []GroupNeed{need(gov, 4), need(priv, 6), need(civ, 11)}, nil, nil, SplitClear},
		{"Critical success factors in cybersecurity", Low, []GroupNeed{need(gov, 6), need(priv, 8), need(civ, 11), need(tech, 8), need(acad, 4)}, nil, nil, ""},
	}
	for i, w := range want {
		th := r.Themes[i]
		got := row{th.Theme, th.Status, th.ToEmerging, th.ToConsensus, th.Margin, th.Split}
		if w.toEmerging == nil {
			w.toEmerging = []GroupNeed{}
		}
		if w.toConsensus == nil {
			w.toConsensus = []GroupNeed{}
		}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("rank %d:\ngot  %s %s %s %s %s %s\nwant %s %s %s %s %s %s", i+1,
				got.theme, got.status, show(got.toEmerging), show(got.toConsensus), show(got.margin), got.split,
				w.theme, w.status, show(w.toEmerging), show(w.toConsensus), show(w.margin), w.split)
		}
		if fragile := w.margin != nil && w.margin.Dissents == 1; th.Fragile != fragile {
			t.Errorf("%s: fragile = %v, want %v", th.Theme, th.Fragile, fragile)
		}
	}
	if want := []Group{}; !slices.Equal(r.Absent, want) {
		t.Errorf("absent = %v, want none", r.Absent)
	}
	for _, g := range r.Groups {
		if want := map[Group]int64{igo: 1}[g.Group]; g.Needed != want {
			t.Errorf("%s needs %d ballots to count, want %d", g.Group, g.Needed, want)
		}
	}

	status := func(tl Tally, theme int) ThemeStatus {
		th, _ := ComputeReport(p, tl, nil).Theme(theme)
		return th.Status
	}
	const collaboration, dnsAbuse = 9, 1
	withVotes := func(g Group, ballots int64, supportTheme int) Tally {
		c := cloneTally(tl)
		c.Ballots[g] += ballots
		if supportTheme >= 0 {
			c.Points[g][supportTheme] += ballots
		}
		return c
	}
	if got := status(withVotes(acad, 1, -1), collaboration); got != Emerging {
		t.Errorf("Collaboration with one more dissenting Academia ballot: %s, want emerging", got)
	}
	if got := status(withVotes(civ, 3, dnsAbuse), dnsAbuse); got != Emerging {
		t.Errorf("DNS abuse with 3 more supporting Civil society ballots: %s, want emerging", got)
	}
	if got := status(withVotes(civ, 2, dnsAbuse), dnsAbuse); got != Divided {
		t.Errorf("DNS abuse with 2 more supporting Civil society ballots: %s, want divided", got)
	}
}

func cloneTally(t Tally) Tally {
	c := NewTally()
	for g, n := range t.Ballots {
		c.Ballots[g] = n
		c.Points[g] = slices.Clone(t.Points[g])
	}
	return c
}

func TestReportTurnoutAndHeld(t *testing.T) {
	p := approvalPoll("A")
	p.Quorum = 4
	// Government 4/4 is confidently above (625·4^2 >= 2401·4), Academia
	// 0/6 confidently below (625·6^2 > 2401·6); Civil society's single
	// ballot does not count.
	r := ComputeReport(p, tallyOf(p, map[Group]gc{gov: {4, []int64{4}}, civ: {1, []int64{1}}, acad: {6, []int64{0}}}), nil)
	got := map[Group]int64{}
	for _, g := range r.Groups {
		got[g.Group] = g.Needed
	}
	if want := map[Group]int64{gov: 0, civ: 3, acad: 0}; !reflect.DeepEqual(got, want) {
		t.Errorf("needed = %v, want %v", got, want)
	}
	if want := []Group{priv, tech, igo}; !slices.Equal(r.Absent, want) {
		t.Errorf("absent = %v, want %v", r.Absent, want)
	}
	r.Held = 2
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]any{"held": 2.0, "min_groups": 2.0, "quorum": 4.0, "threshold": 0.5} {
		if m[key] != want {
			t.Errorf("%s = %v, want %v", key, m[key], want)
		}
	}
	th := m["themes"].([]any)[0].(map[string]any)
	for _, key := range []string{"above", "below", "to_emerging", "to_consensus", "size_limited", "margin", "fragile"} {
		if _, ok := th[key]; !ok {
			t.Errorf("theme JSON lacks %q: %s", key, data)
		}
	}
	if th["status"] != "divided" || th["split"] != "clear" {
		t.Errorf("status %v, split %v; want divided, clear", th["status"], th["split"])
	}
	if ComputeReport(p, NewTally(), nil).Held != 0 {
		t.Error("held is not 0 by default")
	}
}
