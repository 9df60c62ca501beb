package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/polls"
)

// Markdown writes r as a Markdown document a working group pastes into its
// own: title, poll facts, the chart, a plain-language summary, the
// ranking, what each theme needs, support by group, participation, and a
// short guide to reading it. Labels of themes, groups and the title are
// escaped so that none can break a table or inject markup. groups names
// the groups; nil means [polls.DefaultGroups]. The chart is linked as
// ChartFile(p.ID), the name /poll export gives it. The words are those of
// the printer w carries (see WithPrinter), English by default.
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
	d := mdDoc{w: bw, p: p, r: r, groups: groups, chart: chartFile, pr: PrinterOf(w)}
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
	pr     *msg.Printer
}

func (d *mdDoc) printf(format string, args ...any) { fmt.Fprintf(d.w, format, args...) }

// say renders a message.
func (d *mdDoc) say(m msg.Message) string { return d.pr.Sprint(m) }

// heading writes a section's heading.
func (d *mdDoc) heading(m msg.Def0) { d.printf("## %s\n\n", d.say(m.With())) }

// sentences joins sentences into a paragraph.
func (d *mdDoc) sentences(s []string) string {
	out := s[0]
	for _, next := range s[1:] {
		out = d.say(msg.SentenceJoin.With(out, next))
	}
	return out
}

// row writes a table row of cells.
func (d *mdDoc) row(cells ...string) { d.printf("| %s |\n", strings.Join(cells, " | ")) }

func (d *mdDoc) label(g polls.Group) string { return md(d.groups.Info(g).Label) }

