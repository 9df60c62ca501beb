package chart

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/typeset"
	"github.com/pollbot/pollbot/polls"
)

// TimelinePNG draws a poll's timeline (how its report changed as ballots
// arrived) and writes it as PNG: one row per theme in the final rank
// order, its time axis banded in the colour of the status the theme had
// then (the status's badge colours, the same as the heatmap's and the live
// screen's), with its score drawn over the bands as a line, 0 at the foot
// of the row and 1 under the band's status word; the final status and
// score at the row's
// end; the poll's closes and reopenings as dashed rules across the rows.
func TimelinePNG(w io.Writer, tl *polls.Timeline, opts ...Option) (err error) {
	if tl == nil {
		return errors.New("chart: no timeline")
	}
	cfg := newConfig(opts)
	if cfg.width < 600 || cfg.width > 4000 {
		return fmt.Errorf("chart: width %d px out of range 600..4000", cfg.width)
	}
	if !(cfg.scale >= 0.5 && cfg.scale <= 4) {
		return fmt.Errorf("chart: scale %v out of range 0.5..4", cfg.scale)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("chart: render timeline of poll %s: %v", tl.Poll.ID, p)
		}
	}()
	l := newTimelineLayout(tl, float64(cfg.width), cfg.p)
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

// markWords name the poll's own events under the time axis.
var markWords = map[polls.EventKind]msg.Def0{
	polls.EventClose: msg.ChartMarkClose, polls.EventCancel: msg.ChartMarkCancel,
	polls.EventReopen: msg.ChartMarkReopen, polls.EventDeadline: msg.ChartMarkDeadline,
}

// Geometry of the timeline, in points (pixels at scale 1), sized for a
// projector like the heatmap.
const (
	tlRowH     = 66.0
	tlWordH    = tagSize + 10 // the top of a band, where its status word goes
	tlRowGap   = 10.0
	tlLabelW   = 380.0
	tlStatusW  = 250.0
	tlAxisH    = 64.0
	tlBandWord = 110.0 // a band at least this wide carries its status word
)

// TimelineSpan is the stretch of time a drawing of tl covers: from its
// start to its end, at least a second, so that a timeline of one instant
// still has a width.
func TimelineSpan(tl *polls.Timeline) (start, end time.Time) {
	start, end = tl.Start, tl.End
	if end.Sub(start) < time.Second {
		end = start.Add(time.Second)
	}
	return start, end
}

type timelineRow struct {
	th    polls.ThemeTimeline
	label []typeset.Line
	top   float64
}

type timelineLayout struct {
	tl            *polls.Timeline
	p             *msg.Printer
	f             fonts
	width, height float64
	title         []typeset.Line
	subtitle      []typeset.Line
	rows          []timelineRow
	gridTop       float64
	left, right   float64 // the time axis, in x
	axisTop       float64
	legendTop     float64
	start, end    time.Time
}

func newTimelineLayout(tl *polls.Timeline, width float64, p *msg.Printer) *timelineLayout {
	l := &timelineLayout{tl: tl, p: p, f: newFonts(), width: width}
	l.start, l.end = TimelineSpan(tl)
	title := tidy(tl.Poll.Title)
	if title == "" {
		title = l.say(msg.ChartUntitled.With(tl.Poll.ID))
	}
	inner := width - 2*margin
	l.title = wrap(l.f.title, l.say(msg.ChartTimelineTitle.With(title)), inner, titleLines)
	l.subtitle = wrap(l.f.sub, l.subtitleText(), inner, 3)
	top := margin + float64(len(l.title))*titleSize*1.2 + float64(len(l.subtitle))*subSize*1.3 + 24
	l.gridTop = top
	l.left = margin + tlLabelW + gap
	l.right = width - margin - tlStatusW - gap
	for _, th := range tl.Themes {
		label := tidy(th.Theme)
		if label == "" {
			label = l.say(msg.ChartTheme.With(th.Index + 1))
		}
		l.rows = append(l.rows, timelineRow{th: th, label: wrap(l.f.label, label, tlLabelW-rankW-6, 2), top: top})
		top += tlRowH + tlRowGap
	}
	l.axisTop = top
	l.legendTop = top + tlAxisH
	l.height = math.Ceil(l.legendTop + badgeH + legendSize + margin + 8)
	return l
}

func (l *timelineLayout) say(m msg.Message) string { return l.p.Sprint(m) }

