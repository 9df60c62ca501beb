package loadgen

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"
)

const testSecret = "8f742231b10e8888abcd99yyyzzz85a5"

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// capture is a server that hands each request's headers and body to a
// test through a channel and answers with status and body.
func capture(t *testing.T, status int, answer string) (*httptest.Server, <-chan *http.Request) {
	t.Helper()
	ch := make(chan *http.Request, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r2 := r.Clone(context.Background())
		r2.Body = io.NopCloser(strings.NewReader(string(body)))
		ch <- r2
		w.WriteHeader(status)
		_, _ = io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv, ch
}

func TestSlackSignatureVerifiesWithSlackGo(t *testing.T) {
	base, err := Serve("", SlackBaseline(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.Close() })
	for _, tc := range []struct {
		name   string
		secret string
		now    func() time.Time
		want   int
	}{
		{"right secret", testSecret, nil, 200},
		{"wrong secret", "not-the-secret", nil, 401},
		{"stale timestamp", testSecret, func() time.Time { return time.Now().Add(-6 * time.Minute) }, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewSlack(ctx(t), SlackConfig{BaseURL: base.URL, SigningSecret: tc.secret, Now: tc.now})
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Click(ctx(t), "U0001", "pollbot:vote:K7QX:1")
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.want {
				t.Errorf("click: HTTP %d, want %d", r.Status, tc.want)
			}
			r, err = s.Command(ctx(t), "U0001", `group "civil society"`)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.want {
				t.Errorf("command: HTTP %d, want %d", r.Status, tc.want)
			}
		})
	}

	// SignSlack alone, checked by slack-go directly.
	h := http.Header{}
	body := []byte("payload=%7B%7D")
	SignSlack(h, testSecret, body, time.Now())
	sv, err := slack.NewSecretsVerifier(h, testSecret)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = sv.Write(body)
	if err := sv.Ensure(); err != nil {
		t.Errorf("SignSlack: %v", err)
	}
}

func TestSlackClickParsesAsInteractionCallback(t *testing.T) {
	srv, reqs := capture(t, 200, "")
	s, err := NewSlack(ctx(t), SlackConfig{BaseURL: srv.URL, SigningSecret: testSecret, ResponseURL: "http://127.0.0.1:9/slack/response"})
	if err != nil {
		t.Fatal(err)
	}
	// A user id with characters JSON and URLs escape, to check both.
	const user = `U"odd\user 1`
	if _, err := s.Click(ctx(t), user, "pollbot:vote:K7QX:3"); err != nil {
		t.Fatal(err)
	}
	r := <-reqs
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("Content-Type %q", ct)
	}
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(r.PostForm.Get("payload")), &cb); err != nil {
		t.Fatalf("slack-go cannot decode the payload: %v\n%s", err, r.PostForm.Get("payload"))
	}
	if cb.Type != slack.InteractionTypeBlockActions || cb.Team.ID != DefaultSlackTeam || cb.User.ID != user ||
		cb.Channel.ID != DefaultSlackChannel || cb.Container.ChannelID != DefaultSlackChannel || cb.Container.Type != "message" ||
		cb.Container.IsEphemeral || cb.TriggerID == "" {
		t.Errorf("callback = %+v", cb)
	}
	if want := "http://127.0.0.1:9/slack/response/U%22odd%5Cuser%201/"; !strings.HasPrefix(cb.ResponseURL, want) {
		t.Errorf("response_url %q, want prefix %q", cb.ResponseURL, want)
	}
	acts := cb.ActionCallback.BlockActions
	if len(acts) != 1 {
		t.Fatalf("%d actions", len(acts))
	}
	a := acts[0]
	if a.ActionID != "pollbot:vote:K7QX:3" || a.Value != a.ActionID || a.BlockID == "" || a.ActionTs == "" || a.Type != slack.ActionType("button") {
		t.Errorf("action = %+v", a)
	}
	// Another click has another action_ts and trigger_id: pollbot must not
	// take it for a retry.
	if _, err := s.Click(ctx(t), user, "pollbot:vote:K7QX:3"); err != nil {
		t.Fatal(err)
	}
	r2 := <-reqs
	_ = r2.ParseForm()
	var cb2 slack.InteractionCallback
	_ = json.Unmarshal([]byte(r2.PostForm.Get("payload")), &cb2)
	if cb2.ActionCallback.BlockActions[0].ActionTs == a.ActionTs || cb2.TriggerID == cb.TriggerID {
		t.Errorf("two clicks share action_ts %q or trigger_id %q", a.ActionTs, cb.TriggerID)
	}
}