func (d *mdDoc) header() {
	r := d.r
	title := md(r.Poll.Title)
	if title == "" {
		title = d.say(msg.MDUntitled.With(md(r.Poll.ID)))
	}
	d.printf("# %s\n\n", d.say(msg.ReportTitle.With(title)))
	d.printf("- %s\n", d.say(msg.MDPoll.With(md(r.Poll.ID), md(d.say(KindWord(d.p.Kind))), md(d.say(PollStatusWord(r.Poll.Status))))))
	opened := mdTime(r.Poll.OpenedAt)
	var when msg.Message
	switch {
	case !r.Poll.ClosedAt.IsZero():
		when = msg.MDOpenedClosed.With(opened, mdTime(r.Poll.ClosedAt))
	case r.Poll.Status == polls.StatusOpen && !d.p.ClosesAt.IsZero():
		when = msg.MDOpenedCloses.With(opened, mdTime(d.p.ClosesAt))
	case r.Poll.Status == polls.StatusOpen:
		when = msg.MDOpenedOpen.With(opened)
	default:
		when = msg.MDOpened.With(opened)
	}
	d.printf("- %s\n", d.say(when))
	ballots := msg.MDBallots
	if d.p.Anonymous {
		ballots = msg.MDBallotsAnon
	}
	d.printf("- %s\n", d.say(ballots.With(r.Ballots, msg.StakeholderGroup.With(int64(len(r.Groups))))))
	d.printf("- %s\n\n", d.say(msg.MDRules.With(msg.Ballots.With(int64(r.Quorum)), pctExact(r.Threshold), msg.Groups.With(int64(r.MinGroups)))))
	if d.chart != "" {
		d.printf("![%s](%s)\n\n", d.say(msg.MDChartAlt.With()), mdLink(d.chart))
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
	w := Words{Groups: d.groups, Label: md, Printer: d.pr}
	d.heading(msg.MDNeedsHeading)
	var insufficient []string
	var grounds string
	for _, t := range r.Themes {
		if t.Status == polls.Insufficient {
			insufficient = append(insufficient, "**"+md(t.Theme)+"**")
			grounds = w.Grounds(r, t)
			continue
		}
		d.printf("- %s\n", d.say(msg.Verdict.With("**"+md(t.Theme)+"**", w.Status(t), w.Grounds(r, t))))
	}
	if len(insufficient) > 0 {
		d.printf("- %s\n", d.say(msg.Verdict.With(d.pr.Join(insufficient), d.say(msg.StatusInsufficient.With()), grounds)))
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
	d.heading(msg.MDSummaryHeading)
	if r.Ballots == 0 {
		d.printf("%s\n\n", d.say(msg.MDNoBallots.With()))
		return
	}
	qualifying := 0
	for _, g := range r.Groups {
		if g.Qualifies {
			qualifying++
		}
	}
	var s []string
	s = append(s, d.say(msg.MDParticipation.With(msg.Ballots.With(r.Ballots), msg.StakeholderGroup.With(int64(len(r.Groups))),
		qualifying, msg.Ballots.With(int64(r.Quorum)))))
	if qualifying < r.MinGroups {
		s = append(s, d.say(msg.MDTooFewGroups.With(msg.Groups.With(int64(r.MinGroups)))))
		d.printf("%s\n\n", d.sentences(s))
		return
	}
	by := map[polls.ThemeStatus][]string{}
	for _, t := range r.Themes {
		item := md(t.Theme)
		switch {
		case t.Status == polls.Divided:
			hi, lo := extremes(t)
			split := msg.SplitMarginal.With()
			if t.Split == polls.SplitClear {
				split = msg.SplitClear.With()
			}
			item = d.say(msg.MDDividedTheme.With(item, split,
				msg.MDGroupPercent.With(d.label(hi.Group), pct(hi.Support)), msg.MDGroupPercent.With(d.label(lo.Group), pct(lo.Support))))
		case t.Fragile:
			item = d.say(msg.ThemeFragile.With(item))
		}
		by[t.Status] = append(by[t.Status], item)
	}
	if len(by[polls.Consensus]) == 0 {
		s = append(s, d.say(msg.MDNoConsensusYet.With()))
	} else {
		s = append(s, d.say(msg.SummaryConsensus.With(d.pr.Join(by[polls.Consensus]))))
	}
	if l := by[polls.Emerging]; len(l) > 0 {
		s = append(s, d.say(msg.SummaryEmerging.With(d.pr.Join(l))))
	}
	if l := by[polls.Divided]; len(l) > 0 {
		s = append(s, d.say(msg.MDSummaryDivided.With(strings.Join(l, d.say(msg.ItemSeparator.With())))))
	}
	if l := by[polls.Low]; len(l) > 0 {
		s = append(s, d.say(msg.MDSummaryLow.With(d.pr.Join(l))))
	}
	d.printf("%s\n\n", d.sentences(s))
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
	d.heading(msg.MDRankingHeading)
	d.row(d.say(msg.MDColRank.With()), d.say(msg.MDColTheme.With()), d.say(msg.MDColStatus.With()), d.say(msg.MDColScore.With()),
		d.say(msg.MDColEqual.With()), d.say(msg.MDColOverall.With()), d.say(msg.MDColSpread.With()))
	d.printf("|---:|:---|:---|---:|---:|---:|---:|\n")
	for _, t := range d.r.Themes {
		d.row(strconv.Itoa(t.Rank), md(t.Theme), d.say(StatusWord(t.Status)),
			numfmt.Score(clean(t.Score)), pct(t.Equal), pct(t.Overall), d.pts(t.Spread))
	}
	d.printf("\n")
}

func (d *mdDoc) byGroup() {
	r := d.r
	d.heading(msg.MDByGroupHeading)
	if len(r.Groups) == 0 {
		d.printf("%s\n\n", d.say(msg.MDNoGroupBallots.With()))
		return
	}
	intro := []string{d.say(msg.MDByGroupIntro.With())}
	if d.p.Kind == polls.Ranked {
		intro[0] = d.say(msg.MDByGroupRanked.With())
	}
	if len(r.UnderRepresented) > 0 {
		intro = append(intro, d.say(msg.MDBelowQuorumMark.With(msg.Ballots.With(int64(r.Quorum)))))
	}
	d.printf("%s\n\n| %s |", d.sentences(intro), d.say(msg.MDColTheme.With()))
	for _, g := range r.Groups {
		mark := ""
		if !g.Qualifies {
			mark = " †"
		}
		d.printf(" %s%s |", d.say(msg.MDColGroupN.With(d.label(g.Group), g.Ballots)), mark)
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
	d.heading(msg.MDParticipate)
	if len(r.Groups) > 0 {
		d.row(d.say(msg.MDColGroup.With()), d.say(msg.MDColBallots.With()), d.say(msg.MDColCounts.With()))
		d.printf("|:---|---:|:---|\n")
		for _, g := range r.Groups {
			counts := d.say(msg.MDCountsYes.With())
			if !g.Qualifies {
				counts = d.say(msg.MDCountsNo.With(r.Quorum))
			}
			d.row(d.label(g.Group), strconv.FormatInt(g.Ballots, 10), counts)
		}
		d.printf("\n")
	}
	if len(r.UnderRepresented) > 0 {
		d.printf("%s\n\n", d.say(msg.MDUnderRep.With(d.labels(r.UnderRepresented))))
	}
	if len(r.Absent) > 0 {
		d.printf("%s\n\n", d.say(msg.MDAbsent.With(d.labels(r.Absent))))
	} else {
		d.printf("%s\n\n", d.say(msg.MDAllTookPart.With()))
	}
}

func (d *mdDoc) labels(gs []polls.Group) string {
	out := make([]string, len(gs))
	for i, g := range gs {
		out[i] = d.label(g)
	}
	return d.pr.Join(out)
}

func (d *mdDoc) guide() {
	d.heading(msg.MDGuideHeading)
	d.printf("- %s\n", d.say(msg.MDGuideStatus.With(pctExact(d.r.Threshold), msg.Ballots.With(int64(d.r.Quorum)), msg.Groups.With(int64(d.r.MinGroups)))))
	d.printf("- %s\n", d.say(msg.MDGuideScore.With()))
	d.printf("- %s\n", d.say(msg.MDGuideNeeds.With()))
	if d.p.Kind == polls.Ranked {
		d.printf("- %s\n", d.say(msg.MDGuideRanked.With()))
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

// mdTime is a time as the report shows it: "2026-11-25 10:00 UTC".
func mdTime(t time.Time) msg.Message {
	t = t.UTC()
	return msg.TimeUTC.With(t.Format("2006-01-02"), t.Format("15:04"))
}

func pct(v float64) string { return numfmt.Percent(v) }

// pts is a difference of shares in percentage points: "25 pts".
func (d *mdDoc) pts(v float64) string { return d.say(msg.Points.With(numfmt.PercentagePoints(v))) }

// pctExact shows a threshold such as 0.6 or 0.667 without rounding it to a
// misleading whole percent.
func pctExact(v float64) string { return numfmt.PercentExact(v) }
