package msgtest

import (
	"slices"
	"testing"
)

func TestUnwrapped(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"⟦Poll ⟧K7QX⟦ is closed.⟧", " K7QX "},
		{"⟦Your ballot: ⟧" + UserOpen + "DNS abuse" + UserClose + "⟦.⟧", "   "},
		{"left⟦catalog⟧right", "left right"},
		{"⟦unclosed", " "},
		{UserOpen + "unclosed user text", " "},
		{"a ⟧ stray", "a ⟧ stray"},
	} {
		if got := Unwrapped(tt.in); got != tt.want {
			t.Errorf("Unwrapped(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLeftovers(t *testing.T) {
	got := Leftovers("┌ K7QX: 12 · (in 2d) and — “words”, 50% ▓▓░", func(w string) bool { return w == "K7QX" })
	if want := []string{"in", "2d", "and", "words"}; !slices.Equal(got, want) {
		t.Errorf("Leftovers = %q, want %q", got, want)
	}
}
