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
	return voteScript.Load(ctx, s.rdb).Result()
}

// ToggleArgs returns the KEYS and ARGV that Toggle(ctx, tenant, id, b, f,
// delivery) passes to the vote script, with this store's key prefix and
// audit log bound: EVALSHA <sha> <len(keys)> <keys...> <argv...> is that
// toggle. With a delivery, the last two keys are the delivery's key and
// its key before the binary name (in the poll's slot).
func (s *Store) ToggleArgs(tenant, id string, b polls.Ballot, f polls.Flip, delivery string) (keys, argv []string, err error) {
	b.CastAt = stamp(b.CastAt)
	k := s.keys(tenant, id)
	keys = []string{k.poll, k.ballots, k.tally, k.log}
	if delivery != "" {
		keys = append(keys, s.voteDeliveryKey(tenant, id, delivery), s.legacyVoteDeliveryKey(tenant, id, delivery))
	}
	argv = []string{"t", b.Voter, string(b.Group), strconv.FormatInt(b.CastAt.UnixMilli(), 10),
		strconv.FormatInt(s.logMax, 10), strconv.FormatInt(polls.DeliveryTTL.Milliseconds(), 10), newToken(),
		strconv.Itoa(f.Choice), strconv.FormatInt(f.Points, 10), strconv.Itoa(f.Max)}
	return keys, argv, nil
}
