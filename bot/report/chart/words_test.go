package chart

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/msgtest"
	"github.com/pollbot/pollbot/polls"
)

// chartWord matches what the chart draws that no language words: counts
// ("n=12") and poll ids.
var chartWord = regexp.MustCompile(`^(n=\d+|[A-Z0-9]{4})$`)

// TestWordsFromTheCatalog draws charts with the pseudo printer, which
// brackets the catalog's text, and checks every line drawn: once the
// brackets are removed, only people's text (titles, labels), numbers and
// ids are left. A caption written in Go would be left too.
func TestWordsFromTheCatalog(t *testing.T) {
	marks, groups := openReport(t)
	ranked := &polls.Poll{
		ID: "R4NK", Tenant: "local", Kind: polls.Ranked, Status: polls.StatusClosed, Options: polls.Options{Quorum: 1},
		Themes: []polls.Theme{{Label: "A"}, {Label: "B"}},
	}
	ranked.Normalize()
	rankedReport := polls.ComputeReport(ranked, polls.Tally{
		Ballots: map[polls.Group]int64{"government": 2}, Points: map[polls.Group][]int64{"government": {2, 0}},
	}, groups)
	rankedReport.Held = 2
	empty := &polls.Poll{ID: "E2PT", Tenant: "local", Kind: polls.Approval, Status: polls.StatusOpen, Themes: []polls.Theme{{Label: "DNS abuse"}}}
	empty.Normalize()
	emptyReport := polls.ComputeReport(empty, polls.Tally{Ballots: map[polls.Group]int64{}, Points: map[polls.Group][]int64{}}, groups)

	for _, r := range []*polls.Report{marks, rankedReport, emptyReport} {
		// People's words, as Leftovers cuts them; a label the chart
		// breaks inside a word ("Intergovernment-", "al") leaves parts
		// of one.
		var people []string
		add := func(s string) { people = append(people, msgtest.Leftovers(s, nil)...) }
		add(r.Poll.Title)
		for _, th := range r.Themes {
			add(th.Theme)
		}
		for _, g := range groups.All() {
			add(g.Label)
		}
		isPeople := func(w string) bool {
			w = strings.TrimSuffix(w, "-")
			return slices.ContainsFunc(people, func(p string) bool { return strings.Contains(p, w) })
		}
		var lines []string
		l := newLayout(r, groups, DefaultWidth, msg.Pseudo())
		c := vgimg.NewWith(vgimg.UseWH(vg.Length(l.width), vg.Length(l.height)))
		l.draw(page{c: draw.New(c), h: l.height, drawn: func(s string) { lines = append(lines, s) }})
		// Wrapping breaks a caption in lines: read them as one text.
		text := strings.Join(lines, "\n")
		if !strings.Contains(text, "⟦") {
			t.Fatalf("poll %s: nothing from the catalog drawn:\n%s", r.Poll.ID, text)
		}
		left := msgtest.Leftovers(msgtest.Unwrapped(text), func(w string) bool {
			return chartWord.MatchString(w) || isPeople(w)
		})
		if len(left) > 0 {
			t.Errorf("poll %s: words outside the catalog %q in\n%s", r.Poll.ID, slices.Compact(left), text)
		}
	}
}
