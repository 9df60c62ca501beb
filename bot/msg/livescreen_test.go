package msg

import (
	"testing"
	"time"
)

// TestDir: a page's direction follows its printer's language, whatever
// its region.
func TestDir(t *testing.T) {
	for lang, want := range map[string]string{
		"en": "ltr", "fr-CA": "ltr", "ar": "rtl", "ar-EG": "rtl", "he": "rtl", "fa-IR": "rtl", "ur": "rtl", "": "ltr",
	} {
		if got := For(lang).Dir(); got != want {
			t.Errorf("For(%q).Dir() = %q, want %q", lang, got, want)
		}
	}
	if got := Pseudo().Dir(); got != "ltr" {
		t.Errorf("Pseudo().Dir() = %q", got)
	}
}

// TestDates: the dates the screen and the timeline show, in English, as
// they were before they came from the catalog.
func TestDates(t *testing.T) {
	at := time.Date(2026, 11, 23, 14, 2, 9, 0, time.FixedZone("CET", 3600))
	p := English()
	for _, tt := range []struct{ got, want string }{
		{p.Sprint(WhenUTC(at)), "Mon 23 Nov 13:02 UTC"},
		{p.Sprint(WhenBare(at)), "Mon 23 Nov 13:02"},
		{p.Sprint(WhenYear(at)), "Mon 23 Nov 2026 13:02"},
		{p.Sprint(DayClock(at, "15:04")), "23 Nov 13:02"},
		{p.Sprint(DayClock(at, "15:04:05")), "23 Nov 13:02:09"},
	} {
		if tt.got != tt.want {
			t.Errorf("%q, want %q", tt.got, tt.want)
		}
	}
}
