package boltstore

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

// Membership returns the user's stored group; the zero Membership if none.
func (s *Store) Membership(ctx context.Context, tenant, user string) (m polls.Membership, err error) {
	defer wrap(&err, "membership in %s", tenant)
	err = s.view(ctx, func(tx *bolt.Tx) error {
		gb, err := tenantBucket(tx, tenant, bktGroups, false)
		if gb == nil || err != nil {
			return err
		}
		if v := gb.Get([]byte(user)); v != nil {
			return json.Unmarshal(v, &m)
		}
		return nil
	})
	return m, err
}

// SetMembership stores the user's group.
func (s *Store) SetMembership(ctx context.Context, tenant, user string, m polls.Membership) (err error) {
	defer wrap(&err, "set membership in %s", tenant)
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx) error {
		gb, err := tenantBucket(tx, tenant, bktGroups, true)
		if err != nil {
			return err
		}
		return gb.Put([]byte(user), v)
	})
}

// Held votes live in tenants/<t>/hold/<holder>/, keyed "<poll>|<slot>"
// (the slot is the vote's delivery, or a random id), each an expiring
// record of the vote's JSON. Expiry is stored rather than enforced by a
// timer: expired votes are skipped when read and deleted when their
// holder's bucket is next written.

func heldSlot(v polls.HeldVote) string {
	if v.Delivery != "" {
		return "d" + v.Delivery
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "r" + hex.EncodeToString(b[:])
}

// Hold keeps a vote for the holder for ttl, beside the others it has.
func (s *Store) Hold(ctx context.Context, tenant, holder string, v polls.HeldVote, ttl time.Duration) (err error) {
	defer wrap(&err, "hold vote in %s", tenant)
	v.At = stamp(v.At)
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	key := []byte(v.Poll + "|" + heldSlot(v))
	return s.update(ctx, func(tx *bolt.Tx) error {
		now := s.now()
		hs, err := tenantBucket(tx, tenant, bktHold, true)
		if err != nil {
			return err
		}
		hb, err := hs.CreateBucketIfNotExists([]byte(holder))
		if err != nil {
			return err
		}
		if _, err := heldVotes(hb, now, func(string) bool { return false }); err != nil {
			return err
		}
		return hb.Put(key, expiring(now.Add(ttl), data))
	})
}

// TakeHeld removes and returns the holder's unexpired held votes, oldest
// first.
func (s *Store) TakeHeld(ctx context.Context, tenant, holder string) (out []polls.HeldVote, err error) {
	defer wrap(&err, "take held votes in %s", tenant)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		out = nil
		hs, err := tenantBucket(tx, tenant, bktHold, false)
		if hs == nil || err != nil {
			return err
		}
		hb := hs.Bucket([]byte(holder))
		if hb == nil {
			return nil
		}
		if out, err = heldVotes(hb, s.now(), func(string) bool { return true }); err != nil {
			return err
		}
		return hs.DeleteBucket([]byte(holder))
	})
	sortHeld(out)
	return out, err
}

// DropHeld removes the holder's held votes in one poll.
func (s *Store) DropHeld(ctx context.Context, tenant, holder, poll string) (n int, err error) {
	defer wrap(&err, "drop held votes in %s", tenant)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		n = 0
		hs, err := tenantBucket(tx, tenant, bktHold, false)
		if hs == nil || err != nil {
			return err
		}
		hb := hs.Bucket([]byte(holder))
		if hb == nil {
			return nil
		}
		dropped, err := heldVotes(hb, s.now(), func(p string) bool { return p == poll })
		n = len(dropped)
		return err
	})
	return n, err
}

// HeldCount counts the unexpired votes held in a poll, by any holder.
func (s *Store) HeldCount(ctx context.Context, tenant, poll string) (n int, err error) {
	defer wrap(&err, "count held votes in %s/%s", tenant, poll)
	prefix := []byte(poll + "|")
	err = s.view(ctx, func(tx *bolt.Tx) error {
		n = 0
		hs, err := tenantBucket(tx, tenant, bktHold, false)
		if hs == nil || err != nil {
			return err
		}
		now := s.now()
		return hs.ForEachBucket(func(holder []byte) error {
			c := hs.Bucket(holder).Cursor()
			for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
				if _, ok := alive(v, now); ok {
					n++
				}
			}
			return nil
		})
	})
	return n, err
}

// heldVotes deletes the expired votes of a holder's bucket, and the
// unexpired ones of the polls take selects, which it returns.
func heldVotes(hb *bolt.Bucket, now time.Time, take func(poll string) bool) ([]polls.HeldVote, error) {
	var out []polls.HeldVote
	var drop [][]byte
	err := hb.ForEach(func(k, rec []byte) error {
		v, ok := alive(rec, now)
		poll, _, _ := strings.Cut(string(k), "|")
		switch {
		case !ok:
		case take(poll):
			var hv polls.HeldVote
			if err := json.Unmarshal(v, &hv); err != nil {
				return fmt.Errorf("%w: held vote: %v", errCorrupt, err)
			}
			out = append(out, hv)
		default:
			return nil
		}
		drop = append(drop, bytes.Clone(k))
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range drop {
		if err := hb.Delete(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func sortHeld(vs []polls.HeldVote) {
	slices.SortStableFunc(vs, func(a, b polls.HeldVote) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Poll, b.Poll))
	})
}

// RecordDelivery records a request's delivery in the tenant for
// polls.DeliveryTTL and reports whether it was new.
func (s *Store) RecordDelivery(ctx context.Context, tenant, key string) (first bool, err error) {
	defer wrap(&err, "record delivery in %s", tenant)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		first = false
		db, err := tenantBucket(tx, tenant, bktDeliveries, true)
		if err != nil {
			return err
		}
		now := s.now()
		k := deliveryKey(key)
		if _, ok := alive(db.Get(k), now); ok {
			return nil
		}
		first = true
		if err := db.Put(k, expiring(now.Add(polls.DeliveryTTL), nil)); err != nil {
			return err
		}
		return sweep(db, k, now)
	})
	return first, err
}

// Allow counts an event against key's limit in fixed windows.
func (s *Store) Allow(ctx context.Context, tenant, key string, limit int, window time.Duration) (ok bool, err error) {
	defer wrap(&err, "rate limit in %s", tenant)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		ok = false
		rb, err := tenantBucket(tx, tenant, bktRates, true)
		if err != nil {
			return err
		}
		now := s.now()
		k := deliveryKey(key)
		var n uint64
		if v, live := alive(rb.Get(k), now); live && len(v) == 8 {
			n = binary.BigEndian.Uint64(v)
			rec := binary.BigEndian.AppendUint64(bytes.Clone(rb.Get(k)[:8]), n+1)
			if err := rb.Put(k, rec); err != nil {
				return err
			}
		} else if err := rb.Put(k, expiring(now.Add(window), binary.BigEndian.AppendUint64(nil, 1))); err != nil {
			return err
		}
		ok = n+1 <= uint64(max(limit, 0))
		return sweep(rb, k, now)
	})
	return ok, err
}
