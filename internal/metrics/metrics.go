// Package metrics exposes pollbot's Prometheus metrics on /metrics: votes
// cast, held and refused (by reason), command latency per platform, store
// latency per operation, poll-message updates (sent, coalesced,
// rate-limited, failed), open polls, and HTTP requests per endpoint.
//
// Every metric is named pollbot_*; label values come from small fixed
// sets (platforms, command names, store operations, refusal reasons,
// route patterns), never from user input, so a flood of bad requests
// cannot grow the series count. Several replicas each export their own
// counters; pollbot_open_polls is read from the shared store, so every
// replica reports the same value (aggregate it with max, not sum).
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/polls"
)

// Metrics holds pollbot's collectors in a registry of its own. It
// implements bot.Metrics.
type Metrics struct {
	reg *prometheus.Registry
	log *slog.Logger

	votes    *prometheus.CounterVec
	commands *prometheus.HistogramVec
	store    *prometheus.HistogramVec
	storeErr *prometheus.CounterVec
	requests *prometheus.CounterVec

	mu          sync.Mutex
	coalescers  map[string][]func() kit.CoalescerStats
	pools       map[string][]*kit.Pool
	openCounter polls.OpenCounter
}

var _ bot.Metrics = (*Metrics)(nil)

// New returns metrics registered with the Go runtime and process
// collectors and pollbot_build_info{version}.
func New(version string, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		log: log,
		votes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pollbot_votes_total",
			Help: `Votes by platform and outcome: "cast" (counted), "held" (waiting for the voter's group), or the reason it was refused (closed, past_deadline, unknown_theme, too_many_choices, store_error, timeout, ...).`,
		}, []string{"platform", "outcome"}),
		commands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pollbot_command_duration_seconds",
			Help:    `Time the engine took to answer a command ("open", "vote", ...) or a click ("click:vote", ...), by platform and whether the answer was an error.`,
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"platform", "command", "failed"}),
		store: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "pollbot_store_duration_seconds",
			Help:    "Latency of store operations (cast, toggle, membership, poll, tally, ...).",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"op"}),
		storeErr: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pollbot_store_errors_total",
			Help: "Store operations that failed for a reason other than the domain's (unreachable, timeout, corrupt data).",
		}, []string{"op"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pollbot_http_requests_total",
			Help: "HTTP requests by route pattern and status code (401: bad signature or stale timestamp).",
		}, []string{"route", "code"}),
		coalescers: map[string][]func() kit.CoalescerStats{},
		pools:      map[string][]*kit.Pool{},
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "pollbot_build_info",
		Help:        "Always 1; the version label names the running build.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	buildInfo.Set(1)
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.votes, m.commands, m.store, m.storeErr, m.requests, buildInfo,
		(*updatesCollector)(m), (*openCollector)(m), (*poolCollector)(m),
	)
	return m
}

// Registry returns the registry, for tests and for adding collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(m.log.Handler(), slog.LevelWarn)})
}

// Vote implements bot.Metrics.
func (m *Metrics) Vote(platform, outcome string) {
	m.votes.WithLabelValues(platform, outcome).Inc()
}

// Command implements bot.Metrics.
func (m *Metrics) Command(platform, command string, d time.Duration, failed bool) {
	m.commands.WithLabelValues(platform, command, strconv.FormatBool(failed)).Observe(d.Seconds())
}

// AddCoalescer exports the poll-message updates of a platform's coalescer
// (kit.Coalescer.Stats) as pollbot_message_updates_total. Several
// coalescers of one platform add up.
func (m *Metrics) AddCoalescer(platform string, stats func() kit.CoalescerStats) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.coalescers[platform] = append(m.coalescers[platform], stats)
}

// AddPool exports a platform's pool of work done after acknowledgements
// (kit.Pool: confirmations, follow-ups) as pollbot_deferred_running and
// pollbot_deferred_overflowed_total.
func (m *Metrics) AddPool(platform string, p *kit.Pool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pools[platform] = append(m.pools[platform], p)
}

