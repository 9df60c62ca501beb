package discord

import (
	"strings"
	"testing"

	"github.com/pollbot/pollbot/bot"
	catalog "github.com/pollbot/pollbot/bot/msg"
)

// TestMarkdownMemo: texts rendered through mdKept, and the participation
// field's name worded through ballotsNames, read as rendered afresh, from
// the memo too; texts too long to keep are rendered all the same; the
// memo stays bounded.
func TestMarkdownMemo(t *testing.T) {
	texts := []string{
		"", "plain", "*bold* _it_ `code` ~x~ |sp| [a](b) <@1> \\",
		"Your ballot in poll VW01: \ue000DNSSEC *x*\ue001. Counted for \ue000Academia\ue001.",
		strings.Repeat("a*", mdKeptLen),
	}
	for _, s := range texts {
		for range 2 {
			if got, want := mdMemo(s), md(s); got != want {
				t.Fatalf("mdMemo(%.40q) = %.60q, md gives %.60q", s, got, want)
			}
		}
	}
	if _, kept := mdKept.Get(texts[len(texts)-1]); kept {
		t.Error("a text longer than mdKeptLen was kept")
	}
	for _, lang := range []string{"en", "fr"} {
		p := catalog.For(lang)
		for n := range int64(4) {
			for range 2 {
				want := bot.Clip(md(p.Sprint(catalog.DiscordBallots.With(n))), maxFieldName)
				if got := ballotsName(p, n); got != want {
					t.Fatalf("%s: ballotsName(%d) = %q, want %q", lang, n, got, want)
				}
			}
		}
	}
	for i := range mdKeptMax + 10 {
		mdMemo(strings.Repeat("x", i%300) + string(rune('a'+i%26)) + strings.Repeat("y", i/300))
	}
	if n := mdKept.Len(); n > mdKeptMax {
		t.Errorf("mdKept holds %d texts, bound %d", n, mdKeptMax)
	}
}
