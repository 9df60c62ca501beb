package chart

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/internal/typeset"
	"github.com/pollbot/pollbot/polls"
)

// openReport is a poll still open whose themes carry every mark: fragile
// (consensus and emerging), marginal, a clear split, low; Intergovernmental
// is below quorum and Academia has no ballot.
func openReport(t *testing.T) (*polls.Report, *polls.Groups) {
	t.Helper()
	p := &polls.Poll{ID: "R4MD", Tenant: "local", Title: "Marks", Kind: polls.Approval, Status: polls.StatusOpen}
	for _, l := range []string{"Consensus, fragile", "Emerging, fragile", "Emerging", "Divided, marginal", "Divided, clear", "Low"} {
		p.Themes = append(p.Themes, polls.Theme{Label: l})
	}
	p.Normalize()
	groups := polls.MustGroups(polls.DefaultGroups)
	r := polls.ComputeReport(p, polls.Tally{
		Ballots: map[polls.Group]int64{
			"government": 12, "private-sector": 9, "civil-society": 15,
			"technical-community": 6, "intergovernmental": 2,
		},
		Points: map[polls.Group][]int64{
			"government":          {11, 6, 8, 7, 2, 3},
			"private-sector":      {9, 8, 6, 5, 2, 3},
			"civil-society":       {14, 13, 10, 6, 14, 5},
			"technical-community": {6, 4, 4, 4, 5, 2},
			"intergovernmental":   {2, 1, 1, 1, 0, 1},
		},
	}, groups)
	return r, groups
}

func render(t *testing.T, r *polls.Report, groups *polls.Groups) (*layout, image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := PNG(&b, r, groups); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	return newLayout(r, groups, DefaultWidth, msg.English()), img
}

// TestMarksInPixels reads the drawn image back: every cell has its
// scale's colour (faded below quorum, hatched with no ballot), a triangle
// exactly where the support is below the threshold, an outline exactly on
// the group one dissent away from lowering a fragile status, and the
// interim pill is there while the poll is open.
func TestMarksInPixels(t *testing.T) {
	r, groups := openReport(t)
	l, img := render(t, r, groups)
	at := func(x, y float64) color.RGBA { return toRGBA(img.At(int(x), int(y))) }
	near := func(a, b color.RGBA) bool { return distance(a, b) <= 3 }

	if len(l.cols) != 6 || !l.cols[4].absent || l.cols[4].group != "academia" {
		t.Fatalf("columns: want the six default groups with Academia absent in its place, got %+v", l.cols)
	}
	triangles, outlines := 0, 0
	for i, rw := range l.rows {
		for j, col := range l.cols {
			x, top, w, h := l.cell(i, j)
			if col.absent {
				// Hatched: both the empty fill and the hatch lines show.
				var empty, hatch bool
				for dy := 0.0; dy < 14; dy++ {
					for dx := 0.0; dx < 14; dx++ {
						c := at(x+6+dx, top+6+dy)
						empty = empty || near(c, colorEmpty)
						hatch = hatch || luminance(c) < 0.75 // on a line (anti-aliased)
					}
				}
				if !empty || !hatch {
					t.Errorf("%s / %s: absent cell not hatched (empty %v, hatch %v)", rw.theme.Theme, col.group, empty, hatch)
				}
				continue
			}
			gs, _ := supportOf(rw.theme, col.group)
			fill := CellColor(gs.Support, r.Threshold)
			if !col.turnout.Qualifies {
				fill = FadeBelowQuorum(fill)
			}
			if got := at(x+6, top+6); !near(got, fill) {
				t.Errorf("%s / %s: fill %s, want %s", rw.theme.Theme, col.group, Hex(got), Hex(fill))
			}
			// Where drawCell puts a triangle's centre: just left of the
			// percentage, which is centred with the triangle before it.
			label := numfmt.Percent(gs.Support)
			total := triangleW + cellSize*0.25 + typeset.Measure(label, l.f.cell)
			tx, ty := x+w/2-total/2+triangleW/2, top+h/2
			below := gs.Support < r.Threshold
			hasTriangle := near(at(tx, ty), InkOn(fill))
			if below != hasTriangle {
				t.Errorf("%s / %s at %s: triangle %v, want %v", rw.theme.Theme, col.group, label, hasTriangle, below)
			}
			if hasTriangle {
				triangles++
			}
			// The outline is ink on the cell's edge.
			outlined := luminance(at(x, top+h/2)) < 0.03
			m := rw.theme.Margin
			want := rw.theme.Fragile && m != nil && m.Group == col.group
			if outlined != want {
				t.Errorf("%s / %s: outlined %v, want %v", rw.theme.Theme, col.group, outlined, want)
			}
			if outlined {
				outlines++
			}
		}
	}
	if triangles != 8 || outlines != 2 {
		t.Errorf("%d triangles and %d outlines: the fixture lost its marks", triangles, outlines)
	}
	if len(l.interim) == 0 || !near(at(margin+5, l.interimTop+interimH/2), colorInk) {
		t.Error("open poll: no interim pill")
	}
}

// TestLegendExplainsEveryMark: the legend has an entry for each mark and
// each status the chart shows, and none for what it does not show.
func TestLegendExplainsEveryMark(t *testing.T) {
	entries := func(l *layout, side int) string {
		var b strings.Builder
		for _, e := range l.entries[side] {
			for _, line := range e.text {
				b.WriteString(line.String() + " ")
			}
			b.WriteString("| ")
		}
		return b.String()
	}
	r, groups := openReport(t)
	l := newLayout(r, groups, DefaultWidth, msg.English())
	marks := entries(l, 1)
	for _, want := range []string{"below the threshold of 50%", "faded: a group below the quorum of 3 ballots", "hatched: a group with no ballot", "one more dissenting ballot", "a split within sampling noise"} {
		if !strings.Contains(marks, want) {
			t.Errorf("legend lacks %q: %s", want, marks)
		}
	}
	if len(l.entries[1]) != 5 {
		t.Errorf("%d mark entries, want 5: %s", len(l.entries[1]), marks)
	}
	if statuses := entries(l, 0); len(l.entries[0]) != 4 || strings.Contains(statuses, "fewer than") {
		t.Errorf("status entries: want consensus, emerging, divided, low: %s", statuses)
	}
	if l.interim == nil || !strings.Contains(l.interim[0].String(), "still open") {
		t.Errorf("open poll: interim banner %v", l.interim)
	}

	// Closed, every group at quorum and above the threshold on every
	// theme, no group absent (a custom list of two): no marks to explain.
	p := &polls.Poll{ID: "C1", Tenant: "local", Title: "Calm", Kind: polls.Approval, Status: polls.StatusClosed,
		Themes: []polls.Theme{{Label: "One"}, {Label: "Two"}}}
	p.Normalize()
	two := polls.MustGroups([]polls.GroupInfo{{ID: "a", Label: "A"}, {ID: "b", Label: "B"}})
	r = polls.ComputeReport(p, polls.Tally{
		Ballots: map[polls.Group]int64{"a": 20, "b": 20},
		Points:  map[polls.Group][]int64{"a": {20, 19}, "b": {20, 18}},
	}, two)
	l = newLayout(r, two, DefaultWidth, msg.English())
	if len(l.entries[1]) != 0 || l.interim != nil {
		t.Errorf("calm poll: marks explained %q, interim %v", entries(l, 1), l.interim)
	}
	if statuses := entries(l, 0); !strings.Contains(statuses, "95% confidence") || len(l.entries[0]) != 1 {
		t.Errorf("calm poll: status entries %s", statuses)
	}
}
