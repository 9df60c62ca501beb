package redisstore

import (
	"strings"

	"github.com/redis/go-redis/v9"
)

// The scripts get every key they touch in KEYS, all in one slot: a poll's
// ({tenant/poll}) or a tenant's ({tenant}). They report refusals as error
// replies "POLLBOT_<CODE> text" (see mapErr). Errors are returned, never
// raised: how Redis words a raised error has changed between versions, an
// error_reply has not.
//
// No script knows a poll kind: a ballot record carries the points each of
// its choices adds to the tally (storage/internal/record), computed in Go
// by the domain, and a vote moves the tally by the difference between the
// old record and the new one.

// voteScript is every vote: a cast (mode c) replaces the voter's ballot, a
// toggle (t) flips one choice in it, a retract (r) deletes it. In one
// atomic step it checks the delivery, then that the poll is open and
// before its deadline by the server clock, writes or deletes the ballot
// record, moves the tally by the change (fields that reach zero are
// deleted), adds one to the tally's version "v", appends the event with
// the tally's change to the audit log, records the delivery and publishes
// the change to the poll's watchers (see notifyLua).
//
// It returns {previous record, new record, version, "", theme count}
// ("" for no record), and when the mode ends in "+" instead of the version
// "" and after the theme count the tally hash's fields and values as
// HGETALL gives them, joined by commas into one string (no field or value
// holds a comma; one string, not a hundred, is what Redis writes and
// go-redis reads): the tally as the vote left it, read in the same step,
// so that showing the poll right after the vote needs no second read
// (polls.WithVoteTally). When the
// delivery was applied before it returns {"=", current record, version,
// the token it was recorded with, ...the same tally} and changes nothing.
// The token is the caller's, random per call: a client that retries after
// losing the reply finds its own token and knows the vote is its own, not
// a repeat.
//
// A delivery is recorded in one of two generations of hashes
// (voteDeliveryKeys): generation k mod 2, where k counts windows of
// polls.DeliveryTTL by the server clock, in a hash that expires at the
// end of window k+1 (set when the hash is new or left over from window
// k-2, which the PTTL of at most one window tells). So a record lives
// between one and two DeliveryTTLs, the hash of a generation is never
// written after its expiry is due, and looking in both generations finds
// every live record. The record a delivery had before the buckets (a
// string key of its own) counts as recorded too; it is never written.
//
// A toggle's audit entry has no kind ("e"): it is the only entry without
// one, and almost every vote is a toggle, so leaving it out saves the
// five bytes it takes in the stream (see decodeStreamEvent).
//
// The audit entry's change ("d") names each field's group only when the
// vote moved the ballot between groups: usually every field is of the
// entry's group ("g"), and then a change of one also leaves out its count:
// "0,n" stands for "0|<g>:1,n|<g>:1", "0:-1,n:-1" for "0|<g>:-1,n|<g>:-1"
// (see expandDelta). The entry has the vote's time ("t") only when it
// differs from the server clock by more than a second: otherwise the
// entry's id, which XADD takes from the server clock, says when.
//
// KEYS: poll, ballots, tally, log[, delivery generation 0, generation 1,
// record before the buckets]
// ARGV: mode (c, t or r, then "+" for the tally), voter, group, time (unix ms), log max, delivery ttl ms,
// token, delivery field ("" for none), time as the ballot record holds it (record.Time), then
// for c: choices "2,0,1", points "3,2,1" ("" for 1 each); for t: choice, points, max choices (0: any)
var voteScript = newVoteScript(notifyLua + voteLua(`
local dk0, dk1, dold = KEYS[5], KEYS[6], KEYS[7]
`, ""))

