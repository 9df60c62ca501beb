package polls

import (
	"fmt"
	"iter"
	"maps"
	"strconv"
	"strings"
)

// Tally is the running count a store keeps in step with ballots: per group
// the number of ballots, and per group and theme the points (see [Points]).
// A report is computed from the tally alone, never from ballots.
type Tally struct {
	Ballots map[Group]int64   // n_g
	Points  map[Group][]int64 // per theme index; len = number of themes
	// Version counts the changes made to the tally: every vote that
	// changed a ballot adds one. Two reads of a poll's tally with the
	// same version have the same counts.
	Version int64
}

// NewTally returns an empty tally.
func NewTally() Tally {
	return Tally{Ballots: map[Group]int64{}, Points: map[Group][]int64{}}
}

// Add adds (sign +1) or removes (sign -1) a ballot's contribution.
func (t *Tally) Add(p *Poll, b Ballot, sign int64) {
	if t.Ballots == nil {
		*t = NewTally()
	}
	t.Ballots[b.Group] += sign
	pts := t.Points[b.Group]
	if pts == nil {
		pts = make([]int64, len(p.Themes))
		t.Points[b.Group] = pts
	}
	points := b.Points
	if len(points) != len(b.Choices) {
		points = Points(p.Kind, len(p.Themes), b.Choices)
	}
	for i, c := range b.Choices {
		if c >= 0 && c < len(pts) {
			pts[c] += sign * points[i]
		}
	}
	if t.Ballots[b.Group] == 0 {
		delete(t.Ballots, b.Group)
		delete(t.Points, b.Group)
	}
}

// Total returns the number of ballots in the tally.
func (t Tally) Total() int64 {
	var n int64
	for _, c := range t.Ballots {
		n += c
	}
	return n
}

// Support returns a_tg: supporters of theme among group's ballots, or for
// ranked polls the group's Borda points.
func (t Tally) Support(p *Poll, g Group, theme int) float64 {
	pts := t.Points[g]
	if theme >= len(pts) {
		return 0
	}
	return float64(pts[theme]) / float64(p.scale())
}

// AppendSupport appends to dst, per theme, the sum over the tally's
// groups with ballots of [Tally.Support]: how many ballots support the
// theme, or for ranked polls its Borda points. Points are summed as
// integers and divided once, so the sum does not depend on the order of
// the groups.
func (t Tally) AppendSupport(dst []float64, p *Poll) []float64 {
	var buf [MaxThemes]int64
	sums := buf[:0]
	if len(p.Themes) > MaxThemes {
		sums = make([]int64, 0, len(p.Themes))
	}
	sums = sums[:len(p.Themes)]
	for g, n := range t.Ballots {
		if n == 0 {
			continue // points left over from ballots taken back
		}
		pts := t.Points[g]
		for i := range min(len(pts), len(sums)) {
			sums[i] += pts[i]
		}
	}
	scale := float64(p.scale())
	for _, n := range sums {
		dst = append(dst, float64(n)/scale)
	}
	return dst
}

// points returns the tally's integer points of theme among group's
// ballots: a_tg scaled by [Tally.scale].
func (t Tally) points(g Group, theme int) int64 {
	pts := t.Points[g]
	if theme >= len(pts) {
		return 0
	}
	return pts[theme]
}

// scale is what points are divided by to give a_tg: m-1 for ranked polls
// of m themes, 1 otherwise.
func (t Tally) scale(p *Poll) int64 {
	if p.Kind == Ranked && len(p.Themes) > 1 {
		return int64(len(p.Themes) - 1)
	}
	return 1
}

// Field names of a tally kept as a flat string map (the Redis hash form):
// "<theme>|<group>" for points and "n|<group>" for ballots, theme 0-based,
// and "v" for the version.

// TallyField returns the flat-map field for a theme's points in a group.
func TallyField(theme int, g Group) string { return strconv.Itoa(theme) + "|" + string(g) }

// TallyVersionField is the flat-map field of the tally's version.
const TallyVersionField = "v"

// TallyBallotsField returns the flat-map field for a group's ballot count.
func TallyBallotsField(g Group) string { return "n|" + string(g) }

// ParseTally reads a tally from its flat-map form. Zero entries are dropped.
func ParseTally(themes int, fields map[string]string) (Tally, error) {
	return ParseTallySeq(themes, maps.All(fields))
}

// ParseTallySeq is ParseTally of the flat map's fields and values as a
// sequence (a store's reply read in place, without building the map).
// A field given twice keeps its last value.
func ParseTallySeq(themes int, fields iter.Seq2[string, string]) (Tally, error) {
	t := NewTally()
	var spare []int64
	for k, v := range fields {
		if err := t.parseField(themes, k, v, &spare); err != nil {
			return Tally{}, err
		}
	}
	t.dropEmpty()
	return t, nil
}

// parseGroupsAtOnce is for how many groups parseField allocates points at
// once: the default groups in one allocation, not one each.
const parseGroupsAtOnce = 8

// parseField reads one field of the flat map into t; a group's points
// are cut from *spare, each slice capped at its length so that no append
// reaches a neighbour's.
func (t *Tally) parseField(themes int, k, v string, spare *[]int64) error {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return fmt.Errorf("tally field %q: %w", k, err)
	}
	if k == TallyVersionField {
		t.Version = n
		return nil
	}
	head, g, ok := strings.Cut(k, "|")
	if !ok {
		return fmt.Errorf("tally field %q: no group", k)
	}
	grp := Group(g)
	if head == "n" {
		if n != 0 {
			t.Ballots[grp] = n
		}
		return nil
	}
	i, err := strconv.Atoi(head)
	if err != nil || i < 0 || i >= themes {
		return fmt.Errorf("tally field %q: bad theme", k)
	}
	pts := t.Points[grp]
	if pts == nil {
		if len(*spare) < themes {
			*spare = make([]int64, themes*parseGroupsAtOnce)
		}
		pts, *spare = (*spare)[:themes:themes], (*spare)[themes:]
		t.Points[grp] = pts
	}
	pts[i] = n
	return nil
}

// dropEmpty drops the points of groups without ballots.
func (t *Tally) dropEmpty() {
	for g := range t.Points {
		if t.Ballots[g] == 0 {
			delete(t.Points, g)
		}
	}
}
