package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// heldRecord is a held vote with its expiry. The expiry is stored rather
// than enforced by a timer: expired votes are skipped when read and
// deleted whenever their holder's bucket is next written.
type heldRecord struct {
	Vote    polls.HeldVote `json:"vote"`
	Expires int64          `json:"expires"` // unix ms, by the store's clock
}

// Hold keeps a vote for the holder (one per poll) for ttl.
func (s *Store) Hold(ctx context.Context, tenant, holder string, v polls.HeldVote, ttl time.Duration) (err error) {
	defer wrap(&err, "hold vote in %s", tenant)
	v.At = stamp(v.At)
	return s.update(ctx, func(tx *bolt.Tx) error {
		now := s.now()
		hs, err := tenantBucket(tx, tenant, bktHeld, true)
		if err != nil {
			return err
		}
		hb, err := hs.CreateBucketIfNotExists([]byte(holder))
		if err != nil {
			return err
		}
		if _, err := takeHeld(hb, now, false); err != nil {
			return err
		}
		rec, err := json.Marshal(heldRecord{Vote: v, Expires: ceilMilli(now.Add(ttl))})
		if err != nil {
			return err
		}
		return hb.Put([]byte(v.Poll), rec)
	})
}

// TakeHeld removes and returns the holder's unexpired held votes, in poll
// id order.
func (s *Store) TakeHeld(ctx context.Context, tenant, holder string) (out []polls.HeldVote, err error) {
	defer wrap(&err, "take held votes in %s", tenant)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		out = nil
		hs, err := tenantBucket(tx, tenant, bktHeld, false)
		if hs == nil || err != nil {
			return err
		}
		hb := hs.Bucket([]byte(holder))
		if hb == nil {
			return nil
		}
		if out, err = takeHeld(hb, s.now(), true); err != nil {
			return err
		}
		return hs.DeleteBucket([]byte(holder))
	})
	return out, err
}

// takeHeld deletes the expired votes in a holder's bucket and, when all is
// set, returns the others.
func takeHeld(hb *bolt.Bucket, now time.Time, all bool) ([]polls.HeldVote, error) {
	var out []polls.HeldVote
	var expired [][]byte
	err := hb.ForEach(func(k, v []byte) error {
		var rec heldRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return fmt.Errorf("%w: held vote: %v", errCorrupt, err)
		}
		if rec.Expires <= now.UnixMilli() {
			expired = append(expired, bytes.Clone(k))
		} else if all {
			out = append(out, rec.Vote)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range expired {
		if err := hb.Delete(k); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ceilMilli is t in unix milliseconds, rounded up so that a vote is never
// dropped before its ttl.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}
