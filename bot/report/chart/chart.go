// Package chart owns the picture of a consensus report: a PNG heatmap of
// every theme's support in every stakeholder group, with each theme's status
// and score beside it, sized for a chat message.
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

	"github.com/pollbot/pollbot/internal/typeset"
	"github.com/pollbot/pollbot/polls"
)

// DefaultWidth is the chart's width in pixels at scale 1: wide enough for
// six groups and 40-character theme labels, narrow enough that chat clients
// show it without shrinking the text out of legibility.
const DefaultWidth = 1200

// Option configures PNG.
type Option func(*config)

type config struct {
	width int     // layout width in pixels at scale 1
	scale float64 // pixel density: 2 renders the same layout at twice the pixels
}

// WithWidth sets the layout width in pixels (default DefaultWidth). The
// chart grows beyond it when many groups would make cells too narrow.
func WithWidth(px int) Option { return func(c *config) { c.width = px } }

// WithScale renders the same layout at scale times the pixels, for
// high-density screens (default 1).
func WithScale(s float64) Option { return func(c *config) { c.scale = s } }

// PNG draws r as a themes x groups heatmap and writes it to w as PNG. Rows
// are themes in rank order (rank 1 on top); columns are the represented
// groups, named from groups (nil means [polls.DefaultGroups]), those below
// quorum faded and marked. Each cell shows the group's support s_tg as a
// colour and a percentage; each row ends with the theme's status and score.
func PNG(w io.Writer, r *polls.Report, groups *polls.Groups, opts ...Option) (err error) {
	if r == nil {
		return errors.New("chart: no report")
	}
	cfg := config{width: DefaultWidth, scale: 1}
	for _, o := range opts {
		o(&cfg)
	}
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
	l := newLayout(r, groups, cfg.width)
	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(l.width), vg.Length(l.height)),
		vgimg.UseDPI(cfg.dpi()),
		vgimg.UseBackgroundColor(color.White),
	)
	l.draw(draw.New(c))
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
	cfg := config{width: DefaultWidth, scale: 1}
	for _, o := range opts {
		o(&cfg)
	}
	if groups == nil {
		groups = polls.MustGroups(polls.DefaultGroups)
	}
	l := newLayout(r, groups, cfg.width)
	// vgimg sizes the image as points/72*dpi, rounded.
	px := func(pt float64) int { return int(pt/72*float64(cfg.dpi()) + 0.5) }
	return px(l.width), px(l.height)
}

// dpi is the canvas resolution: 72 dots per inch makes one layout point
// one pixel at scale 1.
func (c config) dpi() int { return int(math.Round(72 * c.scale)) }

// Geometry, in points; one point is one pixel at scale 1.
const (
	margin     = 28.0
	titleSize  = 22.0
	subSize    = 14.0
	headSize   = 13.0
	labelSize  = 14.0
	cellSize   = 14.0
	noteSize   = 12.0
	rankW      = 34.0  // "25." right-aligned before the label
	labelW     = 320.0 // theme label column, rank included
	statusW    = 190.0 // badge and score
	gap        = 12.0  // between label, cells and status columns
	rowH       = 40.0
	cellGap    = 2.0
	minCellW   = 72.0
	headLines  = 2 // lines of a group label in the column header
	labelLines = 2 // lines of a theme label
	badgeW     = 104.0
	badgeH     = 24.0
	legendBarW = 320.0
	legendBarH = 14.0
	titleLines = 2 // lines of the title
)

type fonts struct {
	title, sub, head, headNote, label, rank, cell, badge, note, noteItalic typeset.Face
}

func newFonts() fonts {
	n, b, it := typeset.Regular, typeset.Bold, typeset.Italic
	return fonts{
		title:      typeset.Face{Style: b, Size: titleSize},
		sub:        typeset.Face{Style: n, Size: subSize},
		head:       typeset.Face{Style: b, Size: headSize},
		headNote:   typeset.Face{Style: n, Size: noteSize},
		label:      typeset.Face{Style: n, Size: labelSize},
		rank:       typeset.Face{Style: b, Size: labelSize},
		cell:       typeset.Face{Style: b, Size: cellSize},
		badge:      typeset.Face{Style: b, Size: 13},
		note:       typeset.Face{Style: n, Size: noteSize},
		noteItalic: typeset.Face{Style: it, Size: noteSize},
	}
}

