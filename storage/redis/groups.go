package redisstore

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/redis/go-redis/v9"
)

// Membership returns the user's stored group.
func (s *Store) Membership(ctx context.Context, tenant, user string) (m polls.Membership, err error) {
	defer wrap(&err, "membership", tenant, "")
	data, err := s.rdb.HGet(ctx, s.groupsKey(tenant), user).Result()
	if errors.Is(err, redis.Nil) {
		return polls.Membership{}, nil
	}
	if err != nil {
		return polls.Membership{}, err
	}
	return decodeMembership(data)
}

// SetMembership stores the user's group.
func (s *Store) SetMembership(ctx context.Context, tenant, user string, m polls.Membership) (err error) {
	defer wrap(&err, "set membership", tenant, "")
	data, err := encodeMembership(m)
	if err != nil {
		return err
	}
	return s.rdb.HSet(ctx, s.groupsKey(tenant), user, data).Err()
}

// encodeMembership is the record of a membership in the groups hash: its
// JSON, the only form ever written, so that memberVoteScript compares
// records as strings; "" (no field) for the zero Membership, which is
// what a user without a stored group has.
func encodeMembership(m polls.Membership) (string, error) {
	if m == (polls.Membership{}) {
		return "", nil
	}
	data, err := json.Marshal(m)
	return string(data), err
}

// decodeMembership reads a record of the groups hash ("": none).
func decodeMembership(rec string) (m polls.Membership, err error) {
	if rec == "" {
		return m, nil
	}
	if err := json.Unmarshal([]byte(rec), &m); err != nil {
		return polls.Membership{}, fmt.Errorf("decode membership: %w", err)
	}
	return m, nil
}

// ChecksMembership reports whether the vote script can check a voter's
// membership (polls.MembershipVoter): on a single node or a Sentinel's
// master, not on a Cluster, where the tenant's groups hash and the
// poll's keys are in different slots.
func (s *Store) ChecksMembership() bool { return !s.clustered }

// errClusterMember guards against a caller that did not ask
// ChecksMembership.
var errClusterMember = fmt.Errorf("a vote with a membership check on Redis Cluster: %w", errors.ErrUnsupported)

// Hold keeps a vote for the holder for ttl, beside the others it has.
func (s *Store) Hold(ctx context.Context, tenant, holder string, v polls.HeldVote, ttl time.Duration) (err error) {
	defer wrap(&err, "hold vote", tenant, "")
	ms := ttl.Milliseconds()
	if ms <= 0 {
		return fmt.Errorf("hold for %v: %w", ttl, polls.ErrInvalidOption)
	}
	v.At = stamp(v.At)
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	slot := "d" + v.Delivery
	if v.Delivery == "" {
		var b [8]byte
		_, _ = rand.Read(b[:])
		slot = "r" + hex.EncodeToString(b[:])
	}
	keys := []string{s.holdKey(tenant, holder), s.heldIndexKey(tenant)}
	return holdScript.Run(ctx, s.rdb, keys, v.Poll+"|"+slot, data, ms, holder).Err()
}

// TakeHeld removes the holder's held votes and returns the unexpired ones,
// oldest first.
func (s *Store) TakeHeld(ctx context.Context, tenant, holder string) (out []polls.HeldVote, err error) {
	defer wrap(&err, "take held votes", tenant, "")
	return s.takeHeld(ctx, tenant, holder, "")
}

// DropHeld removes the holder's held votes in one poll.
func (s *Store) DropHeld(ctx context.Context, tenant, holder, poll string) (n int, err error) {
	defer wrap(&err, "drop held votes", tenant, poll)
	if poll == "" {
		return 0, errors.New("drop held votes of no poll")
	}
	out, err := s.takeHeld(ctx, tenant, holder, poll)
	return len(out), err
}

func (s *Store) takeHeld(ctx context.Context, tenant, holder, poll string) ([]polls.HeldVote, error) {
	keys := []string{s.holdKey(tenant, holder), s.heldIndexKey(tenant)}
	raw, err := takeHeldScript.Run(ctx, s.rdb, keys, holder, poll).StringSlice()
	if err != nil {
		return nil, err
	}
	out := make([]polls.HeldVote, 0, len(raw))
	for _, r := range raw {
		var v polls.HeldVote
		if err := json.Unmarshal([]byte(r), &v); err != nil {
			return nil, fmt.Errorf("decode held vote: %w", err)
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b polls.HeldVote) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Poll, b.Poll))
	})
	return out, nil
}

// HeldCount counts the unexpired votes held in a poll.
func (s *Store) HeldCount(ctx context.Context, tenant, poll string) (n int, err error) {
	defer wrap(&err, "count held votes", tenant, poll)
	return heldCountScript.Run(ctx, s.rdb, []string{s.heldIndexKey(tenant)}, poll).Int()
}

// RecordDelivery records a request's delivery key for polls.DeliveryTTL
// and reports whether it was new: replicas sharing this Redis then apply
// a request once, whichever receives it.
func (s *Store) RecordDelivery(ctx context.Context, tenant, key string) (first bool, err error) {
	defer wrap(&err, "record delivery", tenant, "")
	token := newToken()
	found, err := recordScript.Run(ctx, s.rdb, []string{s.tenantKey(tenant, "dlv:"+deliveryName(key))}, token, polls.DeliveryTTL.Milliseconds()).Text()
	switch {
	case errors.Is(err, redis.Nil):
		return true, nil
	case err != nil:
		return false, err
	}
	// Recorded before, by another request or by this very call whose
	// reply was lost and which the client sent again.
	return found == token, nil
}

// Allow counts an event against key's limit in fixed windows.
func (s *Store) Allow(ctx context.Context, tenant, key string, limit int, window time.Duration) (ok bool, err error) {
	defer wrap(&err, "rate limit", tenant, "")
	n, err := allowScript.Run(ctx, s.rdb, []string{s.tenantKey(tenant, "rate:"+deliveryName(key))}, max(window.Milliseconds(), 1)).Int64()
	return n <= int64(limit), err
}