// subtitleText is the poll, the span, the events and the ballots, and where a
// trimmed log starts and that an anonymous poll's times are to the hour.
func (l *timelineLayout) subtitleText() string {
	tl := l.tl
	clock := TimelineClock(l.p, tl)
	parts := []string{
		l.say(msg.ChartTimelinePoll.With(tl.Poll.ID)),
		l.say(msg.ChartTimelineSpan.With(clock(tl.Start), clock(tl.End))),
		l.say(msg.TimelineEvents.With(int64(tl.Events))),
		l.say(msg.Ballots.With(tl.Ballots)),
	}
	if tl.From == polls.TimelineFromLog {
		parts = append(parts, l.say(msg.ChartTimelineFromLog.With(msg.Ballots.With(tl.StartBallots))))
	}
	if tl.HourTimes {
		parts = append(parts, l.say(msg.ChartTimelineHours.With()))
	}
	return strings.Join(parts, l.say(msg.ChartSeparator.With()))
}

// TimelineClock returns how tl's times are written, in UTC, on the chart
// and in the timeline's text, in p's words (nil: English): to the second
// when it spans less than an hour, to the minute within a day, with the
// date beyond ("2 Jan 15:04", msg.DayClock); to the hour for an anonymous
// poll (whose times are cut to it).
func TimelineClock(p *msg.Printer, tl *polls.Timeline) func(time.Time) string {
	if p == nil {
		p = msg.English()
	}
	layout, withDay := "15:04", true
	span := tl.End.Sub(tl.Start)
	sameDay := tl.Start.UTC().YearDay() == tl.End.UTC().YearDay() && tl.Start.Year() == tl.End.Year()
	switch {
	case tl.HourTimes && sameDay:
		withDay = false
	case tl.HourTimes:
	case span < time.Hour:
		layout, withDay = "15:04:05", false
	case span < 24*time.Hour && sameDay:
		withDay = false
	}
	return func(t time.Time) string {
		if withDay {
			return p.Sprint(msg.DayClock(t, layout))
		}
		return t.UTC().Format(layout)
	}
}

// MarkWord names a poll's own event (a close, a reopening...) as the
// timeline marks it under its time axis.
func MarkWord(e polls.EventKind) msg.Message { return word(markWords, e) }

// x is the position of t on the time axis.
func (l *timelineLayout) x(t time.Time) float64 {
	f := float64(t.Sub(l.start)) / float64(l.end.Sub(l.start))
	return l.left + math.Min(math.Max(f, 0), 1)*(l.right-l.left)
}

func (l *timelineLayout) draw(p page) {
	top := margin
	for _, line := range l.title {
		top += titleSize
		p.line(line, colorInk, margin, top, typeset.Left)
		top += titleSize * 0.2
	}
	for _, line := range l.subtitle {
		top += subSize * 1.3
		p.line(line, colorMuted, margin, top, typeset.Left)
	}
	if len(l.rows) == 0 {
		return
	}
	for _, r := range l.rows {
		l.drawRow(p, r)
	}
	// The poll's own events, across every row.
	bottom := l.rows[len(l.rows)-1].top + tlRowH
	for _, m := range l.tl.Marks {
		x := l.x(m.At)
		p.c.SetColor(colorInk)
		p.c.SetLineWidth(1.5)
		p.c.SetLineDash([]vg.Length{6, 5}, 0)
		var path vg.Path
		path.Move(p.pt(x, l.gridTop-6))
		path.Line(p.pt(x, bottom+6))
		p.c.Stroke(path)
		p.c.SetLineDash(nil, 0)
	}
	l.drawAxis(p)
	l.drawLegend(p)
}

