package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/internal/record"
	"github.com/redis/go-redis/v9"
)

// Cast stores b as its voter's ballot in one script: it checks the poll is
// open and before its deadline by the server clock, replaces the previous
// ballot and moves the tally from the old ballot to the new one.
func (s *Store) Cast(ctx context.Context, tenant, id string, b polls.Ballot, delivery string) (r polls.VoteResult, err error) {
	defer wrap(&err, "cast", tenant, id)
	return s.cast(ctx, tenant, id, b, delivery, nil)
}

// CastIfMember is Cast in the same script as a check of the voter's
// membership (polls.MembershipVoter); single node and Sentinel only.
func (s *Store) CastIfMember(ctx context.Context, tenant, id string, b polls.Ballot, delivery string, m polls.MembershipCheck) (r polls.VoteResult, err error) {
	defer wrap(&err, "cast", tenant, id)
	return s.cast(ctx, tenant, id, b, delivery, &m)
}

func (s *Store) cast(ctx context.Context, tenant, id string, b polls.Ballot, delivery string, m *polls.MembershipCheck) (r polls.VoteResult, err error) {
	if b.Voter == "" {
		return r, errNoVoter
	}
	if len(b.Choices) == 0 || len(b.Points) != len(b.Choices) {
		return r, fmt.Errorf("%w: %d choices, %d points", polls.ErrNoChoices, len(b.Choices), len(b.Points))
	}
	b.CastAt = stamp(b.CastAt)
	rec, err := record.Encode(b)
	if err != nil {
		return r, err
	}
	// The record's last two fields are the script's choices and points.
	parts := strings.SplitN(rec, "|", 4)
	return s.vote(ctx, tenant, id, b.Voter, delivery, m, "c", string(b.Group), b.CastAt, parts[2], parts[3])
}

// errNoVoter guards against a caller's bug: a ballot must say whose it is.
var errNoVoter = errors.New("ballot without a voter")

// Toggle flips one choice of the voter's ballot in one script, with the
// same checks as Cast.
func (s *Store) Toggle(ctx context.Context, tenant, id string, b polls.Ballot, f polls.Flip, delivery string) (r polls.VoteResult, err error) {
	defer wrap(&err, "toggle", tenant, id)
	return s.toggle(ctx, tenant, id, b, f, delivery, nil)
}

// ToggleIfMember is Toggle in the same script as a check of the voter's
// membership (polls.MembershipVoter); single node and Sentinel only.
func (s *Store) ToggleIfMember(ctx context.Context, tenant, id string, b polls.Ballot, f polls.Flip, delivery string, m polls.MembershipCheck) (r polls.VoteResult, err error) {
	defer wrap(&err, "toggle", tenant, id)
	return s.toggle(ctx, tenant, id, b, f, delivery, &m)
}

func (s *Store) toggle(ctx context.Context, tenant, id string, b polls.Ballot, f polls.Flip, delivery string, m *polls.MembershipCheck) (r polls.VoteResult, err error) {
	if b.Voter == "" {
		return r, errNoVoter
	}
	if f.Choice < 0 {
		return r, fmt.Errorf("choice %d: %w", f.Choice, polls.ErrUnknownTheme)
	}
	b.CastAt = stamp(b.CastAt)
	return s.vote(ctx, tenant, id, b.Voter, delivery, m, "t", string(b.Group), b.CastAt,
		strconv.Itoa(f.Choice), strconv.FormatInt(f.Points, 10), strconv.Itoa(max(f.Max, 0)))
}

// Retract deletes the voter's ballot and takes it out of the tally.
func (s *Store) Retract(ctx context.Context, tenant, id, voter string, at time.Time, delivery string) (r polls.VoteResult, err error) {
	defer wrap(&err, "retract", tenant, id)
	if voter == "" {
		return r, errNoVoter
	}
	return s.vote(ctx, tenant, id, voter, delivery, nil, "r", "", stamp(at))
}

