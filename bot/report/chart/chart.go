// Package chart owns the picture of a consensus report: a PNG heatmap of
// every theme's support in every stakeholder group, with each theme's status
// and score beside it, drawn to be read on a projector as well as in a chat
// message.
//
// The cells are coloured on a scale that diverges at the poll's threshold
// (palette.go), and every cell below the threshold also carries a triangle,
// so which groups hold a theme back shows at a glance, in grey-scale and to
// colour-blind readers too. Groups below quorum are faded, configured
// groups without a ballot are empty hatched columns, a theme whose status
// one dissenting ballot would lower is marked "fragile" (and the cell of
// that group outlined), a divided theme whose split is within sampling
// noise "marginal", and the report of a poll still open "interim". The
// legend under the grid explains each mark the chart shows.
//
// The chart is drawn with gonum's vg and draw packages on a vgimg canvas
// rather than with plot.Plot's axes: a heatmap whose rows carry two-line
// labels and status badges needs control over every position that the axis
// machinery does not give. Every string on it is set by package typeset:
// shaped, laid out in its own direction and drawn from fonts embedded in
// the binary, so a label in Arabic, Hebrew, Chinese, Japanese, Cyrillic,
// Greek or with emoji is drawn as its writer wrote it, and rendering needs
// no system fonts.
package chart

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/internal/typeset"
	"github.com/pollbot/pollbot/polls"
)

// DefaultWidth is the chart's width in pixels at scale 1: close to a
// projector's native 1920 or 1600 pixels, so the image is shown nearly
// pixel for pixel, and wide enough for six groups and 40-character theme
// labels in type sized for the back of a meeting room.
const DefaultWidth = 1600

// Option configures PNG.
type Option func(*config)

type config struct {
	width int          // layout width in pixels at scale 1
	scale float64      // pixel density: 2 renders the same layout at twice the pixels
	p     *msg.Printer // the chart's words
}

// WithWidth sets the layout width in pixels (default DefaultWidth). The
// chart grows beyond it when many groups would make cells too narrow.
func WithWidth(px int) Option { return func(c *config) { c.width = px } }

// WithScale renders the same layout at scale times the pixels, for
// high-density screens (default 1).
func WithScale(s float64) Option { return func(c *config) { c.scale = s } }

// WithPrinter sets the language of the chart's words: its captions,
// notes and legend (default msg.English()). Text people wrote (titles,
// labels) is drawn as they wrote it.
func WithPrinter(p *msg.Printer) Option { return func(c *config) { c.p = p } }

func newConfig(opts []Option) config {
	cfg := config{width: DefaultWidth, scale: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.p == nil {
		cfg.p = msg.English()
	}
	return cfg
}

// PNG draws r as a themes x groups heatmap and writes it to w as PNG. Rows
// are themes in rank order (rank 1 on top); columns are the represented
// groups and the configured groups without a ballot, in the order of
// groups (nil means [polls.DefaultGroups]). Each cell shows the group's
// support s_tg as a colour and a percentage; each row ends with the
// theme's status, its marks and its score.
func PNG(w io.Writer, r *polls.Report, groups *polls.Groups, opts ...Option) (err error) {
	if r == nil {
		return errors.New("chart: no report")
	}
	cfg := newConfig(opts)
	if cfg.width < 600 || cfg.width > 4000 {
		return fmt.Errorf("chart: width %d px out of range 600..4000", cfg.width)
	}
	if !(cfg.scale >= 0.5 && cfg.scale <= 4) {
		return fmt.Errorf("chart: scale %v out of range 0.5..4", cfg.scale)
	}
	if groups == nil {
		groups = polls.MustGroups(polls.DefaultGroups)
	}
	// gonum reports drawing failures, and typeset a defective embedded
	// font, by panicking; a chart request must not take the bot down with
	// it.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("chart: render report of poll %s: %v", r.Poll.ID, p)
		}
	}()
	l := newLayout(r, groups, cfg.width, cfg.p)
	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(l.width), vg.Length(l.height)),
		vgimg.UseDPI(cfg.dpi()),
		vgimg.UseBackgroundColor(color.White),
	)
	l.draw(page{c: draw.New(c), h: l.height})
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(w); err != nil {
		return fmt.Errorf("chart: write png: %w", err)
	}
	return nil
}

