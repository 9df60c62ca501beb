package chart

import (
	"image/color"
	"math"

	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/pollbot/pollbot/internal/typeset"
	"github.com/pollbot/pollbot/polls"
)

var (
	colorInk      = rgb(0x1f2328)
	colorMuted    = rgb(0x59636e)
	colorWarn     = rgb(0x9a4d00) // below quorum, no ballots: dark orange, legible on white
	colorStripe   = rgb(0xf3f5f7)
	colorCellEdge = rgb(0xd0d7de)
	colorEmpty    = rgb(0xf6f8fa)
	colorHatch    = rgb(0xc4cbd3)
)

type statusStyle struct {
	fill, ink, edge color.Color
}

// statusStyles colour the badges from the Okabe-Ito palette and greys: the
// word is always printed, so no status depends on telling hues apart.
var statusStyles = map[polls.ThemeStatus]statusStyle{
	polls.Consensus:    {fill: rgb(0x007a5e), ink: color.White},
	polls.Emerging:     {fill: rgb(0xb7e4c7), ink: rgb(0x0b4f2e)},
	polls.Divided:      {fill: rgb(0xe69f00), ink: rgb(0x1f2328)},
	polls.Low:          {fill: rgb(0xc9ced6), ink: rgb(0x1f2328)},
	polls.Insufficient: {fill: color.White, ink: rgb(0x59636e), edge: rgb(0x8c959f)},
}

// blend returns a*t + b*(1-t).
func blend(a, b color.Color, t float64) color.RGBA {
	ar, ag, ab, _ := a.RGBA()
	br, bg, bb, _ := b.RGBA()
	mix := func(x, y uint32) uint8 { return uint8(math.Round((float64(x)*t + float64(y)*(1-t)) / 257)) }
	return color.RGBA{mix(ar, br), mix(ag, bg), mix(ab, bb), 0xff}
}

func rgb(hex uint32) color.RGBA {
	return color.RGBA{uint8(hex >> 16), uint8(hex >> 8), uint8(hex), 0xff}
}

// page draws on a canvas in the layout's coordinates: points from the
// left edge and from the top, where vg counts from the bottom.
type page struct {
	c draw.Canvas
	h float64 // canvas height
	// drawn, when set, is told the text of every line drawn: a test reads
	// the chart's words with it.
	drawn func(text string)
}

func (p page) pt(x, top float64) vg.Point {
	return vg.Point{X: vg.Length(x), Y: vg.Length(p.h - top)}
}

// line draws l with its baseline at top and its left end, centre or right
// end at x.
func (p page) line(l typeset.Line, clr color.Color, x, baseline float64, align typeset.Align) {
	if p.drawn != nil {
		p.drawn(l.String())
	}
	l.Draw(p.c, clr, p.pt(x, baseline), align)
}

func (p page) text(f typeset.Face, clr color.Color, x, baseline float64, align typeset.Align, s string) {
	p.line(typeset.Shape(s, f), clr, x, baseline, align)
}

// rect is the rectangle with top-left corner (x, top).
func (p page) rect(x, top, w, h float64) vg.Path {
	var path vg.Path
	path.Move(p.pt(x, top))
	path.Line(p.pt(x+w, top))
	path.Line(p.pt(x+w, top+h))
	path.Line(p.pt(x, top+h))
	path.Close()
	return path
}

func (p page) fill(clr color.Color, x, top, w, h float64) {
	p.c.SetColor(clr)
	p.c.Fill(p.rect(x, top, w, h))
}

func (p page) stroke(clr color.Color, width, x, top, w, h float64) {
	p.c.SetColor(clr)
	p.c.SetLineWidth(vg.Length(width))
	p.c.SetLineDash(nil, 0)
	p.c.Stroke(p.rect(x, top, w, h))
}

func (p page) rule(clr color.Color, width, x0, top0, x1, top1 float64) {
	a, b := p.pt(x0, top0), p.pt(x1, top1)
	p.c.StrokeLine2(draw.LineStyle{Color: clr, Width: vg.Length(width)}, a.X, a.Y, b.X, b.Y)
}

// hatch fills the rectangle with diagonal lines, rising to the right,
// every spacing points: the texture of a cell with nothing to show, which
// reads as empty in colour and in grey-scale alike.
func (p page) hatch(clr color.Color, x, top, w, h, spacing float64) {
	// Lines x' - x = (top + h - top') + k, clipped to the rectangle.
	for k := -h + spacing/2; k < w; k += spacing {
		// Where the line enters (bottom or left edge) and leaves (right
		// or top edge).
		x0, t0 := x+k, top+h
		if k < 0 {
			x0, t0 = x, top+h+k
		}
		x1, t1 := x+k+h, top
		if k+h > w {
			x1, t1 = x+w, top+(k+h-w)
		}
		p.rule(clr, 1.5, x0, t0, x1, t1)
	}
}

// pill draws a rectangle with fully rounded ends, filled and, when edge is
// not nil, outlined.
func (p page) pill(fill, edge color.Color, edgeWidth, x, top, w, h float64) {
	r := vg.Length(h / 2)
	bottom := p.pt(x, top+h)
	x0, x1 := bottom.X+r, vg.Length(x+w)-r
	cy := bottom.Y + r
	var path vg.Path
	path.Move(vg.Point{X: x0, Y: bottom.Y})
	path.Line(vg.Point{X: x1, Y: bottom.Y})
	path.Arc(vg.Point{X: x1, Y: cy}, r, -math.Pi/2, math.Pi)
	path.Line(vg.Point{X: x0, Y: bottom.Y + 2*r})
	path.Arc(vg.Point{X: x0, Y: cy}, r, math.Pi/2, math.Pi)
	path.Close()
	if fill != nil {
		p.c.SetColor(fill)
		p.c.Fill(path)
	}
	if edge != nil {
		p.c.SetColor(edge)
		p.c.SetLineWidth(vg.Length(edgeWidth))
		p.c.SetLineDash(nil, 0)
		p.c.Stroke(path)
	}
}

// triangleDown fills a triangle pointing down, w wide and h high, centred
// on (cx, cy): the mark of support below the threshold.
func (p page) triangleDown(clr color.Color, cx, cy, w, h float64) {
	var path vg.Path
	path.Move(p.pt(cx-w/2, cy-h/2))
	path.Line(p.pt(cx+w/2, cy-h/2))
	path.Line(p.pt(cx, cy+h/2))
	path.Close()
	p.c.SetColor(clr)
	p.c.Fill(path)
}
