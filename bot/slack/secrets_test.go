package slack_test

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/pollbot/pollbot/bot"
	slackadapter "github.com/pollbot/pollbot/bot/slack"
)

// logBuffer collects log output written from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestResponseURLNotLogged: when posting to a response_url fails, the log
// line says so without the URL, which is the credential to post as the
// app in that conversation.
func TestResponseURLNotLogged(t *testing.T) {
	var logs logBuffer
	e := newEnv(t, false, boltStore(t), slackadapter.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	p := e.open(`open "T" "A" "B"`)
	e.command("UCIV", "group civil-society")

	// A response_url whose server drops the connection: slack-go returns
	// Go's *url.Error, which quotes the whole URL.
	drop := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	t.Cleanup(drop.Close)
	const secret = "Xy9kQ2mWv8RtL4nB7cZp1sHd"
	click := e.clickPayload("UCIV", bot.VoteAction(p.ID, 0), false)
	click["response_url"] = drop.URL + "/commands/T1/1700000000123/" + secret
	e.interact(click)
	waitFor(t, "the failed reply's log line", func() bool { return strings.Contains(logs.String(), "ephemeral reply failed") })
	out := logs.String()
	if strings.Contains(out, secret) || strings.Contains(out, "/commands/T1") {
		t.Errorf("the response_url is in the log:\n%s", out)
	}
	if host, _, _ := net.SplitHostPort(strings.TrimPrefix(drop.URL, "http://")); !strings.Contains(out, host) {
		t.Errorf("the log line no longer says which host failed:\n%s", out)
	}
}
