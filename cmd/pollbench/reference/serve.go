package reference

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// verifySlack checks Slack's v0 signature of body and that its timestamp
// is within the window.
func (s *Server) verifySlack(h http.Header, body []byte) bool {
	ts := h.Get("X-Slack-Request-Timestamp")
	sig, ok := strings.CutPrefix(h.Get("X-Slack-Signature"), "v0=")
	if !ok || len(sig) != 2*sha256.Size || !s.fresh(ts) {
		return false
	}
	var got [sha256.Size]byte
	if _, err := hex.Decode(got[:], []byte(sig)); err != nil {
		return false
	}
	mac := s.mac()
	mac.Reset()
	mac.Write([]byte("v0:"))
	mac.Write([]byte(ts))
	mac.Write([]byte{':'})
	mac.Write(body)
	var sum [sha256.Size]byte
	ok = hmac.Equal(mac.Sum(sum[:0]), got[:])
	s.macs.Put(mac)
	return ok
}

func (s *Server) mac() hash.Hash {
	if m, ok := s.macs.Get().(hash.Hash); ok {
		return m
	}
	return hmac.New(sha256.New, []byte(s.cfg.SlackSigningSecret))
}

// verifyDiscord checks Discord's Ed25519 signature of timestamp+body and
// that the timestamp is within the window.
func (s *Server) verifyDiscord(h http.Header, body []byte) bool {
	ts := h.Get("X-Signature-Timestamp")
	sig := h.Get("X-Signature-Ed25519")
	if len(sig) != 2*ed25519.SignatureSize || !s.fresh(ts) {
		return false
	}
	var raw [ed25519.SignatureSize]byte
	if _, err := hex.Decode(raw[:], []byte(sig)); err != nil {
		return false
	}
	msg := s.buf()
	*msg = append(append((*msg)[:0], ts...), body...)
	ok := ed25519.Verify(s.cfg.DiscordPublicKey, *msg, raw[:])
	s.putBuf(msg)
	return ok
}

// fresh is a Unix timestamp in seconds within the window of the clock.
func (s *Server) fresh(ts string) bool {
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	d := s.now().Sub(time.Unix(sec, 0))
	return d <= window && d >= -window
}

// serveSlack is POST /slack/interactions: a vote click, answered with an
// empty 200 and confirmed through the click's response_url.
func (s *Server) serveSlack(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if !s.verifySlack(r.Header, body) {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
		return
	}
	c, err := decodeSlackClick(body)
	if err != nil {
		http.Error(w, "malformed interaction: the reference serves block_actions clicks", http.StatusBadRequest)
		return
	}
	if !strings.HasPrefix(c.ResponseURL, s.cfg.ResponseURLPrefix) {
		http.Error(w, "response_url outside the one the reference confirms to", http.StatusBadRequest)
		return
	}
	poll, theme, ok := parseVoteAction(c.ActionID)
	if !ok {
		// A control pollbot did not make: acknowledged, not acted on, as
		// pollbot does.
		w.WriteHeader(http.StatusOK)
		return
	}
	text := s.buf()
	defer s.putBuf(text)
	p, err := s.loadPoll(r.Context(), "slack:"+c.Team, poll)
	if err == nil {
		*text, _, err = s.voteText((*text)[:0], r, p, c.User, theme, nil)
	}
	switch {
	case errors.Is(err, errNoPoll):
		*text = fmt.Appendf((*text)[:0], "There is no poll %s here.", poll)
	case err != nil:
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header()["Content-Length"] = []string{"0"}
	w.WriteHeader(http.StatusOK)
	flush(w)
	msg := s.buf()
	*msg = appendSlackConfirmation((*msg)[:0], *text)
	s.confirm(c.ResponseURL, msg)
}

// voteText runs a vote and appends, JSON-escaped, the sentence that
// confirms it or says why it was refused (voted false); with rendered, the
// vote's counts are returned through it. Errors are the store's.
func (s *Server) voteText(dst []byte, r *http.Request, p *poll, user string, theme int, rendered *result) (text []byte, voted bool, err error) {
	if theme >= len(p.themes) {
		return fmt.Appendf(dst, "Poll %s has no theme %d.", p.id, theme+1), false, nil
	}
	res, err := s.vote(r.Context(), p, user, theme, rendered != nil)
	switch {
	case errors.Is(err, errNoGroup):
		return fmt.Appendf(dst, "Pick your stakeholder group before you vote in poll %s.", p.id), false, nil
	case err != nil:
		return dst, false, err
	}
	if rendered != nil {
		*rendered = res
	}
	return p.appendBallotText(dst, &res), true, nil
}

// serveDiscord is POST /discord/interactions: PING, or a vote click
// answered with the updated poll message (type 7) and confirmed with an
// ephemeral follow-up.
func (s *Server) serveDiscord(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	if !s.verifyDiscord(r.Header, body) {
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	in, err := decodeDiscord(body)
	if err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	out := s.buf()
	defer s.putBuf(out)
	switch in.Type {
	case 1:
		writeJSON(w, append((*out)[:0], `{"type":1}`...))
		return
	case 3:
	default:
		writeJSON(w, ephemeral((*out)[:0], "The reference server answers vote clicks only."))
		return
	}
	poll, theme, ok := parseVoteAction(in.CustomID)
	if !ok {
		writeJSON(w, ephemeral((*out)[:0], "The reference server answers vote clicks only."))
		return
	}
	p, err := s.loadPoll(r.Context(), "discord:"+in.Guild, poll)
	switch {
	case errors.Is(err, errNoPoll):
		writeJSON(w, ephemeral((*out)[:0], "There is no poll "+poll+" here."))
		return
	case err != nil:
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	var res result
	text := s.buf()
	defer s.putBuf(text)
	var voted bool
	if *text, voted, err = s.voteText((*text)[:0], r, p, in.User, theme, &res); err != nil {
		http.Error(w, "store unavailable", http.StatusServiceUnavailable)
		return
	}
	if !voted {
		// Refused (no group, no such theme): the reason, privately.
		writeJSON(w, append(append(append((*out)[:0], `{"type":4,"data":{"content":"`...), *text...), `","flags":64,"allowed_mentions":{"parse":[]}}}`...))
		return
	}
	writeJSON(w, p.appendUpdate((*out)[:0], &res))
	flush(w)
	msg := s.buf()
	*msg = appendFollowUp((*msg)[:0], *text)
	s.confirm(s.cfg.DiscordAPIURL+"webhooks/"+in.App+"/"+in.Token, msg)
}

// ephemeral is a type 4 answer only the user sees, of text that holds
// nothing JSON escapes.
func ephemeral(dst []byte, text string) []byte {
	dst = append(dst, `{"type":4,"data":{"content":"`...)
	dst = append(dst, text...)
	return append(dst, `","flags":64,"allowed_mentions":{"parse":[]}}}`...)
}

func writeJSON(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	_, _ = w.Write(body)
}

// flush sends the answer before the confirmation is started, which may
// wait for a free slot.
func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}
