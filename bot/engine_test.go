package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

func newEngine(t *testing.T, cfg bot.Config) *bot.Engine {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return bot.New(polls.NewService(st, polls.WithGroups(cfg.GroupList())), cfg)
}

func text(r bot.Response) string {
	var b strings.Builder
	for _, rep := range r.Replies {
		b.WriteString(bot.RenderText(rep))
	}
	return b.String()
}

func TestGroupPrecedence(t *testing.T) {
	cfg := bot.Config{
		Facilitators: []string{"discord-role:Moderators"},
		Roles: []bot.RoleMapping{
			{Role: "discord-role:Government", Group: "government"},
			{Role: "discord-role:Academia", Group: "academia"},
		},
	}
	e := newEngine(t, cfg)
	ctx := context.Background()
	mod := bot.Request{Platform: "discord", Tenant: "discord:1", User: "100", Roles: []bot.Role{{Kind: bot.DiscordRole, ID: "9001", Name: "Moderators"}}}
	r := e.Handle(ctx, mod, bot.Open{Title: "T", Themes: []string{"A", "B"}})
	if r.Err != nil {
		t.Fatal(text(r))
	}
	id := r.Opened.ID

	voter := bot.Request{Platform: "discord", Tenant: "discord:1", User: "200", Roles: []bot.Role{{Kind: bot.DiscordRole, ID: "9002", Name: "Government"}}}
	// A role-mapped voter needs no self-declaration.
	if r := e.Handle(ctx, voter, bot.Vote{Poll: id, Themes: []string{"1"}}); r.Err != nil || !strings.Contains(text(r), "Counted for Government") {
		t.Fatalf("role-mapped vote: %s", text(r))
	}
	// The role beats a self-declared group, and the voter is told so.
	r = e.Handle(ctx, voter, bot.Group{Group: "civil-society"})
	if !strings.Contains(text(r), "your role maps you to Government") {
		t.Errorf("self-declaration over a role: %s", text(r))
	}
	if r := e.Handle(ctx, voter, bot.Group{}); !strings.Contains(text(r), "Government (from your role)") {
		t.Errorf("group shown: %s", text(r))
	}
	// A facilitator's assignment beats the role.
	if r := e.Handle(ctx, mod, bot.Assign{User: "<@!200>", Group: "academia"}); r.Err != nil {
		t.Fatal(text(r))
	}
	if r := e.Handle(ctx, voter, bot.Vote{Poll: id, Themes: []string{"2"}}); !strings.Contains(text(r), "Counted for Academia") {
		t.Errorf("after assignment: %s", text(r))
	}
	// A role that is not a facilitator role cannot assign.
	if r := e.Handle(ctx, voter, bot.Assign{User: "<@300>", Group: "academia"}); !errors.Is(r.Err, bot.ErrForbidden) {
		t.Errorf("non-facilitator assign: %v", r.Err)
	}
}

func TestActions(t *testing.T) {
	for _, id := range []string{bot.VoteAction("K7QX", 0), bot.VoteAction("K7QX", 24), bot.RankAction("K7QX"), bot.GroupAction("civil-society")} {
		a, err := bot.ParseAction(id)
		if err != nil {
			t.Fatalf("ParseAction(%q): %v", id, err)
		}
		var back string
		switch a.Kind {
		case bot.ActVote:
			back = bot.VoteAction(a.Poll, a.Theme)
		case bot.ActRank:
			back = bot.RankAction(a.Poll)
		case bot.ActGroup:
			back = bot.GroupAction(a.Group)
		}
		if back != id {
			t.Errorf("%q round-trips to %q", id, back)
		}
	}
	for _, bad := range []string{"", "vote:K7QX:1", "pollbot:vote:K7QX:0", "pollbot:vote:K7QX:26", "pollbot:vote::1", "pollbot:vote:K7QX:x", "pollbot:group:", "pollbot:nope:K7QX", strings.Repeat("pollbot:", 20)} {
		if _, err := bot.ParseAction(bad); !errors.Is(err, bot.ErrBadAction) {
			t.Errorf("ParseAction(%q) = %v, want ErrBadAction", bad, err)
		}
	}
}

