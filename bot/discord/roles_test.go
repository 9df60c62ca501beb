package discord

import (
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
)

// TestRolesCompareOneWay: Discord roles designate facilitators and map
// groups by the same rules: names without regard to case, ids exactly,
// and a role whose name is another role's id is not that role.
func TestRolesCompareOneWay(t *testing.T) {
	const (
		facRoleID     = "400000000000000007"
		fakeCivilID   = "400000000000000008" // named civilRoleID
		fakeFacRoleID = "400000000000000009" // named facRoleID
	)
	cfg := testConfig()
	cfg.Facilitators = []string{"discord:" + alice.id, "discord-role:moderators", "discord-role:" + facRoleID}
	cfg.Roles[0].Role = "discord-role:GOVERNMENT OFFICIALS"
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c), config: &cfg})
	h.fake.setRoles(testGuild, govRoleID, "Government officials", civilRoleID, "Civil society", modRoleID, "Moderators",
		facRoleID, "Facilitators", fakeCivilID, civilRoleID, fakeFacRoleID, facRoleID)
	id, msgID := openPoll(t, h, str("title", "T"), str("themes", "A; B"))

	for _, tc := range []struct {
		name  string
		m     member
		group string // "" when the vote must wait for a group pick
	}{
		{"role name, other case", member{id: "600000000000000001", roles: []string{govRoleID}}, "Government"},
		{"role id", member{id: "600000000000000002", roles: []string{civilRoleID}}, "Civil society"},
		{"role named like the mapped id", member{id: "600000000000000003", roles: []string{fakeCivilID}}, ""},
	} {
		r := h.interact(t, h.click(tc.m, msgID, bot.VoteAction(id, 0)))
		if tc.group == "" {
			if ids := customIDs(r.Data); r.Type != 4 || len(ids) != 1 || !strings.HasPrefix(ids[0], idPickGroup) {
				t.Errorf("%s: want the group picker, got type %d %v %s", tc.name, r.Type, ids, r.content())
			}
			continue
		}
		mustContain(t, tc.name, shown(h.fake.followupsFor(t, r.Token, 1)[0].str("content")), "Counted for "+tc.group)
	}

	for _, tc := range []struct {
		name        string
		m           member
		facilitator bool
	}{
		{"role name, other case", member{id: "600000000000000011", roles: []string{modRoleID}}, true},
		{"role id", member{id: "600000000000000012", roles: []string{facRoleID}}, true},
		{"role named like the facilitators' id", member{id: "600000000000000013", roles: []string{fakeFacRoleID}}, false},
		{"no role", member{id: "600000000000000014"}, false},
	} {
		r := h.interact(t, h.command(tc.m, "assign", opt{"user", 6, dave.id}, str("group", "academia")))
		if got := !strings.Contains(r.content(), "only facilitators"); got != tc.facilitator {
			t.Errorf("%s: facilitator = %v, want %v (%s)", tc.name, got, tc.facilitator, r.content())
		}
	}
}
