package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sink is a fake Slack Web API and Discord REST API on one loopback HTTP
// server. pollbot serve is started with SLACK_API_URL=SlackAPIURL() and
// DISCORD_API_URL=DiscordAPIURL() (Env gives both); the Slack client's
// response_url (SlackConfig.ResponseURL = SlackResponseURL()) and the
// Discord client's interaction tokens lead pollbot's private
// confirmations back here, attributed to the user who clicked.
//
// Every endpoint answers in the platform's documented wire format, as far
// as slack-go and discordgo read it:
//
//	Slack  POST api/auth.test, chat.postMessage, chat.update, chat.postEphemeral,
//	            chat.delete, views.open, views.update, conversations.open,
//	            usergroups.list, files.getUploadURLExternal,
//	            files.completeUploadExternal (other methods: ok:false unknown_method)
//	       POST response/<user>/<n>[.<stamp>] (response_url), upload/<file id>
//	Discord PUT applications/<app>/commands, applications/<app>/guilds/<g>/commands
//	        GET applications/<app>/commands, users/@me, guilds/<g>/roles
//	        POST interactions/<id>/<token>/callback
//	        POST webhooks/<app>/<token> (follow-ups), GET/PATCH/DELETE
//	             webhooks/<app>/<token>/messages/<id or @original>
//	        POST channels/<c>/messages, PATCH/DELETE channels/<c>/messages/<id>
//
// It keeps counts of calls per endpoint (Calls), each user's
// confirmations (count and last text), how long each click's confirmation
// took to arrive (TakeConfirmationLags), and the poll messages pollbot
// posted and edited. It is safe for concurrent use.
type Sink struct {
	srv      *http.Server
	ln       net.Listener
	url      string
	roles    map[string]map[string]string
	botToken string // the only Slack bot token taken; "": any
	quiet    atomic.Bool

	calls sync.Map // endpoint name -> *atomic.Int64
	ids   atomic.Int64

	mu       sync.Mutex
	confirms map[Platform]map[string]*Confirmation
	totals   map[Platform]*atomic.Int64
	lags     map[Platform]*lagBox // fixed at start: read without mu
	refused  map[Platform]*refusals
	messages map[string]*Message // platform/channel/id -> message
	order    []string            // message keys in order of posting
	original map[string]string   // Discord interaction token -> id of its @original
}

