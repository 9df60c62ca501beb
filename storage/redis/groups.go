package redisstore

import (
	"cmp"
	"context"
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
	data, err := s.rdb.HGet(ctx, s.groupsKey(tenant), user).Bytes()
	if errors.Is(err, redis.Nil) {
		return polls.Membership{}, nil
	}
	if err != nil {
		return polls.Membership{}, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return polls.Membership{}, fmt.Errorf("decode membership: %w", err)
	}
	return m, nil
}

// SetMembership stores the user's group.
func (s *Store) SetMembership(ctx context.Context, tenant, user string, m polls.Membership) (err error) {
	defer wrap(&err, "set membership", tenant, "")
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return s.rdb.HSet(ctx, s.groupsKey(tenant), user, data).Err()
}

// Hold keeps a vote for the holder for ttl. Each held vote expires on its
// own; the holder's key lives as long as its longest-lived vote.
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
	return holdScript.Run(ctx, s.rdb, []string{s.heldKey(tenant, holder)}, v.Poll, data, ms).Err()
}

// TakeHeld removes the holder's held votes and returns the unexpired ones,
// oldest first.
func (s *Store) TakeHeld(ctx context.Context, tenant, holder string) (out []polls.HeldVote, err error) {
	defer wrap(&err, "take held votes", tenant, "")
	raw, err := takeHeldScript.Run(ctx, s.rdb, []string{s.heldKey(tenant, holder)}).StringSlice()
	if err != nil {
		return nil, err
	}
	for _, r := range raw {
		var v polls.HeldVote
		if err := json.Unmarshal([]byte(r), &v); err != nil {
			return nil, fmt.Errorf("decode held vote: %w", err)
		}
		out = append(out, v)
	}
	sortHeld(out)
	return out, nil
}

func sortHeld(vs []polls.HeldVote) {
	slices.SortFunc(vs, func(a, b polls.HeldVote) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Poll, b.Poll))
	})
}

// RecordDelivery records a chat platform's delivery key for ttl and
// reports whether it was new (bot.DeliveryStore): replicas sharing this
// Redis then apply a redelivered click once, whichever receives it.
func (s *Store) RecordDelivery(ctx context.Context, key string, ttl time.Duration) (first bool, err error) {
	first, err = s.rdb.SetNX(ctx, s.prefix+"delivery:"+key, 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("record delivery: %w", err)
	}
	return first, nil
}