func TestSlackCommandParses(t *testing.T) {
	srv, reqs := capture(t, 200, `{"response_type":"ephemeral","text":"ok"}`)
	s, err := NewSlack(ctx(t), SlackConfig{BaseURL: srv.URL + "/", SigningSecret: testSecret, ResponseURL: "http://localhost:9/r"})
	if err != nil {
		t.Fatal(err)
	}
	const text = `open "Theme & co" “DNS abuse” --quorum 1`
	rep, err := s.Command(ctx(t), "UFAC", text)
	if err != nil || rep.Err() != nil || !strings.Contains(string(rep.Body), `"ok"`) {
		t.Fatalf("Command: %+v, %v", rep, err)
	}
	r := <-reqs
	if r.URL.Path != "/slack/commands" {
		t.Errorf("path %q", r.URL.Path)
	}
	sc, err := slack.SlashCommandParse(r)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Text != text || sc.Command != "/poll" || sc.UserID != "UFAC" || sc.TeamID != DefaultSlackTeam ||
		sc.ChannelID != DefaultSlackChannel || sc.TriggerID == "" || !strings.HasPrefix(sc.ResponseURL, "http://localhost:9/r/UFAC/") {
		t.Errorf("slash command = %+v", sc)
	}
}

func testKey(t *testing.T) ed25519.PrivateKey {
	k, err := KeyFromSeed(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestDiscordSignatureVerifiesWithDiscordgo(t *testing.T) {
	key := testKey(t)
	pub := key.Public().(ed25519.PublicKey)
	if PublicKeyHex(key) != hex.EncodeToString(pub) || len(PublicKeyHex(key)) != 64 {
		t.Errorf("PublicKeyHex = %q", PublicKeyHex(key))
	}
	if _, err := KeyFromSeed("abc"); err == nil {
		t.Error("KeyFromSeed accepted a short seed")
	}
	base, err := Serve("", DiscordBaseline(pub))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { base.Close() })
	_, other, _ := ed25519.GenerateKey(nil)
	for _, tc := range []struct {
		name string
		key  ed25519.PrivateKey
		now  func() time.Time
		want int
	}{
		{"right key", key, nil, 200},
		{"wrong key", other, nil, 401},
		{"stale timestamp", key, func() time.Time { return time.Now().Add(-6 * time.Minute) }, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewDiscord(ctx(t), DiscordConfig{BaseURL: base.URL, PrivateKey: tc.key, Now: tc.now})
			if err != nil {
				t.Fatal(err)
			}
			r, err := d.Click(ctx(t), Member{ID: "500000000000000001"}, "900000000000000001", "pollbot:vote:K7QX:1")
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != tc.want {
				t.Errorf("HTTP %d, want %d", r.Status, tc.want)
			}
			if tc.want == 200 && (r.Type != 1 || r.Err(1) != nil) {
				t.Errorf("reply %+v", r)
			}
			if tc.want != 200 && ErrorKind(r.Err(7)) != "HTTP 401" {
				t.Errorf("error kind %q", ErrorKind(r.Err(7)))
			}
		})
	}
}