// Size returns the pixel dimensions of the image PNG draws for r with the
// same options, so callers (and tests) can reserve space for it.
func Size(r *polls.Report, groups *polls.Groups, opts ...Option) (width, height int) {
	if r == nil {
		return 0, 0
	}
	cfg := newConfig(opts)
	if groups == nil {
		groups = polls.MustGroups(polls.DefaultGroups)
	}
	l := newLayout(r, groups, cfg.width, cfg.p)
	// vgimg sizes the image as points/72*dpi, rounded.
	px := func(pt float64) int { return int(pt/72*float64(cfg.dpi()) + 0.5) }
	return px(l.width), px(l.height)
}

// dpi is the canvas resolution: 72 dots per inch makes one layout point
// one pixel at scale 1.
func (c config) dpi() int { return int(math.Round(72 * c.scale)) }

// Geometry, in points; one point is one pixel at scale 1. Type is sized
// for a projector: what a room must read (theme labels, percentages,
// group names, statuses) is 19 to 24 points, 1.2% to 1.5% of the default
// width, so 23 to 29 pixels on a 1920-pixel projector; the smallest text
// (notes, a long group name shrunk to fit) is 16 to 17 points, 1%.
const (
	margin      = 32.0
	titleSize   = 34.0
	subSize     = 20.0
	headSize    = 21.0 // group names, shrunk to fit down to headMin
	headMin     = 16.0
	headNote    = 17.0
	labelSize   = 22.0
	cellSize    = 24.0
	badgeSize   = 19.0
	tagSize     = 17.0
	scoreSize   = 21.0
	legendSize  = 18.0
	noteSize    = 17.0
	rankW       = 46.0  // "25." right-aligned before the label
	labelW      = 350.0 // theme label column, rank included
	gap         = 12.0  // between label, cells and status columns
	rowH        = 64.0  // at least; a row whose label takes three lines is taller
	cellGap     = 3.0
	minCellW    = 120.0
	headLines   = 2 // lines of a group label in the column header
	labelLines  = 3 // lines of a theme label
	badgeW      = 136.0
	badgeH      = 34.0
	tagH        = 28.0
	tagPad      = 10.0 // on each side of a tag's word
	interimH    = 32.0 // the "INTERIM" pill
	triangleW   = 14.0 // the below-threshold mark
	triangleH   = 11.0
	legendBarW  = 480.0
	legendBarH  = 22.0
	sampleW     = 136.0 // a legend entry's sample: badge, cell or tag
	sampleH     = 36.0
	titleLines  = 2
	legendLines = 2 // lines of a legend entry's explanation
)

type fonts struct {
	title, sub, interim, headNote, label, rank, cell, badge, tag, score, legend, legendBold, note, legendItalic typeset.Face
}

func newFonts() fonts {
	n, b, it := typeset.Regular, typeset.Bold, typeset.Italic
	return fonts{
		title:        typeset.Face{Style: b, Size: titleSize},
		sub:          typeset.Face{Style: n, Size: subSize},
		interim:      typeset.Face{Style: b, Size: subSize},
		headNote:     typeset.Face{Style: n, Size: headNote},
		label:        typeset.Face{Style: n, Size: labelSize},
		rank:         typeset.Face{Style: b, Size: labelSize},
		cell:         typeset.Face{Style: b, Size: cellSize},
		badge:        typeset.Face{Style: b, Size: badgeSize},
		tag:          typeset.Face{Style: b, Size: tagSize},
		score:        typeset.Face{Style: n, Size: scoreSize},
		legend:       typeset.Face{Style: n, Size: legendSize},
		legendBold:   typeset.Face{Style: b, Size: legendSize},
		note:         typeset.Face{Style: n, Size: noteSize},
		legendItalic: typeset.Face{Style: it, Size: legendSize},
	}
}

// column is one group: represented (turnout known) or absent.
type column struct {
	group   polls.Group
	turnout polls.GroupTurnout
	absent  bool
	head    []typeset.Line // wrapped label
	note    []typeset.Line // "n=12", "n=2 · below quorum", "no ballots"
}

type row struct {
	top, h float64 // from the top of the canvas
	theme  polls.ThemeResult
	label  []typeset.Line
	below  map[polls.Group]bool // cells below the threshold
	tags   []string             // marks beside the status, as words
}

// legendEntry is one line of the legend: a sample of what it explains,
// drawn by sample in a box of sampleW x sampleH at (x, top), and the
// explanation.
type legendEntry struct {
	sample func(p page, x, top float64)
	text   []typeset.Line
}

