package screen

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// frame is one rendering of the live part of a poll's page, shared by
// every viewer of the poll: they hold a pointer to it, never a copy.
type frame struct {
	id    string // a hash of html: the same state gives the same id anywhere
	html  template.HTML
	event []byte // html as a Server-Sent Event, ready to write
	title string
	poll  *polls.Poll
	gone  bool // the poll no longer exists
}

// hub watches one poll for the viewers of its screen in this process.
type hub struct {
	s   *Server
	key polls.Key

	mu      sync.Mutex
	frame   *frame
	ready   chan struct{} // closed once a first frame exists
	viewers map[*viewer]struct{}
	seen    time.Time // when the hub last had a viewer or a page served
}

type viewer struct {
	wake chan struct{} // a new frame is there; capacity 1
}

func newHub(s *Server, k polls.Key) *hub {
	return &hub{s: s, key: k, ready: make(chan struct{}), viewers: map[*viewer]struct{}{}, seen: time.Now()}
}

func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.viewers)
}

func (h *hub) lastSeen() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen
}

// wait returns the latest frame, waiting for the first; nil if ctx ends
// first.
func (h *hub) wait(ctx context.Context) *frame {
	select {
	case <-h.ready:
	case <-ctx.Done():
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen = time.Now()
	return h.frame
}

func (h *hub) current() *frame {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.frame
}

func (h *hub) join() *viewer {
	v := &viewer{wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.viewers[v] = struct{}{}
	h.seen = time.Now()
	return v
}

func (h *hub) leave(v *viewer) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.viewers, v)
	h.seen = time.Now()
}

// publish makes f the latest frame and wakes every viewer; a viewer still
// writing the last one finds this one when it is done.
func (h *hub) publish(f *frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	first := h.frame == nil
	h.frame = f
	if first {
		close(h.ready)
	}
	for v := range h.viewers {
		select {
		case v.wake <- struct{}{}:
		default:
		}
	}
}

// run keeps the poll's frame up to date until the server closes or the
// hub has had no viewer for the server's linger time. A change heard from
// the store is rendered at once when the last render is an interval old,
// else when it is; a render that fails is tried again a little later.
// Every half minute the poll is rendered whatever was heard, in case a
// change was missed while the store could not be heard.
func (h *hub) run() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-h.s.closing:
			cancel()
		case <-ctx.Done():
		}
	}()
	var (
		changes   <-chan struct{}
		rewatch   = time.NewTimer(0) // fires when a watch should be (re)started
		render    = time.NewTimer(time.Hour)
		refresh   = time.NewTicker(30 * time.Second)
		last      time.Time
		dirty     bool
		backoff   = time.Second
		scheduled bool
	)
	render.Stop()
	defer rewatch.Stop()
	defer render.Stop()
	defer refresh.Stop()
	schedule := func() {
		dirty = true
		if scheduled {
			return
		}
		wait := h.s.interval - time.Since(last)
		if wait < 0 {
			wait = 0
		}
		render.Reset(wait)
		scheduled = true
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-rewatch.C:
			// Listen first, then render: no change is missed between.
			ch, err := h.s.watcher.Watch(ctx, h.key.Tenant, h.key.ID)
			if err != nil {
				if errors.Is(err, polls.ErrNotFound) {
					h.publish(h.s.goneFrame(h.key))
					if h.s.drop(h) {
						return
					}
				} else if ctx.Err() == nil {
					h.s.log.Warn("screen cannot hear a poll's changes; retrying", "tenant", h.key.Tenant, "poll", h.key.ID, "err", err)
				}
				rewatch.Reset(backoff)
				backoff = min(2*backoff, 30*time.Second)
				continue
			}
			backoff = time.Second
			changes = ch
			schedule()
		case _, ok := <-changes:
			if !ok {
				changes = nil
				if ctx.Err() != nil {
					return
				}
				rewatch.Reset(time.Second)
				continue
			}
			schedule()
		case <-render.C:
			scheduled = false
			if !dirty {
				continue
			}
			dirty = false
			last = time.Now()
			if err := h.render(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				h.s.log.Warn("screen cannot render a poll; retrying", "tenant", h.key.Tenant, "poll", h.key.ID, "err", err)
				dirty = true
				render.Reset(2 * time.Second)
				scheduled = true
			}
		case <-refresh.C:
			if h.s.drop(h) {
				return
			}
			schedule()
		}
	}
}