func TestDiscordInteractionsParse(t *testing.T) {
	srv, reqs := capture(t, 200, `{"type":4,"data":{"content":"Your ballot","flags":64,"embeds":[]}}`)
	key := testKey(t)
	d, err := NewDiscord(ctx(t), DiscordConfig{BaseURL: srv.URL, PrivateKey: key})
	if err != nil {
		t.Fatal(err)
	}
	m := Member{ID: "500000000000000001", Roles: []string{"400000000000000004", "400000000000000005"}}
	decode := func() discordgo.Interaction {
		t.Helper()
		r := <-reqs
		if !discordgo.VerifyInteraction(r, key.Public().(ed25519.PublicKey)) {
			t.Error("discordgo does not verify the signature")
		}
		body, _ := io.ReadAll(r.Body)
		var in discordgo.Interaction
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("discordgo cannot decode: %v\n%s", err, body)
		}
		if in.AppID != DefaultDiscordApp || in.GuildID != DefaultDiscordGuild || in.ChannelID != DefaultDiscordChannel ||
			in.Member == nil || in.Member.User.ID != m.ID || strings.Join(in.Member.Roles, ",") != strings.Join(m.Roles, ",") ||
			in.ID == "" || tokenUserOnly(in.Token) != m.ID || in.Version != 1 {
			t.Errorf("interaction = %+v", in)
		}
		return in
	}

	rep, err := d.Click(ctx(t), m, "900000000000000001", "pollbot:vote:K7QX:2")
	if err != nil || rep.Type != 4 || rep.Content != "Your ballot" || rep.Flags != 64 {
		t.Fatalf("Click reply %+v, %v", rep, err)
	}
	if err := rep.Err(7); ErrorKind(err) != "discord type 4" {
		t.Errorf("Err(7) = %v", err)
	}
	in := decode()
	if in.Type != discordgo.InteractionMessageComponent || in.Message == nil || in.Message.ID != "900000000000000001" {
		t.Errorf("click = %+v", in)
	}
	if cd := in.MessageComponentData(); cd.CustomID != "pollbot:vote:K7QX:2" || cd.ComponentType != discordgo.ButtonComponent {
		t.Errorf("component data = %+v", cd)
	}

	if _, err := d.Select(ctx(t), m, "900000000000000001", "pollbot:dc:select:K7QX", "1", "3"); err != nil {
		t.Fatal(err)
	}
	in = decode()
	if cd := in.MessageComponentData(); cd.ComponentType != discordgo.SelectMenuComponent || strings.Join(cd.Values, ",") != "1,3" {
		t.Errorf("select data = %+v", cd)
	}

	if _, err := d.Command(ctx(t), m, "open", StringOpt("title", "Bench"), StringOpt("themes", "A; B"), IntOpt("quorum", 1), BoolOpt("anonymous", false)); err != nil {
		t.Fatal(err)
	}
	in = decode()
	data := in.ApplicationCommandData()
	if in.Type != discordgo.InteractionApplicationCommand || data.Name != "poll" || len(data.Options) != 1 || data.Options[0].Name != "open" {
		t.Fatalf("command = %+v", data)
	}
	opts := data.Options[0].Options
	if len(opts) != 4 || opts[0].StringValue() != "Bench" || opts[1].StringValue() != "A; B" || opts[2].IntValue() != 1 || opts[3].BoolValue() {
		t.Errorf("options = %+v", opts)
	}

	if _, err := d.Ping(ctx(t)); err != nil {
		t.Fatal(err)
	}
	r := <-reqs
	var ping discordgo.Interaction
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &ping); err != nil || ping.Type != discordgo.InteractionPing {
		t.Errorf("ping = %s (%v)", body, err)
	}
}

func TestUniqueIDsAcrossClients(t *testing.T) {
	a, b := nextUniq(), nextUniq()
	if a == b || len(interactionToken("1", a)) > 40 {
		t.Errorf("ids %d %d", a, b)
	}
	if got, stamp := tokenUser(interactionToken("user-with-dash", 42)); got != "user-with-dash" || stamp != "" {
		t.Errorf("tokenUser round trip = %q, stamp %q", got, stamp)
	}
	if got, stamp := tokenUser("lg-7001-42.123456"); got != "7001" || stamp != "123456" {
		t.Errorf("tokenUser of a click's token = %q, stamp %q", got, stamp)
	}
	if tokenUserOnly("not-ours") != "" || tokenUserOnly("xyz") != "" {
		t.Error("tokenUser accepted a foreign token")
	}
}

