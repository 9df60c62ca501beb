package main

import (
	"flag"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pollbot/pollbot/internal/metrics"
)

// httpLimits bound what a client costs serve before anything it sent has
// been checked. Nothing is signed until its whole body has been read, so
// whoever can reach the port can open connections and send requests slowly
// or not at all; each costs a connection, a goroutine and buffers for as
// long as the server lets it. The timeouts end such connections, the header
// cap and the body limit (bot.MaxBody, read as it arrives) bound their
// buffers, and the in-flight bound caps how many requests are served at
// once.
type httpLimits struct {
	// ReadHeaderTimeout bounds the time to send a request's headers, and
	// to send the first request on a new connection.
	ReadHeaderTimeout time.Duration
	// ReadTimeout bounds the time to send a whole request, body included.
	ReadTimeout time.Duration
	// WriteTimeout bounds the time from the end of a request's headers to
	// the end of its answer. A handler that streams for longer (a
	// Server-Sent Events endpoint, say) must push its own deadline forward
	// as it writes, with http.ResponseController(w).SetWriteDeadline,
	// which reaches the connection through the metrics' and this file's
	// wrappers (they unwrap, or do not wrap the writer). Such a stream
	// should also be exempt from MaxInFlight and have a bound of its own,
	// or a few hundred viewers would refuse every chat request.
	WriteTimeout time.Duration
	// IdleTimeout bounds how long a kept-alive connection waits for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes caps a request's headers (net/http allows 4 KiB more
	// before it answers 431).
	MaxHeaderBytes int
	// MaxInFlight caps the requests being served at once; beyond it a
	// request is answered 503 at once, without being queued.
	MaxInFlight int
}

// defaultHTTPLimits suit Slack and Discord, whose requests are a few KiB
// with small headers and must be answered within 3 s.
var defaultHTTPLimits = httpLimits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       10 * time.Second,
	WriteTimeout:      30 * time.Second,
	// Longer than the 60 s after which common proxies and load balancers
	// drop an idle connection to their backend, so that the proxy, not
	// pollbot, closes a connection it may be about to reuse.
	IdleTimeout:    90 * time.Second,
	MaxHeaderBytes: 16 << 10,
	MaxInFlight:    256,
}

// httpLimitFlags are the flags register adds; each is also read from the
// environment, as POLLBOT_ and its name in capitals with underscores
// (-http-read-timeout: POLLBOT_HTTP_READ_TIMEOUT).
var httpLimitFlags = []string{
	"http-read-header-timeout", "http-read-timeout", "http-write-timeout", "http-idle-timeout",
	"http-max-header-bytes", "http-max-in-flight",
}

