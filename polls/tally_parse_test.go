package polls

import (
	"fmt"
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
