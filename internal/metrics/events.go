package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/pollbot/pollbot/polls"
)

var (
	_ polls.LogReader = (*Store)(nil)
	_ polls.Watcher   = (*Store)(nil)
)

// ReadLog times reading a poll's audit log, when the wrapped store can
// (polls.ErrNoLog otherwise).
func (s *Store) ReadLog(ctx context.Context, tenant, id, after string, fn func(polls.Event) error) (tail polls.LogTail, err error) {
	lr, ok := s.Store.(polls.LogReader)
	if !ok {
		return tail, polls.ErrNoLog
	}
	defer func(t time.Time) { s.done("read_log", t, err) }(time.Now())
	return lr.ReadLog(ctx, tenant, id, after, fn)
}

// Watch passes through to the wrapped store, when it can watch polls.
func (s *Store) Watch(ctx context.Context, tenant, id string) (<-chan struct{}, error) {
	w, ok := s.Store.(polls.Watcher)
	if !ok {
		return nil, fmt.Errorf("watch %s/%s: the store cannot watch polls", tenant, id)
	}
	return w.Watch(ctx, tenant, id)
}
