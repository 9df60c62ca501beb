package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

var (
	_ polls.LogReader = (*Store)(nil)
	_ polls.Watcher   = (*Store)(nil)
)

// ReadLog calls fn for each event of the poll's audit log after position
// after (a sequence number, as Event.Pos gives it; "" for the first event
// kept). It reads in chunks, each in its own read transaction, and calls
// fn between them, so a long log neither pins a transaction nor is held
// whole; the last chunk's transaction also reads the tally, which is so
// the tally as of the last event read.
func (s *Store) ReadLog(ctx context.Context, tenant, id, after string, fn func(polls.Event) error) (tail polls.LogTail, err error) {
	defer wrap(&err, "read log of %s/%s", tenant, id)
	var from uint64
	if after != "" {
		if from, err = strconv.ParseUint(after, 10, 64); err != nil {
			return tail, fmt.Errorf("log position %q is not one of this store's", after)
		}
	}
	tail.Last = after
	for first := true; ; first = false {
		var (
			chunk  []polls.Event
			done   bool
			themes int
			fields map[string]string
		)
		err := s.view(ctx, func(tx *bolt.Tx) error {
			chunk = chunk[:0]
			pb, p, err := loadPoll(tx, tenant, id)
			if err != nil {
				return err
			}
			c := pb.Bucket(bktLog).Cursor()
			k, v := c.Seek(binary.BigEndian.AppendUint64(nil, from+1))
			if first && after == "" && k != nil && binary.BigEndian.Uint64(k) > 1 {
				tail.Trimmed = true
			}
			for ; k != nil && len(chunk) < s.chunk; k, v = c.Next() {
				e, err := decodeEvent(k, v)
				if err != nil {
					return err
				}
				chunk = append(chunk, e)
			}
			if k != nil {
				return nil
			}
			done, themes, fields = true, len(p.Themes), map[string]string{}
			return pb.Bucket(bktTally).ForEach(func(k, v []byte) error {
				fields[string(k)] = string(v)
				return nil
			})
		})
		if err != nil {
			return tail, err
		}
		for _, e := range chunk {
			if err := fn(e); err != nil {
				return tail, err
			}
		}
		if len(chunk) > 0 {
			tail.Last = chunk[len(chunk)-1].Pos
			from, _ = strconv.ParseUint(tail.Last, 10, 64)
		}
		if done {
			tail.Tally, err = polls.ParseTally(themes, fields)
			return tail, err
		}
	}
}

// decodeEvent reads a log entry (see event).
func decodeEvent(k, v []byte) (polls.Event, error) {
	var e event
	if len(k) != 8 {
		return polls.Event{}, fmt.Errorf("%w: log key %x", errCorrupt, k)
	}
	if err := json.NewDecoder(bytes.NewReader(v)).Decode(&e); err != nil {
		return polls.Event{}, fmt.Errorf("%w: log entry %d: %v", errCorrupt, binary.BigEndian.Uint64(k), err)
	}
	out := polls.Event{
		Pos: strconv.FormatUint(binary.BigEndian.Uint64(k), 10), Kind: polls.EventKind(e.E),
		Voter: e.U, Group: polls.Group(e.G), Delta: e.D, At: time.UnixMilli(e.T).UTC(),
	}
	if e.C != 0 {
		out.Deadline = time.UnixMilli(e.C).UTC()
	}
	return out, nil
}

// Watch returns a channel that receives a value after each committed
// change of the poll that its log records (votes, closes, cancellations,
// reopenings, deadlines), until ctx is done. bbolt holds its file for one
// process, so the changes are all this process's: the store tells its
// watchers when the transaction that made one commits.
func (s *Store) Watch(ctx context.Context, tenant, id string) (<-chan struct{}, error) {
	err := s.view(ctx, func(tx *bolt.Tx) error {
		_, _, err := loadPoll(tx, tenant, id)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("boltstore: watch %s/%s: %w", tenant, id, err)
	}
	return s.watchers.add(ctx, polls.Key{Tenant: tenant, ID: id}), nil
}

// watchers are the channels of Watch, per poll.
type watchers struct {
	mu sync.Mutex
	m  map[polls.Key]map[chan struct{}]struct{}
}

func (w *watchers) add(ctx context.Context, k polls.Key) <-chan struct{} {
	ch := make(chan struct{}, 1)
	w.mu.Lock()
	if w.m == nil {
		w.m = map[polls.Key]map[chan struct{}]struct{}{}
	}
	if w.m[k] == nil {
		w.m[k] = map[chan struct{}]struct{}{}
	}
	w.m[k][ch] = struct{}{}
	w.mu.Unlock()
	context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		delete(w.m[k], ch)
		if len(w.m[k]) == 0 {
			delete(w.m, k)
		}
		close(ch)
	})
	return ch
}

// changed tells the poll's watchers, without waiting for any: a watcher
// with a value already waiting has it merged with this one.
func (w *watchers) changed(k polls.Key) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for ch := range w.m[k] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// notifyOnCommit tells the poll's watchers once tx commits (not if it
// rolls back, nor more than once if bbolt's batch runs the transaction's
// function again).
func (s *Store) notifyOnCommit(tx *bolt.Tx, tenant, id string) {
	tx.OnCommit(func() { s.watchers.changed(polls.Key{Tenant: tenant, ID: id}) })
}