// StartSink starts a sink on cfg.Addr (loopback only). Close stops it.
func StartSink(ctx context.Context, cfg SinkConfig) (*Sink, error) {
	addr := cmp(cfg.Addr, "127.0.0.1:0")
	if err := CheckLoopback(ctx, addr); err != nil {
		return nil, fmt.Errorf("sink address: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sink: %w", err)
	}
	s := &Sink{
		ln:       ln,
		url:      "http://" + ln.Addr().String(),
		roles:    cfg.DiscordRoles,
		botToken: cfg.SlackBotToken,
		confirms: map[Platform]map[string]*Confirmation{PlatformSlack: {}, PlatformDiscord: {}},
		totals:   map[Platform]*atomic.Int64{PlatformSlack: new(atomic.Int64), PlatformDiscord: new(atomic.Int64)},
		lags:     map[Platform]*lagBox{PlatformSlack: newLagBox(), PlatformDiscord: newLagBox()},
		refused:  map[Platform]*refusals{PlatformSlack: {}, PlatformDiscord: {}},
		messages: map[string]*Message{},
		original: map[string]string{},
	}
	s.quiet.Store(cfg.Quiet)
	s.srv = &http.Server{Handler: s.routes(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the sink's base URL, http://127.0.0.1:port.
func (s *Sink) URL() string { return s.url }

// SlackAPIURL is the value for pollbot's SLACK_API_URL.
func (s *Sink) SlackAPIURL() string { return s.url + "/slack/api/" }

// SlackResponseURL is the value for SlackConfig.ResponseURL.
func (s *Sink) SlackResponseURL() string { return s.url + "/slack/response" }

// DiscordAPIURL is the value for pollbot's DISCORD_API_URL.
func (s *Sink) DiscordAPIURL() string { return s.url + "/discord/api/v10/" }

// Env returns SLACK_API_URL=... and DISCORD_API_URL=..., for a pollbot
// process's environment.
func (s *Sink) Env() []string {
	return []string{"SLACK_API_URL=" + s.SlackAPIURL(), "DISCORD_API_URL=" + s.DiscordAPIURL()}
}

// Close stops the server, waiting up to 5 s for requests under way.
func (s *Sink) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// SetQuiet switches quiet mode (see SinkConfig.Quiet).
func (s *Sink) SetQuiet(q bool) { s.quiet.Store(q) }

// Reset forgets every count, confirmation and message.
func (s *Sink) Reset() {
	s.calls.Range(func(k, _ any) bool { s.calls.Delete(k); return true })
	s.mu.Lock()
	defer s.mu.Unlock()
	for p := range s.confirms {
		s.confirms[p] = map[string]*Confirmation{}
		s.totals[p].Store(0)
		s.lags[p].take()
		*s.refused[p] = refusals{}
	}
	s.messages = map[string]*Message{}
	s.order = nil
	s.original = map[string]string{}
}

// Calls returns the number of calls per endpoint, named like
// "slack chat.postMessage", "slack response_url", "discord follow-up",
// "discord message edit", "discord PUT commands", and "unknown <METHOD>
// <path>" for calls the sink does not know (answered 404).
func (s *Sink) Calls() map[string]int64 {
	out := map[string]int64{}
	s.calls.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}

func (s *Sink) count(endpoint string) {
	c, ok := s.calls.Load(endpoint)
	if !ok {
		c, _ = s.calls.LoadOrStore(endpoint, new(atomic.Int64))
	}
	c.(*atomic.Int64).Add(1)
}

// Confirmation returns what user was told privately on platform.
func (s *Sink) Confirmation(p Platform, user string) Confirmation {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.confirms[p][user]; c != nil {
		return *c
	}
	return Confirmation{}
}

// Confirmations returns every user's confirmations on platform.
func (s *Sink) Confirmations(p Platform) map[string]Confirmation {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Confirmation, len(s.confirms[p]))
	for u, c := range s.confirms[p] {
		out[u] = *c
	}
	return out
}

// ConfirmationTotal returns the number of confirmations on platform, all
// users together.
func (s *Sink) ConfirmationTotal(p Platform) int64 {
	if t := s.totals[p]; t != nil {
		return t.Load()
	}
	return 0
}

// WaitConfirmations waits until at least n confirmations arrived on
// platform, or ctx is done.
func (s *Sink) WaitConfirmations(ctx context.Context, p Platform, n int64) error {
	for s.ConfirmationTotal(p) < n {
		if err := sleepCtx(ctx, 2*time.Millisecond); err != nil {
			return fmt.Errorf("waiting for %d %s confirmations, have %d: %w", n, p, s.ConfirmationTotal(p), err)
		}
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// lagBox holds the confirmation lags of one platform.
type lagBox struct {
	mu sync.Mutex
	h  *Histogram
}

func newLagBox() *lagBox { return &lagBox{h: new(Histogram)} }

func (b *lagBox) record(d time.Duration) {
	b.mu.Lock()
	b.h.Record(d)
	b.mu.Unlock()
}

func (b *lagBox) take() *Histogram {
	b.mu.Lock()
	defer b.mu.Unlock()
	h := b.h
	b.h = new(Histogram)
	return h
}

// TakeConfirmationLags returns the lags of the confirmations that arrived
// on platform since the last call (or since the sink started), and starts
// counting anew. A lag is the time from the moment a click was due (sent
// by Click, scheduled by ClickAt) until its confirmation reached the
// sink; confirmations of requests that carry no such moment (commands,
// selections, other clients' clicks) are counted by ConfirmationTotal but
// have no lag.
func (s *Sink) TakeConfirmationLags(p Platform) *Histogram {
	if b := s.lags[p]; b != nil {
		return b.take()
	}
	return new(Histogram)
}

// confirm counts a confirmation for user; stamp is the click's stamp from
// the response_url or token ("" when it carries none).
func (s *Sink) confirm(p Platform, user, stamp, text string, quiet bool) {
	if age, ok := stampAge(stamp, time.Now()); ok {
		s.lags[p].record(age)
	}
	s.totals[p].Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.confirms[p][user]
	if c == nil {
		c = &Confirmation{}
		s.confirms[p][user] = c
	}
	c.Count++
	if !quiet {
		c.Last = text
	}
}

// Messages returns the messages pollbot posted on platform, in the order
// they were posted, as last edited.
func (s *Sink) Messages(p Platform) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, k := range s.order {
		if m := s.messages[k]; m.Platform == p {
			out = append(out, m.clone())
		}
	}
	return out
}

// WaitMessage waits until a message on platform satisfies match and
// returns it (the first in posting order), or ctx is done.
func (s *Sink) WaitMessage(ctx context.Context, p Platform, match func(Message) bool) (Message, error) {
	for {
		for _, m := range s.Messages(p) {
			if match(m) {
				return m, nil
			}
		}
		if err := sleepCtx(ctx, 5*time.Millisecond); err != nil {
			return Message{}, fmt.Errorf("waiting for a %s message: %w", p, err)
		}
	}
}

func (m *Message) clone() Message {
	c := *m
	c.ActionIDs = append([]string(nil), m.ActionIDs...)
	return c
}

// Polls returns the ids of the polls whose controls the message carries
// (vote buttons, select menus, rank and unvote buttons), without
// duplicates.
func (m Message) Polls() []string {
	var out []string
	for _, id := range m.ActionIDs {
		p := actionPoll(id)
		if p == "" {
			continue
		}
		dup := false
		for _, q := range out {
			dup = dup || q == p
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

// ParseVoteAction splits a vote control id "pollbot:vote:<poll>:<n>" into
// the poll id and the 0-based theme.
func ParseVoteAction(id string) (poll string, theme int, ok bool) {
	rest, ok := strings.CutPrefix(id, "pollbot:vote:")
	if !ok {
		return "", 0, false
	}
	poll, num, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || poll == "" || n < 1 {
		return "", 0, false
	}
	return poll, n - 1, true
}

func actionPoll(id string) string {
	if p, _, ok := ParseVoteAction(id); ok {
		return p
	}
	for _, prefix := range []string{"pollbot:rank:", "pollbot:select:", "pollbot:dc:select:", "pollbot:dc:unvote:", "pollbot:dc:rank:"} {
		if p, ok := strings.CutPrefix(id, prefix); ok && p != "" && !strings.Contains(p, ":") {
			return p
		}
	}
	return ""
}

// controlIDs returns the pollbot control ids in a message's JSON: every
// string value that starts with "pollbot:" (action_id, custom_id, option
// values). pollbot's ids contain no characters JSON escapes.
func controlIDs(js string) []string {
	var out []string
	seen := map[string]bool{}
	for {
		i := strings.Index(js, `"pollbot:`)
		if i < 0 {
			return out
		}
		js = js[i+1:]
		j := strings.IndexByte(js, '"')
		if j < 0 {
			return out
		}
		if id := js[:j]; !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
		js = js[j+1:]
	}
}

func (s *Sink) newID() string {
	// Snowflake-shaped: digits, 18 of them.
	return fmt.Sprintf("9%017d", s.ids.Add(1))
}

func msgKey(p Platform, channel, id string) string { return string(p) + "/" + channel + "/" + id }

func (s *Sink) posted(p Platform, channel, id, text string) {
	now := time.Now()
	m := &Message{Platform: p, Channel: channel, ID: id, Text: text, ActionIDs: controlIDs(text), Posted: now}
	k := msgKey(p, channel, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.messages[k]; !dup {
		s.order = append(s.order, k)
	}
	s.messages[k] = m
}

// edited records an edit. A message the sink has not seen posted (it was
// posted before a Reset, or to another sink before a restart) is recorded
// from its edit, with Posted zero: pollbot's view of its messages outlives
// the sink's, and refusing the edit would only make it retry.
func (s *Sink) edited(p Platform, channel, id, text string) {
	now := time.Now()
	k := msgKey(p, channel, id)
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[k]
	if m == nil {
		m = &Message{Platform: p, Channel: channel, ID: id}
		s.messages[k] = m
		s.order = append(s.order, k)
	}
	m.Edits++
	m.Edited = now
	if text != "" {
		m.Text = text
		m.ActionIDs = controlIDs(text)
	}
}

func (s *Sink) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/api/{method}", s.slackAPI)
	mux.HandleFunc("GET /slack/api/{method}", s.slackAPI)
	mux.HandleFunc("POST /slack/response/{user}/{n}", s.slackResponse)
	mux.HandleFunc("POST /slack/upload/{id}", s.slackUpload)

	const d = "/discord/api/v10/"
	mux.HandleFunc("PUT "+d+"applications/{app}/commands", s.discordCommands)
	mux.HandleFunc("PUT "+d+"applications/{app}/guilds/{guild}/commands", s.discordCommands)
	mux.HandleFunc("GET "+d+"applications/{app}/commands", s.discordJSON("discord GET commands", "[]"))
	mux.HandleFunc("GET "+d+"applications/{app}/guilds/{guild}/commands", s.discordJSON("discord GET commands", "[]"))
	mux.HandleFunc("GET "+d+"users/@me", s.discordMe)
	mux.HandleFunc("GET "+d+"guilds/{guild}/roles", s.discordRoles)
	mux.HandleFunc("POST "+d+"interactions/{id}/{token}/callback", s.discordCallback)
	mux.HandleFunc("POST "+d+"webhooks/{app}/{token}", s.discordFollowUp)
	mux.HandleFunc("GET "+d+"webhooks/{app}/{token}/messages/{msg}", s.discordWebhookMessage)
	mux.HandleFunc("PATCH "+d+"webhooks/{app}/{token}/messages/{msg}", s.discordWebhookMessage)
	mux.HandleFunc("DELETE "+d+"webhooks/{app}/{token}/messages/{msg}", s.discordDelete("discord follow-up delete"))
	mux.HandleFunc("POST "+d+"channels/{channel}/messages", s.discordCreate)
	mux.HandleFunc("PATCH "+d+"channels/{channel}/messages/{msg}", s.discordEdit)
	mux.HandleFunc("DELETE "+d+"channels/{channel}/messages/{msg}", s.discordDelete("discord message delete"))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.count("unknown " + r.Method + " " + r.URL.Path)
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxSinkBody))
		if strings.HasPrefix(r.URL.Path, "/slack/") {
			writeSinkJSON(w, http.StatusOK, `{"ok":false,"error":"unknown_method"}`)
			return
		}
		writeSinkJSON(w, http.StatusNotFound, `{"message":"404: Not Found","code":0}`)
	})
	return mux
}

// maxSinkBody bounds what the sink reads of a request: pollbot's largest
// calls are file uploads (charts, exports) of a few megabytes.
const maxSinkBody = 64 << 20

func writeSinkJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func writeSinkValue(w http.ResponseWriter, status int, v any) {
	data, _ := json.Marshal(v)
	writeSinkJSON(w, status, string(data))
}

// slackForm reads a Web API call's parameters, form-encoded (what slack-go
// sends for most methods) or JSON, into one map of strings; JSON values that
// are not strings are kept as their JSON text.
func slackForm(r *http.Request) (map[string]string, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSinkBody))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range r.URL.Query() {
		out[k] = v[0]
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var m map[string]json.RawMessage
		if len(strings.TrimSpace(string(body))) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return nil, err
			}
		}
		for k, raw := range m {
			var s string
			if json.Unmarshal(raw, &s) == nil {
				out[k] = s
			} else {
				out[k] = string(raw)
			}
		}
		return out, nil
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k, v := range form {
		out[k] = v[0]
	}
	return out, nil
}

