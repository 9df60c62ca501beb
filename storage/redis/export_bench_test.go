package redisstore

import (
	"context"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// BenchmarkHundredThousandBallots measures what a facilitator waits for
// at the end of a large poll: the report of a 100,000-ballot poll (tally
// read + computation) and the ballots CSV export, streamed from Redis
// (HSCAN in chunks), with the peak heap the export adds. Goals (issue 6):
// report < 5 ms, export < 2 s with < 64 MiB extra memory.
func BenchmarkHundredThousandBallots(b *testing.B) {
	const ballots = 100_000
	s := benchStore(b)
	ctx := context.Background()
	p := newPoll("slack:T1", "HUGE", polls.Approval, 10)
	mustCreate(b, s, p)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range benchWorkers {
		wg.Go(func() {
			for i := next.Add(1); i <= ballots; i = next.Add(1) {
				a, z := int(i%10), int((i+3)%10)
				bl := polls.Ballot{Voter: "U" + strconv.FormatInt(i, 10), Group: benchGroups[i%int64(len(benchGroups))],
					Choices: []int{min(a, z), max(a, z)}, CastAt: time.Now()}
				if _, err := s.Cast(ctx, p.Tenant, p.ID, bl, ""); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	gs := polls.MustGroups(polls.DefaultGroups)

	b.Run("report", func(b *testing.B) {
		for b.Loop() {
			t, err := s.Tally(ctx, p.Tenant, p.ID)
			if err != nil {
				b.Fatal(err)
			}
			if r := polls.ComputeReport(p, t, gs); r.Ballots != ballots {
				b.Fatalf("report of %d ballots", r.Ballots)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/report")
	})

	b.Run("ballots-csv", func(b *testing.B) {
		var peak uint64
		for b.Loop() {
			runtime.GC()
			base := heapBytes()
			stop := make(chan struct{})
			sampled := make(chan uint64)
			go func() {
				var max uint64
				t := time.NewTicker(2 * time.Millisecond)
				defer t.Stop()
				for {
					if h := heapBytes(); h > max {
						max = h
					}
					select {
					case <-stop:
						sampled <- max
						return
					case <-t.C:
					}
				}
			}()
			w := report.NewBallotsCSV(io.Discard, p, gs)
			n := 0
			err := s.Ballots(ctx, p.Tenant, p.ID, func(bl polls.Ballot) error { n++; return w.Write(bl) })
			if err == nil {
				err = w.Flush()
			}
			close(stop)
			if m := <-sampled; m > base && m-base > peak {
				peak = m - base
			}
			if err != nil || n != ballots {
				b.Fatalf("exported %d ballots: %v", n, err)
			}
		}
		b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/export")
		b.ReportMetric(float64(peak)/(1<<20), "peak-extra-MiB")
	})
}

// heapBytes is the live heap as the runtime counts it, without stopping
// the world (runtime.ReadMemStats would, and slow what it measures).
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}