func tokenUserOnly(token string) string {
	u, _ := tokenUser(token)
	return u
}

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		target string
		ok     bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.9.9.9:1/x", true},
		{"http://[::1]:8080", true},
		{"http://localhost:8080", true},
		{"127.0.0.1:0", true},
		{"http://10.0.0.1:8080", false},
		{"http://8.8.8.8", false},
		{"http://[::2]:80", false},
		{"http://0.0.0.0:8080", false},
		{"0.0.0.0:0", false},
		{"http://:8080", false},
		{"http://no-such-host.invalid:80", false},
	} {
		err := CheckLoopback(ctx(t), tc.target)
		if (err == nil) != tc.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok=%v", tc.target, err, tc.ok)
		}
		if err != nil && !errors.Is(err, ErrNotLoopback) {
			t.Errorf("CheckLoopback(%q) = %v, not ErrNotLoopback", tc.target, err)
		}
	}
	if _, err := NewSlack(ctx(t), SlackConfig{BaseURL: "http://192.0.2.1:8080", SigningSecret: "x"}); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("NewSlack: %v", err)
	}
	if _, err := NewSlack(ctx(t), SlackConfig{BaseURL: "http://127.0.0.1:8080", SigningSecret: "x", ResponseURL: "https://hooks.slack.com/x"}); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("NewSlack with a public response URL: %v", err)
	}
	if _, err := NewDiscord(ctx(t), DiscordConfig{BaseURL: "http://192.0.2.1:8080", PrivateKey: testKey(t)}); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("NewDiscord: %v", err)
	}
	if _, err := StartSink(ctx(t), SinkConfig{Addr: "0.0.0.0:0"}); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("StartSink: %v", err)
	}
	if _, err := Serve("192.0.2.1:0", http.NotFoundHandler()); !errors.Is(err, ErrNotLoopback) {
		t.Errorf("Serve: %v", err)
	}
	var calls atomic.Int64
	_, err := Run(ctx(t), RunConfig{Target: "http://192.0.2.1", Clients: 1, Count: 1}, func(context.Context, int, int64, time.Time) error {
		calls.Add(1)
		return nil
	})
	if !errors.Is(err, ErrNotLoopback) || calls.Load() != 0 {
		t.Errorf("Run against a public address: %v, %d calls", err, calls.Load())
	}
}

func TestRunBounds(t *testing.T) {
	op := func(context.Context, int, int64, time.Time) error { return nil }
	for _, cfg := range []RunConfig{
		{Target: "http://127.0.0.1", Clients: 1},
		{Target: "http://127.0.0.1", Clients: 0, Count: 1},
		{Target: "http://127.0.0.1", Clients: 1, Count: MaxCount + 1},
		{Target: "http://127.0.0.1", Clients: 1, Duration: MaxDuration + time.Second},
		{Target: "http://127.0.0.1", Clients: 1, Count: 1, Rate: -1},
		{Target: "http://127.0.0.1", Clients: 1, Count: 1, Rate: MaxRate + 1},
		{Target: "http://127.0.0.1", Clients: 1, Count: -1},
	} {
		if _, err := Run(ctx(t), cfg, op); !errors.Is(err, ErrBounds) {
			t.Errorf("Run(%+v) = %v, want ErrBounds", cfg, err)
		}
	}
}

