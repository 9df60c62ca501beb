package kit_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/kit"
)

// TestPoolPushesBack: a full pool makes the caller wait for a slot (the
// request is acknowledged no faster than its confirmation can start), runs
// at most Size pieces at once, and runs every piece.
func TestPoolPushesBack(t *testing.T) {
	const size = 4
	p := kit.NewPool(size, time.Hour, time.Minute)
	release := make(chan struct{})
	var running, peak, done atomic.Int64
	work := func(context.Context) {
		r := running.Add(1)
		for {
			old := peak.Load()
			if r <= old || peak.CompareAndSwap(old, r) {
				break
			}
		}
		<-release
		running.Add(-1)
		done.Add(1)
	}
	for range size {
		p.Go(context.Background(), work) // returns at once: there are slots
	}
	returned := make(chan struct{})
	go func() {
		p.Go(context.Background(), work)
		close(returned)
	}()
	select {
	case <-returned:
		t.Fatal("Go returned while the pool was full and the wait had not run out")
	case <-time.After(100 * time.Millisecond):
	}
	if p.Running() != size {
		t.Errorf("Running() = %d, want %d", p.Running(), size)
	}
	close(release)
	<-returned
	p.Wait()
	if done.Load() != size+1 {
		t.Errorf("%d of %d pieces ran", done.Load(), size+1)
	}
	if peak.Load() > size {
		t.Errorf("%d pieces ran at once, want at most %d", peak.Load(), size)
	}
	if p.Overflowed() != 0 {
		t.Errorf("Overflowed() = %d, want 0", p.Overflowed())
	}
}

// TestPoolOverflowsAfterWait: a caller that has waited its whole wait
// starts its work beside the full pool rather than dropping it or holding
// the request past the platform's deadline.
func TestPoolOverflowsAfterWait(t *testing.T) {
	p := kit.NewPool(1, 20*time.Millisecond, time.Minute)
	release := make(chan struct{})
	p.Go(context.Background(), func(context.Context) { <-release })
	ran := make(chan struct{})
	p.Go(context.Background(), func(context.Context) { close(ran) })
	<-ran
	if p.Overflowed() != 1 {
		t.Errorf("Overflowed() = %d, want 1", p.Overflowed())
	}
	close(release)
	p.Wait()
	if p.Running() != 0 {
		t.Errorf("Running() = %d after Wait, want 0", p.Running())
	}
}

// TestPoolDetachesAndTimesOut: the work outlives the request's context but
// not the pool's timeout, and keeps the request's values.
func TestPoolDetachesAndTimesOut(t *testing.T) {
	type key struct{}
	p := kit.NewPool(2, time.Second, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	var errBefore, errAfter error
	var value any
	p.Go(ctx, func(ctx context.Context) {
		defer wg.Done()
		errBefore, value = ctx.Err(), ctx.Value(key{})
		<-ctx.Done()
		errAfter = ctx.Err()
	})
	wg.Wait()
	if errBefore != nil || value != "v" {
		t.Errorf("work saw err %v and value %v, want no error and the request's value", errBefore, value)
	}
	if errAfter != context.DeadlineExceeded {
		t.Errorf("work ended with %v, want the pool's timeout", errAfter)
	}
}

// TestPoolStop: Stop waits for running work; work started after it runs
// inline.
func TestPoolStop(t *testing.T) {
	p := kit.NewPool(2, time.Second, time.Minute)
	release := make(chan struct{})
	var done atomic.Int32
	p.Go(context.Background(), func(context.Context) { <-release; done.Add(1) })
	stopped := make(chan struct{})
	go func() { p.Stop(); close(stopped) }()
	close(release)
	<-stopped
	if done.Load() != 1 {
		t.Fatal("Stop returned before the running work finished")
	}
	p.Go(context.Background(), func(context.Context) { done.Add(1) })
	if done.Load() != 2 {
		t.Error("work started after Stop did not run inline")
	}
}

// TestPoolGoWithin: a piece given its own timeout gets it, not the
// pool's, and still takes a slot.
func TestPoolGoWithin(t *testing.T) {
	p := kit.NewPool(1, time.Second, time.Hour)
	got := make(chan time.Duration, 1)
	start := time.Now()
	p.GoWithin(context.Background(), 5*time.Second, func(ctx context.Context) {
		d, ok := ctx.Deadline()
		if !ok {
			got <- -1
			return
		}
		if p.Running() != 1 {
			got <- -2
			return
		}
		got <- d.Sub(start)
	})
	p.Wait()
	if d := <-got; d <= 4*time.Second || d > 6*time.Second {
		t.Errorf("deadline %v after the start, want 5s (the pool's is an hour)", d)
	}
}

// TestPoolReusesWorkers: pieces run one after another take the same
// worker instead of a new goroutine each (whose stack a deep piece would
// grow every time); Wait does not wait for idle workers; Stop lets them
// go.
func TestPoolReusesWorkers(t *testing.T) {
	p := kit.NewPool(8, time.Hour, time.Minute)
	before := runtime.NumGoroutine()
	var ran atomic.Int64
	goroutines := map[string]int{}
	for range 100 {
		var g string
		p.Go(context.Background(), func(context.Context) {
			ran.Add(1)
			buf := make([]byte, 64)
			g, _, _ = strings.Cut(string(buf[:runtime.Stack(buf, false)]), " [") // "goroutine 42"
		})
		p.Wait()
		goroutines[g]++
		// The worker parks again after Wait sees its piece done.
		time.Sleep(time.Millisecond)
	}
	if ran.Load() != 100 {
		t.Fatalf("%d of 100 pieces ran", ran.Load())
	}
	if len(goroutines) != 1 {
		t.Errorf("100 pieces one after another ran on %d goroutines, want one worker", len(goroutines))
	}
	if n := runtime.NumGoroutine() - before; n > 2 {
		t.Errorf("100 pieces one after another left %d goroutines, want the one worker", n)
	}
	p.Stop()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine() - before; n > 0 {
		t.Errorf("%d workers stayed after Stop", n)
	}
	p.Go(context.Background(), func(context.Context) { ran.Add(1) })
	if ran.Load() != 101 {
		t.Error("a piece given after Stop did not run inline")
	}
}
