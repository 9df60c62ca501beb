package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/polls"
)

// Markdown writes r as a Markdown document a working group pastes into its
// own: title, poll facts, the chart, a plain-language summary, the
// ranking, what each theme needs, support by group, participation, and a
// short guide to reading it. Labels of themes, groups and the title are
// escaped so that none can break a table or inject markup. groups names
// the groups; nil means [polls.DefaultGroups]. The chart is linked as
// ChartFile(p.ID), the name /poll export gives it.
func Markdown(w io.Writer, p *polls.Poll, r *polls.Report, groups *polls.Groups) error {
	return MarkdownLinking(w, p, r, groups, ChartFile(p.ID))
}

// MarkdownLinking is Markdown with the chart linked as chartFile, a
// relative path (empty: no link).
func MarkdownLinking(w io.Writer, p *polls.Poll, r *polls.Report, groups *polls.Groups, chartFile string) error {
	if err := matches(p, r); err != nil {
		return fmt.Errorf("export markdown: %w", err)
	}
	if groups == nil {
		groups = polls.MustGroups(polls.DefaultGroups)
	}
	bw := bufio.NewWriter(w)
	d := mdDoc{w: bw, p: p, r: r, groups: groups, chart: chartFile}
	d.header()
	d.summary()
	d.ranking()
	d.needs()
	d.byGroup()
	d.participation()
	d.guide()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export markdown: %w", err)
	}
	return nil
}

// mdDoc writes through a bufio.Writer, whose first error sticks and is
// returned by Flush; the section methods therefore ignore write errors.
type mdDoc struct {
	w      *bufio.Writer
	p      *polls.Poll
	r      *polls.Report
	groups *polls.Groups
	chart  string // relative path of the chart image; empty: none
}

func (d *mdDoc) printf(format string, args ...any) { fmt.Fprintf(d.w, format, args...) }

func (d *mdDoc) label(g polls.Group) string { return md(d.groups.Info(g).Label) }

func (d *mdDoc) header() {
	r := d.r
	title := r.Poll.Title
	if title == "" {
		title = "Poll " + r.Poll.ID
	}
	d.printf("# Consensus report: %s\n\n", md(title))
	d.printf("- **Poll:** %s, %s, %s\n", md(r.Poll.ID), md(string(d.p.Kind)), md(string(r.Poll.Status)))
	d.printf("- **Opened:** %s", mdTime(r.Poll.OpenedAt))
	switch {
	case !r.Poll.ClosedAt.IsZero():
		d.printf("; **closed:** %s", mdTime(r.Poll.ClosedAt))
	case r.Poll.Status == polls.StatusOpen && !d.p.ClosesAt.IsZero():
		d.printf("; **closes:** %s (results so far)", mdTime(d.p.ClosesAt))
	case r.Poll.Status == polls.StatusOpen:
		d.printf("; still open (results so far)")
	}
	d.printf("\n")
	d.printf("- **Ballots:** %d from %s", r.Ballots, plural(len(r.Groups), "stakeholder group", "stakeholder groups"))
	if d.p.Anonymous {
		d.printf(" (anonymous)")
	}
	d.printf("\n")
	d.printf("- **Quorum:** %s per group; **threshold:** %s support; **judged with** at least %s\n\n",
		plural(r.Quorum, "ballot", "ballots"), pctExact(r.Threshold), plural(r.MinGroups, "group", "groups"))
	if d.chart != "" {
		d.printf("![Consensus chart: support per group and theme, with each theme's status](%s)\n\n", mdLink(d.chart))
	}
}

// needs is "What each theme needs": per theme, in rank order, what its
// status rests on and what would change it, then what participation
// lacks. Every insufficient theme rests on the same grounds (whether a
// group reaches quorum does not depend on the theme), said once.
func (d *mdDoc) needs() {
	r := d.r
	if r.Ballots == 0 {
		return
	}
	w := Words{Groups: d.groups, Label: md}
	d.printf("## What each theme needs\n\n")
	var insufficient []string
	var grounds string
	for _, t := range r.Themes {
		if t.Status == polls.Insufficient {
			insufficient = append(insufficient, "**"+md(t.Theme)+"**")
			grounds = w.Grounds(r, t)
			continue
		}
		d.printf("- **%s**: %s: %s\n", md(t.Theme), w.Status(t), w.Grounds(r, t))
	}
	if len(insufficient) > 0 {
		d.printf("- %s: insufficient: %s\n", strings.Join(insufficient, ", "), grounds)
	}
	for _, s := range w.Participation(r) {
		d.printf("- %s\n", s)
	}
	d.printf("\n")
}