func TestRunCountsAndErrors(t *testing.T) {
	var seen [1000]atomic.Int32
	res, err := Run(ctx(t), RunConfig{Target: "http://127.0.0.1:1", Clients: 7, Count: 1000}, func(_ context.Context, c int, i int64, _ time.Time) error {
		if c < 0 || c >= 7 {
			t.Errorf("client %d", c)
		}
		seen[i].Add(1)
		switch {
		case i%10 == 0:
			return &StatusError{Code: 500}
		case i%25 == 1:
			return &UnexpectedTypeError{Got: 4, Want: 7}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range seen {
		if n := seen[i].Load(); n != 1 {
			t.Fatalf("operation %d ran %d times", i, n)
		}
	}
	if res.Ops != 1000 || res.OK != 860 || res.Errors["HTTP 500"] != 100 || res.Errors["discord type 4"] != 40 || len(res.Errors) != 2 {
		t.Errorf("result %v", res)
	}
	if s := res.ErrorSamples; len(s) != 2 || !strings.HasPrefix(s["HTTP 500"], "HTTP 500") || !strings.Contains(s["discord type 4"], "type 4, want 7") {
		t.Errorf("error samples %q", s)
	}
	if res.PerSec <= 0 || res.Elapsed <= 0 {
		t.Errorf("rate %v in %v", res.PerSec, res.Elapsed)
	}
}

func TestRunDuration(t *testing.T) {
	start := time.Now()
	res, err := Run(ctx(t), RunConfig{Target: "http://localhost", Clients: 3, Duration: 100 * time.Millisecond}, func(context.Context, int, int64, time.Time) error {
		time.Sleep(time.Millisecond)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("a 100 ms run took %v", d)
	}
	if res.Ops == 0 || res.OK != res.Ops || res.P50 < time.Millisecond {
		t.Errorf("result %v", res)
	}
}

// TestRunOpenLoopSchedule checks the open-loop timetable: operation i is
// due exactly i/rate after the first, never started before it is due, and
// the schedule ends with the duration.
func TestRunOpenLoopSchedule(t *testing.T) {
	var dues [200]time.Time
	var early atomic.Int32
	res, err := Run(ctx(t), RunConfig{Target: "http://127.0.0.1", Clients: 4, Duration: 100 * time.Millisecond, Rate: 1000},
		func(_ context.Context, _ int, i int64, due time.Time) error {
			if time.Now().Before(due) {
				early.Add(1)
			}
			dues[i] = due
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 100 || res.OK != 100 || res.Rate != 1000 || res.Late == nil || res.Late.Count() != 100 {
		t.Fatalf("a 100 ms schedule at 1000/s: %v (rate %v, late %v)", res, res.Rate, res.Late.Count())
	}
	for i := 1; i < 100; i++ {
		if d := dues[i].Sub(dues[0]); d != time.Duration(i)*time.Millisecond {
			t.Fatalf("operation %d due %v after the first, want %dms", i, d, i)
		}
	}
	if n := early.Load(); n > 0 {
		t.Errorf("%d operations started before they were due", n)
	}
	if res.Latency.Count() != 100 {
		t.Errorf("latencies recorded: %d", res.Latency.Count())
	}
}

// TestRunOpenLoopCountsFromDue is the coordinated-omission check: one
// client, operations due every millisecond that each take 5 ms. Closed
// loop would report 5 ms each; open loop must report the queue that builds
// up, operation i ending no earlier than 5(i+1) ms after the start while it
// was due at i ms.
func TestRunOpenLoopCountsFromDue(t *testing.T) {
	res, err := Run(ctx(t), RunConfig{Target: "http://127.0.0.1", Clients: 1, Count: 20, Rate: 1000},
		func(context.Context, int, int64, time.Time) error {
			time.Sleep(5 * time.Millisecond)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	// Operation 19: due at 19 ms, ended at 100 ms or later.
	if res.Max < 81*time.Millisecond {
		t.Errorf("max latency %v, want at least 81ms (the queue behind a slow server)", res.Max)
	}
	// The median operation (9 or 10) waited at least 4 ms for each before it.
	if res.P50 < 41*time.Millisecond {
		t.Errorf("p50 %v, want at least 41ms", res.P50)
	}
	if p := res.Late.Quantile(0.99); p < 70*time.Millisecond {
		t.Errorf("late p99 %v: the clients fell behind the schedule, and Late must say so", p)
	}
	// Closed loop, the same operation measures 5 ms.
	closed, err := Run(ctx(t), RunConfig{Target: "http://127.0.0.1", Clients: 1, Count: 5},
		func(context.Context, int, int64, time.Time) error {
			time.Sleep(5 * time.Millisecond)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if closed.Max >= 41*time.Millisecond || closed.Late != nil {
		t.Errorf("closed loop: %v, late %v", closed, closed.Late)
	}
}

func TestStampAge(t *testing.T) {
	now := time.Now()
	s := string(appendStamp(nil, now.Add(-50*time.Millisecond)))
	if age, ok := stampAge(s, now); !ok || age != 50*time.Millisecond {
		t.Errorf("stampAge(%q) = %v, %v; want 50ms", s, age, ok)
	}
	future := string(appendStamp(nil, now.Add(time.Hour)))
	for _, bad := range []string{"", "-1", "12a", "1.5", future, "99999999999999999999"} {
		if _, ok := stampAge(bad, now); ok {
			t.Errorf("stampAge(%q) accepted", bad)
		}
	}
}

func TestHistogramPercentiles(t *testing.T) {
	var h Histogram
	// 1..10000 µs, shuffled order does not matter to a histogram.
	for i := 1; i <= 10000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{
		{0.50, 5000 * time.Microsecond},
		{0.95, 9500 * time.Microsecond},
		{0.99, 9900 * time.Microsecond},
		{1.00, 10000 * time.Microsecond},
		{0.0001, time.Microsecond},
	} {
		got := h.Quantile(tc.q)
		if diff := float64(got-tc.want) / float64(tc.want); diff > 0.01 || diff < -0.01 {
			t.Errorf("quantile(%v) = %v, want %v within 1%%", tc.q, got, tc.want)
		}
	}
	if h.Max() != 10*time.Millisecond {
		t.Errorf("max %v", h.Max())
	}
	// Small values are exact; indexes are in range and never decrease.
	prev := -1
	for _, v := range []uint64{0, 1, 255, 256, 257, 1 << 20, 1<<40 + 12345, 1<<63 - 1} {
		i := histIndex(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("histIndex(%d) = %d (previous %d, buckets %d)", v, i, prev, histBuckets)
		}
		prev = i
		if mid := histValue(i); v > 0 && (float64(mid)/float64(v) > 1.01 || float64(mid)/float64(v) < 0.99) {
			t.Errorf("histValue(histIndex(%d)) = %d", v, mid)
		}
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 {
		t.Error("empty histogram has a median")
	}
}

// TestHistogramMerge: rounds measured apart and merged give the
// percentiles of all their values together.
func TestHistogramMerge(t *testing.T) {
	var all, odd, even Histogram
	for i := 1; i <= 5000; i++ {
		d := time.Duration(i*i) * time.Microsecond / 100
		all.Record(d)
		if i%2 == 1 {
			odd.Record(d)
		} else {
			even.Record(d)
		}
	}
	var merged Histogram
	merged.Merge(&odd)
	merged.Merge(&even)
	merged.Merge(nil)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		if merged.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%v: merged %v, all %v", q, merged.Quantile(q), all.Quantile(q))
		}
	}
	if merged.Count() != 5000 || merged.Max() != all.Max() || merged.Max() != 250*time.Millisecond {
		t.Errorf("merged: %d values, max %v", merged.Count(), merged.Max())
	}
	var none *Histogram
	if none.Count() != 0 || none.Quantile(0.5) != 0 || none.Max() != 0 {
		t.Error("a nil histogram is not empty")
	}
}

func TestControlIDs(t *testing.T) {
	js := `[{"type":"actions","elements":[{"action_id":"pollbot:vote:K7QX:1"},{"action_id":"pollbot:vote:K7QX:2"}]},` +
		`{"custom_id":"pollbot:dc:unvote:K7QX"},{"value":"pollbot:vote:K7QX:1"},{"action_id":"other"}]`
	m := Message{ActionIDs: controlIDs(js)}
	if got := strings.Join(m.ActionIDs, " "); got != "pollbot:vote:K7QX:1 pollbot:vote:K7QX:2 pollbot:dc:unvote:K7QX" {
		t.Errorf("controlIDs = %q", got)
	}
	if p := m.Polls(); len(p) != 1 || p[0] != "K7QX" {
		t.Errorf("Polls = %q", p)
	}
	if p, n, ok := ParseVoteAction("pollbot:vote:K7QX:3"); !ok || p != "K7QX" || n != 2 {
		t.Errorf("ParseVoteAction = %q %d %v", p, n, ok)
	}
	for _, bad := range []string{"pollbot:vote:K7QX", "pollbot:vote::1", "pollbot:vote:K:0", "pollbot:rank:K"} {
		if _, _, ok := ParseVoteAction(bad); ok {
			t.Errorf("ParseVoteAction(%q) ok", bad)
		}
	}
}

// The generator shares the machine with what it measures: building a
// click must stay cheap (no allocation into a reused buffer).
func BenchmarkClickPayload(b *testing.B) {
	s, err := NewSlack(context.Background(), SlackConfig{BaseURL: "http://127.0.0.1:1", SigningSecret: testSecret, ResponseURL: "http://127.0.0.1:2/slack/response"})
	if err != nil {
		b.Fatal(err)
	}
	d, err := NewDiscord(context.Background(), DiscordConfig{BaseURL: "http://127.0.0.1:1", PrivateKey: ed25519.NewKeyFromSeed(make([]byte, 32))})
	if err != nil {
		b.Fatal(err)
	}
	m := Member{ID: "700000000000000001"}
	buf := make([]byte, 0, 2048)
	b.Run("slack", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = s.AppendClickPayload(buf[:0], "UB000001", "pollbot:vote:K7QX:3")
		}
	})
	b.Run("discord", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = d.AppendClick(buf[:0], m, "900000000000000001", "pollbot:vote:K7QX:3")
		}
	})
}
