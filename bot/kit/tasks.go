package kit

import "sync"

// Tasks runs an adapter's work after a request has been answered
// (follow-ups, deferred deliveries) and lets the adapter wait for all of it
// at shutdown, so none is cut off. Once Stop has begun, new work runs on the
// caller's goroutine instead: a WaitGroup must not grow from zero while it
// is being waited on, and requests may still arrive while a server drains.
type Tasks struct {
	mu       sync.Mutex
	stopping bool
	wg       sync.WaitGroup
}

// Go runs f in the background, or inline once Stop has begun.
func (t *Tasks) Go(f func()) {
	if !t.start() {
		f()
		return
	}
	go func() {
		defer t.done()
		f()
	}()
}

// start counts a piece of work that is about to run in the background,
// which must then call done; it reports false, counting nothing, once
// Stop has begun.
func (t *Tasks) start() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		return false
	}
	t.wg.Add(1)
	return true
}

// Wait blocks until the work started so far is done.
func (t *Tasks) Wait() { t.wg.Wait() }

// Stop makes later work run inline and waits for the work running.
func (t *Tasks) Stop() {
	t.mu.Lock()
	t.stopping = true
	t.mu.Unlock()
	t.wg.Wait()
}

// done ends a piece start counted.
func (t *Tasks) done() { t.wg.Done() }