func slackAuthed(r *http.Request, form map[string]string) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") || form["token"] != ""
}

func (s *Sink) slackAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	s.count("slack " + method)
	form, err := slackForm(r)
	if err != nil {
		writeSinkJSON(w, http.StatusOK, `{"ok":false,"error":"invalid_form_data"}`)
		return
	}
	if !slackAuthed(r, form) {
		writeSinkJSON(w, http.StatusOK, `{"ok":false,"error":"not_authed"}`)
		return
	}
	if s.botToken != "" && r.Header.Get("Authorization") != "Bearer "+s.botToken && form["token"] != s.botToken {
		writeSinkJSON(w, http.StatusOK, `{"ok":false,"error":"invalid_auth"}`)
		return
	}
	ts := func() string { return fmt.Sprintf("1700000000.%06d", s.ids.Add(1)) }
	switch method {
	case "auth.test":
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "url": "https://loadgen.slack.com/", "team": "loadgen",
			"user": "pollbot", "team_id": DefaultSlackTeam, "user_id": "ULOADGENBOT", "bot_id": "BLOADGEN"})
	case "chat.postMessage":
		channel, t := form["channel"], ts()
		s.posted(PlatformSlack, channel, t, slackText(form))
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "channel": channel, "ts": t,
			"message": map[string]any{"type": "message", "text": form["text"], "ts": t, "bot_id": "BLOADGEN"}})
	case "chat.update":
		channel, t := form["channel"], form["ts"]
		s.edited(PlatformSlack, channel, t, slackText(form))
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "channel": channel, "ts": t, "text": form["text"]})
	case "chat.postEphemeral":
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "message_ts": ts()})
	case "chat.delete":
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "channel": form["channel"], "ts": form["ts"]})
	case "views.open", "views.update", "views.push":
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "view": map[string]any{"id": "V" + strconv.FormatInt(s.ids.Add(1), 10)}})
	case "conversations.open":
		users := form["users"]
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + strings.ReplaceAll(users, ",", "")}})
	case "usergroups.list":
		writeSinkJSON(w, http.StatusOK, `{"ok":true,"usergroups":[]}`)
	case "files.getUploadURLExternal":
		id := "F" + strconv.FormatInt(s.ids.Add(1), 10)
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "upload_url": s.url + "/slack/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []map[string]any
		_ = json.Unmarshal([]byte(form["files"]), &files)
		if files == nil {
			files = []map[string]any{}
		}
		writeSinkValue(w, http.StatusOK, map[string]any{"ok": true, "files": files})
	default:
		writeSinkJSON(w, http.StatusOK, `{"ok":false,"error":"unknown_method"}`)
	}
}

