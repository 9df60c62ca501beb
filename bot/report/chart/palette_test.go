package chart

import (
	"image/color"
	"math"
	"testing"

	"github.com/pollbot/pollbot/polls"
)

// thresholds the palette tests sweep: the default, thirds, and both far
// ends short of the degenerate 0 and 1.
var thresholds = []float64{0.05, 0.1, 0.25, 1.0 / 3, 0.5, 0.6, 2.0 / 3, 0.75, 0.8, 0.9, 0.95}

var neutral = brbg[len(brbg)/2]

func TestCellColorDivergesAtThreshold(t *testing.T) {
	for _, tau := range thresholds {
		if got := CellColor(tau, tau); got != neutral {
			t.Errorf("threshold %v: at the threshold %s, want the neutral %s", tau, Hex(got), Hex(neutral))
		}
		for i := 0; i <= 1000; i++ {
			s := float64(i) / 1000
			if math.Abs(s-tau) < 0.02 {
				continue // within a hair of neutral: the triangle tells
			}
			c := CellColor(s, tau)
			warm, cool := int(c.R) > int(c.B), int(c.B) > int(c.R)
			if s < tau && !warm {
				t.Errorf("threshold %v, support %v below it: %s is not brown (R > B)", tau, s, Hex(c))
			}
			if s > tau && !cool {
				t.Errorf("threshold %v, support %v above it: %s is not blue-green (B > R)", tau, s, Hex(c))
			}
		}
		// Each side darkens steadily away from the threshold, so depth of
		// colour (and of grey) says how far a group is from it.
		prev := luminance(neutral)
		for s := tau; s >= 0; s -= 0.001 {
			l := luminance(CellColor(s, tau))
			if l > prev+3e-3 { // rounding to 8 bits
				t.Errorf("threshold %v: lighter at %v (%.3f) than closer to the threshold (%.3f)", tau, s, l, prev)
				break
			}
			prev = l
		}
		prev = luminance(neutral)
		for s := tau; s <= 1; s += 0.001 {
			l := luminance(CellColor(s, tau))
			if l > prev+3e-3 { // rounding to 8 bits
				t.Errorf("threshold %v: lighter at %v (%.3f) than closer to the threshold (%.3f)", tau, s, l, prev)
				break
			}
			prev = l
		}
		// The ends are the scale's ends, whatever the threshold.
		if got := CellColor(0, tau); got != brbg[0] {
			t.Errorf("threshold %v: support 0 is %s, want %s", tau, Hex(got), Hex(brbg[0]))
		}
		if got := CellColor(1, tau); got != brbg[len(brbg)-1] {
			t.Errorf("threshold %v: support 1 is %s, want %s", tau, Hex(got), Hex(brbg[len(brbg)-1]))
		}
	}
}

// TestCellColorColourBlind simulates the three kinds of dichromacy
// (Machado, Oliveira and Fernandes 2009, severity 1) and requires a cell a
// quarter of the way or more from the threshold to either end to stay
// clearly apart from its mirror image on the other side (at a quarter of
// the way, about 38 of 255 under protanopia, the hardest case).
func TestCellColorColourBlind(t *testing.T) {
	sims := map[string][3][3]float64{
		"protanopia":   {{0.152286, 1.052583, -0.204868}, {0.114503, 0.786281, 0.099216}, {-0.003882, -0.048116, 1.051998}},
		"deuteranopia": {{0.367322, 0.860646, -0.227968}, {0.280085, 0.672501, 0.047413}, {-0.011820, 0.042940, 0.968881}},
		"tritanopia":   {{1.255528, -0.076749, -0.178779}, {-0.078411, 0.930809, 0.147602}, {0.004733, 0.691367, 0.303900}},
	}
	for name, m := range sims {
		for _, tau := range thresholds {
			for _, d := range []float64{0.25, 0.5, 0.75, 1} {
				below := CellColor(tau-d*tau, tau)
				above := CellColor(tau+d*(1-tau), tau)
				dist := dist3(simulate(m, below), simulate(m, above))
				if dist < 30 {
					t.Errorf("%s, threshold %v, %v of the way out: %s and %s look alike (distance %.1f)",
						name, tau, d, Hex(below), Hex(above), dist)
				}
			}
		}
	}
}

func TestCellColorEdges(t *testing.T) {
	cases := []struct {
		support, threshold float64
		want               color.RGBA
	}{
		{0, 0, neutral},                            // nothing below a threshold of 0
		{1, 0, brbg[len(brbg)-1]},                  // full support
		{1, 1, brbg[len(brbg)-1]},                  // nothing above a threshold of 1: full support is deepest
		{0.999, 1, blend(brbg[3], neutral, 0.004)}, // just below unanimity: nearly neutral
		{math.NaN(), 0.5, brbg[0]},                 // no number: no support
		{2, 0.5, brbg[len(brbg)-1]},                // clamped
		{-1, 0.5, brbg[0]},
	}
	for _, c := range cases {
		got := CellColor(c.support, c.threshold)
		if distance(got, c.want) > 1.5 {
			t.Errorf("CellColor(%v, %v) = %s, want %s", c.support, c.threshold, Hex(got), Hex(c.want))
		}
	}
}

