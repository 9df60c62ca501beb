package screen_test

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/screen"
	"github.com/pollbot/pollbot/internal/msgtest"
	"github.com/pollbot/pollbot/polls"
)

var (
	scriptElem = regexp.MustCompile(`(?s)<script[^>]*>.*?</script>`)
	anyTag     = regexp.MustCompile(`(?s)<[^>]*>`)
	// The attributes a person reads or hears.
	spokenAttr = regexp.MustCompile(`\s(aria-label|title|alt|placeholder)="([^"]*)"`)
	// screenWord is what the screen shows that no language words: poll
	// ids and a column's count ("n=4").
	screenWord = regexp.MustCompile(`^([A-Z0-9]{4}|n=\d+)$`)
)

// visibleText is what a person reads or hears of an HTML page or frame:
// its text nodes (a piece per run between tags, scripts left out) and the
// attributes a screen reader says.
func visibleText(page string) []string {
	var out []string
	for _, m := range spokenAttr.FindAllStringSubmatch(page, -1) {
		out = append(out, html.UnescapeString(m[2]))
	}
	page = scriptElem.ReplaceAllString(page, "")
	for _, piece := range anyTag.Split(page, -1) {
		if s := strings.TrimSpace(html.UnescapeString(piece)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// scriptWords is the page's words block, for its script.
func scriptWords(t *testing.T, page string) map[string]string {
	t.Helper()
	m := wordsBlock.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("page has no words block")
	}
	var words map[string]string
	if err := json.Unmarshal([]byte(m[1]), &words); err != nil {
		t.Fatalf("words block: %v", err)
	}
	return words
}

// The holes of the script's templates, which it fills.
var scriptHoles = []string{"left", "d", "h", "m", "s", "time"}

// englishLeft returns the words of page outside the catalog: text and
// spoken attributes once the pseudo printer's brackets are removed, and
// the script's words. people are the words people wrote (titles, labels),
// which the page shows as they are.
func englishLeft(t *testing.T, page string, people []string) []string {
	t.Helper()
	allowed := func(w string) bool {
		return screenWord.MatchString(w) || slices.ContainsFunc(people, func(p string) bool { return strings.Contains(p, w) })
	}
	var left []string
	for _, s := range visibleText(page) {
		left = append(left, msgtest.Leftovers(msgtest.Unwrapped(s), allowed)...)
	}
	if wordsBlock.MatchString(page) {
		for name, s := range scriptWords(t, page) {
			if !strings.Contains(s, "⟦") {
				left = append(left, name+":"+s)
			}
			left = append(left, msgtest.Leftovers(msgtest.Unwrapped(s), func(w string) bool { return slices.Contains(scriptHoles, w) })...)
		}
	}
	return left
}

// TestNoEnglishOnTheScreen serves the live screen with the pseudo printer
// (msg.Pseudo), which brackets every text the catalog wrote, and checks
// every page it can show (open with its timeline, extended, closed,
// reopened, hidden results, cancelled, without a deadline, a bad link),
// a frame of its event stream after a vote, and the script's words: once
// the brackets are removed, only ids, numbers and the words people wrote
// are left. The same check finds the English of a screen that speaks
// English, so it can fail.
func TestNoEnglishOnTheScreen(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, screen.WithPrinter(msg.Pseudo()))
	people := msgtest.Leftovers("Theme for 2027 Collaboration Privacy تعاون رقمي Someday One Two", nil)
	for _, g := range e.svc.Groups().All() {
		people = append(people, msgtest.Leftovers(g.Label, nil)...)
	}
	check := func(name, page string) {
		t.Helper()
		if !strings.Contains(page, "⟦") {
			t.Fatalf("%s: nothing from the catalog in\n%s", name, page)
		}
		if left := englishLeft(t, page, people); len(left) > 0 {
			t.Errorf("%s: words outside the catalog %q", name, slices.Compact(left))
		}
	}
	// page returns the poll's page once it shows want.
	page := func(p *polls.Poll, want string) string {
		t.Helper()
		var body string
		waitFor(t, "a page showing "+want, func() bool {
			var resp *http.Response
			resp, body = get(t, e.url(p))
			return resp.StatusCode == http.StatusOK && strings.Contains(body, want)
		})
		return body
	}

	p := e.meeting(polls.Options{})
	open := page(p, "hm-cells")
	if !strings.Contains(open, `<html lang="en" dir="ltr">`) {
		t.Errorf("the pseudo page's lang and dir are not its printer's")
	}
	check("open poll", open)
	words := scriptWords(t, open)
	for _, name := range []string{"closesIn", "leftDays", "leftHours", "leftMinutes", "deadlineReached", "live", "updated", "reconnecting", "disconnected", "cannotUpdate"} {
		if words[name] == "" {
			t.Errorf("the script's words lack %s", name)
		}
	}
	if got := words["closesIn"]; got != "⟦closes in ⟧{left}" {
		t.Errorf("closesIn = %q: its hole is not the script's", got)
	}

	// A stream's frame after a vote.
	s := openStream(t, e.url(p), "")
	if _, ok := s.next(5 * time.Second); !ok {
		t.Fatal("no first frame")
	}
	e.vote(p, "late", "private-sector", 1)
	f, ok := s.next(5 * time.Second)
	if !ok {
		t.Fatal("no frame after a vote")
	}
	check("a frame after a vote", f.data)

	// A day later, the deadline moved, closed, reopened with a deadline:
	// the timeline's times carry their day and month, and its notes say
	// each event.
	e.clock.add(30 * time.Hour)
	e.vote(p, "later", "academia", 1)
	if _, err := e.svc.Extend(ctx, p.Tenant, p.ID, 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.Close(ctx, p.Tenant, p.ID); err != nil {
		t.Fatal(err)
	}
	check("closed poll", page(p, "⟦Closed⟧"))
	if _, _, err := e.svc.Reopen(ctx, p.Tenant, p.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	reopened := page(p, "⟦Open⟧")
	if !strings.Contains(reopened, "tl-mark") {
		t.Errorf("the reopened poll's timeline marks no event")
	}
	check("reopened poll", reopened)

	hidden := e.meeting(polls.Options{Results: polls.ResultsHidden})
	check("hidden results", page(hidden, "hidden-results"))

	cancelled := e.meeting(polls.Options{})
	if _, _, err := e.svc.Cancel(ctx, cancelled.Tenant, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	check("cancelled poll", page(cancelled, "⟦Cancelled⟧"))

	someday, err := e.svc.Open(ctx, polls.OpenRequest{Tenant: "local", Title: "Someday", Themes: []string{"One", "Two"}, Creator: "you", Channel: "local"})
	if err != nil {
		t.Fatal(err)
	}
	check("no deadline", page(someday, "Someday"))

	resp, denied := get(t, strings.Replace(e.url(p), "/screen/", "/screen/A", 1))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("a bad link: %d", resp.StatusCode)
	}
	check("a bad link", denied)

	// The check finds English: a screen that speaks it.
	en := newEnv(t)
	q := en.meeting(polls.Options{})
	_, body := get(t, en.url(q))
	left := englishLeft(t, body, people)
	for _, w := range []string{"Participation", "quorum", "consensus", "closes", "UTC"} {
		if !slices.Contains(left, w) {
			t.Errorf("the English page's words %q lack %q", left, w)
		}
	}
}
