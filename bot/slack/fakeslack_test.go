package slack_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// fakeSlack is an in-process Slack: a Web API that records the calls the
// adapter makes (in Slack's documented wire format, decoded by the real
// slack-go client), response_url endpoints, the file upload URL, and a
// Socket Mode WebSocket that says hello, sends envelopes and collects
// acknowledgements.
type fakeSlack struct {
	t   testing.TB
	srv *httptest.Server

	mu         sync.Mutex
	calls      []call
	ts         int
	files      map[string][]byte // file id -> uploaded bytes
	fileN      int
	limitLeft  int    // chat.update calls still to answer 429
	retryAfter string // their Retry-After
	groups     map[string][]string
	handles    map[string]string // user group id -> handle
	conn       *websocket.Conn
	connWrite  sync.Mutex
	acks       map[string][]json.RawMessage // envelope id -> ack payloads
	envN       int
	quiet      bool // benchmarks: answer response_url posts without recording
	quietN     atomic.Int64
	uploadErr  string // when set, files.getUploadURLExternal answers ok:false with it
	failPosts  string // chat.postMessage in this channel answers not_in_channel
}

// call is one recorded request: a Web API method, "response" (a post to
// a response_url) or "upload".
type call struct {
	Method string
	Form   url.Values
	JSON   map[string]any
	Path   string
}

// Str returns a field of the call, from the form or the JSON body.
func (c call) Str(k string) string {
	if v := c.Form.Get(k); v != "" {
		return v
	}
	if s, ok := c.JSON[k].(string); ok {
		return s
	}
	return ""
}

// Blocks returns the call's blocks (form "blocks" or JSON "blocks"),
// re-encoded as JSON text for assertions.
func (c call) Blocks() string {
	if v := c.Form.Get("blocks"); v != "" {
		return v
	}
	if b, ok := c.JSON["blocks"]; ok {
		data, _ := json.Marshal(b)
		return string(data)
	}
	if v := c.Form.Get("view"); v != "" {
		return v
	}
	if b, ok := c.JSON["view"]; ok {
		data, _ := json.Marshal(b)
		return string(data)
	}
	return ""
}

func newFakeSlack(t testing.TB) *fakeSlack {
	f := &fakeSlack{t: t, files: map[string][]byte{}, acks: map[string][]json.RawMessage{}, groups: map[string][]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", f.api)
	mux.HandleFunc("/response/{id}", f.response)
	mux.HandleFunc("/upload/{id}", f.upload)
	mux.HandleFunc("/socket", f.socket)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(func() {
		f.mu.Lock()
		if f.conn != nil {
			f.conn.Close()
		}
		f.mu.Unlock()
		f.srv.Close()
	})
	return f
}

func (f *fakeSlack) APIURL() string { return f.srv.URL + "/api/" }

// ResponseURL returns a fresh response_url.
func (f *fakeSlack) ResponseURL() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ts++
	return fmt.Sprintf("%s/response/%d", f.srv.URL, f.ts)
}

func (f *fakeSlack) record(c call) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
}

// Calls returns the recorded calls of a method.
func (f *fakeSlack) Calls(method string) []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []call
	for _, c := range f.calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// LimitUpdates makes the next n chat.update calls answer 429.
func (f *fakeSlack) LimitUpdates(n int, retryAfter string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limitLeft, f.retryAfter = n, retryAfter
}

// FailPosts makes chat.postMessage in channel fail as Slack answers a bot
// that is not in the channel ("" posts everywhere again).
func (f *fakeSlack) FailPosts(channel string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failPosts = channel
}

// SetUserGroup puts users in a Slack user group.
func (f *fakeSlack) SetUserGroup(id string, users ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.groups[id] = users
}

// SetUserGroupHandle names a Slack user group.
func (f *fakeSlack) SetUserGroupHandle(id, handle string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.handles == nil {
		f.handles = map[string]string{}
	}
	f.handles[id] = handle
}

// File returns an uploaded file's bytes.
func (f *fakeSlack) File(id string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.files[id]
}

