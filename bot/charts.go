package bot

import (
	"sync"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// chartCache keeps the charts last rendered, by what they show: a poll's
// tally version and status. A chart costs tens of milliseconds of CPU and
// the same report is asked for again and again in a meeting; it is drawn
// once per change.
type chartCache struct {
	mu      sync.Mutex
	entries map[chartKey]chartEntry
}

type chartKey struct {
	poll    polls.Key
	version int64
	status  polls.Status
	closed  time.Time
	held    int64
}

type chartEntry struct {
	png  []byte
	used time.Time
}

// maxCharts bounds the cache (a chart is about 60 KB).
const maxCharts = 64

// get returns the chart of r, drawing it with draw if it is not cached. A
// report without a known tally version is never cached.
func (c *chartCache) get(p *polls.Poll, r *polls.Report, draw func() ([]byte, error)) ([]byte, error) {
	if r.Version == 0 {
		return draw()
	}
	k := chartKey{poll: p.Key(), version: r.Version, status: r.Poll.Status, closed: r.Poll.ClosedAt, held: r.Held}
	c.mu.Lock()
	if e, ok := c.entries[k]; ok {
		e.used = time.Now()
		c.entries[k] = e
		c.mu.Unlock()
		return e.png, nil
	}
	c.mu.Unlock()
	png, err := draw()
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = map[chartKey]chartEntry{}
	}
	if len(c.entries) >= maxCharts {
		var oldest chartKey
		var at time.Time
		for k, e := range c.entries {
			if at.IsZero() || e.used.Before(at) {
				oldest, at = k, e.used
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[k] = chartEntry{png: png, used: time.Now()}
	return png, nil
}

// reportsPerMinute bounds the public reports of one poll.
const reportsPerMinute = 6
