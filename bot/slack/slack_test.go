package slack_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/bot/report/chart"
	slackadapter "github.com/pollbot/pollbot/bot/slack"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

const (
	team   = "T1"
	tenant = "slack:T1"
	secret = "8f742231b10e8888abcd99yyyzzz85a5"
)

// seededIDs returns poll ids that look random but repeat every run.
func seededIDs() func() string {
	rng := rand.New(rand.NewPCG(3, 4))
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	return func() string {
		b := make([]byte, 4)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
}

func boltStore(t testing.TB) polls.Store {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func redisStore(t testing.TB) polls.Store { return redisStoreURL(t, "") }

// redisStoreURL opens a store on a fresh redis-server; query adds URL
// options such as "?pool_size=64".
func redisStoreURL(t testing.TB, query string) polls.Store {
	srv := redistest.StartServer(t)
	st, err := redisstore.Open(context.Background(), srv.URL+query)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// env is a whole pollbot wired as `pollbot serve` wires it, with the Slack
// adapter talking to a fake Slack, in Socket Mode or HTTP mode.
type env struct {
	t      testing.TB
	fake   *fakeSlack
	svc    *polls.Service
	eng    *bot.Engine
	a      *slackadapter.Adapter
	http   *httptest.Server // HTTP mode endpoints
	socket bool
	n      atomic.Int64
}

func newEnv(t testing.TB, socket bool, st polls.Store, opts ...slackadapter.Option) *env {
	t.Helper()
	return newEnvConfig(t, socket, st, bot.Config{
		Facilitators: []string{"slack:UFAC"},
		Roles:        []bot.RoleMapping{{Role: "slack-usergroup:SGOV", Group: "government"}},
	}, opts...)
}

// newEnvConfig is newEnv with the engine's configuration.
func newEnvConfig(t testing.TB, socket bool, st polls.Store, cfg bot.Config, opts ...slackadapter.Option) *env {
	t.Helper()
	return newEnvEngine(t, socket, st, cfg, nil, opts...)
}

// newEnvEngine is newEnvConfig with more options for the engine.
func newEnvEngine(t testing.TB, socket bool, st polls.Store, cfg bot.Config, engOpts []bot.EngineOption, opts ...slackadapter.Option) *env {
	t.Helper()
	fake := newFakeSlack(t)
	svc := polls.NewService(st, polls.WithIDs(seededIDs()), polls.WithGroups(cfg.GroupList()))
	eng := bot.New(svc, cfg, append([]bot.EngineOption{bot.WithChart(func(w io.Writer, r *polls.Report, g *polls.Groups) error {
		return chart.PNG(w, r, g, chart.WithPrinter(report.PrinterOf(w)))
	})}, engOpts...)...)
	scfg := slackadapter.Config{BotToken: "xoxb-test", SigningSecret: secret, APIURL: fake.APIURL()}
	if socket {
		scfg = slackadapter.Config{BotToken: "xoxb-test", AppToken: "xapp-test", APIURL: fake.APIURL()}
	}
	opts = append([]slackadapter.Option{slackadapter.WithCoalescer(kit.CoalesceEvery(20 * time.Millisecond))}, opts...)
	a, err := slackadapter.New(eng, scfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, fake: fake, svc: svc, eng: eng, a: a, socket: socket}
	mux := http.NewServeMux()
	a.Mount(mux)
	e.http = httptest.NewServer(mux)
	t.Cleanup(e.http.Close)

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	if socket {
		waitFor(t, "socket mode connection", fake.Connected)
	}
	return e
}

// waitFor polls cond until it holds or 60 s pass: generous, because a
// report's chart takes seconds to draw under the race detector on a busy
// machine, and waiting longer costs nothing when the condition holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// slackEscape escapes command text the way Slack does before sending it.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// sign sets Slack's v0 signature headers for body at time ts.
func sign(h http.Header, body string, ts time.Time, key string) {
	sec := fmt.Sprint(ts.Unix())
	mac := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(mac, "v0:%s:%s", sec, body)
	h.Set("X-Slack-Request-Timestamp", sec)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
}

// post sends a signed form to an HTTP-mode endpoint.
func (e *env) post(path string, form url.Values, mutate func(*http.Request)) (int, string) {
	e.t.Helper()
	return e.postAs(e.t, path, form, mutate)
}

// postAs is post reporting failures to tb (a fuzz target's own T).
func (e *env) postAs(tb testing.TB, path string, form url.Values, mutate func(*http.Request)) (int, string) {
	tb.Helper()
	body := form.Encode()
	req, err := http.NewRequest(http.MethodPost, e.http.URL+path, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sign(req.Header, body, time.Now(), secret)
	if mutate != nil {
		mutate(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

func (e *env) next() int64 { return e.n.Add(1) }

// commandPayload is a slash command as Slack sends it (form fields; the
// same names as JSON in Socket Mode).
func (e *env) commandPayload(user, text string) map[string]string {
	n := e.next()
	return map[string]string{
		"token": "legacy", "team_id": team, "team_domain": "igf", "channel_id": "C1", "channel_name": "bpf",
		"user_id": user, "user_name": strings.ToLower(user), "command": "/poll", "text": slackEscape(text),
		"api_app_id": "A1", "response_url": e.fake.ResponseURL(), "trigger_id": fmt.Sprintf("trig-cmd-%d", n),
	}
}

// command runs /poll text as user and returns the acknowledgement body
// ("" for an empty acknowledgement).
func (e *env) command(user, text string) string {
	e.t.Helper()
	p := e.commandPayload(user, text)
	if e.socket {
		id := e.fake.Envelope("", "slash_commands", p)
		return e.ack(id)
	}
	form := url.Values{}
	for k, v := range p {
		form.Set(k, v)
	}
	code, body := e.post("/slack/commands", form, nil)
	if code != http.StatusOK {
		e.t.Fatalf("/poll %s: HTTP %d %s", text, code, body)
	}
	return body
}

// ack waits for the acknowledgement of an envelope and returns its payload.
func (e *env) ack(id string) string {
	e.t.Helper()
	waitFor(e.t, "ack of "+id, func() bool { return len(e.fake.Acks(id)) > 0 })
	p := e.fake.Acks(id)[0]
	if string(p) == "null" || len(p) == 0 {
		return ""
	}
	return string(p)
}

// clickPayload is a block_actions payload for a click on action id.
func (e *env) clickPayload(user, actionID string, ephemeral bool) map[string]any {
	n := e.next()
	return map[string]any{
		"type": "block_actions", "team": map[string]any{"id": team, "domain": "igf"},
		"user":       map[string]any{"id": user, "username": strings.ToLower(user), "team_id": team},
		"api_app_id": "A1", "trigger_id": fmt.Sprintf("trig-click-%d", n),
		"channel":      map[string]any{"id": "C1", "name": "bpf"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1", "is_ephemeral": ephemeral},
		"response_url": e.fake.ResponseURL(),
		"actions": []any{map[string]any{
			"type": "button", "action_id": actionID, "block_id": "b1", "value": actionID,
			"text": map[string]any{"type": "plain_text", "text": "Vote"}, "action_ts": fmt.Sprintf("1700000001.%06d", n),
		}},
	}
}

// interact delivers an interaction payload and returns the ack body.
func (e *env) interact(payload map[string]any) string {
	e.t.Helper()
	if e.socket {
		return e.ack(e.fake.Envelope("", "interactive", payload))
	}
	data, _ := json.Marshal(payload)
	code, body := e.post("/slack/interactions", url.Values{"payload": {string(data)}}, nil)
	if code != http.StatusOK {
		e.t.Fatalf("interaction: HTTP %d %s", code, body)
	}
	return body
}

func (e *env) click(user, actionID string) {
	e.t.Helper()
	e.interact(e.clickPayload(user, actionID, false))
}

// open opens a poll as the facilitator and waits until its message is
// posted and recorded.
func (e *env) open(text string) *polls.Poll {
	e.t.Helper()
	posts := len(e.fake.Calls("chat.postMessage"))
	e.command("UFAC", text)
	waitFor(e.t, "the poll message", func() bool { return len(e.fake.Calls("chat.postMessage")) == posts+1 })
	p := e.onlyPoll()
	waitFor(e.t, "the recorded message", func() bool {
		p, _ := e.svc.Poll(context.Background(), tenant, p.ID)
		return len(p.Messages) == 1
	})
	return p
}

// votes returns the votes (or points) per theme of a poll.
func (e *env) votes(id string) []float64 {
	e.t.Helper()
	p, tally, err := e.svc.Tally(context.Background(), tenant, id)
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]float64, len(p.Themes))
	for g := range tally.Ballots {
		for i := range p.Themes {
			out[i] += tally.Support(p, g, i)
		}
	}
	return out
}

func (e *env) onlyPoll() *polls.Poll {
	e.t.Helper()
	page, err := e.svc.List(context.Background(), tenant, polls.PollQuery{})
	ps := page.Polls
	if err != nil || len(ps) != 1 {
		e.t.Fatalf("want one poll, got %d (%v)", len(ps), err)
	}
	return ps[0]
}

// responses returns the texts posted to response_urls and with
// chat.postEphemeral, in order.
func (e *env) ephemerals() []string {
	var out []string
	for _, c := range e.fake.Calls("response") {
		out = append(out, fmt.Sprint(c.JSON["text"])+" "+c.Blocks())
	}
	for _, c := range e.fake.Calls("chat.postEphemeral") {
		out = append(out, c.Str("text")+" "+c.Blocks())
	}
	return out
}

func (e *env) waitEphemeral(want string) {
	e.t.Helper()
	waitFor(e.t, "an ephemeral reply containing "+want, func() bool {
		for _, s := range e.ephemerals() {
			if strings.Contains(s, want) {
				return true
			}
		}
		return false
	})
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// lastUpdate returns the blocks of the latest successful chat.update.
func (e *env) lastUpdate() string {
	cs := e.fake.Calls("chat.update")
	if len(cs) == 0 {
		return ""
	}
	return cs[len(cs)-1].Blocks()
}

// TestJourney drives a whole multistakeholder poll through each
// connection mode: open, votes by click from several groups (one by Slack
// user group, one by declaration, one picked after a held click), a
// changed vote, a retried delivery, close, report with chart, export.
func TestJourney(t *testing.T) {
	for _, tc := range []struct {
		name   string
		socket bool
		store  func(testing.TB) polls.Store
	}{
		{"http-redis", false, redisStore},
		{"socket-bolt", true, boltStore},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.socket, tc.store(t))
			e.fake.SetUserGroup("SGOV", "UGOV")

			// A typing error is answered to the sender only, with the usage.
			if ack := e.command("UFAC", `open "Only a title`); !strings.Contains(ack, "Usage: /poll open") || !strings.Contains(ack, "ephemeral") {
				t.Errorf("parse error ack = %s", ack)
			}
			ack := e.command("UFAC", `open "Theme for 2027" "DNSSEC" "<!channel> & *bold*" “Responsible disclosure” --quorum 1`)
			if !strings.Contains(ack, "is open") || !strings.Contains(ack, `"response_type":"ephemeral"`) {
				t.Fatalf("open ack = %s", ack)
			}
			waitFor(t, "the poll message", func() bool { return len(e.fake.Calls("chat.postMessage")) == 1 })
			post := e.fake.Calls("chat.postMessage")[0]
			if post.Str("channel") != "C1" {
				t.Errorf("poll posted in %q, want C1", post.Str("channel"))
			}
			p := e.onlyPoll()
			if p.Themes[1].Label != "<!channel> & *bold*" {
				t.Errorf("theme label decoded as %q", p.Themes[1].Label)
			}
			checkNoMarkup(t, post)
			waitFor(t, "the recorded message", func() bool {
				p, _ := e.svc.Poll(context.Background(), tenant, p.ID)
				return len(p.Messages) == 1 && p.Messages[0].Platform == "slack" && p.Messages[0].Channel == "C1"
			})
			if !strings.Contains(post.Blocks(), bot.VoteAction(p.ID, 0)) {
				t.Errorf("poll message has no vote button: %s", post.Blocks())
			}

			// UGOV's group comes from the Slack user group SGOV.
			e.click("UGOV", bot.VoteAction(p.ID, 0))
			e.waitEphemeral("Counted for Government")

			// UCIV declares a group, then votes for 1 and 3.
			if ack := e.command("UCIV", "group civil-society"); !strings.Contains(ack, "Civil society") {
				t.Fatalf("group ack = %s", ack)
			}
			e.click("UCIV", bot.VoteAction(p.ID, 0))
			e.click("UCIV", bot.VoteAction(p.ID, 2))
			e.waitEphemeral("DNSSEC; Responsible disclosure. Counted for Civil society")

			// UNEW has no group: the click is held and a picker shown.
			e.click("UNEW", bot.VoteAction(p.ID, 1))
			e.waitEphemeral(bot.GroupAction("academia"))
			if got := e.votes(p.ID); !equal(got, []float64{2, 0, 1}) {
				t.Fatalf("before the pick: votes = %v", got)
			}
			pick := e.clickPayload("UNEW", bot.GroupAction("academia"), true)
			e.interact(pick)
			waitFor(t, "the held vote", func() bool { return equal(e.votes(p.ID), []float64{2, 1, 1}) })
			e.waitEphemeral("Your held vote is now counted")
			replaced := false
			for _, c := range e.fake.Calls("response") {
				if c.JSON["replace_original"] == true {
					replaced = true
				}
			}
			if !replaced {
				t.Error("the picker was not replaced by its outcome")
			}

			// A delivery Slack repeats is acknowledged but counted once.
			retry := e.clickPayload("UCIV", bot.VoteAction(p.ID, 2), false)
			if tc.socket {
				id := e.fake.Envelope("", "interactive", retry)
				e.ack(id)
				e.fake.Envelope(id, "interactive", retry)
				waitFor(t, "second ack", func() bool { return len(e.fake.Acks(id)) == 2 })
				// The same click in a new envelope (Slack retrying after a
				// lost ack) is also dropped.
				e.ack(e.fake.Envelope("", "interactive", retry))
			} else {
				data, _ := json.Marshal(retry)
				form := url.Values{"payload": {string(data)}}
				for i := range 3 {
					code, _ := e.post("/slack/interactions", form, func(r *http.Request) {
						if i > 0 {
							r.Header.Set("X-Slack-Retry-Num", fmt.Sprint(i))
							r.Header.Set("X-Slack-Retry-Reason", "http_timeout")
						}
					})
					if code != http.StatusOK {
						t.Fatalf("retry %d: HTTP %d", i, code)
					}
				}
			}
			// UCIV changed their mind about theme 3: toggled off once.
			waitFor(t, "the toggle", func() bool { return equal(e.votes(p.ID), []float64{2, 1, 0}) })
			e.waitEphemeral("Your ballot in poll " + p.ID + ": DNSSEC. Counted for Civil society")
			if got := e.votes(p.ID); !equal(got, []float64{2, 1, 0}) {
				t.Fatalf("after retries: votes = %v, want [2 1 0]", got)
			}

			// The poll message converges to the final state.
			waitFor(t, "the re-rendered poll", func() bool {
				return strings.Contains(e.lastUpdate(), "2 votes") && strings.Contains(e.lastUpdate(), "Ballots: 3")
			})

			// Only facilitators close.
			if ack := e.command("UGOV", "close "+p.ID); !strings.Contains(ack, "only facilitators") {
				t.Errorf("close by a participant: %s", ack)
			}
			e.command("UFAC", "close "+p.ID)
			waitFor(t, "the closed poll message", func() bool {
				u := e.lastUpdate()
				return strings.Contains(u, "Closed") && strings.Contains(u, "divided") && !strings.Contains(u, bot.VoteAction(p.ID, 0))
			})
			waitFor(t, "the closing notice", func() bool { return len(e.fake.Calls("chat.postMessage")) >= 2 })
			if n := len(e.fake.Calls("chat.postMessage")); n != 2 {
				t.Errorf("after close: %d chat.postMessage, want 2 (poll, closing notice)", n)
			}

			// The report is acknowledged at once and delivered after.
			if ack := e.command("UGOV", "report "+p.ID); ack != "" {
				t.Errorf("report ack = %q, want empty", ack)
			}
			waitFor(t, "the chart upload", func() bool { return len(e.fake.Calls("files.completeUploadExternal")) == 1 })
			complete := e.fake.Calls("files.completeUploadExternal")[0]
			if complete.Str("channel_id") != "C1" {
				t.Errorf("chart shared in %q, want C1", complete.Str("channel_id"))
			}
			if png := e.fake.File("F1"); !bytes.HasPrefix(png, []byte("\x89PNG")) {
				t.Errorf("chart upload is not a PNG (%d bytes)", len(png))
			}
			var report string
			for _, c := range e.fake.Calls("chat.postMessage") {
				if strings.Contains(c.Blocks(), "Consensus report") {
					report = c.Blocks()
				}
			}
			if !strings.Contains(report, "Civil society") || !strings.Contains(report, "#1 DNSSEC") {
				t.Errorf("report message: %s", report)
			}

			// The export goes to the facilitator's DM.
			e.command("UFAC", "export "+p.ID+" csv")
			waitFor(t, "the export upload", func() bool { return len(e.fake.Calls("files.completeUploadExternal")) == 2 })
			exp := e.fake.Calls("files.completeUploadExternal")[1]
			if exp.Str("channel_id") != "DUFAC" {
				t.Errorf("export shared in %q, want the DM DUFAC", exp.Str("channel_id"))
			}
			if csv := string(e.fake.File("F2")); !strings.Contains(csv, "DNSSEC") {
				t.Errorf("export CSV = %q", csv)
			}
			e.waitEphemeral("direct message")

			// User group memberships were read once and cached.
			if n := len(e.fake.Calls("usergroups.list")); n != 1 {
				t.Errorf("usergroups.list called %d times, want 1 (cached)", n)
			}
		})
	}
}

// checkNoMarkup checks that the theme label that tries to ping the channel
// is only ever in plain_text objects, and escaped in the fallback text.
func checkNoMarkup(t *testing.T, c call) {
	t.Helper()
	if strings.Contains(c.Str("text"), "<!channel>") {
		t.Errorf("fallback text can ping: %q", c.Str("text"))
	}
	var blocks []any
	if err := json.Unmarshal([]byte(c.Blocks()), &blocks); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if s, ok := x["text"].(string); ok && strings.Contains(s, "<!channel>") && x["type"] != "plain_text" {
				t.Errorf("label in a %v text object: %q", x["type"], s)
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(blocks)
}

// TestRankedModal ranks themes in the modal opened by the rank button.
func TestRankedModal(t *testing.T) {
	for _, socket := range []bool{false, true} {
		t.Run(fmt.Sprint("socket=", socket), func(t *testing.T) {
			e := newEnv(t, socket, boltStore(t))
			p := e.open(`open "Priorities" "A" "B" "C" --kind ranked`)
			e.command("UFAC", "group technical-community")
			e.click("UFAC", bot.RankAction(p.ID))
			waitFor(t, "views.open", func() bool { return len(e.fake.Calls("views.open")) == 1 })
			view := e.fake.Calls("views.open")[0]
			if !strings.Contains(view.Blocks(), `"callback_id":"pollbot:rankform:`+p.ID) || strings.Count(view.Blocks(), `"type":"input"`) != 3 {
				t.Fatalf("modal: %s", view.Blocks())
			}
			submit := func(order ...string) string {
				values := map[string]any{}
				for i, n := range order {
					values[fmt.Sprintf("rank%d", i+1)] = map[string]any{"theme": map[string]any{
						"type": "static_select", "selected_option": map[string]any{"value": n, "text": map[string]any{"type": "plain_text", "text": n}}}}
				}
				return e.interact(map[string]any{
					"type": "view_submission", "team": map[string]any{"id": team}, "user": map[string]any{"id": "UFAC"},
					"trigger_id": fmt.Sprintf("trig-view-%d", e.next()),
					"view": map[string]any{"id": "V1", "hash": fmt.Sprint(e.next()), "type": "modal", "callback_id": "pollbot:rankform:" + p.ID,
						"private_metadata": "C1", "state": map[string]any{"values": values}},
				})
			}
			if ack := submit("2", "2"); !strings.Contains(ack, `"response_action":"errors"`) || !strings.Contains(ack, "rank1") {
				t.Fatalf("repeated theme: ack %s", ack)
			}
			if ack := submit("3", "1"); ack != "" {
				t.Fatalf("ranking ack = %s", ack)
			}
			e.waitEphemeral("Your ranking in poll " + p.ID + ": 1. C; 2. A.")
			if got := e.votes(p.ID); !equal(got, []float64{0.5, 0, 1}) {
				t.Errorf("points = %v, want [0.5 0 1]", got)
			}
		})
	}
}

// TestRejected checks that forged, stale and malformed requests are
// refused and change nothing.
func TestRejected(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	form := url.Values{}
	for k, v := range e.commandPayload("UFAC", `open "T" "A" "B"`) {
		form.Set(k, v)
	}
	cases := []struct {
		name   string
		path   string
		form   url.Values
		mutate func(*http.Request)
		want   int
	}{
		{"forged signature", "/slack/commands", form, func(r *http.Request) {
			body := form.Encode()
			sign(r.Header, body, time.Now(), "not the secret")
		}, http.StatusUnauthorized},
		{"stale timestamp", "/slack/commands", form, func(r *http.Request) {
			sign(r.Header, form.Encode(), time.Now().Add(-6*time.Minute), secret)
		}, http.StatusUnauthorized},
		{"future timestamp", "/slack/commands", form, func(r *http.Request) {
			sign(r.Header, form.Encode(), time.Now().Add(6*time.Minute), secret)
		}, http.StatusUnauthorized},
		{"no signature", "/slack/interactions", url.Values{"payload": {"{}"}}, func(r *http.Request) {
			r.Header.Del("X-Slack-Signature")
		}, http.StatusUnauthorized},
		{"body changed after signing", "/slack/commands", form, func(r *http.Request) {
			tampered := strings.Replace(form.Encode(), "UFAC", "UEVE", 1)
			r.Body = io.NopCloser(strings.NewReader(tampered))
			r.ContentLength = int64(len(tampered))
		}, http.StatusUnauthorized},
		{"malformed interaction", "/slack/interactions", url.Values{"payload": {`{"type":`}}, nil, http.StatusBadRequest},
		{"interaction without user", "/slack/interactions", url.Values{"payload": {`{"type":"block_actions","team":{"id":"T1"}}`}}, nil, http.StatusBadRequest},
		{"command without team", "/slack/commands", url.Values{"text": {"open \"T\" \"A\""}, "user_id": {"U1"}}, nil, http.StatusBadRequest},
		{"malformed event", "/slack/events", url.Values{"x": {"y"}}, nil, http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if code, body := e.post(tc.path, tc.form, tc.mutate); code != tc.want {
				t.Errorf("HTTP %d %q, want %d", code, body, tc.want)
			}
		})
	}
	// Nothing is deferred for a rejected request, so checking at once is
	// enough.
	if ps, _ := e.svc.List(context.Background(), tenant, polls.PollQuery{}); len(ps.Polls) != 0 {
		t.Errorf("a rejected request opened %d polls", len(ps.Polls))
	}
	if n := len(e.fake.Calls("chat.postMessage")) + len(e.fake.Calls("response")); n != 0 {
		t.Errorf("a rejected request caused %d messages", n)
	}
}

// TestEventsChallenge answers Slack's URL verification.
func TestEventsChallenge(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	body := `{"token":"x","challenge":"c-123","type":"url_verification"}`
	req, _ := http.NewRequest(http.MethodPost, e.http.URL+"/slack/events", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	sign(req.Header, body, time.Now(), secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(got) != "c-123" {
		t.Errorf("challenge: %d %q", resp.StatusCode, got)
	}
}

// TestRateLimited checks that an update Slack answers with 429 is retried
// after Retry-After, not lost.
func TestRateLimited(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	p := e.open(`open "T" "A" "B"`)
	e.command("UFAC", "group academia")
	e.fake.LimitUpdates(1, "1")
	start := time.Now()
	e.click("UFAC", bot.VoteAction(p.ID, 1))
	waitFor(t, "the 429", func() bool { return len(e.fake.Calls("chat.update:429")) == 1 })
	waitFor(t, "the retried update", func() bool { return strings.Contains(e.lastUpdate(), "1 vote") })
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Errorf("update retried after %v, before Retry-After (1s)", d)
	}
	waitFor(t, "the coalescer to count the render", func() bool { return e.a.Coalescer().Stats().Rendered >= 1 })
	if s := e.a.Coalescer().Stats(); s.RateLimited != 1 {
		t.Errorf("coalescer stats %+v, want one rate-limited render", s)
	}
}

// TestConcurrentClicks: many users click at once; every click lands once
// and the message shows the final count.
func TestConcurrentClicks(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	p := e.open(`open "T" "A" "B" --quorum 1`)
	const users = 20
	var wg sync.WaitGroup
	for i := range users {
		u := fmt.Sprintf("U%02d", i)
		if _, _, err := e.svc.SetGroup(context.Background(), polls.Voter{Tenant: tenant, User: u}, "academia"); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() { e.click(u, bot.VoteAction(p.ID, 0)) })
	}
	wg.Wait()
	if got := e.votes(p.ID); got[0] != users {
		t.Fatalf("votes = %v, want %d", got, users)
	}
	waitFor(t, "the final count in the message", func() bool { return strings.Contains(e.lastUpdate(), fmt.Sprintf("%d votes", users)) })
}

// TestSocketBadToken: Run reports a Socket Mode token Slack refuses.
func TestSocketBadToken(t *testing.T) {
	fake := newFakeSlack(t)
	svc := polls.NewService(boltStore(t))
	a, err := slackadapter.New(bot.New(svc, bot.Config{}), slackadapter.Config{BotToken: "xoxb-x", AppToken: "xapp-wrong", APIURL: fake.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := a.Run(ctx); err == nil || ctx.Err() != nil {
		t.Errorf("Run = %v, want an invalid_auth error before the deadline", err)
	}
}

func TestAnnounce(t *testing.T) {
	e := newEnv(t, false, boltStore(t))
	p := e.open(`open "T" "A" "B"`)
	_, p, err := e.svc.Close(context.Background(), tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.a.Announce(context.Background(), p, e.eng.ClosedAnnouncement(context.Background(), p))
	waitFor(t, "the announcement", func() bool { return len(e.fake.Calls("chat.postMessage")) == 2 })
	if got := e.fake.Calls("chat.postMessage")[1]; got.Str("channel") != "C1" || !strings.Contains(got.Blocks(), "reached its deadline") {
		t.Errorf("announcement: %s %s", got.Str("channel"), got.Blocks())
	}
	waitFor(t, "the closed poll message", func() bool { return strings.Contains(e.lastUpdate(), "Closed") })
	// Other platforms' polls are not Slack's to announce.
	other := *p
	other.Tenant = "discord:1"
	e.a.Announce(context.Background(), &other, bot.Response{Replies: []bot.Reply{{Visibility: bot.Public, Text: "x"}}})
	if n := len(e.fake.Calls("chat.postMessage")); n != 2 {
		t.Errorf("announced a discord poll: %d posts", n)
	}
}
