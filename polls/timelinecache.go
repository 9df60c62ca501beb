package polls

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrNoLog is returned by Service.Timeline when the store cannot read
// audit logs.
var ErrNoLog = fmt.Errorf("store keeps no readable audit log: %w", errors.ErrUnsupported)

// Timeline returns p's timeline (see Timeline), computed from its audit
// log. Timelines are kept per poll with the log position they were
// computed up to: asking again reads only the events since, and a poll
// whose log has not moved costs one short read.
func (s *Service) Timeline(ctx context.Context, p *Poll) (*Timeline, error) {
	lr, ok := s.store.(LogReader)
	if !ok {
		return nil, ErrNoLog
	}
	return s.timelines.get(ctx, lr, p, s.groups)
}

// timelineCache keeps the builders of recently asked timelines. It holds
// at most maxTimelines polls; the least recently asked goes first.
type timelineCache struct {
	mu sync.Mutex
	m  map[Key]*timelineEntry
}

// maxTimelines bounds the cache: a builder costs a few kilobytes per
// theme, and only polls on a screen or just asked about need one.
const maxTimelines = 64

type timelineEntry struct {
	mu       sync.Mutex // held while the builder reads and computes
	used     time.Time
	openedAt time.Time // the poll the builder is for
	b        *TimelineBuilder
	last     *Timeline
}

func (c *timelineCache) entry(k Key) *timelineEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[Key]*timelineEntry{}
	}
	e, ok := c.m[k]
	if !ok {
		if len(c.m) >= maxTimelines {
			var oldest Key
			var at time.Time
			for k, e := range c.m {
				if at.IsZero() || e.used.Before(at) {
					oldest, at = k, e.used
				}
			}
			delete(c.m, oldest)
		}
		e = &timelineEntry{}
		c.m[k] = e
	}
	e.used = time.Now()
	return e
}

func (c *timelineCache) get(ctx context.Context, lr LogReader, p *Poll, groups *Groups) (*Timeline, error) {
	e := c.entry(p.Key())
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.b != nil && !e.openedAt.Equal(p.OpenedAt) {
		e.b, e.last = nil, nil // another poll under the same id
	}
	for attempt := 0; ; attempt++ {
		fresh := e.b == nil
		if fresh {
			e.b, e.openedAt = NewTimelineBuilder(p, groups), p.OpenedAt
		}
		after := ""
		if !fresh {
			after = e.b.pos
		}
		added := false
		tail, err := lr.ReadLog(ctx, p.Tenant, p.ID, after, func(ev Event) error {
			added = true
			return e.b.Add(ev)
		})
		if err != nil {
			e.b, e.last = nil, nil
			return nil, fmt.Errorf("timeline of %s: %w", p.Key(), err)
		}
		if !fresh && !added && e.last != nil {
			return e.withPoll(p), nil
		}
		tl, err := e.b.Finish(tail)
		if errors.Is(err, ErrTimelineDrift) && !fresh && attempt == 0 {
			e.b = nil
			continue
		}
		if err != nil {
			e.b, e.last = nil, nil
			return nil, fmt.Errorf("timeline of %s: %w", p.Key(), err)
		}
		e.last = tl
		return e.withPoll(p), nil
	}
}

// withPoll is the kept timeline with the poll's current status and times:
// a close or a reopening is in the log, but the copy a caller gets says
// what the poll is now even before its event is read.
func (e *timelineEntry) withPoll(p *Poll) *Timeline {
	tl := *e.last
	tl.Poll = ReportPoll{
		ID: p.ID, Tenant: p.Tenant, Title: p.Title, Kind: p.Kind,
		Status: p.Status, OpenedAt: p.OpenedAt, ClosedAt: p.ClosedAt,
	}
	return &tl
}
