package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	catalog "github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

func TestConfigFromEnv(t *testing.T) {
	key := strings.Repeat("ab", 32)
	cases := []struct {
		name    string
		env     map[string]string
		enabled bool
		err     string
	}{
		{"unset", nil, false, ""},
		{"gateway", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "123"}, true, ""},
		{"http", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "123", "DISCORD_PUBLIC_KEY": key}, true, ""},
		{"no app id", map[string]string{"DISCORD_BOT_TOKEN": "t"}, true, "DISCORD_APP_ID is not set"},
		{"bad app id", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "pollbot"}, true, "DISCORD_APP_ID"},
		{"short key", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "123", "DISCORD_PUBLIC_KEY": "abcd"}, true, "not 64 hex"},
		{"non-hex key", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "123", "DISCORD_PUBLIC_KEY": strings.Repeat("zz", 32)}, true, "not 64 hex"},
		{"bad guild", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "123", "DISCORD_GUILD_ID": "x"}, true, "DISCORD_GUILD_ID"},
		{"bad api url", map[string]string{"DISCORD_BOT_TOKEN": "t", "DISCORD_APP_ID": "123", "DISCORD_API_URL": "discord"}, true, "DISCORD_API_URL"},
		{"key without token", map[string]string{"DISCORD_PUBLIC_KEY": key}, false, "DISCORD_BOT_TOKEN is not set"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, enabled, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if enabled != tc.enabled {
				t.Errorf("enabled = %v", enabled)
			}
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("err = %v", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n")):
				t.Errorf("err = %v, want one line with %q", err, tc.err)
			}
			if tc.name == "http" && !cfg.HTTPMode() {
				t.Error("a public key selects HTTP mode")
			}
		})
	}
}

// checkLimits fails on any layout Discord would reject.
func checkLimits(t *testing.T, m msg) {
	t.Helper()
	if n := utf8.RuneCountInString(m.content); n > maxContent {
		t.Errorf("content %d runes", n)
	}
	if len(m.embeds) > maxEmbeds {
		t.Errorf("%d embeds", len(m.embeds))
	}
	for _, e := range m.embeds {
		total := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		if utf8.RuneCountInString(e.Title) > maxEmbedTitle || utf8.RuneCountInString(e.Description) > maxEmbedDesc || len(e.Fields) > maxEmbedFields {
			t.Errorf("embed over limits: title %d, description %d, fields %d", utf8.RuneCountInString(e.Title), utf8.RuneCountInString(e.Description), len(e.Fields))
		}
		for _, f := range e.Fields {
			if utf8.RuneCountInString(f.Name) > maxFieldName || utf8.RuneCountInString(f.Value) > maxFieldValue || f.Value == "" {
				t.Errorf("field over limits: name %d, value %d", utf8.RuneCountInString(f.Name), utf8.RuneCountInString(f.Value))
			}
			total += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		}
		if e.Footer != nil {
			total += utf8.RuneCountInString(e.Footer.Text)
		}
		if total > maxEmbedTotal {
			t.Errorf("embed total %d runes", total)
		}
	}
	if len(m.components) > maxRows {
		t.Errorf("%d action rows", len(m.components))
	}
	for _, row := range m.components {
		r := row.(discordgo.ActionsRow)
		if len(r.Components) > maxPerRow {
			t.Errorf("%d components in a row", len(r.Components))
		}
		for _, c := range r.Components {
			switch c := c.(type) {
			case discordgo.Button:
				if len(c.CustomID) > maxCustomID || utf8.RuneCountInString(c.Label) > maxButtonLabel {
					t.Errorf("button %q / %q over limits", c.CustomID, c.Label)
				}
			case discordgo.SelectMenu:
				if len(c.Options) > maxSelectOpts || len(c.CustomID) > maxCustomID || c.MaxValues > len(c.Options) {
					t.Errorf("select over limits: %d options, max %d", len(c.Options), c.MaxValues)
				}
				for _, o := range c.Options {
					if utf8.RuneCountInString(o.Label) > maxOptionLabel || len(o.Value) > 100 {
						t.Errorf("option %q over limits", o.Label)
					}
				}
			}
		}
	}
	if _, err := json.Marshal(m.responseData()); err != nil {
		t.Error(err)
	}
}

