package reference

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// The decoders read signed requests, but a signature says who sent a body,
// not that it is well formed: whatever they are given, they must not
// panic, and what they accept must be fit for keys and URLs.
// Seeds: testdata/fuzz/<name>/ (real clicks of both platforms and their
// near misses).

func FuzzDecodeSlackClick(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := decodeSlackClick(body)
		if err != nil {
			return
		}
		if !validID(c.Team) || !validID(c.User) || c.ResponseURL == "" {
			t.Fatalf("accepted %+v from %q", c, body)
		}
		if p, th, ok := parseVoteAction(c.ActionID); ok && (!validID(p) || th < 0 || th >= MaxThemes) {
			t.Fatalf("action %q: poll %q theme %d", c.ActionID, p, th)
		}
	})
}

func FuzzDecodeDiscord(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := decodeDiscord(body)
		if err != nil || in.Type == 1 {
			return
		}
		if !snowflake(in.App) || !validToken(in.Token) || strings.ContainsAny(in.Token+in.App, "/?#%") {
			t.Fatalf("accepted app %q token %q from %q", in.App, in.Token, body)
		}
		if in.Type == 3 && (!validID(in.Guild) || !validID(in.User)) {
			t.Fatalf("accepted a click by %q in %q", in.User, in.Guild)
		}
	})
}

func FuzzParseVoteAction(f *testing.F) {
	f.Fuzz(func(t *testing.T, id string) {
		p, th, ok := parseVoteAction(id)
		if !ok {
			return
		}
		if !validID(p) || th < 0 || th >= MaxThemes || !utf8.ValidString(p) {
			t.Fatalf("parseVoteAction(%q) = %q, %d", id, p, th)
		}
		if back := "pollbot:vote:" + p + ":" + itoa(th+1); back != id {
			t.Fatalf("parseVoteAction(%q) does not round-trip: %q", id, back)
		}
	})
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return string(rune('0'+n/10)) + string(rune('0'+n%10))
}
