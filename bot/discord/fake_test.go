package discord

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"
)

// fakeDiscord is an in-process Discord: the REST endpoints the adapter
// calls and a gateway websocket a real discordgo session connects to.
// Everything it receives is recorded for assertions.
type fakeDiscord struct {
	t     testing.TB
	srv   *httptest.Server
	appID string
	token string

	mu           sync.Mutex
	commands     []recorded            // bulk overwrites
	callbacks    map[string]recorded   // interaction id -> callback
	followups    map[string][]recorded // interaction token -> webhook follow-ups
	created      []recorded            // channel messages created
	edits        map[string][]recorded // message id -> edits
	roles        map[string][]map[string]any
	roleGets     int
	limitEdits   int               // answer this many channel-message edits with 429
	limited      int               // 429s sent
	forbidPost   bool              // refuse channel messages (missing permission)
	dropFollow   bool              // close the connection of follow-ups unanswered
	bigFiles     bool              // refuse follow-ups with files: 413, as Discord refuses files over its limit
	limitFollow  int               // answer this many follow-ups with 429
	refuseFollow bool              // answer follow-ups with 400
	originals    map[string]string // interaction token -> id of its @original
	nextID       int

	ws      *websocket.Conn
	wsMu    sync.Mutex
	seq     int
	ready   bool
	wsToken string
}

// recorded is one request: its path, JSON payload and attachments.
type recorded struct {
	ID      string // of a created message
	Method  string
	Path    string
	Payload map[string]any
	Files   map[string][]byte // file name -> content
}

func (r recorded) str(key string) string { s, _ := r.Payload[key].(string); return s }

func (r recorded) flags() int { f, _ := r.Payload["flags"].(float64); return int(f) }

func newFakeDiscord(t testing.TB, appID, token string) *fakeDiscord {
	f := &fakeDiscord{
		t: t, appID: appID, token: token,
		callbacks: map[string]recorded{}, followups: map[string][]recorded{},
		edits: map[string][]recorded{}, roles: map[string][]map[string]any{},
		originals: map[string]string{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v10/gateway", f.gateway)
	mux.HandleFunc("GET /api/v10/gateway/bot", f.gateway)
	mux.HandleFunc("GET /ws", f.serveWS)
	mux.HandleFunc("GET /ws/", f.serveWS)
	mux.HandleFunc("PUT /api/v10/applications/{app}/commands", f.overwrite)
	mux.HandleFunc("PUT /api/v10/applications/{app}/guilds/{guild}/commands", f.overwrite)
	mux.HandleFunc("POST /api/v10/interactions/{id}/{token}/callback", f.callback)
	mux.HandleFunc("POST /api/v10/webhooks/{app}/{token}", f.followup)
	mux.HandleFunc("PATCH /api/v10/webhooks/{app}/{token}/messages/{msg}", f.followup)
	mux.HandleFunc("GET /api/v10/webhooks/{app}/{token}/messages/{msg}", f.original)
	mux.HandleFunc("POST /api/v10/channels/{channel}/messages", f.createMessage)
	mux.HandleFunc("PATCH /api/v10/channels/{channel}/messages/{msg}", f.editMessage)
	mux.HandleFunc("GET /api/v10/guilds/{guild}/roles", f.guildRoles)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake discord: unexpected %s %s", r.Method, r.URL.Path)
		http.Error(w, `{"message":"404: Not Found","code":0}`, http.StatusNotFound)
	})
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.close)
	return f
}

func (f *fakeDiscord) close() {
	f.wsMu.Lock()
	if f.ws != nil {
		f.ws.Close()
	}
	f.wsMu.Unlock()
	f.srv.Close()
}

// APIURL is the value of DISCORD_API_URL for this fake.
func (f *fakeDiscord) APIURL() string { return f.srv.URL + "/api/v10/" }

func (f *fakeDiscord) wsURL() string { return "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/ws" }

func (f *fakeDiscord) authorized(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Authorization") != "Bot "+f.token {
		http.Error(w, `{"message":"401: Unauthorized","code":0}`, http.StatusUnauthorized)
		return false
	}
	return true
}

