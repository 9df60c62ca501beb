package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pollbot/pollbot/polls"
	"github.com/redis/go-redis/v9"
)

// Cast stores b as its voter's ballot in one script: it checks the poll is
// open and before its deadline by the server clock, replaces the previous
// ballot and moves the tally from the old ballot to the new one.
func (s *Store) Cast(ctx context.Context, tenant, id string, b polls.Ballot) (prev *polls.Ballot, err error) {
	defer wrap(&err, "cast", tenant, id)
	if b.Voter == "" {
		return nil, errNoVoter
	}
	if len(b.Choices) == 0 {
		return nil, polls.ErrNoChoices
	}
	b.CastAt = stamp(b.CastAt)
	csv, err := choicesCSV(b.Choices)
	if err != nil {
		return nil, err
	}
	data, err := json.Marshal(b)
	if err != nil {
		return nil, err
	}
	k := s.keys(tenant, id)
	args := make([]any, 0, 6+len(b.Choices))
	args = append(args, b.Voter, string(b.Group), data, csv, formatTime(b.CastAt), s.logMax)
	for _, c := range b.Choices {
		args = append(args, c)
	}
	old, err := castScript.Run(ctx, s.rdb, []string{k.poll, k.ballots, k.tally, k.log}, args...).Text()
	if err != nil {
		return nil, mapErr(err)
	}
	if old == "" {
		return nil, nil
	}
	var p polls.Ballot
	if err := json.Unmarshal([]byte(old), &p); err != nil {
		return nil, fmt.Errorf("decode previous ballot: %w", err)
	}
	return &p, nil
}

// errNoVoter guards against a caller's bug: a ballot must say whose it is.
var errNoVoter = errors.New("ballot without a voter")

func choicesCSV(choices []int) (string, error) {
	var sb strings.Builder
	for i, c := range choices {
		if c < 0 {
			return "", fmt.Errorf("choice %d: %w", c, polls.ErrUnknownTheme)
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(c))
	}
	return sb.String(), nil
}

// Toggle adds theme to the voter's approval ballot or removes it, in one
// script with the same checks as Cast plus the poll's max choices.
func (s *Store) Toggle(ctx context.Context, tenant, id string, b polls.Ballot, theme int, op string) (nb polls.Ballot, err error) {
	defer wrap(&err, "toggle", tenant, id)
	if b.Voter == "" {
		return polls.Ballot{}, errNoVoter
	}
	b.CastAt = stamp(b.CastAt)
	if theme < 0 {
		return polls.Ballot{}, fmt.Errorf("theme %d: %w", theme, polls.ErrUnknownTheme)
	}
	head, tail, err := ballotJSONParts(b)
	if err != nil {
		return polls.Ballot{}, err
	}
	k := s.keys(tenant, id)
	keys := []string{k.poll, k.ballots, k.tally, k.log}
	args := []any{b.Voter, string(b.Group), theme, head, tail, formatTime(b.CastAt), s.logMax}
	if op != "" {
		keys = append(keys, s.opKey(tenant, id, op))
		args = append(args, polls.OpTTL.Milliseconds())
	}
	out, err := toggleScript.Run(ctx, s.rdb, keys, args...).Text()
	if err != nil {
		return polls.Ballot{}, mapErr(err)
	}
	if rest, dup := strings.CutPrefix(out, "="); dup {
		// Applied before: the voter's ballot as it is now.
		if rest == "" {
			return polls.Ballot{Voter: b.Voter}, nil
		}
		if err := json.Unmarshal([]byte(rest), &nb); err != nil {
			return polls.Ballot{}, fmt.Errorf("decode ballot: %w", err)
		}
		return nb, nil
	}
	if out == "" {
		return polls.Ballot{Voter: b.Voter, Group: b.Group, CastAt: b.CastAt}, nil
	}
	if err := json.Unmarshal([]byte(out), &nb); err != nil {
		return polls.Ballot{}, fmt.Errorf("decode toggled ballot: %w", err)
	}
	return nb, nil
}

// ballotJSONParts returns json.Marshal(b) split around the value of
// "choices", for the toggle script to put the new choices in between.
func ballotJSONParts(b polls.Ballot) (head, tail string, err error) {
	b.Choices = []int{}
	data, err := json.Marshal(b)
	if err != nil {
		return "", "", err
	}
	// Strings in the JSON escape their quotes, so this marker only occurs
	// as the field itself.
	const marker = `"choices":[]`
	i := strings.Index(string(data), marker)
	if i < 0 {
		return "", "", errors.New("ballot JSON has no choices field")
	}
	i += len(marker) - len("[]")
	return string(data[:i]), string(data[i+len("[]"):]), nil
}

// Retract deletes the voter's ballot and takes it out of the tally.
func (s *Store) Retract(ctx context.Context, tenant, id, voter string) (ok bool, err error) {
	defer wrap(&err, "retract", tenant, id)
	k := s.keys(tenant, id)
	n, err := retractScript.Run(ctx, s.rdb, []string{k.poll, k.ballots, k.tally, k.log}, voter, s.logMax).Int()
	if err != nil {
		return false, mapErr(err)
	}
	return n == 1, nil
}

// Ballot returns the voter's ballot.
func (s *Store) Ballot(ctx context.Context, tenant, id, voter string) (b polls.Ballot, err error) {
	defer wrap(&err, "ballot", tenant, id)
	data, err := s.rdb.HGet(ctx, s.keys(tenant, id).ballots, voter).Bytes()
	if errors.Is(err, redis.Nil) {
		return polls.Ballot{}, polls.ErrNoBallot
	}
	if err != nil {
		return polls.Ballot{}, err
	}
	if err := json.Unmarshal(data, &b); err != nil {
		return polls.Ballot{}, fmt.Errorf("decode ballot: %w", err)
	}
	return b, nil
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
			var b polls.Ballot
			if err := json.Unmarshal([]byte(kv[i+1]), &b); err != nil {
				return fmt.Errorf("decode ballot of %q: %w", kv[i], err)
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
