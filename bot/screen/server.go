// Package screen is the live screen of a poll, for the room: a page a
// chair projects while people vote, at GET /screen/<token>, that shows the
// poll's status and count-down, participation per stakeholder group
// against the quorum, the consensus heatmap with what each status rests on,
// and the timeline of how the statuses changed, and that updates itself
// through Server-Sent Events (GET /screen/<token>/events) within a second
// of any change.
//
// The token is a signed link (internal/link): anyone with it sees the
// page, no one can make or alter one without the key, and it stops working
// some days after the poll closes. Every refusal is the same 403.
//
// The page is server-rendered HTML with inline SVG, its style and script
// served from this package (embedded), under a Content-Security-Policy
// that allows nothing else: no inline script or style, no third party.
// Hidden-results polls show participation only until they close.
//
// Each poll being watched has one hub per process: it listens for the
// poll's changes (polls.Watcher: on Redis, published by the store in the
// same atomic step as the vote, so a vote on any replica reaches a page
// served by any other), renders the live part of the page at most twice a
// second however many votes arrive, and hands the same bytes to every
// viewer. A viewer holds a connection, a goroutine and a pointer to the
// latest frame, never a queue, so a thousand viewers cost a bounded amount
// of memory and a slow one only skips frames.
package screen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/polls"
)

//go:embed templates/*.html assets/*
var files embed.FS

// Server serves the live screens of polls.
type Server struct {
	svc     *polls.Service
	watcher polls.Watcher
	signer  *link.Signer
	groups  *polls.Groups
	log     *slog.Logger
	grounds func(*polls.Report, polls.ThemeResult) string
	now     func() time.Time
	p       *msg.Printer
	pw      *pageWords // the printer's words of every page

	interval   time.Duration // between two renders of one poll
	heartbeat  time.Duration
	linger     time.Duration
	maxViewers int
	maxPolls   int

	tmpl   *template.Template
	assets map[string]asset // by hashed name
	css    string           // hashed names of the page's style, script and icon
	js     string
	icon   string

	mu      sync.Mutex
	hubs    map[polls.Key]*hub
	viewers atomic.Int64
	closing chan struct{}
	closed  sync.Once
	wg      sync.WaitGroup
}

type asset struct {
	body []byte
	mime string
}

// Option configures a Server.
type Option func(*Server)

// WithLogger sets the logger (default: discard). No line carries a token.
func WithLogger(l *slog.Logger) Option { return func(s *Server) { s.log = l } }

// WithPrinter sets the language of the page (default English): its words,
// its dates, and its lang and dir attributes. pollbot passes the engine's
// printer, so that the screen speaks as the chat does.
func WithPrinter(p *msg.Printer) Option { return func(s *Server) { s.p = p } }

// WithGrounds sets the sentence shown beside each theme, saying what its
// status rests on (default: report.Words' grounds, as the chat report
// words them, without the chat's capitals, in the server's language).
func WithGrounds(f func(*polls.Report, polls.ThemeResult) string) Option {
	return func(s *Server) { s.grounds = f }
}

// WithInterval sets the least time between two renders of one poll
// (default 500ms: at most two updates a second). A change after a quiet
// spell is rendered at once; changes within the interval are merged.
func WithInterval(d time.Duration) Option { return func(s *Server) { s.interval = d } }

// WithHeartbeat sets how often an idle stream sends a comment, which
// keeps proxies from closing it and tells the server of a viewer gone
// (default 25s).
func WithHeartbeat(d time.Duration) Option { return func(s *Server) { s.heartbeat = d } }

// WithMaxViewers bounds the streams open at once in this process (default
// 10,000); beyond, a viewer is answered 503 and its browser retries.
func WithMaxViewers(n int) Option { return func(s *Server) { s.maxViewers = n } }

// WithMaxPolls bounds the polls watched at once in this process (default
// 1,000).
func WithMaxPolls(n int) Option { return func(s *Server) { s.maxPolls = n } }

