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
// scripts read kind, themes, max_choices, status and closes_ms (unix ms,
// the deadline index's unit, compared with the server clock); Go reads the
// state back from status, closes_at, closed_at (RFC 3339) and messages.
// announce_ms, present only while a poll closed at its deadline owes the
// announcement of its close, is the lease of that announcement (unix ms,
// see CloseAtDeadline); it is not part of polls.Poll.
const (
	fDef        = "def"
	fKind       = "kind"
	fThemes     = "themes"
	fMaxChoices = "max_choices"
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
	// The tenant index is in the tenant's slot, not the poll's. Should this
	// fail, the poll exists but is not listed; Poll still finds it.
	err = s.rdb.ZAdd(ctx, s.pollsKey(p.Tenant), redis.Z{Score: float64(p.OpenedAt.UnixMilli()), Member: p.ID}).Err()
	if err != nil {
		return err
	}
	return s.syncDeadline(ctx, p.Tenant, p.ID, &indexEntry{open: statusOr(p.Status) == polls.StatusOpen, score: deadlineScore(p.ClosesAt, statusOr(p.Status))})
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
		fKind, string(p.Kind),
		fThemes, len(p.Themes),
		fMaxChoices, p.MaxChoices,
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

// pollBatch bounds one pipeline of Polls, so a tenant with many polls does
// not hold every reply in one buffer.
const pollBatch = 256

// Polls returns a tenant's polls by open time. It reads the tenant index,
// then the polls in pipelines (which a cluster client splits by slot).
func (s *Store) Polls(ctx context.Context, tenant string) (out []*polls.Poll, err error) {
	defer wrap(&err, "polls", tenant, "*")
	ids, err := s.rdb.ZRange(ctx, s.pollsKey(tenant), 0, -1).Result()
	if err != nil {
		return nil, err
	}
	out = make([]*polls.Poll, 0, len(ids))
	for len(ids) > 0 {
		batch := ids[:min(pollBatch, len(ids))]
		ids = ids[len(batch):]
		cmds := make([]*redis.MapStringStringCmd, len(batch))
		_, err := s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, id := range batch {
				cmds[i] = pipe.HGetAll(ctx, s.keys(tenant, id).poll)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, c := range cmds {
			p, err := decodePoll(c.Val())
			if errors.Is(err, polls.ErrNotFound) {
				continue // an index entry whose poll is gone
			}
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
	}
	return out, nil
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

// CloseAtDeadline closes a poll as ClosePoll does and, in the same script,
// marks its announcement owed (announce_ms) with the lease; the deadline
// index then keeps the poll at the lease.
func (s *Store) CloseAtDeadline(ctx context.Context, tenant, id string, at, leaseUntil time.Time) (changed bool, err error) {
	defer wrap(&err, "close at deadline", tenant, id)
	return s.closeAs(ctx, tenant, id, polls.StatusClosed, at, leaseUntil.UnixMilli())
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
	n, err := closeScript.Run(ctx, s.rdb, []string{k.poll, k.log}, string(to), formatTime(at), s.logMax, leaseArg).Int()
	return s.syncClosed(ctx, tenant, id, n == 1, lease, err)
}

// syncClosed finishes a script that may have closed a poll or taken over
// its announcement (won), with lease (-1: none): a refusal the script
// returned still syncs the index, to what the script implies when it won,
// else to what it reads; a failure to run it does not.
func (s *Store) syncClosed(ctx context.Context, tenant, id string, won bool, lease int64, err error) (bool, error) {
	err = mapErr(err)
	if err != nil && !isScriptErr(err) {
		return false, err
	}
	want := unknownEntry
	if won {
		want = &indexEntry{open: false, score: lease}
	}
	if serr := s.syncDeadline(ctx, tenant, id, want); serr != nil && err == nil {
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
	return s.syncClosed(ctx, tenant, id, n == 1, lease, err)
}

// AnnouncementDone clears a poll's owed announcement and syncs the index.
func (s *Store) AnnouncementDone(ctx context.Context, tenant, id string) (err error) {
	defer wrap(&err, "announcement done", tenant, id)
	n, err := announcedScript.Run(ctx, s.rdb, []string{s.keys(tenant, id).poll}).Int()
	err = mapErr(err)
	if err != nil && !isScriptErr(err) {
		return err
	}
	// Only a closed poll owes an announcement, so one that owed it is now
	// closed and owes nothing: out of both indexes.
	want := unknownEntry
	if n == 1 {
		want = &indexEntry{open: false, score: -1}
	}
	if serr := s.syncDeadline(ctx, tenant, id, want); serr != nil && err == nil {
		err = serr
	}
	return err
}

// Reopen reopens a closed poll with a new deadline.
func (s *Store) Reopen(ctx context.Context, tenant, id string, closesAt time.Time) (changed bool, err error) {
	defer wrap(&err, "reopen", tenant, id)
	closesAt = stamp(closesAt)
	k := s.keys(tenant, id)
	n, err := reopenScript.Run(ctx, s.rdb, []string{k.poll, k.log}, closesMS(closesAt), formatTime(closesAt), s.logMax).Int()
	if err != nil {
		return false, mapErr(err)
	}
	if n == 0 {
		return false, nil
	}
	return true, s.syncDeadline(ctx, tenant, id, &indexEntry{open: true, score: deadlineScore(closesAt, polls.StatusOpen)})
}

// SetDeadline changes an open poll's deadline.
func (s *Store) SetDeadline(ctx context.Context, tenant, id string, closesAt time.Time) (err error) {
	defer wrap(&err, "set deadline", tenant, id)
	closesAt = stamp(closesAt)
	k := s.keys(tenant, id)
	if err := setDeadlineScript.Run(ctx, s.rdb, []string{k.poll}, closesMS(closesAt), formatTime(closesAt)).Err(); err != nil {
		return mapErr(err)
	}
	return s.syncDeadline(ctx, tenant, id, &indexEntry{open: true, score: deadlineScore(closesAt, polls.StatusOpen)})
}

// indexEntry is what the deadline index and the open-poll index hold of a
// poll: whether it is open, and its deadline index score (unix ms; -1 for
// no entry).
type indexEntry struct {
	open  bool
	score int64
}

// unknownEntry tells syncDeadline that the caller does not know what the
// poll's entries should be: it reads the poll before it writes anything.
var unknownEntry *indexEntry

// syncDeadline makes the deadline index and the open-poll index agree with
// the poll, which is in another slot and so cannot be updated in the same
// script. It writes the entries the caller's script implies (want), then
// re-reads the poll and writes again until what it read is what it last
// wrote. That converges when callers race: whoever writes last has read
// the poll after every script that changed it. A caller whose script
// changed nothing passes unknownEntry, and the first write is then of what
// it read: it never removes, even for a moment, the entry of a poll that
// still needs one (the entry of an owed announcement is its only record
// for the scheduler, should this process die now).
//
// A poll is in the deadline index iff it is open with a deadline (score:
// the deadline) or closed owing its announcement (score: the lease,
// announce_ms).
func (s *Store) syncDeadline(ctx context.Context, tenant, id string, want *indexEntry) error {
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
				if want.open {
					p.SAdd(ctx, s.openKey(), member)
				} else {
					p.SRem(ctx, s.openKey(), member)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("deadline index: %w", err)
			}
		}
		f, err := s.rdb.HMGet(ctx, k.poll, fStatus, fClosesMS, fAnnounceMS).Result()
		if err != nil {
			return fmt.Errorf("deadline index: %w", err)
		}
		got, err := entryOf(f)
		if err != nil {
			return fmt.Errorf("deadline index: %w", err)
		}
		if want != nil && *want == got {
			return nil
		}
		want = &got
	}
	// Only a poll changing for ten rounds in a row gets here; the deadline
	// entry it leaves is repaired by polls.Service.CloseDue, the open-poll
	// entry by the poll's next change.
	return nil
}

// entryOf returns the index entries of a poll from its status, closes_ms
// and announce_ms fields (nil for a missing field or poll).
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
	switch st, _ := f[0].(string); st {
	case string(polls.StatusOpen):
		score, err := ms(1, fClosesMS)
		return indexEntry{open: true, score: score}, err
	case string(polls.StatusClosed):
		score, err := ms(2, fAnnounceMS)
		return indexEntry{score: score}, err
	}
	return indexEntry{score: -1}, nil
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
// limit.
func (s *Store) DueDeadlines(ctx context.Context, before time.Time, limit int) (out []polls.Key, err error) {
	defer wrap(&err, "due deadlines", "*", "*")
	by := &redis.ZRangeBy{Min: "-inf", Max: itoa(before.UnixMilli())}
	if limit > 0 {
		by.Count = int64(limit)
	}
	members, err := s.rdb.ZRangeByScore(ctx, s.deadlinesKey(), by).Result()
	if err != nil {
		return nil, err
	}
	for _, m := range members {
		if k, ok := parseDeadlineMember(m); ok {
			out = append(out, k)
		}
	}
	return out, nil
}
