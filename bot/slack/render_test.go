package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
	"github.com/slack-go/slack"
)

func TestCommandText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`open "A &amp; B" "x &lt;y&gt;"`, `open "A & B" "x <y>"`},
		{`assign <@U123|alice> government`, `assign <@U123|alice> government`},
		{`open "&amp;lt;" "b"`, `open "&lt;" "b"`},
		{`open “Title” ‘x’`, `open “Title” ‘x’`},
	} {
		if got := commandText(tc.in); got != tc.want {
			t.Errorf("commandText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name    string
		env     map[string]string
		enabled bool
		errWord string // the variable the error must name
		apiURL  string
	}{
		{name: "unset"},
		{name: "socket", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1"}, enabled: true},
		{name: "http", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}, enabled: true},
		{name: "api url", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": "http://localhost:9/api"}, enabled: true, apiURL: "http://localhost:9/api/"},
		{name: "bot token alone", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, enabled: true, errWord: "SLACK_APP_TOKEN"},
		{name: "app token alone", env: map[string]string{"SLACK_APP_TOKEN": "xapp-1"}, errWord: "SLACK_BOT_TOKEN"},
		{name: "user token", env: map[string]string{"SLACK_BOT_TOKEN": "xoxp-1", "SLACK_APP_TOKEN": "xapp-1"}, enabled: true, errWord: "SLACK_BOT_TOKEN"},
		{name: "bot token as app token", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-1"}, enabled: true, errWord: "SLACK_APP_TOKEN"},
		{name: "bad api url", env: map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xapp-1", "SLACK_API_URL": "slack.com"}, enabled: true, errWord: "SLACK_API_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, enabled, err := ConfigFromEnv(func(k string) string { return tc.env[k] })
			if enabled != tc.enabled {
				t.Errorf("enabled = %v, want %v", enabled, tc.enabled)
			}
			switch {
			case tc.errWord == "" && err != nil:
				t.Errorf("err = %v", err)
			case tc.errWord != "" && (err == nil || !strings.Contains(err.Error(), tc.errWord) || strings.Contains(err.Error(), "\n")):
				t.Errorf("err = %v, want one line naming %s", err, tc.errWord)
			}
			if tc.apiURL != "" && cfg.APIURL != tc.apiURL {
				t.Errorf("APIURL = %q, want %q", cfg.APIURL, tc.apiURL)
			}
		})
	}
}

func TestEscapeMrkdwn(t *testing.T) {
	if got := escapeMrkdwn("<!channel> & <@U1> *b*"); got != "&lt;!channel&gt; &amp; &lt;@U1&gt; \u200b*\u200bb\u200b*\u200b" {
		t.Errorf("escapeMrkdwn = %q", got)
	}
}

// bigPoll is a poll view at the domain's limits: 25 themes of 80 runes,
// live results, closed with a summary per theme.
func bigPoll(themes int, closed bool) *bot.PollView {
	v := &bot.PollView{
		Key: polls.Key{Tenant: "slack:T1", ID: "K7QX"}, ID: "K7QX", Title: strings.Repeat("T", 200),
		Kind: polls.Approval, KindText: "Choose every theme you support.", Status: polls.StatusOpen,
		StatusText: "Open", ResultsVisible: true, Ballots: 7, ParticipationText: "🏛️ Government 7",
		Footer: "Poll K7QX",
	}
	if closed {
		v.Status = polls.StatusClosed
	}
	for i := range themes {
		label := fmt.Sprintf("%02d <!channel> *x* ", i) + strings.Repeat("é", 80-17)
		v.Themes = append(v.Themes, bot.ThemeLine{Number: i + 1, Label: label, Bar: bot.Bar(0.5, 10), CountText: "3 votes", Badge: "⚖️ divided"})
		if closed {
			v.Summary = append(v.Summary, "Divided: "+label+" (Government 100% vs Academia 0%).")
		} else {
			v.Controls = append(v.Controls, bot.Control{ID: bot.VoteAction("K7QX", i), Label: fmt.Sprintf("%d. %s", i+1, label)})
		}
	}
	return v
}

// checkLimits checks a message against Slack's Block Kit limits.
func checkLimits(t *testing.T, blocks []slack.Block) {
	t.Helper()
	if len(blocks) > maxBlocks {
		t.Errorf("%d blocks, limit %d", len(blocks), maxBlocks)
	}
	ids := map[string]bool{}
	for _, b := range blocks {
		switch b := b.(type) {
		case *slack.SectionBlock:
			if b.Text != nil && utf8.RuneCountInString(b.Text.Text) > maxSectionText {
				t.Errorf("section text of %d characters", utf8.RuneCountInString(b.Text.Text))
			}
			if b.Accessory != nil && b.Accessory.ButtonElement != nil {
				btn := b.Accessory.ButtonElement
				if utf8.RuneCountInString(btn.Text.Text) > maxButtonText {
					t.Errorf("button text of %d characters", utf8.RuneCountInString(btn.Text.Text))
				}
				if ids[btn.ActionID] {
					t.Errorf("duplicate action id %s", btn.ActionID)
				}
				ids[btn.ActionID] = true
			}
		case *slack.ActionBlock:
			if n := len(b.Elements.ElementSet); n > maxActionElements {
				t.Errorf("actions block of %d elements", n)
			}
		case *slack.HeaderBlock:
			if utf8.RuneCountInString(b.Text.Text) > maxHeaderText {
				t.Errorf("header of %d characters", utf8.RuneCountInString(b.Text.Text))
			}
		case *slack.ContextBlock:
			if n := len(b.ContextElements.Elements); n > maxContextElems {
				t.Errorf("context of %d elements", n)
			}
		}
	}
	data, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	// Labels are user text: they must never reach a mrkdwn object.
	if strings.Contains(string(data), `"type":"mrkdwn"`) && strings.Contains(string(data), "<!channel>") {
		t.Errorf("mrkdwn objects next to raw user text: %s", data)
	}
}

func TestPollBlocksLimits(t *testing.T) {
	for _, tc := range []struct {
		name     string
		v        *bot.PollView
		buttons  int
		degraded bool
	}{
		{"25 themes open", bigPoll(25, false), 25, false},
		{"25 themes closed", bigPoll(25, true), 0, false},
		// Beyond the domain's limit: the renderer must still fit.
		{"60 themes open", bigPoll(60, false), 0, true},
		{"60 themes closed", bigPoll(60, true), 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := renderReply(bot.Reply{Visibility: bot.Public, Poll: tc.v})
			checkLimits(t, m.Blocks)
			data, _ := json.Marshal(m.Blocks)
			if got := strings.Count(string(data), `"type":"button"`); got != tc.buttons {
				t.Errorf("%d buttons, want %d", got, tc.buttons)
			}
			if got := strings.Contains(string(data), "static_select"); got != tc.degraded {
				t.Errorf("select menu: %v, want %v", got, tc.degraded)
			}
			for _, th := range tc.v.Themes {
				if !strings.Contains(string(data), fmt.Sprintf("%d. %02d", th.Number, th.Number-1)) {
					t.Errorf("theme %d missing: the degraded form must stay complete", th.Number)
					break
				}
			}
			if strings.Contains(m.Text, "<!channel>") {
				t.Errorf("fallback text %q can ping", m.Text)
			}
		})
	}
}

func TestPickerAndLongText(t *testing.T) {
	var opts []bot.Control
	for i := range 30 {
		opts = append(opts, bot.Control{ID: bot.GroupAction(polls.Group(fmt.Sprintf("g%d", i))), Label: fmt.Sprintf("Group %d", i)})
	}
	m := renderReply(bot.Reply{Text: strings.Repeat("long line\n", 700), Picker: &bot.GroupPicker{Prompt: "Which?", Options: opts}})
	checkLimits(t, m.Blocks)
	data, _ := json.Marshal(m.Blocks)
	if got := strings.Count(string(data), `"type":"button"`); got != 30 {
		t.Errorf("%d picker buttons, want 30", got)
	}
}

func TestRankModal(t *testing.T) {
	v := bigPoll(25, false)
	v.Kind = polls.Ranked
	mv := rankModal(v, "C1")
	if len(mv.Blocks.BlockSet) != 26 || mv.PrivateMetadata != "C1" || mv.CallbackID != "pollbot:rankform:K7QX" {
		t.Errorf("modal: %d blocks, metadata %q, callback %q", len(mv.Blocks.BlockSet), mv.PrivateMetadata, mv.CallbackID)
	}
	if utf8.RuneCountInString(mv.Title.Text) > maxModalTitle {
		t.Errorf("modal title %q too long", mv.Title.Text)
	}
	for i, b := range mv.Blocks.BlockSet[1:] {
		in := b.(*slack.InputBlock)
		if in.Optional != (i > 0) {
			t.Errorf("position %d optional = %v", i+1, in.Optional)
		}
	}
}
