package faulttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// answerLog is where the Slack clicks' response_url leads: it records every
// private answer pollbot posts there, per click (the response_url is unique
// to each click), with the time it arrived. The loadgen Sink counts
// answers per user; the suite needs them per click, and when.
type answerLog struct {
	srv *http.Server
	url string

	mu      sync.Mutex
	byKey   map[string][]answer
	changed chan struct{} // closed and replaced at each answer
}

// answer is one post to a response_url.
type answer struct {
	At   time.Time
	Text string
}

func startAnswerLog(t *testing.T) *answerLog {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &answerLog{url: "http://" + ln.Addr().String(), byKey: map[string][]answer{}, changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /r/{user}/{n}", a.serve)
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = a.srv.Serve(ln) }()
	t.Cleanup(func() { _ = a.srv.Close() })
	return a
}

// ResponseURL is the prefix for loadgen.SlackConfig.ResponseURL: a click's
// response_url is ResponseURL()/<user>/<n>, and its key "<user>/<n>".
func (a *answerLog) ResponseURL() string { return a.url + "/r" }

// keyOf returns the key of a response_url.
func (a *answerLog) keyOf(responseURL string) string {
	return strings.TrimPrefix(responseURL, a.ResponseURL()+"/")
}

func (a *answerLog) serve(w http.ResponseWriter, r *http.Request) {
	var m struct {
		Text string `json:"text"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = json.Unmarshal(body, &m)
	key := url.PathEscape(r.PathValue("user")) + "/" + r.PathValue("n")
	a.mu.Lock()
	a.byKey[key] = append(a.byKey[key], answer{At: time.Now(), Text: m.Text})
	close(a.changed)
	a.changed = make(chan struct{})
	a.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
}

// wait waits until the click with key has an answer and returns the first,
// or an error when ctx ends first.
func (a *answerLog) wait(ctx context.Context, key string) (answer, error) {
	for {
		a.mu.Lock()
		got, changed := a.byKey[key], a.changed
		a.mu.Unlock()
		if len(got) > 0 {
			return got[0], nil
		}
		select {
		case <-ctx.Done():
			return answer{}, fmt.Errorf("no answer to click %s: %w", key, ctx.Err())
		case <-changed:
		}
	}
}

// tcpProxy relays TCP connections from a loopback port to a target (a
// Redis server), and can lose the reply to one command: it then closes the
// connection after the command has run, the network failure a client sees
// as an EOF where the reply should be. go-redis retries on such an error,
// so the command may run a second time. It can also hold a reply back
// (the command has run; its caller waits) until the proxy closes.
type tcpProxy struct {
	t      *testing.T
	ln     net.Listener
	Addr   string
	target string

	// loseReplies is the number of successful replies to drop, to commands
	// whose request contains every one of lossMarkers (lower case; requests
	// are matched in lower case, go-redis sends "evalsha").
	loseReplies atomic.Int32
	lost        atomic.Int32
	holdReplies atomic.Int32
	held        chan struct{} // a reply is being held
	release     chan struct{} // closed with the proxy
	lossMarkers [][]byte

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

func startTCPProxy(t *testing.T, target string, lossMarkers ...string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{t: t, ln: ln, Addr: ln.Addr().String(), target: target, conns: map[net.Conn]struct{}{},
		held: make(chan struct{}, 16), release: make(chan struct{})}
	for _, m := range lossMarkers {
		p.lossMarkers = append(p.lossMarkers, []byte(strings.ToLower(m)))
	}
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// loseNextReply makes the proxy drop the next successful reply to a
// command that carries the loss markers, closing that connection.
func (p *tcpProxy) loseNextReply() { p.loseReplies.Add(1) }

// holdNextReply makes the proxy hold the next successful reply to a
// command that carries the loss markers, until the proxy closes; p.held
// says when it does.
func (p *tcpProxy) holdNextReply() { p.holdReplies.Add(1) }

func (p *tcpProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		s, err := net.DialTimeout("tcp", p.target, 2*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		if !p.track(c, s) {
			return
		}
		var marked atomic.Bool // the last request carried the markers
		p.wg.Go(func() {
			defer p.untrack(c, s)
			buf := make([]byte, 64<<10)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if p.loseReplies.Load()+p.holdReplies.Load() > 0 && p.matches(buf[:n]) {
						marked.Store(true)
					}
					if _, werr := s.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		})
		p.wg.Go(func() {
			defer p.untrack(c, s)
			buf := make([]byte, 64<<10)
			for {
				n, err := s.Read(buf)
				if n > 0 {
					// A reply to the marked command: unless Redis refused it
					// (an error reply, such as NOSCRIPT), it ran; lose it.
					if marked.Swap(false) && buf[0] != '-' {
						if take(&p.loseReplies) {
							p.lost.Add(1)
							return
						}
						if take(&p.holdReplies) {
							p.held <- struct{}{}
							<-p.release
							return
						}
					}
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		})
	}
}

func (p *tcpProxy) matches(b []byte) bool {
	b = bytes.ToLower(b)
	for _, m := range p.lossMarkers {
		if !bytes.Contains(b, m) {
			return false
		}
	}
	return len(p.lossMarkers) > 0
}

// take decrements n if it is positive, and reports whether it did.
func take(n *atomic.Int32) bool {
	for {
		v := n.Load()
		if v <= 0 {
			return false
		}
		if n.CompareAndSwap(v, v-1) {
			return true
		}
	}
}

func (p *tcpProxy) track(c, s net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		c.Close()
		s.Close()
		return false
	}
	p.conns[c], p.conns[s] = struct{}{}, struct{}{}
	return true
}

func (p *tcpProxy) untrack(c, s net.Conn) {
	c.Close()
	s.Close()
	p.mu.Lock()
	delete(p.conns, c)
	delete(p.conns, s)
	p.mu.Unlock()
}

func (p *tcpProxy) close() {
	p.mu.Lock()
	if !p.closed {
		close(p.release)
	}
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
	p.wg.Wait()
}

// holdingProxy stands between pollbot and the fake Slack Web API: it passes
// every call through, except chat.postMessage calls whose text contains
// holdText once armed: those it holds for holdFor before passing them on,
// unless the caller gives up first (then the call is dropped, as Slack
// drops a request whose client went away). It makes Slack slow at one
// chosen moment.
type holdingProxy struct {
	srv      *http.Server
	url      string
	holdText atomic.Value // string; "" holds nothing
	holdFor  atomic.Int64 // time.Duration; holdFor by default
	held     chan string  // the text of each held call, as it arrives
	release  chan struct{}
}

// holdFor is how long a holding proxy holds a call unless told otherwise:
// longer than the test takes to stop pollbot, shorter than pollbot's Slack
// client waits.
const holdFor = 3 * time.Second

func startHoldingProxy(t *testing.T, target string) *holdingProxy {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &holdingProxy{url: "http://" + ln.Addr().String(), held: make(chan string, 16), release: make(chan struct{})}
	h.holdText.Store("")
	h.holdFor.Store(int64(holdFor))
	rp := httputil.NewSingleHostReverseProxy(u)
	h.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hold := h.holdText.Load().(string); hold != "" && strings.HasSuffix(r.URL.Path, "/chat.postMessage") {
			body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
			if err != nil {
				http.Error(w, "read", http.StatusBadRequest)
				return
			}
			if text := formText(r, body); strings.Contains(text, hold) {
				select {
				case h.held <- text:
				default:
				}
				select {
				case <-r.Context().Done():
					return
				case <-h.release:
					http.Error(w, "held by the fault suite", http.StatusServiceUnavailable)
					return
				case <-time.After(time.Duration(h.holdFor.Load())):
				}
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		rp.ServeHTTP(w, r)
	})}
	go func() { _ = h.srv.Serve(ln) }()
	t.Cleanup(func() {
		close(h.release)
		_ = h.srv.Close()
	})
	return h
}

// SlackAPIURL is the value for pollbot's SLACK_API_URL.
func (h *holdingProxy) SlackAPIURL() string { return h.url + "/slack/api/" }

// formText returns the text of a Web API call, form-encoded or JSON.
func formText(r *http.Request, body []byte) string {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]any
		if json.Unmarshal(body, &m) == nil {
			s, _ := m["text"].(string)
			return s
		}
		return string(body)
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return string(body)
	}
	return v.Get("text")
}
