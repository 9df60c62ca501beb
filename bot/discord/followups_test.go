package discord

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestFollowUpsBounded: follow-up work runs in a bounded pool, like
// Slack's deferred deliveries: a burst of interactions queues its
// follow-ups instead of running them all at once, and every one runs.
func TestFollowUpsBounded(t *testing.T) {
	a := &Adapter{followUps: make(chan struct{}, maxFollowUps), log: slog.New(slog.DiscardHandler)}
	var running, peak, done, starts atomic.Int64
	release := make(chan struct{})
	var started sync.WaitGroup
	const n = 3 * maxFollowUps
	started.Add(maxFollowUps)
	for range n {
		a.goAfter(context.Background(), func(context.Context) {
			r := running.Add(1)
			for {
				p := peak.Load()
				if r <= p || peak.CompareAndSwap(p, r) {
					break
				}
			}
			if starts.Add(1) <= maxFollowUps {
				started.Done()
			}
			<-release
			running.Add(-1)
			done.Add(1)
		})
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // any follow-up past the bound would start now
	if p := peak.Load(); p != maxFollowUps {
		t.Errorf("%d follow-ups ran at once, want %d", p, maxFollowUps)
	}
	close(release)
	a.tasks.Wait()
	if done.Load() != n {
		t.Errorf("%d of %d follow-ups ran", done.Load(), n)
	}
}