type column struct {
	group polls.GroupTurnout
	face  typeset.Face   // the largest size at which the label wraps between words
	head  []typeset.Line // wrapped label
	note  []typeset.Line // "n=2, below quorum" wrapped
}

type row struct {
	theme polls.ThemeResult
	label []typeset.Line
}

// layout holds every measured piece of the chart; draw only places them.
type layout struct {
	r                *polls.Report
	f                fonts
	width, height    float64
	title            []typeset.Line
	subtitle         string
	cols             []column
	rows             []row
	cellW            float64
	headH            float64
	gridTop          float64 // distances from the top of the canvas
	gridLeft         float64
	statusLeft       float64
	legendTop        float64
	footnotes        []typeset.Line
	noBallotsMessage string
	underRepresented bool
}

func newLayout(r *polls.Report, groups *polls.Groups, width int) *layout {
	l := &layout{r: r, f: newFonts(), width: float64(width)}
	n := len(r.Groups)
	avail := l.width - 2*margin - labelW - statusW - 2*gap
	l.cellW = minCellW
	if n > 0 {
		l.cellW = max(minCellW, avail/float64(n))
	}
	if n > 0 && float64(n)*l.cellW > avail {
		l.width += float64(n)*l.cellW - avail
	}
	if n == 0 {
		l.cellW = avail
	}
	l.gridLeft = margin + labelW + gap
	l.statusLeft = l.gridLeft + l.cellW*float64(max(n, 1)) + gap

	title := tidy(r.Poll.Title)
	if title == "" {
		title = "Poll " + r.Poll.ID
	}
	l.title = wrap(l.f.title, title, l.width-2*margin, titleLines)
	l.subtitle = fmt.Sprintf("n = %d ballots, quorum %d, threshold %s  ·  %s poll %s",
		r.Ballots, r.Quorum, percentExact(r.Threshold), r.Poll.Kind, r.Poll.ID)
	if r.Poll.Status != "" {
		l.subtitle += ", " + string(r.Poll.Status)
	}

	lineH := headSize * 1.2
	maxHead := 0
	for _, g := range r.Groups {
		c := column{group: g}
		label := tidy(groups.Info(g.Group).Label)
		if label == "" {
			label = string(g.Group) // a slug is plain ASCII
		}
		c.face, c.head = fitHeader(label, l.cellW-4)
		note := "n=" + strconv.FormatInt(g.Ballots, 10)
		if !g.Qualifies {
			note += ", below quorum"
			l.underRepresented = true
		}
		c.note = wrap(l.f.headNote, note, l.cellW-8, 2)
		maxHead = max(maxHead, len(c.head)+len(c.note))
		l.cols = append(l.cols, c)
	}
	l.headH = float64(max(maxHead, 2))*lineH + 8

	themes := slices.Clone(r.Themes)
	slices.SortStableFunc(themes, func(a, b polls.ThemeResult) int { return a.Rank - b.Rank })
	for _, t := range themes {
		label := tidy(t.Theme)
		if label == "" { // nothing to draw: a blank label
			label = "Theme " + strconv.Itoa(t.Index+1)
		}
		l.rows = append(l.rows, row{theme: t, label: wrap(l.f.label, label, labelW-rankW-6, labelLines)})
	}

	top := margin + float64(len(l.title))*titleSize*1.2 + subSize*1.5 + 16
	l.gridTop = top + l.headH
	gridH := float64(max(len(l.rows), 1)) * rowH
	if n == 0 {
		l.noBallotsMessage = "No ballots yet"
	}
	l.legendTop = l.gridTop + gridH + 22

	footnotes := []string{
		fmt.Sprintf("Status counts only groups with at least %d ballots: consensus = every such group's support is at or above the threshold with 95%% confidence; "+
			"emerging = at or above it, not yet with that confidence; divided = some groups above, some below; low = none above; "+
			"insufficient = fewer than two groups reach quorum.", r.Quorum),
		"Score (0 to 1) is the geometric mean of each group's smoothed support: high only when every group supports the theme.",
	}
	if l.underRepresented {
		footnotes = append(footnotes, "Faded columns are groups below quorum: shown, but not counted in the status.")
	}
	if r.Poll.Kind == polls.Ranked {
		footnotes = append(footnotes, "Ranked poll: support is the group's average Borda share (first place 100%, last or unranked 0%).")
	}
	for _, s := range footnotes {
		l.footnotes = append(l.footnotes, wrap(l.f.note, s, l.width-2*margin, 4)...)
	}
	legendH := noteSize + 6 + legendBarH + 4 + noteSize + 14
	l.height = math.Ceil(l.legendTop + legendH + float64(len(l.footnotes))*noteSize*1.35 + margin)
	l.width = math.Ceil(l.width)
	return l
}