func TestScaleStops(t *testing.T) {
	for _, tau := range append([]float64{0, 1}, thresholds...) {
		stops := ScaleStops(tau)
		if stops[0].Support != 0 || stops[len(stops)-1].Support != 1 {
			t.Errorf("threshold %v: stops run %v..%v, want 0..1", tau, stops[0].Support, stops[len(stops)-1].Support)
		}
		sawThreshold := false
		for i, st := range stops {
			if i > 0 && st.Support < stops[i-1].Support {
				t.Fatalf("threshold %v: stops out of order: %v", tau, stops)
			}
			if st.Support == tau && st.Color == neutral {
				sawThreshold = true
			}
			// Every stop is the scale's colour there (the last, at a
			// threshold of 1, is the jump to full support).
			if got := CellColor(st.Support, tau); distance(got, st.Color) > 1.5 && !(tau == 1 && i == len(stops)-2) {
				t.Errorf("threshold %v: stop %d at %v is %s, CellColor says %s", tau, i, st.Support, Hex(st.Color), Hex(got))
			}
			if i == 0 || st.Support == stops[i-1].Support {
				continue
			}
			// Between stops the scale is linear: a gradient through the
			// stops draws what CellColor draws.
			for _, f := range []float64{0.25, 0.5, 0.75} {
				s := stops[i-1].Support + f*(st.Support-stops[i-1].Support)
				if got, want := CellColor(s, tau), blend(st.Color, stops[i-1].Color, f); distance(got, want) > 1.5 {
					t.Errorf("threshold %v at %v: CellColor %s, gradient %s", tau, s, Hex(got), Hex(want))
				}
			}
		}
		if tau < 1 && !sawThreshold {
			t.Errorf("threshold %v: no neutral stop at the threshold in %v", tau, stops)
		}
	}
}

// TestInkOnContrast: the percentage in every cell the chart can draw, full
// or faded below quorum, meets WCAG AA (4.5:1) on its fill, as does every
// badge's word and the text on an absent group's cells.
func TestInkOnContrast(t *testing.T) {
	worst := math.Inf(1)
	for _, tau := range append([]float64{0, 1}, thresholds...) {
		for i := 0; i <= 2000; i++ {
			s := float64(i) / 2000
			for _, fill := range []color.RGBA{CellColor(s, tau), FadeBelowQuorum(CellColor(s, tau))} {
				r := ratio(fill, InkOn(fill))
				worst = min(worst, r)
				if r < 4.5 {
					t.Fatalf("threshold %v, support %v: ink %s on %s has contrast %.2f, below 4.5", tau, s, Hex(InkOn(fill)), Hex(fill), r)
				}
			}
		}
	}
	t.Logf("lowest contrast of cell text over the scale: %.2f:1", worst)
	for _, fill := range []color.Color{AbsentColor(), color.White, color.Black, rgb(0x808080), rgb(0x767676)} {
		if r := ratio(fill, InkOn(fill)); r < 4.5 {
			t.Errorf("ink %s on %s: contrast %.2f", Hex(InkOn(fill)), Hex(fill), r)
		}
	}
	for _, st := range []polls.ThemeStatus{polls.Consensus, polls.Emerging, polls.Divided, polls.Low, polls.Insufficient} {
		fill, ink, _ := StatusColors(st)
		if r := ratio(fill, ink); r < 4.5 {
			t.Errorf("%s badge: contrast %.2f below WCAG AA", st, r)
		}
	}
	// The marks and notes on white.
	for name, c := range map[string]color.Color{"ink": colorInk, "muted": colorMuted, "warn": colorWarn} {
		if r := ratio(color.White, c); r < 4.5 {
			t.Errorf("%s text on white: contrast %.2f", name, r)
		}
	}
}

func TestHex(t *testing.T) {
	if got := Hex(CellColor(1, 0.5)); got != "#01665e" {
		t.Errorf("full support: %s", got)
	}
	if got := Hex(InkOn(CellColor(1, 0.5))); got != "#ffffff" {
		t.Errorf("ink on deep blue-green: %s", got)
	}
	if got := Hex(InkOn(CellColor(0.5, 0.5))); got != Hex(colorInk) {
		t.Errorf("ink on the neutral: %s", got)
	}
}

func ratio(a, b color.Color) float64 { return contrastRatio(luminance(a), luminance(b)) }

// simulate applies a dichromacy matrix to c in linear RGB and returns the
// result in sRGB, 0..255 per channel.
func simulate(m [3][3]float64, c color.RGBA) [3]float64 {
	toLin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	toSRGB := func(v float64) float64 {
		v = math.Min(math.Max(v, 0), 1)
		if v <= 0.0031308 {
			return 255 * 12.92 * v
		}
		return 255 * (1.055*math.Pow(v, 1/2.4) - 0.055)
	}
	in := [3]float64{toLin(c.R), toLin(c.G), toLin(c.B)}
	var out [3]float64
	for i := range 3 {
		out[i] = toSRGB(m[i][0]*in[0] + m[i][1]*in[1] + m[i][2]*in[2])
	}
	return out
}

// distance is the Euclidean distance of two colours in sRGB, 0..255 per
// channel: crude, but enough to tell "alike" from "clearly apart".
func distance(a, b color.RGBA) float64 {
	return dist3([3]float64{float64(a.R), float64(a.G), float64(a.B)}, [3]float64{float64(b.R), float64(b.G), float64(b.B)})
}

func dist3(a, b [3]float64) float64 {
	return math.Sqrt((a[0]-b[0])*(a[0]-b[0]) + (a[1]-b[1])*(a[1]-b[1]) + (a[2]-b[2])*(a[2]-b[2]))
}
