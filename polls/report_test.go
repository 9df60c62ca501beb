package polls

import (
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
)

// tallyOf builds a tally from per-group ballot counts and per-theme
// supporter counts (approval/single), as a store would hold it.
func tallyOf(p *Poll, groups map[Group]struct {
	n int64
	a []int64
}) Tally {
	t := NewTally()
	for g, c := range groups {
		t.Ballots[g] = c.n
		pts := make([]int64, len(p.Themes))
		copy(pts, c.a)
		t.Points[g] = pts
	}
	return t
}

type gc = struct {
	n int64
	a []int64
}

func approvalPoll(labels ...string) *Poll {
	p := &Poll{ID: "TEST", Tenant: "local", Title: "Theme for 2027", Kind: Approval, Status: StatusOpen}
	for _, l := range labels {
		p.Themes = append(p.Themes, Theme{Label: l})
	}
	p.Normalize()
	return p
}

func near(t *testing.T, what string, got, want float64) {
	t.Helper()
	if math.Abs(got-want) > 1e-9 {
		t.Errorf("%s = %.12f, want %.12f", what, got, want)
	}
}

func TestReportLoudGroupIsDivided(t *testing.T) {
	// 19 of 20 civil-society voters back Privacy, none of 5 private-sector
	// voters do: 76% overall, yet not consensus.
	p := approvalPoll("Privacy")
	r := ComputeReport(p, tallyOf(p, map[Group]gc{
		"civil-society":  {20, []int64{19}},
		"private-sector": {5, []int64{0}},
	}), nil)
	th := r.Themes[0]
	if th.Status != Divided {
		t.Fatalf("status = %s, want divided", th.Status)
	}
	near(t, "overall", th.Overall, 0.76)
	near(t, "equal", th.Equal, 0.475)
	near(t, "score", th.Score, math.Sqrt(20.0/22*1.0/7)) // 0.360374985
	near(t, "spread", th.Spread, 0.95)
	if len(th.Groups) != 2 || th.Groups[0].Group != "private-sector" || th.Groups[1].Group != "civil-society" {
		t.Fatalf("groups not in configured order: %+v", th.Groups)
	}
	near(t, "lower civil-society", th.Groups[1].Lower, 0.7638641064874331)
	near(t, "lower private-sector", th.Groups[0].Lower, 0)
	if r.Ballots != 25 {
		t.Errorf("ballots = %d, want 25", r.Ballots)
	}
}

func TestReportStatuses(t *testing.T) {
	tests := []struct {
		name   string
		groups map[Group]gc
		want   ThemeStatus
		lower  float64 // every qualifying group's lower bound, when checked
		score  float64
	}{
		{
			name: "3 of 3 in every group is emerging, not yet consensus",
			groups: map[Group]gc{
				"government": {3, []int64{3}}, "civil-society": {3, []int64{3}}, "academia": {3, []int64{3}},
			},
			want: Emerging, lower: 0.4384939195509822, score: 0.8,
		},
		{
			name: "10 of 10 in every group is consensus",
			groups: map[Group]gc{
				"government": {10, []int64{10}}, "civil-society": {10, []int64{10}},
			},
			want: Consensus, lower: 0.7224598312333834, score: 11.0 / 12,
		},
		{
			name: "groups below quorum are insufficient",
			groups: map[Group]gc{
				"government": {2, []int64{2}}, "civil-society": {2, []int64{2}}, "academia": {5, []int64{5}},
			},
			want: Insufficient,
		},
		{
			name: "no group reaches threshold is low",
			groups: map[Group]gc{
				"government": {5, []int64{1}}, "civil-society": {4, []int64{1}},
			},
			want: Low,
		},
		{
			name: "exactly the threshold counts as support",
			groups: map[Group]gc{
				"government": {4, []int64{2}}, "civil-society": {4, []int64{2}},
			},
			want: Emerging,
		},
		{
			name: "an under-quorum dissenting group does not block",
			groups: map[Group]gc{
				"government": {10, []int64{10}}, "civil-society": {10, []int64{10}}, "academia": {2, []int64{0}},
			},
			want: Consensus,
		},
		{
			name:   "no ballots at all",
			groups: map[Group]gc{},
			want:   Insufficient,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := approvalPoll("DNSSEC")
			r := ComputeReport(p, tallyOf(p, tt.groups), nil)
			th := r.Themes[0]
			if th.Status != tt.want {
				t.Fatalf("status = %s, want %s (%+v)", th.Status, tt.want, th)
			}
			if tt.lower != 0 {
				for _, g := range th.Groups {
					near(t, "lower "+string(g.Group), g.Lower, tt.lower)
				}
			}
			if tt.score != 0 {
				near(t, "score", th.Score, tt.score)
			}
		})
	}
}

