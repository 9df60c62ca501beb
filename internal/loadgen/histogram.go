package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// Histogram counts durations in log-linear buckets: exact below 256 ns,
// then 128 buckets per power of two, so a bucket's width is under 1% of
// the values in it (HdrHistogram's layout at two significant digits). It
// is a fixed 58 KiB whatever the run's length, where keeping every sample
// of a 10-minute run would take hundreds of megabytes. The zero value is
// empty and ready; it is not safe for concurrent use (merge per-goroutine
// histograms instead).
type Histogram struct {
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

// Record counts d; negative durations count as 0.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[histIndex(uint64(d))]++
	h.n++
	if d > h.max {
		h.max = d
	}
}

// Merge adds o's counts to h. A nil o adds nothing.
func (h *Histogram) Merge(o *Histogram) {
	if o == nil || o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// Count is the number of recorded durations.
func (h *Histogram) Count() int64 {
	if h == nil {
		return 0
	}
	return int64(h.n)
}

// Max is the largest recorded duration, exactly.
func (h *Histogram) Max() time.Duration {
	if h == nil {
		return 0
	}
	return h.max
}

// Quantile returns the value at quantile q (0.99 for p99): the smallest
// recorded value (to the bucket's precision) with at least q of all values
// at or below it. Never above the exact maximum; 0 when h is empty or nil.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h == nil || h.n == 0 {
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
