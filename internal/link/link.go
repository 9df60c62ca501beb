// Package link makes and checks the signed tokens of read-only links to a
// poll's live screen (/screen/<token>). A token names the poll's tenant and
// id, when it was made and how long it stays valid once the poll has
// closed, and carries an HMAC-SHA256 of all that under the deployment's
// link key (POLLBOT_LINK_KEY), so that no one without the key can make one
// or change one. It is not secret from whoever holds it: it says which
// poll it shows, as the page does.
//
// The form is b32(payload) "." b32(mac), b32 being base 32 in lower-case
// letters and the digits 2 to 7 without padding (so that no chat
// platform's markup, which gives "_", "*" or "~" a meaning, can change a
// link a bot posts), the payload being
//
//	version (1 byte, 1) | tenant (uvarint length, bytes) | poll id (same)
//	| made at (varint, unix seconds) | valid after close (uvarint, seconds)
//
// and the MAC HMAC-SHA256(key, "pollbot screen link\x00" | payload). A
// token is some 100 characters.
package link

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// MinKey is the shortest link key accepted, in bytes.
const MinKey = 32

// DefaultTTL is how long a link stays valid after its poll closes.
const DefaultTTL = 7 * 24 * time.Hour

// MaxToken bounds the length of a token Verify reads: the longest tenant
// and poll id make tokens well under it.
const MaxToken = 512

// ErrInvalid is every reason a token is refused: forged, altered,
// truncated, or not a token at all. Callers tell the holder nothing more.
var ErrInvalid = errors.New("invalid link")

// ErrKey is returned by NewSigner for a key that is too short.
var ErrKey = fmt.Errorf("a link key needs at least %d bytes", MinKey)

const (
	version = 1
	domain  = "pollbot screen link\x00"
	// maxField bounds a tenant or poll id in a token.
	maxField = 200
)

// Signer makes and checks tokens under one key. It is safe for concurrent
// use.
type Signer struct {
	key []byte
}

// NewSigner returns a signer with key (at least MinKey bytes).
func NewSigner(key []byte) (*Signer, error) {
	if len(key) < MinKey {
		return nil, ErrKey
	}
	return &Signer{key: bytes.Clone(key)}, nil
}

// Claims are what a token says.
type Claims struct {
	Key polls.Key
	// Made is when the token was made (to the second).
	Made time.Time
	// AfterClose is how long the link stays valid once its poll has
	// closed or been cancelled.
	AfterClose time.Duration
}

// Expired reports whether the link no longer shows p at now: p is
// another poll than the token's, or closed (or cancelled) more than
// AfterClose ago.
func (c Claims) Expired(p *polls.Poll, now time.Time) bool {
	if p == nil || p.Key() != c.Key {
		return true
	}
	if p.Status == polls.StatusOpen {
		return false
	}
	closed := p.ClosedAt
	if closed.IsZero() {
		// A cancelled poll that never closed: count from when it was
		// opened, the latest time known to be before the cancellation.
		closed = p.OpenedAt
	}
	return now.After(closed.Add(c.AfterClose))
}

// Sign returns the token of c. Tenants and ids longer than 200 bytes are
// refused.
func (s *Signer) Sign(c Claims) (string, error) {
	if c.Key.Tenant == "" || c.Key.ID == "" || len(c.Key.Tenant) > maxField || len(c.Key.ID) > maxField {
		return "", fmt.Errorf("link for poll %q of tenant %q: tenant and id need 1 to %d bytes", c.Key.ID, c.Key.Tenant, maxField)
	}
	if c.AfterClose < 0 {
		return "", fmt.Errorf("link valid for %v after close: not a duration", c.AfterClose)
	}
	p := []byte{version}
	p = binary.AppendUvarint(p, uint64(len(c.Key.Tenant)))
	p = append(p, c.Key.Tenant...)
	p = binary.AppendUvarint(p, uint64(len(c.Key.ID)))
	p = append(p, c.Key.ID...)
	p = binary.AppendVarint(p, c.Made.Unix())
	p = binary.AppendUvarint(p, uint64(c.AfterClose/time.Second))
	return b32.EncodeToString(p) + "." + b32.EncodeToString(s.mac(p)), nil
}

