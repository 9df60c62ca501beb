package chart

import (
	"fmt"
	"image/color"

	"github.com/pollbot/pollbot/polls"
)

// The palette is shared by everything that draws a report: the PNG chart
// here and the live screen's SVG (bot/screen). Both call these functions,
// so a cell or a badge has one colour wherever it appears.

// CellColor is the fill of a heatmap cell that shows a group's support
// for a theme, against the poll's threshold.
func CellColor(support, threshold float64) color.RGBA {
	_ = threshold
	return scale(support)
}

// InkOn is the text colour with the higher WCAG contrast on bg: near-black
// or white.
func InkOn(bg color.Color) color.RGBA {
	r, g, b, _ := contrast(bg).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}

// StatusColors are the fill, ink and edge of a status badge; edge equals
// fill when the badge needs no outline.
func StatusColors(st polls.ThemeStatus) (fill, ink, edge color.RGBA) {
	s, ok := statusStyles[st]
	if !ok {
		s = statusStyles[polls.Insufficient]
	}
	fill, ink = toRGBA(s.fill), toRGBA(s.ink)
	edge = fill
	if s.edge != nil {
		edge = toRGBA(s.edge)
	}
	return fill, ink, edge
}

// Hex is c as a CSS colour, "#rrggbb".
func Hex(c color.Color) string {
	rgba := toRGBA(c)
	return fmt.Sprintf("#%02x%02x%02x", rgba.R, rgba.G, rgba.B)
}

func toRGBA(c color.Color) color.RGBA {
	r, g, b, _ := c.RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 0xff}
}
