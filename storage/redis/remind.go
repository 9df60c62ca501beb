package redisstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/redis/go-redis/v9"
)

// Reminders (polls.ReminderStore). A poll's reminder schedule is a hash in
// the poll's slot, so that the scripts below check the poll and change its
// schedule in one atomic step:
//
//	pollbot:{<tenant>/<poll>}:remind    hash: closes (the deadline it was made for, unix ms),
//	                                    at (the reminders not yet posted, unix ms, ascending,
//	                                    comma-separated), claimed and lease (unix ms) while a
//	                                    reminder is claimed
//	pollbot:reminders                   zset: "<tenant>/<poll>" by the lease of its claimed
//	                                    reminder, else by its next reminder (unix ms)
//
// The hash exists only while the poll has reminders to come. The index is
// in another slot and is brought in line with the hash after each script,
// as the deadline index is with the poll (see syncReminderIndex). Neither
// key existed before reminders did, so stores written by earlier versions
// need no migration: their polls have no reminder offsets.

func (s *Store) remindKey(tenant, id string) string {
	return s.pollBase(tenant, id) + "remind"
}

func (s *Store) remindersKey() string { return s.prefix + "reminders" }

// Fields of a reminder schedule hash.
const (
	rCloses  = "closes"
	rAt      = "at"
	rClaimed = "claimed"
	rLease   = "lease"
)

// setRemindersScript replaces or drops a poll's reminder schedule.
//
// KEYS: remind, poll
// ARGV: the deadline it is for (unix ms), the times ("" drops the schedule)
var setRemindersScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[2], 'status', 'closes_ms')
if not f[1] then
  redis.call('DEL', KEYS[1])
  return redis.error_reply('POLLBOT_NOT_FOUND no such poll')
end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  return 1
end
if f[1] ~= 'open' or f[2] ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'closes', ARGV[1], 'at', ARGV[2])
return 1
`)

// claimReminderScript claims a poll's latest due reminder; it returns
// {"claimed", its time}, {"stale", ""} or {"none", ""}.
//
// KEYS: remind, poll
// ARGV: now ms, lease ms
var claimReminderScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[2], 'status', 'closes_ms')
if not f[1] then
  redis.call('DEL', KEYS[1])
  return redis.error_reply('POLLBOT_NOT_FOUND no such poll')
end
local r = redis.call('HMGET', KEYS[1], 'closes', 'at', 'lease')
if not r[2] then return {'none', ''} end
if f[1] ~= 'open' then
  redis.call('DEL', KEYS[1])
  return {'none', ''}
end
if (f[2] or '') ~= r[1] then return {'stale', ''} end
local now = tonumber(ARGV[1])
if now >= tonumber(r[1]) then
  redis.call('DEL', KEYS[1])
  return {'none', ''}
end
if r[3] and tonumber(r[3]) > now then return {'none', ''} end
local due
for x in string.gmatch(r[2], '[^,]+') do
  if tonumber(x) > now then break end
  due = x
end
if not due then return {'none', ''} end
redis.call('HSET', KEYS[1], 'claimed', due, 'lease', ARGV[2])
return {'claimed', due}
`)

// reminderDoneScript marks a claimed reminder, and every earlier one,
// posted; 1 if it was the one claimed.
//
// KEYS: remind, poll
// ARGV: its time (unix ms)
var reminderDoneScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[2]) == 0 then
  redis.call('DEL', KEYS[1])
  return redis.error_reply('POLLBOT_NOT_FOUND no such poll')