// layout holds every measured piece of the chart; draw only places them.
type layout struct {
	r             *polls.Report
	p             *msg.Printer
	f             fonts
	width, height float64

	title                   []typeset.Line
	interim                 []typeset.Line // the banner's sentence, while the poll is open
	subtitle                []typeset.Line
	interimTop, subtitleTop float64
	cols                    []column
	rows                    []row

	cellW, headH, gridH     float64
	tagW, scoreW            float64 // widest tag (0 when none) and score
	gridTop, gridLeft       float64 // distances from the top and left of the canvas
	statusLeft, statusRight float64
	noBallots               string
	interimWord             string // the pill's word

	legendTop   float64
	barTop      float64
	entries     [2][]legendEntry // statuses on the left, marks on the right
	entriesTop  float64
	entryW      float64
	footnoteTop float64
	footnotes   []typeset.Line
}

func newLayout(r *polls.Report, groups *polls.Groups, width int, p *msg.Printer) *layout {
	l := &layout{r: r, p: p, f: newFonts(), width: float64(width)}
	l.interimWord = l.say(msg.ChartInterim.With())
	l.columns(groups)
	l.themes()

	// Horizontal: label, cells, status; cells share what is left, and the
	// chart widens rather than squeeze them below minCellW.
	l.scoreW = typeset.Measure(numfmt.Score(0), l.f.score)
	statusW := badgeW + gap + l.scoreW
	if l.tagW > 0 {
		statusW += gap + l.tagW
	}
	n := max(len(l.cols), 1)
	avail := l.width - 2*margin - labelW - statusW - 2*gap
	l.cellW = max(minCellW, avail/float64(n))
	if len(l.cols) == 0 {
		l.cellW = avail
	}
	if extra := float64(n)*l.cellW - avail; extra > 0 {
		l.width += extra
	}
	l.width = math.Ceil(l.width)
	l.gridLeft = margin + labelW + gap
	l.statusLeft = l.gridLeft + l.cellW*float64(n) + gap
	l.statusRight = l.statusLeft + statusW
	l.headers(groups)

	// Vertical: title, interim banner, subtitle, headers, grid, legend,
	// footnotes.
	title := tidy(r.Poll.Title)
	if title == "" {
		title = l.say(msg.ChartUntitled.With(r.Poll.ID))
	}
	inner := l.width - 2*margin
	l.title = wrap(l.f.title, title, inner, titleLines)
	top := margin + float64(len(l.title))*titleSize*1.2
	if r.Poll.Status == polls.StatusOpen {
		l.interim = wrap(l.f.sub, l.say(msg.ChartInterimNote.With()), inner-l.interimW()-gap, 2)
		l.interimTop = top + 8
		top = l.interimTop + max(interimH, float64(len(l.interim))*subSize*1.3)
	}
	l.subtitle = wrap(l.f.sub, l.subtitleText(), inner, 2)
	l.subtitleTop = top + 6
	top = l.subtitleTop + float64(len(l.subtitle))*subSize*1.3 + 22

	lineH := headSize * 1.15
	noteH := headNote * 1.2
	headH := 0.0
	for i := range l.cols {
		c := &l.cols[i]
		headH = max(headH, float64(len(c.head))*lineH+float64(len(c.note))*noteH)
	}
	l.headH = max(headH, 2*lineH) + 10
	l.gridTop = top + l.headH
	l.gridH = rowH // an empty poll still has a row's height of grid
	if len(l.rows) > 0 {
		l.gridH = 0
	}
	for i := range l.rows {
		rw := &l.rows[i]
		rw.top = l.gridTop + l.gridH
		rw.h = max(rowH, float64(len(rw.label))*labelSize*1.2+14)
		l.gridH += rw.h
	}
	switch {
	case r.Ballots > 0:
	case r.Poll.Status == polls.StatusOpen:
		l.noBallots = l.say(msg.ChartNoBallotYet.With())
	default:
		l.noBallots = l.say(msg.ChartNoBallots.With())
	}

	l.legendTop = l.gridTop + l.gridH + 30
	l.legend()
	l.entriesTop = l.barTop + legendBarH + legendSize*1.2 + 26
	entriesH := 0.0
	for _, col := range l.entries {
		h := 0.0
		for _, e := range col {
			h += entryHeight(e)
		}
		entriesH = max(entriesH, h)
	}
	l.footnoteTop = l.entriesTop + entriesH + 10
	var notes []string
	if r.Ballots > 0 {
		notes = append(notes, l.say(msg.ChartScoreNote.With()))
	}
	if r.Poll.Kind == polls.Ranked {
		notes = append(notes, l.say(msg.ChartRankedNote.With()))
	}
	for _, s := range notes {
		l.footnotes = append(l.footnotes, wrap(l.f.note, s, inner, 3)...)
	}
	l.height = math.Ceil(l.footnoteTop + float64(len(l.footnotes))*noteSize*1.35 + margin)
	return l
}