func (l *timelineLayout) drawRow(p page, r timelineRow) {
	th := r.th
	mid := r.top + tlRowH/2
	// Rank and label.
	lh := labelSize * 1.2
	first := mid - float64(len(r.label)-1)*lh/2 + labelSize*0.35
	p.text(l.f.rank, colorMuted, margin+rankW-8, first, typeset.Right, strconv.Itoa(th.Rank)+".")
	for j, s := range r.label {
		p.line(s, colorInk, margin+rankW, first+float64(j)*lh, typeset.Left)
	}
	// Status bands.
	for i, c := range th.Changes {
		// The last status holds until the last event (the axis runs on
		// past it only for a timeline shorter than a second).
		until := l.tl.End
		if i+1 < len(th.Changes) {
			until = th.Changes[i+1].At
		}
		x0, x1 := l.x(c.At), l.x(until)
		if x1-x0 < 0.5 {
			continue
		}
		fill, ink, edge := StatusColors(c.Status)
		p.fill(fill, x0, r.top, x1-x0, tlRowH)
		if edge != fill {
			p.stroke(edge, 1.2, x0+0.6, r.top+0.6, x1-x0-1.2, tlRowH-1.2)
		}
		if x1-x0 >= tlBandWord {
			p.text(l.f.tag, ink, x0+8, r.top+tagSize+4, typeset.Left, l.say(word(statusWords, c.Status)))
		}
	}
	// The score, haloed so it reads on every band.
	var path vg.Path
	for i, sp := range th.Scores {
		pt := p.pt(l.x(sp.At), r.top+tlRowH-3-finite(sp.Score)*(tlRowH-3-tlWordH))
		if i == 0 {
			path.Move(pt)
		} else {
			path.Line(pt)
		}
	}
	if len(th.Scores) > 0 {
		p.c.SetLineDash(nil, 0)
		p.c.SetColor(color.White)
		p.c.SetLineWidth(6)
		p.c.Stroke(path)
		p.c.SetColor(colorInk)
		p.c.SetLineWidth(2.5)
		p.c.Stroke(path)
	}
	// The final status and score.
	bx := l.right + gap + 8
	fill, ink, edge := StatusColors(th.Status)
	var outline color.Color
	if edge != fill {
		outline = edge
	}
	p.pill(fill, outline, 1.5, bx, mid-badgeH/2, badgeW, badgeH)
	p.text(l.f.badge, ink, bx+badgeW/2, mid+badgeSize*0.35, typeset.Center, l.say(word(statusWords, th.Status)))
	p.text(l.f.score, colorInk, bx+badgeW+10, mid+scoreSize*0.35, typeset.Left, strconv.FormatFloat(finite(th.Score), 'f', 2, 64))
}

// drawAxis marks the start and the end of the time axis, the poll's own
// events, and a few evenly spaced times between.
func (l *timelineLayout) drawAxis(p page) {
	clock := TimelineClock(l.p, l.tl)
	top := l.axisTop
	p.rule(colorMuted, 1.5, l.left, top, l.right, top)
	tick := func(t time.Time, label string, align typeset.Align) {
		x := l.x(t)
		p.rule(colorMuted, 1.5, x, top, x, top+8)
		p.text(l.f.note, colorInk, x, top+8+noteSize+2, align, label)
	}
	tick(l.start, clock(l.start), typeset.Left)
	tick(l.end, clock(l.end), typeset.Right)
	// Between them, up to three more ticks where they do not crowd the
	// ends.
	span := l.end.Sub(l.start)
	for i := 1; i <= 3; i++ {
		t := l.start.Add(span * time.Duration(i) / 4)
		tick(t, clock(t), typeset.Center)
	}
	// The poll's own events, labelled under the axis.
	at := top + 8 + 2*(noteSize+4)
	for _, m := range l.tl.Marks {
		p.text(l.f.note, colorInk, l.x(m.At), at, typeset.Center, l.say(word(markWords, m.Event)))
	}
	p.text(l.f.note, colorMuted, margin, top+8+noteSize+2, typeset.Left, l.say(msg.ChartTimelineUTC.With()))
}

// drawLegend shows each status's band colour and what the line is.
func (l *timelineLayout) drawLegend(p page) {
	x := margin
	top := l.legendTop
	for _, st := range []polls.ThemeStatus{polls.Consensus, polls.Emerging, polls.Divided, polls.Low, polls.Insufficient} {
		fill, ink, edge := StatusColors(st)
		var outline color.Color
		if edge != fill {
			outline = edge
		}
		name := l.say(word(statusWords, st))
		w := typeset.Measure(name, l.f.tag) + 2*tagPad
		p.pill(fill, outline, 1.5, x, top, w, tagH)
		p.text(l.f.tag, ink, x+w/2, top+tagH/2+tagSize*0.35, typeset.Center, name)
		x += w + 10
	}
	p.rule(color.White, 6, x+10, top+tagH/2, x+50, top+tagH/2)
	p.rule(colorInk, 2.5, x+10, top+tagH/2, x+50, top+tagH/2)
	p.text(l.f.legend, colorInk, x+60, top+tagH/2+legendSize*0.35, typeset.Left, l.say(msg.ChartTimelineScore.With()))
}
