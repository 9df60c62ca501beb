package bot

import (
	"fmt"
	"strings"
)

// Role kinds: the platform roles adapters put in Request.Roles, and the
// prefixes configured principals use for them.
const (
	DiscordRole    = "discord-role"    // a Discord server role
	SlackUserGroup = "slack-usergroup" // a Slack user group
)

// Role is one of a requester's platform roles. Adapters set the ID always
// and the Name when they know it; the two are never mixed up, so a role
// named like another role's id is not that role.
type Role struct {
	Kind string // DiscordRole or SlackUserGroup
	ID   string // a Discord role id (snowflake), a Slack user group id
	Name string // the role's name, the user group's handle; "" if unknown
}

// principal is a configured "who": a person ("slack:U123", "discord:456",
// "shell:you") or a role ("discord-role:Moderators",
// "discord-role:112233445566778899", "slack-usergroup:S0123ABC",
// "slack-usergroup:gov-team"). Exactly one of id and name is set.
type principal struct {
	kind string // the part before the first colon, lower case
	id   string
	name string
}

// parsePrincipal reads a configured principal. A role's value is an id
// when it is written the way the platform writes ids, and a name
// otherwise:
//   - discord-role: an id is all digits (a snowflake); anything else is a
//     role name, so a role whose name is all digits is referred to by its id;
//   - slack-usergroup: an id is S followed by capital letters and digits
//     (S0123ABC); anything else is a user group handle (Slack writes those
//     in lower case);
//   - any other kind is a platform whose value is a user id.
func parsePrincipal(s string) (principal, error) {
	kind, value, ok := strings.Cut(strings.TrimSpace(s), ":")
	kind, value = strings.ToLower(strings.TrimSpace(kind)), strings.TrimSpace(value)
	if !ok || kind == "" || value == "" {
		return principal{}, fmt.Errorf("%q is not PLATFORM:ID or a role (discord-role:NAME-or-ID, slack-usergroup:ID-or-handle)", s)
	}
	switch kind {
	case DiscordRole:
		if isSnowflake(value) {
			return principal{kind: kind, id: value}, nil
		}
		return principal{kind: kind, name: value}, nil
	case SlackUserGroup:
		if isSlackGroupID(value) {
			return principal{kind: kind, id: value}, nil
		}
		return principal{kind: kind, name: value}, nil
	}
	return principal{kind: kind, id: value}, nil
}

func (p principal) isRole() bool { return p.kind == DiscordRole || p.kind == SlackUserGroup }

// matches is the one comparison of configured principals with requesters,
// for facilitators and group mappings alike: kinds and names compare
// without regard to case, ids exactly; an id never matches a name nor a
// name an id.
func (p principal) matches(req Request) bool {
	if !p.isRole() {
		return p.id != "" && strings.EqualFold(p.kind, req.Platform) && p.id == req.User
	}
	for _, r := range req.Roles {
		if !strings.EqualFold(r.Kind, p.kind) {
			continue
		}
		if p.id != "" && r.ID == p.id || p.name != "" && r.Name != "" && strings.EqualFold(r.Name, p.name) {
			return true
		}
	}
	return false
}

// matchesPrincipal reports whether the configured principal s designates
// the requester. A value that does not parse matches no one (Config
// validation refuses it).
func matchesPrincipal(s string, req Request) bool {
	p, err := parsePrincipal(s)
	return err == nil && p.matches(req)
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isSlackGroupID(s string) bool {
	if len(s) < 2 || s[0] != 'S' {
		return false
	}
	for _, r := range s[1:] {
		if !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