func TestReportMinGroups(t *testing.T) {
	// Two qualifying unanimous groups of 5 (Wilson lower 0.565) and one
	// below quorum.
	groups := map[Group]gc{
		"government": {5, []int64{5}}, "civil-society": {5, []int64{5}}, "academia": {2, []int64{2}},
	}
	tests := []struct {
		minGroups int
		want      ThemeStatus
	}{
		{0, Consensus}, // a stored poll without the option: 2
		{1, Consensus},
		{2, Consensus},
		{3, Insufficient},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.minGroups), func(t *testing.T) {
			p := approvalPoll("DNSSEC")
			p.MinGroups = tt.minGroups
			r := ComputeReport(p, tallyOf(p, groups), nil)
			if got := r.Themes[0].Status; got != tt.want {
				t.Errorf("status = %s, want %s", got, tt.want)
			}
			want := tt.minGroups
			if want == 0 {
				want = DefaultMinGroups
			}
			if r.MinGroups != want {
				t.Errorf("report min_groups = %d, want %d", r.MinGroups, want)
			}
		})
	}
	// One qualifying group is enough when min_groups is 1, and none never is.
	p := approvalPoll("DNSSEC")
	p.MinGroups = 1
	r := ComputeReport(p, tallyOf(p, map[Group]gc{"government": {5, []int64{5}}}), nil)
	if got := r.Themes[0].Status; got != Consensus {
		t.Errorf("one unanimous group of 5 with min_groups 1: status = %s, want consensus", got)
	}
	r = ComputeReport(p, NewTally(), nil)
	if got := r.Themes[0].Status; got != Insufficient {
		t.Errorf("no ballots with min_groups 1: status = %s, want insufficient", got)
	}
}

func TestReportParticipation(t *testing.T) {
	p := approvalPoll("DNSSEC", "BCP38")
	r := ComputeReport(p, tallyOf(p, map[Group]gc{
		"academia":   {2, []int64{1, 0}},
		"government": {4, []int64{4, 1}},
		"oldgroup":   {3, []int64{3, 3}}, // removed from config after voting
	}), nil)
	var got []Group
	for _, g := range r.Groups {
		got = append(got, g.Group)
	}
	if want := []Group{"government", "academia", "oldgroup"}; !slices.Equal(got, want) {
		t.Errorf("groups = %v, want %v", got, want)
	}
	if want := []Group{"academia"}; !slices.Equal(r.UnderRepresented, want) {
		t.Errorf("under-represented = %v, want %v", r.UnderRepresented, want)
	}
	if want := []Group{"private-sector", "civil-society", "technical-community", "intergovernmental"}; !slices.Equal(r.Absent, want) {
		t.Errorf("absent = %v, want %v", r.Absent, want)
	}
	if !r.Groups[0].Qualifies || r.Groups[1].Qualifies || !r.Groups[2].Qualifies {
		t.Errorf("qualifies wrong: %+v", r.Groups)
	}
}

func TestReportRanking(t *testing.T) {
	// Equal support everywhere: ties fall to label order, case-insensitively.
	p := approvalPoll("privacy", "Enforcement", "DNSSEC", "BCP38")
	r := ComputeReport(p, tallyOf(p, map[Group]gc{
		"government":    {4, []int64{2, 2, 4, 1}},
		"civil-society": {4, []int64{2, 2, 4, 1}},
	}), nil)
	var got []string
	for i, th := range r.Themes {
		got = append(got, th.Theme)
		if th.Rank != i+1 {
			t.Errorf("%s rank = %d, want %d", th.Theme, th.Rank, i+1)
		}
	}
	if want := []string{"DNSSEC", "Enforcement", "privacy", "BCP38"}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
	// Same equal support but a higher score ranks first: score rewards
	// support shared by every group over support concentrated in one.
	p = approvalPoll("Shared", "Lopsided")
	r = ComputeReport(p, tallyOf(p, map[Group]gc{
		"government":    {10, []int64{5, 10}},
		"civil-society": {10, []int64{5, 0}},
	}), nil)
	if r.Themes[0].Theme != "Shared" {
		t.Errorf("first = %s, want Shared (scores %v, %v)", r.Themes[0].Theme, r.Themes[0].Score, r.Themes[1].Score)
	}
	near(t, "equal shared", r.Themes[0].Equal, r.Themes[1].Equal)
}

