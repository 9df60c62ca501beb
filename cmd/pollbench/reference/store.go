package reference

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/pollbot/pollbot/polls"
	"github.com/redis/go-redis/v9"
)

// Keys. Everything of a tenant shares its hash slot ({tenant}), so that
// the vote script may read the voter's group on Redis Cluster too:
//
//	pollbench:ref:{<tenant>}:groups             hash: user -> group id
//	pollbench:ref:{<tenant>}:poll:<id>          hash: title, themes (labels joined by "\n")
//	pollbench:ref:{<tenant>}:poll:<id>:ballots  hash: user -> "<group>:<bit mask of themes>"
//	pollbench:ref:{<tenant>}:poll:<id>:tally    hash: "<theme>|<group>" and "n|<group>" as
//	                                            pollbot's tally, "<theme>|*" and "n|*" the
//	                                            totals over groups, "v" the number of votes
//
// Theme numbers in the tally and the bit mask are 0-based.
func groupsKey(tenant string) string { return "pollbench:ref:{" + tenant + "}:groups" }

func pollKey(tenant, poll string) string { return "pollbench:ref:{" + tenant + "}:poll:" + poll }

// BallotsKey is the hash of a reference poll's ballots, one field per
// voter.
func BallotsKey(tenant, poll string) string { return pollKey(tenant, poll) + ":ballots" }

// TallyKey is the hash of a reference poll's tally.
func TallyKey(tenant, poll string) string { return pollKey(tenant, poll) + ":tally" }

// MaxThemes is the most themes a reference poll has: one bit each in a
// ballot's mask, five buttons in each of five rows with the withdraw
// button.
const MaxThemes = 24

// Groups are the stakeholder groups the reference knows, pollbot's
// defaults: a voter's group must be one of them.
var Groups = polls.DefaultGroups[:min(len(polls.DefaultGroups), maxGroups)]

// maxGroups bounds Groups, so a vote's counts fit in a fixed array.
const maxGroups = 8

// Poll is a reference poll: an approval poll that is always open.
type Poll struct {
	Tenant string // "slack:<team>", "discord:<guild>"
	ID     string // letters and digits, as pollbot's poll ids
	Title  string
	Themes []string // 1 to MaxThemes labels, without line breaks
}

// CreatePoll stores p; an existing poll of the same id is an error.
func CreatePoll(ctx context.Context, rdb redis.UniversalClient, p Poll) error {
	switch {
	case !validTenant(p.Tenant):
		return fmt.Errorf("reference: tenant %q is not slack:<id> or discord:<id>", p.Tenant)
	case !validID(p.ID):
		return fmt.Errorf("reference: poll id %q is not 1 to 32 letters and digits", p.ID)
	case len(p.Themes) < 1 || len(p.Themes) > MaxThemes:
		return fmt.Errorf("reference: %d themes, want 1 to %d", len(p.Themes), MaxThemes)
	}
	for _, t := range p.Themes {
		if t == "" || strings.ContainsAny(t, "\r\n") {
			return fmt.Errorf("reference: theme label %q is empty or has a line break", t)
		}
	}
	ok, err := rdb.HSetNX(ctx, pollKey(p.Tenant, p.ID), "title", p.Title).Result()
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("reference: poll %s of %s exists", p.ID, p.Tenant)
	}
	return rdb.HSet(ctx, pollKey(p.Tenant, p.ID), "themes", strings.Join(p.Themes, "\n")).Err()
}

