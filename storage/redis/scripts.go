package redisstore

import "github.com/redis/go-redis/v9"

// The scripts get every key they touch in KEYS, all in one poll's slot.
// They report refusals as error replies "POLLBOT_<CODE> text" (see mapErr).
// Errors are returned, never raised: how Redis words a raised error has
// changed between versions, an error_reply has not.
//
// Ballots are stored as the JSON Go writes. A script decodes an old ballot
// only to read its group and choices, and never re-encodes one: cjson
// turns an empty array into {} and escapes '/', and Go should read back
// exactly what it wrote.

// prelude is shared by the toggle and retract scripts.
const prelude = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- check_open returns kind, theme count and max choices of an open poll
-- whose deadline has not passed by the server clock, or nil and an error.
local function check_open(poll)
  local f = redis.call('HMGET', poll, 'status', 'closes_ms', 'kind', 'themes', 'max_choices')
  if not f[1] then return nil, 'POLLBOT_NOT_FOUND no such poll' end
  if f[1] == 'cancelled' then return nil, 'POLLBOT_CANCELLED poll is cancelled' end
  if f[1] ~= 'open' then return nil, 'POLLBOT_CLOSED poll is closed' end
  if f[2] and f[2] ~= '' and now_ms() >= tonumber(f[2]) then
    return nil, 'POLLBOT_PAST_DEADLINE poll deadline has passed'
  end
  return f[3], tonumber(f[4]), tonumber(f[5] or '0') or 0
end

-- Tally changes are collected per field first (add), then written
-- (flush), so a replacement that keeps group and most themes touches only
-- the fields that really change. Points are polls.Points; fields are
-- polls.TallyField and TallyBallotsField; fields that fall to zero are
-- deleted, as if never written.
local function add(delta, kind, m, group, choices, sign)
  if type(group) ~= 'string' then group = '' end
  local f = 'n|' .. group
  delta[f] = (delta[f] or 0) + sign
  if type(choices) ~= 'table' then return end
  for i, c in ipairs(choices) do
    local p = 1
    if kind == 'ranked' then p = m - i end
    f = string.format('%d|%s', c, group)
    delta[f] = (delta[f] or 0) + sign * p
  end
end

local function flush(tally, delta)
  for f, d in pairs(delta) do
    if d ~= 0 and redis.call('HINCRBY', tally, f, d) == 0 then redis.call('HDEL', tally, f) end
  end
end

local function join(choices)
  local s = {}
  for i, c in ipairs(choices) do s[i] = string.format('%d', c) end
  return table.concat(s, ',')
end
`

// castScript stores a ballot given as Go's JSON and returns the one it
// replaced ("" if none: a nil reply would reach go-redis as an error and
// cost a round of error classification on every first ballot). It is the hot path, so it is written out flat
// rather than with the prelude's helpers: every redis.call and every
// closure costs the single-threaded server about a microsecond, and a
// first ballot (the common case) needs only HMGET, HSETNX, the HINCRBYs
// and XADD.
//
// KEYS: poll, ballots, tally, log
// ARGV: voter, group, ballot JSON, choices "2,0,1", cast time, log max,
// then each choice
var castScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'closes_ms', 'kind', 'themes')
if f[1] ~= 'open' then
  if not f[1] then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
  if f[1] == 'cancelled' then return redis.error_reply('POLLBOT_CANCELLED poll is cancelled') end
  return redis.error_reply('POLLBOT_CLOSED poll is closed')
end
if f[2] and f[2] ~= '' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) >= tonumber(f[2]) then
    return redis.error_reply('POLLBOT_PAST_DEADLINE poll deadline has passed')
  end
end
local ranked, m = f[3] == 'ranked', tonumber(f[4])
for i = 7, #ARGV do
  if tonumber(ARGV[i]) >= m then return redis.error_reply('POLLBOT_UNKNOWN_THEME no such theme') end
end
local voter, group, tally = ARGV[1], ARGV[2], KEYS[3]
local old = ''
if redis.call('HSETNX', KEYS[2], voter, ARGV[3]) == 1 then
  redis.call('HINCRBY', tally, 'n|' .. group, 1)
  for i = 7, #ARGV do
    local p = 1
    if ranked then p = m - (i - 6) end
    if p ~= 0 then redis.call('HINCRBY', tally, ARGV[i] .. '|' .. group, p) end
  end
else
  -- A replacement: net the old ballot's contribution against the new
  -- one's, so fields both touch (same group, same theme) cost nothing.
  old = redis.call('HGET', KEYS[2], voter)
  redis.call('HSET', KEYS[2], voter, ARGV[3])
  local ob = cjson.decode(old)
  local og = ob.group
  if type(og) ~= 'string' then og = '' end
  local delta, order = {}, {}
  local function bump(field, d)
    if delta[field] == nil then delta[field] = 0; order[#order + 1] = field end
    delta[field] = delta[field] + d
  end
  bump('n|' .. og, -1)
  if type(ob.choices) == 'table' then
    for i, c in ipairs(ob.choices) do
      local p = 1
      if ranked then p = m - i end
      bump(string.format('%d|%s', c, og), -p)
    end
  end
  bump('n|' .. group, 1)
  for i = 7, #ARGV do
    local p = 1
    if ranked then p = m - (i - 6) end
    bump(ARGV[i] .. '|' .. group, p)
  end
  for _, field in ipairs(order) do
    local d = delta[field]
    if d ~= 0 and redis.call('HINCRBY', tally, field, d) == 0 then redis.call('HDEL', tally, field) end
  end
end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*',
  'event', 'cast', 'voter', voter, 'group', group, 'choices', ARGV[4], 'at', ARGV[5])
return old
`)