// TestLayoutLimits renders the largest polls and reports the engine can
// produce and checks every Discord limit.
func TestLayoutLimits(t *testing.T) {
	c := &clock{t: time.Now()}
	svc := polls.NewService(boltStore(t, c), polls.WithGroups(bot.Config{}.GroupList()), polls.WithClock(c.Now))
	e := bot.New(svc, bot.Config{})
	ctx := context.Background()
	long := func(i int) string { return fmt.Sprintf("%02d %s", i, strings.Repeat("Ü*_`@", 16)[:77]) }
	for _, n := range []int{1, 5, 24, 25} {
		for _, kind := range []string{"approval", "single", "ranked"} {
			t.Run(fmt.Sprintf("%s-%d", kind, n), func(t *testing.T) {
				if kind == "ranked" && n < 2 {
					t.Skip("ranked needs 2 themes")
				}
				themes := make([]string, n)
				for i := range themes {
					themes[i] = long(i)
				}
				req := bot.Request{Platform: Platform, Tenant: "discord:1", User: "u", Channel: "c"}
				resp := e.Handle(ctx, req, bot.Open{Title: strings.Repeat("Ŧ", 200), Themes: themes, Opts: bot.OpenOptions{Kind: polls.Kind(kind)}})
				if resp.Opened == nil {
					t.Fatalf("open: %v", resp.Replies)
				}
				id := resp.Opened.ID
				for g, gi := range []string{"government", "civil-society", "academia"} {
					for u := range 3 {
						r := bot.Request{Platform: Platform, Tenant: "discord:1", User: fmt.Sprintf("%s-%d", gi, u)}
						e.Handle(ctx, r, bot.Group{Group: gi})
						nums := []string{fmt.Sprint(1 + (g+u)%n)}
						if kind == "ranked" {
							nums = append(nums, fmt.Sprint(1+(g+u+1)%n))
						}
						e.Handle(ctx, r, bot.Vote{Poll: id, Themes: nums})
					}
				}
				m := message(resp.Replies[0])
				checkLimits(t, m)
				if kind != "ranked" && n == 25 {
					if sel, ok := m.components[0].(discordgo.ActionsRow).Components[0].(discordgo.SelectMenu); !ok || (kind == "single" && sel.MaxValues != 1) {
						t.Errorf("25 themes: want a select, got %#v", m.components[0])
					}
				}
				e.Handle(ctx, req, bot.Close{Poll: id})
				rep := e.Handle(ctx, req, bot.Report{Poll: id})
				checkLimits(t, message(rep.Replies[0]))
				v, err := e.PollView(ctx, polls.Key{Tenant: "discord:1", ID: id})
				if err != nil {
					t.Fatal(err)
				}
				checkLimits(t, message(bot.Reply{Poll: v}))
				if kind == "ranked" {
					p, _ := svc.Poll(ctx, "discord:1", id)
					modal := rankModal(p)
					if utf8.RuneCountInString(modal.Data.Title) > maxModalTitle {
						t.Errorf("modal title %q", modal.Data.Title)
					}
				}
			})
		}
	}
	t.Run("long text", func(t *testing.T) {
		m := message(bot.Reply{Text: strings.Repeat("a line of help text\n", 600)})
		checkLimits(t, m)
		if len(m.embeds) < 2 || m.content != "" {
			t.Errorf("long text: %d embeds, content %d", len(m.embeds), len(m.content))
		}
	})
}

// TestPollMessageThemeLines: each theme is a line "`%2d.` `<bar>` <label>
// — <count>", with " · <badge>" once the poll has statuses, and only
// "`%2d.` <label>" while results are hidden; labels are escaped.
func TestPollMessageThemeLines(t *testing.T) {
	themes := func(badge string) []bot.ThemeLine {
		var out []bot.ThemeLine
		for i, label := range []string{"DNSSEC", "*BCP38*", "a", "b", "c", "d", "e", "f", "g", "Ten"} {
			out = append(out, bot.ThemeLine{Number: i + 1, Label: bot.UserText(label), Bar: "██░", CountText: fmt.Sprint(i), Badge: badge})
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		v      bot.PollView
		first  string
		tenth  string
		hidden bool
	}{
		{"visible", bot.PollView{Status: polls.StatusOpen, ResultsVisible: true, Themes: themes("")}, "` 1.` `██░` DNSSEC — 0", "`10.` `██░` Ten — 9", false},
		{"hidden", bot.PollView{Status: polls.StatusOpen, HiddenNote: "hidden", Themes: themes("")}, "` 1.` DNSSEC", "`10.` Ten", true},
		{"badges", bot.PollView{Status: polls.StatusClosed, ResultsVisible: true, Themes: themes("✅ consensus")}, "` 1.` `██░` DNSSEC — 0 · ✅ consensus", "`10.` `██░` Ten — 9 · ✅ consensus", false},
	} {
		tc.v.StatusText, tc.v.KindText = "Open", "Pick"
		embeds, _ := pollMessageIn(catalog.English(), &tc.v)
		lines := strings.Split(embeds[0].Description, "\n")
		if len(lines) < 13 || lines[0] != "**Open**" || lines[1] != "Pick" || lines[2] != "" {
			t.Fatalf("%s: description %q", tc.name, embeds[0].Description)
		}
		if lines[3] != tc.first || lines[12] != tc.tenth {
			t.Errorf("%s: lines %q and %q, want %q and %q", tc.name, lines[3], lines[12], tc.first, tc.tenth)
		}
		if !strings.Contains(lines[4], "` 2.` ") || !strings.Contains(lines[4], ` \*BCP38\*`) {
			t.Errorf("%s: second line %q", tc.name, lines[4])
		}
		if got := strings.Contains(embeds[0].Description, "_hidden_"); got != tc.hidden {
			t.Errorf("%s: hidden note shown %v", tc.name, got)
		}
	}
}