func slackText(form map[string]string) string {
	t := form["text"]
	if b := form["blocks"]; b != "" {
		t += "\n" + b
	}
	return t
}

// slackResponse is a response_url: the path names the user who clicked
// and, for a click, the moment it was due. Slack answers these with "ok"
// as plain text.
func (s *Sink) slackResponse(w http.ResponseWriter, r *http.Request) {
	s.count("slack response_url")
	quiet := s.quiet.Load()
	body := readConfirmation(r)
	text := ""
	if !quiet || !isBallot(body, `"text":"`) {
		var m struct {
			Text string `json:"text"`
		}
		_ = json.Unmarshal(body, &m)
		text = m.Text
	}
	if !isBallot(body, `"text":"`) && !isBallotText(text) {
		s.refusal(PlatformSlack, text)
	}
	_, stamp, _ := strings.Cut(r.PathValue("n"), ".")
	s.confirm(PlatformSlack, r.PathValue("user"), stamp, text, quiet)
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
}

// readConfirmation reads a confirmation's JSON body, at most
// maxConfirmation bytes of it; the rest is drained unread.
func readConfirmation(r *http.Request) []byte {
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxConfirmation))
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxSinkBody))
	return body
}

// maxConfirmation bounds what the sink reads of a confirmation: a
// ballot's is a few hundred bytes.
const maxConfirmation = 64 << 10

