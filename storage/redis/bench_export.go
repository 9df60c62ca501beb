package redisstore

import (
	"context"
	"strconv"

	"github.com/pollbot/pollbot/polls"
)

// These let a benchmark run the vote path's script without the store
// around it (cmd/pollbench drives redis-benchmark with them), so the raw
// Redis ceiling of a click is measured on exactly what Toggle sends.

// LoadToggleScript loads the script Toggle runs into the store's Redis
// (SCRIPT LOAD; on a cluster, into the node the client picks) and returns
// its SHA1 for EVALSHA.
func (s *Store) LoadToggleScript(ctx context.Context) (sha string, err error) {
	return toggleScript.Load(ctx, s.rdb).Result()
}

// ToggleArgs returns the KEYS and ARGV that Toggle(ctx, tenant, id, b,
// theme, op) passes to the toggle script, with this store's key prefix and
// audit log bound: EVALSHA <sha> <len(keys)> <keys...> <argv...> is that
// toggle. With an op, the last key is the op's key (in the poll's slot)
// and the last argument its lifetime in milliseconds.
func (s *Store) ToggleArgs(tenant, id string, b polls.Ballot, theme int, op string) (keys, argv []string, err error) {
	b.CastAt = stamp(b.CastAt)
	head, tail, err := ballotJSONParts(b)
	if err != nil {
		return nil, nil, err
	}
	k := s.keys(tenant, id)
	keys = []string{k.poll, k.ballots, k.tally, k.log}
	argv = []string{b.Voter, string(b.Group), strconv.Itoa(theme), head, tail, formatTime(b.CastAt), strconv.FormatInt(s.logMax, 10)}
	if op != "" {
		keys = append(keys, s.opKey(tenant, id, op))
		argv = append(argv, strconv.FormatInt(polls.OpTTL.Milliseconds(), 10))
	}
	return keys, argv, nil
}
