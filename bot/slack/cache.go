package slack

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
	"github.com/slack-go/slack"
)

func pollsMessageRef(channel, ts string) polls.MessageRef {
	return polls.MessageRef{Platform: Platform, Channel: channel, Message: ts}
}

// userGroups caches, per team, which Slack user groups each user is in
// (one usergroups.list call with include_users per team and TTL), so role
// mappings "slack-usergroup:<ID or handle>" cost nothing on the hot path.
type userGroups struct {
	ttl time.Duration

	mu    sync.Mutex
	teams map[string]*teamGroups
}

type teamGroups struct {
	mu      sync.Mutex
	fetched time.Time
	byUser  map[string][]bot.Role
}

func newUserGroups(ttl time.Duration) *userGroups {
	return &userGroups{ttl: ttl, teams: map[string]*teamGroups{}}
}

// roles returns the user's groups as roles. A failed lookup (say the app
// lacks usergroups:read) is logged and retried after the TTL; until then the
// user simply has no group roles.
func (u *userGroups) roles(ctx context.Context, api *slack.Client, now time.Time, team, user string, log *slog.Logger) []bot.Role {
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
			tg.byUser = map[string][]bot.Role{}
			for _, g := range list {
				for _, m := range g.Users {
					tg.byUser[m] = append(tg.byUser[m], bot.Role{Kind: bot.SlackUserGroup, ID: g.ID, Name: g.Handle})
				}
			}
		}
	}
	return tg.byUser[user]
}