end
local r = redis.call('HMGET', KEYS[1], 'at', 'claimed')
if not r[2] or r[2] ~= ARGV[1] then return 0 end
local at, rest = tonumber(ARGV[1]), {}
for x in string.gmatch(r[1], '[^,]+') do
  if tonumber(x) > at then rest[#rest + 1] = x end
end
if #rest == 0 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'at', table.concat(rest, ','))
  redis.call('HDEL', KEYS[1], 'claimed', 'lease')
end
return 1
`)

// SetReminders replaces (or, with no times, drops) a poll's reminder
// schedule, then syncs the reminder index.
func (s *Store) SetReminders(ctx context.Context, tenant, id string, closesAt time.Time, at []time.Time) (changed bool, err error) {
	defer wrap(&err, "set reminders", tenant, id)
	list := formatMillis(at)
	if list != "" && closesAt.IsZero() {
		return false, fmt.Errorf("reminders without a deadline: %w", polls.ErrInvalidOption)
	}
	n, err := setRemindersScript.Run(ctx, s.rdb, []string{s.remindKey(tenant, id), s.keys(tenant, id).poll}, closesMS(stamp(closesAt)), list).Int()
	return n == 1, s.afterReminderScript(ctx, tenant, id, err)
}

// ClaimReminder claims a poll's latest due reminder, then syncs the
// reminder index.
func (s *Store) ClaimReminder(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (c polls.ReminderClaim, err error) {
	defer wrap(&err, "claim reminder", tenant, id)
	if leaseUntil.IsZero() {
		return c, errors.New("claim a reminder without a lease")
	}
	res, err := claimReminderScript.Run(ctx, s.rdb, []string{s.remindKey(tenant, id), s.keys(tenant, id).poll},
		itoa(now.UnixMilli()), itoa(stamp(leaseUntil).UnixMilli())).StringSlice()
	if err == nil && len(res) == 2 {
		switch res[0] {
		case "claimed":
			ms, perr := strconv.ParseInt(res[1], 10, 64)
			if perr != nil {
				err = fmt.Errorf("%w: reminder time %q", errCorrupt, res[1])
				break
			}
			c.At = time.UnixMilli(ms).UTC()
		case "stale":
			c.Stale = true
		}
	}
	return c, s.afterReminderScript(ctx, tenant, id, err)
}

// ReminderDone marks a claimed reminder posted, then syncs the reminder
// index.
func (s *Store) ReminderDone(ctx context.Context, tenant, id string, at time.Time) (err error) {
	defer wrap(&err, "reminder done", tenant, id)
	err = reminderDoneScript.Run(ctx, s.rdb, []string{s.remindKey(tenant, id), s.keys(tenant, id).poll}, itoa(stamp(at).UnixMilli())).Err()
	return s.afterReminderScript(ctx, tenant, id, err)
}

// afterReminderScript finishes a reminder script: a refusal it returned
// (an unknown poll) still syncs the index; a failure to run it does not.
func (s *Store) afterReminderScript(ctx context.Context, tenant, id string, err error) error {
	err = mapErr(err)
	if err != nil && !isScriptErr(err) {
		return err
	}
	if serr := s.syncReminderIndex(ctx, tenant, id); serr != nil && err == nil {
		err = serr
	}
	return err
}

// syncReminderIndex makes the poll's entry in the reminder index agree
// with its schedule, which is in another slot: it reads the schedule,
// writes the entry it implies, and reads again until what it read is what
// it last wrote (the convergence argument of syncIndexes: whoever writes
// last has read the schedule after every script that changed it).
func (s *Store) syncReminderIndex(ctx context.Context, tenant, id string) error {
	member := deadlineMember(tenant, id)
	var wrote *int64
	for range 10 {
		score, err := s.reminderScore(ctx, tenant, id)
		if err != nil {
			return fmt.Errorf("reminder index: %w", err)
		}
		if wrote != nil && *wrote == score {
			return nil
		}
		if score < 0 {
			err = s.rdb.ZRem(ctx, s.remindersKey(), member).Err()
		} else {
			err = s.rdb.ZAdd(ctx, s.remindersKey(), redis.Z{Score: float64(score), Member: member}).Err()
		}
		if err != nil {
			return fmt.Errorf("reminder index: %w", err)
		}
		wrote = &score
	}
	// Only a schedule changing for ten rounds in a row gets here; the
	// entry it leaves is repaired by the next change, or dropped by
	// DueReminders or a claim.
	return nil
}

// reminderScore is the poll's score in the reminder index: the lease of a
// claimed reminder, else its next reminder; -1 for no entry.
func (s *Store) reminderScore(ctx context.Context, tenant, id string) (int64, error) {
	f, err := s.rdb.HMGet(ctx, s.remindKey(tenant, id), rAt, rLease).Result()
	if err != nil {
		return -1, err
	}
	at, _ := f[0].(string)
	lease, _ := f[1].(string)
	if lease != "" {
		n, err := strconv.ParseInt(lease, 10, 64)
		if err != nil {
			return -1, fmt.Errorf("%w: reminder lease %q", errCorrupt, lease)
		}
		return n, nil
	}
	times, err := parseMillis(at)
	if err != nil || len(times) == 0 {
		return -1, err
	}
	return times[0], nil
}

// DueReminders returns polls whose next reminder, or claimed reminder's
// lease, is at or before the given time, earliest first; limit <= 0
// means no limit. Entries whose schedule is gone are removed as they are
// met, and the next ones read in their place.
func (s *Store) DueReminders(ctx context.Context, before time.Time, limit int) (out []polls.Key, err error) {
	defer wrap(&err, "due reminders", "*", "*")
	for range 100 {
		by := &redis.ZRangeBy{Min: "-inf", Max: itoa(before.UnixMilli())}
		if limit > 0 {
			by.Count = int64(limit - len(out))
			by.Offset = int64(len(out))
		}
		members, err := s.rdb.ZRangeByScore(ctx, s.remindersKey(), by).Result()
		if err != nil {
			return out, err
		}
		keys := make([]polls.Key, len(members))
		exists := make([]*redis.IntCmd, len(members))
		_, err = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i, m := range members {
				keys[i], _ = parseDeadlineMember(m)
				exists[i] = pipe.Exists(ctx, s.remindKey(keys[i].Tenant, keys[i].ID))
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		removed := 0
		for i, k := range keys {
			if k.ID != "" && exists[i].Val() == 1 {
				out = append(out, k)
				continue
			}
			if err := s.rdb.ZRem(ctx, s.remindersKey(), members[i]).Err(); err != nil {
				return out, err
			}
			removed++
		}
		if removed == 0 || limit <= 0 || len(out) >= limit {
			return out, nil
		}
	}
	return out, nil
}

// formatMillis writes times as a schedule's "at" field: unix ms,
// ascending, comma-separated, without repeats.
func formatMillis(at []time.Time) string {
	ms := make([]int64, 0, len(at))
	for _, t := range at {
		ms = append(ms, stamp(t).UnixMilli())
	}
	slices.Sort(ms)
	ms = slices.Compact(ms)
	parts := make([]string, len(ms))
	for i, n := range ms {
		parts[i] = itoa(n)
	}
	return strings.Join(parts, ",")
}

// parseMillis reads a schedule's "at" field ("" is none). Anything but
// ascending decimal integers separated by commas is corrupt.
func parseMillis(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil || p != strconv.FormatInt(n, 10) || len(out) > 0 && n <= out[len(out)-1] {
			return nil, fmt.Errorf("%w: reminder times %q", errCorrupt, brief(s))
		}
		out = append(out, n)
	}
	return out, nil
}

// brief cuts stored text repeated in an error.
func brief(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
