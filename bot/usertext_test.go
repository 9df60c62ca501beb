package bot

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot/msg"
)

// brackets is an escaper that shows where spans were.
func brackets(s string) string { return "[" + s + "]" }

func TestRenderUserText(t *testing.T) {
	for _, tc := range []struct {
		in, rendered, plain string
	}{
		{"no user text", "no user text", "no user text"},
		{"Vote for " + UserText("*A*") + " or " + UserText("B") + ".", "Vote for [*A*] or [B].", "Vote for *A* or B."},
		{UserText("whole"), "[whole]", "whole"},
		{"cut " + UserText("in the mid")[:len("\uE000in the")], "cut [in the]", "cut in the"},
		{"stray \uE001close", "stray close", "stray close"},
		{"\uE000a\uE000b\uE001c", "[a][b]c", "abc"},
		{"\uE000\uE001empty", "[]empty", "empty"},
		{"", "", ""},
	} {
		if got := RenderUserText(tc.in, brackets); got != tc.rendered {
			t.Errorf("RenderUserText(%q) = %q, want %q", tc.in, got, tc.rendered)
		}
		if got := PlainText(tc.in); got != tc.plain {
			t.Errorf("PlainText(%q) = %q, want %q", tc.in, got, tc.plain)
		}
	}
}

func TestUserText(t *testing.T) {
	if got := UserText(""); got != "" {
		t.Errorf("UserText(\"\") = %q, want empty", got)
	}
	// Marks inside the text cannot end the span early: they are dropped,
	// so all of it is escaped.
	forged := "x\uE001[click](https://evil.example)\uE000y"
	if got := RenderUserText("a "+UserText(forged)+" b", brackets); got != "a [x[click](https://evil.example)y] b" {
		t.Errorf("forged marks: %q", got)
	}
	// Wrapping text that holds user text marks all of it.
	if got := RenderUserText(UserText("x "+UserText("y")+" z"), brackets); got != "[x y z]" {
		t.Errorf("nested: %q", got)
	}
}

// TestHelpQuotesUserText: the help for a topic that does not exist quotes
// the topic as user text.
func TestHelpQuotesUserText(t *testing.T) {
	got := RenderUserText(HelpText(msg.English(), "[x](https://evil.example)"), brackets)
	if !strings.HasPrefix(got, `There is no help on ["[x](https://evil.example)"].`) {
		t.Errorf("HelpText = %q", got)
	}
}

// FuzzUserText checks the marks' contract on any text: PlainText and
// RenderUserText never let a mark through; rendering with an escaper that
// changes nothing is PlainText; and user text wrapped by UserText is
// exactly what the escaper sees, whatever surrounds it and whatever it
// holds.
func FuzzUserText(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""},
		{"Your ballot in poll K7QX: ", "[click me](https://evil.example)"},
		{"\uE000", "\uE001"},
		{"a\uE001b\uE000c", "<@123> \uE000 @everyone"},
		{"\xff\uE000", "\uE001\xfe"},
		{"\xe0\uE000\xee\x80", "\xee\xee\x80\x81\xf0\x9f\xee\x80\x80"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, engine, user string) {
		marks := string(userOpen) + string(userClose)
		s := engine + UserText(user) + engine
		for _, x := range []string{engine, user, s} {
			if got, want := indexMark(x), strings.IndexAny(x, marks); got != want {
				t.Fatalf("indexMark(%q) = %d, strings.IndexAny finds %d", x, got, want)
			}
		}
		for _, out := range []string{PlainText(s), RenderUserText(s, brackets), RenderUserText(engine, brackets)} {
			if strings.ContainsAny(out, marks) {
				t.Fatalf("a mark got through: %q", out)
			}
		}
		if got, want := RenderUserText(s, func(x string) string { return x }), PlainText(s); got != want {
			t.Fatalf("identity render %q != PlainText %q", got, want)
		}
		// The escaper sees the user text whole, once.
		var seen []string
		RenderUserText(PlainText(engine)+UserText(user)+PlainText(engine), func(x string) string {
			seen = append(seen, x)
			return x
		})
		if want := strings.ToValidUTF8(PlainText(user), "\uFFFD"); want != "" && (len(seen) != 1 || seen[0] != want) {
			t.Fatalf("escaper saw %q, want [%q]", seen, want)
		}
		drop := strings.NewReplacer(userOpenMark, "", userCloseMark, "")
		for _, x := range []string{engine, user, s} {
			want := x // text without marks is returned as it is
			if strings.ContainsAny(x, userOpenMark+userCloseMark) {
				want = drop.Replace(strings.ToValidUTF8(x, "\uFFFD"))
			}
			if got := PlainText(x); got != want {
				t.Fatalf("PlainText(%q) = %q, dropping the marks gives %q", x, got, want)
			}
		}
		if utf8.ValidString(user) && !utf8.ValidString(PlainText(user)) {
			t.Fatalf("PlainText broke valid UTF-8: %q", user)
		}
	})
}
