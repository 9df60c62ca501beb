package msg

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/feature/plural"
	"golang.org/x/text/language"
)

// Rendering a message through go-i18n executes a text/template, which on
// the vote path cost more than the vote's own store script (a vote's
// confirmation is a few messages; see docs/ARCHITECTURE.md, "The vote
// path"). Nearly every text in the catalog is literal text around
// {{.Param}} substitutions, so those texts are split once at their
// parameters and rendered by concatenation. Anything else (a plural
// message, a text with other template actions, a parameter that is not a
// string or an integer, a message missing from the language's file) goes
// through go-i18n as before. Plural messages are spliced per form, and the
// form is chosen by CLDR's rules as golang.org/x/text/feature/plural
// carries them, for counts written plainly (digits, at most one point);
// TestFastMatchesLibrary holds the two to the
// same output for every message in every catalog file.

// spliced is a catalog text split at its parameters: lits[0], the value
// of params[0], lits[1], ..., lits[len(params)].
type spliced struct {
	lits   []string
	params []int // indexes into the message's declared parameters
}

var paramRef = regexp.MustCompile(`\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// splice splits text at its {{.Name}} references, naming each by its
// index in names; ok is false for a text it cannot render alone.
func splice(text string, names []string) (s *spliced, ok bool) {
	s = &spliced{}
	rest := text
	for {
		loc := paramRef.FindStringSubmatchIndex(rest)
		if loc == nil {
			break
		}
		lit := rest[:loc[0]]
		if strings.Contains(lit, "{{") {
			return nil, false
		}
		name := rest[loc[2]:loc[3]]
		i := indexOf(names, name)
		if i < 0 {
			return nil, false // the template would print "<no value>"
		}
		s.lits = append(s.lits, lit)
		s.params = append(s.params, i)
		rest = rest[loc[1]:]
	}
	if strings.Contains(rest, "{{") {
		return nil, false
	}
	s.lits = append(s.lits, rest)
	return s, true
}

func indexOf(names []string, name string) int {
	for i, n := range names {
		if n == name {
			return i
		}
	}
	return -1
}

// render writes the text with values (the message's parameters, already
// rendered where they were messages); ok is false when a value is of a
// kind text/template might print differently.
func (s *spliced) render(values []any) (string, bool) {
	if len(s.params) == 0 {
		return s.lits[0], true
	}
	var b strings.Builder
	for i, p := range s.params {
		b.WriteString(s.lits[i])
		switch v := values[p].(type) {
		case string:
			b.WriteString(v)
		case int:
			b.WriteString(strconv.Itoa(v))
		case int64:
			b.WriteString(strconv.FormatInt(v, 10))
		default:
			return "", false
		}
	}
	b.WriteString(s.lits[len(s.params)])
	return b.String(), true
}

// fastText is a message's text in one language, spliced: one text, or
// one per plural form.
type fastText struct {
	one    *spliced
	forms  map[plural.Form]*spliced
	tag    language.Tag
	count  int // the index of the Count parameter in a plural message
	plural bool
}

// text returns the spliced text for the message's parameter values.
func (f *fastText) text(values []any) *spliced {
	if !f.plural {
		return f.one
	}
	i, v, w, fr, t, ok := operands(values[f.count])
	if !ok {
		return nil
	}
	return f.forms[plural.Cardinal.MatchPlural(f.tag, i, v, w, fr, t)]
}

// operands are CLDR's plural operands of a count that is an integer or
// a plainly written decimal ("3", "4.50"); ok is false for anything else.
func operands(count any) (i, v, w, f, t int, ok bool) {
	var s string
	switch c := count.(type) {
	case int:
		if c < 0 {
			return 0, 0, 0, 0, 0, false
		}
		return c, 0, 0, 0, 0, true
	case int64:
		if c < 0 || c > 1<<53 {
			return 0, 0, 0, 0, 0, false
		}
		return int(c), 0, 0, 0, 0, true
	case string:
		s = c
	default:
		return 0, 0, 0, 0, 0, false
	}
	intPart, frac, dotted := strings.Cut(s, ".")
	if len(intPart) == 0 || len(intPart) > 15 || len(frac) > 6 || (dotted && len(frac) == 0) || !digits(intPart) || !digits(frac) {
		return 0, 0, 0, 0, 0, false
	}
	i, _ = strconv.Atoi(intPart)
	v = len(frac)
	if v > 0 {
		f, _ = strconv.Atoi(frac)
	}
	trimmed := strings.TrimRight(frac, "0")
	w = len(trimmed)
	if w > 0 {
		t, _ = strconv.Atoi(trimmed)
	}
	return i, v, w, f, t, true
}

func digits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// fastTable holds the spliced texts of one language's catalog file, by
// message id.
type fastTable map[string]*fastText

// fastTables splices every catalog file's texts, by language tag.
func fastTables(files map[language.Tag][]*i18n.Message) map[language.Tag]fastTable {
	out := map[language.Tag]fastTable{}
	for tag, messages := range files {
		t := fastTable{}
		registryMu.Lock()
		for _, m := range messages {
			d := registry[m.ID]
			if d == nil {
				continue
			}
			if c := indexOf(d.params, pluralParam); c >= 0 {
				ft := &fastText{plural: true, count: c, tag: tag, forms: map[plural.Form]*spliced{}}
				ok := true
				for form, text := range map[plural.Form]string{plural.Zero: m.Zero, plural.One: m.One, plural.Two: m.Two, plural.Few: m.Few, plural.Many: m.Many, plural.Other: m.Other} {
					if text == "" {
						continue // a count of this form goes through go-i18n, which says it is missing
					}
					s, sok := splice(text, d.params)
					ok = ok && sok
					ft.forms[form] = s
				}
				if ok {
					t[m.ID] = ft
				}
				continue
			}
			if m.Zero != "" || m.One != "" || m.Two != "" || m.Few != "" || m.Many != "" {
				continue
			}
			if s, ok := splice(m.Other, d.params); ok {
				t[m.ID] = &fastText{one: s}
			}
		}
		registryMu.Unlock()
		out[tag] = t
	}
	return out
}