// mdLink escapes a relative path for a Markdown link destination.
func mdLink(path string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(path)
}

func (d *mdDoc) summary() {
	r := d.r
	d.printf("## Summary\n\n")
	if r.Ballots == 0 {
		d.printf("No ballots have been cast yet, so there is no result.\n\n")
		return
	}
	qualifying := 0
	for _, g := range r.Groups {
		if g.Qualifies {
			qualifying++
		}
	}
	var s []string
	s = append(s, fmt.Sprintf("%s from %s; %d of them %s the quorum of %s.",
		plural(int(r.Ballots), "ballot", "ballots"), plural(len(r.Groups), "stakeholder group", "stakeholder groups"),
		qualifying, verb(qualifying, "reaches", "reach"), plural(r.Quorum, "ballot", "ballots")))
	if qualifying < r.MinGroups {
		s = append(s, fmt.Sprintf("Fewer than %s reach the quorum, so no theme can show consensus across groups yet.", plural(r.MinGroups, "group", "groups")))
		d.printf("%s\n\n", strings.Join(s, " "))
		return
	}
	by := map[polls.ThemeStatus][]string{}
	for _, t := range r.Themes {
		item := md(t.Theme)
		switch {
		case t.Status == polls.Divided:
			hi, lo := extremes(t)
			item += fmt.Sprintf(" (%s: %s %s vs %s %s)", t.Split, d.label(hi.Group), pct(hi.Support), d.label(lo.Group), pct(lo.Support))
		case t.Fragile:
			item += " (fragile)"
		}
		by[t.Status] = append(by[t.Status], item)
	}
	if len(by[polls.Consensus]) == 0 {
		s = append(s, "No theme has consensus across groups yet.")
	} else {
		s = append(s, "Consensus across groups: "+strings.Join(by[polls.Consensus], ", ")+".")
	}
	if l := by[polls.Emerging]; len(l) > 0 {
		s = append(s, "Emerging (every group at or above the threshold, not yet with confidence): "+strings.Join(l, ", ")+".")
	}
	if l := by[polls.Divided]; len(l) > 0 {
		s = append(s, "Divided: "+strings.Join(l, "; ")+".")
	}
	if l := by[polls.Low]; len(l) > 0 {
		s = append(s, "Low support in every group: "+strings.Join(l, ", ")+".")
	}
	d.printf("%s\n\n", strings.Join(s, " "))
}

// extremes returns the qualifying groups with the highest and the lowest
// support for t, the first in report order on ties.
func extremes(t polls.ThemeResult) (hi, lo polls.GroupSupport) {
	first := true
	for _, g := range t.Groups {
		if !g.Qualifies {
			continue
		}
		if first || g.Support > hi.Support {
			hi = g
		}
		if first || g.Support < lo.Support {
			lo = g
		}
		first = false
	}
	return hi, lo
}

func (d *mdDoc) ranking() {
	d.printf("## Ranking\n\n")
	d.printf("| Rank | Theme | Status | Score | Equal | Overall | Spread |\n")
	d.printf("|---:|:---|:---|---:|---:|---:|---:|\n")
	for _, t := range d.r.Themes {
		d.printf("| %d | %s | %s | %s | %s | %s | %s |\n", t.Rank, md(t.Theme), t.Status,
			strconv.FormatFloat(clean(t.Score), 'f', 2, 64), pct(t.Equal), pct(t.Overall), pts(t.Spread))
	}
	d.printf("\n")
}

func (d *mdDoc) byGroup() {
	r := d.r
	d.printf("## Support by group\n\n")
	if len(r.Groups) == 0 {
		d.printf("No group has cast a ballot yet.\n\n")
		return
	}
	what := "Share of each group's ballots that support each theme"
	if d.p.Kind == polls.Ranked {
		what = "Each group's average Borda share for each theme (100% = every ballot ranked it first)"
	}
	d.printf("%s; themes in rank order.", what)
	if len(r.UnderRepresented) > 0 {
		d.printf(" † Below the quorum of %s: shown, but not counted in the status.", plural(r.Quorum, "ballot", "ballots"))
	}
	d.printf("\n\n| Theme |")
	for _, g := range r.Groups {
		mark := ""
		if !g.Qualifies {
			mark = " †"
		}
		d.printf(" %s (n=%d)%s |", d.label(g.Group), g.Ballots, mark)
	}
	d.printf("\n|:---|%s\n", strings.Repeat("---:|", len(r.Groups)))
	for _, t := range r.Themes {
		d.printf("| %s |", md(t.Theme))
		for _, g := range r.Groups {
			cell := "–"
			if gs, ok := groupSupport(t, g.Group); ok {
				cell = pct(gs.Support)
			}
			d.printf(" %s |", cell)
		}
		d.printf("\n")
	}
	d.printf("\n")
}