// columns lays out one column per represented group and per configured
// group without a ballot, in the configured order; groups the
// configuration does not know (it changed since they voted) come last.
func (l *layout) columns(groups *polls.Groups) {
	order := map[polls.Group]int{}
	for i, g := range groups.All() {
		order[g.ID] = i
	}
	for _, g := range l.r.Groups {
		l.cols = append(l.cols, column{group: g.Group, turnout: g})
	}
	for _, g := range l.r.Absent {
		l.cols = append(l.cols, column{group: g, absent: true})
	}
	rank := func(g polls.Group) int {
		if i, ok := order[g]; ok {
			return i
		}
		return len(order)
	}
	slices.SortStableFunc(l.cols, func(a, b column) int { return cmp.Compare(rank(a.group), rank(b.group)) })
}

// headers wraps each column's group label and note to the cell width.
func (l *layout) headers(groups *polls.Groups) {
	for i := range l.cols {
		c := &l.cols[i]
		label := tidy(groups.Info(c.group).Label)
		if label == "" {
			label = string(c.group) // a slug is plain ASCII
		}
		c.head = fitHeader(label, l.cellW-4)
		var note msg.Message
		switch {
		case c.absent:
			note = msg.ChartColumnAbsent.With()
		case !c.turnout.Qualifies:
			note = msg.ChartColumnBelow.With(c.turnout.Ballots)
		default:
			note = msg.ChartColumn.With(c.turnout.Ballots)
		}
		c.note = wrap(l.f.headNote, l.say(note), l.cellW-8, 2)
	}
}

// themes lays out one row per theme, in rank order, with its marks.
func (l *layout) themes() {
	themes := slices.Clone(l.r.Themes)
	slices.SortStableFunc(themes, func(a, b polls.ThemeResult) int { return a.Rank - b.Rank })
	for _, t := range themes {
		label := tidy(t.Theme)
		if label == "" { // nothing to draw: a blank label
			label = l.say(msg.ChartTheme.With(t.Index + 1))
		}
		rw := row{theme: t, label: wrap(l.f.label, label, labelW-rankW-8, labelLines), below: map[polls.Group]bool{}}
		// The report decides above and below exactly for the groups that
		// count; the others are compared here, for display only.
		for _, gs := range t.Groups {
			if !gs.Qualifies {
				rw.below[gs.Group] = finite(gs.Support) < l.r.Threshold
			}
		}
		for _, g := range t.Below {
			rw.below[g] = true
		}
		if t.Fragile {
			rw.tags = append(rw.tags, l.say(msg.ChartTagFragile.With()))
		}
		if t.Split == polls.SplitMarginal {
			rw.tags = append(rw.tags, l.say(msg.ChartTagMarginal.With()))
		}
		for _, tag := range rw.tags {
			l.tagW = max(l.tagW, typeset.Measure(tag, l.f.tag)+2*tagPad)
		}
		l.rows = append(l.rows, rw)
	}
}

func (l *layout) subtitleText() string {
	r := l.r
	parts := []msg.Message{
		msg.Ballots.With(r.Ballots),
		msg.ChartThreshold.With(numfmt.PercentExact(r.Threshold)),
		msg.ChartQuorum.With(r.Quorum),
	}
	if r.MinGroups > 0 {
		parts = append(parts, msg.ChartMinGroups.With(int64(r.MinGroups)))
	}
	poll := msg.ChartPoll.With(word(kindWords, r.Poll.Kind), r.Poll.ID)
	if r.Poll.Status != "" {
		poll = msg.ChartPollStatus.With(word(kindWords, r.Poll.Kind), r.Poll.ID, word(pollStatusWords, r.Poll.Status))
	}
	parts = append(parts, poll)
	if r.Held > 0 {
		parts = append(parts, msg.ChartHeld.With(r.Held))
	}
	return strings.Join(l.p.Sprints(parts...), l.say(msg.ChartSeparator.With()))
}