// ballotWords begin every confirmation of a ballot, in pollbot's words
// (and the reference server's): anything else a click is confirmed with
// is a refusal.
var ballotWords = []string{"Your ballot in poll ", "Your ranking in poll ", "You no longer have a ballot in poll "}

// isBallot reports whether the JSON body's first string field named by
// field (`"text":"`) begins with ballotWords, without decoding the body.
func isBallot(body []byte, field string) bool {
	i := bytes.Index(body, []byte(field))
	if i < 0 {
		return false
	}
	rest := body[i+len(field):]
	for _, w := range ballotWords {
		if bytes.HasPrefix(rest, []byte(w)) {
			return true
		}
	}
	return false
}

// isBallotText is isBallot for a decoded text.
func isBallotText(text string) bool {
	for _, w := range ballotWords {
		if strings.HasPrefix(text, w) {
			return true
		}
	}
	return false
}

// refusals counts confirmations that confirm no ballot.
type refusals struct {
	n    int64
	last string
}

func (s *Sink) refusal(p Platform, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.refused[p]
	r.n++
	r.last = text
}

// Refusals returns how many confirmations on platform confirmed no
// ballot (their text does not begin as pollbot confirms a ballot: a click
// acknowledged, then refused, say because the store could not be reached
// in time), and the text of the last.
func (s *Sink) Refusals(p Platform) (n int64, last string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.refused[p]; r != nil {
		return r.n, r.last
	}
	return 0, ""
}

