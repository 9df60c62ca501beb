package link

import (
	"bytes"
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

func signer(t testing.TB, key []byte) *Signer {
	t.Helper()
	s, err := NewSigner(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSignVerify(t *testing.T) {
	s := signer(t, testKey)
	c := Claims{Key: polls.Key{Tenant: "slack:T0123ABCD", ID: "K7QX"}, Made: time.Unix(1_780_000_000, 0).UTC(), AfterClose: DefaultTTL}
	tok, err := s.Sign(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) > 120 || strings.Trim(tok, "abcdefghijklmnopqrstuvwxyz234567.") != "" {
		t.Errorf("token %q: %d characters, or some that are not lower-case letters, 2 to 7 or the dot", tok, len(tok))
	}
	got, err := s.Verify(tok)
	if err != nil || got != c {
		t.Fatalf("Verify = %+v, %v; want %+v", got, err, c)
	}
	if _, err := NewSigner(testKey[:31]); !errors.Is(err, ErrKey) {
		t.Errorf("31-byte key: %v", err)
	}
	if _, err := s.Sign(Claims{Key: polls.Key{Tenant: "x"}}); err == nil {
		t.Error("signed a link without a poll id")
	}
}

// TestTamper: a token changed anywhere, cut short, lengthened, or signed
// with another key is refused, with the one error that says nothing.
func TestTamper(t *testing.T) {
	s := signer(t, testKey)
	tok, _ := s.Sign(Claims{Key: polls.Key{Tenant: "discord:42", ID: "ABCD"}, Made: time.Now(), AfterClose: time.Hour})
	refuse := func(what, bad string) {
		t.Helper()
		if c, err := s.Verify(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: Verify = %+v, %v; want ErrInvalid", what, c, err)
		}
	}
	for i := range len(tok) {
		for _, r := range []byte{'a', 'q', '7', 'A', '_', '.'} {
			if tok[i] == r {
				continue
			}
			b := []byte(tok)
			b[i] = r
			if s.decodesSame(string(b), tok) {
				continue // base64's unused trailing bits: the same bytes
			}
			refuse("byte "+string(rune('0'+i%10))+" changed", string(b))
		}
	}
	for i := 1; i < len(tok); i++ {
		refuse("cut", tok[:i])
	}
	refuse("longer", tok+"A")
	refuse("empty", "")
	refuse("huge", strings.Repeat("A", MaxToken+1))
	other := signer(t, bytes.Repeat([]byte{7}, 32))
	if _, err := other.Verify(tok); !errors.Is(err, ErrInvalid) {
		t.Errorf("another key accepted the token: %v", err)
	}
}

// decodesSame reports whether two tokens carry the same bytes.
func (s *Signer) decodesSame(a, b string) bool {
	ca, err1 := s.Verify(a)
	cb, err2 := s.Verify(b)
	return err1 == nil && err2 == nil && ca == cb
}

func TestExpired(t *testing.T) {
	k := polls.Key{Tenant: "local", ID: "K7QX"}
	c := Claims{Key: k, AfterClose: 7 * 24 * time.Hour}
	closed := time.Date(2026, 5, 12, 16, 0, 0, 0, time.UTC)
	p := &polls.Poll{ID: k.ID, Tenant: k.Tenant, Status: polls.StatusOpen, OpenedAt: closed.Add(-time.Hour)}
	for _, tc := range []struct {
		status polls.Status
		now    time.Time
		id     string
		want   bool
	}{
		{polls.StatusOpen, closed.Add(1000 * time.Hour), "K7QX", false},
		{polls.StatusClosed, closed.Add(7*24*time.Hour - time.Second), "K7QX", false},
		{polls.StatusClosed, closed.Add(7*24*time.Hour + time.Second), "K7QX", true},
		{polls.StatusCancelled, closed.Add(8 * 24 * time.Hour), "K7QX", true},
		{polls.StatusOpen, closed, "OTHR", true},
	} {
		q := *p
		q.Status, q.ID = tc.status, tc.id
		if tc.status != polls.StatusOpen {
			q.ClosedAt = closed
		}
		if got := c.Expired(&q, tc.now); got != tc.want {
			t.Errorf("%s poll %s at %v: expired %v, want %v", tc.status, tc.id, tc.now, got, tc.want)
		}
	}
	if !c.Expired(nil, closed) {
		t.Error("a missing poll is not expired")
	}
}

func TestMaker(t *testing.T) {
	now := time.Date(2026, 5, 12, 14, 0, 0, 0, time.UTC)
	m := &Maker{Base: "https://pollbot.example.org/", Signer: signer(t, testKey), Now: func() time.Time { return now }}
	p := &polls.Poll{ID: "K7QX", Tenant: "slack:T1", Status: polls.StatusOpen, ClosesAt: now.Add(48 * time.Hour)}
	u, err := m.ScreenURL(p)
	if err != nil || !strings.HasPrefix(u, "https://pollbot.example.org/screen/") {
		t.Fatalf("ScreenURL = %q, %v", u, err)
	}
	c, err := m.Signer.Verify(strings.TrimPrefix(u, "https://pollbot.example.org/screen/"))
	if err != nil || c.Key != p.Key() || !c.Made.Equal(now) || c.AfterClose != DefaultTTL {
		t.Errorf("link claims %+v, %v", c, err)
	}
	if got := m.ExpiresAt(p); !got.Equal(now.Add(48*time.Hour + DefaultTTL)) {
		t.Errorf("ExpiresAt = %v", got)
	}
}

// FuzzVerify: no input makes Verify panic or accept what the key did not
// sign; what it accepts signs again to the same token.
func FuzzVerify(f *testing.F) {
	s := signer(f, testKey)
	tok, _ := s.Sign(Claims{Key: polls.Key{Tenant: "slack:T1", ID: "K7QX"}, Made: time.Unix(1_780_000_000, 0), AfterClose: DefaultTTL})
	f.Add(tok)
	f.Add("")
	f.Add(".")
	f.Add("ae.aaaa")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := s.Verify(token)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Verify(%q): %v, not ErrInvalid", token, err)
			}
			return
		}
		again, err := s.Sign(c)
		if err != nil || again != token {
			t.Fatalf("Verify(%q) = %+v, which signs to %q, %v", token, c, again, err)
		}
	})
}

// FuzzDecode: the payload reader, under the MAC, takes any bytes without
// panicking, and what it reads writes back to the same bytes.
func FuzzDecode(f *testing.F) {
	f.Add([]byte{1, 5, 'l', 'o', 'c', 'a', 'l', 4, 'K', '7', 'Q', 'X', 0, 0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add([]byte{2})
	f.Fuzz(func(t *testing.T, p []byte) {
		c, err := decode(p)
		if err != nil {
			return
		}
		s := signer(t, testKey)
		tok, err := s.Sign(c)
		if err != nil {
			t.Fatalf("decode(%x) = %+v, which does not sign: %v", p, c, err)
		}
		body, _, _ := strings.Cut(tok, ".")
		if body != encodeRaw(p) {
			t.Fatalf("decode(%x) = %+v, which writes %s", p, c, body)
		}
	})
}

func encodeRaw(p []byte) string {
	return base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding).EncodeToString(p)
}
