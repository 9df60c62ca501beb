package loadgen

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// maxClients bounds RunConfig.Clients: each client is a goroutine with a
// connection of its own.
const maxClients = 10_000

// Run calls op from cfg.Clients goroutines until cfg.Count operations have
// been started or cfg.Duration has passed, whichever comes first, and
// reports what it measured. It refuses a target that is not loopback and
// bounds that are out of range (ErrBounds). Cancelling ctx stops the run
// early: operations under way see the cancelled ctx, and the result covers
// what completed.
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
		total    histogram
		ops, oks int64
		errs     = map[string]int64{}
	)
	start := time.Now()
	if cfg.Duration > 0 {
		t := time.AfterFunc(cfg.Duration, func() { stop.Store(true) })
		defer t.Stop()
	}
	for c := range cfg.Clients {
		wg.Go(func() {
			h := new(histogram)
			mine := map[string]int64{}
			var n, ok int64
			for !stop.Load() && ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= count {
					break
				}
				t0 := time.Now()
				err := op(ctx, c, i)
				h.record(time.Since(t0))
				n++
				if err == nil {
					ok++
				} else {
					mine[ErrorKind(err)]++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			total.merge(h)
			ops += n
			oks += ok
			for k, v := range mine {
				errs[k] += v
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	r := &Result{
		Ops: ops, OK: oks, Elapsed: elapsed, Errors: errs,
		P50: total.quantile(0.50), P95: total.quantile(0.95), P99: total.quantile(0.99), Max: total.max,
	}
	if elapsed > 0 {
		r.PerSec = float64(oks) / elapsed.Seconds()
	}
	return r, nil
}

// String is a one-line summary.
func (r *Result) String() string {
	return fmt.Sprintf("%d ops (%d ok) in %v: %.0f/s, p50 %v, p95 %v, p99 %v, max %v, errors %v",
		r.Ops, r.OK, r.Elapsed.Round(time.Millisecond), r.PerSec, r.P50, r.P95, r.P99, r.Max, r.Errors)
}

// histogram counts durations in log-linear buckets: exact below 256 ns,
// then 128 buckets per power of two, so a bucket's width is under 1% of
// the values in it (HdrHistogram's layout at two significant digits). It
// is a fixed 58 KiB whatever the run's length, where keeping every sample
// of a 10-minute run would take hundreds of megabytes.
type histogram struct {
	counts [histBuckets]uint64
	n      uint64
	max    time.Duration
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits                     // buckets per power of two
	histBuckets = 2*histSub + (63-histSubBits)*histSub // covers every positive int64
)

func histIndex(v uint64) int {
	n := bits.Len64(v)
	if n <= histSubBits+1 {
		return int(v)
	}
	shift := n - histSubBits - 1
	return 2*histSub + (shift-1)*histSub + int(v>>shift) - histSub
}

// histValue is the middle of bucket i.
func histValue(i int) uint64 {
	if i < 2*histSub {
		return uint64(i)
	}
	shift := (i-2*histSub)/histSub + 1
	top := uint64((i-2*histSub)%histSub + histSub)
	return top<<shift + (1<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q: the smallest recorded value
// (to the bucket's precision) with at least q of all values at or below
// it. Never above the exact maximum.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(histValue(i)), h.max)
		}
	}
	return h.max
}