func (l *layout) draw(c draw.Canvas) {
	H := l.height
	// y converts a distance from the top into vg's bottom-up coordinate.
	y := func(top float64) vg.Length { return vg.Length(H - top) }

	// Title and subtitle.
	top := margin
	for _, line := range l.title {
		top += titleSize
		drawLine(c, line, colorInk, margin, y(top), typeset.Left)
		top += titleSize * 0.2
	}
	top += subSize * 1.3
	text(c, l.f.sub, colorMuted, margin, y(top), l.subtitle)

	// Column headers, bottom-aligned on the grid.
	lineH := headSize * 1.2
	text(c, l.f.note, colorMuted, margin, y(l.gridTop-6), "Theme, by rank")
	text(c, l.f.note, colorMuted, l.statusLeft, y(l.gridTop-6), "Status, score")
	for i, col := range l.cols {
		cx := l.gridLeft + (float64(i)+0.5)*l.cellW
		lines := len(col.head) + len(col.note)
		base := l.gridTop - 6 - float64(lines-1)*lineH
		for _, s := range col.head {
			drawLine(c, s, colorInk, cx, y(base), typeset.Center)
			base += lineH
		}
		noteColor := colorMuted
		if !col.group.Qualifies {
			noteColor = colorWarn
		}
		for _, s := range col.note {
			drawLine(c, s, noteColor, cx, y(base), typeset.Center)
			base += lineH
		}
	}

	// Rows.
	for i, rw := range l.rows {
		rowTop := l.gridTop + float64(i)*rowH
		mid := rowTop + rowH/2
		if i%2 == 0 {
			fillRect(c, colorStripe, margin-6, y(rowTop+rowH), l.gridLeft-(margin-6), rowH)
			fillRect(c, colorStripe, l.statusLeft-gap/2, y(rowTop+rowH), l.width-margin+6-(l.statusLeft-gap/2), rowH)
		}
		// Rank and label, vertically centred as a block.
		lh := labelSize * 1.2
		first := mid - float64(len(rw.label)-1)*lh/2 + labelSize*0.35
		textRight(c, l.f.rank, colorMuted, margin+rankW-8, y(first), strconv.Itoa(rw.theme.Rank)+".")
		for j, s := range rw.label {
			drawLine(c, s, colorInk, margin+rankW, y(first+float64(j)*lh), typeset.Left)
		}
		// Cells.
		for j, col := range l.cols {
			gs, _ := supportOf(rw.theme, col.group.Group)
			fill := CellColor(gs.Support, l.r.Threshold)
			if !col.group.Qualifies {
				fill = FadeBelowQuorum(fill)
			}
			x := l.gridLeft + float64(j)*l.cellW
			fillRect(c, fill, x+cellGap/2, y(rowTop+rowH-cellGap/2), l.cellW-cellGap, rowH-cellGap)
			strokeRect(c, colorCellEdge, x+cellGap/2, y(rowTop+rowH-cellGap/2), l.cellW-cellGap, rowH-cellGap)
			textCentered(c, l.f.cell, InkOn(fill), x+l.cellW/2, y(mid+cellSize*0.35), percent(gs.Support))
		}
		// Status badge and score.
		st := statusStyles[rw.theme.Status]
		bx := l.statusLeft
		badge(c, st, bx, y(mid+badgeH/2), badgeW, badgeH)
		textCentered(c, l.f.badge, st.ink, bx+badgeW/2, y(mid+13*0.35), string(rw.theme.Status))
		score := "score –" // no ballot, no score: 0.00 would read as a verdict
		if l.r.Ballots > 0 {
			score = "score " + strconv.FormatFloat(finite(rw.theme.Score), 'f', 2, 64)
		}
		text(c, l.f.label, colorInk, bx+badgeW+10, y(mid+labelSize*0.35), score)
	}
	if l.noBallotsMessage != "" {
		gridH := float64(max(len(l.rows), 1)) * rowH
		fillRect(c, colorEmpty, l.gridLeft, y(l.gridTop+gridH), l.cellW, gridH)
		textCentered(c, l.f.title, colorMuted, l.gridLeft+l.cellW/2, y(l.gridTop+gridH/2+titleSize*0.35), l.noBallotsMessage)
	}

	l.drawLegend(c, y)

	top = l.legendTop + noteSize + 6 + legendBarH + 4 + noteSize + 14
	for _, s := range l.footnotes {
		top += noteSize
		drawLine(c, s, colorMuted, margin, y(top), typeset.Left)
		top += noteSize * 0.35
	}
}