func (f *fakeDiscord) gateway(w http.ResponseWriter, r *http.Request) {
	writeTestJSON(w, map[string]any{"url": f.wsURL(), "shards": 1})
}

func (f *fakeDiscord) newID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	return fmt.Sprintf("9%017d", f.nextID)
}

// read decodes a JSON or multipart (payload_json + files[n]) body.
func (f *fakeDiscord) read(r *http.Request) recorded {
	rec := recorded{Method: r.Method, Path: r.URL.Path, Payload: map[string]any{}, Files: map[string][]byte{}}
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(r.Body, params["boundary"])
		for {
			p, err := mr.NextPart()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(p)
			if p.FormName() == "payload_json" {
				if err := json.Unmarshal(data, &rec.Payload); err != nil {
					f.t.Errorf("fake discord: bad payload_json: %v", err)
				}
			} else {
				rec.Files[p.FileName()] = data
			}
		}
		return rec
	}
	data, _ := io.ReadAll(r.Body)
	if len(data) > 0 {
		if err := json.Unmarshal(data, &rec.Payload); err != nil {
			f.t.Errorf("fake discord: %s %s: bad JSON: %v", r.Method, r.URL.Path, err)
		}
	}
	return rec
}

func (f *fakeDiscord) overwrite(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	if r.PathValue("app") != f.appID {
		http.Error(w, `{"message":"unknown application"}`, http.StatusNotFound)
		return
	}
	data, _ := io.ReadAll(r.Body)
	var cmds []map[string]any
	if err := json.Unmarshal(data, &cmds); err != nil {
		http.Error(w, `{"message":"bad body"}`, http.StatusBadRequest)
		return
	}
	for _, c := range cmds {
		// Discord refuses the whole overwrite when one command is too big.
		if problem := commandProblem(c); problem != "" {
			http.Error(w, `{"message":"Invalid Form Body","code":50035,"errors":{"_errors":[{"message":"`+problem+`"}]}}`, http.StatusBadRequest)
			return
		}
	}
	f.mu.Lock()
	f.commands = append(f.commands, recorded{Method: r.Method, Path: r.URL.Path, Payload: map[string]any{"commands": cmds}})
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}

// commandProblem checks a command as Discord does at registration: at most
// 8000 characters counted by wireChars, at most 25 choices an option,
// choice names and string values of at most 100 characters.
func commandProblem(c map[string]any) string {
	if n := wireChars(c); n > 8000 {
		return fmt.Sprintf("Command exceeds maximum size (8000): %d", n)
	}
	var walk func(opts any) string
	walk = func(opts any) string {
		list, _ := opts.([]any)
		for _, o := range list {
			om, _ := o.(map[string]any)
			choices, _ := om["choices"].([]any)
			if len(choices) > 25 {
				return fmt.Sprintf("option %v has %d choices", om["name"], len(choices))
			}
			for _, ch := range choices {
				cm, _ := ch.(map[string]any)
				name, _ := cm["name"].(string)
				value, _ := cm["value"].(string)
				if utf8.RuneCountInString(name) > 100 || utf8.RuneCountInString(value) > 100 {
					return "a choice name or value is longer than 100"
				}
			}
			if p := walk(om["options"]); p != "" {
				return p
			}
		}
		return ""
	}
	return walk(c["options"])
}

// wireChars counts a command in its JSON form the way Discord documents
// its 8000-character budget: name, description and value properties of
// the command, its options (subcommands included) and their choices; of
// localized fields only the longest version.
func wireChars(m map[string]any) int {
	longest := func(key string) int {
		s, _ := m[key].(string)
		n := utf8.RuneCountInString(s)
		loc, _ := m[key+"_localizations"].(map[string]any)
		for _, v := range loc {
			l, _ := v.(string)
			n = max(n, utf8.RuneCountInString(l))
		}
		return n
	}
	n := longest("name") + longest("description")
	if v, ok := m["value"]; ok {
		n += utf8.RuneCountInString(fmt.Sprint(v))
	}
	for _, key := range []string{"options", "choices"} {
		list, _ := m[key].([]any)
		for _, o := range list {
			om, _ := o.(map[string]any)
			n += wireChars(om)
		}
	}
	return n
}

