package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/redis/go-redis/v9"
)

// Poll hash fields besides "def" (the poll's JSON without its state). The
// scripts read status and closes_ms (unix ms, the deadline index's unit,
// compared with the server clock); Tally reads themes; the index sync
// reads opened_ms and channel; Go reads the state back from status,
// closes_at, closed_at (RFC 3339) and messages. announce_ms, present only
// while a poll closed at its deadline owes the announcement of its close,
// is the lease of that announcement (unix ms, see CloseAtDeadline); it is
// not part of polls.Poll. Polls stored by schema 1 also have kind and
// max_choices, which nothing reads any more.
const (
	fDef        = "def"
	fThemes     = "themes"
	fOpenedMS   = "opened_ms"
	fChannel    = "channel"
	fStatus     = "status"
	fClosesMS   = "closes_ms"
	fClosesAt   = "closes_at"
	fClosedAt   = "closed_at"
	fMessages   = "messages"
	fAnnounceMS = "announce_ms"
)

// CreatePoll stores a new poll, then indexes it for its tenant and its
// deadline.
func (s *Store) CreatePoll(ctx context.Context, p *polls.Poll) (err error) {
	defer wrap(&err, "create poll", p.Tenant, p.ID)
	cp := *p
	cp.OpenedAt, cp.ClosesAt, cp.ClosedAt = stamp(p.OpenedAt), stamp(p.ClosesAt), stamp(p.ClosedAt)
	p = &cp
	fields, err := pollFields(p)
	if err != nil {
		return err
	}
	k := s.keys(p.Tenant, p.ID)
	if err := mapErr(createScript.Run(ctx, s.rdb, []string{k.poll}, fields...).Err()); err != nil {
		return err
	}
	// The tenant's indexes are in the tenant's slot, not the poll's.
	// Should this fail, the poll exists but is not listed; Poll still
	// finds it, and its next change lists it.
	z := redis.Z{Score: float64(p.OpenedAt.UnixMilli()), Member: p.ID}
	_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.ZAdd(ctx, s.pollsKey(p.Tenant), z)
		pipe.ZAdd(ctx, s.channelKey(p.Tenant, p.Channel), z)
		return nil
	})
	if err != nil {
		return err
	}
	st := statusOr(p.Status)
	return s.syncIndexes(ctx, p.Tenant, p.ID, &indexEntry{
		status: st, score: deadlineScore(p.ClosesAt, st), opened: p.OpenedAt.UnixMilli(), channel: p.Channel,
	})
}

func statusOr(st polls.Status) polls.Status {
	if st == "" {
		return polls.StatusOpen
	}
	return st
}

func pollFields(p *polls.Poll) ([]any, error) {
	def := *p
	def.Status, def.ClosesAt, def.ClosedAt, def.Messages = "", time.Time{}, time.Time{}, nil
	defJSON, err := json.Marshal(&def)
	if err != nil {
		return nil, err
	}
	fields := []any{
		fDef, defJSON,
		fThemes, len(p.Themes),
		fOpenedMS, p.OpenedAt.UnixMilli(),
		fChannel, p.Channel,
		fStatus, string(statusOr(p.Status)),
		fClosesMS, closesMS(p.ClosesAt),
		fClosesAt, formatTime(p.ClosesAt),
		fClosedAt, formatTime(p.ClosedAt),
	}
	if len(p.Messages) > 0 {
		msgs, err := json.Marshal(p.Messages)
		if err != nil {
			return nil, err
		}
		fields = append(fields, fMessages, msgs)
	}
	return fields, nil
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// closesMS is a deadline in the scripts' and the index's unit.
func closesMS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return itoa(t.UnixMilli())
}

// deadlineScore is the poll's entry in the deadline index, -1 for none.
func deadlineScore(closes time.Time, st polls.Status) int64 {
	if closes.IsZero() || st != polls.StatusOpen {
		return -1
	}
	return closes.UnixMilli()
}

// Poll returns a poll.
func (s *Store) Poll(ctx context.Context, tenant, id string) (p *polls.Poll, err error) {
	defer wrap(&err, "poll", tenant, id)
	h, err := s.rdb.HGetAll(ctx, s.keys(tenant, id).poll).Result()
	if err != nil {
		return nil, err
	}
	return decodePoll(h)
}