func (s *Sink) slackUpload(w http.ResponseWriter, r *http.Request) {
	s.count("slack upload")
	n, _ := io.Copy(io.Discard, io.LimitReader(r.Body, maxSinkBody))
	w.Header().Set("Content-Type", "text/plain")
	_, _ = fmt.Fprintf(w, "OK - %d", n)
}

func discordAuthed(w http.ResponseWriter, r *http.Request) bool {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bot ") {
		writeSinkJSON(w, http.StatusUnauthorized, `{"message":"401: Unauthorized","code":0}`)
		return false
	}
	return true
}

func (s *Sink) discordJSON(endpoint, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.count(endpoint)
		if discordAuthed(w, r) {
			writeSinkJSON(w, http.StatusOK, body)
		}
	}
}

func (s *Sink) discordDelete(endpoint string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.count(endpoint)
		w.WriteHeader(http.StatusNoContent)
	}
}

// discordCommands answers a bulk overwrite with the commands it was given,
// each with an id, as Discord does.
func (s *Sink) discordCommands(w http.ResponseWriter, r *http.Request) {
	s.count("discord PUT commands")
	if !discordAuthed(w, r) {
		return
	}
	var cmds []map[string]any
	if err := json.NewDecoder(io.LimitReader(r.Body, maxSinkBody)).Decode(&cmds); err != nil {
		writeSinkJSON(w, http.StatusBadRequest, `{"message":"Invalid Form Body","code":50035}`)
		return
	}
	for _, c := range cmds {
		c["id"] = s.newID()
		c["application_id"] = r.PathValue("app")
		c["version"] = s.newID()
		if g := r.PathValue("guild"); g != "" {
			c["guild_id"] = g
		}
	}
	if cmds == nil {
		cmds = []map[string]any{}
	}
	writeSinkValue(w, http.StatusOK, cmds)
}

func (s *Sink) discordMe(w http.ResponseWriter, r *http.Request) {
	s.count("discord users/@me")
	if discordAuthed(w, r) {
		writeSinkValue(w, http.StatusOK, map[string]any{"id": DefaultDiscordApp, "username": "pollbot", "discriminator": "0", "bot": true})
	}
}

func (s *Sink) discordRoles(w http.ResponseWriter, r *http.Request) {
	s.count("discord guild roles")
	if !discordAuthed(w, r) {
		return
	}
	roles := []map[string]any{}
	for id, name := range s.roles[r.PathValue("guild")] {
		roles = append(roles, map[string]any{"id": id, "name": name, "position": len(roles) + 1, "permissions": "0"})
	}
	writeSinkValue(w, http.StatusOK, roles)
}

// discordCallback is an interaction response sent over REST (gateway
// mode); in HTTP mode pollbot answers in the HTTP response instead.
func (s *Sink) discordCallback(w http.ResponseWriter, r *http.Request) {
	s.count("discord interaction callback")
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxSinkBody))
	w.WriteHeader(http.StatusNoContent)
}

// discordPayload reads a message payload: JSON, or multipart with a
// payload_json part and files (which are drained). It returns the
// content and the message's text for Message.Text.
func discordPayload(r *http.Request) (content, text string, err error) {
	var data []byte
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(io.LimitReader(r.Body, maxSinkBody), params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return "", "", err
			}
			if p.FormName() == "payload_json" {
				if data, err = io.ReadAll(p); err != nil {
					return "", "", err
				}
			} else {
				_, _ = io.Copy(io.Discard, p)
			}
		}
	} else if data, err = io.ReadAll(io.LimitReader(r.Body, maxSinkBody)); err != nil {
		return "", "", err
	}
	if len(data) == 0 {
		return "", "", nil
	}
	var m struct {
		Content    string          `json:"content"`
		Embeds     json.RawMessage `json:"embeds"`
		Components json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return "", "", err
	}
	text = m.Content
	for _, raw := range []json.RawMessage{m.Embeds, m.Components} {
		if len(raw) > 0 && string(raw) != "null" {
			text += "\n" + string(raw)
		}
	}
	return m.Content, text, nil
}

