package boltstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/internal/record"
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
func (s *Store) Cast(ctx context.Context, tenant, id string, b polls.Ballot, delivery string) (r polls.VoteResult, err error) {
	defer wrap(&err, "cast in %s/%s", tenant, id)
	if err := checkVoter(b.Voter); err != nil {
		return r, err
	}
	if len(b.Choices) == 0 || len(b.Points) != len(b.Choices) {
		return r, fmt.Errorf("%w: %d choices, %d points", polls.ErrNoChoices, len(b.Choices), len(b.Points))
	}
	b.Choices, b.Points, b.CastAt = slices.Clone(b.Choices), slices.Clone(b.Points), stamp(b.CastAt)
	return s.vote(ctx, tenant, id, b.Voter, delivery, "c", func(*polls.Ballot) (*polls.Ballot, error) { return &b, nil })
}

// Toggle flips one choice of the voter's ballot, in one transaction with
// Cast's checks.
func (s *Store) Toggle(ctx context.Context, tenant, id string, b polls.Ballot, f polls.Flip, delivery string) (r polls.VoteResult, err error) {
	defer wrap(&err, "toggle choice %d in %s/%s", f.Choice, tenant, id)
	if err := checkVoter(b.Voter); err != nil {
		return r, err
	}
	if f.Choice < 0 {
		return r, polls.ErrUnknownTheme
	}
	b.CastAt = stamp(b.CastAt)
	return s.vote(ctx, tenant, id, b.Voter, delivery, "t", func(old *polls.Ballot) (*polls.Ballot, error) {
		return record.Toggle(old, b, f)
	})
}

// Retract deletes the voter's ballot while the poll takes votes. Like a
// cast, a retraction after the deadline would change a result that is
// already due, so it gives ErrPastDeadline.
func (s *Store) Retract(ctx context.Context, tenant, id, voter string, at time.Time, delivery string) (r polls.VoteResult, err error) {
	defer wrap(&err, "retract in %s/%s", tenant, id)
	if err := checkVoter(voter); err != nil {
		return r, err
	}
	return s.vote(ctx, tenant, id, voter, delivery, "r", func(*polls.Ballot) (*polls.Ballot, error) { return nil, nil })
}

// vote is the one transaction every vote operation is: the delivery check,
// the poll's status and deadline, the new ballot computed from the old by
// change (nil: none), the tally moved by the difference, the log event and
// the delivery record.
func (s *Store) vote(ctx context.Context, tenant, id, voter, delivery, mode string, change func(old *polls.Ballot) (*polls.Ballot, error)) (r polls.VoteResult, err error) {
	err = s.update(ctx, func(tx *bolt.Tx) error {
		r = polls.VoteResult{}
		pb, rl, err := loadRules(tx, tenant, id)
		if err != nil {
			return err
		}
		now := s.now()
		if delivery != "" {
			seen, err := seenDelivery(pb, delivery, now)
			if err != nil {
				return err
			}
			if seen {
				cur, err := getBallot(pb, voter)
				if err != nil {
					return err
				}
				r = polls.VoteResult{Ballot: cur, Repeated: true}
				r.Tally, err = voteTally(pb, rl)
				if r.Tally != nil {
					r.Version = r.Tally.Version
				}
				return err
			}
		}
		if err := rl.checkVotable(now); err != nil {
			return err
		}
		old, err := getBallot(pb, voter)
		if err != nil {
			return err
		}
		nb, err := change(old)
		if err != nil {
			return err
		}
		r.Prev, r.Ballot, r.Version = old, nb, tallyVersion(pb)
		if old != nil || nb != nil {
			if nb != nil {
				err = putBallot(pb, *nb)
			} else {
				err = pb.Bucket(bktBallots).Delete([]byte(voter))
			}
			if err != nil {
				return err
			}
			d := record.Move(old, nb)
			if r.Version, err = applyDelta(pb, d); err != nil {
				return err
			}
			e := event{E: mode, U: voter, D: d.String(), T: stamp(now).UnixMilli()}
			switch {
			case nb != nil:
				e.G, e.T = string(nb.Group), nb.CastAt.UnixMilli()
			case old != nil:
				e.G = string(old.Group)
			}
			if err := logEvent(pb, e, s.logMax); err != nil {
				return err
			}
			s.notifyOnCommit(tx, tenant, id)
		}
		if delivery != "" {
			if err := recordDelivery(pb, delivery, now); err != nil {
				return err
			}
		}
		r.Tally, err = voteTally(pb, rl)
		return err
	})
	return r, err
}

