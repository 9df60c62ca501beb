package slack_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// hostile are theme labels that try to become links, mentions or markup
// on Slack or Discord.
var hostile = []string{
	"[click me](https://evil.example)",
	"<https://evil.example|x>",
	"https://evil.example/raw",
	"<!channel> <!here> <!everyone>",
	"<@U123> <#C123> <!subteam^S123>",
	"<@123456789012345678> <@&1> <#1> <t:1:R>",
	"@everyone @here",
	"**bold** *it* _it_ __under__",
	"`code` ```block```",
	"~~strike~~ ~s~",
	"||spoiler||",
	"# heading",
	"> quote",
	"- item",
	"1. item",
	"-# subtext",
	`back\slash \*x\*`,
	"emoji 🎉 :tada:",
	"RTL עברית مرحبا",
	"&amp; &lt;b&gt;",
}

const hostileTitle = "<!channel> [title](https://evil.example) **@here**"

// quoted quotes s for the command grammar.
func quoted(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func hostileConfig() bot.Config {
	return bot.Config{
		Facilitators: []string{"slack:UFAC"},
		Roles:        []bot.RoleMapping{{Role: "slack-usergroup:SGOV", Group: "government"}},
		Groups: []polls.GroupInfo{
			{ID: "government", Label: "<!channel> Gov [x](https://evil.example)", Emoji: "🏛️"},
			{ID: "civil-society", Label: "*Civil* `society` @everyone <@U1>"},
			{ID: "academia", Label: "Academia"},
		},
	}
}

// all returns every recorded call.
func (f *fakeSlack) all() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// TestUserTextStaysText drives titles, theme labels, group labels and typed
// text that try to become links, mentions or formatting through the whole
// Slack adapter (messages, confirmations, the group picker, errors, list,
// report, export, ranking modal) and checks every request pollbot makes to
// Slack: Block Kit text is plain_text only, the mrkdwn fields (notification
// text, file comments) carry no live <...> sequence and no formatting
// character without its zero-width guards, and the engine's marks of user
// text never leave the process.
func TestUserTextStaysText(t *testing.T) {
	e := newEnvConfig(t, false, boltStore(t), hostileConfig())
	e.fake.SetUserGroup("SGOV", "UGOV")
	var acks []string
	cmd := func(user, text string) {
		t.Helper()
		if ack := e.command(user, text); ack != "" {
			acks = append(acks, ack)
		}
	}
	themes := make([]string, len(hostile))
	for i, l := range hostile {
		themes[i] = quoted(l)
	}
	cmd("UFAC", "open "+quoted(hostileTitle)+" "+strings.Join(themes, " ")+" --quorum 1")
	waitFor(t, "the poll message", func() bool { return len(e.fake.Calls("chat.postMessage")) == 1 })
	p := e.onlyPoll()
	if p.Title != hostileTitle || p.Themes[0].Label != hostile[0] {
		t.Fatalf("poll stored as %q %q", p.Title, p.Themes[0].Label)
	}

	e.click("UGOV", bot.VoteAction(p.ID, 0))
	e.click("UGOV", bot.VoteAction(p.ID, 7))
	e.waitEphemeral("Counted for")
	cmd("UCIV", "group civil-society")
	e.click("UCIV", bot.VoteAction(p.ID, 3))
	e.click("UNEW", bot.VoteAction(p.ID, 5))
	e.waitEphemeral(bot.GroupAction("academia"))
	cmd("UNEW", "group academia")
	cmd("UCIV", "vote "+p.ID+" "+quoted("<!channel> *x* [y](https://evil.example)"))
	cmd("UCIV", "preset "+quoted("<!here>*x*"))
	cmd("UCIV", "list")
	cmd("UFAC", "close "+p.ID)
	waitFor(t, "the closed poll message", func() bool { return strings.Contains(e.lastUpdate(), "Closed") })
	cmd("UGOV", "report "+p.ID)
	waitFor(t, "the chart upload", func() bool { return len(e.fake.Calls("files.completeUploadExternal")) == 1 })
	cmd("UFAC", "export "+p.ID+" md")
	waitFor(t, "the export upload", func() bool { return len(e.fake.Calls("files.completeUploadExternal")) == 2 })
	cmd("UFAC", "open "+quoted(hostileTitle)+" "+strings.Join(themes[:5], " ")+" --kind ranked")
	waitFor(t, "the ranked poll", func() bool { return len(e.fake.Calls("chat.postMessage")) >= 4 })
	page, _ := e.svc.List(t.Context(), tenant, polls.PollQuery{Status: polls.StatusOpen})
	ps := page.Polls
	if len(ps) != 1 {
		t.Fatalf("%d open polls, want the ranked one", len(ps))
	}
	e.click("UFAC", bot.RankAction(ps[0].ID))
	waitFor(t, "views.open", func() bool { return len(e.fake.Calls("views.open")) == 1 })
	e.waitEphemeral("direct message")

	sent := e.fake.all()
	for _, want := range []string{"chat.postMessage", "chat.update", "response", "files.completeUploadExternal", "views.open"} {
		if len(e.fake.Calls(want)) == 0 {
			t.Errorf("no %s call was made: the test checks too little", want)
		}
	}
	// Hostile labels did arrive, as written, in plain_text.
	if !strings.Contains(e.fake.Calls("chat.postMessage")[0].Blocks(), `[click me](https://evil.example)`) {
		t.Errorf("the label is not shown as written: %s", e.fake.Calls("chat.postMessage")[0].Blocks())
	}
	for _, c := range sent {
		checkSlackCall(t, c.Method, c.Form, c.JSON)
	}
	for _, a := range acks {
		var m map[string]any
		if err := json.Unmarshal([]byte(a), &m); err != nil {
			t.Fatalf("ack %q: %v", a, err)
		}
		checkSlackCall(t, "ack", nil, m)
	}
}

// checkSlackCall checks one request (form fields and JSON body) pollbot
// sent to Slack.
func checkSlackCall(t *testing.T, method string, form map[string][]string, js map[string]any) {
	t.Helper()
	for k, vs := range form {
		for _, v := range vs {
			var decoded any
			if strings.HasPrefix(strings.TrimSpace(v), "[") || strings.HasPrefix(strings.TrimSpace(v), "{") {
				if json.Unmarshal([]byte(v), &decoded) == nil {
					checkSlackValue(t, method+" "+k, k, decoded)
					continue
				}
			}
			checkSlackValue(t, method+" "+k, k, v)
		}
	}
	for k, v := range js {
		checkSlackValue(t, method+" "+k, k, v)
	}
}

// checkSlackValue walks a value: every string is free of marks; mrkdwn
// fields hold no live markup; text objects are plain_text.
func checkSlackValue(t *testing.T, where, key string, v any) {
	t.Helper()
	switch x := v.(type) {
	case string:
		if strings.ContainsAny(x, "\uE000\uE001") {
			t.Errorf("%s: a user text mark reached Slack: %q", where, x)
		}
		if key == "text" || key == "initial_comment" {
			if problem := liveMrkdwn(x); problem != "" {
				t.Errorf("%s: %s in mrkdwn %q", where, problem, x)
			}
		}
	case map[string]any:
		if typ, ok := x["type"].(string); ok {
			if _, isText := x["text"].(string); isText && typ != "plain_text" {
				t.Errorf("%s: a %s text object: %v", where, typ, x)
			}
		}
		for k, y := range x {
			if k == "text" {
				if _, obj := x["type"]; obj {
					// A Block Kit text object's text: plain, checked above.
					checkSlackValue(t, where+"."+k, "plain", y)
					continue
				}
			}
			checkSlackValue(t, where+"."+k, k, y)
		}
	case []any:
		for i, y := range x {
			checkSlackValue(t, fmt.Sprintf("%s[%d]", where, i), key, y)
		}
	}
}

// liveMrkdwn says what in s Slack's mrkdwn would act on: any < or > (its
// links, mentions and <!channel> are all <...>), an & that is not one of
// the three escapes, or a formatting character not guarded by zero-width
// spaces on both sides.
func liveMrkdwn(s string) string {
	if strings.ContainsAny(s, "<>") {
		return "a raw < or >"
	}
	for i := 0; i < len(s); i++ {
		if s[i] == '&' && !strings.HasPrefix(s[i:], "&amp;") && !strings.HasPrefix(s[i:], "&lt;") && !strings.HasPrefix(s[i:], "&gt;") {
			return "an unescaped &"
		}
	}
	for i, r := range s {
		if !strings.ContainsRune("*_~`", r) {
			continue
		}
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+1:])
		if before != '\u200b' || after != '\u200b' {
			return fmt.Sprintf("an unguarded %q", r)
		}
	}
	return ""
}