// memberVoteScript is voteScript that first checks the voter's membership
// (polls.MembershipVoter): after the delivery check, if the tenant's
// groups hash holds for the user anything but the expected membership
// record ("" for none), it changes nothing and returns {"!", the stored
// record or ""}. The groups hash is in the tenant's slot, not the poll's,
// so this script is for a single node (or a Sentinel's master) only.
//
// Before anything, a vote that reaches the server after its caller's
// deadline (by the server clock) changes nothing and returns {"late"}:
// this script is a click's first command, and one written to a server
// that then stalls must not apply once the voter has been told to try
// again (a read before the vote used to take that stall instead).
//
// KEYS: voteScript's, then the tenant's groups hash
// ARGV: voteScript's, then the user, the expected membership record and
// the caller's deadline (unix ms; "" for none)
var memberVoteScript = newVoteScript(notifyLua + voteLua(`
local dk0, dk1, dold
if #KEYS == 8 then dk0, dk1, dold = KEYS[5], KEYS[6], KEYS[7] end
if ARGV[#ARGV] ~= '' and nowms() > tonumber(ARGV[#ARGV]) then
  return {'late'}
end
`, `
local stored = redis.call('HGET', KEYS[#KEYS], ARGV[#ARGV - 2]) or ''
if stored ~= ARGV[#ARGV - 1] then return {'!', stored} end
`))

// voteLua is the vote scripts' body: prologue names the delivery keys
// (dk0, dk1, dold: nil without a delivery), check runs after the
// delivery's.
func voteLua(prologue, check string) string {
	return nowLua + prologue + strings.Replace(voteBody, "--CHECK--\n", check, 1)
}

// nowLua is the server clock in unix ms, read once per script.
const nowLua = `local clock
local function nowms()
  if not clock then
    local t = redis.call('TIME')
    clock = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  end
  return clock
end
`