// voteTally reads the tally a vote returns, in the vote's transaction.
func voteTally(pb *bolt.Bucket, rl rules) (*polls.Tally, error) {
	themes := rl.themes
	if themes == 0 {
		p, err := decodePoll(pb.Get(keyPoll))
		if err != nil {
			return nil, err
		}
		themes = len(p.Themes)
	}
	t, err := bucketTally(pb, themes)
	return &t, err
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
				b, err := record.Decode(string(k), string(v))
				if err != nil {
					return fmt.Errorf("%w: %v", errCorrupt, err)
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
		t, err = readTally(tx, tenant, id)
		return err
	})
	return t, err
}

// Tallies reads the tallies of many polls in one read transaction.
func (s *Store) Tallies(ctx context.Context, tenant string, ids []string) (ts []polls.Tally, err error) {
	defer wrap(&err, "tallies in %s", tenant)
	ts = make([]polls.Tally, len(ids))
	err = s.view(ctx, func(tx *bolt.Tx) error {
		for i, id := range ids {
			t, err := readTally(tx, tenant, id)
			switch {
			case errors.Is(err, polls.ErrNotFound):
			case err != nil:
				return err
			default:
				ts[i] = t
			}
		}
		return nil
	})
	return ts, err
}

// readTally reads a poll's tally in tx, or ErrNotFound.
func readTally(tx *bolt.Tx, tenant, id string) (polls.Tally, error) {
	pb, p, err := loadPoll(tx, tenant, id)
	if err != nil {
		return polls.Tally{}, err
	}
	return bucketTally(pb, len(p.Themes))
}

// bucketTally reads the poll's tally bucket.
func bucketTally(pb *bolt.Bucket, themes int) (polls.Tally, error) {
	fields := map[string]string{}
	err := pb.Bucket(bktTally).ForEach(func(k, v []byte) error {
		fields[string(k)] = string(v)
		return nil
	})
	if err != nil {
		return polls.Tally{}, err
	}
	return polls.ParseTally(themes, fields)
}

// deliveryKey is where a delivery is kept: the store is given keyed hashes
// already, but hashing again bounds the key's size whatever a caller
// passes.
func deliveryKey(delivery string) []byte {
	sum := sha256.Sum256([]byte(delivery))
	return sum[:16]
}

// seenDelivery reports whether the delivery was recorded in the poll's
// ops bucket within polls.DeliveryTTL.
func seenDelivery(pb *bolt.Bucket, delivery string, now time.Time) (bool, error) {
	ops := pb.Bucket(bktOps)
	if ops == nil {
		return false, nil
	}
	_, ok := alive(ops.Get(deliveryKey(delivery)), now)
	return ok, nil
}

// recordDelivery records a delivery in the poll's ops bucket for
// polls.DeliveryTTL, sweeping expired ones now and then.
func recordDelivery(pb *bolt.Bucket, delivery string, now time.Time) error {
	ops, err := pb.CreateBucketIfNotExists(bktOps)
	if err != nil {
		return err
	}
	key := deliveryKey(delivery)
	if err := ops.Put(key, expiring(now.Add(polls.DeliveryTTL), nil)); err != nil {
		return err
	}
	return sweep(ops, key, now)
}
