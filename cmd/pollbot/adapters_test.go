package main

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakePlatforms answers the few Web API and REST calls serve makes at
// start-up: Slack's auth.test and Discord's bulk command overwrite.
func fakePlatforms(t *testing.T) (slackURL, discordURL string, registered chan string) {
	registered = make(chan string, 4)
	mux := http.NewServeMux()
	mux.HandleFunc("/slack/api/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true,"url":"https://example.slack.com/","team":"T","user":"pollbot","team_id":"T1","user_id":"UBOT","bot_id":"B1"}`)
	})
	mux.HandleFunc("/discord/api/v10/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/commands") {
			registered <- r.URL.Path
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[]`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL + "/slack/api/", srv.URL + "/discord/api/v10/", registered
}

// TestServeChatAdapters starts `pollbot serve` with Slack and Discord both
// in HTTP mode and checks that each endpoint is mounted, verifies
// signatures, and answers through the engine.
func TestServeChatAdapters(t *testing.T) {
	addr := freeAddr(t)
	slackURL, discordURL, registered := fakePlatforms(t)
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	const secret = "8f742231b10e8888abcd99yyyzzz85a5"
	environ := map[string]string{
		"POLLBOT_DATA":         filepath.Join(t.TempDir(), "pollbot.db"),
		"POLLBOT_HTTP_ADDR":    addr,
		"SLACK_BOT_TOKEN":      "xoxb-test",
		"SLACK_SIGNING_SECRET": secret,
		"SLACK_API_URL":        slackURL,
		"DISCORD_BOT_TOKEN":    "discord-test-token",
		"DISCORD_APP_ID":       "1234",
		"DISCORD_PUBLIC_KEY":   hex.EncodeToString(pub),
		"DISCORD_API_URL":      discordURL,
	}
	var logs syncBuffer
	e := env{in: strings.NewReader(""), out: io.Discard, err: &logs, getenv: func(k string) string { return environ[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, e) }()
	defer func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	select {
	case path := <-registered:
		if !strings.Contains(path, "/applications/1234/commands") {
			t.Errorf("commands registered at %s", path)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Discord commands never registered; logs:\n%s", logs.String())
	}

	post := func(path, body string, header http.Header) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+path, strings.NewReader(body))
		req.Header = header
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := post("/healthz", "", http.Header{}); code != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never listened; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Slack: a signed /poll help, and the same request with a forged signature.
	form := url.Values{"command": {"/poll"}, "text": {"help"}, "team_id": {"T1"}, "user_id": {"U1"},
		"channel_id": {"C1"}, "response_url": {slackURL + "response"}, "trigger_id": {"t1"}}.Encode()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	io.WriteString(mac, "v0:"+ts+":"+form)
	h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Slack-Request-Timestamp": {ts},
		"X-Slack-Signature": {"v0=" + hex.EncodeToString(mac.Sum(nil))}}
	if code, body := post("/slack/commands", form, h); code != http.StatusOK || !strings.Contains(body, "/poll vote") {
		t.Errorf("signed Slack command: %d %.200s", code, body)
	}
	h.Set("X-Slack-Signature", "v0="+strings.Repeat("0", 64))
	if code, _ := post("/slack/commands", form, h); code != http.StatusUnauthorized {
		t.Errorf("forged Slack signature: %d, want 401", code)
	}

	// Discord: a signed PING gets a PONG; a forged one 401.
	ping := `{"id":"1","application_id":"1234","type":1,"token":"x","version":1}`
	sig := ed25519.Sign(priv, []byte(ts+ping))
	dh := http.Header{"Content-Type": {"application/json"}, "X-Signature-Timestamp": {ts}, "X-Signature-Ed25519": {hex.EncodeToString(sig)}}
	if code, body := post("/discord/interactions", ping, dh); code != http.StatusOK || !strings.Contains(body, `"type":1`) {
		t.Errorf("signed Discord PING: %d %s", code, body)
	}
	sig[0] ^= 0xff
	dh.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	if code, _ := post("/discord/interactions", ping, dh); code != http.StatusUnauthorized {
		t.Errorf("forged Discord signature: %d, want 401", code)
	}
}

func TestServeAdapterSettingErrors(t *testing.T) {
	for name, environ := range map[string]map[string]string{
		"SLACK_SIGNING_SECRET": {"SLACK_BOT_TOKEN": "xoxb-x"},
		"DISCORD_APP_ID":       {"DISCORD_BOT_TOKEN": "x"},
		"DISCORD_PUBLIC_KEY":   {"DISCORD_BOT_TOKEN": "x", "DISCORD_APP_ID": "1", "DISCORD_PUBLIC_KEY": "nothex"},
	} {
		t.Run(name, func(t *testing.T) {
			environ["POLLBOT_DATA"] = filepath.Join(t.TempDir(), "pollbot.db")
			environ["POLLBOT_HTTP_ADDR"] = "127.0.0.1:0"
			code, _, stderr := runCmd(t, environ, "", "serve")
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 1 || !strings.Contains(lines[len(lines)-1], name) {
				t.Errorf("exit %d, want 1 with an error naming %s:\n%s", code, name, stderr)
			}
		})
	}
}
