// Package msgtest helps tests prove that every sentence a user reads comes
// from the message catalog (bot/msg). A test renders output with
// msg.Pseudo(), which brackets the catalog's own text in ⟦ ⟧, keeps the
// marks of user text (bot.UserText), and asks Unwrapped what is left: text
// that neither the catalog nor people wrote. Leftovers lists the words of
// it, which should be ids and numbers only.
package msgtest

import (
	"strings"
	"unicode"
)

// The marks bot.UserText puts around text people wrote (private-use code
// points; bot's tests check that these are the same).
const (
	UserOpen  = "\uE000"
	UserClose = "\uE001"
)

// Unwrapped replaces every ⟦…⟧ span of s (the catalog's text, as
// msg.Pseudo renders it) and every span of user text, marks included, by a
// space, so that what was on either side stays apart. An unclosed span
// runs to the end of s.
func Unwrapped(s string) string {
	s = cut(s, "⟦", "⟧")
	return cut(s, UserOpen, UserClose)
}

func cut(s, open, close string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, open)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		b.WriteByte(' ')
		s = s[i+len(open):]
		j := strings.Index(s, close)
		if j < 0 {
			return b.String()
		}
		s = s[j+len(close):]
	}
}

// Leftovers returns the words of s (its space-separated runs, without the
// punctuation around them) that hold a letter and that allowed does not
// accept: in Unwrapped output, English no catalog message says. allowed
// may be nil.
func Leftovers(s string, allowed func(word string) bool) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, unicode.IsSpace) {
		w := strings.TrimFunc(f, func(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) })
		if strings.IndexFunc(w, unicode.IsLetter) < 0 {
			continue
		}
		if allowed == nil || !allowed(w) {
			out = append(out, w)
		}
	}
	return out
}