var (
	deferredRunningDesc = prometheus.NewDesc("pollbot_deferred_running",
		"Deliveries after an acknowledgement (confirmations, follow-ups) running now, by platform; at pollbot_deferred_slots, new requests wait before they are acknowledged.",
		[]string{"platform"}, nil)
	deferredSlotsDesc = prometheus.NewDesc("pollbot_deferred_slots",
		"The most deliveries after an acknowledgement that run at once, by platform.",
		[]string{"platform"}, nil)
	deferredOverflowDesc = prometheus.NewDesc("pollbot_deferred_overflowed_total",
		"Deliveries started beside a full pool because their request had waited its whole wait for a slot: delivery is not keeping up.",
		[]string{"platform"}, nil)
)

// poolCollector reads the pools at scrape time.
type poolCollector Metrics

func (c *poolCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- deferredRunningDesc
	ch <- deferredSlotsDesc
	ch <- deferredOverflowDesc
}

func (c *poolCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for platform, ps := range c.pools {
		var running, slots int
		var over int64
		for _, p := range ps {
			running += p.Running()
			slots += p.Size()
			over += p.Overflowed()
		}
		ch <- prometheus.MustNewConstMetric(deferredRunningDesc, prometheus.GaugeValue, float64(running), platform)
		ch <- prometheus.MustNewConstMetric(deferredSlotsDesc, prometheus.GaugeValue, float64(slots), platform)
		ch <- prometheus.MustNewConstMetric(deferredOverflowDesc, prometheus.CounterValue, float64(over), platform)
	}
}

// CountOpenPolls exports pollbot_open_polls from the store, read at each
// scrape.
func (m *Metrics) CountOpenPolls(oc polls.OpenCounter) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.openCounter = oc
}

var updatesDesc = prometheus.NewDesc("pollbot_message_updates_total",
	`Poll message re-renders by platform and result: "sent", "coalesced" (folded into a pending update), "rate_limited" (deferred by the platform's Retry-After), "failed" (given up after retries).`,
	[]string{"platform", "result"}, nil)

// updatesCollector reads the coalescers' counts at scrape time, so the
// update path pays nothing for them.
type updatesCollector Metrics

func (c *updatesCollector) Describe(ch chan<- *prometheus.Desc) { ch <- updatesDesc }

func (c *updatesCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for platform, fns := range c.coalescers {
		var sum kit.CoalescerStats
		for _, f := range fns {
			s := f()
			sum.Rendered += s.Rendered
			sum.Coalesced += s.Coalesced
			sum.RateLimited += s.RateLimited
			sum.Failed += s.Failed
		}
		for _, v := range []struct {
			result string
			n      int64
		}{{"sent", sum.Rendered}, {"coalesced", sum.Coalesced}, {"rate_limited", sum.RateLimited}, {"failed", sum.Failed}} {
			ch <- prometheus.MustNewConstMetric(updatesDesc, prometheus.CounterValue, float64(v.n), platform, v.result)
		}
	}
}

var openDesc = prometheus.NewDesc("pollbot_open_polls",
	"Open polls in the store, across tenants (the same on every replica sharing the store).", nil, nil)

// openCollector counts open polls at scrape time, bounded by a timeout so
// an unreachable store cannot hang the scrape; the gauge is then absent,
// and the store's error counter says why.
type openCollector Metrics

func (c *openCollector) Describe(ch chan<- *prometheus.Desc) { ch <- openDesc }

func (c *openCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	oc := c.openCounter
	c.mu.Unlock()
	if oc == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	n, err := oc.OpenPolls(ctx)
	if err != nil {
		c.log.Warn("counting open polls for /metrics failed", "err", err)
		return
	}
	ch <- prometheus.MustNewConstMetric(openDesc, prometheus.GaugeValue, float64(n))
}

// Instrument counts h's requests by the route pattern the ServeMux matched
// (empty for no route: a 404) and status code.
func (m *Metrics) Instrument(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		h.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" {
			route = "none"
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.code)).Inc()
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Flush sends what was written so far, for handlers that test for
// http.Flusher.
func (w *statusWriter) Flush() {
	w.wrote = true
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