// SetGroups records the stakeholder group of each user (user -> group
// id) in tenant; every group must be one of Groups.
func SetGroups(ctx context.Context, rdb redis.UniversalClient, tenant string, groups map[string]string) error {
	args := make([]any, 0, 2*min(len(groups), 1000))
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		err := rdb.HSet(ctx, groupsKey(tenant), args...).Err()
		args = args[:0]
		return err
	}
	for user, g := range groups {
		if groupIndex(g) < 0 {
			return fmt.Errorf("reference: %q is not a stakeholder group", g)
		}
		if args = append(args, user, g); len(args) == cap(args) {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// validTenant is "slack:<team id>" or "discord:<guild id>".
func validTenant(t string) bool {
	platform, id, _ := strings.Cut(t, ":")
	return (platform == "slack" || platform == "discord") && validID(id)
}

func groupIndex(id string) int {
	for i, g := range Groups {
		if string(g.ID) == id {
			return i
		}
	}
	return -1
}

// validID is 1 to 32 ASCII letters and digits: team, guild, user and poll
// ids. They become parts of keys and URLs, so nothing else is let in.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// errNoPoll is a click on a poll the reference does not have.
var errNoPoll = errors.New("no such poll")

// loadPoll returns a poll's definition, read from Redis on first use and
// kept: a reference poll never changes.
func (s *Server) loadPoll(ctx context.Context, tenant, id string) (*poll, error) {
	k := tenant + "/" + id
	if p, ok := s.polls.Load(k); ok {
		return p.(*poll), nil
	}
	f, err := s.rdb.HMGet(ctx, pollKey(tenant, id), "title", "themes").Result()
	if err != nil {
		return nil, err
	}
	title, _ := f[0].(string)
	themes, _ := f[1].(string)
	if themes == "" {
		return nil, errNoPoll
	}
	p := newPoll(tenant, id, title, strings.Split(themes, "\n"))
	actual, _ := s.polls.LoadOrStore(k, p)
	return actual.(*poll), nil
}

// voteScript is a vote click: in one atomic step it reads the voter's
// group, flips the theme in their ballot, and moves the tally. A ballot
// is "<group>:<mask>", bit t of the mask set when the voter supports theme
// t; an empty ballot is deleted. When the voter's group changed since the
// ballot was cast, the whole ballot moves to the new group. Tally fields
// that fall to zero stay, as "0".
//
// KEYS: groups, ballots, tally
// ARGV: voter, theme (0-based), render ("1": also return the counts a
// poll message shows), theme count, then the group ids in display order
//
// It returns {group, old mask, new mask} and, with render, a fourth
// element: the tally's "n|*", "n|<group>" for each group given, and
// "<theme>|*" for each theme (false where a field does not exist). A
// voter without a group is the error reply "NOGROUP ...".
var voteScript = redis.NewScript(`
local voter, t = ARGV[1], tonumber(ARGV[2])
local g = redis.call('HGET', KEYS[1], voter)
if not g then return redis.error_reply('NOGROUP the voter has not picked a stakeholder group') end
local tally = KEYS[3]
local flag = bit.lshift(1, t)
local rec = redis.call('HGET', KEYS[2], voter)
local og, old = g, 0
if rec then
  local a, m = string.match(rec, '^(.*):(%d+)$')
  if not a then return redis.error_reply('CORRUPT ballot record') end
  og, old = a, tonumber(m)
end
local new = bit.bxor(old, flag)
local function count(mask, grp, d)
  local i = 0
  while mask ~= 0 do
    if bit.band(mask, 1) == 1 then
      redis.call('HINCRBY', tally, i .. '|' .. grp, d)
      redis.call('HINCRBY', tally, i .. '|*', d)
    end
    mask = bit.rshift(mask, 1)
    i = i + 1
  end
  redis.call('HINCRBY', tally, 'n|' .. grp, d)
  redis.call('HINCRBY', tally, 'n|*', d)
end
if og == g then
  local d = 1
  if bit.band(old, flag) ~= 0 then d = -1 end
  redis.call('HINCRBY', tally, t .. '|' .. g, d)
  redis.call('HINCRBY', tally, t .. '|*', d)
  if old == 0 then
    redis.call('HINCRBY', tally, 'n|' .. g, 1)
    redis.call('HINCRBY', tally, 'n|*', 1)
  elseif new == 0 then
    redis.call('HINCRBY', tally, 'n|' .. g, -1)
    redis.call('HINCRBY', tally, 'n|*', -1)
  end
else
  count(old, og, -1)
  if new ~= 0 then count(new, g, 1) end
end
if new == 0 then
  redis.call('HDEL', KEYS[2], voter)
else
  redis.call('HSET', KEYS[2], voter, g .. ':' .. new)
end
redis.call('HINCRBY', tally, 'v', 1)
if ARGV[3] ~= '1' then return {g, old, new} end
local fields = {'n|*'}
for i = 5, #ARGV do fields[#fields + 1] = 'n|' .. ARGV[i] end
for i = 0, tonumber(ARGV[4]) - 1 do fields[#fields + 1] = i .. '|*' end
return {g, old, new, redis.call('HMGET', tally, unpack(fields))}
`)

// errNoGroup is a vote from a voter who has not picked a group.
var errNoGroup = errors.New("no stakeholder group")

// result is what a vote changed, and with render the counts a poll
// message shows.
type result struct {
	group    int    // index in Groups
	old, new uint32 // the ballot's theme masks before and after
	ballots  int64  // render: ballots in the poll
	byGroup  [maxGroups]int64
	byTheme  [MaxThemes]int64
}

// vote runs voteScript for voter's click on theme t of p.
func (s *Server) vote(ctx context.Context, p *poll, voter string, t int, render bool) (result, error) {
	args := make([]any, 0, 4+len(Groups))
	args = append(args, voter, t, "0", len(p.themes))
	if render {
		args[2] = "1"
		for _, g := range Groups {
			args = append(args, string(g.ID))
		}
	}
	v, err := voteScript.Run(ctx, s.rdb, p.keys[:], args...).Slice()
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			return result{}, errNoGroup
		}
		return result{}, err
	}
	var r result
	if len(v) < 3 {
		return r, fmt.Errorf("vote script: unexpected reply %v", v)
	}
	g, _ := v[0].(string)
	old, _ := v[1].(int64)
	nw, _ := v[2].(int64)
	if r.group = groupIndex(g); r.group < 0 {
		return r, fmt.Errorf("vote script: voter %s is in group %q, which the reference does not know", voter, g)
	}
	r.old, r.new = uint32(old), uint32(nw)
	if !render {
		return r, nil
	}
	counts, _ := v[3].([]any)
	if len(counts) != 1+len(Groups)+len(p.themes) {
		return r, fmt.Errorf("vote script: %d counts, want %d", len(counts), 1+len(Groups)+len(p.themes))
	}
	num := func(x any) int64 {
		sv, _ := x.(string)
		n, _ := strconv.ParseInt(sv, 10, 64)
		return n
	}
	r.ballots = num(counts[0])
	for i := range Groups {
		r.byGroup[i] = num(counts[1+i])
	}
	for i := range p.themes {
		r.byTheme[i] = num(counts[1+len(Groups)+i])
	}
	return r, nil
}
