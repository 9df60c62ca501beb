package main

import (
	"flag"
	"fmt"
	"net/http"
	"time"

	"github.com/pollbot/pollbot/internal/metrics"
)

// httpLimits bound what a client costs serve before anything it sent has
// been checked. Nothing is signed until its whole body has been read, so
// whoever can reach the port can open connections and send requests slowly
// or not at all; each costs a connection, a goroutine and buffers for as
// long as the server lets it. The timeouts end such connections, the header
// cap and the body limit (kit.MaxBody, read as it arrives) bound their
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

// limitSetting is one of httpLimits as a flag, with the environment
// variable of the same name it is also read from; d or n points at the
// value.
type limitSetting struct {
	flag, env, usage string
	d                *time.Duration
	n                *int
}

func (l *httpLimits) settings() []limitSetting {
	return []limitSetting{
		{flag: "http-read-header-timeout", env: "POLLBOT_HTTP_READ_HEADER_TIMEOUT", d: &l.ReadHeaderTimeout,
			usage: "how long a client may take to send a request's headers"},
		{flag: "http-read-timeout", env: "POLLBOT_HTTP_READ_TIMEOUT", d: &l.ReadTimeout,
			usage: "how long a client may take to send a whole request, body included"},
		{flag: "http-write-timeout", env: "POLLBOT_HTTP_WRITE_TIMEOUT", d: &l.WriteTimeout,
			usage: "how long the answer to a request may take, from the end of its headers"},
		{flag: "http-idle-timeout", env: "POLLBOT_HTTP_IDLE_TIMEOUT", d: &l.IdleTimeout,
			usage: "how long a kept-alive connection may wait for its next request"},
		{flag: "http-max-header-bytes", env: "POLLBOT_HTTP_MAX_HEADER_BYTES", n: &l.MaxHeaderBytes,
			usage: "most `bytes` of headers a request may send"},
		{flag: "http-max-in-flight", env: "POLLBOT_HTTP_MAX_IN_FLIGHT", n: &l.MaxInFlight,
			usage: "most `requests` served at once; more are answered 503 (health checks exempt)"},
	}
}

func (s limitSetting) kind() string {
	if s.d != nil {
		return "duration (such as 10s)"
	}
	return "whole number"
}

// register adds the limits' flags to fs, with l's values as defaults.
func (l *httpLimits) register(fs *flagSet) {
	for _, s := range l.settings() {
		usage := s.usage + " (env " + s.env + ")"
		if s.d != nil {
			fs.DurationVar(s.d, s.flag, *s.d, usage)
		} else {
			fs.IntVar(s.n, s.flag, *s.n, usage)
		}
	}
}

// fromEnv sets the limits not given as flags from the environment (so a
// flag overrides the environment), then checks them all. It runs after
// fs has parsed the command line.
func (l *httpLimits) fromEnv(fs *flagSet, e env) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, s := range l.settings() {
		if v := e.getenv(s.env); v != "" && !given[s.flag] {
			if err := fs.Set(s.flag, v); err != nil {
				return fmt.Errorf("%s: %q is not a %s", s.env, v, s.kind())
			}
		}
	}
	for _, s := range l.settings() {
		// A zero would turn a limit off, reopening what it closes.
		if (s.d != nil && *s.d <= 0) || (s.n != nil && *s.n <= 0) {
			return fmt.Errorf("-%s (%s): %s is not a positive %s", s.flag, s.env, fs.Lookup(s.flag).Value, s.kind())
		}
	}
	return nil
}

// newHTTPServer is serve's server for mux: the limits, the in-flight bound
// and the metrics' request counts. The health endpoints are exempt from
// the bound (see inFlightBound), and so are the requests streams reports
// (the live screen's event streams, which last as long as their viewers
// watch and have a bound of their own).
func newHTTPServer(l httpLimits, mux *http.ServeMux, m *metrics.Metrics, streams ...func(*http.Request) bool) *http.Server {
	var h http.Handler = &inFlightBound{
		mux:     mux,
		slots:   make(chan struct{}, l.MaxInFlight),
		exempt:  map[string]bool{"/healthz": true, "/readyz": true},
		streams: streams,
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
// cannot hold memory or a connection for long; being unbounded, they are
// for the cluster, and the public proxy passes only the chat platforms'
// paths.
type inFlightBound struct {
	mux     *http.ServeMux
	slots   chan struct{}
	exempt  map[string]bool
	streams []func(*http.Request) bool
}

func (b *inFlightBound) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if b.exempt[r.URL.Path] {
		b.mux.ServeHTTP(w, r)
		return
	}
	for _, stream := range b.streams {
		if stream(r) {
			b.mux.ServeHTTP(w, r)
			return
		}
	}
	select {
	case b.slots <- struct{}{}:
		defer func() { <-b.slots }()
		b.mux.ServeHTTP(w, r)
	default:
		// The metrics count the refusal under the route it was meant for,
		// which the mux would have named had it served the request.
		_, r.Pattern = b.mux.Handler(r)
		w.Header().Set("Retry-After", "1")
		// The body is not read: closing the connection spares the server
		// draining it, which a slow sender would make wait.
		w.Header().Set("Connection", "close")
		http.Error(w, "pollbot is busy; retry in a second", http.StatusServiceUnavailable)
	}
}
