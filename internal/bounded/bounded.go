// Package bounded holds Map, the memo the vote path keeps of what it
// would otherwise build again for every click (a poll's words, a count's
// words, a poll's Redis keys): a map safe for concurrent use that is
// emptied when it reaches its bound, so that however many keys come it
// holds at most that many, and a busy key is built again at most once
// per emptying.
package bounded

import "sync"

// Map is a bounded memo; its zero value is empty and ready to use.
type Map[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

// Get returns the value kept for k.
func (c *Map[K, V]) Get(k K) (V, bool) {
	c.mu.RLock()
	v, ok := c.m[k]
	c.mu.RUnlock()
	return v, ok
}

// Put keeps v for k, first emptying the map when it holds limit keys.
func (c *Map[K, V]) Put(k K, v V, limit int) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= limit {
		c.m = make(map[K]V)
	}
	c.m[k] = v
	c.mu.Unlock()
}

// Load returns the value kept for k, or builds it with build, keeps it
// (as Put) and returns it.
func (c *Map[K, V]) Load(k K, limit int, build func() V) V {
	if v, ok := c.Get(k); ok {
		return v
	}
	v := build()
	c.Put(k, v, limit)
	return v
}

// Len is how many keys the map holds.
func (c *Map[K, V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}
