package numfmt

import (
	"math"
	"testing"
)

func TestFormats(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{Percent(5.0 / 8), "63%"}, // %.0f would say 62%
		{Percent(0.125), "13%"},
		{Percent(1), "100%"},
		{Percent(0), "0%"},
		{Percent(math.NaN()), "0%"},
		{PercentExact(0.5), "50%"},
		{PercentExact(2.0 / 3), "66.7%"},
		{PercentExact(0.6), "60%"},
		{PercentagePoints(0.245), "25"},
		{Score(0.8234), "0.82"},
		{Score(1), "1.00"},
		{Decimal(1.5), "1.5"},
		{Decimal(0.6), "0.6"},
		{Number(4.5), "4.5"},
		{Number(1.0 / 6), "0.17"},
		{Number(12), "12"},
		{Number(-0.001), "0"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