func decodeBody(r *http.Request) (url.Values, map[string]any, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, nil, err
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		m := map[string]any{}
		if len(bytes.TrimSpace(body)) == 0 {
			return url.Values{}, m, nil
		}
		err := json.Unmarshal(body, &m)
		return url.Values{}, m, err
	}
	form, err := url.ParseQuery(string(body))
	if q := r.URL.Query(); len(q) > 0 {
		for k, v := range q {
			form[k] = v
		}
	}
	return form, map[string]any{}, err
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (f *fakeSlack) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	form, js, err := decodeBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c := call{Method: method, Form: form, JSON: js, Path: r.URL.Path}
	// A bot token Slack does not know (revoked, mistyped) is refused by
	// every method.
	if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer xoxb-revoked") || strings.HasPrefix(c.Str("token"), "xoxb-revoked") {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch method {
	case "auth.test":
		writeJSON(w, map[string]any{"ok": true, "team_id": "T1", "team": "IGF", "user": "pollbot", "user_id": "UBOT", "bot_id": "BBOT"})
		return
	case "apps.connections.open":
		if r.Header.Get("Authorization") != "Bearer xapp-test" {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
			return
		}
		writeJSON(w, map[string]any{"ok": true, "url": "ws" + strings.TrimPrefix(f.srv.URL, "http") + "/socket"})
		return
	case "usergroups.list":
		f.record(c)
		f.mu.Lock()
		var list []map[string]any
		for id, users := range f.groups {
			list = append(list, map[string]any{"id": id, "handle": f.handles[id], "users": users})
		}
		f.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "usergroups": list})
		return
	case "chat.update":
		f.mu.Lock()
		limited := f.limitLeft > 0
		if limited {
			f.limitLeft--
		}
		retry := f.retryAfter
		f.mu.Unlock()
		if limited {
			c.Method = "chat.update:429"
			f.record(c)
			w.Header().Set("Retry-After", retry)
			w.WriteHeader(http.StatusTooManyRequests)
			writeJSON(w, map[string]any{"ok": false, "error": "ratelimited"})
			return
		}
	}
	f.mu.Lock()
	failPost := method == "chat.postMessage" && f.failPosts != "" && c.Str("channel") == f.failPosts
	f.mu.Unlock()
	if failPost {
		c.Method = "chat.postMessage:refused"
		f.record(c)
		writeJSON(w, map[string]any{"ok": false, "error": "not_in_channel"})
		return
	}
	f.record(c)
	f.mu.Lock()
	f.ts++
	ts := fmt.Sprintf("1700000000.%06d", f.ts)
	f.mu.Unlock()
	switch method {
	case "chat.postMessage":
		writeJSON(w, map[string]any{"ok": true, "channel": c.Str("channel"), "ts": ts})
	case "chat.update":
		writeJSON(w, map[string]any{"ok": true, "channel": c.Str("channel"), "ts": c.Str("ts")})
	case "chat.postEphemeral":
		writeJSON(w, map[string]any{"ok": true, "message_ts": ts})
	case "views.open":
		writeJSON(w, map[string]any{"ok": true, "view": map[string]any{"id": "V" + ts}})
	case "conversations.open":
		users := c.Str("users")
		writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + users}})
	case "files.getUploadURLExternal":
		f.mu.Lock()
		if f.uploadErr != "" {
			msg := f.uploadErr
			f.mu.Unlock()
			writeJSON(w, map[string]any{"ok": false, "error": msg})
			return
		}
		f.fileN++
		id := fmt.Sprintf("F%d", f.fileN)
		f.mu.Unlock()
		writeJSON(w, map[string]any{"ok": true, "upload_url": f.srv.URL + "/upload/" + id, "file_id": id})
	case "files.completeUploadExternal":
		var files []map[string]any
		_ = json.Unmarshal([]byte(c.Str("files")), &files)
		writeJSON(w, map[string]any{"ok": true, "files": files})
	default:
		writeJSON(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (f *fakeSlack) response(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	quiet := f.quiet
	f.mu.Unlock()
	if quiet {
		f.quietN.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
		return
	}
	_, js, err := decodeBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.record(call{Method: "response", JSON: js, Path: r.URL.Path})
	_, _ = io.WriteString(w, "ok")
}

func (f *fakeSlack) upload(w http.ResponseWriter, r *http.Request) {
	file, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	data, _ := io.ReadAll(file)
	id := r.PathValue("id")
	f.mu.Lock()
	f.files[id] = data
	f.mu.Unlock()
	f.record(call{Method: "upload", Path: r.URL.Path, Form: url.Values{"id": {id}}})
	_, _ = io.WriteString(w, "OK - "+fmt.Sprint(len(data)))
}

// upgrader accepts the Origin slack-go sends, as Slack's endpoint does.
var upgrader = websocket.Upgrader{CheckOrigin: func(r *http.Request) bool {
	return r.Header.Get("Origin") == "https://api.slack.com"
}}

func (f *fakeSlack) socket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	f.mu.Lock()
	f.conn = conn
	f.mu.Unlock()
	f.write(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "A1"}, "debug_info": map[string]any{"host": "fake"}})
	f.connWrite.Lock()
	_ = conn.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(time.Second))
	f.connWrite.Unlock()
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := conn.ReadJSON(&ack); err != nil {
			return
		}
		f.mu.Lock()
		f.acks[ack.EnvelopeID] = append(f.acks[ack.EnvelopeID], ack.Payload)
		f.mu.Unlock()
	}
}

func (f *fakeSlack) write(v any) {
	f.mu.Lock()
	conn := f.conn
	f.mu.Unlock()
	if conn == nil {
		f.t.Fatal("fake slack: no socket mode connection")
	}
	f.connWrite.Lock()
	defer f.connWrite.Unlock()
	if err := conn.WriteJSON(v); err != nil {
		f.t.Errorf("fake slack: write envelope: %v", err)
	}
}

// FailUploads makes file uploads fail with a Slack error code ("" ends it).
func (f *fakeSlack) FailUploads(code string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploadErr = code
}

// Drop closes the Socket Mode connection from Slack's side, as a network
// failure or a Slack restart does.
func (f *fakeSlack) Drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.conn != nil {
		f.conn.Close()
		f.conn = nil
	}
}

// Connected reports whether the adapter holds a Socket Mode connection.
func (f *fakeSlack) Connected() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conn != nil
}

// Envelope sends a Socket Mode envelope and returns its id; id "" picks a
// new one, a given id re-sends (a redelivery).
func (f *fakeSlack) Envelope(id, typ string, payload any) string {
	if id == "" {
		f.mu.Lock()
		f.envN++
		id = fmt.Sprintf("env-%d", f.envN)
		f.mu.Unlock()
	}
	f.write(map[string]any{"envelope_id": id, "type": typ, "payload": payload, "accepts_response_payload": typ == "slash_commands"})
	return id
}

// Acks returns the acknowledgements received for an envelope.
func (f *fakeSlack) Acks(id string) []json.RawMessage {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]json.RawMessage(nil), f.acks[id]...)
}
