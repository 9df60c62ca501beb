package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

// Bad input through the engine's text grammar, the entry point every
// adapter shares: each is refused with a message that names the problem
// and the limit, nothing is stored, and the parser's work and memory are
// bounded by its limits, not by the input.

func badInputEngine(t *testing.T) (*bot.Engine, *polls.Service) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := bot.Config{Facilitators: []string{"slack:UFAC"}}
	svc := polls.NewService(st, polls.WithGroups(cfg.GroupList()))
	return bot.New(svc, cfg), svc
}

func replyText(r bot.Response) string {
	var b strings.Builder
	for _, rep := range r.Replies {
		b.WriteString(bot.RenderText(rep))
	}
	return b.String()
}

// themesText is "open" with n bare one-word themes.
func themesText(n int) string {
	var b strings.Builder
	b.WriteString(`open "Too many"`)
	for i := range n {
		fmt.Fprintf(&b, " %d", i)
	}
	return b.String()
}

func TestBadCommandText(t *testing.T) {
	e, svc := badInputEngine(t)
	ctx := context.Background()
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "UFAC", Channel: "C1"}
	long := strings.Repeat("x", 10_000)
	openUsage := msg.English().Sprint(msg.ReplyUsage.With(bot.Usage("open")))
	for _, tc := range []struct {
		name, text string
		want       []string
	}{
		{"10,000-character label", `open "T" "` + long + `"`, []string{"The command is too long: at most 100 words and 10000 bytes; a poll has at most 25 themes, each at most 80 characters.", openUsage}},
		{"10,000-character label, typographic quotes", "open “T” “" + long + "”", []string{"at most 25 themes, each at most 80 characters", openUsage}},
		{"9,000-character label", `open "T" "A" "` + long[:9000] + `"`, []string{"Theme 2 is 9000 characters; at most 80.", openUsage}},
		{"3,000 two-byte characters", `open "T" "` + strings.Repeat("é", 3000) + `"`, []string{"Theme 1 is 3000 characters; at most 80."}},
		{"500-character title", `open "` + long[:500] + `" "A"`, []string{"The title is 500 characters; at most 200."}},
		{"5,000 themes", themesText(5000), []string{"a poll has at most 25 themes", openUsage}},
		{"5,000 themes under 10,000 bytes", "open T" + strings.Repeat(" x", 4990), []string{"at most 100 words", "a poll has at most 25 themes"}},
		{"97 themes", themesText(97), []string{"97 themes given; at most 25.", openUsage}},
		{"26 themes", themesText(26), []string{"26 themes given; at most 25."}},
		{"invalid UTF-8", "open \"T\" \"A\xff\"", []string{"The command is not valid text (UTF-8)."}},
		{"invalid UTF-8 in a huge line", "open " + strings.Repeat("\xff", 20_000), []string{"too long", openUsage}},
		{"U+FFFD", `open "T" "A�"`, []string{"Theme 1 contains U+FFFD (�), the mark of text that was not valid UTF-8"}},
		{"NUL", "open \"T\" \"A\x00B\"", []string{"Theme 1 contains a control character (U+0000), which chat cannot show; remove it."}},
		{"NUL, bare", "open T A\x00B", []string{"Theme 1 contains a control character (U+0000)"}},
		{"terminal escape in the title", "open \"\x1b]0;pwned\x07T\" \"A\"", []string{"The title contains a control character (U+001B)"}},
		{"DEL", "open \"T\" \"A\x7f\"", []string{"Theme 1 contains a control character (U+007F)"}},
		{"C1 control", "open \"T\" \"A\u009bB\"", []string{"Theme 1 contains a control character (U+009B)"}},
		{"RTL override", "open \"T\" \"DNSSEC\u202eesuba SND\"", []string{"Theme 1 contains a text-direction control (U+202E), which can make it display differently from what it says"}},
		{"RTL isolate in the title", "open \"\u2067T\u2069\" \"A\"", []string{"The title contains a text-direction control (U+2067)"}},
		{"a 1 MB line", "open " + strings.Repeat("word ", 200_000), []string{"too long", "at most 25 themes"}},
		{"a 1 MB word", strings.Repeat("w", 1_000_000), []string{"too long: at most 100 words and 10000 bytes."}},
		{"10,000 newlines", "open T" + strings.Repeat("\n", 10_000), []string{"too long"}},
		{"unterminated quote over a long label", `open "T" "` + long[:9000], []string{"Unterminated quote in \"" + strings.Repeat("x", 39) + "…"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.HandleText(ctx, req, tc.text)
			got := replyText(r)
			if r.Err == nil || r.Opened != nil {
				t.Fatalf("accepted: %.200q", got)
			}
			if len(r.Replies) != 1 || r.Replies[0].Visibility != bot.Ephemeral {
				t.Errorf("want one ephemeral reply, got %d", len(r.Replies))
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply %.400q\nlacks %q", got, w)
				}
			}
			if len(got) > 1200 {
				t.Errorf("a %d-byte reply repeats the input back", len(got))
			}
		})
	}
	if ps, _ := svc.List(ctx, "slack:T1", polls.PollQuery{}); len(ps.Polls) != 0 {
		t.Errorf("bad input opened %d polls", len(ps.Polls))
	}

	// What is not bad input: right-to-left text, marks, joined emoji,
	// labels that fold to one line.
	for _, ok := range []string{
		`open "موضوع العام" "أمن الشبكات" "الخصوصية"`,
		`open "נושא" "אבטחה" "פרטיות"`,
		"open \"T\" \"DNS\u200fabuse\" \"👩\u200d💻 coders\"",
		"open \"T\" \"Multi\n  line\tlabel\" \"B\"",
	} {
		if r := e.HandleText(ctx, req, ok); r.Opened == nil {
			t.Errorf("%q refused: %s", ok, replyText(r))
		}
	}
}