func (d *mdDoc) participation() {
	r := d.r
	d.printf("## Participation\n\n")
	if len(r.Groups) > 0 {
		d.printf("| Group | Ballots | Counts toward status |\n|:---|---:|:---|\n")
		for _, g := range r.Groups {
			counts := "yes"
			if !g.Qualifies {
				counts = "no: below the quorum of " + strconv.Itoa(r.Quorum)
			}
			d.printf("| %s | %d | %s |\n", d.label(g.Group), g.Ballots, counts)
		}
		d.printf("\n")
	}
	if len(r.UnderRepresented) > 0 {
		d.printf("Under-represented (below quorum): %s.\n\n", d.labels(r.UnderRepresented))
	}
	if len(r.Absent) > 0 {
		d.printf("Absent (no ballots): %s.\n\n", d.labels(r.Absent))
	} else {
		d.printf("Every configured stakeholder group took part.\n\n")
	}
}

func (d *mdDoc) labels(gs []polls.Group) string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = d.label(g)
	}
	return strings.Join(out, ", ")
}

func (d *mdDoc) guide() {
	d.printf("## How to read this\n\n")
	d.printf("- **Status** compares each group's support with the threshold (%s), counting only groups with at least %s: "+
		"*consensus*: every such group supports the theme at or above the threshold even allowing for its sample size "+
		"(the 95%% Wilson lower bound of its support); *emerging*: every such group reaches the threshold, but not yet with that confidence; "+
		"*divided*: some groups reach it and others do not; *low*: none does; *insufficient*: fewer than %s have enough ballots to compare.\n",
		pctExact(d.r.Threshold), plural(d.r.Quorum, "ballot", "ballots"), plural(d.r.MinGroups, "group", "groups"))
	d.printf("- **Score** (0 to 1) is the geometric mean of every group's support, smoothed for small groups, " +
		"so a theme ranks high only when all groups support it, and one reluctant group pulls it down more than in a plain average. " +
		"**Equal** weighs every group the same, **overall** every ballot the same; **spread** is the gap in percentage points " +
		"between the most and the least supportive group.\n")
	d.printf("- **What each theme needs** counts *extra* ballots from one group, all else equal: \"3 more supporting ballots\" means three new ballots " +
		"from that group that include the theme (voters changing their minds move the share faster, so fewer of them would do). " +
		"*Fragile*: one more dissenting ballot lowers the status. A divided theme is *clear* when some group is above the threshold " +
		"and some below it beyond what their sizes leave to chance (95%% Wilson bounds), *marginal* when the gap is within it. " +
		"A group *too small for consensus* could not show 95%% confidence even if unanimous.\n")
	if d.p.Kind == polls.Ranked {
		d.printf("- In this ranked poll a ballot gives a theme ranked r-th of m themes (m−r)/(m−1) of a point " +
			"(first place 1, last place and unranked 0); a group's support is its average.\n")
	}
}

// md escapes the characters that would let a label end a table cell, start
// emphasis, code, a link or an HTML tag, and the patterns from which
// Markdown renderers make links of their own (GitHub's and GitLab's
// extended autolinks, which most renderers copy): the colon of "://", the
// dot of a "www." that starts a word, every @ (e-mail addresses), and an &
// that could start an entity ("&#x202E;" would otherwise become the
// direction control a label may not hold). Line breaks become spaces, since
// a cell or a list item is one line.
func md(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case strings.ContainsRune("\\`*_[]<|~@", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == ':' && strings.HasPrefix(s[i:], "://"),
			r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www") && (i == 3 || !isWordByte(s[i-4])),
			r == '&' && i+1 < len(s) && (isWordByte(s[i+1]) || s[i+1] == '#'):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r' || r == '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

func mdTime(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func pct(v float64) string { return numfmt.Percent(v) }

func pts(v float64) string { return numfmt.Points(v) }

// pctExact shows a threshold such as 0.6 or 0.667 without rounding it to a
// misleading whole percent.
func pctExact(v float64) string { return numfmt.PercentExact(v) }

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

func verb(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