// render reads the poll and publishes its frame, if it changed.
func (h *hub) render(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s := h.s
	p, err := s.svc.Poll(ctx, h.key.Tenant, h.key.ID)
	if errors.Is(err, polls.ErrNotFound) {
		h.publish(s.goneFrame(h.key))
		return nil
	}
	if err != nil {
		return err
	}
	t, err := s.svc.TallyOf(ctx, p)
	if err != nil {
		return err
	}
	r, err := s.svc.ReportOf(ctx, p, t)
	if err != nil {
		return err
	}
	var tl *polls.Timeline
	if p.ResultsVisible() {
		if tl, err = s.svc.Timeline(ctx, p); err != nil {
			// The rest of the page is worth showing without it.
			s.log.Warn("screen cannot compute a timeline", "tenant", p.Tenant, "poll", p.ID, "err", err)
			tl = nil
		}
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, "frame.html", s.viewOf(p, r, tl)); err != nil {
		return err
	}
	f := newFrame(buf.Bytes())
	f.title, f.poll = p.Title, p
	if old := h.current(); old != nil && old.id == f.id {
		// Nothing a viewer sees changed; keep the poll for link checks.
		h.mu.Lock()
		cp := *old
		cp.poll = p
		h.frame = &cp
		h.mu.Unlock()
		return nil
	}
	h.publish(f)
	return nil
}

// goneFrame is what viewers of a poll that no longer exists are left with.
func (s *Server) goneFrame(k polls.Key) *frame {
	f := newFrame([]byte(`<section class="gone"><p>` + template.HTMLEscapeString(s.say(msg.ScreenGone.With())) + `</p></section>`))
	f.title, f.gone = s.say(msg.ScreenGoneTitle.With(k.ID)), true
	return f
}

func newFrame(html []byte) *frame {
	sum := sha256.Sum256(html)
	id := base64.RawURLEncoding.EncodeToString(sum[:12])
	var ev bytes.Buffer
	ev.Grow(len(html) + len(html)/40 + 64)
	ev.WriteString("id: " + id + "\nevent: frame\n")
	for line := range strings.SplitSeq(string(html), "\n") {
		ev.WriteString("data: ")
		ev.WriteString(strings.TrimSuffix(line, "\r"))
		ev.WriteByte('\n')
	}
	ev.WriteByte('\n')
	return &frame{id: id, html: template.HTML(html), event: ev.Bytes()}
}

// streamWindow is how long one write to a stream may take before the
// viewer is dropped: a viewer that cannot take a frame in that time has
// gone, or is too slow to watch.
const streamWindow = 30 * time.Second

// events serves a poll's Server-Sent Events: the current frame at once
// unless the viewer has it (Last-Event-ID, or since= on the first
// connection), then each new frame, and a comment when idle.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.claims(r)
	if !ok {
		s.deny(w)
		return
	}
	if n := s.viewers.Add(1); n > int64(s.maxViewers) {
		s.viewers.Add(-1)
		s.unavailable(w, msg.ScreenTooMany.With())
		return
	}
	defer s.viewers.Add(-1)
	f, status := s.current(r.Context(), c)
	if status != http.StatusOK {
		s.refuse(w, status)
		return
	}
	h, err := s.hub(c.Key)
	if err != nil {
		s.refuse(w, http.StatusServiceUnavailable)
		return
	}
	v := h.join()
	defer h.leave(v)

	rc := http.NewResponseController(w)
	hd := w.Header()
	securityHeaders(hd)
	hd.Set("Content-Type", "text/event-stream; charset=utf-8")
	// Proxies that buffer responses (nginx) would hold frames back.
	hd.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	have := r.Header.Get("Last-Event-ID")
	if have == "" {
		have = r.URL.Query().Get("since")
	}
	write := func(b []byte) bool {
		if err := rc.SetWriteDeadline(time.Now().Add(streamWindow)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return false
		}
		if _, err := w.Write(b); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// A reconnecting browser retries after 2 s.
	if !write([]byte("retry: 2000\n\n")) {
		return
	}
	if f.id != have {
		if !write(f.event) {
			return
		}
		have = f.id
	}
	beat := time.NewTicker(s.heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.closing:
			return
		case <-v.wake:
			f := h.current()
			if f.gone || c.Expired(f.poll, s.now()) {
				return
			}
			if f.id == have {
				continue
			}
			if !write(f.event) {
				return
			}
			have = f.id
		case <-beat.C:
			if f := h.current(); f.gone || c.Expired(f.poll, s.now()) {
				return
			}
			if !write([]byte(": keep-alive\n\n")) {
				return
			}
		}
	}
}
