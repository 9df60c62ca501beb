package boltstore

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

// writers is the concurrency of the write benchmarks: 50 goroutines, as
// many voters clicking at once. b.SetParallelism multiplies by GOMAXPROCS.
const writers = 50

func setWriters(b *testing.B) {
	b.SetParallelism(max(1, writers/runtime.GOMAXPROCS(0)))
}

// BenchmarkCast casts ballots of distinct voters into one poll from 50
// goroutines: every cast a durable (fsynced) commit. "batched" is the
// store as it runs; "unbatched" gives each cast a commit of its own, the
// cost bbolt's batching saves; "nosync" skips fsync (not an option the
// store offers: it shows what the disk costs).
func BenchmarkCast(b *testing.B) {
	for _, mode := range []string{"batched", "unbatched", "nosync"} {
		b.Run(mode, func(b *testing.B) {
			s := openTemp(b)
			s.unbatched = mode == "unbatched"
			s.db.NoSync = mode == "nosync"
			ctx := context.Background()
			p := &polls.Poll{ID: "BNCH", Tenant: "bench", Title: "Bench", Kind: polls.Approval,
				Themes: []polls.Theme{{Label: "A"}, {Label: "B"}, {Label: "C"}, {Label: "D"}, {Label: "E"}},
				Status: polls.StatusOpen, OpenedAt: time.Now()}
			p.Normalize()
			if err := s.CreatePoll(ctx, p); err != nil {
				b.Fatal(err)
			}
			groups := polls.DefaultGroups
			var n atomic.Int64
			setWriters(b)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					ballot := polls.Ballot{
						Voter:   fmt.Sprintf("U%08d", i),
						Group:   groups[i%int64(len(groups))].ID,
						Choices: []int{int(i % 5)},
						Points:  []int64{1},
						CastAt:  time.Now(),
					}
					if _, err := s.Cast(ctx, p.Tenant, p.ID, ballot, ""); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
			t, err := s.Tally(ctx, p.Tenant, p.ID)
			if err != nil || t.Total() != int64(b.N) {
				b.Fatalf("tally total %d, %v; want %d", t.Total(), err, b.N)
			}
		})
	}
}

// BenchmarkEmptyUpdate is the baseline: an empty bbolt write transaction
// from 50 goroutines, each commit an fsync of the file's meta page.
// BenchmarkEmptyBatch is the baseline a batched cast compares with: an
// empty write through the store's own write path (bbolt's Batch, so
// concurrent writers share a commit and its fsync, as casts do).
// BenchmarkEmptyUpdate commits each write alone, which is the baseline
// of an unbatched cast, not of a batched one.
func BenchmarkEmptyBatch(b *testing.B) {
	s := openTemp(b)
	ctx := context.Background()
	setWriters(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.update(ctx, func(*bolt.Tx) error { return nil }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}

func BenchmarkEmptyUpdate(b *testing.B) {
	s := openTemp(b)
	setWriters(b)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.db.Update(func(*bolt.Tx) error { return nil }); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
}