// say renders a message in the chart's language.
func (l *layout) say(m msg.Message) string { return l.p.Sprint(m) }

// The words of poll kinds, poll statuses and theme statuses.
var (
	kindWords = map[polls.Kind]msg.Def0{
		polls.Approval: msg.KindApproval, polls.Single: msg.KindSingle, polls.Ranked: msg.KindRanked,
	}
	pollStatusWords = map[polls.Status]msg.Def0{
		polls.StatusOpen: msg.PollStatusOpen, polls.StatusClosed: msg.PollStatusClosed, polls.StatusCancelled: msg.PollStatusCancelled,
	}
	statusWords = map[polls.ThemeStatus]msg.Def0{
		polls.Consensus: msg.StatusConsensus, polls.Emerging: msg.StatusEmerging, polls.Divided: msg.StatusDivided,
		polls.Low: msg.StatusLow, polls.Insufficient: msg.StatusInsufficient,
	}
)

// word is the word of a value, or the value itself (by its id) when this
// version has none.
func word[K ~string](words map[K]msg.Def0, k K) msg.Message {
	if d, ok := words[k]; ok {
		return d.With()
	}
	return msg.Unworded.With(string(k))
}

// interimW is the width of the "INTERIM" pill.
func (l *layout) interimW() float64 { return typeset.Measure(l.interimWord, l.f.interim) + 2*14 }

// legend lays out the legend's entries: on the left the statuses the chart
// shows, on the right every mark it shows.
func (l *layout) legend() {
	r := l.r
	l.barTop = l.legendTop + legendSize*1.2 + 12
	l.entryW = (l.width - 2*margin - 2*gap) / 2
	textW := l.entryW - sampleW - gap
	add := func(side int, sample func(p page, x, top float64), m msg.Message) {
		l.entries[side] = append(l.entries[side], legendEntry{sample: sample, text: wrap(l.f.legend, l.say(m), textW, legendLines)})
	}

	seen := map[polls.ThemeStatus]bool{}
	for _, rw := range l.rows {
		seen[rw.theme.Status] = true
	}
	for _, s := range []struct {
		status polls.ThemeStatus
		text   msg.Message
	}{
		{polls.Consensus, msg.ChartLegendConsensus.With()},
		{polls.Emerging, msg.ChartLegendEmerging.With()},
		{polls.Divided, msg.ChartLegendDivided.With()},
		{polls.Low, msg.ChartLegendLow.With()},
		{polls.Insufficient, msg.ChartLegendInsufficient.With(msg.Groups.With(int64(r.MinGroups)), msg.Ballots.With(int64(r.Quorum)))},
	} {
		if seen[s.status] {
			add(0, func(p page, x, top float64) { l.drawBadge(p, s.status, x, top+(sampleH-badgeH)/2) }, s.text)
		}
	}

	below, faded, absent, fragile, marginal := false, false, false, false, false
	for _, rw := range l.rows {
		for _, b := range rw.below {
			below = below || b
		}
		fragile = fragile || rw.theme.Fragile
		marginal = marginal || rw.theme.Split == polls.SplitMarginal
	}
	for _, c := range l.cols {
		absent = absent || c.absent
		faded = faded || !c.absent && !c.turnout.Qualifies
	}
	tau := clamp01(r.Threshold)
	if below {
		v := tau / 2
		add(1, func(p page, x, top float64) {
			l.drawCell(p, x, top, sampleW, sampleH, CellColor(v, tau), v, true, l.f.legendBold)
		}, msg.ChartLegendBelow.With(numfmt.PercentExact(r.Threshold)))
	}
	if faded {
		v := (1 + tau) / 2
		add(1, func(p page, x, top float64) {
			l.drawCell(p, x, top, sampleW, sampleH, FadeBelowQuorum(CellColor(v, tau)), v, false, l.f.legendBold)
		}, msg.ChartLegendFaded.With(msg.Ballots.With(int64(r.Quorum))))
	}
	if absent {
		add(1, func(p page, x, top float64) { l.drawAbsent(p, x, top, sampleW, sampleH) },
			msg.ChartLegendAbsent.With())
	}
	if fragile {
		tag := l.say(msg.ChartTagFragile.With())
		add(1, func(p page, x, top float64) { l.drawTag(p, tag, x, top+(sampleH-tagH)/2) },
			msg.ChartLegendFragile.With())
	}
	if marginal {
		tag := l.say(msg.ChartTagMarginal.With())
		add(1, func(p page, x, top float64) { l.drawTag(p, tag, x, top+(sampleH-tagH)/2) },
			msg.ChartLegendMarginal.With())
	}
}

