package kit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// RetryLater is returned by a render function the platform rate-limited
// (Slack's RateLimitedError, Discord's 429 Retry-After): the coalescer keeps
// the poll pending and tries again after After.
type RetryLater struct {
	After time.Duration
	Err   error
}

func (e *RetryLater) Error() string {
	return "rate limited; retry in " + e.After.String() + ": " + e.Err.Error()
}

func (e *RetryLater) Unwrap() error { return e.Err }

// CoalescerStats counts what a coalescer did, for metrics and tests.
type CoalescerStats struct {
	Rendered    int64 // renders that succeeded
	Coalesced   int64 // touches folded into a pending render
	RateLimited int64 // renders the platform deferred
	Failed      int64 // renders that failed otherwise (dropped after retries)
}

// Coalescer re-renders poll messages after changes without flooding the
// platform: at most one render per poll per interval (2 s in production,
// within both platforms' rate limits for editing one message), and the final state is always rendered, because a touch during a
// render or its interval leaves the poll pending. A render the platform
// rate-limits is retried after its Retry-After, not lost.
//
// Touch is cheap and safe from any goroutine; Run does the rendering.
type Coalescer struct {
	interval time.Duration
	now      func() time.Time
	render   func(ctx context.Context, k polls.Key) error
	log      *slog.Logger

	mu        sync.Mutex
	pending   map[polls.Key]bool
	notBefore map[polls.Key]time.Time // earliest next render
	failures  map[polls.Key]int
	stats     CoalescerStats
	wake      chan struct{}
}

// CoalescerOption configures a Coalescer.
type CoalescerOption func(*Coalescer)

// CoalesceEvery sets the minimum time between renders of one poll
// (default 2s).
func CoalesceEvery(d time.Duration) CoalescerOption { return func(c *Coalescer) { c.interval = d } }

// CoalesceClock injects the clock (tests).
func CoalesceClock(now func() time.Time) CoalescerOption { return func(c *Coalescer) { c.now = now } }

// CoalesceLogger sets the logger.
func CoalesceLogger(l *slog.Logger) CoalescerOption { return func(c *Coalescer) { c.log = l } }

// NewCoalescer returns a coalescer that calls render for polls that
// changed.
func NewCoalescer(render func(ctx context.Context, k polls.Key) error, opts ...CoalescerOption) *Coalescer {
	c := &Coalescer{
		interval:  2 * time.Second,
		now:       time.Now,
		render:    render,
		log:       slog.New(slog.DiscardHandler),
		pending:   map[polls.Key]bool{},
		notBefore: map[polls.Key]time.Time{},
		failures:  map[polls.Key]int{},
		wake:      make(chan struct{}, 1),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Touch marks polls as changed.
func (c *Coalescer) Touch(keys ...polls.Key) {
	c.mu.Lock()
	for _, k := range keys {
		if c.pending[k] {
			c.stats.Coalesced++
		}
		c.pending[k] = true
	}
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Stats returns counts so far.
func (c *Coalescer) Stats() CoalescerStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Pending reports how many polls wait for a render.
func (c *Coalescer) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.pending)
}

// maxFailures bounds retries of a render that keeps failing (a deleted
// message, a revoked token) so it cannot loop forever.
const maxFailures = 5

// Flush renders every pending poll that is due now and returns when
// they are done. It returns the time of the next due render (zero if
// nothing is pending).
func (c *Coalescer) Flush(ctx context.Context) time.Time {
	now := c.now()
	c.mu.Lock()
	var due []polls.Key
	for k := range c.pending {
		if !now.Before(c.notBefore[k]) {
			due = append(due, k)
			delete(c.pending, k)
			c.notBefore[k] = now.Add(c.interval)
		}
	}
	c.mu.Unlock()

	for _, k := range due {
		err := c.render(ctx, k)
		c.mu.Lock()
		var rl *RetryLater
		switch {
		case err == nil:
			c.stats.Rendered++
			delete(c.failures, k)
		case errors.As(err, &rl):
			c.stats.RateLimited++
			c.pending[k] = true
			if next := c.now().Add(rl.After); next.After(c.notBefore[k]) {
				c.notBefore[k] = next
			}
			c.log.Warn("poll message update rate limited", "tenant", k.Tenant, "poll", k.ID, "retry_after", rl.After)
		case ctx.Err() != nil:
			c.pending[k] = true
		default:
			c.failures[k]++
			if c.failures[k] < maxFailures {
				c.pending[k] = true
			} else {
				c.stats.Failed++
				delete(c.failures, k)
			}
			c.log.Warn("poll message update failed", "tenant", k.Tenant, "poll", k.ID, "attempt", c.failures[k], "err", err)
		}
		c.mu.Unlock()
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	var next time.Time
	for k := range c.pending {
		if t := c.notBefore[k]; next.IsZero() || t.Before(next) {
			next = t
		}
	}
	// Forget polls that are quiet, so the maps do not grow without bound.
	for k, t := range c.notBefore {
		if !c.pending[k] && now.After(t) {
			delete(c.notBefore, k)
		}
	}
	return next
}

// Run renders pending polls until ctx is done, then renders what is still
// pending once more (best effort) so the final state is shown.
func (c *Coalescer) Run(ctx context.Context) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		next := c.Flush(ctx)
		wait := time.Hour
		if !next.IsZero() {
			wait = max(next.Sub(c.now()), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			c.mu.Lock()
			for k := range c.notBefore {
				c.notBefore[k] = time.Time{}
			}
			c.mu.Unlock()
			c.Flush(final)
			cancel()
			return
		case <-c.wake:
		case <-timer.C:
		}
	}
}