// toggleScript adds a theme to an approval ballot or removes it. It builds
// the new ballot's JSON from Go-encoded pieces around the choices, so the
// result is byte for byte what json.Marshal would write. It returns the new
// ballot's JSON, or "" when the last theme was removed and the ballot
// deleted.
//
// With a fifth key, the toggle's op: if it is there, the toggle was
// already applied and the script returns "=" and the voter's current
// ballot (or "=" alone) without changing anything; else it is set, for
// ARGV[8] ms, with the change.
//
// KEYS: poll, ballots, tally, log[, op]
// ARGV: voter, group, theme, JSON up to the choices, JSON after them, time, log max[, op ttl ms]
var toggleScript = redis.NewScript(prelude + `
if KEYS[5] and redis.call('EXISTS', KEYS[5]) == 1 then
  return '=' .. (redis.call('HGET', KEYS[2], ARGV[1]) or '')
end
local kind, m, maxc = check_open(KEYS[1])
if not kind then return redis.error_reply(m) end
if kind ~= 'approval' then return redis.error_reply('POLLBOT_NOT_APPROVAL only approval ballots are toggled') end
local theme = tonumber(ARGV[3])
if theme < 0 or theme >= m then return redis.error_reply('POLLBOT_UNKNOWN_THEME no such theme') end
local old = redis.call('HGET', KEYS[2], ARGV[1])
local ob
local choices, found = {}, false
if old then
  ob = cjson.decode(old)
  if type(ob.choices) == 'table' then
    for _, c in ipairs(ob.choices) do
      if c == theme then found = true else choices[#choices + 1] = c end
    end
  end
end
if not found then
  choices[#choices + 1] = theme
  if maxc > 0 and #choices > maxc then
    return redis.error_reply('POLLBOT_TOO_MANY_CHOICES too many choices')
  end
end
table.sort(choices)
local delta = {}
if ob then add(delta, kind, m, ob.group, ob.choices, -1) end
local out = ''
if #choices == 0 then
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  out = ARGV[4] .. '[' .. join(choices) .. ']' .. ARGV[5]
  redis.call('HSET', KEYS[2], ARGV[1], out)
  add(delta, kind, m, ARGV[2], choices, 1)
end
flush(KEYS[3], delta)
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[7], '*',
  'event', 'toggle', 'voter', ARGV[1], 'group', ARGV[2], 'theme', ARGV[3], 'choices', join(choices), 'at', ARGV[6])
if KEYS[5] then redis.call('SET', KEYS[5], '1', 'PX', ARGV[8]) end
return out
`)

