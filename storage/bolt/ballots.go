package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

func checkVoter(voter string) error {
	if voter == "" {
		return errors.New("ballot without a voter")
	}
	return nil
}

// Cast stores b as its voter's ballot and moves the tally, in one
// transaction that first checks the poll is open and before its deadline
// by the store's clock.
func (s *Store) Cast(ctx context.Context, tenant, id string, b polls.Ballot) (prev *polls.Ballot, err error) {
	defer wrap(&err, "cast in %s/%s", tenant, id)
	if err := checkVoter(b.Voter); err != nil {
		return nil, err
	}
	b.Choices = slices.Clone(b.Choices)
	b.CastAt = stamp(b.CastAt)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		prev = nil
		pb, r, err := loadRules(tx, tenant, id)
		if err != nil {
			return err
		}
		if err := r.checkVotable(s.now()); err != nil {
			return err
		}
		if err := r.checkChoices(b.Choices); err != nil {
			return err
		}
		old, err := getBallot(pb, b.Voter)
		if err != nil {
			return err
		}
		if old != nil {
			if err := addTally(pb, r, *old, -1); err != nil {
				return err
			}
		}
		if err := putBallot(pb, b); err != nil {
			return err
		}
		if err := addTally(pb, r, b, +1); err != nil {
			return err
		}
		prev = old
		return logEvent(pb, event{Event: "cast", Voter: b.Voter, Group: b.Group, Choices: b.Choices, At: b.CastAt})
	})
	return prev, err
}

// Toggle adds theme to the voter's ballot or removes it, as one
// transaction with Cast's checks plus the poll's max choices. The ballot
// takes b's group and cast time. Ranked ballots gain the theme as their
// last preference. An op already applied within polls.OpTTL changes
// nothing and returns the current ballot.
func (s *Store) Toggle(ctx context.Context, tenant, id string, b polls.Ballot, theme int, op string) (out polls.Ballot, err error) {
	defer wrap(&err, "toggle theme %d in %s/%s", theme, tenant, id)
	if err := checkVoter(b.Voter); err != nil {
		return polls.Ballot{}, err
	}
	err = s.update(ctx, func(tx *bolt.Tx) error {
		out = polls.Ballot{}
		pb, r, err := loadRules(tx, tenant, id)
		if err != nil {
			return err
		}
		if op != "" {
			if dup, err := seenOp(pb, op, s.now()); err != nil || dup {
				if err == nil {
					out, err = currentBallot(pb, b.Voter)
				}
				return err
			}
		}
		if err := r.checkVotable(s.now()); err != nil {
			return err
		}
		if r.kind != polls.Approval {
			return fmt.Errorf("%w: only approval ballots are toggled", polls.ErrInvalidOption)
		}
		if err := r.checkChoices([]int{theme}); err != nil {
			return err
		}
		old, err := getBallot(pb, b.Voter)
		if err != nil {
			return err
		}
		var choices []int
		if old != nil {
			choices = slices.Clone(old.Choices)
		}
		if i := slices.Index(choices, theme); i >= 0 {
			choices = slices.Delete(choices, i, i+1)
		} else {
			choices = append(choices, theme)
			slices.Sort(choices)
			if r.maxChoices > 0 && len(choices) > r.maxChoices {
				return polls.ErrTooManyChoices
			}
		}
		nb := polls.Ballot{Voter: b.Voter, Group: b.Group, Choices: choices, CastAt: stamp(b.CastAt)}
		if old != nil {
			if err := addTally(pb, r, *old, -1); err != nil {
				return err
			}
		}
		if len(choices) == 0 {
			if err := pb.Bucket(bktBallots).Delete([]byte(b.Voter)); err != nil {
				return err
			}
			out = polls.Ballot{Voter: b.Voter, Group: b.Group, CastAt: nb.CastAt}
			return logEvent(pb, event{Event: "retract", Voter: b.Voter, Group: old.Group, At: nb.CastAt})
		}
		if err := putBallot(pb, nb); err != nil {
			return err
		}
		if err := addTally(pb, r, nb, +1); err != nil {
			return err
		}
		out = nb
		return logEvent(pb, event{Event: "cast", Voter: nb.Voter, Group: nb.Group, Choices: nb.Choices, At: nb.CastAt})
	})
	return out, err
}

// Retract deletes the voter's ballot while the poll takes votes and
// reports whether there was one. Like a cast, a retraction after the
// deadline would change a result that is already due, so it gives
// ErrPastDeadline.
func (s *Store) Retract(ctx context.Context, tenant, id, voter string) (had bool, err error) {
	defer wrap(&err, "retract in %s/%s", tenant, id)
	err = s.update(ctx, func(tx *bolt.Tx) error {
		had = false
		pb, r, err := loadRules(tx, tenant, id)
		if err != nil {
			return err
		}
		now := s.now()
		if err := r.checkVotable(now); err != nil {
			return err
		}
		old, err := getBallot(pb, voter)
		if err != nil || old == nil {
			return err
		}
		if err := pb.Bucket(bktBallots).Delete([]byte(voter)); err != nil {
			return err
		}
		if err := addTally(pb, r, *old, -1); err != nil {
			return err
		}
		had = true
		return logEvent(pb, event{Event: "retract", Voter: voter, Group: old.Group, At: stamp(now)})
	})
	return had, err
}

