package discord

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
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

// TestInteractionTokenNotLogged: when a follow-up fails, the log line says
// so without the interaction token, which lets anyone who has it post and
// edit as the app for 15 minutes. discordgo's error quotes the webhook URL
// (/webhooks/{app}/{token}), Go's *url.Error the whole of it.
func TestInteractionTokenNotLogged(t *testing.T) {
	for _, mode := range []struct {
		name string
		http bool
	}{{"http", true}, {"gateway", false}} {
		t.Run(mode.name, func(t *testing.T) {
			var logs logBuffer
			c := &clock{t: time.Now().UTC()}
			h := newHarness(t, c, harnessOpts{http: mode.http, store: boltStore(t, c),
				adapter: []Option{WithLogger(slog.New(slog.NewJSONHandler(&logs, nil)))}})
			id, msgID := openPoll(t, h, str("title", "T"), str("themes", "A; B"))
			h.fake.mu.Lock()
			h.fake.dropFollow = true
			h.fake.mu.Unlock()
			const token = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OnNlY3JldC10b2tlbi12YWx1ZQ"
			in := h.click(bob, msgID, bot.VoteAction(id, 0))
			in["token"] = token
			if r := h.interact(t, in); r.Type != 7 {
				t.Fatalf("click: type %d", r.Type)
			}
			waitFor(t, "the failed follow-up's log line", func() bool { return strings.Contains(logs.String(), "discord follow-up failed") })
			if out := logs.String(); strings.Contains(out, token) || strings.Contains(out, "/webhooks/") {
				t.Errorf("the interaction token is in the log:\n%s", out)
			}
		})
	}
}
