package kit

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs the work an adapter does after a request has been answered
// (confirmations, follow-ups, chart uploads): at most Size pieces at once,
// each with its own timeout, all awaited by Stop.
//
// A full pool pushes back on the caller instead of queueing: Go waits on
// the request's goroutine for a free slot, so a burst of requests is
// acknowledged no faster than their confirmations can be delivered, and
// the backlog of confirmations cannot grow while acknowledgements race
// ahead (see docs/ARCHITECTURE.md, "The vote path"). The wait is bounded
// (Wait): a request must still be acknowledged within the platform's 3 s,
// so past it the work starts anyway, beside the full pool. Memory is
// bounded all the same, by Size plus the requests in flight, which the
// HTTP server bounds.
//
// The work runs on worker goroutines that stay a while after their piece
// for the next one (workerIdle): a vote's confirmation is a deep call
// (an HTTP request) that outgrows a new goroutine's stack, and a
// goroutine per piece grew, and copied, its stack for every vote.
type Pool struct {
	tasks    Tasks // counts the pieces, not the workers
	slots    chan struct{}
	wait     time.Duration
	timeout  time.Duration
	overflow atomic.Int64
	work     chan func()   // idle workers receive the next piece here
	quit     chan struct{} // closed by Stop: idle workers leave
	stopOnce sync.Once
}

// workerIdle is how long a worker waits for another piece before it
// leaves.
const workerIdle = 10 * time.Second

// NewPool returns a pool that runs at most size pieces of work at once,
// makes a caller wait at most wait for a slot, and gives each piece
// timeout to finish.
func NewPool(size int, wait, timeout time.Duration) *Pool {
	return &Pool{slots: make(chan struct{}, max(size, 1)), wait: wait, timeout: timeout,
		work: make(chan func()), quit: make(chan struct{})}
}

// Size is the most pieces of work that run at once.
func (p *Pool) Size() int { return cap(p.slots) }

// Running is how many pieces hold a slot now.
func (p *Pool) Running() int { return len(p.slots) }

// Overflowed counts the pieces that started beside a full pool because
// their caller had waited Wait.
func (p *Pool) Overflowed() int64 { return p.overflow.Load() }

// Go runs f after taking a slot, waiting for one as described on Pool. f's
// context carries ctx's values but not its cancellation (the request that
// started the work is over by then), and the pool's timeout. Once Stop has
// begun, f runs on the caller's goroutine.
func (p *Pool) Go(ctx context.Context, f func(ctx context.Context)) {
	p.GoWithin(ctx, p.timeout, f)
}

// GoWithin is Go with timeout d for f instead of the pool's: for work
// whose bound is known to be shorter, such as one HTTP call with its
// client's timeout (given to the call's context as its deadline, the
// client needs no timer of its own for it).
func (p *Pool) GoWithin(ctx context.Context, d time.Duration, f func(ctx context.Context)) {
	held := p.acquire()
	piece := func() {
		if held {
			defer func() { <-p.slots }()
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d)
		defer cancel()
		f(ctx)
	}
	if !p.tasks.start() {
		piece()
		return
	}
	job := func() {
		defer p.tasks.done()
		piece()
	}
	select {
	case p.work <- job: // an idle worker took it
	default:
		go p.worker(job)
	}
}

// worker runs job, then the pieces idle workers are handed, until none
// comes for workerIdle or the pool stops.
func (p *Pool) worker(job func()) {
	job()
	idle := time.NewTimer(workerIdle)
	defer idle.Stop()
	for {
		select {
		case job := <-p.work:
			job()
			idle.Reset(workerIdle)
		case <-idle.C:
			return
		case <-p.quit:
			return
		}
	}
}

// acquire takes a slot, waiting at most p.wait; it reports whether it got
// one. It does not give up when the request's context ends: the work
// still has to be done (a vote was counted and its voter is owed the
// confirmation).
func (p *Pool) acquire() bool {
	select {
	case p.slots <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
		return true
	case <-t.C:
		p.overflow.Add(1)
		return false
	}
}

// Wait blocks until the work started so far is done.
func (p *Pool) Wait() { p.tasks.Wait() }

// Stop makes later work run inline, waits for the work running and lets
// the idle workers go.
func (p *Pool) Stop() {
	p.tasks.Stop()
	p.stopOnce.Do(func() { close(p.quit) })
}
