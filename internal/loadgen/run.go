package loadgen

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// maxClients bounds RunConfig.Clients: each client is a goroutine with a
// connection of its own.
const maxClients = 10_000

// MaxRate bounds RunConfig.Rate, far above what one machine's loopback
// serves.
const MaxRate = 1_000_000

// Run calls op from cfg.Clients goroutines until cfg.Count operations have
// been started or cfg.Duration has passed, whichever comes first, and
// reports what it measured. Closed loop (cfg.Rate 0), each client starts
// its next operation when the last one ends; open loop (cfg.Rate > 0),
// operations are due on a fixed schedule (see RunConfig.Rate). It refuses a
// target that is not loopback and bounds that are out of range
// (ErrBounds). Cancelling ctx stops the run early: operations under way
// see the cancelled ctx, and the result covers what completed.
func Run(ctx context.Context, cfg RunConfig, op Op) (*Result, error) {
	switch {
	case cfg.Clients < 1 || cfg.Clients > maxClients:
		return nil, fmt.Errorf("%w: clients %d not in 1..%d", ErrBounds, cfg.Clients, maxClients)
	case cfg.Count < 0 || cfg.Count > MaxCount:
		return nil, fmt.Errorf("%w: count %d not in 0..%d", ErrBounds, cfg.Count, MaxCount)
	case cfg.Duration < 0 || cfg.Duration > MaxDuration:
		return nil, fmt.Errorf("%w: duration %v not in 0..%v", ErrBounds, cfg.Duration, MaxDuration)
	case cfg.Count == 0 && cfg.Duration == 0:
		return nil, fmt.Errorf("%w: neither a count nor a duration", ErrBounds)
	case math.IsNaN(cfg.Rate) || cfg.Rate < 0 || cfg.Rate > MaxRate:
		return nil, fmt.Errorf("%w: rate %v not in 0..%d per second", ErrBounds, cfg.Rate, MaxRate)
	case op == nil:
		return nil, fmt.Errorf("loadgen: Run without an operation")
	}
	if err := CheckLoopback(ctx, cfg.Target); err != nil {
		return nil, err
	}
	count := cfg.Count
	if count == 0 {
		count = math.MaxInt64
	}
	var (
		next     atomic.Int64
		stop     atomic.Bool
		wg       sync.WaitGroup
		mu       sync.Mutex
		total    Histogram
		late     Histogram
		ops, oks int64
		errs     = map[string]int64{}
		samples  = map[string]string{}
	)
	start := time.Now()
	sched := schedule{start: start, rate: cfg.Rate, length: cfg.Duration}
	if cfg.Duration > 0 && cfg.Rate == 0 {
		t := time.AfterFunc(cfg.Duration, func() { stop.Store(true) })
		defer t.Stop()
	}
	for c := range cfg.Clients {
		wg.Go(func() {
			h, l := new(Histogram), new(Histogram)
			mine, sample := map[string]int64{}, map[string]string{}
			var n, ok int64
			var timer *time.Timer
			defer func() {
				if timer != nil {
					timer.Stop()
				}
			}()
			for !stop.Load() && ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= count {
					break
				}
				due := time.Now()
				if sched.open() {
					var in bool
					if due, in = sched.due(i); !in {
						break
					}
					if wait := time.Until(due); wait > 0 {
						if timer == nil {
							timer = time.NewTimer(wait)
						} else {
							timer.Reset(wait)
						}
						select {
						case <-ctx.Done():
						case <-timer.C:
						}
						if ctx.Err() != nil {
							break
						}
					}
					l.Record(time.Since(due))
				}
				err := op(ctx, c, i, due)
				h.Record(time.Since(due))
				n++
				if err == nil {
					ok++
				} else {
					k := ErrorKind(err)
					if mine[k]++; mine[k] == 1 {
						sample[k] = clip(err.Error(), 300)
					}
				}
			}
			mu.Lock()
			defer mu.Unlock()
			total.Merge(h)
			late.Merge(l)
			ops += n
			oks += ok
			for k, v := range mine {
				errs[k] += v
			}
			for k, v := range sample {
				if _, ok := samples[k]; !ok {
					samples[k] = v
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := &Result{
		Ops: ops, OK: oks, Elapsed: elapsed, Errors: errs, ErrorSamples: samples, Rate: cfg.Rate,
		P50: total.Quantile(0.50), P95: total.Quantile(0.95), P99: total.Quantile(0.99), Max: total.Max(),
		Latency: &total,
	}
	if sched.open() {
		r.Late = &late
	}
	if elapsed > 0 {
		r.PerSec = float64(oks) / elapsed.Seconds()
	}
	return r, nil
}

// schedule is an open-loop run's timetable: operation i is due at
// start + i/rate, and the schedule ends at start + length (0: never).
type schedule struct {
	start  time.Time
	rate   float64
	length time.Duration
}

func (s schedule) open() bool { return s.rate > 0 }

// due returns when operation i is due, and false when that is at or past
// the schedule's end.
func (s schedule) due(i int64) (time.Time, bool) {
	off := time.Duration(float64(i) * float64(time.Second) / s.rate)
	if s.length > 0 && off >= s.length {
		return time.Time{}, false
	}
	return s.start.Add(off), true
}

// clip cuts s to at most n bytes, at a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// String is a one-line summary.
func (r *Result) String() string {
	return fmt.Sprintf("%d ops (%d ok) in %v: %.0f/s, p50 %v, p95 %v, p99 %v, max %v, errors %v",
		r.Ops, r.OK, r.Elapsed.Round(time.Millisecond), r.PerSec, r.P50, r.P95, r.P99, r.Max, r.Errors)
}
