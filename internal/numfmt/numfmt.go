// Package numfmt formats the numbers of a report the one way every output
// shows them: chat, the shell, Markdown, CSV captions and the charts. A
// share of 5/8 is 63% everywhere (half rounds away from zero), never 62%
// in one place and 63% in another.
package numfmt

import (
	"math"
	"strconv"
	"strings"
)

// Percent formats a share in [0, 1] as a whole percentage: 0.625 is "63%".
// NaN and infinities show as 0%.
func Percent(share float64) string {
	return strconv.FormatInt(int64(math.Round(finite(share)*100)), 10) + "%"
}

// PercentExact formats a threshold without rounding it to a misleading
// whole percent: 0.5 is "50%", 2/3 is "66.7%".
func PercentExact(share float64) string {
	return strconv.FormatFloat(math.Round(finite(share)*1000)/10, 'f', -1, 64) + "%"
}

// PercentagePoints formats a difference of shares in whole percentage
// points, without the unit, which the message catalog writes
// (bot/msg.Points, "25 pts"): 0.245 is "25".
func PercentagePoints(share float64) string {
	return strconv.FormatInt(int64(math.Round(finite(share)*100)), 10)
}

// Score formats a score in [0, 1] with two decimals: 0.8234 is "0.82".
func Score(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }

// Decimal formats a number as someone gave it, in the fewest digits that
// read back as it: 1.5, 0.6, 1e-07.
func Decimal(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Number formats a count that may be fractional (Borda points) with at
// most two decimals and no trailing zeros: 4.5, 0.17, 12.
func Number(f float64) string {
	s := strconv.FormatFloat(math.Round(finite(f)*100)/100, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}
