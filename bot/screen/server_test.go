package screen_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/bot/screen"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

var linkKey = []byte("screen-test-key-0123456789abcdef")

// clock is a settable clock for the service and the links.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time)     { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

// env is a screen server over an embedded store, as `pollbot serve`
// wires it, on a test HTTP server.
type env struct {
	t      testing.TB
	store  *boltstore.Store
	svc    *polls.Service
	screen *screen.Server
	http   *httptest.Server
	links  *link.Maker
	clock  *clock
}

func newEnv(t testing.TB, opts ...screen.Option) *env {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Now().UTC().Truncate(time.Millisecond)}
	svc := polls.NewService(st, polls.WithClock(clk.now), polls.WithPollCache(0))
	signer, err := link.NewSigner(linkKey)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := screen.New(svc, st, signer, append([]screen.Option{screen.WithClock(clk.now)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.Mount(mux)
	hs := httptest.NewServer(mux)
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	return &env{t: t, store: st, svc: svc, screen: srv, http: hs, clock: clk,
		links: &link.Maker{Base: hs.URL, Signer: signer, Now: clk.now}}
}

func (e *env) open(title string, opts polls.Options, themes ...string) *polls.Poll {
	e.t.Helper()
	p, err := e.svc.Open(context.Background(), polls.OpenRequest{
		Tenant: "local", Title: title, Themes: themes, Creator: "you", Channel: "local",
		ClosesAt: e.clock.now().Add(48 * time.Hour), Options: opts,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) vote(p *polls.Poll, user, group string, choices ...int) {
	e.t.Helper()
	v := polls.Voter{Tenant: p.Tenant, User: user}
	if _, _, err := e.svc.SetGroup(context.Background(), v, group); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.svc.Cast(context.Background(), v, p.ID, choices); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) url(p *polls.Poll) string {
	e.t.Helper()
	u, err := e.links.ScreenURL(p)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

func get(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// meeting opens a poll and casts ballots from three groups: agreement on
// the first theme, a split on the second.
func (e *env) meeting(opts polls.Options) *polls.Poll {
	p := e.open("Theme for 2027", opts, "Collaboration", "Privacy", "تعاون رقمي")
	for i := range 4 {
		e.clock.add(time.Minute)
		e.vote(p, fmt.Sprint("gov", i), "government", 0)
		e.vote(p, fmt.Sprint("civ", i), "civil-society", 0, 1)
		e.vote(p, fmt.Sprint("tech", i), "technical-community", 0, 2)
	}
	e.vote(p, "aca", "academia", 1)
	return p
}

// TestPage: the page of a live-results poll shows its status, the
// participation of every group against the quorum, the heatmap with what
// each status rests on, its table for screen readers and the timeline,
// under a strict policy: no inline script or style, nothing from elsewhere.
func TestPage(t *testing.T) {
	e := newEnv(t)
	p := e.meeting(polls.Options{})
	resp, body := get(t, e.url(p))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET page: %d\n%s", resp.StatusCode, body)
	}
	wantHeaders := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
		"Content-Type":            "text/html; charset=utf-8",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"Cache-Control":           "no-store",
	}
	for k, v := range wantHeaders {
		if got := resp.Header.Get(k); got != v {
			t.Errorf("%s: %q, want %q", k, got, v)
		}
	}
	for _, want := range []string{
		`<html lang="en" dir="ltr">`,
		`<h1><bdi dir="auto">Theme for 2027</bdi></h1>`,
		`data-deadline="`,
		"13 ballots from 4 groups",
		"Government</bdi></span> <span class=\"group-n\">4</span> <span class=\"group-need\">quorum reached",
		"Academia</bdi></span> <span class=\"group-n\">1</span> <span class=\"group-need\">needs 2 more",
		"Private sector</bdi></span> <span class=\"group-n\">0</span> <span class=\"group-need\">needs 3",
		"Academia needs 2 more ballots to count",
		`class="badge st-consensus"`,
		`<bdi dir="auto">تعاون رقمي</bdi>`,
		`<div class="sr-only">`,
		"How consensus emerged",
		`interim: statuses may still change`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	checkStrict(t, body)
	// The colours are the palette's: a consensus badge's fill is in the
	// stylesheet the page links, and a cell of full support is filled
	// with the colour the chart gives it.
	css := assetText(t, e, body, `href="([^"]+\.css)"`)
	fill, ink, _ := chart.StatusColors(polls.Consensus)
	if !strings.Contains(css, ".st-consensus { background: "+chart.Hex(fill)+"; color: "+chart.Hex(ink)) {
		t.Errorf("stylesheet lacks the palette's consensus colours %s on %s", chart.Hex(ink), chart.Hex(fill))
	}
	if full := chart.Hex(chart.CellColor(1, p.Threshold)); !strings.Contains(body, `fill="`+full+`"`) {
		t.Errorf("no cell has the palette's colour %s of full support", full)
	}
	if js := assetText(t, e, body, `src="([^"]+\.js)"`); !strings.Contains(js, "EventSource") {
		t.Error("the script does not listen to the event stream")
	}
}

// wordsBlock is the page's one inline script element: the script's
// words, as JSON, which no browser runs (its type is not a script's).
var wordsBlock = regexp.MustCompile(`<script type="application/json" id="words">([^<]*)</script>`)

// checkStrict fails on what the page's policy would block or what makes
// a page unsafe to render user text into. The words block is allowed,
// once, if it holds JSON and nothing that could end it.
func checkStrict(t *testing.T, body string) {
	t.Helper()
	blocks := wordsBlock.FindAllStringSubmatch(body, -1)
	if len(blocks) != 1 {
		t.Errorf("page has %d words blocks, want 1", len(blocks))
	}
	for _, b := range blocks {
		var words map[string]string
		if err := json.Unmarshal([]byte(b[1]), &words); err != nil {
			t.Errorf("the words block is not JSON: %v\n%s", err, b[1])
		}
	}
	body = wordsBlock.ReplaceAllString(body, "")
	for name, re := range map[string]*regexp.Regexp{
		"an inline style attribute": regexp.MustCompile(`(?i)\sstyle\s*=`),
		"a style element":           regexp.MustCompile(`(?i)<style`),
		"an inline event handler":   regexp.MustCompile(`(?i)\son[a-z]+\s*=`),
		"an inline script":          regexp.MustCompile(`(?i)<script(\s[^>]*)?>[^<]`),
		"a script without src":      regexp.MustCompile(`(?i)<script(?:\s(?:[^s>][^>]*)?)?>`),
		"another origin":            regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:)?//`),
		"a javascript: URL":         regexp.MustCompile(`(?i)javascript:`),
	} {
		if m := re.FindString(body); m != "" {
			t.Errorf("page has %s: %q", name, m)
		}
	}
}

func assetText(t *testing.T, e *env, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("page links no asset matching %s", pattern)
	}
	if !strings.HasPrefix(m[1], "../screen-assets/") {
		t.Fatalf("asset %s is not relative to the page", m[1])
	}
	resp, text := get(t, e.http.URL+"/screen-assets/"+strings.TrimPrefix(m[1], "../screen-assets/"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("asset %s: %d, Cache-Control %q", m[1], resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	return text
}

// TestDenied: a forged, altered, cut or expired link, a link to a poll
// that does not exist, and a poll's link under another key all get the
// same 403, which says nothing of why.
func TestDenied(t *testing.T) {
	e := newEnv(t)
	p := e.meeting(polls.Options{})
	good := e.url(p)
	resp, deniedBody := get(t, strings.Replace(good, "/screen/", "/screen/x", 1))
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("altered token: %d", resp.StatusCode)
	}
	other, _ := link.NewSigner([]byte("another-key-another-key-another!!"))
	forged, _ := (&link.Maker{Base: e.http.URL, Signer: other}).ScreenURL(p)
	missing, _ := e.links.ScreenURL(&polls.Poll{ID: "NOPE", Tenant: "local"})
	tok := strings.TrimPrefix(good, e.http.URL+"/screen/")
	flipped := []byte(tok)
	flipped[len(flipped)/3] ^= 0x01
	for name, url := range map[string]string{
		"forged":     forged,
		"cut":        good[:len(good)-5],
		"flipped":    e.http.URL + "/screen/" + string(flipped),
		"no poll":    missing,
		"not a link": e.http.URL + "/screen/hello",
		"stream":     strings.Replace(forged, "/screen/", "/screen/", 1) + "/events",
	} {
		resp, body := get(t, url)
		if resp.StatusCode != http.StatusForbidden || body != deniedBody {
			t.Errorf("%s: %d %q; want the one 403", name, resp.StatusCode, body)
		}
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Errorf("%s: no policy on the refusal", name)
		}
	}
	// Expired: closed more than 7 days ago.
	if _, _, err := e.svc.Close(context.Background(), p.Tenant, p.ID); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, good); resp.StatusCode != http.StatusOK {
		t.Fatalf("a closed poll's link: %d, want 200 for 7 days", resp.StatusCode)
	}
	e.clock.add(link.DefaultTTL + time.Minute)
	if resp, body := get(t, good); resp.StatusCode != http.StatusForbidden || body != deniedBody {
		t.Errorf("a link 7 days after its poll closed: %d %q", resp.StatusCode, body)
	}
}

// TestHiddenResults: a poll that hides its results shows participation
// and nothing of the tallies, until it closes.
func TestHiddenResults(t *testing.T) {
	e := newEnv(t)
	p := e.meeting(polls.Options{Results: polls.ResultsHidden})
	_, body := get(t, e.url(p))
	if !strings.Contains(body, "Results are hidden until the poll closes") || !strings.Contains(body, "Participation") {
		t.Errorf("hidden poll's page lacks its note or its participation")
	}
	for _, leak := range []string{"hm-cells", "%</text>", "badge st-", "score ", "How consensus emerged", "Collaboration"} {
		if strings.Contains(body, leak) {
			t.Errorf("hidden poll's page shows %q", leak)
		}
	}
	if _, _, err := e.svc.Close(context.Background(), p.Tenant, p.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "results after the close", func() bool {
		_, body := get(t, e.url(p))
		return strings.Contains(body, "hm-cells") && strings.Contains(body, "Collaboration")
	})
}

// stream reads a screen's Server-Sent Events.
type stream struct {
	t      *testing.T
	resp   *http.Response
	frames chan sse
}

type sse struct{ id, data string }

func openStream(t *testing.T, url, lastID string) *stream {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Fatalf("stream: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &stream{t: t, resp: resp, frames: make(chan sse, 100)}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var cur sse
		var data []string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if cur.id != "" {
					cur.data = strings.Join(data, "\n")
					s.frames <- cur
				}
				cur, data = sse{}, nil
			case strings.HasPrefix(line, "id: "):
				cur.id = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "data: "):
				data = append(data, strings.TrimPrefix(line, "data: "))
			}
		}
		close(s.frames)
	}()
	return s
}

