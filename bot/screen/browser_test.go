package screen_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pollbot/pollbot/internal/browsertest"
	"github.com/pollbot/pollbot/polls"
)

// TestBrowser opens a poll's screen in Chromium and votes: the page shows
// the new counts within 2 s without reloading, in light and dark, with no
// console error (a script or style the policy blocked would be one), text
// that meets WCAG AA contrast, a table for screen readers, and lang and dir
// set. Screenshots go to testdata/out (look at them). A hidden-results
// poll's page never shows a tally; a bad link gets 403.
func TestBrowser(t *testing.T) {
	b := browsertest.Start(t)
	e := newEnv(t)
	p := e.meeting(polls.Options{})
	ctx := b.Ctx

	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(e.url(p)))
	if err != nil || resp.Status != http.StatusOK {
		t.Fatalf("open the page: %v %v", resp, err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(".heatmap"))); err != nil {
		t.Fatal(err)
	}
	attrs, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.documentElement.lang, document.documentElement.dir,
		String(document.querySelectorAll('.sr-only table tbody tr').length), String(document.querySelectorAll('[style]').length)]`))
	if err != nil {
		t.Fatal(err)
	}
	if attrs[0] != "en" || attrs[1] != "ltr" || attrs[2] != "3" || attrs[3] != "0" {
		t.Errorf("lang %q, dir %q, %s rows in the screen reader table (want 3), %s style attributes", attrs[0], attrs[1], attrs[2], attrs[3])
	}
	// A mark on the page's window: a reload would lose it.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.pollbotKept = 42`)); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.Text(".ballots"); !strings.HasPrefix(got, "13 ballots from 4 groups") {
		t.Fatalf("ballots before the vote: %q", got)
	}
	start := time.Now()
	e.vote(p, "late", "private-sector", 1)
	waitDOM(t, b, `document.querySelector('.ballots').textContent.startsWith('14 ballots from 5 groups')`, 2*time.Second)
	t.Logf("the vote showed in %v", time.Since(start))
	if kept, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.pollbotKept || 0`)); err != nil || kept != 42 {
		t.Errorf("the page reloaded to show the vote (mark %d, %v)", kept, err)
	}
	for _, scheme := range []string{"light", "dark"} {
		if err := b.ColorScheme(scheme); err != nil {
			t.Fatal(err)
		}
		failures, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](browsertest.Contrast))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range failures {
			t.Errorf("%s: contrast below WCAG AA: %s", scheme, f)
		}
		b.Screenshot(t, "screen-"+scheme+".png")
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}

	// A poll that hides its results: participation only, live.
	hidden := e.meeting(polls.Options{Results: polls.ResultsHidden})
	if err := chromedp.Do(ctx, chromedp.Navigate(e.url(hidden)), chromedp.WaitVisible(chromedp.CSS(".hidden-results"))); err != nil {
		t.Fatal(err)
	}
	e.vote(hidden, "late", "private-sector", 1)
	waitDOM(t, b, `document.querySelector('.ballots').textContent.startsWith('14 ballots')`, 2*time.Second)
	// No theme, no tally: the only percentage is the threshold's.
	leaks, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[String(document.querySelectorAll('.heatmap, .timeline, .badge, table, svg').length),
		String(document.body.textContent.includes('Collaboration')),
		String((document.getElementById('live').textContent.match(/\d+%/g) || []).join(' '))]`))
	if err != nil {
		t.Fatal(err)
	}
	if leaks[0] != "0" || leaks[1] != "false" || leaks[2] != "50%" {
		t.Errorf("a hidden poll's page shows results: %v", leaks)
	}
	b.Screenshot(t, "screen-hidden.png")
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}

	// A bad link.
	bad := strings.Replace(e.url(p), "/screen/", "/screen/A", 1)
	resp, err = chromedp.RunResponse(ctx, chromedp.Navigate(bad))
	if err != nil || resp.Status != http.StatusForbidden {
		t.Errorf("a bad link: %v %v, want 403", resp, err)
	}
}

// waitDOM waits until the page's predicate holds, failing after within.
func waitDOM(t *testing.T, b *browsertest.Browser, predicate string, within time.Duration) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(within))); err != nil {
		text, _ := b.Text("#live")
		t.Fatalf("the page did not show %s within %v: %v\npage: %.400s", predicate, within, err, text)
	}
}
