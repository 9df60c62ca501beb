package redisstore

import (
	"context"
	"strconv"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/internal/record"
	"github.com/redis/go-redis/v9"
)

// The vote path sends its script as one command built in one slice:
// EVALSHA <sha> <numkeys> <keys...> <argv...>, falling back to EVAL when
// the server does not hold the script, as redis.Script.Run does. Run
// took the keys as strings and the arguments as a second slice, and
// boxed each key again into a third: about fifty allocations a vote. A
// poll's keys are built and boxed once here (voteKeysOf), as are the
// arguments that never change.

// voteScript is a vote script with its source, for the EVAL fallback.
type voteScriptSrc struct {
	*redis.Script
	src string
	sha any // the SHA1, boxed once
}

func newVoteScript(src string) *voteScriptSrc {
	s := redis.NewScript(src)
	return &voteScriptSrc{Script: s, src: src, sha: s.Hash()}
}

// run runs cmd, built by voteCommand, by EVALSHA and, when the server
// does not hold the script, by EVAL.
func (sc *voteScriptSrc) run(ctx context.Context, rdb redis.UniversalClient, cmd []any) *redis.Cmd {
	c := newEvalCmd(ctx, cmd)
	_ = rdb.Process(ctx, c)
	if err := c.Err(); err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
		cmd[0], cmd[1] = "eval", sc.src
		c = newEvalCmd(ctx, cmd)
		_ = rdb.Process(ctx, c)
	}
	return c
}

func newEvalCmd(ctx context.Context, cmd []any) *redis.Cmd {
	c := redis.NewCmd(ctx, cmd...)
	c.SetFirstKeyPos(3) // on a cluster, the slot is the first key's
	return c
}

// voteKeys are a poll's keys as the vote scripts take them, boxed.
type voteKeys struct {
	base string // "<prefix>{<tenant>/<id>}:"
	poll [4]any // poll, ballots, tally, log
	// dv are the two delivery generations' hashes of each bucket (see
	// voteDeliveryKeys).
	dv [2][deliveryBuckets]any
}

// delivery is where the vote scripts look for and record a delivery
// (see voteDeliveryKeys): its bucket's two generation hashes, boxed, the
// key a record had before the buckets, and the field naming it.
func (vk *voteKeys) delivery(key string) (dv0, dv1 any, old, field string) {
	name := voteDeliveryName(key)
	b := name[15] % deliveryBuckets
	return vk.dv[0][b], vk.dv[1][b], vk.base + "d:" + name, name[:8]
}

// pollRef names a poll in the store's cache of voteKeys (Store.voteKeys:
// the polls voted in, emptied when it holds keyCacheMax).
type pollRef struct{ tenant, id string }

const keyCacheMax = 4096

func (s *Store) voteKeysOf(tenant, id string) *voteKeys {
	return s.voteKeys.Load(pollRef{tenant, id}, keyCacheMax, func() *voteKeys {
		k := s.keys(tenant, id)
		vk := &voteKeys{base: s.pollBase(tenant, id), poll: [4]any{k.poll, k.ballots, k.tally, k.log}}
		for b := range deliveryBuckets {
			bucket := strconv.FormatUint(uint64(b), 16)
			vk.dv[0][b] = vk.base + "dv0" + bucket
			vk.dv[1][b] = vk.base + "dv1" + bucket
		}
		return vk
	})
}

// Arguments that are the same for every vote, boxed once.
var (
	deliveryTTLArg any = polls.DeliveryTTL.Milliseconds()
	voteModes          = map[string][2]any{ // without, with the tally
		"c": {"c", "c+"}, "t": {"t", "t+"}, "r": {"r", "r+"},
	}
)

// voteCommand builds sc's command for a vote: the KEYS and ARGV
// voteScript documents, then memberKeys and memberArgs (the membership
// check's), with a new token, which it also returns.
func (s *Store) voteCommand(sc *voteScriptSrc, tenant, id, voter, delivery, mode string, withTally bool, group string, at time.Time, more []any, memberKey string, memberArgs []any) (cmd []any, token string) {
	vk := s.voteKeysOf(tenant, id)
	cmd = make([]any, 3, 3+8+9+len(more)+len(memberArgs))
	cmd[0], cmd[1] = "evalsha", sc.sha
	cmd = append(cmd, vk.poll[:]...)
	field := ""
	if delivery != "" {
		var dv0, dv1 any
		var old string
		dv0, dv1, old, field = vk.delivery(delivery)
		cmd = append(cmd, dv0, dv1, old)
	}
	if memberKey != "" {
		cmd = append(cmd, memberKey)
	}
	cmd[2] = len(cmd) - 3
	modeArg := any(mode)
	if m, ok := voteModes[mode]; ok {
		modeArg = m[0]
		if withTally {
			modeArg = m[1]
		}
	} else if withTally {
		modeArg = mode + "+"
	}
	token = newToken()
	cmd = append(cmd, modeArg, voter, group, at.UnixMilli(), s.logMaxArg, deliveryTTLArg, token, field, record.Time(at))
	cmd = append(cmd, more...)
	return append(cmd, memberArgs...), token
}
