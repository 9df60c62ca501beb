package boltstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

// CreatePoll stores a new poll and indexes its deadline. ErrExists if the
// tenant already has a poll with its id.
func (s *Store) CreatePoll(ctx context.Context, p *polls.Poll) (err error) {
	defer wrap(&err, "create poll %s/%s", p.Tenant, p.ID)
	if p.ID == "" {
		return errors.New("empty poll id")
	}
	rec := *p
	rec.Themes = slices.Clone(p.Themes)
	rec.Messages = slices.Clone(p.Messages)
	rec.OpenedAt, rec.ClosesAt, rec.ClosedAt = stamp(p.OpenedAt), stamp(p.ClosesAt), stamp(p.ClosedAt)
	if rec.Status == "" {
		rec.Status = polls.StatusOpen
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		ps, err := tenantBucket(tx, rec.Tenant, bktPolls, true)
		if err != nil {
			return err
		}
		if ps.Bucket([]byte(rec.ID)) != nil {
			return polls.ErrExists
		}
		pb, err := ps.CreateBucket([]byte(rec.ID))
		if err != nil {
			return err
		}
		for _, name := range [][]byte{bktBallots, bktTally, bktLog} {
			if _, err := pb.CreateBucket(name); err != nil {
				return err
			}
		}
		if err := putPoll(pb, &rec); err != nil {
			return err
		}
		if err := setIndexes(tx, &rec, "", rec.Status); err != nil {
			return err
		}
		return setDeadlineIndex(tx, rec.Key(), time.Time{}, indexTime(&rec, time.Time{}))
	})
}

// Poll returns a poll, or ErrNotFound.
func (s *Store) Poll(ctx context.Context, tenant, id string) (p *polls.Poll, err error) {
	defer wrap(&err, "poll %s/%s", tenant, id)
	err = s.view(ctx, func(tx *bolt.Tx) error {
		_, p, err = loadPoll(tx, tenant, id)
		return err
	})
	return p, err
}

// Polls returns a page of the tenant's polls, newest first, from the
// listing index the query selects.
func (s *Store) Polls(ctx context.Context, tenant string, q polls.PollQuery) (page polls.PollPage, err error) {
	defer wrap(&err, "polls of %s", tenant)
	err = s.view(ctx, func(tx *bolt.Tx) error {
		page = polls.PollPage{}
		ib, err := tenantBucket(tx, tenant, bktIndex, false)
		if ib == nil || err != nil {
			return err
		}
		b := ib.Bucket([]byte(queryIndex(q)))
		if b == nil {
			return nil
		}
		page.Total = b.Stats().KeyN
		ps, err := tenantBucket(tx, tenant, bktPolls, false)
		if ps == nil || err != nil {
			return err
		}
		c := b.Cursor()
		k, _ := c.Last()
		for i := 0; i < max(q.Offset, 0) && k != nil; i++ {
			k, _ = c.Prev()
		}
		for ; k != nil && len(page.Polls) < q.PageSize(); k, _ = c.Prev() {
			if len(k) < 8 {
				return fmt.Errorf("%w: index key %q", errCorrupt, k)
			}
			pb := ps.Bucket(k[8:])
			if pb == nil {
				continue // cannot happen: entries go with their polls
			}
			p, err := decodePoll(pb.Get(keyPoll))
			if err != nil {
				return fmt.Errorf("%s: %w", k[8:], err)
			}
			page.Polls = append(page.Polls, p)
		}
		return nil
	})
	return page, err
}

