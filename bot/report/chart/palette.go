package chart

import (
	"fmt"
	"image/color"
	"math"

	"github.com/pollbot/pollbot/polls"
)

// The palette is shared by everything that draws a report: the PNG chart
// here and the live screen's SVG. Both call these functions, so a cell or a
// badge has one colour wherever it appears.
//
// Cells are coloured on a diverging scale centred on the poll's threshold,
// so that which groups are above it shows at a glance: brown below, a
// neutral grey at the threshold, blue-green above, deeper the farther the
// support is from the threshold. The scale is ColorBrewer's 9-class BrBG,
// which readers with the common forms of colour blindness tell apart; its
// two sides have the same lightness, so in grey-scale a cell's darkness
// says how far it is from the threshold but not on which side. A drawing
// must therefore mark the side in another way as well: the chart draws a
// downward triangle in every cell below the threshold.

// brbg is ColorBrewer's 9-class BrBG, from its brown end to its blue-green
// end; the middle class is the neutral at the threshold.
var brbg = [...]color.RGBA{
	rgb(0x8c510a), rgb(0xbf812d), rgb(0xdfc27d), rgb(0xf6e8c3),
	rgb(0xf5f5f5),
	rgb(0xc7eae5), rgb(0x80cdc1), rgb(0x35978f), rgb(0x01665e),
}

// CellColor is the fill of a heatmap cell that shows a group's support for
// a theme against the poll's threshold. Support below the threshold is
// brown, deepest at 0; support at the threshold is neutral; support above
// it is blue-green, deepest at 1. Each side is stretched over its own
// range, so with a threshold of 80% a support of 90% is as deep a
// blue-green as 40% is a brown. A threshold of 1 leaves no range above
// it: there a support of 1 takes the deepest blue-green, since a neutral
// cell would read as undecided. Both arguments are clamped to [0, 1].
//
// The colour is linear in support between the stops ScaleStops returns.
func CellColor(support, threshold float64) color.RGBA {
	return scaleAt(position(clamp01(support), clamp01(threshold)))
}

// ScaleStop is a colour of CellColor's scale and the support it belongs to.
type ScaleStop struct {
	Support float64
	Color   color.RGBA
}

// ScaleStops returns the stops of CellColor's scale for threshold, from
// support 0 to support 1. Between consecutive stops the colour is linear in
// support, so a gradient through these stops (an SVG linearGradient, say,
// interpolating in sRGB as SVG does by default) draws the same scale as
// CellColor; a legend drawn with them agrees with the cells. The threshold
// is always one of the stops, with the neutral colour, except for a
// threshold of 0 or 1, where one side of the scale is empty.
func ScaleStops(threshold float64) []ScaleStop {
	tau := clamp01(threshold)
	half := len(brbg) / 2
	var stops []ScaleStop
	if tau > 0 {
		for i := 0; i <= half; i++ {
			stops = append(stops, ScaleStop{Support: tau * float64(i) / float64(half), Color: brbg[i]})
		}
	} else {
		stops = append(stops, ScaleStop{Support: 0, Color: brbg[half]})
	}
	if tau < 1 {
		for i := 1; i <= half; i++ {
			stops = append(stops, ScaleStop{Support: tau + (1-tau)*float64(i)/float64(half), Color: brbg[half+i]})
		}
	} else {
		// Nothing lies above a threshold of 1 but 1 itself, which takes
		// the deepest blue-green (see CellColor): the scale jumps there.
		stops = append(stops, ScaleStop{Support: 1, Color: brbg[len(brbg)-1]})
	}
	return stops
}

// position maps support s against threshold tau onto [-1, 1]: -1 at no
// support, 0 at the threshold, 1 at full support.
func position(s, tau float64) float64 {
	switch {
	case s < tau:
		return (s - tau) / tau
	case tau >= 1:
		return 1
	default:
		return (s - tau) / (1 - tau)
	}
}

// scaleAt is the colour at position p in [-1, 1] by linear interpolation
// between the classes of brbg.
func scaleAt(p float64) color.RGBA {
	pos := (math.Min(math.Max(p, -1), 1) + 1) / 2 * float64(len(brbg)-1)
	i := int(pos)
	if i >= len(brbg)-1 {
		return brbg[len(brbg)-1]
	}
	return blend(brbg[i+1], brbg[i], pos-float64(i))
}

// FadeBelowQuorum is the fill of a cell of a group with fewer ballots than
// the quorum: the cell's colour, faded toward white. The group is shown
// but does not count toward any status.
func FadeBelowQuorum(fill color.Color) color.RGBA { return blend(fill, color.White, 0.5) }

// AbsentColor is the fill of the cells of a configured group that has no
// ballot: no support to show, so no colour of the scale. The chart hatches
// these cells as well, so that they read as empty in grey-scale too.
func AbsentColor() color.RGBA { return colorEmpty }

// InkOn is the text colour for bg: near-black or white, whichever has the
// higher WCAG contrast, and black where neither reaches the 4.5:1 that WCAG
// AA asks of text (mid-tones such as the scale's middle browns). Any
// background has at least 4.5:1 with black or with white, so text in InkOn
// always meets AA.
func InkOn(bg color.Color) color.RGBA { return toRGBA(contrast(bg)) }

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

func clamp01(v float64) float64 { return math.Min(math.Max(finite(v), 0), 1) }

// contrast picks near-black or white text, whichever has the higher WCAG
// contrast ratio against bg, and black when that ratio is below 4.5.
func contrast(bg color.Color) color.Color {
	l := luminance(bg)
	ink := colorInk
	best, ratio := color.Color(ink), contrastRatio(l, luminance(ink))
	if r := contrastRatio(l, 1); r > ratio {
		best, ratio = color.White, r
	}
	if ratio < 4.5 {
		return color.Black
	}
	return best
}

// contrastRatio is the WCAG contrast ratio of two relative luminances.
func contrastRatio(la, lb float64) float64 {
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the WCAG relative luminance of c.
func luminance(c color.Color) float64 {
	r, g, b, _ := c.RGBA()
	lin := func(v uint32) float64 {
		s := float64(v) / 0xffff
		if s <= 0.03928 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}