// vote runs voteScript, or with a membership check memberVoteScript, and
// reads its reply.
func (s *Store) vote(ctx context.Context, tenant, id, voter, delivery string, m *polls.MembershipCheck, mode, group string, at time.Time, more ...any) (polls.VoteResult, error) {
	withTally := polls.VoteTallyWanted(ctx)
	script := voteScript
	memberKey, memberArgs := "", []any(nil)
	if m != nil {
		if s.clustered {
			return polls.VoteResult{}, errClusterMember
		}
		want, err := encodeMembership(m.Want)
		if err != nil {
			return polls.VoteResult{}, err
		}
		by := ""
		if d, ok := ctx.Deadline(); ok {
			by = strconv.FormatInt(d.UnixMilli(), 10)
		}
		script = memberVoteScript
		memberKey, memberArgs = s.groupsKey(tenant), []any{m.User, want, by}
	}
	cmd, token := s.voteCommand(script, tenant, id, voter, delivery, mode, withTally, group, at, more, memberKey, memberArgs)
	reply, err := script.run(ctx, s.rdb, cmd).StringSlice()
	if err != nil {
		return polls.VoteResult{}, mapErr(err)
	}
	if len(reply) == 1 && reply[0] == "late" {
		// The caller's deadline passed by the server's clock, while by
		// ours (a reply came) it has not, or only just: clocks that
		// disagree. Nothing changed; the caller votes without the check.
		return polls.VoteResult{}, fmt.Errorf("vote reached redis after its deadline by the server's clock: %w", polls.ErrNotChecked)
	}
	if len(reply) == 2 && reply[0] == "!" {
		stored, err := decodeMembership(reply[1])
		if err != nil {
			return polls.VoteResult{}, err
		}
		return polls.VoteResult{}, &polls.MembershipChanged{Stored: stored}
	}
	if len(reply) < 5 {
		return polls.VoteResult{}, fmt.Errorf("vote script replied %d values", len(reply))
	}
	var r polls.VoteResult
	if withTally {
		if len(reply) < 6 {
			return polls.VoteResult{}, fmt.Errorf("vote script replied %d values with the tally", len(reply))
		}
		if r.Tally, r.Version, err = replyTally(reply[4], reply[5]); err != nil {
			return r, err
		}
	} else if r.Version, err = strconv.ParseInt(reply[2], 10, 64); err != nil {
		return r, fmt.Errorf("tally version %q: %w", reply[2], err)
	}
	decode := func(rec string) (*polls.Ballot, error) {
		if rec == "" {
			return nil, nil
		}
		b, err := record.Decode(voter, rec)
		return &b, err
	}
	if reply[0] == "=" {
		// Recorded before: by another request (a repeat), or by this very
		// call, whose reply was lost and which the client sent again.
		r.Repeated = reply[3] != token
		r.Ballot, err = decode(reply[1])
		return r, err
	}
	if r.Prev, err = decode(reply[0]); err != nil {
		return r, err
	}
	r.Ballot, err = decode(reply[1])
	return r, err
}

// replyTally reads the tally voteScript returns: the poll's theme count
// ("" when the poll is gone: no tally, only its version) and the tally
// hash's fields and values, joined by commas.
func replyTally(themes, joined string) (*polls.Tally, int64, error) {
	if commas := strings.Count(joined, ","); joined != "" && commas%2 == 0 {
		return nil, 0, fmt.Errorf("tally reply: %d strings are not field-value pairs", commas+1)
	}
	pairs := func(yield func(k, v string) bool) {
		for rest := joined; rest != ""; {
			k, after, _ := strings.Cut(rest, ",")
			var v string
			v, rest, _ = strings.Cut(after, ",")
			if !yield(k, v) {
				return
			}
		}
	}
	if themes == "" {
		for k, v := range pairs {
			if k == polls.TallyVersionField {
				n, err := strconv.ParseInt(v, 10, 64)
				return nil, n, err
			}
		}
		return nil, 0, nil
	}
	n, err := strconv.Atoi(themes)
	if err != nil {
		return nil, 0, fmt.Errorf("poll theme count %q: %w", themes, err)
	}
	t, err := polls.ParseTallySeq(n, pairs)
	if err != nil {
		return nil, 0, err
	}
	return &t, t.Version, nil
}

