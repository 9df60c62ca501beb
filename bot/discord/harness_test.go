package discord

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	catalog "github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

const (
	testApp     = "100000000000000001"
	testGuild   = "200000000000000002"
	testChannel = "300000000000000003"
	testToken   = "test-bot-token"
	govRoleID   = "400000000000000004"
	civilRoleID = "400000000000000005"
	modRoleID   = "400000000000000006"
)

// Participants. alice is a configured facilitator; bob's role maps to
// government by name, carol's to civil society by id; the others have no
// mapped role.
var (
	alice = member{id: "500000000000000001"}
	bob   = member{id: "500000000000000002", roles: []string{govRoleID}}
	carol = member{id: "500000000000000003", roles: []string{civilRoleID, modRoleID}}
	dave  = member{id: "500000000000000004"}
	erin  = member{id: "500000000000000005"}
	frank = member{id: "500000000000000006"}
)

type member struct {
	id    string
	roles []string
}

func testConfig() bot.Config {
	return bot.Config{
		Facilitators: []string{"discord:" + alice.id},
		Roles: []bot.RoleMapping{
			{Role: "discord-role:Government officials", Group: "government"},
			{Role: "discord-role:" + civilRoleID, Group: "civil-society"},
		},
	}
}

// clock is the poll service's clock; tests move it to pass deadlines.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// harness is an engine, an adapter in one mode, and a fake Discord,
// wired like cmd/pollbot wires them.
type harness struct {
	fake    *fakeDiscord
	adapter *Adapter
	engine  *bot.Engine
	svc     *polls.Service
	clock   *clock
	srv     *httptest.Server // HTTP mode: serves /discord/interactions
	priv    ed25519.PrivateKey
	httpCl  *http.Client
	n       atomic.Int64
}

type harnessOpts struct {
	http    bool
	store   polls.Store
	guildID string
	adapter []Option
	// priv, when set, is the application's signing key (HTTP mode): two
	// harnesses with one key are two replicas of one application.
	priv   ed25519.PrivateKey
	config *bot.Config // nil: testConfig()
	// printer is the engine's language (nil: English).
	printer *catalog.Printer
	// wrap, when set, wraps the HTTP handler (middleware, as serve's).
	wrap func(http.Handler) http.Handler
}

