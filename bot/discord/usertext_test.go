package discord

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// hostile are theme labels that try to become links, mentions or markup
// on Discord or Slack.
var hostile = []string{
	"[click me](https://evil.example)",
	"[x](<https://evil.example>)",
	"https://evil.example/raw",
	"<https://evil.example>",
	"<@123456789012345678> <@!1>",
	"<@&1> <#1> <t:1:R> </poll:1>",
	"<:emoji:1> <a:anim:1>",
	"@everyone @here",
	"**bold** *it* _it_ __under__",
	"`code` ```block```",
	"~~strike~~",
	"||spoiler||",
	"# heading",
	"### small",
	"> quote",
	">>> quotes",
	"- item",
	"* star item",
	"1. item",
	"-# subtext",
	`back\slash \*x\*`,
	"emoji 🎉 :tada:",
	"RTL עברית مرحبا",
	"<!channel> <@U123>",
}

const hostileTitle = "[title](https://evil.example) @everyone **<@1>**"

func quoted(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

func hostileConfig() *bot.Config {
	c := testConfig()
	c.Groups = []polls.GroupInfo{
		{ID: "government", Label: "[Gov](https://evil.example) @everyone", Emoji: "🏛️"},
		{ID: "civil-society", Label: "||Civil|| <@&1> society"},
		{ID: "academia", Label: "# Academia"},
	}
	return &c
}

// TestUserTextStaysText drives titles, theme labels, group labels and typed
// text that try to become links, mentions or Markdown through the whole
// Discord adapter (the poll message and its edits, vote confirmations, the
// group picker, errors, list, report, autocomplete, the ranking modal) and
// checks every payload pollbot sends: no Markdown field holds a live
// masked link, URL, mention, spoiler, heading, quote or list made of user
// text, user text never keeps its formatting characters unescaped, and the
// engine's marks of user text never leave the process.
func TestUserTextStaysText(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c), config: hostileConfig()})
	var payloads []map[string]any
	do := func(in map[string]any) reply {
		t.Helper()
		r := h.interact(t, in)
		payloads = append(payloads, r.Data)
		return r
	}
	themes := make([]string, len(hostile))
	for i, l := range hostile {
		themes[i] = quoted(l)
	}
	id, msgID := openPoll(t, h, str("title", hostileTitle), str("themes", strings.Join(themes, " ")), opt{"quorum", 4, 1})

	r := do(h.click(bob, msgID, bot.VoteAction(id, 0)))
	confirmation := h.fake.followupsFor(t, r.Token, 1)[0]
	mustContain(t, "confirmation", shown(confirmation.str("content")), "Your ballot in poll "+id+": [click me](https://evil.example). Counted for [Gov](https://evil.example) @everyone.")
	do(h.click(bob, msgID, bot.VoteAction(id, 8)))
	do(h.click(carol, msgID, bot.VoteAction(id, 11)))
	do(h.click(dave, msgID, bot.VoteAction(id, 4)))
	do(h.click(dave, "ephemeral-1", idPickGroup, bot.GroupAction("academia")))
	do(h.command(erin, "vote", str("poll", id), str("themes", quoted("[y](https://evil.example) @here <@1>"))))
	do(h.command(erin, "preset", str("name", "[p](https://evil.example)")))
	do(h.command(erin, "group", str("group", "<@1>||x||")))
	do(h.command(erin, "list"))
	ac := h.base(erin, 4)
	ac["data"] = map[string]any{"id": "800000000000000001", "name": "poll", "type": 1, "options": []any{map[string]any{
		"name": "report", "type": 1, "options": []any{map[string]any{"name": "poll", "type": 3, "value": "evil", "focused": true}}}}}
	do(ac)
	do(h.command(alice, "close", str("poll", id)))
	r = do(h.command(bob, "report", str("poll", id)))
	h.fake.followupsFor(t, r.Token, 1)
	ranked, _ := openPoll(t, h, str("title", hostileTitle), str("themes", strings.Join(themes[:4], " ")), str("kind", "ranked"))
	do(h.click(alice, msgID, bot.RankAction(ranked)))
	settle(t, h)
	h.adapter.wait()

	h.fake.mu.Lock()
	for _, recs := range [][]recorded{h.fake.created} {
		for _, rec := range recs {
			payloads = append(payloads, rec.Payload)
		}
	}
	for _, recs := range h.fake.followups {
		for _, rec := range recs {
			payloads = append(payloads, rec.Payload)
		}
	}
	for _, recs := range h.fake.edits {
		for _, rec := range recs {
			payloads = append(payloads, rec.Payload)
		}
	}
	h.fake.mu.Unlock()

	markdown := 0
	for _, p := range payloads {
		markdown += checkDiscordValue(t, "", "", p)
	}
	if markdown < 30 {
		t.Errorf("only %d Markdown fields checked: the test checks too little", markdown)
	}
}