const voteBody = `local ballots, tally = KEYS[2], KEYS[3]
local mode, withTally = string.sub(ARGV[1], 1, 1), string.sub(ARGV[1], 2) == '+'
local voter, group = ARGV[2], ARGV[3]
local f = redis.call('HMGET', KEYS[1], 'status', 'closes_ms', 'themes')
local function reply(a, b, tok, version)
  if not withTally then
    if version then version = string.format('%d', version) end
    return {a, b, version or redis.call('HGET', tally, 'v') or '0', tok, f[3] or ''}
  end
  return {a, b, '', tok, f[3] or '', table.concat(redis.call('HGETALL', tally), ',')}
end
local dfield = ARGV[8]
if dk0 then
  local tok = redis.call('HGET', dk0, dfield) or redis.call('HGET', dk1, dfield) or redis.call('GET', dold)
  if tok then
    return reply('=', redis.call('HGET', ballots, voter) or '', tok)
  end
end
local function remember()
  if not dk0 then return end
  local w = tonumber(ARGV[6])
  local k = math.floor(nowms() / w)
  local key = dk0
  if k % 2 == 1 then key = dk1 end
  redis.call('HSET', key, dfield, ARGV[7])
  if redis.call('PTTL', key) <= w then
    redis.call('PEXPIREAT', key, string.format('%d', (k + 2) * w))
  end
end
--CHECK--
if f[1] ~= 'open' then
  if not f[1] then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
  if f[1] == 'cancelled' then return redis.error_reply('POLLBOT_CANCELLED poll is cancelled') end
  return redis.error_reply('POLLBOT_CLOSED poll is closed')
end
if f[2] and f[2] ~= '' and nowms() >= tonumber(f[2]) then
  return redis.error_reply('POLLBOT_PAST_DEADLINE poll deadline has passed')
end
local function split(s, n)
  local out = {}
  if s == '' then
    for i = 1, n do out[i] = '1' end
    return out
  end
  for x in string.gmatch(s, '[^,]+') do out[#out + 1] = x end
  return out
end
local old = redis.call('HGET', ballots, voter)
local og, oc, op
if old then
  local ms, cs, ps
  og, ms, cs, ps = string.match(old, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  if not og then return redis.error_reply('POLLBOT_CORRUPT ballot record') end
  oc = split(cs, 0)
  op = split(ps, #oc)
end
local nc, np, flip
if mode == 'c' then
  nc = split(ARGV[10], 0)
  np = split(ARGV[11], #nc)
elseif mode == 't' then
  nc, np = {}, {}
  local found = false
  if old then
    for i = 1, #oc do
      if oc[i] == ARGV[10] then found = op[i] else nc[#nc + 1] = oc[i]; np[#np + 1] = op[i] end
    end
  end
  if old and og == group then
    -- Within one group a toggle moves one theme's count, and the
    -- voter count only when the ballot goes: the changes the general
    -- path below finds, in its order, without building every field.
    flip = {}
    if found and #nc == 0 then flip[1], flip[2] = 'n', -1 end
    flip[#flip + 1] = ARGV[10]
    if found then flip[#flip + 1] = -tonumber(found) else flip[#flip + 1] = tonumber(ARGV[11]) end
  end
  if not found then
    local c, pos = tonumber(ARGV[10]), #nc + 1
    for i = 1, #nc do
      if tonumber(nc[i]) > c then pos = i; break end
    end
    table.insert(nc, pos, ARGV[10])
    table.insert(np, pos, ARGV[11])
    local max = tonumber(ARGV[12])
    if max > 0 and #nc > max then return redis.error_reply('POLLBOT_TOO_MANY_CHOICES too many choices') end
  end
  if #nc == 0 then nc = nil end
end
if not old and not nc then
  remember()
  return reply('', '', '')
end
local delta, order = {}, {}
local function bump(field, d)
  if delta[field] == nil then delta[field] = 0; order[#order + 1] = field end
  delta[field] = delta[field] + d
end
if flip then
  for i = 1, #flip, 2 do bump(flip[i] .. '|' .. group, flip[i + 1]) end
elseif old then
  bump('n|' .. og, -1)
  for i = 1, #oc do bump(oc[i] .. '|' .. og, -tonumber(op[i])) end
end
local rec, g = '', og
if nc then
  g = group
  if not flip then bump('n|' .. group, 1) end
  local ones = true
  for i = 1, #nc do
    if not flip then bump(nc[i] .. '|' .. group, tonumber(np[i])) end
    if np[i] ~= '1' then ones = false end
  end
  local ps = ''
  if not ones then ps = table.concat(np, ',') end
  rec = group .. '|' .. ARGV[9] .. '|' .. table.concat(nc, ',') .. '|' .. ps
  redis.call('HSET', ballots, voter, rec)
else
  redis.call('HDEL', ballots, voter)
end
local changes, short = {}, not old or og == g
for _, field in ipairs(order) do
  local d = delta[field]
  if d ~= 0 then
    if redis.call('HINCRBY', tally, field, d) == 0 then redis.call('HDEL', tally, field) end
    if short then
      local name = string.sub(field, 1, string.find(field, '|', 1, true) - 1)
      if d == 1 then changes[#changes + 1] = name else changes[#changes + 1] = name .. ':' .. string.format('%d', d) end
    else
      changes[#changes + 1] = field .. ':' .. string.format('%d', d)
    end
  end
end
local version = redis.call('HINCRBY', tally, 'v', 1)
local entry = {'u', voter, 'g', g, 'd', table.concat(changes, ',')}
if mode ~= 't' then
  table.insert(entry, 1, mode)
  table.insert(entry, 1, 'e')
end
if math.abs(tonumber(ARGV[4]) - nowms()) > 1000 then
  entry[#entry + 1], entry[#entry + 2] = 't', ARGV[4]
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[5], '*', unpack(entry))
remember()
notify(KEYS[4], mode)
return reply(old or '', rec, '', version)
`

