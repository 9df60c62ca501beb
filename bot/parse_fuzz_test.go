package bot

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzParse checks the parser's contract on arbitrary text: Parse never
// panics; it fails only with a *UsageError that names a problem; and a
// command it accepts renders (String) to canonical text that Parse reads back
// as a deeply equal command whose String is the same text. The same input
// also exercises ParseDeadline and ParseThemes, the pieces adapters reuse.
//
//	go test -run '^$' -fuzz=FuzzParse -fuzztime=3m ./bot
//
// Seeds are below and in testdata/fuzz/FuzzParse (including crashers the
// fuzzer found, kept as regression cases).
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"help",
		"/poll help groups",
		`open "Theme for 2027" "DNSSEC" "DNS abuse" "BCP38 (DDoS mitigation)" --closes 48h`,
		`open “Theme for 2027” “DNSSEC” ‘don’t stop’ —closes=2026-12-01T15:00+01:00 --anonymous`,
		`open 'T' 'it\'s' "a \"b\" \\ c" --kind ranked --threshold 60% --quorum 3 --max-choices 2 --hide-results`,
		`preset igf --closes="1d 12h"`,
		"list closed",
		"vote k7qx 1,3, 4 \"DNS abuse\",\"x\"",
		"unvote K7QX",
		"group civil society",
		"assign <@U123|alice> technical community",
		"close K7QX", "reopen #K7QX", "cancel K7QX:", "extend K7QX +1.5h", "report K7QX",
		"export K7QX ballots json",
		`open "unterminated`,
		"opne x --colr",
		"open T A --closes 9999-12-31T23:00-05:00",
		"2026-12-01T15:00:00.5+01:00", "1d12h", "1.5 hours", "DNSSEC; DNS abuse\n“BCP38”",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkDeadline(t, s)
		checkThemes(t, s)
		cmd, err := Parse(s)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q): %T %v, want a *UsageError", s, err, err)
			}
			if ue.Problem.IsZero() {
				t.Fatalf("Parse(%q): a UsageError with no problem", s)
			}
			return
		}
		if cmd == nil {
			t.Fatalf("Parse(%q) = nil, nil", s)
		}
		canon := cmd.String()
		if !strings.HasPrefix(canon, cmd.Name()) {
			t.Fatalf("Parse(%q).String() = %q does not start with %q", s, canon, cmd.Name())
		}
		toks, terr := tokenize(canon)
		if terr != nil {
			t.Fatalf("Parse(%q).String() = %q does not tokenize: %v", s, canon, terr)
		}
		if len(toks) != canonicalWords(cmd) {
			t.Fatalf("%q has %d words, canonicalWords says %d", canon, len(toks), canonicalWords(cmd))
		}
		again, err := Parse(canon)
		if err != nil {
			t.Fatalf("Parse(%q) = %#v\nbut its String %q does not parse: %v", s, cmd, canon, err)
		}
		if !reflect.DeepEqual(again, cmd) {
			t.Fatalf("Parse(%q) = %#v\nParse(%q) = %#v", s, cmd, canon, again)
		}
		if canon2 := again.String(); canon2 != canon {
			t.Fatalf("String not stable for Parse(%q): %q then %q", s, canon, canon2)
		}
	})
}

// checkDeadline: a deadline ParseDeadline accepts is positive and bounded,
// or a UTC time, and its String reads back as the same deadline.
func checkDeadline(t *testing.T, s string) {
	d, err := ParseDeadline(s)
	if err != nil {
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Problem.IsZero() {
			t.Fatalf("ParseDeadline(%q): %v, want a *UsageError with a problem", s, err)
		}
		return
	}
	switch {
	case d.IsZero(), d.In != 0 && !d.At.IsZero():
		t.Fatalf("ParseDeadline(%q) = %#v: want exactly one of In and At", s, d)
	case d.In < 0, d.In > maxDuration, d.In%time.Second != 0:
		t.Fatalf("ParseDeadline(%q) = %v: out of range", s, d.In)
	case !d.At.IsZero() && d.At.Location() != time.UTC:
		t.Fatalf("ParseDeadline(%q) = %v: not UTC", s, d.At)
	}
	again, err := ParseDeadline(d.String())
	if err != nil || !reflect.DeepEqual(again, d) {
		t.Fatalf("ParseDeadline(%q) = %#v, but ParseDeadline(%q) = %#v, %v", s, d, d.String(), again, err)
	}
}

// checkThemes: labels are non-empty and single-spaced, and quoting them
// gives back the same list.
func checkThemes(t *testing.T, s string) {
	labels, err := ParseThemes(s)
	if err != nil {
		var ue *UsageError
		if !errors.As(err, &ue) || ue.Problem.IsZero() {
			t.Fatalf("ParseThemes(%q): %v, want a *UsageError with a problem", s, err)
		}
		return
	}
	quoted := make([]string, len(labels))
	for i, l := range labels {
		if l == "" || l != foldSpace(l) {
			t.Fatalf("ParseThemes(%q): label %q is not trimmed and folded", s, l)
		}
		quoted[i] = quote(l)
	}
	joined := strings.Join(quoted, " ")
	if len(joined) > maxTextBytes {
		// Quoting added bytes past the length limit, which refuses it
		// before reading: there is nothing to compare.
		return
	}
	again, err := ParseThemes(joined)
	if err != nil || !reflect.DeepEqual(again, labels) {
		t.Fatalf("ParseThemes(%q) = %q, but quoted back: %q, %v", s, labels, again, err)
	}
}
