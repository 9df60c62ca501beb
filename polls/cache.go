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
type openPolls struct {
	ttl time.Duration
	mu  sync.Mutex
	m   map[Key]cachedPoll
}

type cachedPoll struct {
	p     *Poll
	until time.Time
}

// maxCachedPolls bounds the cache; past it, expired entries are swept.
const maxCachedPolls = 4096

func (c *openPolls) get(k Key, now time.Time) *Poll {
	if c.ttl <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.until) {
		return nil
	}
	return e.p
}

func (c *openPolls) put(p *Poll, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[Key]cachedPoll{}
	}
	if len(c.m) >= maxCachedPolls {
		for k, e := range c.m {
			if now.After(e.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCachedPolls {
			clear(c.m)
		}
	}
	c.m[p.Key()] = cachedPoll{p: p, until: now.Add(c.ttl)}
}

func (c *openPolls) drop(k Key) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}
