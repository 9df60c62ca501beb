package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
)

// syncBuffer is a bytes.Buffer safe for the server's logger and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeHealthAndShutdown(t *testing.T) {
	addr := freeAddr(t)
	var logs syncBuffer
	environ := map[string]string{"POLLBOT_DATA": filepath.Join(t.TempDir(), "pollbot.db"), "POLLBOT_HTTP_ADDR": addr, "POLLBOT_LOG_FORMAT": "json"}
	e := env{in: strings.NewReader(""), out: io.Discard, err: &logs, getenv: func(k string) string { return environ[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, e) }()

	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if code, _ := get("/healthz"); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve never answered /healthz; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code, body := get("/readyz"); code != http.StatusOK || !strings.Contains(body, "ready") {
		t.Errorf("/readyz = %d %q", code, body)
	}
	get("/metrics") // counts the open polls; the store timing of that shows from the next scrape
	code, body := get("/metrics")
	for _, want := range []string{"pollbot_open_polls 0", `pollbot_http_requests_total{code="200",route="GET /readyz"} 1`, "pollbot_store_duration_seconds_count{op=\"open_polls\"}", "pollbot_build_info{version="} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}
	// A second process on the same embedded store is refused quickly.
	start := time.Now()
	code, _, stderr := runCmd(t, map[string]string{"POLLBOT_DATA": environ["POLLBOT_DATA"]}, "", "list")
	if code != 1 || !strings.Contains(stderr, "in use") || time.Since(start) > 5*time.Second {
		t.Errorf("second opener: exit %d after %v: %s", code, time.Since(start), stderr)
	}

	cancel() // as SIGINT/SIGTERM do
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d; logs:\n%s", code, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	if !strings.Contains(logs.String(), `"msg":"shutting down"`) {
		t.Errorf("no shutdown log in JSON:\n%s", logs.String())
	}
}

// TestServeChecksSlackToken: serve asks Slack (the in-process fake Slack
// API) whether the bot token is good before it serves: a token Slack
// refuses, or a Slack that cannot be reached, stops it at once with one
// line naming what to fix; a good one is logged with the workspace.
func TestServeChecksSlackToken(t *testing.T) {
	sink, err := loadgen.StartSink(context.Background(), loadgen.SinkConfig{SlackBotToken: "xoxb-good"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	closed := "http://" + freeAddr(t) + "/api/"
	for _, tc := range []struct {
		name, token, api, want string
	}{
		{"refused", "xoxb-mistyped", sink.SlackAPIURL(), "pollbot serve: SLACK_BOT_TOKEN: Slack refused the bot token (invalid_auth); copy the Bot User OAuth Token"},
		{"unreachable", "xoxb-good", closed, "pollbot serve: slack: cannot reach " + closed + " (SLACK_API_URL sets another address)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			environ := map[string]string{
				"POLLBOT_DATA": filepath.Join(t.TempDir(), "pollbot.db"), "POLLBOT_HTTP_ADDR": freeAddr(t),
				"SLACK_BOT_TOKEN": tc.token, "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": tc.api,
			}
			start := time.Now()
			code, _, stderr := runCmd(t, environ, "", "serve")
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) || time.Since(start) > 10*time.Second {
				t.Errorf("serve: exit %d after %v, want 1 at once with one line starting %q:\n%s", code, time.Since(start).Round(time.Millisecond), tc.want, stderr)
			}
		})
	}

	addr := freeAddr(t)
	var logs syncBuffer
	environ := map[string]string{
		"POLLBOT_DATA": filepath.Join(t.TempDir(), "pollbot.db"), "POLLBOT_HTTP_ADDR": addr,
		"SLACK_BOT_TOKEN": "xoxb-good", "SLACK_SIGNING_SECRET": "s", "SLACK_API_URL": sink.SlackAPIURL(),
	}
	e := env{in: strings.NewReader(""), out: io.Discard, err: &logs, getenv: func(k string) string { return environ[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, e) }()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "pollbot serving") {
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d:\n%s", code, logs.String())
	}
	if !strings.Contains(logs.String(), `msg="slack: bot token accepted" team=loadgen bot=pollbot`) {
		t.Errorf("no line saying the token was accepted:\n%s", logs.String())
	}
}