// WithClock sets the clock that decides whether a link has expired
// (default: the service's).
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// New returns a screen server over svc, hearing of changes from w (the
// store svc uses, or a wrapper of it) and checking links with signer.
func New(svc *polls.Service, w polls.Watcher, signer *link.Signer, opts ...Option) (*Server, error) {
	if svc == nil || w == nil || signer == nil {
		return nil, errors.New("screen: a service, a watcher and a link signer are needed")
	}
	s := &Server{
		svc: svc, watcher: w, signer: signer, groups: svc.Groups(),
		log: slog.New(slog.DiscardHandler), now: svc.Now,
		interval: 500 * time.Millisecond, heartbeat: 25 * time.Second, linger: 30 * time.Second,
		maxViewers: 10_000, maxPolls: 1_000,
		hubs: map[polls.Key]*hub{}, closing: make(chan struct{}),
	}
	for _, o := range opts {
		o(s)
	}
	if s.p == nil {
		s.p = msg.English()
	}
	if s.grounds == nil {
		s.grounds = s.words().Grounds
	}
	s.pw = s.pageWords()
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// load parses the templates and prepares the assets, named by a hash of
// their content so that browsers may keep them for good.
func (s *Server) load() error {
	t, err := template.New("screen").Funcs(template.FuncMap{
		"lower": strings.ToLower,
	}).ParseFS(files, "templates/*.html")
	if err != nil {
		return fmt.Errorf("screen: templates: %w", err)
	}
	s.tmpl = t
	css, err := stylesheet()
	if err != nil {
		return err
	}
	js, err := fs.ReadFile(files, "assets/screen.js")
	if err != nil {
		return err
	}
	s.assets = map[string]asset{}
	add := func(stem, ext, mime string, body []byte) string {
		sum := sha256.Sum256(body)
		name := stem + "." + hex.EncodeToString(sum[:6]) + ext
		s.assets[name] = asset{body: body, mime: mime}
		return name
	}
	s.css = add("screen", ".css", "text/css; charset=utf-8", css)
	s.js = add("screen", ".js", "text/javascript; charset=utf-8", js)
	icon, err := fs.ReadFile(files, "assets/icon.svg")
	if err != nil {
		return err
	}
	s.icon = add("icon", ".svg", "image/svg+xml", icon)
	return nil
}

// Paths the server answers.
const (
	pagePattern   = "GET /screen/{token}"
	eventsPattern = "GET /screen/{token}/events"
	assetPattern  = "GET /screen-assets/{name}"
)

// Mount adds the server's routes to mux: the page, its event stream and
// its assets.
func (s *Server) Mount(mux *http.ServeMux) {
	mux.HandleFunc(pagePattern, s.page)
	mux.HandleFunc(eventsPattern, s.events)
	mux.HandleFunc(assetPattern, s.asset)
}

// IsStream reports whether r is a screen's event stream: a request that
// lasts as long as its viewer watches, which a server's bound on requests
// in flight must not count (the screen bounds streams itself, see
// WithMaxViewers).
func IsStream(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/screen/") && strings.HasSuffix(r.URL.Path, "/events")
}

// Close ends every stream and stops watching every poll. Streams end at
// once, so that an http.Server's Shutdown (which waits for requests to
// finish) need not wait for viewers: register Close with
// RegisterOnShutdown.
func (s *Server) Close() {
	s.closed.Do(func() { close(s.closing) })
	s.wg.Wait()
}

// Stats are the server's counts, for tests and benchmarks.
type Stats struct {
	Viewers int64 // streams open
	Polls   int   // polls being watched
}

// Stats returns the server's counts now.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Stats{Viewers: s.viewers.Load(), Polls: len(s.hubs)}
}

// deny gives the one answer to a link that does not show a poll,
// whatever the reason: forged, altered, expired, for a poll that no
// longer exists.
func (s *Server) deny(w http.ResponseWriter) {
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	_ = s.tmpl.ExecuteTemplate(w, "denied.html", deniedData{
		Lang: s.p.Lang(), Dir: s.p.Dir(),
		Title: s.say(msg.ScreenDeniedTitle.With()), Text: s.say(msg.ScreenDenied.With()),
	})
}

