package slack_test

import (
	"strings"
	"testing"

	"github.com/pollbot/pollbot/bot"
)

// TestUserGroupRoles: Slack user groups map to groups and designate
// facilitators by id or by handle (without regard to case), the same way
// in both places.
func TestUserGroupRoles(t *testing.T) {
	e := newEnvConfig(t, false, boltStore(t), bot.Config{
		Facilitators: []string{"slack:UFAC", "slack-usergroup:S0FAC", "slack-usergroup:Chairs"},
		Roles: []bot.RoleMapping{
			{Role: "slack-usergroup:Gov-Team", Group: "government"},
			{Role: "slack-usergroup:S0CIV", Group: "civil-society"},
		},
	})
	e.fake.SetUserGroup("S0GOV", "UGOV")
	e.fake.SetUserGroupHandle("S0GOV", "gov-team")
	e.fake.SetUserGroup("S0CIV", "UCIV")
	e.fake.SetUserGroupHandle("S0CIV", "civ")
	e.fake.SetUserGroup("S0FAC", "UF1")
	e.fake.SetUserGroup("S0CHR", "UF2")
	e.fake.SetUserGroupHandle("S0CHR", "chairs")
	p := e.open(`open "T" "A" "B"`)

	e.click("UGOV", bot.VoteAction(p.ID, 0))
	e.waitEphemeral("Counted for Government")
	e.click("UCIV", bot.VoteAction(p.ID, 1))
	e.waitEphemeral("Counted for Civil society")
	for user, facilitator := range map[string]bool{"UF1": true, "UF2": true, "UGOV": false} {
		ack := e.command(user, "assign <@UX> academia")
		if got := !strings.Contains(ack, "only facilitators"); got != facilitator {
			t.Errorf("%s: facilitator = %v, want %v (%s)", user, got, facilitator, ack)
		}
	}
}