func httpLimitEnv(flagName string) string {
	return "POLLBOT_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// register adds the limits' flags to fs, with l's values as defaults.
func (l *httpLimits) register(fs *flagSet) {
	usage := func(name, what string) string { return what + " (env " + httpLimitEnv(name) + ")" }
	fs.DurationVar(&l.ReadHeaderTimeout, "http-read-header-timeout", l.ReadHeaderTimeout, usage("http-read-header-timeout", "how long a client may take to send a request's headers"))
	fs.DurationVar(&l.ReadTimeout, "http-read-timeout", l.ReadTimeout, usage("http-read-timeout", "how long a client may take to send a whole request, body included"))
	fs.DurationVar(&l.WriteTimeout, "http-write-timeout", l.WriteTimeout, usage("http-write-timeout", "how long the answer to a request may take, from the end of its headers"))
	fs.DurationVar(&l.IdleTimeout, "http-idle-timeout", l.IdleTimeout, usage("http-idle-timeout", "how long a kept-alive connection may wait for its next request"))
	fs.IntVar(&l.MaxHeaderBytes, "http-max-header-bytes", l.MaxHeaderBytes, usage("http-max-header-bytes", "most `bytes` of headers a request may send"))
	fs.IntVar(&l.MaxInFlight, "http-max-in-flight", l.MaxInFlight, usage("http-max-in-flight", "most `requests` served at once; more are answered 503 (health checks exempt)"))
}

// fromEnv sets the limits not given as flags from the environment (so a
// flag overrides the environment), then checks them all. It runs after
// fs has parsed the command line.
func (l *httpLimits) fromEnv(fs *flagSet, e env) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, name := range httpLimitFlags {
		key := httpLimitEnv(name)
		if v := e.getenv(key); v != "" && !given[name] {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s: %q is not a %s", key, v, limitKind(name))
			}
		}
	}
	// A zero would turn a limit off, reopening what it closes.
	positive := map[string]bool{
		"http-read-header-timeout": l.ReadHeaderTimeout > 0,
		"http-read-timeout":        l.ReadTimeout > 0,
		"http-write-timeout":       l.WriteTimeout > 0,
		"http-idle-timeout":        l.IdleTimeout > 0,
		"http-max-header-bytes":    l.MaxHeaderBytes > 0,
		"http-max-in-flight":       l.MaxInFlight > 0,
	}
	for _, name := range httpLimitFlags {
		if !positive[name] {
			return fmt.Errorf("-%s (%s): %s is not a positive %s", name, httpLimitEnv(name), fs.Lookup(name).Value, limitKind(name))
		}
	}
	return nil
}

func limitKind(name string) string {
	if strings.HasSuffix(name, "-timeout") {
		return "duration (such as 10s)"
	}
	return "whole number"
}

// newHTTPServer is serve's server for mux: the limits, the in-flight bound
// and the metrics' request counts. The health endpoints are exempt from
// the bound (see inFlightBound).
func newHTTPServer(l httpLimits, mux *http.ServeMux, m *metrics.Metrics) *http.Server {
	var h http.Handler = &inFlightBound{
		next:   mux,
		mux:    mux,
		slots:  make(chan struct{}, l.MaxInFlight),
		exempt: map[string]bool{"/healthz": true, "/readyz": true},
	}
	if m != nil {
		h = m.Instrument(h)
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: l.ReadHeaderTimeout,
		ReadTimeout:       l.ReadTimeout,
		WriteTimeout:      l.WriteTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    l.MaxHeaderBytes,
	}
}

// inFlightBound serves at most cap(slots) requests at once and answers 503
// (Retry-After: 1) to any more at once, rather than queue them: a queue
// would hold the very connections and memory the bound exists to cap, and
// Slack and Discord retry, or tell the user, sooner than a queue would
// drain. A request holds its slot while its body arrives, so slow senders
// take slots only until the read timeout ends them.
//
// Paths in exempt are served whatever the load: the health checks. Their
// answers are the process's and the store's state, not the load, and must
// stay so: a liveness probe failing under a flood gets a process that is
// fine restarted (dropping the requests it was serving), a readiness probe
// failing takes every replica under the same flood out of the load
// balancer at once. They read no body and answer within 2 s, so they
// cannot hold memory or a connection for long.
type inFlightBound struct {
	next   http.Handler
	slots  chan struct{}
	exempt map[string]bool
	// mux, when set, names the route of a refused request for the metrics
	// (the mux names it when it serves one).
	mux *http.ServeMux
}

func (b *inFlightBound) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.exempt[r.URL.Path] {
		b.next.ServeHTTP(w, r)
		return
	}
	select {
	case b.slots <- struct{}{}:
		defer func() { <-b.slots }()
		b.next.ServeHTTP(w, r)
	default:
		if b.mux != nil {
			_, r.Pattern = b.mux.Handler(r)
		}
		w.Header().Set("Retry-After", "1")
		// The body is not read: closing the connection spares the server
		// draining it, which a slow sender would make wait.
		w.Header().Set("Connection", "close")
		http.Error(w, "pollbot is busy; retry in a second", http.StatusServiceUnavailable)
	}
}