func boltStore(t testing.TB, c *clock) polls.Store {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"), boltstore.WithClock(c.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func redisStore(t testing.TB, query ...string) polls.Store {
	srv := redistest.StartServer(t)
	url := srv.URL
	for _, q := range query {
		url += q
	}
	st, err := redisstore.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func testLogger(t testing.TB) *slog.Logger {
	if _, fuzz := t.(*testing.F); testing.Verbose() && !fuzz { // a fuzz target may not log through its F
		return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(string(bytes.TrimRight(p, "\n")))
	return len(p), nil
}

func newHarness(t testing.TB, c *clock, o harnessOpts) *harness {
	t.Helper()
	fake := newFakeDiscord(t, testApp, testToken)
	fake.setRoles(testGuild, govRoleID, "Government officials", civilRoleID, "Civil society", modRoleID, "Moderators")
	bc := testConfig()
	if o.config != nil {
		bc = *o.config
	}
	var ids atomic.Int64
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	svc := polls.NewService(o.store, polls.WithGroups(bc.GroupList()), polls.WithClock(c.Now), polls.WithIDs(func() string {
		n := ids.Add(1)
		return "K7" + string(alphabet[n/31%31]) + string(alphabet[n%31])
	}))
	engOpts := []bot.EngineOption{bot.WithLogger(testLogger(t)), bot.WithChart(func(w io.Writer, r *polls.Report, g *polls.Groups) error {
		return chart.PNG(w, r, g)
	})}
	if o.printer != nil {
		engOpts = append(engOpts, bot.WithPrinter(o.printer))
	}
	eng := bot.New(svc, bc, engOpts...)
	cfg := Config{BotToken: testToken, AppID: testApp, GuildID: o.guildID, APIURL: fake.APIURL()}
	h := &harness{fake: fake, engine: eng, svc: svc, clock: c}
	if o.http {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		if o.priv != nil {
			pub, priv = o.priv.Public().(ed25519.PublicKey), o.priv
		}
		cfg.PublicKey, h.priv = hex.EncodeToString(pub), priv
	}
	opts := append([]Option{WithLogger(testLogger(t)), WithEditInterval(20 * time.Millisecond)}, o.adapter...)
	a, err := New(eng, cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	h.adapter = a
	mux := http.NewServeMux()
	a.Mount(mux)
	var handler http.Handler = mux
	if o.wrap != nil {
		handler = o.wrap(mux)
	}
	h.srv = httptest.NewServer(handler)
	t.Cleanup(h.srv.Close)
	h.httpCl = h.srv.Client()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(60 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	})
	waitFor(t, "command registration", func() bool {
		fake.mu.Lock()
		defer fake.mu.Unlock()
		return len(fake.commands) > 0
	})
	if !o.http {
		waitFor(t, "gateway connection", func() bool {
			fake.wsMu.Lock()
			defer fake.wsMu.Unlock()
			return fake.ready
		})
	}
	return h
}

// base is an interaction from a guild member.
func (h *harness) base(m member, typ int) map[string]any {
	n := h.n.Add(1)
	roles := m.roles
	if roles == nil {
		roles = []string{}
	}
	return map[string]any{
		"id": fmt.Sprintf("7%017d", n), "application_id": testApp, "type": typ,
		"token": fmt.Sprintf("itoken-%d", n), "version": 1,
		"guild_id": testGuild, "channel_id": testChannel,
		"member": map[string]any{"user": map[string]any{"id": m.id, "username": "u" + m.id[len(m.id)-2:]}, "roles": roles},
	}
}

// opt is a typed command option.
type opt struct {
	name  string
	typ   int // 3 string, 4 integer, 5 boolean, 6 user, 10 number
	value any
}

func str(name, v string) opt { return opt{name, 3, v} }

func (h *harness) command(m member, sub string, opts ...opt) map[string]any {
	in := h.base(m, 2)
	var os []map[string]any
	for _, o := range opts {
		os = append(os, map[string]any{"name": o.name, "type": o.typ, "value": o.value})
	}
	in["data"] = map[string]any{"id": "800000000000000001", "name": "poll", "type": 1,
		"options": []any{map[string]any{"name": sub, "type": 1, "options": os}}}
	return in
}

func (h *harness) click(m member, msgID, customID string, values ...string) map[string]any {
	in := h.base(m, 3)
	data := map[string]any{"custom_id": customID, "component_type": 2}
	if values != nil {
		data["component_type"] = 3
		data["values"] = values
	}
	in["data"] = data
	in["message"] = map[string]any{"id": msgID, "channel_id": testChannel}
	return in
}

func (h *harness) modal(m member, msgID, customID, value string) map[string]any {
	in := h.base(m, 5)
	in["data"] = map[string]any{"custom_id": customID, "components": []any{
		map[string]any{"type": 1, "components": []any{map[string]any{"type": 4, "custom_id": rankInputID, "value": value}}},
	}}
	in["message"] = map[string]any{"id": msgID, "channel_id": testChannel}
	return in
}

// reply is an interaction and the response it got.
type reply struct {
	ID, Token string
	Type      int
	Data      map[string]any
}

func (r reply) content() string { s, _ := r.Data["content"].(string); return s }

func (r reply) flags() int { f, _ := r.Data["flags"].(float64); return int(f) }

// interact delivers an interaction the way the mode does (gateway
// dispatch or signed POST) and returns the response.
func (h *harness) interact(t testing.TB, in map[string]any) reply {
	t.Helper()
	r := reply{ID: in["id"].(string), Token: in["token"].(string)}
	var resp map[string]any
	if h.priv != nil {
		body, _ := json.Marshal(in)
		status, data := h.post(t, body, h.sign(body, time.Now()))
		if status != http.StatusOK {
			t.Fatalf("POST interaction: %d %s", status, data)
		}
		if err := json.Unmarshal(data, &resp); err != nil {
			t.Fatalf("response: %v: %s", err, data)
		}
	} else {
		h.fake.dispatch(t, in)
		resp = h.fake.callbackFor(t, r.ID).Payload
	}
	typ, _ := resp["type"].(float64)
	r.Type = int(typ)
	r.Data, _ = resp["data"].(map[string]any)
	return r
}

type sig struct{ ts, sig string }

func (h *harness) sign(body []byte, at time.Time) sig {
	ts := strconv.FormatInt(at.Unix(), 10)
	return sig{ts, hex.EncodeToString(ed25519.Sign(h.priv, append([]byte(ts), body...)))}
}

func (h *harness) post(t testing.TB, body []byte, s sig) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/discord/interactions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if s.ts != "" {
		req.Header.Set("X-Signature-Timestamp", s.ts)
	}
	if s.sig != "" {
		req.Header.Set("X-Signature-Ed25519", s.sig)
	}
	resp, err := h.httpCl.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

func edKey() (ed25519.PublicKey, ed25519.PrivateKey, error) { return ed25519.GenerateKey(nil) }
