package boltstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

// Reminders (polls.ReminderStore). Beside the layout in the package
// documentation:
//
//	tenants/<t>/polls/<id>/remind   the poll's reminder schedule (binary; see schedule)
//	reminders/                      lease or next reminder ms (8 bytes, as deadlineKey) + "<tenant>/<id>" -> ""
//
// A schedule exists only while the poll has reminders to come; the index
// holds each poll with a schedule at the lease of its claimed reminder,
// else at its next reminder. Every operation changes both in one
// transaction. Neither existed before reminders did: files written by
// earlier versions need no migration (their polls have no reminder
// offsets), and the reminders bucket is made by the first write that
// needs it.

var (
	bktReminders = []byte("reminders")
	keyRemind    = []byte("remind")
)

// schedule is a poll's reminder schedule: the deadline it was made for,
// the times of the reminders not yet posted (ascending), and while one is
// claimed, its time and the claim's lease. Times are unix ms.
type schedule struct {
	closes  int64
	at      []int64
	claimed int64 // 0: none
	lease   int64 // 0: none
}

// scheduleVersion is the first byte of an encoded schedule.
const scheduleVersion = 1

// encode lays a schedule out as: the version, then varints of closes,
// claimed and lease, then a uvarint count and the times as varints.
func (sc schedule) encode() []byte {
	b := []byte{scheduleVersion}
	b = binary.AppendVarint(b, sc.closes)
	b = binary.AppendVarint(b, sc.claimed)
	b = binary.AppendVarint(b, sc.lease)
	b = binary.AppendUvarint(b, uint64(len(sc.at)))
	for _, t := range sc.at {
		b = binary.AppendVarint(b, t)
	}
	return b
}

// maxScheduleTimes bounds the times a schedule decodes, far above what a
// poll may have (polls.MaxReminders).
const maxScheduleTimes = 64

// decodeSchedule reads an encoded schedule. Anything else (a wrong
// version, short or trailing bytes, times out of order, too many, a
// varint in a longer form than encode writes) is corrupt.
func decodeSchedule(b []byte) (schedule, error) {
	var sc schedule
	whole := b
	bad := fmt.Errorf("%w: reminder schedule %x", errCorrupt, b[:min(len(b), 32)])
	if len(b) < 1 || b[0] != scheduleVersion {
		return sc, bad
	}
	b = b[1:]
	varint := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	var ok1, ok2, ok3 bool
	sc.closes, ok1 = varint()
	sc.claimed, ok2 = varint()
	sc.lease, ok3 = varint()
	if !ok1 || !ok2 || !ok3 {
		return sc, bad
	}
	count, n := binary.Uvarint(b)
	if n <= 0 || count > maxScheduleTimes {
		return sc, bad
	}
	b = b[n:]
	for range count {
		t, ok := varint()
		if !ok || len(sc.at) > 0 && t <= sc.at[len(sc.at)-1] {
			return sc, bad
		}
		sc.at = append(sc.at, t)
	}
	if len(b) != 0 || string(sc.encode()) != string(whole) {
		// Trailing bytes, or varints written longer than they need be:
		// nothing this package wrote.
		return sc, bad
	}
	return sc, nil
}

// indexMS is the schedule's time in the reminder index; ok is false for
// no entry.
func (sc schedule) indexMS() (ms int64, ok bool) {
	switch {
	case sc.lease != 0:
		return sc.lease, true
	case len(sc.at) > 0:
		return sc.at[0], true
	}
	return 0, false
}

// getSchedule returns the poll's schedule, if it has one.
func getSchedule(pb *bolt.Bucket) (schedule, bool, error) {
	v := pb.Get(keyRemind)
	if v == nil {
		return schedule{}, false, nil
	}
	sc, err := decodeSchedule(v)
	return sc, err == nil, err
}

// reminderKey is a poll's key in the reminder index.
func reminderKey(ms int64, k polls.Key) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(ms)^(1<<63)), k.String()...)
}

// putSchedule stores the poll's schedule (or deletes it: has false) and
// moves its reminder index entry from the old schedule's (had) to the new
// one's.
func putSchedule(tx *bolt.Tx, pb *bolt.Bucket, k polls.Key, old schedule, had bool, sc schedule, has bool) error {
	idx, err := tx.CreateBucketIfNotExists(bktReminders)
	if err != nil {
		return err
	}
	if ms, ok := old.indexMS(); had && ok {
		if err := idx.Delete(reminderKey(ms, k)); err != nil {
			return err
		}
	}
	if !has || len(sc.at) == 0 {
		return pb.Delete(keyRemind)
	}
	if err := pb.Put(keyRemind, sc.encode()); err != nil {
		return err
	}
	ms, _ := sc.indexMS()
	return idx.Put(reminderKey(ms, k), nil)
}

// dropSchedule deletes a poll's schedule and its index entry, if any.
func dropSchedule(tx *bolt.Tx, pb *bolt.Bucket, k polls.Key) error {
	old, had, err := getSchedule(pb)
	if err != nil && !errors.Is(err, errCorrupt) {
		return err
	}
	if err != nil {
		// A schedule that cannot be read cannot name its index entry;
		// DueReminders drops the entry once it finds no schedule.
		return pb.Delete(keyRemind)
	}
	return putSchedule(tx, pb, k, old, had, schedule{}, false)
}

