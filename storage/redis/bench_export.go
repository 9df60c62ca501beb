package redisstore

import (
	"context"
	"fmt"
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
	return voteScript.Load(ctx, s.rdb).Result()
}

// ToggleArgs returns the KEYS and ARGV that Toggle(ctx, tenant, id, b, f,
// delivery) passes to the vote script, with this store's key prefix and
// audit log bound: EVALSHA <sha> <len(keys)> <keys...> <argv...> is that
// toggle (see voteScript for what each is).
func (s *Store) ToggleArgs(tenant, id string, b polls.Ballot, f polls.Flip, delivery string) (keys, argv []string, err error) {
	b.CastAt = stamp(b.CastAt)
	cmd, _ := s.voteCommand(voteScript, tenant, id, b.Voter, delivery, "t", false, string(b.Group), b.CastAt,
		[]any{strconv.Itoa(f.Choice), strconv.FormatInt(f.Points, 10), strconv.Itoa(max(f.Max, 0))}, "", nil)
	n := cmd[2].(int)
	for _, k := range cmd[3 : 3+n] {
		keys = append(keys, k.(string))
	}
	for _, a := range cmd[3+n:] {
		argv = append(argv, fmt.Sprint(a))
	}
	return keys, argv, nil
}
