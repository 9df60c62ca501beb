package loadgen

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Slack sends signed HTTP-mode requests as Slack does. It is safe for
// concurrent use.
type Slack struct {
	commandsURL, interactionsURL string
	responseURL                  string
	team, channel                string
	client                       *http.Client
	now                          func() time.Time
	secret                       []byte
	macs                         sync.Pool // hash.Hash: HMAC-SHA256 keyed with the secret
	scratch                      sync.Pool // *[]byte: a click's JSON before form escaping
}

// NewSlack returns a Slack client for cfg. It refuses a BaseURL that does
// not resolve to loopback only, and an empty signing secret.
func NewSlack(ctx context.Context, cfg SlackConfig) (*Slack, error) {
	if err := CheckLoopback(ctx, cfg.BaseURL); err != nil {
		return nil, err
	}
	if cfg.ResponseURL != "" {
		if err := CheckLoopback(ctx, cfg.ResponseURL); err != nil {
			return nil, fmt.Errorf("response URL: %w", err)
		}
	}
	if cfg.SigningSecret == "" {
		return nil, errors.New("loadgen: Slack signing secret is empty")
	}
	base := strings.TrimSuffix(cfg.BaseURL, "/")
	s := &Slack{
		commandsURL:     base + "/slack/commands",
		interactionsURL: base + "/slack/interactions",
		responseURL:     strings.TrimSuffix(cfg.ResponseURL, "/"),
		team:            cmp(cfg.TeamID, DefaultSlackTeam),
		channel:         cmp(cfg.ChannelID, DefaultSlackChannel),
		client:          cfg.HTTPClient,
		now:             cfg.Now,
		secret:          []byte(cfg.SigningSecret),
	}
	if s.responseURL == "" {
		s.responseURL = base + "/loadgen-no-sink"
	}
	if s.client == nil {
		s.client = defaultClient()
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.macs.New = func() any { return hmac.New(sha256.New, s.secret) }
	s.scratch.New = func() any { b := make([]byte, 0, 1024); return &b }
	return s, nil
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// SignSlack sets X-Slack-Request-Timestamp and X-Slack-Signature for body
// as Slack does (v0: HMAC-SHA256 of "v0:<unix seconds>:<body>" with the
// signing secret, hex), which slack.NewSecretsVerifier checks.
func SignSlack(h http.Header, secret string, body []byte, at time.Time) {
	signSlack(h, hmac.New(sha256.New, []byte(secret)), body, at)
}

func signSlack(h http.Header, mac hash.Hash, body []byte, at time.Time) {
	var buf [20]byte
	ts := strconv.AppendInt(buf[:0], at.Unix(), 10)
	mac.Reset()
	mac.Write([]byte("v0:"))
	mac.Write(ts)
	mac.Write([]byte{':'})
	mac.Write(body)
	var sum [sha256.Size]byte
	var sig [3 + 2*sha256.Size]byte
	copy(sig[:], "v0=")
	hex.Encode(sig[3:], mac.Sum(sum[:0]))
	// Direct map writes: the keys are already canonical, and Set would
	// canonicalise them again on every request.
	h["X-Slack-Request-Timestamp"] = []string{string(ts)}
	h["X-Slack-Signature"] = []string{string(sig[:])}
}

// Command sends the slash command "/poll <text>" from user, as a
// form-encoded POST to /slack/commands with team_id, user_id, channel_id,
// response_url and a fresh trigger_id. The reply's body is the
// acknowledgement: pollbot puts the first private answer there.
func (s *Slack) Command(ctx context.Context, user, text string) (Reply, error) {
	n := nextUniq()
	b := make([]byte, 0, 256+len(text)*3)
	b = append(b, "token=loadgen&team_id="...)
	b = appendQueryEscape(b, s.team)
	b = append(b, "&team_domain=loadgen&channel_id="...)
	b = appendQueryEscape(b, s.channel)
	b = append(b, "&channel_name=loadgen&user_id="...)
	b = appendQueryEscape(b, user)
	b = append(b, "&user_name="...)
	b = appendQueryEscape(b, strings.ToLower(user))
	b = append(b, "&command=%2Fpoll&text="...)
	b = appendQueryEscape(b, text)
	b = append(b, "&api_app_id=ALOADGEN&response_url="...)
	b = appendQueryEscape(b, s.userResponseURL(user, n))
	b = append(b, "&trigger_id="...)
	b = strconv.AppendUint(b, n, 10)
	b = append(b, ".loadgen"...)
	return s.post(ctx, s.commandsURL, b)
}

func (s *Slack) userResponseURL(user string, n uint64) string {
	return s.responseURL + "/" + url.PathEscape(user) + "/" + strconv.FormatUint(n, 10)
}

// Click sends a block_actions interaction: user clicked the button with
// actionID (such as "pollbot:vote:K7QX:3") on a message in the channel. Each
// click has its own action_ts and trigger_id, so pollbot never takes it
// for a retry of another. It is ClickAt with the time of the call.
func (s *Slack) Click(ctx context.Context, user, actionID string) (Reply, error) {
	return s.ClickAt(ctx, time.Now(), user, actionID)
}

// ClickAt is Click for a click that was due at due (an open-loop
// schedule's time): its response_url carries due, so the sink measures the
// confirmation's lag from it (Sink.TakeConfirmationLags).
func (s *Slack) ClickAt(ctx context.Context, due time.Time, user, actionID string) (Reply, error) {
	sp := s.scratch.Get().(*[]byte)
	js := s.appendClick((*sp)[:0], due, user, actionID)
	body := make([]byte, 0, len("payload=")+len(js)+len(js)/2)
	body = append(body, "payload="...)
	body = appendQueryEscapeBytes(body, js)
	*sp = js
	s.scratch.Put(sp)
	return s.post(ctx, s.interactionsURL, body)
}

// PostInteraction sends payloadJSON as an interaction (form field
// "payload"), signed; for payloads Click does not build.
func (s *Slack) PostInteraction(ctx context.Context, payloadJSON []byte) (Reply, error) {
	body := append([]byte("payload="), appendQueryEscapeBytes(nil, payloadJSON)...)
	return s.post(ctx, s.interactionsURL, body)
}

// AppendClickPayload appends the JSON payload of a click (what Click sends
// in the form field "payload") to dst. slack-go decodes it into an
// InteractionCallback of type block_actions with the team, user, channel,
// a message container, the response_url and one button action whose
// action_id and value are actionID.
func (s *Slack) AppendClickPayload(dst []byte, user, actionID string) []byte {
	return s.appendClick(dst, time.Now(), user, actionID)
}

// appendClick appends a click due at due: its response_url ends in
// "/<user>/<n>.<stamp of due>".
func (s *Slack) appendClick(dst []byte, due time.Time, user, actionID string) []byte {
	n := nextUniq()
	sec := s.now().Unix()
	dst = append(dst, `{"type":"block_actions","team":{"id":`...)
	dst = appendJSONString(dst, s.team)
	dst = append(dst, `,"domain":"loadgen"},"user":{"id":`...)
	dst = appendJSONString(dst, user)
	dst = append(dst, `,"username":`...)
	dst = appendJSONString(dst, user)
	dst = append(dst, `,"team_id":`...)
	dst = appendJSONString(dst, s.team)
	dst = append(dst, `},"api_app_id":"ALOADGEN","token":"loadgen","trigger_id":"`...)
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, `.loadgen","channel":{"id":`...)
	dst = appendJSONString(dst, s.channel)
	dst = append(dst, `,"name":"loadgen"},"container":{"type":"message","message_ts":"1700000000.000001","channel_id":`...)
	dst = appendJSONString(dst, s.channel)
	dst = append(dst, `,"is_ephemeral":false},"response_url":"`...)
	dst = appendJSONInner(dst, s.responseURL)
	dst = append(dst, '/')
	dst = appendJSONInner(dst, url.PathEscape(user))
	dst = append(dst, '/')
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, '.')
	dst = appendStamp(dst, due)
	dst = append(dst, `","actions":[{"type":"button","action_id":`...)
	dst = appendJSONString(dst, actionID)
	dst = append(dst, `,"block_id":"loadgen","value":`...)
	dst = appendJSONString(dst, actionID)
	dst = append(dst, `,"text":{"type":"plain_text","text":"Vote"},"action_ts":"`...)
	dst = strconv.AppendInt(dst, sec, 10)
	dst = append(dst, '.')
	dst = strconv.AppendUint(dst, n, 10)
	dst = append(dst, `"}]}`...)
	return dst
}

func (s *Slack) post(ctx context.Context, target string, body []byte) (Reply, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Reply{}, err
	}
	req.Header["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	mac := s.macs.Get().(hash.Hash)
	signSlack(req.Header, mac, body, s.now())
	s.macs.Put(mac)
	resp, err := s.client.Do(req)
	if err != nil {
		return Reply{}, err
	}
	data, err := readBody(resp)
	if err != nil {
		return Reply{Status: resp.StatusCode}, err
	}
	return Reply{Status: resp.StatusCode, Body: data}, nil
}
