package bot

import (
	"strings"
	"testing"
)

func TestParsePrincipal(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want principal
		role bool
	}{
		{"slack:U0123ABC", principal{kind: "slack", id: "U0123ABC"}, false},
		{" Discord:456 ", principal{kind: "discord", id: "456"}, false},
		{"shell:you", principal{kind: "shell", id: "you"}, false},
		{"discord-role:Moderators", principal{kind: DiscordRole, name: "Moderators"}, true},
		{"discord-role:112233445566778899", principal{kind: DiscordRole, id: "112233445566778899"}, true},
		{"discord-role:Team 7", principal{kind: DiscordRole, name: "Team 7"}, true},
		{"DISCORD-ROLE:7", principal{kind: DiscordRole, id: "7"}, true},
		{"slack-usergroup:S0123ABC", principal{kind: SlackUserGroup, id: "S0123ABC"}, true},
		{"slack-usergroup:gov-team", principal{kind: SlackUserGroup, name: "gov-team"}, true},
		{"slack-usergroup:s0123abc", principal{kind: SlackUserGroup, name: "s0123abc"}, true},
	} {
		got, err := parsePrincipal(tc.in)
		if err != nil || got != tc.want || got.isRole() != tc.role {
			t.Errorf("parsePrincipal(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "slack", "slack:", ":U1", "discord-role: "} {
		if p, err := parsePrincipal(bad); err == nil {
			t.Errorf("parsePrincipal(%q) = %+v, want an error", bad, p)
		}
	}
}

// TestPrincipalMatches: one comparison for facilitators and group
// mappings: names without regard to case, ids exactly, and an id never by
// a name that looks like it.
func TestPrincipalMatches(t *testing.T) {
	discord := func(roles ...Role) Request {
		return Request{Platform: "discord", Tenant: "discord:1", User: "500", Roles: roles}
	}
	role := func(id, name string) Role { return Role{Kind: DiscordRole, ID: id, Name: name} }
	group := func(id, handle string) Role { return Role{Kind: SlackUserGroup, ID: id, Name: handle} }
	slack := func(roles ...Role) Request {
		return Request{Platform: "slack", Tenant: "slack:T1", User: "U500", Roles: roles}
	}
	for _, tc := range []struct {
		name      string
		principal string
		req       Request
		want      bool
	}{
		{"user id", "discord:500", discord(), true},
		{"other user", "discord:501", discord(), false},
		{"user on another platform", "slack:500", discord(), false},
		{"user id is exact", "slack:u500", slack(), false},
		{"platform any case", "Slack:U500", slack(), true},
		{"role name", "discord-role:Moderators", discord(role("9", "Moderators")), true},
		{"role name any case", "discord-role:MODERATORS", discord(role("9", "moderators")), true},
		{"role id", "discord-role:9", discord(role("9", "Moderators")), true},
		{"role id, name unknown", "discord-role:9", discord(role("9", "")), true},
		{"role named like the id", "discord-role:9", discord(role("10", "9")), false},
		{"id is not a name", "discord-role:Moderators", discord(role("Moderators", "")), false},
		{"other role", "discord-role:Moderators", discord(role("9", "Members")), false},
		{"no roles", "discord-role:Moderators", discord(), false},
		{"role of the other platform", "discord-role:9", slack(Role{Kind: SlackUserGroup, ID: "9"}), false},
		{"user group id", "slack-usergroup:S0GOV", slack(group("S0GOV", "gov")), true},
		{"user group handle", "slack-usergroup:Gov-Team", slack(group("S0GOV", "gov-team")), true},
		{"user group id is exact", "slack-usergroup:S0GOV", slack(group("S0GOV2", "s0gov")), false},
	} {
		p, err := parsePrincipal(tc.principal)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.matches(tc.req); got != tc.want {
			t.Errorf("%s: %s matches %+v = %v, want %v", tc.name, tc.principal, tc.req.Roles, got, tc.want)
		}
	}
}

// TestFacilitatorsAndMappingsAgree: a configured principal designates the
// same requesters whether it names a facilitator or maps a group.
func TestFacilitatorsAndMappingsAgree(t *testing.T) {
	reqs := []Request{
		{Platform: "discord", User: "500", Roles: []Role{{Kind: DiscordRole, ID: "9", Name: "Moderators"}}},
		{Platform: "discord", User: "501", Roles: []Role{{Kind: DiscordRole, ID: "10", Name: "9"}}},
		{Platform: "discord", User: "502", Roles: []Role{{Kind: DiscordRole, ID: "11", Name: "MODERATORS"}}},
		{Platform: "discord", User: "503", Roles: []Role{{Kind: DiscordRole, ID: "9"}}},
		{Platform: "slack", User: "U1", Roles: []Role{{Kind: SlackUserGroup, ID: "S0GOV", Name: "gov-team"}}},
		{Platform: "slack", User: "U2"},
	}
	for _, p := range []string{"discord-role:Moderators", "discord-role:moderators", "discord-role:9", "discord-role:10",
		"slack-usergroup:S0GOV", "slack-usergroup:GOV-TEAM", "slack-usergroup:S0gov"} {
		e := &Engine{cfg: Config{Facilitators: []string{p}, Roles: []RoleMapping{{Role: p, Group: "government"}}}}
		for _, req := range reqs {
			fac, mapped := e.IsFacilitator(req), e.RoleGroup(req) == "government"
			if fac != mapped {
				t.Errorf("%s and %s/%s %+v: facilitator %v, mapped %v", p, req.Platform, req.User, req.Roles, fac, mapped)
			}
		}
	}
	// The expectations behind it, for the facilitator side.
	e := &Engine{cfg: Config{Facilitators: []string{"discord-role:moderators", "discord-role:10"}}}
	for i, want := range []bool{true, true, true, false, false, false} {
		if got := e.IsFacilitator(reqs[i]); got != want {
			t.Errorf("IsFacilitator(%+v) = %v, want %v", reqs[i], got, want)
		}
	}
}

func TestConfigPrincipals(t *testing.T) {
	for name, bad := range map[string]string{
		"mapping a person":     "roles: [{role: 'slack:U1', group: government}]",
		"mapping no principal": "roles: [{role: 'Moderators', group: government}]",
		"facilitator no value": "facilitators: ['discord-role:']",
	} {
		if _, err := LoadConfig(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: accepted %q", name, bad)
		}
	}
	good := "facilitators: ['discord-role:Moderators', 'slack-usergroup:S0FAC', 'shell:you']\nroles: [{role: 'slack-usergroup:gov-team', group: government}, {role: 'discord-role:1234', group: academia}]"
	if _, err := LoadConfig(strings.NewReader(good)); err != nil {
		t.Errorf("LoadConfig(%q): %v", good, err)
	}
	if _, err := ParseFacilitators("slack:U1, discord-role:Team 7"); err != nil {
		t.Error(err)
	}
	if _, err := ParseFacilitators("slack:U1, Moderators"); err == nil || !strings.Contains(err.Error(), "POLLBOT_FACILITATORS") {
		t.Errorf("ParseFacilitators accepted a bare name: %v", err)
	}
}