func (s *stream) next(within time.Duration) (sse, bool) {
	select {
	case f, ok := <-s.frames:
		return f, ok
	case <-time.After(within):
		return sse{}, false
	}
}

// TestStream: a viewer gets the current frame at once, and a new one
// within a second of a vote; one that reconnects with the id of the frame
// it has gets nothing until something changes.
func TestStream(t *testing.T) {
	e := newEnv(t)
	p := e.meeting(polls.Options{})
	url := e.url(p)
	s := openStream(t, url, "")
	first, ok := s.next(5 * time.Second)
	if !ok || !strings.Contains(first.data, "13 ballots from 4 groups") {
		t.Fatalf("first frame %v: %.300s", ok, first.data)
	}
	start := time.Now()
	e.vote(p, "late", "private-sector", 1)
	second, ok := s.next(5 * time.Second)
	if !ok || !strings.Contains(second.data, "14 ballots from 5 groups") {
		t.Fatalf("frame after a vote: %v %.300s", ok, second.data)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the vote took %v to reach the viewer, want under a second", d)
	}
	if second.id == first.id {
		t.Error("a changed frame kept its id")
	}
	// Reconnecting with the frame it has: no frame until a change.
	again := openStream(t, url, second.id)
	if f, ok := again.next(700 * time.Millisecond); ok {
		t.Errorf("a viewer with the current frame got it again: %s", f.id)
	}
	e.vote(p, "later", "private-sector", 0)
	if f, ok := again.next(5 * time.Second); !ok || f.id == second.id {
		t.Errorf("no new frame after a vote on the reconnected stream")
	}
	// Reconnecting with an old frame: the current one at once.
	old := openStream(t, url, first.id)
	if _, ok := old.next(2 * time.Second); !ok {
		t.Error("a viewer with an old frame did not get the current one at once")
	}
	if st := e.screen.Stats(); st.Viewers != 3 || st.Polls != 1 {
		t.Errorf("stats %+v, want 3 viewers of 1 poll", st)
	}
}