// CountOpen returns how many of the tenant's polls are open.
func (s *Store) CountOpen(ctx context.Context, tenant string) (n int, err error) {
	defer wrap(&err, "count open polls of %s", tenant)
	err = s.view(ctx, func(tx *bolt.Tx) error {
		ib, err := tenantBucket(tx, tenant, bktIndex, false)
		if ib == nil || err != nil {
			return err
		}
		if b := ib.Bucket([]byte("status:" + string(polls.StatusOpen))); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	return n, err
}

// modify runs change on the poll and on the lease of the announcement it
// owes (zero: none) inside one write transaction and, if change returns an
// event, stores both, moves the poll's deadline index entry and logs the
// event, unless its name is empty (a change of the owed announcement
// alone, which the log does not record).
func (s *Store) modify(ctx context.Context, tenant, id string, change func(p *polls.Poll, lease *time.Time) (*event, error)) (changed bool, err error) {
	err = s.update(ctx, func(tx *bolt.Tx) error {
		changed = false
		pb, p, err := loadPoll(tx, tenant, id)
		if err != nil {
			return err
		}
		lease, err := getLease(pb)
		if err != nil {
			return err
		}
		old, oldStatus := indexTime(p, lease), p.Status
		e, err := change(p, &lease)
		if err != nil || e == nil {
			return err
		}
		if e.E != "" {
			if err := putPoll(pb, p); err != nil {
				return err
			}
		}
		if err := putLease(pb, lease); err != nil {
			return err
		}
		if err := setDeadlineIndex(tx, p.Key(), old, indexTime(p, lease)); err != nil {
			return err
		}
		if err := setIndexes(tx, p, oldStatus, p.Status); err != nil {
			return err
		}
		changed = true
		if e.E == "" {
			return nil
		}
		s.notifyOnCommit(tx, tenant, id)
		return logEvent(pb, *e, s.logMax)
	})
	return changed, err
}

// ClosePoll moves an open poll to closed, or an open or closed one to
// cancelled, and drops it from the deadline index. Closing a cancelled poll
// gives ErrCancelled; repeating a change that is already made reports false.
// A change clears any owed announcement.
func (s *Store) ClosePoll(ctx context.Context, tenant, id string, to polls.Status, at time.Time) (changed bool, err error) {
	defer wrap(&err, "%s poll %s/%s", to, tenant, id)
	if to != polls.StatusClosed && to != polls.StatusCancelled {
		return false, fmt.Errorf("cannot close a poll to status %q", to)
	}
	return s.closeAs(ctx, tenant, id, to, at)
}

// CloseAtDeadline closes an open poll whose deadline is at or before now
// and, in the same transaction, records its
// announcement as owed, leased until leaseUntil; the deadline index keeps
// the poll at the lease. A deadline moved later in the meantime keeps the
// poll open. The poll's close time is its deadline.
func (s *Store) CloseAtDeadline(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (changed bool, err error) {
	defer wrap(&err, "close poll %s/%s at its deadline", tenant, id)
	if leaseUntil.IsZero() {
		return false, errors.New("close at deadline without a lease")
	}
	return s.modify(ctx, tenant, id, func(p *polls.Poll, lease *time.Time) (*event, error) {
		switch {
		case p.Status == polls.StatusClosed:
			return nil, nil
		case p.Status == polls.StatusCancelled:
			return nil, polls.ErrCancelled
		case p.ClosesAt.IsZero() || p.ClosesAt.After(now):
			return nil, nil
		}
		p.Status, p.ClosedAt = polls.StatusClosed, p.ClosesAt
		*lease = stamp(leaseUntil)
		return &event{E: "close", T: p.ClosedAt.UnixMilli()}, nil
	})
}

func (s *Store) closeAs(ctx context.Context, tenant, id string, to polls.Status, at time.Time) (bool, error) {
	at = stamp(at)
	return s.modify(ctx, tenant, id, func(p *polls.Poll, lease *time.Time) (*event, error) {
		switch {
		case p.Status == to:
			return nil, nil
		case p.Status == polls.StatusCancelled:
			return nil, polls.ErrCancelled
		}
		if to == polls.StatusClosed || p.ClosedAt.IsZero() {
			// A closed poll keeps the time it stopped taking ballots.
			p.ClosedAt = at
		}
		p.Status = to
		*lease = time.Time{}
		name := "close"
		if to == polls.StatusCancelled {
			name = "cancel"
		}
		return &event{E: name, T: at.UnixMilli()}, nil
	})
}

// ClaimAnnouncement takes over a closed poll's owed announcement whose
// lease is at or before now, leasing it until leaseUntil.
func (s *Store) ClaimAnnouncement(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (won bool, err error) {
	defer wrap(&err, "claim announcement of %s/%s", tenant, id)
	if leaseUntil.IsZero() {
		return false, errors.New("claim an announcement without a lease")
	}
	return s.modify(ctx, tenant, id, func(p *polls.Poll, lease *time.Time) (*event, error) {
		if p.Status != polls.StatusClosed || lease.IsZero() || lease.After(now) {
			return nil, nil
		}
		*lease = stamp(leaseUntil)
		return &event{}, nil
	})
}

// AnnouncementDone clears the poll's owed announcement, if any.
func (s *Store) AnnouncementDone(ctx context.Context, tenant, id string) (err error) {
	defer wrap(&err, "announcement of %s/%s done", tenant, id)
	_, err = s.modify(ctx, tenant, id, func(p *polls.Poll, lease *time.Time) (*event, error) {
		if lease.IsZero() {
			return nil, nil
		}
		*lease = time.Time{}
		return &event{}, nil
	})
	return err
}

// Reopen moves a closed poll back to open with a new deadline (zero: none),
// clearing any owed announcement.
func (s *Store) Reopen(ctx context.Context, tenant, id string, closesAt time.Time) (changed bool, err error) {
	defer wrap(&err, "reopen poll %s/%s", tenant, id)
	closesAt = stamp(closesAt)
	return s.modify(ctx, tenant, id, func(p *polls.Poll, lease *time.Time) (*event, error) {
		switch p.Status {
		case polls.StatusOpen:
			return nil, nil
		case polls.StatusCancelled:
			return nil, polls.ErrCancelled
		}
		p.Status, p.ClosesAt, p.ClosedAt = polls.StatusOpen, closesAt, time.Time{}
		*lease = time.Time{}
		return &event{E: "reopen", C: msOrZero(closesAt), T: stamp(s.now()).UnixMilli()}, nil
	})
}

// SetDeadline changes an open poll's deadline (zero: none); ErrNotOpen
// otherwise.
func (s *Store) SetDeadline(ctx context.Context, tenant, id string, closesAt time.Time) (err error) {
	defer wrap(&err, "set deadline of %s/%s", tenant, id)
	closesAt = stamp(closesAt)
	_, err = s.modify(ctx, tenant, id, func(p *polls.Poll, _ *time.Time) (*event, error) {
		if p.Status != polls.StatusOpen {
			return nil, polls.ErrNotOpen
		}
		p.ClosesAt = closesAt
		return &event{E: "deadline", C: msOrZero(closesAt), T: stamp(s.now()).UnixMilli()}, nil
	})
	return err
}

// SetMessage records a chat message showing the poll, replacing the one
// for the same platform and channel.
func (s *Store) SetMessage(ctx context.Context, tenant, id string, ref polls.MessageRef) (err error) {
	defer wrap(&err, "set message of %s/%s", tenant, id)
	return s.update(ctx, func(tx *bolt.Tx) error {
		pb, p, err := loadPoll(tx, tenant, id)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(p.Messages, func(m polls.MessageRef) bool {
			return m.Platform == ref.Platform && m.Channel == ref.Channel
		})
		if i >= 0 {
			p.Messages[i] = ref
		} else {
			p.Messages = append(p.Messages, ref)
		}
		return putPoll(pb, p)
	})
}

// DueDeadlines returns up to limit (no limit if limit <= 0) open polls
// whose deadline, and closed polls whose owed announcement's lease, is at
// or before the given time, earliest first. Entries of polls that no
// longer exist are deleted on the way.
func (s *Store) DueDeadlines(ctx context.Context, before time.Time, limit int) (out []polls.Key, err error) {
	defer wrap(&err, "due deadlines")
	end := before.UnixMilli()
	var stale [][]byte
	err = s.view(ctx, func(tx *bolt.Tx) error {
		out, stale = nil, nil
		c := tx.Bucket(bktDeadlines).Cursor()
		for k, _ := c.First(); k != nil && (limit <= 0 || len(out) < limit); k, _ = c.Next() {
			ms, key, err := parseDeadlineKey(k)
			if err != nil {
				return err
			}
			if ms > end {
				break
			}
			if pollBucket(tx, key.Tenant, key.ID) == nil {
				stale = append(stale, bytes.Clone(k))
				continue
			}
			out = append(out, key)
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return out, err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		idx := tx.Bucket(bktDeadlines)
		for _, k := range stale {
			_, key, err := parseDeadlineKey(k)
			if err != nil {
				return err
			}
			if pollBucket(tx, key.Tenant, key.ID) == nil {
				if err := idx.Delete(k); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// OpenPolls counts the open polls of every tenant (polls.OpenCounter). It
// reads each poll's small rules record, not its definition.
func (s *Store) OpenPolls(ctx context.Context) (n int64, err error) {
	defer wrap(&err, "count open polls")
	err = s.view(ctx, func(tx *bolt.Tx) error {
		n = 0
		return tx.Bucket(bktTenants).ForEachBucket(func(tenant []byte) error {
			ps := tx.Bucket(bktTenants).Bucket(tenant).Bucket(bktPolls)
			if ps == nil {
				return nil
			}
			return ps.ForEachBucket(func(id []byte) error {
				r, err := decodeRules(ps.Bucket(id).Get(keyRules))
				if err != nil {
					return fmt.Errorf("%s/%s: %w", tenant, id, err)
				}
				if r.status == polls.StatusOpen {
					n++
				}
				return nil
			})
		})
	})
	return n, err
}