// TestClickVotes drives the controls of a poll view the way an adapter
// does: toggles land atomically even when clicks race.
func TestClickVotes(t *testing.T) {
	e := newEngine(t, bot.Config{})
	ctx := context.Background()
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U1"}
	r := e.Handle(ctx, req, bot.Open{Title: "T", Themes: []string{"A", "B", "C", "D"}})
	view := r.Replies[0].Poll
	if len(view.Controls) != 4 {
		t.Fatalf("controls = %+v", view.Controls)
	}
	r = e.Act(ctx, req, mustAction(t, view.Controls[0].ID))
	if r.Replies[0].Picker == nil {
		t.Fatalf("no group picker for a voter without a group: %s", text(r))
	}
	r = e.Act(ctx, req, mustAction(t, r.Replies[0].Picker.Options[2].ID))
	if !strings.Contains(text(r), "Your held vote is now counted. Your ballot in poll "+view.ID+": A.") {
		t.Fatalf("held click not applied: %s", text(r))
	}
	var wg sync.WaitGroup
	for _, c := range view.Controls[1:] {
		wg.Go(func() {
			if r := e.Act(ctx, req, mustAction(t, c.ID)); r.Err != nil {
				t.Error(text(r))
			}
		})
	}
	wg.Wait()
	pv, err := e.PollView(ctx, view.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, th := range pv.Themes {
		if th.Count != 1 {
			t.Errorf("theme %s count %v, want 1 (a concurrent click was lost)", th.Label, th.Count)
		}
	}
	// Clicking a chosen theme again removes it.
	if r := e.Act(ctx, req, mustAction(t, view.Controls[0].ID)); !strings.Contains(text(r), "B; C; D") {
		t.Errorf("toggle off: %s", text(r))
	}
}

func mustAction(t *testing.T, id string) bot.Action {
	t.Helper()
	a, err := bot.ParseAction(id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestLoadConfig(t *testing.T) {
	good := `
facilitators: ["slack:U1"]
groups:
  - {id: members, label: Members, emoji: "🙋"}
  - {id: board, label: Board}
roles:
  - {role: "slack-usergroup:S1", group: board}
presets:
  - name: retreat
    title: Retreat topic
    themes: [Strategy, Budget]
defaults: {quorum: 2, threshold: 0.6, closes: 2d}
`
	c, err := bot.LoadConfig(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.GroupList().Info("members").Label; got != "Members" {
		t.Errorf("group label = %q", got)
	}
	if names := c.PresetNames(); names[0] != "retreat" || len(names) < 2 {
		t.Errorf("presets = %v", names)
	}
	e := newEngine(t, c)
	r := e.Handle(context.Background(), bot.Request{Platform: "slack", Tenant: "slack:T", User: "U2"}, bot.Preset{Preset: "RETREAT"})
	if r.Err != nil {
		t.Fatal(text(r))
	}
	p := r.Opened
	if p.Quorum != 2 || p.Threshold != 0.6 || p.ClosesAt.Sub(p.OpenedAt) != 48*time.Hour || p.Title != "Retreat topic" {
		t.Errorf("defaults not applied: %+v", p)
	}
	for name, bad := range map[string]string{
		"unknown key":       "facilitatorz: []",
		"bad group id":      "groups: [{id: 'Bad Group'}]",
		"role to no group":  "roles: [{role: 'discord-role:X', group: nobody}]",
		"preset dup themes": "presets: [{name: p, themes: [A, a]}]",
		"bad default":       "defaults: {closes: soon}",
	} {
		if _, err := bot.LoadConfig(strings.NewReader(bad)); err == nil {
			t.Errorf("%s: accepted %q", name, bad)
		}
	}
}

func TestInternalErrorsAreNotShown(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	e := bot.New(polls.NewService(st), bot.Config{})
	st.Close() // every store call now fails with a bbolt error
	r := e.HandleText(context.Background(), bot.Request{Platform: "shell", Tenant: "local", User: "you"}, "list")
	if r.Err == nil {
		t.Fatal("no error from a closed store")
	}
	got := text(r)
	if strings.Contains(got, "database") || strings.Contains(got, "bolt") || !strings.Contains(got, "try again") {
		t.Errorf("internal error shown to the user: %q", got)
	}
}