func entryHeight(e legendEntry) float64 {
	return max(sampleH, float64(len(e.text))*legendSize*1.25) + 10
}

func (l *layout) draw(p page) {
	r := l.r

	// Title, interim banner, subtitle.
	top := margin
	for _, line := range l.title {
		top += titleSize
		p.line(line, colorInk, margin, top, typeset.Left)
		top += titleSize * 0.2
	}
	if len(l.interim) > 0 {
		top, w := l.interimTop, l.interimW()
		p.pill(colorInk, nil, 0, margin, top, w, interimH)
		p.text(l.f.interim, color.White, margin+w/2, top+interimH/2+subSize*0.35, typeset.Center, l.interimWord)
		for i, line := range l.interim {
			p.line(line, colorInk, margin+w+gap, top+interimH/2+subSize*0.35+float64(i)*subSize*1.3, typeset.Left)
		}
	}
	top = l.subtitleTop
	for _, line := range l.subtitle {
		top += subSize
		p.line(line, colorMuted, margin, top, typeset.Left)
		top += subSize * 0.3
	}

	// Column headers, bottom-aligned on the grid.
	p.text(l.f.headNote, colorMuted, margin, l.gridTop-10, typeset.Left, l.say(msg.ChartHeadTheme.With()))
	p.text(l.f.headNote, colorMuted, l.statusLeft, l.gridTop-10, typeset.Left, l.say(msg.ChartHeadStatus.With()))
	p.text(l.f.headNote, colorMuted, l.statusRight, l.gridTop-10, typeset.Right, l.say(msg.ChartHeadScore.With()))
	lineH, noteH := headSize*1.15, headNote*1.2
	for i, col := range l.cols {
		cx := l.gridLeft + (float64(i)+0.5)*l.cellW
		base := l.gridTop - 10 - float64(len(col.note))*noteH - float64(len(col.head)-1)*lineH
		for _, s := range col.head {
			p.line(s, colorInk, cx, base, typeset.Center)
			base += lineH
		}
		base += noteH - lineH
		noteColor := colorMuted
		if col.absent || !col.turnout.Qualifies {
			noteColor = colorWarn
		}
		for _, s := range col.note {
			p.line(s, noteColor, cx, base, typeset.Center)
			base += noteH
		}
	}

	// Rows.
	for i, rw := range l.rows {
		mid := rw.top + rw.h/2
		if i%2 == 0 {
			p.fill(colorStripe, margin-8, rw.top, l.gridLeft-(margin-8), rw.h)
			p.fill(colorStripe, l.statusLeft-gap/2, rw.top, l.statusRight+8-(l.statusLeft-gap/2), rw.h)
		}
		// Rank and label, vertically centred as a block.
		lh := labelSize * 1.2
		first := mid - float64(len(rw.label)-1)*lh/2 + labelSize*0.35
		p.text(l.f.rank, colorMuted, margin+rankW-10, first, typeset.Right, strconv.Itoa(rw.theme.Rank)+".")
		for j, s := range rw.label {
			p.line(s, colorInk, margin+rankW, first+float64(j)*lh, typeset.Left)
		}
		// Cells.
		outline := -1
		for j := range l.cols {
			col := &l.cols[j]
			x, top, w, h := l.cell(i, j)
			if col.absent {
				l.drawAbsent(p, x, top, w, h)
				continue
			}
			gs, _ := supportOf(rw.theme, col.group)
			fill := CellColor(gs.Support, r.Threshold)
			if !col.turnout.Qualifies {
				fill = FadeBelowQuorum(fill)
			}
			l.drawCell(p, x, top, w, h, fill, gs.Support, rw.below[col.group], l.f.cell)
			if m := rw.theme.Margin; rw.theme.Fragile && m != nil && m.Group == col.group {
				outline = j
			}
		}
		if outline >= 0 {
			// Ink on the cell's edge and white inside it, so the outline
			// shows on any fill and on the white between cells.
			x, top, w, h := l.cell(i, outline)
			p.stroke(colorInk, 3.5, x-0.25, top-0.25, w+0.5, h+0.5)
			p.stroke(color.White, 1.5, x+2.25, top+2.25, w-4.5, h-4.5)
		}
		// Status badge, marks and score.
		l.drawBadge(p, rw.theme.Status, l.statusLeft, mid-badgeH/2)
		x := l.statusLeft + badgeW + gap
		for _, tag := range rw.tags {
			l.drawTag(p, tag, x, mid-tagH/2)
			x += typeset.Measure(tag, l.f.tag) + 2*tagPad + 6
		}
		score := "–" // no ballot, no score: 0.00 would read as a verdict
		if r.Ballots > 0 {
			score = numfmt.Score(finite(rw.theme.Score))
		}
		p.text(l.f.score, colorInk, l.statusRight, mid+scoreSize*0.35, typeset.Right, score)
	}
	if l.noBallots != "" {
		gridH := l.gridH
		gridW := l.cellW * float64(max(len(l.cols), 1))
		if len(l.cols) == 0 {
			p.fill(colorEmpty, l.gridLeft, l.gridTop, gridW, gridH)
		}
		w := typeset.Measure(l.noBallots, l.f.title) + 48
		h := titleSize * 1.8
		cx, cy := l.gridLeft+gridW/2, l.gridTop+gridH/2
		p.fill(color.White, cx-w/2, cy-h/2, w, h)
		p.stroke(colorCellEdge, 1, cx-w/2, cy-h/2, w, h)
		p.text(l.f.title, colorMuted, cx, cy+titleSize*0.35, typeset.Center, l.noBallots)
	}

	l.drawLegend(p)
	top = l.footnoteTop
	for _, s := range l.footnotes {
		top += noteSize
		p.line(s, colorMuted, margin, top, typeset.Left)
		top += noteSize * 0.35
	}
}

