package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/redis/go-redis/v9"
)

var (
	_ polls.LogReader = (*Store)(nil)
	_ polls.Watcher   = (*Store)(nil)
)

// notifyLua defines notify(log key, event), which the scripts that change
// a poll call in the same atomic step as the change: it publishes the
// event's name on the poll's change channel, "<prefix>{<tenant>/<poll>}:changes"
// (the log key with its last word replaced), so every process watching
// the poll hears of it. The channel carries the poll's hash tag, so it is a
// shard channel of the poll's own slot: SPUBLISH keeps the message on that
// slot's shard of a Redis Cluster, where PUBLISH would send it to every
// node. Redis before 7 has no SPUBLISH; there the script publishes with
// PUBLISH, and watchers subscribe with SUBSCRIBE (see Watch).
const notifyLua = `
local function notify(log, what)
  local ch = string.sub(log, 1, -4) .. 'changes'
  local r = redis.pcall('SPUBLISH', ch, what)
  if type(r) == 'table' and r.err and string.find(r.err, 'nknown') then
    redis.call('PUBLISH', ch, what)
  end
end
`

// changesKey is the poll's change channel (see notifyLua).
func (s *Store) changesKey(tenant, id string) string {
	return s.pollBase(tenant, id) + "changes"
}

// logPage is how many events ReadLog reads per round trip.
const logPage = 1000

// ReadLog calls fn for each event of the poll's audit log after position
// after (a stream id, as Event.Pos gives it; "" for the first event kept).
// It reads pages of events, each in a MULTI with the tally (all of a
// poll's keys share a slot, so this also holds on a cluster): the tally of
// the last page is the tally as of its last event.
func (s *Store) ReadLog(ctx context.Context, tenant, id, after string, fn func(polls.Event) error) (tail polls.LogTail, err error) {
	defer wrap(&err, "read log", tenant, id)
	k := s.keys(tenant, id)
	tail.Last = after
	start := "-"
	if after != "" {
		if start, err = nextStreamID(after); err != nil {
			return tail, err
		}
	}
	for first := true; ; first = false {
		var (
			page   *redis.XMessageSliceCmd
			tally  *redis.MapStringStringCmd
			def    *redis.MapStringStringCmd
			info   *redis.XInfoStreamCmd
			exists *redis.IntCmd
		)
		_, err := s.rdb.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
			def = pipe.HGetAll(ctx, k.poll)
			page = pipe.XRangeN(ctx, k.log, start, "+", logPage)
			tally = pipe.HGetAll(ctx, k.tally)
			if first && after == "" {
				exists = pipe.Exists(ctx, k.log)
				info = pipe.XInfoStream(ctx, k.log)
			}
			return nil
		})
		// XINFO STREAM fails on a poll with no log yet; the other
		// commands say what went wrong, if anything did.
		if err != nil && (info == nil || !errors.Is(err, info.Err())) {
			return tail, err
		}
		p, err := decodePoll(def.Val())
		if err != nil {
			return tail, err
		}
		if info != nil && exists.Val() == 1 {
			if err := info.Err(); err != nil {
				return tail, err
			}
			in := info.Val()
			tail.Trimmed = in.EntriesAdded > in.Length
		}
		msgs := page.Val()
		for _, m := range msgs {
			e, err := decodeStreamEvent(m)
			if err != nil {
				return tail, err
			}
			if err := fn(e); err != nil {
				return tail, err
			}
			tail.Last = m.ID
		}
		if len(msgs) < logPage {
			tail.Tally, err = polls.ParseTally(len(p.Themes), tally.Val())
			return tail, err
		}
		if start, err = nextStreamID(tail.Last); err != nil {
			return tail, err
		}
	}
}

// nextStreamID is the least stream id after id ("<ms>-<seq>"), for a range
// that starts after it (the exclusive "(id" form needs Redis 6.2).
func nextStreamID(id string) (string, error) {
	ms, seq, ok := strings.Cut(id, "-")
	m, err1 := strconv.ParseUint(ms, 10, 64)
	n, err2 := strconv.ParseUint(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return "", fmt.Errorf("log position %q is not a stream id", id)
	}
	if n == ^uint64(0) {
		return strconv.FormatUint(m+1, 10) + "-0", nil
	}
	return ms + "-" + strconv.FormatUint(n+1, 10), nil
}