func (f *fakeDiscord) callback(w http.ResponseWriter, r *http.Request) {
	rec := f.read(r)
	f.mu.Lock()
	if _, dup := f.callbacks[r.PathValue("id")]; dup {
		f.mu.Unlock()
		http.Error(w, `{"message":"Interaction has already been acknowledged.","code":40060}`, http.StatusBadRequest)
		return
	}
	f.callbacks[r.PathValue("id")] = rec
	f.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func (f *fakeDiscord) followup(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	drop := f.dropFollow
	f.mu.Unlock()
	if drop {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	rec := f.read(r)
	f.mu.Lock()
	if f.limitFollow > 0 {
		f.limitFollow--
		f.limited++
		f.mu.Unlock()
		// Discord's 429: the wait in the body, in seconds.
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"You are being rate limited.","retry_after":0.02,"global":false}`))
		return
	}
	if f.refuseFollow {
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"message":"Invalid Form Body","code":50035}`))
		return
	}
	big := f.bigFiles && len(rec.Files) > 0
	if !big {
		f.followups[r.PathValue("token")] = append(f.followups[r.PathValue("token")], rec)
	}
	f.mu.Unlock()
	if big {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		_, _ = io.WriteString(w, `{"message":"Request entity too large","code":40005}`)
		return
	}
	writeTestJSON(w, map[string]any{"id": f.newID(), "channel_id": "1", "content": rec.str("content")})
}

// original answers GET .../messages/@original with a stable id per
// interaction token.
func (f *fakeDiscord) original(w http.ResponseWriter, r *http.Request) {
	id := f.newID()
	f.mu.Lock()
	if old, ok := f.originals[r.PathValue("token")]; ok {
		id = old
	}
	f.originals[r.PathValue("token")] = id
	f.mu.Unlock()
	writeTestJSON(w, map[string]any{"id": id, "channel_id": "300000000000000003"})
}

func (f *fakeDiscord) createMessage(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	forbid := f.forbidPost
	f.mu.Unlock()
	if forbid {
		http.Error(w, `{"message":"Missing Permissions","code":50013}`, http.StatusForbidden)
		return
	}
	rec := f.read(r)
	id := f.newID()
	rec.ID = id
	f.mu.Lock()
	f.created = append(f.created, rec)
	f.mu.Unlock()
	writeTestJSON(w, map[string]any{"id": id, "channel_id": r.PathValue("channel")})
}

func (f *fakeDiscord) editMessage(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	rec := f.read(r)
	f.mu.Lock()
	if f.limitEdits > 0 {
		f.limitEdits--
		f.limited++
		f.mu.Unlock()
		w.Header().Set("Retry-After", "0.05")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = w.Write([]byte(`{"message":"You are being rate limited.","retry_after":0.05,"global":false}`))
		return
	}
	f.edits[r.PathValue("msg")] = append(f.edits[r.PathValue("msg")], rec)
	f.mu.Unlock()
	writeTestJSON(w, map[string]any{"id": r.PathValue("msg"), "channel_id": r.PathValue("channel")})
}

func (f *fakeDiscord) guildRoles(w http.ResponseWriter, r *http.Request) {
	if !f.authorized(w, r) {
		return
	}
	f.mu.Lock()
	f.roleGets++
	roles := f.roles[r.PathValue("guild")]
	f.mu.Unlock()
	if roles == nil {
		roles = []map[string]any{}
	}
	writeTestJSON(w, roles)
}

func (f *fakeDiscord) setRoles(guild string, idName ...string) {
	var rs []map[string]any
	for i := 0; i+1 < len(idName); i += 2 {
		rs = append(rs, map[string]any{"id": idName[i], "name": idName[i+1]})
	}
	f.mu.Lock()
	f.roles[guild] = rs
	f.mu.Unlock()
}

func writeTestJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

var upgrader = websocket.Upgrader{}

// serveWS is the gateway: Hello, Identify, READY, heartbeats, then
// dispatches pushed with dispatch.
func (f *fakeDiscord) serveWS(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	write := func(v any) error {
		f.wsMu.Lock()
		defer f.wsMu.Unlock()
		return c.WriteJSON(v)
	}
	if err := write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 45000}}); err != nil {
		return
	}
	var ident struct {
		Op int `json:"op"`
		D  struct {
			Token string `json:"token"`
		} `json:"d"`
	}
	if err := c.ReadJSON(&ident); err != nil || ident.Op != 2 {
		f.t.Errorf("fake gateway: expected Identify, got op %d (%v)", ident.Op, err)
		return
	}
	f.wsMu.Lock()
	f.wsToken = ident.D.Token
	f.seq++
	seq := f.seq
	f.wsMu.Unlock()
	if err := write(map[string]any{"op": 0, "t": "READY", "s": seq, "d": map[string]any{
		"v": 10, "session_id": "fake-session", "user": map[string]any{"id": f.appID, "username": "pollbot", "bot": true},
		"guilds": []any{}, "application": map[string]any{"id": f.appID},
	}}); err != nil {
		return
	}
	// GUILD_CREATE carries the guild's roles into the session's state.
	f.mu.Lock()
	var creates []map[string]any
	for g, roles := range f.roles {
		creates = append(creates, map[string]any{"id": g, "name": "Guild " + g, "roles": roles})
	}
	f.mu.Unlock()
	for _, g := range creates {
		f.wsMu.Lock()
		f.seq++
		seq := f.seq
		f.wsMu.Unlock()
		if err := write(map[string]any{"op": 0, "t": "GUILD_CREATE", "s": seq, "d": g}); err != nil {
			return
		}
	}
	f.wsMu.Lock()
	f.ws, f.ready = c, true
	f.wsMu.Unlock()
	for {
		var m struct {
			Op int `json:"op"`
		}
		if err := c.ReadJSON(&m); err != nil {
			f.wsMu.Lock()
			if f.ws == c {
				f.ws, f.ready = nil, false
			}
			f.wsMu.Unlock()
			return
		}
		if m.Op == 1 {
			_ = write(map[string]any{"op": 11})
		}
	}
}

// dispatch sends an INTERACTION_CREATE over the gateway.
func (f *fakeDiscord) dispatch(t testing.TB, interaction map[string]any) {
	t.Helper()
	waitFor(t, "gateway ready", func() bool {
		f.wsMu.Lock()
		defer f.wsMu.Unlock()
		return f.ready
	})
	f.wsMu.Lock()
	defer f.wsMu.Unlock()
	f.seq++
	if err := f.ws.WriteJSON(map[string]any{"op": 0, "t": "INTERACTION_CREATE", "s": f.seq, "d": interaction}); err != nil {
		t.Fatalf("dispatch: %v", err)
	}
}

// callbackFor waits for the response to an interaction.
func (f *fakeDiscord) callbackFor(t testing.TB, id string) recorded {
	t.Helper()
	var rec recorded
	waitFor(t, "callback of interaction "+id, func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		var ok bool
		rec, ok = f.callbacks[id]
		return ok
	})
	return rec
}

// followupsFor waits for n follow-ups of an interaction token.
func (f *fakeDiscord) followupsFor(t testing.TB, token string, n int) []recorded {
	t.Helper()
	var recs []recorded
	waitFor(t, fmt.Sprintf("%d follow-ups of %s", n, token), func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		recs = append([]recorded(nil), f.followups[token]...)
		return len(recs) >= n
	})
	return recs
}

func (f *fakeDiscord) editsOf(msgID string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.edits[msgID]...)
}

func (f *fakeDiscord) createdMessages() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.created...)
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	// Generous: a report's chart takes seconds to draw under the race
	// detector on a busy machine; a condition that holds returns at once.
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
