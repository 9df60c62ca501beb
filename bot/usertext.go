package bot

import (
	"strings"
	"unicode/utf8"
)

// User text in engine output.
//
// Replies and views mix the engine's own words with text that people
// wrote: poll titles, theme labels, group labels and preset names from the
// configuration, and what someone typed that an error quotes back. Each
// platform gives some characters meaning (Discord's Markdown and mentions,
// Slack's <links|and> <!channel>), so the people's text must be escaped for
// the platform that shows it, and the engine's own text must not be (the
// engine knows what it writes; escaping it would only clutter it).
//
// The engine therefore marks every piece of people's text it puts into a
// string with UserText, and every adapter renders every string it sends
// with RenderUserText and its platform's escaper, or with PlainText where
// the platform shows text literally (the shell, Slack plain_text objects,
// Discord button labels, select options, autocomplete choices, modal
// titles). The marks are two private-use code points that no title or
// label may contain (polls refuses them, and UserText drops any it is
// given), so user text can neither forge nor close a mark.
const (
	userOpen  = '\uE000'
	userClose = '\uE001'
)

// userMarks are the marks as strings, three bytes each in UTF-8.
const (
	userOpenMark  = string(userOpen)
	userCloseMark = string(userClose)
)

// UserText marks s as text people wrote, to be escaped by whichever adapter
// shows it. Marks already inside s are dropped first, so that wrapping text
// that already holds user text marks all of it as user text. Empty text
// stays empty.
func UserText(s string) string {
	s = PlainText(s)
	if s == "" {
		return ""
	}
	return userOpenMark + s + userCloseMark
}

// RenderUserText replaces each marked span of s by escape(span) and drops
// the marks; text outside the spans is kept as it is. An unclosed span
// runs to the end of s (a string clipped inside a span stays escaped), and
// a close mark outside any span is dropped.
func RenderUserText(s string, escape func(string) string) string {
	if indexMark(s) < 0 {
		return s
	}
	if inner, ok := strings.CutPrefix(s, userOpenMark); ok {
		// The text is one user span, as a theme label or a title is:
		// what the loop below would write, without building it.
		if inner, ok = strings.CutSuffix(inner, userCloseMark); ok && indexMark(inner) < 0 && utf8.ValidString(inner) {
			return escape(inner)
		}
	}
	s = validText(s)
	var b strings.Builder
	b.Grow(len(s))
	for {
		i := indexMark(s)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		if strings.HasPrefix(s[i:], userCloseMark) {
			s = s[i+len(userCloseMark):] // a stray close mark
			continue
		}
		s = s[i+len(userOpenMark):]
		span := s
		if j := indexMark(s); j >= 0 {
			span, s = s[:j], s[j:]
			// A close mark ends the span; an open mark (UserText never
			// makes one inside a span) starts the next.
			s = strings.TrimPrefix(s, userCloseMark)
		} else {
			s = ""
		}
		b.WriteString(escape(span))
	}
}

// PlainText drops the marks of user text without escaping it, for places
// that show text literally.
func PlainText(s string) string { return RenderUserText(s, asIs) }

func asIs(s string) string { return s }

// indexMark is the index in s of the first mark, or -1. Both marks are
// EE 80 80 and EE 80 81 in UTF-8, so one vectorised scan for their first
// byte finds them (strings.IndexAny scans s once per rune it looks for,
// and every string an adapter sends passes here).
func indexMark(s string) int {
	for i := 0; ; i++ {
		j := strings.IndexByte(s[i:], 0xEE)
		if j < 0 {
			return -1
		}
		i += j
		if i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0x80 || s[i+2] == 0x81) {
			return i
		}
	}
}

// validText replaces the bytes of s that are not UTF-8 with U+FFFD before
// marks are dropped: otherwise the bytes on either side of a dropped mark
// could join into a new one.
func validText(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