// drawLegend draws the colour scale, titled on its left, with percentage
// ticks below and the threshold marked and labelled above.
func (l *layout) drawLegend(c draw.Canvas, y func(float64) vg.Length) {
	const steps = 100
	barTop := l.legendTop + noteSize + 6
	title := "Support within the group"
	text(c, l.f.note, colorInk, margin, y(barTop+legendBarH/2+noteSize*0.35), title)
	x0 := margin + typeset.Measure(title, l.f.note) + 14
	for i := range steps {
		v := (float64(i) + 0.5) / steps
		fillRect(c, CellColor(v, l.r.Threshold), x0+float64(i)*legendBarW/steps, y(barTop+legendBarH), legendBarW/steps+0.5, legendBarH)
	}
	strokeRect(c, colorCellEdge, x0, y(barTop+legendBarH), legendBarW, legendBarH)
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		x := x0 + v*legendBarW
		line(c, colorMuted, 1, x, y(barTop+legendBarH), x, y(barTop+legendBarH+4))
		textCentered(c, l.f.note, colorMuted, x, y(barTop+legendBarH+4+noteSize), percent(v))
	}
	t := math.Min(math.Max(finite(l.r.Threshold), 0), 1)
	tx := x0 + t*legendBarW
	line(c, colorInk, 2, tx, y(barTop-3), tx, y(barTop+legendBarH+3))
	label := "threshold " + percentExact(l.r.Threshold)
	lw := typeset.Measure(label, l.f.noteItalic)
	lx := math.Min(math.Max(tx-lw/2, x0), x0+legendBarW-lw)
	text(c, l.f.noteItalic, colorInk, lx, y(barTop-6), label)
}

// fitHeader chooses the largest header size, down to 10 points, at which
// label wraps into headLines lines without cutting a word, so that
// "Intergovernmental" shrinks a little rather than breaking in two.
func fitHeader(label string, width float64) (typeset.Face, []typeset.Line) {
	for size := headSize; size >= 10; size-- {
		f := typeset.Face{Style: typeset.Bold, Size: size}
		if lines, whole := typeset.Wrap(label, f, width, headLines); whole {
			return f, lines
		}
	}
	f := typeset.Face{Style: typeset.Bold, Size: 11}
	return f, wrap(f, label, width, headLines)
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

func percent(v float64) string { return strconv.Itoa(int(math.Round(finite(v)*100))) + "%" }

func percentExact(v float64) string {
	return strconv.FormatFloat(math.Round(finite(v)*1000)/10, 'f', -1, 64) + "%"
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
