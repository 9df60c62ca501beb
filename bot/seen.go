package bot

import (
	"sync"
	"time"
)

// Seen remembers platform delivery keys for a while, so a delivery the
// platform repeats (a Slack retry, a re-sent Socket Mode envelope, a
// redelivered Discord interaction) is acknowledged but not acted on twice.
// It matters because a button click toggles: applying it twice would undo
// it. It is per process (see Engine.FirstDelivery for replicas) and bounded
// in time and size: keys are kept in arrival order and share one TTL, so
// the oldest go first.
type Seen struct {
	ttl  time.Duration
	size int

	mu    sync.Mutex
	keys  map[string]time.Time
	order []seenKey
}

type seenKey struct {
	key string
	exp time.Time
}

// NewSeen returns a cache keeping at most size keys for ttl each.
func NewSeen(ttl time.Duration, size int) *Seen {
	return &Seen{ttl: ttl, size: max(size, 1), keys: map[string]time.Time{}}
}

// First records key and reports whether it is new. Empty keys are always
// new: a payload without an id cannot be matched.
func (d *Seen) First(key string, now time.Time) bool {
	if key == "" {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.order) > 0 {
		old := d.order[0]
		if now.Before(old.exp) && len(d.order) < d.size {
			break
		}
		if d.keys[old.key] == old.exp { // not re-recorded since
			delete(d.keys, old.key)
		}
		d.order = d.order[1:]
	}
	if exp, ok := d.keys[key]; ok && now.Before(exp) {
		return false
	}
	exp := now.Add(d.ttl)
	d.keys[key] = exp
	d.order = append(d.order, seenKey{key, exp})
	return true
}