// b32 is the tokens' encoding: base 32, lower case, no padding.
var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// decode32 reads s, refusing any spelling but the one EncodeToString
// writes (the decoder ignores the unused bits of the last character).
func decode32(s string) ([]byte, bool) {
	b, err := b32.DecodeString(s)
	return b, err == nil && b32.EncodeToString(b) == s
}

func (s *Signer) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(domain))
	m.Write(payload)
	return m.Sum(nil)
}

// Verify checks a token's MAC and returns what it says, or ErrInvalid. It
// reads at most MaxToken bytes and allocates in proportion to them.
func (s *Signer) Verify(token string) (Claims, error) {
	if len(token) > MaxToken {
		return Claims{}, ErrInvalid
	}
	// Decoders skip line breaks; a token has one spelling.
	for i := 0; i < len(token); i++ {
		if c := token[i]; !(c >= 'a' && c <= 'z' || c >= '2' && c <= '7' || c == '.') {
			return Claims{}, ErrInvalid
		}
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return Claims{}, ErrInvalid
	}
	payload, ok := decode32(body)
	if !ok {
		return Claims{}, ErrInvalid
	}
	mac, ok := decode32(sig)
	if !ok || !hmac.Equal(mac, s.mac(payload)) {
		return Claims{}, ErrInvalid
	}
	return decode(payload)
}

// decode reads a payload whose MAC has been checked; a payload that does
// not parse whole (made by another version, say) is refused all the same.
func decode(p []byte) (Claims, error) {
	if len(p) == 0 || p[0] != version {
		return Claims{}, ErrInvalid
	}
	p = p[1:]
	// Every number is in its shortest form, as Sign writes it: a payload
	// has one spelling.
	uvarint := func() (uint64, bool) {
		n, k := binary.Uvarint(p)
		if k <= 0 || k != len(binary.AppendUvarint(nil, n)) {
			return 0, false
		}
		p = p[k:]
		return n, true
	}
	field := func() (string, bool) {
		n, ok := uvarint()
		if !ok || n == 0 || n > maxField || n > uint64(len(p)) {
			return "", false
		}
		s := string(p[:n])
		p = p[n:]
		return s, true
	}
	var c Claims
	var ok bool
	if c.Key.Tenant, ok = field(); !ok {
		return Claims{}, ErrInvalid
	}
	if c.Key.ID, ok = field(); !ok {
		return Claims{}, ErrInvalid
	}
	made, k := binary.Varint(p)
	if k <= 0 || k != len(binary.AppendVarint(nil, made)) {
		return Claims{}, ErrInvalid
	}
	p = p[k:]
	ttl, ok := uvarint()
	if !ok || len(p) != 0 || ttl > uint64(maxTTL/time.Second) {
		return Claims{}, ErrInvalid
	}
	c.Made = time.Unix(made, 0).UTC()
	c.AfterClose = time.Duration(ttl) * time.Second
	return c, nil
}

// maxTTL bounds how long after its poll's close a token may stay valid.
const maxTTL = 10 * 366 * 24 * time.Hour

// Maker makes the links /poll screen and `pollbot screen` hand out.
type Maker struct {
	// Base is the public URL pollbot serve is reached at
	// (POLLBOT_PUBLIC_URL), without the trailing slash.
	Base   string
	Signer *Signer
	// TTL is how long a link stays valid after its poll closes
	// (DefaultTTL when zero).
	TTL time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// ScreenURL returns the link to p's live screen.
func (m *Maker) ScreenURL(p *polls.Poll) (string, error) {
	ttl := m.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	tok, err := m.Signer.Sign(Claims{Key: p.Key(), Made: now(), AfterClose: ttl})
	if err != nil {
		return "", err
	}
	return strings.TrimRight(m.Base, "/") + "/screen/" + tok, nil
}

// ExpiresAt is when a link made now to p stops working, as far as it can
// be known: zero while p is open without a deadline.
func (m *Maker) ExpiresAt(p *polls.Poll) time.Time {
	ttl := m.TTL
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	switch {
	case p.Status != polls.StatusOpen && !p.ClosedAt.IsZero():
		return p.ClosedAt.Add(ttl)
	case p.Status == polls.StatusOpen && !p.ClosesAt.IsZero():
		return p.ClosesAt.Add(ttl)
	}
	return time.Time{}
}