// Ballot returns the voter's ballot.
func (s *Store) Ballot(ctx context.Context, tenant, id, voter string) (b polls.Ballot, err error) {
	defer wrap(&err, "ballot", tenant, id)
	rec, err := s.rdb.HGet(ctx, s.keys(tenant, id).ballots, voter).Result()
	if errors.Is(err, redis.Nil) {
		return polls.Ballot{}, polls.ErrNoBallot
	}
	if err != nil {
		return polls.Ballot{}, err
	}
	return record.Decode(voter, rec)
}

// scanCount is the HSCAN batch size hint.
const scanCount = 500

// Ballots streams the poll's ballots with HSCAN, a batch at a time. HSCAN
// may return an entry twice when the hash is resized during the scan, so
// the voters already passed to fn are remembered (their keys, not their
// ballots).
func (s *Store) Ballots(ctx context.Context, tenant, id string, fn func(polls.Ballot) error) (err error) {
	defer wrap(&err, "ballots", tenant, id)
	key := s.keys(tenant, id).ballots
	seen := map[string]struct{}{}
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, key, cursor, "", scanCount).Result()
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if _, dup := seen[kv[i]]; dup {
				continue
			}
			seen[kv[i]] = struct{}{}
			b, err := record.Decode(kv[i], kv[i+1])
			if err != nil {
				return fmt.Errorf("ballot of %q: %w", kv[i], err)
			}
			if err := fn(b); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// Tally reads the poll's tally hash (themes x groups fields, never the
// ballots).
func (s *Store) Tally(ctx context.Context, tenant, id string) (t polls.Tally, err error) {
	defer wrap(&err, "tally", tenant, id)
	k := s.keys(tenant, id)
	var themes *redis.StringCmd
	var fields *redis.MapStringStringCmd
	_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		themes = pipe.HGet(ctx, k.poll, fThemes)
		fields = pipe.HGetAll(ctx, k.tally)
		return nil
	})
	if errors.Is(themes.Err(), redis.Nil) {
		return polls.Tally{}, polls.ErrNotFound
	}
	if err != nil {
		return polls.Tally{}, err
	}
	n, err := themes.Int()
	if err != nil {
		return polls.Tally{}, fmt.Errorf("poll theme count: %w", err)
	}
	return polls.ParseTally(n, fields.Val())
}

// Tallies reads the tallies of many polls in one pipeline (on a Cluster,
// go-redis sends one per node).
func (s *Store) Tallies(ctx context.Context, tenant string, ids []string) (ts []polls.Tally, err error) {
	defer wrap(&err, "tallies", tenant, "")
	themes := make([]*redis.StringCmd, len(ids))
	fields := make([]*redis.MapStringStringCmd, len(ids))
	_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
		for i, id := range ids {
			k := s.keys(tenant, id)
			themes[i] = pipe.HGet(ctx, k.poll, fThemes)
			fields[i] = pipe.HGetAll(ctx, k.tally)
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, err
	}
	ts = make([]polls.Tally, len(ids))
	for i := range ids {
		if errors.Is(themes[i].Err(), redis.Nil) {
			continue
		}
		n, err := themes[i].Int()
		if err != nil {
			return nil, fmt.Errorf("poll %s theme count: %w", ids[i], err)
		}
		if ts[i], err = polls.ParseTally(n, fields[i].Val()); err != nil {
			return nil, fmt.Errorf("poll %s: %w", ids[i], err)
		}
	}
	return ts, nil
}

// newToken is a random token naming one store call, so that a client's
// retry of it is told apart from another request (see voteScript): a
// positive integer of 31 bits in decimal, without leading zeros, which
// Redis stores as an integer (no string allocated beside the key, 5 bytes
// in a listpack) and gives back as the same text. It only tells a call
// from the redelivery of the same request, so 31 bits are plenty.
func newToken() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return strconv.FormatUint(uint64(binary.BigEndian.Uint32(b[:])>>1|1), 10)
}