func decodePoll(h map[string]string) (*polls.Poll, error) {
	def, ok := h[fDef]
	if !ok {
		return nil, polls.ErrNotFound
	}
	var p polls.Poll
	if err := json.Unmarshal([]byte(def), &p); err != nil {
		return nil, fmt.Errorf("decode poll: %w", err)
	}
	p.Status = polls.Status(h[fStatus])
	var err error
	if p.ClosesAt, err = parseTime(h[fClosesAt]); err != nil {
		return nil, fmt.Errorf("decode poll deadline: %w", err)
	}
	if p.ClosedAt, err = parseTime(h[fClosedAt]); err != nil {
		return nil, fmt.Errorf("decode poll close time: %w", err)
	}
	if m := h[fMessages]; m != "" {
		if err := json.Unmarshal([]byte(m), &p.Messages); err != nil {
			return nil, fmt.Errorf("decode poll messages: %w", err)
		}
	}
	return &p, nil
}

// Polls returns a page of a tenant's polls, newest first, from the index
// the query selects: one sorted-set range and one pipeline of the page's
// polls, whatever the tenant's number of polls.
func (s *Store) Polls(ctx context.Context, tenant string, q polls.PollQuery) (page polls.PollPage, err error) {
	defer wrap(&err, "polls", tenant, "*")
	key := s.queryKey(tenant, q)
	start := int64(max(q.Offset, 0))
	var ids *redis.StringSliceCmd
	var total *redis.IntCmd
	_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		ids = pipe.ZRevRange(ctx, key, start, start+int64(q.PageSize())-1)
		total = pipe.ZCard(ctx, key)
		return nil
	})
	if err != nil {
		return page, err
	}
	page.Total = int(total.Val())
	cmds := make([]*redis.MapStringStringCmd, len(ids.Val()))
	_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, id := range ids.Val() {
			cmds[i] = pipe.HGetAll(ctx, s.keys(tenant, id).poll)
		}
		return nil
	})
	if err != nil {
		return page, err
	}
	for i, c := range cmds {
		p, err := decodePoll(c.Val())
		if errors.Is(err, polls.ErrNotFound) {
			// An index entry whose poll is gone: drop it.
			s.rdb.ZRem(ctx, key, ids.Val()[i])
			continue
		}
		if err != nil {
			return page, err
		}
		page.Polls = append(page.Polls, p)
	}
	return page, nil
}

// CountOpen returns how many of the tenant's polls are open.
func (s *Store) CountOpen(ctx context.Context, tenant string) (n int, err error) {
	defer wrap(&err, "count open polls", tenant, "*")
	c, err := s.rdb.ZCard(ctx, s.statusKey(tenant, polls.StatusOpen)).Result()
	return int(c), err
}

// ClosePoll closes or cancels a poll. The script decides who wins; the deadline
// index is brought in line afterwards, also when the poll was already
// closed, so a stale entry cannot keep coming due.
func (s *Store) ClosePoll(ctx context.Context, tenant, id string, to polls.Status, at time.Time) (changed bool, err error) {
	defer wrap(&err, "close", tenant, id)
	if to != polls.StatusClosed && to != polls.StatusCancelled {
		return false, fmt.Errorf("close to status %q: %w", to, polls.ErrInvalidOption)
	}
	return s.closeAs(ctx, tenant, id, to, at, -1)
}