// retractScript deletes a ballot; 1 if there was one.
//
// KEYS: poll, ballots, tally, log
// ARGV: voter, log max
var retractScript = redis.NewScript(prelude + `
local kind, m = check_open(KEYS[1])
if not kind then return redis.error_reply(m) end
local old = redis.call('HGET', KEYS[2], ARGV[1])
if not old then return 0 end
local ob = cjson.decode(old)
local delta = {}
add(delta, kind, m, ob.group, ob.choices, -1)
flush(KEYS[3], delta)
redis.call('HDEL', KEYS[2], ARGV[1])
local group = ob.group
if type(group) ~= 'string' then group = '' end
local choices = ob.choices
if type(choices) ~= 'table' then choices = {} end
redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*',
  'event', 'retract', 'voter', ARGV[1], 'group', group, 'choices', join(choices))
return 1
`)

// closeScript moves a poll to closed (from open) or cancelled (from open or
// closed); 1 if this call changed it. Closing a cancelled poll is refused.
// A change clears any owed announcement (announce_ms), except that a close
// given a lease (the deadline scheduler's, CloseAtDeadline) sets it to the
// lease in the same step.
//
// KEYS: poll, log
// ARGV: closed|cancelled, time (RFC 3339), log max, lease ms ("" for none)
var closeScript = redis.NewScript(`
local f = redis.call('HMGET', KEYS[1], 'status', 'closed_at')
local st = f[1]
if not st then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
if st == ARGV[1] then return 0 end
if ARGV[1] == 'closed' then
  if st ~= 'open' then return redis.error_reply('POLLBOT_CANCELLED poll is cancelled') end
  redis.call('HSET', KEYS[1], 'status', 'closed', 'closed_at', ARGV[2])
  if ARGV[4] and ARGV[4] ~= '' then
    redis.call('HSET', KEYS[1], 'announce_ms', ARGV[4])
  else
    redis.call('HDEL', KEYS[1], 'announce_ms')
  end
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', 'close', 'at', ARGV[2])
  return 1
end
redis.call('HSET', KEYS[1], 'status', 'cancelled')
redis.call('HDEL', KEYS[1], 'announce_ms')
-- A closed poll keeps the time it stopped taking ballots.
if not f[2] or f[2] == '' then redis.call('HSET', KEYS[1], 'closed_at', ARGV[2]) end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', 'cancel', 'at', ARGV[2])
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
// ARGV: closes_ms ("" for none), closes_at (RFC 3339 or ""), log max
var reopenScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
if st == 'cancelled' then return redis.error_reply('POLLBOT_CANCELLED poll is cancelled') end
if st == 'open' then return 0 end
redis.call('HSET', KEYS[1], 'status', 'open', 'closed_at', '', 'closes_ms', ARGV[1], 'closes_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'announce_ms')
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'event', 'reopen', 'closes_at', ARGV[2])
return 1
`)

// setDeadlineScript changes an open poll's deadline.
//
// KEYS: poll
// ARGV: closes_ms ("" for none), closes_at (RFC 3339 or "")
var setDeadlineScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return redis.error_reply('POLLBOT_NOT_FOUND no such poll') end
if st ~= 'open' then return redis.error_reply('POLLBOT_NOT_OPEN poll is not open') end
redis.call('HSET', KEYS[1], 'closes_ms', ARGV[1], 'closes_at', ARGV[2])
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

// holdScript keeps a vote with its own expiry (the hash holds all of a
// holder's votes; each expires on its own, the key when the last does).
//
// KEYS: held
// ARGV: poll, vote JSON, ttl ms
var holdScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2], 'exp|' .. ARGV[1], string.format('%d', now + ttl))
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
`)

// takeHeldScript deletes a holder's held votes and returns the unexpired
// ones' JSON.
//
// KEYS: held
var takeHeldScript = redis.NewScript(`
local all = redis.call('HGETALL', KEYS[1])
if #all == 0 then return {} end
redis.call('DEL', KEYS[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local exp = {}
for i = 1, #all, 2 do
  if string.sub(all[i], 1, 4) == 'exp|' then exp[string.sub(all[i], 5)] = tonumber(all[i + 1]) end
end
local out = {}
for i = 1, #all, 2 do
  local f = all[i]
  if string.sub(f, 1, 4) ~= 'exp|' and (not exp[f] or exp[f] > now) then out[#out + 1] = all[i + 1] end
end
return out
`)