// closeScript moves a poll to closed (from open) or cancelled (from open or
// closed); 1 if this call changed it. Closing a cancelled poll is refused.
// A change clears any owed announcement (announce_ms). With a lease
// (ARGV[4], the deadline scheduler's CloseAtDeadline) it closes only an
// open poll whose deadline is at or before ARGV[5] (an extension that
// landed first keeps the poll open: 0), with the deadline as its close
// time, and marks the announcement owed until the lease, in the same step.
//
// KEYS: poll, log
// ARGV: closed|cancelled, time (RFC 3339), log max, lease ms ("" for none),
// now ms, time (unix ms)
var closeScript = redis.NewScript(notifyLua + `
local f = redis.call('HMGET', KEYS[1], 'status', 'closed_at', 'closes_ms', 'closes_at')
local st = f[1]
if not st then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
if st == ARGV[1] then return 0 end
local at, atms = ARGV[2], ARGV[6]
if ARGV[1] == 'closed' then
  if st ~= 'open' then return redis.error_reply('POLLBOT_CANCELLED poll is cancelled') end
  if ARGV[4] ~= '' then
    if not f[3] or f[3] == '' or tonumber(f[3]) > tonumber(ARGV[5]) then return 0 end
    at, atms = f[4], f[3]
    redis.call('HSET', KEYS[1], 'announce_ms', ARGV[4])
  else
    redis.call('HDEL', KEYS[1], 'announce_ms')
  end
  redis.call('HSET', KEYS[1], 'status', 'closed', 'closed_at', at)
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'e', 'close', 't', atms)
  notify(KEYS[2], 'close')
  return 1
end
redis.call('HSET', KEYS[1], 'status', 'cancelled')
redis.call('HDEL', KEYS[1], 'announce_ms')
-- A closed poll keeps the time it stopped taking ballots.
if not f[2] or f[2] == '' then redis.call('HSET', KEYS[1], 'closed_at', at) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'e', 'cancel', 't', atms)
notify(KEYS[2], 'cancel')
return 1
`)

// claimScript takes over a closed poll's owed announcement whose lease
// (announce_ms) is at or before the given time; 1 if this call did.
//
// KEYS: poll
// ARGV: now ms, new lease ms
var claimScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'announce_ms')
if not f[1] then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
if f[1] ~= 'closed' or not f[2] or f[2] == '' then return 0 end
if tonumber(f[2]) > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'announce_ms', ARGV[2])
return 1
`)

// announcedScript clears a poll's owed announcement; 1 if it owed one.
//
// KEYS: poll
var announcedScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('POLLBOT_NOT_FOUND no such poll')
end
return redis.call('HDEL', KEYS[1], 'announce_ms')
`)

// reopenScript moves a closed poll back to open with a new deadline; 1 if
// this call changed it. A reopened poll owes no announcement.
//
// KEYS: poll, log
// ARGV: closes_ms ("" for none), closes_at (RFC 3339 or ""), log max, time (unix ms)
var reopenScript = redis.NewScript(notifyLua + `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
if st == 'cancelled' then return redis.error_reply('POLLBOT_CANCELLED poll is cancelled') end
if st == 'open' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'open', 'closed_at', '', 'closes_ms', ARGV[1], 'closes_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'announce_ms')
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'e', 'reopen', 'c', ARGV[1], 't', ARGV[4])
notify(KEYS[2], 'reopen')
return 1
`)

// setDeadlineScript changes an open poll's deadline.
//
// KEYS: poll, log
// ARGV: closes_ms ("" for none), closes_at (RFC 3339 or ""), log max, time (unix ms)
var setDeadlineScript = redis.NewScript(notifyLua + `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
if st ~= 'open' then return redis.error_reply('POLLBOT_NOT_OPEN poll is not open') end
redis.call('HSET', KEYS[1], 'closes_ms', ARGV[1], 'closes_at', ARGV[2])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'e', 'deadline', 'c', ARGV[1], 't', ARGV[4])
notify(KEYS[2], 'deadline')
return 1
`)

