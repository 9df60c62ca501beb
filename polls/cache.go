package polls

import (
	"sync"
	"time"
)

// openPolls caches open polls for the vote path, which would otherwise
// read the poll before every click. It is safe because what a vote reads
// from the poll is either fixed for the poll's life (themes, kind, max
// choices, anonymity) or rechecked by the store in the same atomic step
// as the vote (status and deadline): a stale entry can make a vote fail
// only where the store would fail it too, and a cached poll that fails the
// service's own pre-check is reloaded before the vote is refused.
type openPolls = expiring[Key, *Poll]

// maxCachedPolls bounds the open-poll cache.
const maxCachedPolls = 4096

// expiring is a bounded map whose entries expire, for the vote path's
// caches (open polls, memberships). A zero value is no entry: get returns
// it for a key it does not hold, and put of it deletes the key. Past max
// keys, a new key sweeps the expired entries, and everything if none has
// expired: the bound only keeps memory in check.
type expiring[K, V comparable] struct {
	ttl time.Duration // 0: off
	max int
	mu  sync.Mutex
	m   map[K]expiringEntry[V]
}

type expiringEntry[V any] struct {
	v     V
	until time.Time
}

// get returns the value of k unless it has expired.
func (c *expiring[K, V]) get(k K, now time.Time) V {
	var zero V
	if c.ttl <= 0 {
		return zero
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.until) {
		return zero
	}
	return e.v
}

// put keeps v for k for the ttl.
func (c *expiring[K, V]) put(k K, v V, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var zero V
	if v == zero {
		delete(c.m, k)
		return
	}
	if c.m == nil {
		c.m = map[K]expiringEntry[V]{}
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= c.max {
		for k, e := range c.m {
			if now.After(e.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[k] = expiringEntry[V]{v: v, until: now.Add(c.ttl)}
}

func (c *expiring[K, V]) drop(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}
