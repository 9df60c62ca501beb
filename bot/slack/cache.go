package slack

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/slack-go/slack"
)

func pollsMessageRef(channel, ts string) polls.MessageRef {
	return polls.MessageRef{Platform: Platform, Channel: channel, Message: ts}
}

// dedupe remembers delivery keys for a while, so a delivery Slack repeats
// (an HTTP retry, a re-sent Socket Mode envelope) is acknowledged but not
// acted on twice. It matters because a button click toggles: applying it
// twice would undo it. Bounded in time and size: keys are kept in arrival
// order and share one TTL, so the oldest expire first.
type dedupe struct {
	ttl  time.Duration
	size int

	mu    sync.Mutex
	keys  map[string]time.Time
	order []seenKey
}

type seenKey struct {
	key string
	exp time.Time
}

func newDedupe(ttl time.Duration, size int) *dedupe {
	return &dedupe{ttl: ttl, size: max(size, 1), keys: map[string]time.Time{}}
}

// first records key and reports whether it is new. Empty keys are always
// new: a payload without an id cannot be matched.
func (d *dedupe) first(key string, now time.Time) bool {
	if key == "" {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.order) > 0 {
		old := d.order[0]
		if now.Before(old.exp) && len(d.order) < d.size {
			break
		}
		if d.keys[old.key] == old.exp { // not re-recorded since
			delete(d.keys, old.key)
		}
		d.order = d.order[1:]
	}
	if exp, ok := d.keys[key]; ok && now.Before(exp) {
		return false
	}
	exp := now.Add(d.ttl)
	d.keys[key] = exp
	d.order = append(d.order, seenKey{key, exp})
	return true
}

// userGroups caches, per team, which Slack user groups each user is in
// (one usergroups.list call with include_users per team and TTL), so
// role mappings "slack-usergroup:<ID>" cost nothing on the hot path.
type userGroups struct {
	ttl time.Duration

	mu    sync.Mutex
	teams map[string]*teamGroups
}

type teamGroups struct {
	mu      sync.Mutex
	fetched time.Time
	byUser  map[string][]string
}

func newUserGroups(ttl time.Duration) *userGroups {
	return &userGroups{ttl: ttl, teams: map[string]*teamGroups{}}
}

// roles returns the user's groups as roles. A failed lookup (say the app
// lacks usergroups:read) is logged and retried after the TTL; until then the
// user simply has no group roles.
func (u *userGroups) roles(ctx context.Context, api *slack.Client, now time.Time, team, user string, log *slog.Logger) []string {
	if u.ttl <= 0 {
		return nil
	}
	u.mu.Lock()
	tg := u.teams[team]
	if tg == nil {
		tg = &teamGroups{}
		u.teams[team] = tg
	}
	u.mu.Unlock()

	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.fetched.IsZero() || now.Sub(tg.fetched) >= u.ttl {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		list, err := api.GetUserGroupsContext(ctx, slack.GetUserGroupsOptionIncludeUsers(true))
		cancel()
		tg.fetched = now
		if err != nil {
			log.Warn("slack: usergroups.list failed; user group roles are off until the next try", "team", team, "err", err)
		} else {
			tg.byUser = map[string][]string{}
			for _, g := range list {
				for _, m := range g.Users {
					tg.byUser[m] = append(tg.byUser[m], "slack-usergroup:"+g.ID)
				}
			}
		}
	}
	return tg.byUser[user]
}