// createScript writes a new poll hash unless the id is taken.
//
// KEYS: poll
// ARGV: field, value, ...
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.error_reply('POLLBOT_EXISTS poll id already in use')
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
`)

// setMessageScript records a chat message of a poll, replacing the one on
// the same platform and channel. The list is small and holds only strings,
// so cjson's encoding is safe here (it is never empty).
//
// KEYS: poll
// ARGV: platform, channel, message
var setMessageScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('POLLBOT_NOT_FOUND no such poll')
end
local raw = redis.call('HGET', KEYS[1], 'messages')
local list = {}
if raw and raw ~= '' then list = cjson.decode(raw) end
local found = false
for _, m in ipairs(list) do
  if m.platform == ARGV[1] and m.channel == ARGV[2] then
    m.message = ARGV[3]
    found = true
  end
end
if not found then
  list[#list + 1] = {platform = ARGV[1], channel = ARGV[2], message = ARGV[3]}
end
redis.call('HSET', KEYS[1], 'messages', cjson.encode(list))
return 1
`)

// Held votes: a holder's votes are a hash, "<poll>|<slot>" -> the vote's
// JSON and "x|<poll>|<slot>" -> its expiry (unix ms, server clock); the
// tenant's held index, a sorted set, has "<poll>|<holder>|<slot>" at the
// same expiry, so that the votes held in a poll can be counted. Both are
// in the tenant's slot. The slot is the vote's delivery, so a redelivered
// vote replaces itself, or a random id.

// holdScript keeps a vote with its own expiry.
//
// KEYS: holder's hash, tenant's held index
// ARGV: "<poll>|<slot>", vote JSON, ttl ms, holder
var holdScript = redis.NewScript(nowLua + `
local now = nowms()
local ttl = tonumber(ARGV[3])
local exp = string.format('%d', now + ttl)
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'x|' .. ARGV[1], exp)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
local poll, slot = string.match(ARGV[1], '^([^|]*)|(.*)$')
redis.call('ZADD', KEYS[2], exp, poll .. '|' .. ARGV[4] .. '|' .. slot)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`)

// takeHeldScript removes a holder's held votes in one poll (ARGV[2]) or in
// every poll (ARGV[2] == ""), and returns the unexpired ones' JSON.
//
// KEYS: holder's hash, tenant's held index
// ARGV: holder, poll or ""
var takeHeldScript = redis.NewScript(nowLua + `
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then return {} end
local now = nowms()
local exp = {}
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 2) == 'x|' then exp[string.sub(all[i], 3)] = tonumber(all[i + 1]) end
end
local out = {}
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, 1, 2) ~= 'x|' then
    local poll, slot = string.match(f, '^([^|]*)|(.*)$')
    if ARGV[2] == '' or poll == ARGV[2] then
      if not exp[f] or exp[f] > now then out[#out + 1] = all[i + 1] end
      redis.call('HDEL', KEYS[1], f, 'x|' .. f)
      redis.call('ZREM', KEYS[2], poll .. '|' .. ARGV[1] .. '|' .. slot)
    end
  end
end
return out
`)

// heldCountScript counts the unexpired votes held in a poll.
//
// KEYS: tenant's held index
// ARGV: poll
var heldCountScript = redis.NewScript(nowLua + `
local now = nowms()
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local n, prefix = 0, ARGV[1] .. '|'
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if string.sub(m, 1, #prefix) == prefix then n = n + 1 end
end
return n
`)

// allowScript counts an event in a fixed window and returns the count.
//
// KEYS: the counter
// ARGV: window ms
var allowScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n
`)

// recordScript records a delivery with the caller's token unless it is
// recorded already; it returns the token it finds (nil: it recorded this
// one). A caller retrying after a lost reply finds its own token.
//
// KEYS: the delivery
// ARGV: token, ttl ms
var recordScript = redis.NewScript(`
local tok = redis.call('GET', KEYS[1])
if tok then return tok end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return false
`)

// migrateBallotScript replaces a ballot's JSON (schema 1) by its record,
// unless it changed meanwhile.
//
// KEYS: ballots
// ARGV: voter, the JSON read, the record
var migrateBallotScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
`)