// cell is the rectangle of the cell of row i, column j.
func (l *layout) cell(i, j int) (x, top, w, h float64) {
	rw := l.rows[i]
	return l.gridLeft + float64(j)*l.cellW + cellGap/2, rw.top + cellGap/2, l.cellW - cellGap, rw.h - cellGap
}

// drawCell draws a heatmap cell: fill, edge, and the support as a
// percentage, after a triangle when it is below the threshold.
func (l *layout) drawCell(p page, x, top, w, h float64, fill color.Color, support float64, below bool, f typeset.Face) {
	p.fill(fill, x, top, w, h)
	p.stroke(colorCellEdge, 1, x, top, w, h)
	ink := InkOn(fill)
	label := typeset.Shape(numfmt.Percent(support), f)
	cx, baseline := x+w/2, top+h/2+f.Size*0.35
	if below {
		tw := triangleW * f.Size / cellSize
		th := triangleH * f.Size / cellSize
		space := f.Size * 0.25
		total := tw + space + label.Width()
		left := cx - total/2
		p.triangleDown(ink, left+tw/2, top+h/2, tw, th)
		p.line(label, ink, left+tw+space, baseline, typeset.Left)
		return
	}
	p.line(label, ink, cx, baseline, typeset.Center)
}

// drawAbsent draws the cell of a group with no ballot: empty and hatched.
func (l *layout) drawAbsent(p page, x, top, w, h float64) {
	p.fill(colorEmpty, x, top, w, h)
	p.hatch(colorHatch, x, top, w, h, 12)
	p.stroke(colorCellEdge, 1, x, top, w, h)
}

func (l *layout) drawBadge(p page, st polls.ThemeStatus, x, top float64) {
	fill, ink, edge := StatusColors(st)
	var outline color.Color
	if edge != fill {
		outline = edge
	}
	p.pill(fill, outline, 1.5, x, top, badgeW, badgeH)
	p.text(l.f.badge, ink, x+badgeW/2, top+badgeH/2+badgeSize*0.35, typeset.Center, l.say(word(statusWords, st)))
}

// drawTag draws a mark beside a status: its word in an outlined pill, so
// it reads apart from the filled status badge in any colour vision.
func (l *layout) drawTag(p page, tag string, x, top float64) {
	w := typeset.Measure(tag, l.f.tag) + 2*tagPad
	p.pill(color.White, colorInk, 1.5, x, top, w, tagH)
	p.text(l.f.tag, colorInk, x+w/2, top+tagH/2+tagSize*0.35, typeset.Center, tag)
}

