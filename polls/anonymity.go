package polls

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// MinPseudonymKey is the fewest bytes a pseudonym key may have: an HMAC
// key shorter than its hash's 32 bytes weakens it, and a short secret can
// be guessed, after which every anonymous ballot names its voter.
const MinPseudonymKey = 32

// CheckPseudonymKey refuses a key too short to keep voters anonymous.
func CheckPseudonymKey(key []byte) error {
	if len(key) < MinPseudonymKey {
		return fmt.Errorf("the pseudonym key has %d bytes; it needs at least %d (e.g. 48 random bytes, base64-encoded)", len(key), MinPseudonymKey)
	}
	return nil
}

// Pseudonym returns the voter key of user in the anonymous poll tenant/poll:
// HMAC-SHA256(key, tenant|poll|user), truncated to 96 bits, hex. It is per
// poll, so that one person's ballots in two polls cannot be joined, and
// nothing that stores keep reverses it without the key.
func Pseudonym(key []byte, tenant, poll, user string) string {
	return "anon-" + mac(key, tenant+"|"+poll+"|"+user, 12)
}

// KeyFingerprint identifies a pseudonym key without revealing it, so that
// a poll can record which key its voters are hashed under.
func KeyFingerprint(key []byte) string {
	return mac(key, "pollbot pseudonym key fingerprint", 8)
}

func mac(key []byte, msg string, n int) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil)[:n])
}

// keyring is the service's pseudonym key, and what it derives from it.
type keyring struct {
	key []byte
	fp  string
}

func newKeyring(key []byte) keyring {
	if len(key) == 0 {
		return keyring{}
	}
	return keyring{key: key, fp: KeyFingerprint(key)}
}

func (k keyring) ok() bool { return len(k.key) > 0 }

// hash names something that may hold a user id (a delivery, a limit's
// key) for a store: keyed when there is a key, so that it cannot be
// reversed by trying every user id; else a plain hash, which still keeps
// the raw id out of key names and logs.
func (k keyring) hash(s string) string {
	if k.ok() {
		return mac(k.key, s, 16)
	}
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:16])
}

// delivery is the stored form of a request's delivery key.
func (k keyring) delivery(d string) string {
	if d == "" {
		return ""
	}
	return k.hash("delivery|" + d)
}

// holder is the key votes held for a group pick are kept under: a keyed
// hash of its own kind, so that it matches no voter key of any anonymous
// poll, and never a raw user id when there is a key.
func (k keyring) holder(tenant, user string) string {
	if k.ok() {
		return "h-" + mac(k.key, "held|"+tenant+"|"+user, 12)
	}
	return "u-" + user
}

// CheckKey refuses to act on an anonymous poll under anything but the key
// it was opened under: a process without a key, or with another one,
// would hash voters to keys that match none of their ballots (and with no
// key at all, to keys anyone can recompute). Anonymous polls opened before
// pseudonyms were per poll (no fingerprint) are refused too: their voter
// keys are shared across polls, and re-keying them would need the user
// ids they hide. Other polls always pass.
func (s *Service) CheckKey(p *Poll) error {
	switch {
	case !p.Anonymous:
		return nil
	case p.KeyFP == "":
		return fail(ErrLegacyAnonymous, CodeLegacyAnonymous, Params{"Poll": p.ID})
	case !s.keys.ok():
		return fail(ErrNoPseudonymKey, CodePollNeedsKey, Params{"Poll": p.ID})
	case !hmac.Equal([]byte(p.KeyFP), []byte(s.keys.fp)):
		return fail(ErrPseudonymKey, CodePollOtherKey, Params{"Poll": p.ID})
	}
	return nil
}

// voterKey is whom a ballot of user in p belongs to. p passed CheckKey.
func (s *Service) voterKey(p *Poll, user string) string {
	if p.Anonymous {
		return Pseudonym(s.keys.key, p.Tenant, p.ID, user)
	}
	return user
}
