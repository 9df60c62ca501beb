package chart_test

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/polls"
)

// timeline builds the timeline of a small meeting: two groups of three
// arrive, agree on the first theme, split on the second, and the poll is
// closed.
func timeline(t testing.TB) *polls.Timeline {
	t.Helper()
	p := &polls.Poll{ID: "K7QX", Tenant: "local", Title: "Theme for 2027", Kind: polls.Approval, Status: polls.StatusClosed,
		Themes:   []polls.Theme{{Label: "Collaboration"}, {Label: "Privacy"}, {Label: "DNS abuse"}},
		OpenedAt: time.Date(2026, 5, 12, 14, 0, 0, 0, time.UTC)}
	p.Normalize()
	at := p.OpenedAt
	var events []polls.Event
	tally := polls.NewTally()
	cast := func(g polls.Group, choices ...int) {
		at = at.Add(3 * time.Minute)
		b := polls.NewBallot(p, "", g, choices, at)
		d := polls.TallyBallotsField(g) + ":1"
		for _, c := range choices {
			d += "," + polls.TallyField(c, g) + ":1"
		}
		tally.Add(p, b, +1)
		events = append(events, polls.Event{Pos: fmt.Sprint(len(events) + 1), Kind: polls.EventCast, Group: g, Delta: d, At: at})
	}
	for range 3 {
		cast("government", 0, 1)
		cast("civil-society", 0, 2)
	}
	for range 6 {
		cast("government", 0)
		cast("civil-society", 0, 1)
	}
	events = append(events, polls.Event{Pos: "99", Kind: polls.EventClose, At: at.Add(time.Minute)})
	b := polls.NewTimelineBuilder(p, nil)
	for _, e := range events {
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	tl, err := b.Finish(polls.LogTail{Tally: tally})
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// TestTimelinePNG draws a timeline and reads it back: each theme's row is
// banded in its status's colour (the badge colours of the palette) where
// that status held, and ends in its final status. With -out, look at it.
func TestTimelinePNG(t *testing.T) {
	tl := timeline(t)
	var buf bytes.Buffer
	if err := chart.TimelinePNG(&buf, tl); err != nil {
		t.Fatal(err)
	}
	if *outDir != "" {
		if err := os.WriteFile(filepath.Join(*outDir, "timeline.png"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if w := img.Bounds().Dx(); w != chart.DefaultWidth {
		t.Errorf("width %d, want %d", w, chart.DefaultWidth)
	}
	// Find each row's band colour at the end of the axis: the status at
	// the end. Rows are in rank order; look for the fill of each status
	// along a vertical scan just inside the axis' right end.
	for _, th := range tl.Themes {
		fill, _, _ := chart.StatusColors(th.Status)
		if !column(img, img.Bounds().Dx()-32-250-12-8, fill) {
			t.Errorf("%s ends %s, but no band of its colour %s at the axis' end", th.Theme, th.Status, chart.Hex(fill))
		}
	}
	if err := chart.TimelinePNG(&bytes.Buffer{}, nil); err == nil {
		t.Error("no error for a nil timeline")
	}
}

// column reports whether some pixel of column x has colour c.
func column(img image.Image, x int, c interface{ RGBA() (r, g, b, a uint32) }) bool {
	cr, cg, cb, _ := c.RGBA()
	for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
		r, g, b, _ := img.At(x, y).RGBA()
		if r>>8 == cr>>8 && g>>8 == cg>>8 && b>>8 == cb>>8 {
			return true
		}
	}
	return false
}