// drawLegend draws the colour scale, titled above, with the threshold
// marked and the ends and threshold labelled below; then the entries.
func (l *layout) drawLegend(p page) {
	r := l.r
	p.text(l.f.legendBold, colorInk, margin, l.legendTop+legendSize, typeset.Left, l.say(msg.ChartLegendTitle.With()))
	x0, top := margin, l.barTop
	tau := clamp01(r.Threshold)
	stops := ScaleStops(tau)
	// The bar is drawn in thin slices, each CellColor at its middle.
	const steps = 240
	for i := range steps {
		v := (float64(i) + 0.5) / steps
		p.fill(CellColor(v, tau), x0+float64(i)*legendBarW/steps, top, legendBarW/steps+0.6, legendBarH)
	}
	if tau >= 1 { // the jump to full support would be a hair's width
		p.fill(stops[len(stops)-1].Color, x0+legendBarW-4, top, 4, legendBarH)
	}
	p.stroke(colorCellEdge, 1, x0, top, legendBarW, legendBarH)
	tx := x0 + tau*legendBarW
	p.rule(colorInk, 3, tx, top-5, tx, top+legendBarH+5)
	below := top + legendBarH + 6 + legendSize
	// The threshold's label, under its mark; an end's label gives way to
	// it when the threshold is near that end.
	label := l.say(msg.ChartThreshold.With(numfmt.PercentExact(r.Threshold)))
	lw := typeset.Measure(label, l.f.legendItalic)
	lx := math.Min(math.Max(tx-lw/2, x0), x0+legendBarW-lw)
	p.text(l.f.legendItalic, colorInk, lx, below, typeset.Left, label)
	if zero := numfmt.Percent(0); lx > x0+typeset.Measure(zero, l.f.legend)+10 {
		p.text(l.f.legend, colorMuted, x0, below, typeset.Left, zero)
	}
	if all := numfmt.Percent(1); lx+lw < x0+legendBarW-typeset.Measure(all, l.f.legend)-10 {
		p.text(l.f.legend, colorMuted, x0+legendBarW, below, typeset.Right, all)
	}
	// What the two sides mean, beside the bar.
	side := x0 + legendBarW + 2*gap
	p.text(l.f.legend, colorInk, side, top+legendBarH/2+legendSize*0.35, typeset.Left,
		l.say(msg.ChartLegendSides.With()))

	for i, col := range l.entries {
		x := margin + float64(i)*(l.entryW+2*gap)
		top := l.entriesTop
		for _, e := range col {
			h := entryHeight(e) - 10
			e.sample(p, x, top+(h-sampleH)/2)
			first := top + h/2 - float64(len(e.text)-1)*legendSize*1.25/2 + legendSize*0.35
			for j, s := range e.text {
				p.line(s, colorInk, x+sampleW+gap, first+float64(j)*legendSize*1.25, typeset.Left)
			}
			top += h + 10
		}
	}
}

// fitHeader wraps a group's label into headLines lines of width at the
// largest size from headSize down to headMin at which no word is cut, so
// that "Intergovernmental" shrinks a little rather than breaking in two;
// at headMin it breaks a word if it must.
func fitHeader(label string, width float64) []typeset.Line {
	for size := headSize; size >= headMin; size -= 0.5 {
		f := typeset.Face{Style: typeset.Bold, Size: size}
		if lines, whole := typeset.Wrap(label, f, width, headLines); whole {
			return lines
		}
	}
	return wrap(typeset.Face{Style: typeset.Bold, Size: headMin}, label, width, headLines)
}

func supportOf(t polls.ThemeResult, g polls.Group) (polls.GroupSupport, bool) {
	for _, gs := range t.Groups {
		if gs.Group == g {
			return gs, true
		}
	}
	return polls.GroupSupport{Group: g}, false
}

// tidy collapses runs of white space, line breaks included, into single
// spaces: a label is drawn on lines the chart chooses.
func tidy(s string) string { return strings.Join(strings.Fields(s), " ") }

// wrap breaks s into at most maxLines lines no wider than width, at spaces
// and other break opportunities where it can and inside a word where it
// must; what does not fit ends in an ellipsis.
func wrap(f typeset.Face, s string, width float64, maxLines int) []typeset.Line {
	lines, _ := typeset.Wrap(s, f, width, maxLines)
	return lines
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