// SetReminders replaces (or, with no times, drops) a poll's reminder
// schedule.
func (s *Store) SetReminders(ctx context.Context, tenant, id string, closesAt time.Time, at []time.Time) (changed bool, err error) {
	defer wrap(&err, "set reminders of %s/%s", tenant, id)
	if len(at) > 0 && closesAt.IsZero() {
		return false, fmt.Errorf("reminders without a deadline: %w", polls.ErrInvalidOption)
	}
	times := make([]int64, 0, len(at))
	for _, t := range at {
		times = append(times, stamp(t).UnixMilli())
	}
	slices.Sort(times)
	times = slices.Compact(times)
	closes := stamp(closesAt)
	k := polls.Key{Tenant: tenant, ID: id}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		changed = false
		pb, p, err := loadPoll(tx, tenant, id)
		if err != nil {
			return err
		}
		if len(times) == 0 {
			changed = true
			return dropSchedule(tx, pb, k)
		}
		if p.Status != polls.StatusOpen || !p.ClosesAt.Equal(closes) {
			return nil
		}
		old, had, err := getSchedule(pb)
		if err != nil {
			return err
		}
		changed = true
		return putSchedule(tx, pb, k, old, had, schedule{closes: closes.UnixMilli(), at: times}, true)
	})
	return changed, err
}

// ClaimReminder claims a poll's latest due reminder.
func (s *Store) ClaimReminder(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (c polls.ReminderClaim, err error) {
	defer wrap(&err, "claim reminder of %s/%s", tenant, id)
	if leaseUntil.IsZero() {
		return c, errors.New("claim a reminder without a lease")
	}
	nowMS, lease := now.UnixMilli(), stamp(leaseUntil).UnixMilli()
	k := polls.Key{Tenant: tenant, ID: id}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		c = polls.ReminderClaim{}
		pb, p, err := loadPoll(tx, tenant, id)
		if err != nil {
			return err
		}
		sc, has, err := getSchedule(pb)
		if err != nil || !has {
			return err
		}
		switch {
		case p.Status != polls.StatusOpen:
			return dropSchedule(tx, pb, k)
		case msOrZero(p.ClosesAt) != sc.closes:
			c.Stale = true
			return nil
		case nowMS >= sc.closes:
			return dropSchedule(tx, pb, k)
		case sc.lease > nowMS:
			return nil
		}
		var due int64
		found := false
		for _, t := range sc.at {
			if t > nowMS {
				break
			}
			due, found = t, true
		}
		if !found {
			return nil
		}
		next := sc
		next.claimed, next.lease = due, lease
		if err := putSchedule(tx, pb, k, sc, true, next, true); err != nil {
			return err
		}
		c.At = time.UnixMilli(due).UTC()
		return nil
	})
	return c, err
}

// ReminderDone marks a claimed reminder, and every earlier one, posted.
func (s *Store) ReminderDone(ctx context.Context, tenant, id string, at time.Time) (err error) {
	defer wrap(&err, "reminder of %s/%s done", tenant, id)
	ms := stamp(at).UnixMilli()
	k := polls.Key{Tenant: tenant, ID: id}
	return s.update(ctx, func(tx *bolt.Tx) error {
		pb, _, err := loadPoll(tx, tenant, id)
		if err != nil {
			return err
		}
		sc, has, err := getSchedule(pb)
		if err != nil || !has || sc.lease == 0 || sc.claimed != ms {
			return err
		}
		next := schedule{closes: sc.closes}
		for _, t := range sc.at {
			if t > ms {
				next.at = append(next.at, t)
			}
		}
		return putSchedule(tx, pb, k, sc, true, next, true)
	})
}

// DueReminders returns up to limit (no limit if limit <= 0) polls whose
// next reminder, or claimed reminder's lease, is at or before the given
// time, earliest first. Entries whose poll or schedule is gone are
// deleted on the way.
func (s *Store) DueReminders(ctx context.Context, before time.Time, limit int) (out []polls.Key, err error) {
	defer wrap(&err, "due reminders")
	end := before.UnixMilli()
	var stale [][]byte
	err = s.view(ctx, func(tx *bolt.Tx) error {
		out, stale = nil, nil
		idx := tx.Bucket(bktReminders)
		if idx == nil {
			return nil
		}
		c := idx.Cursor()
		for key, _ := c.First(); key != nil && (limit <= 0 || len(out) < limit); key, _ = c.Next() {
			ms, k, err := parseDeadlineKey(key)
			if err != nil {
				return err
			}
			if ms > end {
				break
			}
			if !scheduled(tx, k) {
				stale = append(stale, bytes.Clone(key))
				continue
			}
			out = append(out, k)
		}
		return nil
	})
	if err != nil || len(stale) == 0 {
		return out, err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		idx := tx.Bucket(bktReminders)
		for _, key := range stale {
			_, k, err := parseDeadlineKey(key)
			if err != nil {
				return err
			}
			if !scheduled(tx, k) {
				if err := idx.Delete(key); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}

// scheduled reports whether the poll exists and has a reminder schedule.
func scheduled(tx *bolt.Tx, k polls.Key) bool {
	pb := pollBucket(tx, k.Tenant, k.ID)
	return pb != nil && pb.Get(keyRemind) != nil
}