type deniedData struct{ Lang, Dir, Title, Text string }

func (s *Server) unavailable(w http.ResponseWriter, why msg.Message) {
	securityHeaders(w.Header())
	w.Header().Set("Retry-After", "2")
	http.Error(w, s.say(why), http.StatusServiceUnavailable)
}

// contentPolicy allows the page its own script, style and event stream
// and nothing else: no inline script or style attribute, no other origin,
// no frame around it, no form, no base.
const contentPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

func securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	// The token is in the URL: no other site learns it from a referrer.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex")
	h.Set("Cache-Control", "no-store")
}

// claims checks the request's token.
func (s *Server) claims(r *http.Request) (link.Claims, string, bool) {
	tok := r.PathValue("token")
	c, err := s.signer.Verify(tok)
	return c, tok, err == nil
}

// pageData is what the page template shows around the live frame.
type pageData struct {
	Lang, Dir string
	Title     string // the poll's
	Tab       string // the browser tab's
	W         *pageWords
	Frame     template.HTML
	Events    string
	CSS       string
	JS        string
	Icon      string
	Now       int64
}

func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	c, tok, ok := s.claims(r)
	if !ok {
		s.deny(w)
		return
	}
	f, status := s.current(r.Context(), c)
	if status != http.StatusOK {
		s.refuse(w, status)
		return
	}
	var buf bytes.Buffer
	err := s.tmpl.ExecuteTemplate(&buf, "page.html", pageData{
		Lang: s.p.Lang(), Dir: s.p.Dir(), W: s.pw,
		Title: f.title, Tab: s.say(msg.ScreenPageTitle.With(f.title)), Frame: f.html,
		// Relative, so that a proxy may serve pollbot under a path.
		Events: tok + "/events?since=" + f.id,
		CSS:    "../screen-assets/" + s.css, JS: "../screen-assets/" + s.js, Icon: "../screen-assets/" + s.icon,
		Now: s.now().UnixMilli(),
	})
	if err != nil {
		s.log.Error("screen page failed", "tenant", c.Key.Tenant, "poll", c.Key.ID, "err", err)
		s.unavailable(w, msg.ScreenDrawFailed.With())
		return
	}
	securityHeaders(w.Header())
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) refuse(w http.ResponseWriter, status int) {
	if status == http.StatusForbidden {
		s.deny(w)
		return
	}
	s.unavailable(w, msg.ScreenBusy.With())
}

// current returns the poll's latest frame for a viewer with claims c, or
// the status to answer instead.
func (s *Server) current(ctx context.Context, c link.Claims) (*frame, int) {
	h, err := s.hub(c.Key)
	if err != nil {
		return nil, http.StatusServiceUnavailable
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	f := h.wait(ctx)
	switch {
	case f == nil:
		return nil, http.StatusServiceUnavailable
	case f.gone || c.Expired(f.poll, s.now()):
		return nil, http.StatusForbidden
	}
	return f, http.StatusOK
}

func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	a, ok := s.assets[r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", a.mime)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	_, _ = w.Write(a.body)
}

// hub returns the poll's hub, starting one if there is none.
func (s *Server) hub(k polls.Key) (*hub, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.closing:
		return nil, errors.New("screen: closed")
	default:
	}
	if h, ok := s.hubs[k]; ok {
		return h, nil
	}
	if len(s.hubs) >= s.maxPolls {
		return nil, fmt.Errorf("screen: %d polls watched already", len(s.hubs))
	}
	h := newHub(s, k)
	s.hubs[k] = h
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		h.run()
	}()
	return h, nil
}

// drop forgets h if it has no viewer; it reports whether it did.
func (s *Server) drop(h *hub) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h.count() > 0 || time.Since(h.lastSeen()) < s.linger {
		return false
	}
	delete(s.hubs, h.key)
	return true
}