// discordFollowUp is an interaction follow-up (execute webhook): a
// confirmation for the user the token names. Without ?wait=true Discord
// answers 204, and discordgo reads nothing.
func (s *Sink) discordFollowUp(w http.ResponseWriter, r *http.Request) {
	s.count("discord follow-up")
	quiet := s.quiet.Load()
	content := ""
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); quiet && mt == "application/json" {
		body := readConfirmation(r)
		if !isBallot(body, `"content":"`) {
			var m struct {
				Content string `json:"content"`
			}
			_ = json.Unmarshal(body, &m)
			s.refusal(PlatformDiscord, m.Content)
		}
	} else if quiet {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxSinkBody))
	} else {
		c, _, err := discordPayload(r)
		if err != nil {
			writeSinkJSON(w, http.StatusBadRequest, `{"message":"Invalid Form Body","code":50035}`)
			return
		}
		content = c
		if !isBallotText(c) {
			s.refusal(PlatformDiscord, c)
		}
	}
	user, stamp := tokenUser(r.PathValue("token"))
	s.confirm(PlatformDiscord, user, stamp, content, quiet)
	if r.URL.Query().Get("wait") != "true" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeSinkValue(w, http.StatusOK, map[string]any{"id": s.newID(), "channel_id": DefaultDiscordChannel, "content": content,
		"type": 0, "flags": 64, "webhook_id": r.PathValue("app")})
}

// discordWebhookMessage reads (GET) or edits (PATCH) a message of an
// interaction token: its @original answer or a follow-up. @original has a
// stable id per token.
func (s *Sink) discordWebhookMessage(w http.ResponseWriter, r *http.Request) {
	token, id := r.PathValue("token"), r.PathValue("msg")
	content := ""
	if r.Method == http.MethodPatch {
		s.count("discord follow-up edit")
		if s.quiet.Load() {
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxSinkBody))
		} else if c, _, err := discordPayload(r); err == nil {
			content = c
		}
	} else {
		s.count("discord original get")
	}
	if id == "@original" {
		s.mu.Lock()
		if id = s.original[token]; id == "" {
			id = s.newID()
			s.original[token] = id
		}
		s.mu.Unlock()
	}
	writeSinkValue(w, http.StatusOK, map[string]any{"id": id, "channel_id": DefaultDiscordChannel, "content": content,
		"type": 0, "webhook_id": r.PathValue("app")})
}

func (s *Sink) discordCreate(w http.ResponseWriter, r *http.Request) {
	s.count("discord message create")
	if !discordAuthed(w, r) {
		return
	}
	content, text, err := discordPayload(r)
	if err != nil {
		writeSinkJSON(w, http.StatusBadRequest, `{"message":"Invalid Form Body","code":50035}`)
		return
	}
	channel, id := r.PathValue("channel"), s.newID()
	s.posted(PlatformDiscord, channel, id, text)
	writeSinkValue(w, http.StatusOK, map[string]any{"id": id, "channel_id": channel, "content": content, "type": 0,
		"author": map[string]any{"id": DefaultDiscordApp, "username": "pollbot", "bot": true}})
}

func (s *Sink) discordEdit(w http.ResponseWriter, r *http.Request) {
	s.count("discord message edit")
	if !discordAuthed(w, r) {
		return
	}
	// Edits are parsed in quiet mode too: the coalescer sends at most one
	// per poll every 2 s, and their text says whether a poll shows closed.
	_, text, err := discordPayload(r)
	if err != nil {
		writeSinkJSON(w, http.StatusBadRequest, `{"message":"Invalid Form Body","code":50035}`)
		return
	}
	channel, id := r.PathValue("channel"), r.PathValue("msg")
	s.edited(PlatformDiscord, channel, id, text)
	writeSinkValue(w, http.StatusOK, map[string]any{"id": id, "channel_id": channel, "type": 0})
}