// TestBadVotes: votes that name huge or invalid themes or poll ids are
// refused with short messages and store no ballot.
func TestBadVotes(t *testing.T) {
	e, svc := badInputEngine(t)
	ctx := context.Background()
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "UFAC", Channel: "C1"}
	r := e.HandleText(ctx, req, `open "T" "A" "B"`)
	if r.Opened == nil {
		t.Fatal(replyText(r))
	}
	id := r.Opened.ID
	e.HandleText(ctx, req, "group civil society")
	for _, tc := range []struct{ text, want string }{
		{`vote ` + id + ` "` + strings.Repeat("v", 9000) + `"`, `has no theme "` + strings.Repeat("v", 40) + `"…`},
		{`vote ` + id + strings.Repeat(" 1", 5000), "too long"},
		{`vote ` + id + ` 1` + strings.Repeat(",2", 200), "too long"},
		{`vote ` + strings.Repeat("K", 5000) + ` 1`, "is not a poll id"},
		{"vote K7QX\x00 1", "is not a poll id"},
		{`vote ` + id + ` 99999999999999999999`, "has no theme"},
		{`group "` + strings.Repeat("g", 9000) + `"`, `Unknown group "` + strings.Repeat("g", 40) + `"…`},
	} {
		r := e.HandleText(ctx, req, tc.text)
		got := replyText(r)
		if r.Err == nil || !strings.Contains(got, tc.want) || len(got) > 1200 {
			t.Errorf("%.60q:\n got %.300q (%d bytes)\nwant %q", tc.text, got, len(got), tc.want)
		}
	}
	if _, tl, err := svc.Tally(ctx, "slack:T1", id); err != nil || tl.Total() != 0 {
		t.Errorf("after bad votes: %d ballots, %v", tl.Total(), err)
	}
}