// checkDiscordValue walks a payload: every string is free of marks, and
// every Markdown field (content, embed title, description, field name and
// value) holds no live markup made of user text. It returns how many
// Markdown fields it checked.
func checkDiscordValue(t *testing.T, where, key string, v any) int {
	t.Helper()
	n := 0
	switch x := v.(type) {
	case string:
		if strings.ContainsAny(x, "\uE000\uE001") {
			t.Errorf("%s: a user text mark reached Discord: %q", where, x)
		}
	case map[string]any:
		for k, y := range x {
			s, isString := y.(string)
			inEmbed := strings.Contains(where, "embeds")
			if isString && (k == "content" || inEmbed && (k == "title" || k == "description") || inEmbed && strings.HasSuffix(where, "]") && strings.Contains(where, "fields") && (k == "name" || k == "value")) {
				n++
				if problem := liveMarkdown(s); problem != "" {
					t.Errorf("%s.%s: %s in %q", where, k, problem, s)
				}
				for _, l := range append(hostile, hostileTitle) {
					if strings.ContainsAny(l, "*_~`|\\") && unescapedIn(s, l) {
						t.Errorf("%s.%s: label %q unescaped in %q", where, k, l, s)
					}
				}
			}
			n += checkDiscordValue(t, where+"."+k, k, y)
		}
	case []any:
		for i, y := range x {
			n += checkDiscordValue(t, fmt.Sprintf("%s[%d]", where, i), key, y)
		}
	}
	return n
}

// liveMarkdown says what in s Discord would read as a link, a mention or
// block markup: an unescaped <, a masked link ](, a URL's ://, @everyone
// or @here, a spoiler ||, or a heading, quote or list where a line starts.
// pollbot's own bold, italics and code are not reported (user text in them
// is checked by the caller).
func liveMarkdown(s string) string {
	lineStart := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && isPunct(s[i+1]) {
			i++
			lineStart = false
			continue
		}
		switch {
		case c == '\n':
			lineStart = true
			continue
		case lineStart && c == ' ':
			continue
		case lineStart && (blockStart.MatchString(s[i:])):
			return fmt.Sprintf("a line starting %q", s[i:min(len(s), i+4)])
		case lineStart && c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j+1 < len(s) && (s[j] == '.' || s[j] == ')') && s[j+1] == ' ' {
				return "a numbered list item"
			}
		case c == '<':
			return "an unescaped <"
		case c == ']' && i+1 < len(s) && s[i+1] == '(':
			return "a masked link"
		case c == ':' && strings.HasPrefix(s[i:], "://"):
			return "a URL"
		case c == '|' && i+1 < len(s) && s[i+1] == '|':
			return "a spoiler"
		case c == '@' && (strings.HasPrefix(s[i:], "@everyone") || strings.HasPrefix(s[i:], "@here")):
			return "a mass mention"
		}
		lineStart = false
	}
	return ""
}

// unescapedIn reports whether sub occurs in s other than right after a
// backslash (an escaped first character).
func unescapedIn(s, sub string) bool {
	for i := 0; ; {
		j := strings.Index(s[i:], sub)
		if j < 0 {
			return false
		}
		if i+j == 0 || s[i+j-1] != '\\' {
			return true
		}
		i += j + 1
	}
}

// blockStart matches Discord's headings, subtext, block quotes and bullet
// lists where a line starts.
var blockStart = regexp.MustCompile(`^(#{1,3} |-# |>>> |> |[-*+] )`)

func isPunct(c byte) bool {
	return c < 0x80 && strings.IndexByte("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", c) >= 0
}

func TestEscapeMarkdown(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain words", "plain words"},
		{"[x](https://e.example)", `\[x\](https\://e.example)`},
		{"<@1> <#2> <t:1:R>", "\\<@\u200b1\\> \\<\\#2\\> \\<t:1:R\\>"},
		{"at 15:04, see http://e.example", `at 15:04, see http\://e.example`},
		{"@everyone", "@\u200beveryone"},
		{"**b** _i_ ~~s~~ `c` ||sp||", `\*\*b\*\* \_i\_ \~\~s\~\~ \` + "`c\\`" + ` \|\|sp\|\|`},
		{"# h", `\# h`},
		{"- item", `\- item`},
		{"a - b", "a - b"},
		{"-# sub", `\-\# sub`},
		{"12. item", `12\. item`},
		{"v1.2", "v1.2"},
		{"> q", `\> q`},
		{"x\n- y\n  3) z", "x\n\\- y\n  3\\) z"},
		{`a\b`, `a\\b`},
		{"émoji 🎉", "émoji 🎉"},
	} {
		if got := escapeMarkdown(tc.in); got != tc.want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if p := liveMarkdown(escapeMarkdown(tc.in)); p != "" {
			t.Errorf("escapeMarkdown(%q) still has %s", tc.in, p)
		}
	}
}

// FuzzEscapeMarkdown: the shortcut for text with nothing to escape writes
// what the full escaper writes, invalid UTF-8 included.
//
//	go test -run '^$' -fuzz=FuzzEscapeMarkdown -fuzztime=1m ./bot/discord
func FuzzEscapeMarkdown(f *testing.F) {
	for _, s := range []string{"plain words", "DNS abuse", "émoji 🎉", "12. item", "12 items", "v1.2", "a\nb", "\xff", "x\xc3", "@here", "http://e", "  3) z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := escapeMarkdown(s), escapeMarkdownSlow(s); got != want {
			t.Fatalf("escapeMarkdown(%q) = %q, the full escaper writes %q", s, got, want)
		}
	})
}
