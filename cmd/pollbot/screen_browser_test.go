package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/shell"
	"github.com/pollbot/pollbot/internal/browsertest"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
)

// slackClient sends signed Slack requests to a serve replica.
type slackClient struct {
	t      *testing.T
	addr   string
	secret string
	api    string
	n      atomic.Int64
}

func (c *slackClient) post(path string, form url.Values) string {
	c.t.Helper()
	body := form.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(c.secret))
	io.WriteString(mac, "v0:"+ts+":"+body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.addr+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
	}
	return string(b)
}

// command sends /poll text as user and returns the acknowledgement.
func (c *slackClient) command(user, text string) string {
	n := c.n.Add(1)
	return c.post("/slack/commands", url.Values{"command": {"/poll"}, "text": {text}, "team_id": {"T1"}, "user_id": {user},
		"channel_id": {"C1"}, "response_url": {c.api + "response"}, "trigger_id": {fmt.Sprint("trig-", n)}})
}

// click sends a click on a poll message's button.
func (c *slackClient) click(user, actionID string) {
	n := c.n.Add(1)
	payload, _ := json.Marshal(map[string]any{
		"type": "block_actions", "team": map[string]any{"id": "T1", "domain": "igf"},
		"user": map[string]any{"id": user, "username": strings.ToLower(user), "team_id": "T1"}, "api_app_id": "A1",
		"trigger_id": fmt.Sprint("trig-click-", n), "channel": map[string]any{"id": "C1", "name": "bpf"},
		"container":    map[string]any{"type": "message", "message_ts": "1700000000.000001", "channel_id": "C1"},
		"response_url": c.api + "response",
		"actions": []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "b1", "value": actionID,
			"text": map[string]any{"type": "plain_text", "text": "Vote"}, "action_ts": fmt.Sprintf("1700000001.%06d", n)}},
	})
	c.post("/slack/interactions", url.Values{"payload": {string(payload)}})
}

// TestScreenAcrossReplicas: two pollbot serve replicas share one Redis. A
// facilitator asks replica B, over Slack, for a poll's live screen and
// opens it, as served by replica A, in Chromium; a click on replica B
// shows on A's page within 2 s, without a reload. The shell, on the same
// Redis, opens a poll and votes in it, and A's page of that poll follows
// too. The page writes no console error; a screenshot is kept.
func TestScreenAcrossReplicas(t *testing.T) {
	b := browsertest.Start(t)
	rs := redistest.StartServer(t)
	slackAPI, _, _ := fakePlatforms(t)
	addrA, addrB := freeAddr(t), freeAddr(t)
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	common := map[string]string{"POLLBOT_REDIS_URL": rs.URL, "POLLBOT_LINK_KEY": testLinkKey, "POLLBOT_LOG_LEVEL": "warn",
		// The public URL is the load balancer's; here, replica A.
		"POLLBOT_PUBLIC_URL": "http://" + addrA}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range common {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	defer startServe(t, with(map[string]string{"POLLBOT_HTTP_ADDR": addrA}))()
	defer startServe(t, with(map[string]string{"POLLBOT_HTTP_ADDR": addrB,
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": slackAPI}))()
	sc := &slackClient{t: t, addr: addrB, secret: secret, api: slackAPI}

	ack := sc.command("UFAC", `open "Theme for 2027" "DNSSEC" "Privacy" "Collaboration"`)
	m := regexp.MustCompile(`Poll ([0-9A-Z]{4}) is open`).FindStringSubmatch(ack)
	if m == nil {
		t.Fatalf("open: %s", ack)
	}
	id := m[1]
	ack = sc.command("UFAC", "screen "+id)
	u := regexp.MustCompile(`http://` + regexp.QuoteMeta(addrA) + `/screen/[A-Za-z0-9_.-]+`).FindString(ack)
	if u == "" {
		t.Fatalf("/poll screen: %s", ack)
	}
	if ack := sc.command("UCIV", "screen "+id); strings.Contains(ack, "/screen/") {
		t.Errorf("a participant got the screen's link: %s", ack)
	}

	if resp, body := httpGet(t, u); resp.StatusCode != http.StatusOK {
		t.Fatalf("replica A's page for %s (from %s): %d %.300s", u, ack, resp.StatusCode, body)
	}
	ctx := b.Ctx
	if err := chromedp.Do(ctx, chromedp.Navigate(u), chromedp.WaitVisible(chromedp.CSS(".heatmap"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.pollbotKept = 1`)); err != nil {
		t.Fatal(err)
	}
	sc.command("UCIV", "group civil-society")
	start := time.Now()
	sc.click("UCIV", bot.VoteAction(id, 0))
	waitPage(t, b, `document.querySelector('.ballots').textContent.startsWith('1 ballot from 1 group')`)
	t.Logf("a click on replica B showed on replica A's page in %v", time.Since(start))
	for i, user := range []string{"UGOV1", "UGOV2", "UGOV3"} {
		sc.command(user, "group government")
		sc.click(user, bot.VoteAction(id, i%2))
	}
	waitPage(t, b, `document.querySelector('.ballots').textContent.startsWith('4 ballots from 2 groups')`)
	if kept, err := chromedp.Run(ctx, chromedp.Evaluate[int](`window.pollbotKept || 0`)); err != nil || kept != 1 {
		t.Errorf("the page reloaded (mark %d, %v)", kept, err)
	}
	b.Screenshot(t, "replicas.png")

	// The shell, on the same Redis.
	var out syncBuffer
	a, err := config{RedisURL: rs.URL, LogLevel: "warn"}.openApp(context.Background(), env{out: &out, err: &out, getenv: func(string) string { return "" }},
		appOption{facilitators: []string{"shell:" + shell.DefaultUser}})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	signer, _ := link.NewSigner([]byte(testLinkKey))
	maker := &link.Maker{Base: "http://" + addrA, Signer: signer}
	sh := shell.New(a.engine, &out, shell.OnOpen(func(p *polls.Poll) msg.Message {
		u, _ := maker.ScreenURL(p)
		return msg.ScreenOpened.With(p.ID, u)
	}))
	shellCtx := context.Background()
	sh.Line(shellCtx, `/poll open "Shell poll" "Alpha" "Beta"`)
	sm := regexp.MustCompile(`Live screen of poll ([0-9A-Z]{4}): (\S+)`).FindStringSubmatch(out.String())
	if sm == nil {
		t.Fatalf("the shell printed no link:\n%s", out.String())
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(sm[2]), chromedp.WaitVisible(chromedp.CSS(".heatmap"))); err != nil {
		t.Fatal(err)
	}
	sh.Line(shellCtx, "/as alice academia")
	sh.Line(shellCtx, "/poll vote "+sm[1]+" 2")
	waitPage(t, b, `document.querySelector('.ballots').textContent.startsWith('1 ballot from 1 group')`)
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %q", errs)
	}
}

func waitPage(t *testing.T, b *browsertest.Browser, predicate string) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, chromedp.Poll[chromedp.Void](predicate, chromedp.WithPollingTimeout(2*time.Second))); err != nil {
		text, _ := b.Text("#live")
		t.Fatalf("the page did not show %s within 2 s: %v\n%.300s", predicate, err, text)
	}
}