// Ballot returns the voter's ballot, or ErrNoBallot.
func (s *Store) Ballot(ctx context.Context, tenant, id, voter string) (b polls.Ballot, err error) {
	defer wrap(&err, "ballot in %s/%s", tenant, id)
	err = s.view(ctx, func(tx *bolt.Tx) error {
		pb := pollBucket(tx, tenant, id)
		if pb == nil {
			return polls.ErrNotFound
		}
		got, err := getBallot(pb, voter)
		switch {
		case err != nil:
			return err
		case got == nil:
			return polls.ErrNoBallot
		}
		b = *got
		return nil
	})
	return b, err
}

// Ballots calls fn for every ballot of the poll. It reads them in chunks,
// each in its own read transaction, and calls fn between transactions: fn
// may use the store (even write to it) without deadlocking bbolt, and a
// long export never pins a read transaction (and with it the file's size).
// Ballots are visited in voter order, so each voter's ballot is seen once
// even when votes change meanwhile; a ballot cast during the walk may or
// may not be seen.
func (s *Store) Ballots(ctx context.Context, tenant, id string, fn func(polls.Ballot) error) error {
	var after []byte
	for {
		var chunk []polls.Ballot
		err := s.view(ctx, func(tx *bolt.Tx) error {
			chunk = chunk[:0]
			pb := pollBucket(tx, tenant, id)
			if pb == nil {
				return polls.ErrNotFound
			}
			c := pb.Bucket(bktBallots).Cursor()
			k, v := c.First()
			if after != nil {
				k, v = c.Seek(after)
				if bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for ; k != nil && len(chunk) < s.chunk; k, v = c.Next() {
				var b polls.Ballot
				if err := json.Unmarshal(v, &b); err != nil {
					return fmt.Errorf("%w: ballot: %v", errCorrupt, err)
				}
				chunk = append(chunk, b)
				after = bytes.Clone(k)
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("boltstore: ballots of %s/%s: %w", tenant, id, err)
		}
		for _, b := range chunk {
			if err := fn(b); err != nil {
				return err
			}
		}
		if len(chunk) < s.chunk {
			return nil
		}
	}
}

// Tally returns the poll's tally.
func (s *Store) Tally(ctx context.Context, tenant, id string) (t polls.Tally, err error) {
	defer wrap(&err, "tally of %s/%s", tenant, id)
	err = s.view(ctx, func(tx *bolt.Tx) error {
		pb, r, err := loadRules(tx, tenant, id)
		if err != nil {
			return err
		}
		fields := map[string]string{}
		err = pb.Bucket(bktTally).ForEach(func(k, v []byte) error {
			fields[string(k)] = string(v)
			return nil
		})
		if err != nil {
			return err
		}
		t, err = polls.ParseTally(r.themes, fields)
		return err
	})
	return t, err
}

// currentBallot is the voter's ballot, or one with no choices.
func currentBallot(pb *bolt.Bucket, voter string) (polls.Ballot, error) {
	b, err := getBallot(pb, voter)
	if err != nil || b == nil {
		return polls.Ballot{Voter: voter}, err
	}
	return *b, nil
}

// seenOp reports whether a toggle's op was applied in the poll within
// polls.OpTTL, and records it if not. Ops are kept hashed (an op may hold
// a user id) with their expiry. Every 64th record sweeps up to 512 entries
// from a random place (the new op's hash) for expired ones, which keeps
// the expired share of the bucket near an eighth at any rate of clicks.
func seenOp(pb *bolt.Bucket, op string, now time.Time) (bool, error) {
	ops, err := pb.CreateBucketIfNotExists(bktOps)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256([]byte(op))
	key := sum[:16]
	nowMS := now.UnixMilli()
	if v := ops.Get(key); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) > nowMS {
		return true, nil
	}
	var exp [8]byte
	binary.BigEndian.PutUint64(exp[:], uint64(now.Add(polls.OpTTL).UnixMilli()))
	if err := ops.Put(key, exp[:]); err != nil {
		return false, err
	}
	if n, err := ops.NextSequence(); err != nil || n%64 != 0 {
		return false, err
	}
	c := ops.Cursor()
	k, v := c.Seek(key)
	for range 512 {
		if k == nil {
			if k, v = c.First(); k == nil {
				break
			}
		}
		if len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= nowMS {
			if err := c.Delete(); err != nil {
				return false, err
			}
			k, v = c.Seek(k) // after Delete, Seek finds the next key
			continue
		}
		k, v = c.Next()
	}
	return false, nil
}