// CloseAtDeadline closes an open poll whose deadline is at or before now
// and, in the same script, marks its announcement owed (announce_ms) with
// the lease; the deadline index then keeps the poll at the lease.
func (s *Store) CloseAtDeadline(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (changed bool, err error) {
	defer wrap(&err, "close at deadline", tenant, id)
	return s.closeAs(ctx, tenant, id, polls.StatusClosed, now, leaseUntil.UnixMilli())
}

// closeAs runs closeScript with a lease (-1: none) and syncs the index: to
// what the script implies when it made the change, else to what it reads.
func (s *Store) closeAs(ctx context.Context, tenant, id string, to polls.Status, at time.Time, lease int64) (bool, error) {
	at = stamp(at)
	leaseArg := ""
	if lease >= 0 {
		leaseArg = itoa(lease)
	}
	k := s.keys(tenant, id)
	n, err := closeScript.Run(ctx, s.rdb, []string{k.poll, k.log}, string(to), formatTime(at), s.logMax, leaseArg, at.UnixMilli(), at.UnixMilli()).Int()
	return s.syncClosed(ctx, tenant, id, n == 1, to, lease, err)
}

// syncClosed finishes a script that may have closed a poll or taken over
// its announcement (won), with lease (-1: none): a refusal the script
// returned still syncs the index, to what the script implies when it won,
// else to what it reads; a failure to run it does not.
func (s *Store) syncClosed(ctx context.Context, tenant, id string, won bool, to polls.Status, lease int64, err error) (bool, error) {
	err = mapErr(err)
	if err != nil && !isScriptErr(err) {
		return false, err
	}
	// Even a win is re-read: the index entry needs the poll's open time
	// and channel.
	if serr := s.syncIndexes(ctx, tenant, id, unknownEntry); serr != nil && err == nil {
		err = serr
	}
	return won, err
}

// ClaimAnnouncement takes over an owed announcement whose lease has run
// out. The index is synced whatever the outcome, which also repairs an
// entry a lost sync left behind.
func (s *Store) ClaimAnnouncement(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (won bool, err error) {
	defer wrap(&err, "claim announcement", tenant, id)
	lease := leaseUntil.UnixMilli()
	n, err := claimScript.Run(ctx, s.rdb, []string{s.keys(tenant, id).poll}, itoa(now.UnixMilli()), itoa(lease)).Int()
	return s.syncClosed(ctx, tenant, id, n == 1, polls.StatusClosed, lease, err)
}

// AnnouncementDone clears a poll's owed announcement and syncs the index.
func (s *Store) AnnouncementDone(ctx context.Context, tenant, id string) (err error) {
	defer wrap(&err, "announcement done", tenant, id)
	n, err := announcedScript.Run(ctx, s.rdb, []string{s.keys(tenant, id).poll}).Int()
	err = mapErr(err)
	if err != nil && !isScriptErr(err) {
		return err
	}
	_ = n
	if serr := s.syncIndexes(ctx, tenant, id, unknownEntry); serr != nil && err == nil {
		err = serr
	}
	return err
}

// Reopen reopens a closed poll with a new deadline.
func (s *Store) Reopen(ctx context.Context, tenant, id string, closesAt time.Time) (changed bool, err error) {
	defer wrap(&err, "reopen", tenant, id)
	closesAt = stamp(closesAt)
	k := s.keys(tenant, id)
	n, err := reopenScript.Run(ctx, s.rdb, []string{k.poll, k.log}, closesMS(closesAt), formatTime(closesAt), s.logMax, time.Now().UnixMilli()).Int()
	if err != nil {
		return false, mapErr(err)
	}
	if n == 0 {
		return false, nil
	}
	return true, s.syncIndexes(ctx, tenant, id, unknownEntry)
}

// SetDeadline changes an open poll's deadline.
func (s *Store) SetDeadline(ctx context.Context, tenant, id string, closesAt time.Time) (err error) {
	defer wrap(&err, "set deadline", tenant, id)
	closesAt = stamp(closesAt)
	k := s.keys(tenant, id)
	if err := setDeadlineScript.Run(ctx, s.rdb, []string{k.poll, k.log}, closesMS(closesAt), formatTime(closesAt), s.logMax, time.Now().UnixMilli()).Err(); err != nil {
		return mapErr(err)
	}
	return s.syncIndexes(ctx, tenant, id, unknownEntry)
}

// indexEntry is what the indexes outside the poll's slot hold of a poll:
// its status (the open-poll set, the tenant's status indexes), its
// deadline index score (unix ms; -1 for no entry), and what places it in
// the listing indexes, its open time and channel.
type indexEntry struct {
	status  polls.Status // "" for a poll that does not exist
	score   int64
	opened  int64
	channel string
}

// unknownEntry tells syncIndexes that the caller does not know what the
// poll's entries should be: it reads the poll before it writes anything.
var unknownEntry *indexEntry

// statuses are every poll status, for the status indexes.
var statuses = []polls.Status{polls.StatusOpen, polls.StatusClosed, polls.StatusCancelled}

// syncIndexes makes the deadline index, the open-poll set and the
// tenant's status indexes agree with the poll, which is in another slot
// and so cannot be updated in the same script. It writes the entries the
// caller's script implies (want), then re-reads the poll and writes again
// until what it read is what it last wrote. That converges when callers
// race: whoever writes last has read the poll after every script that
// changed it. A caller whose script changed nothing, or who does not know
// the poll's open time and channel, passes unknownEntry, and the first
// write is then of what it read: it never removes, even for a moment, the
// entry of a poll that still needs one (the entry of an owed announcement
// is its only record for the scheduler, should this process die now).
//
// A poll is in the deadline index iff it is open with a deadline (score:
// the deadline) or closed owing its announcement (score: the lease,
// announce_ms); in the open-poll set iff it is open; in exactly the
// status indexes of its status.
func (s *Store) syncIndexes(ctx context.Context, tenant, id string, want *indexEntry) error {
	member := deadlineMember(tenant, id)
	k := s.keys(tenant, id)
	for range 10 {
		if want != nil {
			_, err := s.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
				if want.score < 0 {
					p.ZRem(ctx, s.deadlinesKey(), member)
				} else {
					p.ZAdd(ctx, s.deadlinesKey(), redis.Z{Score: float64(want.score), Member: member})
				}
				if want.status == polls.StatusOpen {
					p.SAdd(ctx, s.openKey(), member)
				} else {
					p.SRem(ctx, s.openKey(), member)
				}
				for _, st := range statuses {
					if st == want.status {
						z := redis.Z{Score: float64(want.opened), Member: id}
						p.ZAdd(ctx, s.statusKey(tenant, st), z)
						p.ZAdd(ctx, s.chStatusKey(tenant, want.channel, st), z)
					} else {
						p.ZRem(ctx, s.statusKey(tenant, st), id)
						p.ZRem(ctx, s.chStatusKey(tenant, want.channel, st), id)
					}
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("poll indexes: %w", err)
			}
		}
		f, err := s.rdb.HMGet(ctx, k.poll, fStatus, fClosesMS, fAnnounceMS, fOpenedMS, fChannel).Result()
		if err != nil {
			return fmt.Errorf("poll indexes: %w", err)
		}
		got, err := entryOf(f)
		if err != nil {
			return fmt.Errorf("poll indexes: %w", err)
		}
		if want != nil && *want == got {
			return nil
		}
		want = &got
	}
	// Only a poll changing for ten rounds in a row gets here; the deadline
	// entry it leaves is repaired by polls.Service.CloseDue, the others by
	// the poll's next change.
	return nil
}

// entryOf returns the index entries of a poll from its status, closes_ms,
// announce_ms, opened_ms and channel fields (nil for a missing field or
// poll).
func entryOf(f []any) (indexEntry, error) {
	ms := func(i int, name string) (int64, error) {
		v, _ := f[i].(string)
		if v == "" {
			return -1, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return -1, fmt.Errorf("poll %s %q: %w", name, v, err)
		}
		return n, nil
	}
	st, _ := f[0].(string)
	channel, _ := f[4].(string)
	opened, err := ms(3, fOpenedMS)
	if err != nil {
		return indexEntry{}, err
	}
	e := indexEntry{status: polls.Status(st), score: -1, opened: opened, channel: channel}
	switch e.status {
	case polls.StatusOpen:
		e.score, err = ms(1, fClosesMS)
	case polls.StatusClosed:
		e.score, err = ms(2, fAnnounceMS)
	}
	return e, err
}

// OpenPolls counts the open polls of every tenant (polls.OpenCounter), from
// the open-poll index.
func (s *Store) OpenPolls(ctx context.Context) (n int64, err error) {
	defer wrap(&err, "count open polls", "*", "*")
	return s.rdb.SCard(ctx, s.openKey()).Result()
}

// SetMessage records a chat message showing the poll.
func (s *Store) SetMessage(ctx context.Context, tenant, id string, ref polls.MessageRef) (err error) {
	defer wrap(&err, "set message", tenant, id)
	err = setMessageScript.Run(ctx, s.rdb, []string{s.keys(tenant, id).poll}, ref.Platform, ref.Channel, ref.Message).Err()
	return mapErr(err)
}

// DueDeadlines returns polls whose deadline, or owed announcement's lease,
// is at or before the given time, earliest first; limit <= 0 means no
// limit. Entries of polls that no longer exist are removed as they are
// met, and the next ones read in their place.
func (s *Store) DueDeadlines(ctx context.Context, before time.Time, limit int) (out []polls.Key, err error) {
	defer wrap(&err, "due deadlines", "*", "*")
	for range 100 {
		by := &redis.ZRangeBy{Min: "-inf", Max: itoa(before.UnixMilli())}
		if limit > 0 {
			by.Count = int64(limit - len(out))
			by.Offset = int64(len(out))
		}
		members, err := s.rdb.ZRangeByScore(ctx, s.deadlinesKey(), by).Result()
		if err != nil {
			return out, err
		}
		keys := make([]polls.Key, len(members))
		exists := make([]*redis.IntCmd, len(members))
		_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, m := range members {
				keys[i], _ = parseDeadlineMember(m)
				exists[i] = pipe.Exists(ctx, s.keys(keys[i].Tenant, keys[i].ID).poll)
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		removed := 0
		for i, k := range keys {
			if k.ID != "" && exists[i].Val() == 1 {
				out = append(out, k)
				continue
			}
			// The entry of a poll that is gone (or an entry that names
			// none) would come due at every look and hold up the polls
			// behind it.
			if err := s.rdb.ZRem(ctx, s.deadlinesKey(), members[i]).Err(); err != nil {
				return out, err
			}
			s.rdb.SRem(ctx, s.openKey(), members[i])
			removed++
		}
		if removed == 0 || limit <= 0 || len(out) >= limit {
			return out, nil
		}
	}
	return out, nil
}
