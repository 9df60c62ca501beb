package chart

import (
	"testing"

	"github.com/pollbot/pollbot/polls"
)

func TestPalette(t *testing.T) {
	if got := Hex(CellColor(1, 0.5)); got != "#08306b" {
		t.Errorf("full support: %s", got)
	}
	for _, st := range []polls.ThemeStatus{polls.Consensus, polls.Emerging, polls.Divided, polls.Low, polls.Insufficient} {
		fill, ink, _ := StatusColors(st)
		if ratio := contrastRatio(fill, ink); ratio < 4.5 {
			t.Errorf("%s badge: contrast %.2f below WCAG AA", st, ratio)
		}
	}
	if got := Hex(InkOn(CellColor(1, 0.5))); got != "#ffffff" {
		t.Errorf("ink on dark blue: %s", got)
	}
}

func contrastRatio(a, b interface{ RGBA() (r, g, b, a uint32) }) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