// decodeStreamEvent reads an audit log entry (see the package
// documentation for its fields).
func decodeStreamEvent(m redis.XMessage) (polls.Event, error) {
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	e := polls.Event{
		Pos: m.ID, Kind: polls.EventKind(str("e")), Voter: str("u"),
		Group: polls.Group(str("g")), Delta: expandDelta(str("d"), str("g")),
	}
	if _, kind := m.Values["e"]; !kind && e.Voter != "" {
		// The vote script leaves a toggle's kind out.
		e.Kind = polls.EventToggle
	}
	at := str("t")
	if at == "" && (e.Kind == polls.EventCast || e.Kind == polls.EventToggle || e.Kind == polls.EventRetract) {
		// A vote's time, when it agreed with the server clock
		// within a second: the entry's id's.
		at, _, _ = strings.Cut(m.ID, "-")
	}
	ms, err := strconv.ParseInt(at, 10, 64)
	if err != nil {
		return polls.Event{}, fmt.Errorf("%w: log entry %s: time %q", errCorrupt, m.ID, at)
	}
	e.At = time.UnixMilli(ms).UTC()
	if c := str("c"); c != "" {
		ms, err := strconv.ParseInt(c, 10, 64)
		if err != nil {
			return polls.Event{}, fmt.Errorf("%w: log entry %s: deadline %q", errCorrupt, m.ID, c)
		}
		e.Deadline = time.UnixMilli(ms).UTC()
	}
	return e, nil
}

// expandDelta returns a log entry's change to the tally in polls.ParseDelta's
// form. The vote script leaves out the group of each field when all are of
// the entry's group g, as almost every vote's are, and then also a count
// of one ("0,n" for "0|g:1,n|g:1", "2:-1" for "2|g:-1"); a change that
// names its groups is returned as it is.
func expandDelta(d, g string) string {
	if d == "" || g == "" || strings.IndexByte(d, '|') >= 0 {
		return d
	}
	var sb strings.Builder
	sb.Grow(len(d) + (strings.Count(d, ",")+1)*(len(g)+1))
	for i, entry := range strings.Split(d, ",") {
		if i > 0 {
			sb.WriteByte(',')
		}
		head, count, ok := strings.Cut(entry, ":")
		if !ok {
			count = "1"
		}
		sb.WriteString(head)
		sb.WriteByte('|')
		sb.WriteString(g)
		sb.WriteByte(':')
		sb.WriteString(count)
	}
	return sb.String()
}

// Watch returns a channel that receives a value after each change of the
// poll made by any process sharing this Redis (the scripts publish every
// change on the poll's change channel; see notifyLua), until ctx is done.
// It holds one subscription, on the node that serves the poll's slot,
// which go-redis restores when the connection drops: the value sent then
// covers any change missed meanwhile.
func (s *Store) Watch(ctx context.Context, tenant, id string) (<-chan struct{}, error) {
	k := s.keys(tenant, id)
	n, err := s.rdb.Exists(ctx, k.poll).Result()
	if err != nil {
		return nil, fmt.Errorf("redis watch %s/%s: %w", tenant, id, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("redis watch %s/%s: %w", tenant, id, polls.ErrNotFound)
	}
	ch := s.changesKey(tenant, id)
	sharded, err := s.shardedPubSub(ctx)
	if err != nil {
		return nil, fmt.Errorf("redis watch %s/%s: %w", tenant, id, err)
	}
	var ps *redis.PubSub
	if sharded {
		ps = s.rdb.SSubscribe(ctx, ch)
	} else {
		ps = s.rdb.Subscribe(ctx, ch)
	}
	// The first reply confirms the subscription, so that no change made
	// after Watch returns is missed.
	if _, err := ps.ReceiveTimeout(ctx, 10*time.Second); err != nil {
		ps.Close()
		return nil, fmt.Errorf("redis watch %s/%s: %w", tenant, id, err)
	}
	out := make(chan struct{}, 1)
	in := ps.ChannelWithSubscriptions()
	stop := context.AfterFunc(ctx, func() { ps.Close() })
	go func() {
		defer close(out)
		defer stop()
		for range in {
			// A message is a change; a subscription confirmed again is a
			// connection restored, after which the poll may have changed.
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out, nil
}

// shardedPubSub reports whether the server has sharded pub/sub (Redis 7),
// asking it once.
func (s *Store) shardedPubSub(ctx context.Context) (bool, error) {
	s.pubsub.mu.Lock()
	defer s.pubsub.mu.Unlock()
	if s.pubsub.known {
		return s.pubsub.sharded, nil
	}
	info, err := s.rdb.Do(ctx, "COMMAND", "INFO", "SSUBSCRIBE").Slice()
	if err != nil {
		return false, err
	}
	s.pubsub.sharded = len(info) == 1 && info[0] != nil
	s.pubsub.known = true
	return s.pubsub.sharded, nil
}

// pubsubMode is what shardedPubSub learnt.
type pubsubMode struct {
	mu             sync.Mutex
	known, sharded bool
}