// allocs measures the bytes allocated by a run of f, averaged over a few.
func allocs(f func()) (bytes uint64) {
	const runs = 10
	var before, after runtime.MemStats
	f()
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// TestParseBounded: refusing huge text, thousands of themes or a huge
// theme list costs work and memory bounded by the parser's limits (10,000
// bytes, 100 words), whatever the size of the input: nothing quadratic,
// nothing proportional to a 10 MB paste.
func TestParseBounded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		text     string
		maxBytes uint64
	}{
		{"10 MB line", "open " + strings.Repeat("a ", 5_000_000), 4 << 10},
		{"10 MB quoted label", `open "T" "` + strings.Repeat("x", 10_000_000) + `"`, 4 << 10},
		{"5,000 themes in 10,000 bytes", "open T" + strings.Repeat(" x", 4990), 64 << 10},
		{"5,000 quoted themes", "open T" + strings.Repeat(` "x"`, 2490), 64 << 10},
		{"one 9,990-byte label", `open T "` + strings.Repeat("x", 9985) + `"`, 128 << 10},
		{"10,000 commas", "vote K7QX " + strings.Repeat(",", 9990), 64 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := testing.AllocsPerRun(20, func() { _, _ = bot.Parse(tc.text) })
			if n > 400 {
				t.Errorf("Parse made %.0f allocations, want at most 400", n)
			}
			bytes := allocs(func() { _, _ = bot.Parse(tc.text) })
			if bytes > tc.maxBytes {
				t.Errorf("Parse of %d bytes allocated %d bytes, want at most %d", len(tc.text), bytes, tc.maxBytes)
			}
			start := time.Now()
			for range 100 {
				_, _ = bot.Parse(tc.text)
			}
			if d := time.Since(start) / 100; d > 20*time.Millisecond {
				t.Errorf("Parse took %v", d)
			}
		})
	}
	for _, tc := range []struct {
		name     string
		list     string
		maxBytes uint64
	}{
		{"10 MB list", strings.Repeat("a;", 5_000_000), 4 << 10},
		{"5,000 themes in 10,000 bytes", strings.Repeat("x;", 4999), 64 << 10},
		{"10 MB quoted label", `"` + strings.Repeat("x", 10_000_000) + `"`, 4 << 10},
	} {
		t.Run("themes "+tc.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(20, func() { _, _ = bot.ParseThemes(tc.list) }); n > 400 {
				t.Errorf("ParseThemes made %.0f allocations, want at most 400", n)
			}
			if bytes := allocs(func() { _, _ = bot.ParseThemes(tc.list) }); bytes > tc.maxBytes {
				t.Errorf("ParseThemes of %d bytes allocated %d bytes, want at most %d", len(tc.list), bytes, tc.maxBytes)
			}
		})
	}
}

// TestEngineRefusalBounded: the engine's whole answer to a 10 MB command
// or to an Open of 5,000 huge themes (what a library caller could pass)
// allocates little.
func TestEngineRefusalBounded(t *testing.T) {
	e, _ := badInputEngine(t)
	ctx := context.Background()
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "UFAC", Channel: "C1"}
	text := "open " + strings.Repeat("theme ", 2_000_000)
	bytes := allocs(func() { e.HandleText(ctx, req, text) })
	if bytes > 64<<10 {
		t.Errorf("refusing a %d-byte command allocated %d bytes, want < 64 KiB", len(text), bytes)
	}
	themes := make([]string, 5000)
	for i := range themes {
		themes[i] = strings.Repeat("x", 10_000)
	}
	var r bot.Response
	bytes = allocs(func() { r = e.Handle(ctx, req, bot.Open{Title: "T", Themes: themes}) })
	if !strings.Contains(replyText(r), "5000 themes given; at most 25.") {
		t.Errorf("5,000 themes: %.200q", replyText(r))
	}
	if bytes > 1<<20 {
		t.Errorf("refusing 5,000 themes allocated %d bytes, want < 1 MiB", bytes)
	}
}
