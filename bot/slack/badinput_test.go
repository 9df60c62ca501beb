package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/polls"
)

// Bad input at every Slack entry point: oversized bodies, invalid UTF-8,
// deeply nested JSON, huge labels, thousands of themes or actions. Each is
// refused with a status and, where the request is authentic, a message to
// the sender that names the problem and the limit; nothing is stored and
// memory stays bounded.

const limit = kit.MaxBody

// allocated returns the bytes allocated while f runs (all goroutines; the
// tests using it do not run in parallel).
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// countingReader yields an endless body of 'a's and counts what was read.
type countingReader struct{ n int64 }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += int64(len(p))
	return len(p), nil
}

// nothingStored fails if any poll, ballot or message exists in the tenant.
func (e *env) nothingStored(t *testing.T) {
	t.Helper()
	page, err := e.svc.List(context.Background(), tenant, polls.PollQuery{})
	ps := page.Polls
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 0 {
		t.Errorf("bad input stored %d polls (first: %q)", len(ps), ps[0].Title)
	}
	if n := len(e.fake.Calls("chat.postMessage")); n != 0 {
		t.Errorf("bad input posted %d messages", n)
	}
}

// ackText returns the text of a command acknowledgement: its blocks'
// texts, checked against Slack's limits.
func ackText(t *testing.T, ack string) string {
	t.Helper()
	var m struct {
		ResponseType string `json:"response_type"`
		Text         string `json:"text"`
		Blocks       []struct {
			Type string `json:"type"`
			Text *struct {
				Text string `json:"text"`
			} `json:"text"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal([]byte(ack), &m); err != nil {
		t.Fatalf("ack %.200q: %v", ack, err)
	}
	if m.ResponseType != "ephemeral" {
		t.Errorf("ack response_type %q, want ephemeral", m.ResponseType)
	}
	if len(m.Blocks) > 50 {
		t.Errorf("ack has %d blocks; Slack allows 50", len(m.Blocks))
	}
	if n := utf8.RuneCountInString(m.Text); n > 3000 {
		t.Errorf("ack text %d characters", n)
	}
	var b strings.Builder
	for _, bl := range m.Blocks {
		if bl.Text == nil {
			continue
		}
		if n := utf8.RuneCountInString(bl.Text.Text); n > 3000 {
			t.Errorf("%s block text is %d characters; Slack allows 3000", bl.Type, n)
		}
		b.WriteString(bl.Text.Text + "\n")
	}
	return b.String()
}

// signedRequest is a signed HTTP-mode request for path.
func signedRequest(path string, body io.Reader, signed string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sign(req.Header, signed, time.Now(), secret)
	return req
}

// TestOversizedBodies: a body over 1 MiB is answered 413 at every
// endpoint, whether its length is declared or not, before the signature is
// checked, reading at most limit+1 bytes and allocating little.
func TestOversizedBodies(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	handler := e.http.Config.Handler
	for _, path := range []string{"/slack/commands", "/slack/interactions", "/slack/events"} {
		t.Run(path, func(t *testing.T) {
			// Through the real server, signed: a correct signature does not
			// make an oversized body acceptable.
			form := url.Values{}
			for k, v := range e.commandPayload("UFAC", `open "T" "A" "B"`) {
				form.Set(k, v)
			}
			form.Set("pad", strings.Repeat("x", limit))
			code, body := e.post(path, form, nil)
			if code != http.StatusRequestEntityTooLarge || !strings.Contains(body, fmt.Sprintf("at most %d bytes", limit)) {
				t.Errorf("signed %d-byte body: HTTP %d %q, want 413 naming the limit", len(form.Encode()), code, body)
			}

			// No declared length: read until one byte past the limit.
			body1 := &countingReader{}
			req := signedRequest(path, io.LimitReader(body1, 8*limit), "")
			req.ContentLength = -1
			rec := httptest.NewRecorder()
			bytes := allocated(func() { handler.ServeHTTP(rec, req) })
			if rec.Code != http.StatusRequestEntityTooLarge {
				t.Errorf("unknown length: HTTP %d %q, want 413", rec.Code, rec.Body)
			}
			if body1.n > limit+1 {
				t.Errorf("read %d bytes of an oversized body; the limit is %d", body1.n, limit)
			}
			if bytes > 4<<20 {
				t.Errorf("refusing an oversized body allocated %d bytes, want < 4 MiB", bytes)
			}

			// A declared length over the limit: nothing is read.
			body2 := &countingReader{}
			req = signedRequest(path, io.LimitReader(body2, 8*limit), "")
			req.ContentLength = 8 * limit
			rec = httptest.NewRecorder()
			bytes = allocated(func() { handler.ServeHTTP(rec, req) })
			if rec.Code != http.StatusRequestEntityTooLarge || body2.n != 0 {
				t.Errorf("declared length: HTTP %d after reading %d bytes, want 413 after none", rec.Code, body2.n)
			}
			if bytes > 64<<10 {
				t.Errorf("refusing a declared oversized body allocated %d bytes, want < 64 KiB", bytes)
			}
		})
	}
	// At the limit exactly, the body is read and its signature checked.
	pad := url.Values{"x": {""}}.Encode()
	body := pad + strings.Repeat("a", limit-len(pad))
	req := signedRequest("/slack/events", strings.NewReader(body), "forged")
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusUnauthorized {
		t.Errorf("a %d-byte body with a bad signature: HTTP %d, want 401", len(body), rec.Code)
	}
	e.nothingStored(t)
}

// TestBadCommandText sends signed slash commands with bad text, in HTTP
// mode and in Socket Mode: the sender is told what is wrong and the limit,
// and nothing is stored.
func TestBadCommandText(t *testing.T) {
	long := strings.Repeat("x", 10000)
	many := func(n int) string {
		var b strings.Builder
		b.WriteString(`open "Too many"`)
		for i := range n {
			fmt.Fprintf(&b, " T%d", i)
		}
		return b.String()
	}
	cases := []struct {
		name, text string
		want       []string
	}{
		{"10,000-character label", `open "T" "` + long + `" "B"`, []string{"too long", "at most 25 themes, each at most 80 characters", "Usage: /poll open"}},
		{"9,000-character label", `open "T" "` + long[:9000] + `" "B"`, []string{"Theme 1 is 9000 characters; at most 80.", "Usage: /poll open"}},
		{"9,000-character title", `open "` + long[:9000] + `" "A" "B"`, []string{"The title is 9000 characters; at most 200."}},
		{"5,000 themes", many(5000), []string{"too long", "at most 25 themes"}},
		{"40 themes", many(40), []string{"40 themes given; at most 25."}},
		{"NUL in a label", "open \"T\" \"A\x00B\" \"C\"", []string{"Theme 1 contains a control character (U+0000)"}},
		{"ESC in the title", "open \"T\x1b[2J\" \"A\" \"B\"", []string{"The title contains a control character (U+001B)"}},
		{"RTL override", "open \"T\" \"A\u202eB\" \"C\"", []string{"Theme 1 contains a text-direction control (U+202E)"}},
		{"a 1 MiB-ish line", "open " + strings.Repeat("y", 900_000), []string{"too long: at most 100 words and 10000 bytes"}},
	}
	for _, mode := range []struct {
		name   string
		socket bool
	}{{"http", false}, {"socket", true}} {
		t.Run(mode.name, func(t *testing.T) {
			e := newEnv(t, mode.socket, boltStore(t))
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					got := ackText(t, e.command("UFAC", tc.text))
					for _, w := range tc.want {
						if !strings.Contains(got, w) {
							t.Errorf("reply %.300q\nlacks %q", got, w)
						}
					}
				})
			}
			// Invalid UTF-8 reaches HTTP mode as raw bytes (the form is not
			// JSON) and is refused by the grammar; Socket Mode's JSON turns
			// them into U+FFFD, which titles and labels may not carry.
			got := ackText(t, e.command("UFAC", "open \"T\" \"A\xff\" \"B\""))
			want := "The command is not valid text (UTF-8)."
			if mode.socket {
				want = "Theme 1 contains U+FFFD"
			}
			if !strings.Contains(got, want) {
				t.Errorf("invalid UTF-8: reply %q lacks %q", got, want)
			}
			e.nothingStored(t)
		})
	}
}

// TestCommandTextAllocations: refusing a 900 KB command costs a few copies
// of it (form decoding, unescaping), not more.
func TestCommandTextAllocations(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	form := url.Values{}
	for k, v := range e.commandPayload("UFAC", "open "+strings.Repeat("y", 900_000)) {
		form.Set(k, v)
	}
	body := form.Encode()
	req := signedRequest("/slack/commands", strings.NewReader(body), body)
	rec := httptest.NewRecorder()
	bytes := allocated(func() { e.http.Config.Handler.ServeHTTP(rec, req) })
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "too long") {
		t.Fatalf("HTTP %d %.200q", rec.Code, rec.Body)
	}
	if bytes > 6<<20 {
		t.Errorf("a %d-byte command allocated %d bytes, want < 6 MiB", len(body), bytes)
	}
	e.nothingStored(t)
}

// nested returns n opening brackets then n closing ones.
func nested(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// TestDeeplyNestedJSON: 100,000 nested arrays in an authentic payload are
// a 400, in bounded time and memory (encoding/json stops at depth 10,000).
func TestDeeplyNestedJSON(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	for _, tc := range []struct {
		path string
		form url.Values
		body string
	}{
		{path: "/slack/interactions", form: url.Values{"payload": {`{"type":"block_actions","actions":` + nested(100_000) + `}`}}},
		{path: "/slack/interactions", form: url.Values{"payload": {nested(150_000)}}},
		{path: "/slack/events", body: `{"type":"event_callback","event":` + nested(100_000) + `}`},
		// Under encoding/json's own limit, but far deeper than any Slack
		// payload: refused before a library decodes it level by level.
		{path: "/slack/interactions", form: url.Values{"payload": {`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"message":{"blocks":[{"type":"rich_text","elements":[` +
			strings.Repeat(`{"type":"rich_text_list","elements":[`, 4000) + strings.Repeat(`]}`, 4000) + `]}]}}`}}},
	} {
		body := tc.body
		if tc.form != nil {
			body = tc.form.Encode()
		}
		req := signedRequest(tc.path, strings.NewReader(body), body)
		rec := httptest.NewRecorder()
		start := time.Now()
		bytes := allocated(func() { e.http.Config.Handler.ServeHTTP(rec, req) })
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s, %d nested bytes: HTTP %d %q, want 400", tc.path, len(body), rec.Code, rec.Body)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s: refusing nested JSON took %v", tc.path, d)
		}
		if bytes > 8<<20 {
			t.Errorf("%s: a %d-byte nested body allocated %d bytes, want < 8 MiB", tc.path, len(body), bytes)
		}
	}
	e.nothingStored(t)
}

// TestBadInteractions: clicks with control ids pollbot did not make, huge
// or invalid, and payloads carrying thousands of actions or ranking
// positions, are answered without storing anything they should not.
func TestBadInteractions(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	p := e.open(`open "T" "A" "B" --kind ranked`)
	e.command("UCIV", "group civil society")
	before := e.votes(p.ID)

	post := func(payload any) (int, string) {
		t.Helper()
		data, err := json.Marshal(payload)
		if err != nil {
			t.Fatal(err)
		}
		return e.post("/slack/interactions", url.Values{"payload": {string(data)}}, nil)
	}
	for name, id := range map[string]string{
		"100 KB action id":       "pollbot:vote:" + p.ID + ":" + strings.Repeat("1", 100_000),
		"invalid UTF-8":          "pollbot:vote:\xff\xfe:1",
		"theme out of range":     "pollbot:vote:" + p.ID + ":5000",
		"10 KB poll id":          "pollbot:rank:" + strings.Repeat("K", 10_000),
		"NUL in the action":      "pollbot:vote:" + p.ID + "\x00:1",
		"RTL override in a poll": "pollbot:vote:\u202e" + p.ID + ":1",
	} {
		if code, body := post(e.clickPayload("UCIV", id, false)); code != http.StatusOK {
			t.Errorf("%s: HTTP %d %q, want 200 (acknowledged, ignored)", name, code, body)
		}
	}

	// A view submission ranking 5,000 positions is refused in the modal.
	values := map[string]any{}
	for i := 1; i <= 5000; i++ {
		values[fmt.Sprintf("rank%d", i)] = map[string]any{"theme": map[string]any{"type": "static_select", "selected_option": map[string]any{"value": fmt.Sprint(1 + i%2)}}}
	}
	code, body := post(map[string]any{
		"type": "view_submission", "team": map[string]any{"id": team}, "user": map[string]any{"id": "UCIV"},
		"trigger_id": "trig-view-huge",
		"view":       map[string]any{"callback_id": "pollbot:rankform:" + p.ID, "private_metadata": "C1", "state": map[string]any{"values": values}},
	})
	if code != http.StatusOK || !strings.Contains(body, `"response_action":"errors"`) || !strings.Contains(body, "chosen twice") {
		t.Errorf("5,000-position ranking: HTTP %d %.300q, want the modal kept open with the problem", code, body)
	}
	if got := e.votes(p.ID); !equal(got, before) {
		t.Errorf("bad interactions changed the votes: %v, want %v", got, before)
	}

	// 1,000 actions in one payload (Slack sends one): at most 25 are
	// acted on. The first 25 choose theme 1, the rest theme 2.
	e = newEnv(t, false, boltStore(t))
	e.command("UCIV", "group civil society")
	q := e.open(`open "Approve" "A" "B"`)
	click := e.clickPayload("UCIV", bot.VoteAction(q.ID, 0), false)
	first := click["actions"].([]any)[0].(map[string]any)
	var acts []any
	for i := range 1000 {
		a := map[string]any{}
		for k, v := range first {
			a[k] = v
		}
		a["action_ts"] = fmt.Sprintf("1800000000.%06d", i)
		if i >= 25 {
			a["action_id"] = bot.VoteAction(q.ID, 1)
		}
		acts = append(acts, a)
	}
	click["actions"] = acts
	start := time.Now()
	if code, body := post(click); code != http.StatusOK {
		t.Fatalf("1,000 actions: HTTP %d %q", code, body)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("1,000 actions took %v", d)
	}
	if got := e.votes(q.ID); !equal(got, []float64{1, 0}) {
		t.Errorf("1,000 actions: votes %v, want [1 0] (only the first 25 acted on)", got)
	}
	if tl := tallyOf(t, e, q.ID); tl.Total() != 1 {
		t.Errorf("1,000 actions: %d ballots, want 1", tl.Total())
	}
}

func tallyOf(t *testing.T, e *env, id string) polls.Tally {
	t.Helper()
	_, tl, err := e.svc.Tally(context.Background(), tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// TestLongRepliesFitSlack: replies that repeat long input (an unknown
// preset of 9,000 characters, an unknown group) stay within Block Kit's
// limits.
func TestLongRepliesFitSlack(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	for _, text := range []string{
		`preset "` + strings.Repeat("p", 9000) + `"`,
		`group "` + strings.Repeat("g", 9000) + `"`,
		`vote K7QX "` + strings.Repeat("v", 9000) + `"`,
		`help ` + strings.Repeat("h", 9000),
		`frobnicate ` + strings.Repeat("z\n", 4000),
	} {
		got := ackText(t, e.command("UFAC", text))
		if got == "" {
			t.Errorf("%.40q: empty reply", text)
		}
	}
	e.nothingStored(t)
}

// TestOversizedEnvelope: a Socket Mode envelope over 1 MiB is never
// acknowledged or acted on; the connection is dropped and re-opened, and
// the next envelope is handled.
func TestOversizedEnvelope(t *testing.T) {
	e := newEnv(t, true, boltStore(t))
	e.fake.mu.Lock()
	conn := e.fake.conn
	e.fake.mu.Unlock()
	big := e.commandPayload("UFAC", `open "T" "A" "B"`)
	big["pad"] = strings.Repeat("x", limit)
	// Written by hand: the adapter may drop the connection mid-frame.
	const id = "env-big"
	e.fake.connWrite.Lock()
	_ = conn.WriteJSON(map[string]any{"envelope_id": id, "type": "slash_commands", "payload": big, "accepts_response_payload": true})
	e.fake.connWrite.Unlock()
	waitFor(t, "a new Socket Mode connection", func() bool {
		e.fake.mu.Lock()
		defer e.fake.mu.Unlock()
		return e.fake.conn != nil && e.fake.conn != conn
	})
	if acks := e.fake.Acks(id); len(acks) != 0 {
		t.Errorf("oversized envelope acknowledged: %s", acks)
	}
	e.nothingStored(t)
	if ack := ackText(t, e.command("UFAC", "help")); !strings.Contains(ack, "/poll open") {
		t.Errorf("after reconnecting: help = %q", ack)
	}
}