func TestReportRankedBorda(t *testing.T) {
	p := approvalPoll("A", "B", "C")
	p.Kind = Ranked
	var tl Tally
	for _, choices := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0}, {2}} {
		tl.Add(p, Ballot{Group: "government", Choices: choices}, 1)
	}
	// Rank r of m=3 gives (m-r)/(m-1): 1, 0.5, 0.
	if got, want := tl.Points["government"], []int64{5, 3, 3}; !slices.Equal(got, want) {
		t.Fatalf("scaled points = %v, want %v", got, want)
	}
	r := ComputeReport(p, tl, nil)
	a, _ := r.Theme(0)
	b, _ := r.Theme(1)
	near(t, "A supporters", a.Groups[0].Supporters, 2.5)
	near(t, "B supporters", b.Groups[0].Supporters, 1.5)
	near(t, "A support", a.Groups[0].Support, 0.625)
	near(t, "A lower", a.Groups[0].Lower, 0.2194220423751511)
	near(t, "B lower", b.Groups[0].Lower, 0.09189704747615088)
	if r.Themes[0].Theme != "A" {
		t.Errorf("A should rank first, got %s", r.Themes[0].Theme)
	}
}

func TestTallyAddRemoveAndParse(t *testing.T) {
	p := approvalPoll("A", "B", "C")
	var tl Tally
	b1 := Ballot{Group: "government", Choices: []int{0, 2}}
	b2 := Ballot{Group: "academia", Choices: []int{1}}
	tl.Add(p, b1, 1)
	tl.Add(p, b2, 1)
	tl.Add(p, b1, -1)
	if _, ok := tl.Ballots["government"]; ok {
		t.Errorf("empty group kept: %+v", tl)
	}
	if tl.Total() != 1 {
		t.Errorf("total = %d", tl.Total())
	}
	flat := map[string]string{TallyBallotsField("academia"): "1", TallyField(1, "academia"): "1", TallyField(0, "academia"): "0",
		TallyBallotsField("government"): "0", TallyField(0, "government"): "0"}
	got, err := ParseTally(3, flat)
	if err != nil {
		t.Fatal(err)
	}
	if got.Ballots["academia"] != 1 || !slices.Equal(got.Points["academia"], []int64{0, 1, 0}) || len(got.Ballots) != 1 {
		t.Errorf("ParseTally = %+v", got)
	}
	for _, bad := range []map[string]string{{"x": "1"}, {"9|g": "1"}, {"n|g": "x"}} {
		if _, err := ParseTally(3, bad); err == nil {
			t.Errorf("ParseTally(%v) accepted", bad)
		}
	}
	// The same fields as a sequence read the same.
	seq := func(kv ...string) iter.Seq2[string, string] {
		return func(yield func(string, string) bool) {
			for i := 0; i+1 < len(kv); i += 2 {
				if !yield(kv[i], kv[i+1]) {
					return
				}
			}
		}
	}
	var kv []string
	for k, v := range flat {
		kv = append(kv, k, v)
	}
	kv = append(kv, TallyVersionField, "7")
	fromSeq, err := ParseTallySeq(3, seq(kv...))
	got.Version = 7
	if err != nil || !reflect.DeepEqual(fromSeq, got) {
		t.Errorf("ParseTallySeq = %+v, %v; ParseTally gave %+v", fromSeq, err, got)
	}
	for _, bad := range [][]string{{"x", "1"}, {"9|g", "1"}, {"n|g", "x"}} {
		if _, err := ParseTallySeq(3, seq(bad...)); err == nil {
			t.Errorf("ParseTallySeq(%q) accepted", bad)
		}
	}
}

func BenchmarkReportMillionBallots(b *testing.B) {
	p := approvalPoll("DNSSEC", "DNS abuse", "Critical success factors", "Responsible disclosure",
		"Tools for prevention", "Privacy", "BCP38 (DDoS mitigation)", "Enforcement",
		"Education and awareness", "Collaboration")
	t := NewTally()
	per := int64(1_000_000 / len(DefaultGroups))
	for i, g := range DefaultGroups {
		t.Ballots[g.ID] = per
		pts := make([]int64, len(p.Themes))
		for j := range pts {
			pts[j] = per * int64((i+j)%10) / 10
		}
		t.Points[g.ID] = pts
	}
	groups := MustGroups(DefaultGroups)
	b.ReportAllocs()
	for b.Loop() {
		ComputeReport(p, t, groups)
	}
}

func TestReportJSONClosedAt(t *testing.T) {
	p := approvalPoll("A")
	for _, closed := range []time.Time{{}, time.Date(2026, 12, 1, 15, 0, 0, 0, time.FixedZone("CET", 3600))} {
		p.ClosedAt = closed
		data, err := json.Marshal(ComputeReport(p, NewTally(), nil))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Poll map[string]any `json:"poll"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		v, ok := m.Poll["closed_at"]
		switch {
		case !ok:
			t.Errorf("closed_at missing: %s", data)
		case closed.IsZero() && v != nil:
			t.Errorf("open poll closed_at = %v, want null", v)
		case !closed.IsZero() && v != "2026-12-01T14:00:00Z":
			t.Errorf("closed_at = %v, want UTC time", v)
		}
	}
}