// TestCoalesced: a burst of votes reaches a viewer as at most two frames
// a second, the last one showing every vote.
func TestCoalesced(t *testing.T) {
	e := newEnv(t)
	p := e.meeting(polls.Options{})
	s := openStream(t, e.url(p), "")
	if _, ok := s.next(5 * time.Second); !ok {
		t.Fatal("no first frame")
	}
	start := time.Now()
	for i := range 60 {
		e.vote(p, fmt.Sprint("burst", i), "private-sector", i%3)
	}
	voting := time.Since(start)
	var frames int
	var last sse
	deadline := time.After(voting + 3*time.Second)
	for done := false; !done; {
		select {
		case f := <-s.frames:
			frames++
			last = f
			done = strings.Contains(f.data, "73 ballots")
		case <-deadline:
			t.Fatalf("the last vote never showed; %d frames, last %.200s", frames, last.data)
		}
	}
	elapsed := time.Since(start)
	if most := int(elapsed/(500*time.Millisecond)) + 2; frames > most {
		t.Errorf("%d frames in %v, want at most %d (two a second)", frames, elapsed, most)
	}
}

// TestViewerBound: past the bound, a stream is refused 503 (the browser
// retries), and a viewer that leaves frees its place.
func TestViewerBound(t *testing.T) {
	e := newEnv(t, screen.WithMaxViewers(1))
	p := e.meeting(polls.Options{})
	url := e.url(p)
	s := openStream(t, url, "")
	resp, _ := get(t, url+"/events")
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("second viewer: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	s.resp.Body.Close()
	waitFor(t, "the viewer's place freed", func() bool { return e.screen.Stats().Viewers == 0 })
	openStream(t, url, "")
}

// TestCloseEndsStreams: closing the server ends the streams at once, so
// an HTTP server's shutdown need not wait for them.
func TestCloseEndsStreams(t *testing.T) {
	e := newEnv(t)
	p := e.meeting(polls.Options{})
	s := openStream(t, e.url(p), "")
	s.next(5 * time.Second)
	done := make(chan struct{})
	go func() { e.screen.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not return")
	}
	for range s.frames {
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
