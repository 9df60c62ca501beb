package kit_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/polls"
)

type renderLog struct {
	mu    sync.Mutex
	calls map[polls.Key]int
	fail  func(k polls.Key, n int) error
}

func (r *renderLog) render(_ context.Context, k polls.Key) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.calls == nil {
		r.calls = map[polls.Key]int{}
	}
	r.calls[k]++
	if r.fail != nil {
		return r.fail(k, r.calls[k])
	}
	return nil
}

func (r *renderLog) n(k polls.Key) int { r.mu.Lock(); defer r.mu.Unlock(); return r.calls[k] }

func TestCoalescerAtMostOnePerInterval(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	var rl renderLog
	c := kit.NewCoalescer(rl.render, kit.CoalesceClock(clock.Now))
	ctx := context.Background()
	a, b := polls.Key{Tenant: "slack:T", ID: "AAAA"}, polls.Key{Tenant: "slack:T", ID: "BBBB"}

	c.Touch(a)
	c.Flush(ctx)
	if rl.n(a) != 1 {
		t.Fatalf("first touch not rendered at once: %d", rl.n(a))
	}
	// A burst of votes within the interval: no render until it passes,
	// then exactly one, showing the final state.
	for range 50 {
		c.Touch(a)
		clock.Advance(10 * time.Millisecond)
		c.Flush(ctx)
	}
	c.Touch(b)
	next := c.Flush(ctx)
	if rl.n(a) != 1 || rl.n(b) != 1 {
		t.Fatalf("renders within the interval: a=%d b=%d", rl.n(a), rl.n(b))
	}
	if want := time.Date(2026, 11, 23, 10, 0, 2, 0, time.UTC); !next.Equal(want) {
		t.Errorf("next render at %v, want %v", next, want)
	}
	clock.Advance(2 * time.Second)
	c.Flush(ctx)
	if rl.n(a) != 2 {
		t.Errorf("final state not rendered: a=%d", rl.n(a))
	}
	if c.Pending() != 0 {
		t.Errorf("%d polls still pending", c.Pending())
	}
	if st := c.Stats(); st.Rendered != 3 || st.Coalesced != 49 {
		t.Errorf("stats = %+v, want 3 rendered, 49 coalesced", st)
	}
}

func TestCoalescerRateLimitedIsDelayedNotLost(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	rl := renderLog{fail: func(_ polls.Key, n int) error {
		if n == 1 {
			return &kit.RetryLater{After: 30 * time.Second, Err: errors.New("429")}
		}
		return nil
	}}
	c := kit.NewCoalescer(rl.render, kit.CoalesceClock(clock.Now))
	ctx := context.Background()
	k := polls.Key{Tenant: "discord:1", ID: "K7QX"}
	c.Touch(k)
	next := c.Flush(ctx)
	if want := clock.Now().Add(30 * time.Second); !next.Equal(want) {
		t.Fatalf("retry at %v, want %v (Retry-After honoured)", next, want)
	}
	clock.Advance(29 * time.Second)
	c.Flush(ctx)
	if rl.n(k) != 1 {
		t.Fatalf("retried before Retry-After: %d calls", rl.n(k))
	}
	clock.Advance(time.Second)
	c.Flush(ctx)
	if rl.n(k) != 2 || c.Pending() != 0 {
		t.Fatalf("update lost after rate limit: %d calls, %d pending", rl.n(k), c.Pending())
	}
	if st := c.Stats(); st.RateLimited != 1 || st.Rendered != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestCoalescerGivesUpOnPermanentFailure(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	rl := renderLog{fail: func(polls.Key, int) error { return errors.New("message_not_found") }}
	c := kit.NewCoalescer(rl.render, kit.CoalesceClock(clock.Now))
	k := polls.Key{Tenant: "slack:T", ID: "GONE"}
	c.Touch(k)
	for range 20 {
		c.Flush(context.Background())
		clock.Advance(3 * time.Second)
	}
	if rl.n(k) != 5 || c.Pending() != 0 || c.Stats().Failed != 1 {
		t.Errorf("calls %d, pending %d, stats %+v; want 5 tries then dropped", rl.n(k), c.Pending(), c.Stats())
	}
}

func TestCoalescerRunRendersFinalStateOnStop(t *testing.T) {
	var rl renderLog
	c := kit.NewCoalescer(rl.render, kit.CoalesceEvery(time.Hour))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	k := polls.Key{Tenant: "slack:T", ID: "RUNS"}
	c.Touch(k)
	deadline := time.Now().Add(5 * time.Second)
	for rl.n(k) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	c.Touch(k) // within the hour: pending until shutdown
	cancel()
	<-done
	if rl.n(k) != 2 {
		t.Errorf("renders = %d, want 2 (the final state on shutdown)", rl.n(k))
	}
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestCoalescerRendersSideBySide: with many polls due at once, renders run
// side by side, never more than the workers allowed; every poll is
// rendered once.
func TestCoalescerRendersSideBySide(t *testing.T) {
	const workers, n = 4, 40
	var (
		mu       sync.Mutex
		inflight int
		most     int
		seen     = map[polls.Key]int{}
		full     = make(chan struct{})
		once     sync.Once
	)
	c := kit.NewCoalescer(func(ctx context.Context, k polls.Key) error {
		mu.Lock()
		inflight++
		most = max(most, inflight)
		seen[k]++
		if inflight == workers {
			once.Do(func() { close(full) })
		}
		mu.Unlock()
		// The first renders wait until workers of them are in flight
		// together: only renders side by side get past this.
		select {
		case <-full:
		case <-time.After(10 * time.Second):
			t.Error("renders never ran side by side")
		}
		mu.Lock()
		inflight--
		mu.Unlock()
		return nil
	}, kit.CoalesceWorkers(workers))
	var keys []polls.Key
	for i := range n {
		keys = append(keys, polls.Key{Tenant: "t", ID: fmt.Sprintf("P%03d", i)})
	}
	c.Touch(keys...)
	c.Flush(context.Background())
	if most != workers {
		t.Errorf("at most %d renders in flight, want %d", most, workers)
	}
	if len(seen) != n {
		t.Errorf("%d polls rendered, want %d", len(seen), n)
	}
	for k, times := range seen {
		if times != 1 {
			t.Errorf("%s rendered %d times", k.ID, times)
		}
	}
	if got := c.Stats().Rendered; got != n {
		t.Errorf("stats: %d rendered, want %d", got, n)
	}
}
