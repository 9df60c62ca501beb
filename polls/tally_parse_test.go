package polls

import (
	"fmt"
	"math"
	"testing"
)

// TestParseTallyGroupsApart: the points of many groups (more than
// parseField allocates at once) read back as written, and each group's
// slice is its own: writing or appending to one leaves the others as
// they were.
func TestParseTallyGroupsApart(t *testing.T) {
	const themes, groups = 3, parseGroupsAtOnce*2 + 1
	fields := map[string]string{TallyVersionField: "7"}
	for g := range groups {
		grp := Group(fmt.Sprintf("g%02d", g))
		fields[TallyBallotsField(grp)] = "1"
		for i := range themes {
			fields[TallyField(i, grp)] = fmt.Sprint(100*g + i)
		}
	}
	tally, err := ParseTally(themes, fields)
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		for g := 1; g < groups; g++ {
			pts := tally.Points[Group(fmt.Sprintf("g%02d", g))]
			for i := range themes {
				if len(pts) != themes || pts[i] != int64(100*g+i) {
					t.Fatalf("%s: group %d points %v", when, g, pts)
				}
			}
		}
	}
	if tally.Version != 7 || len(tally.Points) != groups {
		t.Fatalf("version %d, %d groups; want 7, %d", tally.Version, len(tally.Points), groups)
	}
	check("parsed")
	g0 := Group("g00")
	for i := range tally.Points[g0] {
		tally.Points[g0][i] = -1
	}
	tally.Points[g0] = append(tally.Points[g0], -1, -1, -1)
	check("after writing and appending to another group's points")
}

// TestAppendSupport holds the per-theme sums a poll message shows to the
// sum of every group's Support, for each kind, with a group whose points
// outlived its ballots (not counted) and dst appended to, not overwritten.
func TestAppendSupport(t *testing.T) {
	for _, kind := range []Kind{Approval, Single, Ranked} {
		p := &Poll{Kind: kind, Themes: []Theme{{Label: "A"}, {Label: "B"}, {Label: "C"}, {Label: "D"}}}
		tl := Tally{
			Ballots: map[Group]int64{"gov": 3, "civil": 2, "academia": 0},
			Points:  map[Group][]int64{"gov": {3, 1, 0, 5}, "civil": {0, 2, 7, 1}, "academia": {9, 9, 9, 9}},
		}
		got := tl.AppendSupport([]float64{-1}, p)
		if len(got) != 1+len(p.Themes) || got[0] != -1 {
			t.Fatalf("%s: dst not appended to: %v", kind, got)
		}
		for i := range p.Themes {
			want := tl.Support(p, "gov", i) + tl.Support(p, "civil", i)
			if math.Abs(got[1+i]-want) > 1e-12 {
				t.Errorf("%s theme %d: %v, want %v (the sum of the groups' Support)", kind, i, got[1+i], want)
			}
		}
	}
}
