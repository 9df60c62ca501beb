package kit

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestRedactURLs(t *testing.T) {
	for in, want := range map[string]string{
		`failed to post webhook: Post "https://hooks.slack.com/commands/T1/123/AbCdEfGhIjKl": EOF`:     `failed to post webhook: Post "https://hooks.slack.com/[redacted]": EOF`,
		`Post "https://discord.com/api/v9/webhooks/100/aW50ZXJhY3Rpb246?wait=true": dial tcp: timeout`: `Post "https://discord.com/[redacted]": dial tcp: timeout`,
		"redis://user:pw@h:6379/0?password=x":                                                          "redis://h:6379/[redacted]",
		"https://slack.com/":                                                                           "https://slack.com/",
		"wss://gateway.discord.gg":                                                                     "wss://gateway.discord.gg",
		"no url here: a://":                                                                            "no url here: a://",
		"two: http://a/x y https://b/z?q=1#f":                                                          "two: http://a/[redacted] y https://b/[redacted]",
	} {
		if got := RedactURLs(in); got != want {
			t.Errorf("RedactURLs(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactErr(t *testing.T) {
	base := errors.New("base")
	err := RedactErr(fmt.Errorf("post https://hooks.slack.com/actions/T1/2/secret: %w", base))
	if strings.Contains(err.Error(), "secret") || !errors.Is(err, base) {
		t.Errorf("RedactErr = %q (errors.Is base: %v)", err, errors.Is(err, base))
	}
	if RedactErr(nil) != nil {
		t.Error("RedactErr(nil) != nil")
	}
}

// TestRedactLogs: whatever shape a secret URL takes in a log record (an
// error, a string, a URL value, a group, an attribute added with With), it
// is cut to its host.
func TestRedactLogs(t *testing.T) {
	const secret = "AbCdEfGhIjKlMnOpQrStUvWx"
	raw := "https://hooks.slack.com/commands/T1/123/" + secret
	u, _ := url.Parse(raw)
	for _, h := range []func(*bytes.Buffer) slog.Handler{
		func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
		func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
	} {
		var buf bytes.Buffer
		log := RedactLogs(slog.New(h(&buf))).With("url", raw)
		log.Warn("post failed",
			"err", &url.Error{Op: "Post", URL: raw, Err: errors.New("EOF")},
			"wrapped", fmt.Errorf("failed to post webhook: %w", &url.Error{Op: "Post", URL: raw, Err: errors.New("EOF")}),
			"u", u,
			slog.Group("g", "inner", raw))
		log.WithGroup("x").Info("again " + raw)
		if out := buf.String(); strings.Contains(out, secret) || !strings.Contains(out, "hooks.slack.com") {
			t.Errorf("log output:\n%s", out)
		}
	}
}
