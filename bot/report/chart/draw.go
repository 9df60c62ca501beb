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
	colorWarn     = rgb(0x9a4d00) // below quorum: dark orange, legible on white
	colorStripe   = rgb(0xf3f5f7)
	colorCellEdge = rgb(0xd0d7de)
	colorEmpty    = rgb(0xf3f5f7)
)

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

func drawLine(c draw.Canvas, l typeset.Line, clr color.Color, x float64, baseline vg.Length, align typeset.Align) {
	l.Draw(c, clr, vg.Point{X: vg.Length(x), Y: baseline}, align)
}

func text(c draw.Canvas, f typeset.Face, clr color.Color, x float64, baseline vg.Length, s string) {
	drawLine(c, typeset.Shape(s, f), clr, x, baseline, typeset.Left)
}

func textCentered(c draw.Canvas, f typeset.Face, clr color.Color, cx float64, baseline vg.Length, s string) {
	drawLine(c, typeset.Shape(s, f), clr, cx, baseline, typeset.Center)
}

func textRight(c draw.Canvas, f typeset.Face, clr color.Color, right float64, baseline vg.Length, s string) {
	drawLine(c, typeset.Shape(s, f), clr, right, baseline, typeset.Right)
}

// rectPath is the rectangle with bottom-left corner (x, bottom).
func rectPath(x float64, bottom vg.Length, w, h float64) vg.Path {
	var p vg.Path
	x0, y0 := vg.Length(x), bottom
	x1, y1 := vg.Length(x+w), bottom+vg.Length(h)
	p.Move(vg.Point{X: x0, Y: y0})
	p.Line(vg.Point{X: x1, Y: y0})
	p.Line(vg.Point{X: x1, Y: y1})
	p.Line(vg.Point{X: x0, Y: y1})
	p.Close()
	return p
}

func fillRect(c draw.Canvas, clr color.Color, x float64, bottom vg.Length, w, h float64) {
	c.SetColor(clr)
	c.Fill(rectPath(x, bottom, w, h))
}

func strokeRect(c draw.Canvas, clr color.Color, x float64, bottom vg.Length, w, h float64) {
	c.SetColor(clr)
	c.SetLineWidth(1)
	c.SetLineDash(nil, 0)
	c.Stroke(rectPath(x, bottom, w, h))
}

func line(c draw.Canvas, clr color.Color, width float64, x0 float64, y0 vg.Length, x1 float64, y1 vg.Length) {
	c.StrokeLine2(draw.LineStyle{Color: clr, Width: vg.Length(width)}, vg.Length(x0), y0, vg.Length(x1), y1)
}

// badge draws a pill: a rectangle with fully rounded ends.
func badge(c draw.Canvas, st statusStyle, x float64, bottom vg.Length, w, h float64) {
	r := vg.Length(h / 2)
	x0, x1 := vg.Length(x)+r, vg.Length(x+w)-r
	cy := bottom + r
	var p vg.Path
	p.Move(vg.Point{X: x0, Y: bottom})
	p.Line(vg.Point{X: x1, Y: bottom})
	p.Arc(vg.Point{X: x1, Y: cy}, r, -math.Pi/2, math.Pi)
	p.Line(vg.Point{X: x0, Y: bottom + 2*r})
	p.Arc(vg.Point{X: x0, Y: cy}, r, math.Pi/2, math.Pi)
	p.Close()
	c.SetColor(st.fill)
	c.Fill(p)
	if st.edge != nil {
		c.SetColor(st.edge)
		c.SetLineWidth(1.2)
		c.SetLineDash(nil, 0)
		c.Stroke(p)
	}
}
