package discord

import (
	"context"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
)

// roleCache knows the names of a guild's roles. Interactions carry role
// ids only, but deployments map roles by name ("discord-role:Government"),
// so names come from the gateway's state when it has them and otherwise
// from GET /guilds/{id}/roles, cached for ttl.
type roleCache struct {
	s   *discordgo.Session
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	guilds map[string]guildRoles
}

type guildRoles struct {
	names   map[string]string // id -> name
	fetched time.Time
}

// refetchMissing bounds how often an unknown role id (a role created since
// the last fetch) triggers a new fetch.
const refetchMissing = 30 * time.Second

func newRoleCache(s *discordgo.Session, ttl time.Duration, now func() time.Time) *roleCache {
	return &roleCache{s: s, ttl: ttl, now: now, guilds: map[string]guildRoles{}}
}

// roles returns the member's roles with their names where known. A failed
// fetch leaves the ids only: the vote still lands, mapped by id or by
// self-declaration.
func (c *roleCache) roles(ctx context.Context, guild string, ids []string) ([]bot.Role, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	names, err := c.names(ctx, guild, ids)
	out := make([]bot.Role, 0, len(ids))
	for _, id := range ids {
		out = append(out, bot.Role{Kind: bot.DiscordRole, ID: id, Name: names[id]})
	}
	return out, err
}

func (c *roleCache) names(ctx context.Context, guild string, ids []string) (map[string]string, error) {
	if st := c.s.State; st != nil {
		if g, err := st.Guild(guild); err == nil && len(g.Roles) > 0 {
			m := make(map[string]string, len(g.Roles))
			for _, r := range g.Roles {
				m[r.ID] = r.Name
			}
			return m, nil
		}
	}
	now := c.now()
	c.mu.Lock()
	gr, ok := c.guilds[guild]
	c.mu.Unlock()
	fresh := ok && now.Sub(gr.fetched) < c.ttl
	if fresh {
		missing := false
		for _, id := range ids {
			if _, ok := gr.names[id]; !ok {
				missing = true
			}
		}
		if !missing || now.Sub(gr.fetched) < refetchMissing {
			return gr.names, nil
		}
	}
	roles, err := c.s.GuildRoles(guild, discordgo.WithContext(ctx))
	if err != nil {
		if ok {
			return gr.names, err // stale names beat none
		}
		return nil, err
	}
	m := make(map[string]string, len(roles))
	for _, r := range roles {
		m[r.ID] = r.Name
	}
	c.mu.Lock()
	c.guilds[guild] = guildRoles{names: m, fetched: now}
	c.mu.Unlock()
	return m, nil
}
