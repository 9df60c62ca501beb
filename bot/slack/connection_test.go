package slack_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	slackadapter "github.com/pollbot/pollbot/bot/slack"
	"github.com/pollbot/pollbot/polls"
)

// closedURL is an http URL on a loopback port nothing listens on: Slack
// cannot be reached there.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/api/"
}

// TestSocketModeLogs: the log says when Socket Mode connects, that it is
// connected, and, when the connection drops, that it reconnects and why
// (or what closes connections when Slack gave no reason), then that it is
// connected again.
func TestSocketModeLogs(t *testing.T) {
	var logs logBuffer
	e := newEnv(t, true, boltStore(t), slackadapter.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	waitFor(t, "the connected line", func() bool { return strings.Contains(logs.String(), `msg="slack: socket mode connected"`) })
	if !strings.Contains(logs.String(), `msg="slack: socket mode connecting" api=`+kit.RedactURLs(e.fake.APIURL())) {
		t.Errorf("no connecting line with the API URL:\n%s", logs.String())
	}
	e.fake.Drop()
	waitFor(t, "the reconnection", func() bool {
		return strings.Contains(logs.String(), `msg="slack: socket mode connected" reconnections=1`) && e.fake.Connected()
	})
	out := logs.String()
	i := strings.Index(out, `msg="slack: socket mode reconnecting" reason=`)
	if i < 0 || i > strings.Index(out, "reconnections=1") {
		t.Errorf("no reconnecting line with a reason before the reconnection:\n%s", out)
	}
	// The adapter still works over the new connection.
	e.open(`open "T" "A" "B"`)
}

// TestSocketModeUnreachable: when Slack cannot be reached the log says so
// at once, with the error and when the next attempt is, instead of
// staying silent while it retries.
func TestSocketModeUnreachable(t *testing.T) {
	var logs logBuffer
	svc := polls.NewService(boltStore(t))
	api := closedURL(t)
	a, err := slackadapter.New(bot.New(svc, bot.Config{}), slackadapter.Config{BotToken: "xoxb-x", AppToken: "xapp-test", APIURL: api},
		slackadapter.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	waitFor(t, "the failed attempt's line", func() bool {
		return strings.Contains(logs.String(), `msg="slack: socket mode cannot connect; retrying" attempt=`)
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v after cancel, want nil", err)
	}
	out := logs.String()
	for _, want := range []string{`msg="slack: socket mode connecting" api=` + kit.RedactURLs(api), "retry_in=", "connection refused"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}

// TestSocketBadAppToken: Run stops with an error that names
// SLACK_APP_TOKEN when Slack refuses it.
func TestSocketBadAppToken(t *testing.T) {
	fake := newFakeSlack(t)
	svc := polls.NewService(boltStore(t))
	a, err := slackadapter.New(bot.New(svc, bot.Config{}), slackadapter.Config{BotToken: "xoxb-x", AppToken: "xapp-wrong", APIURL: fake.APIURL()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = a.Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "SLACK_APP_TOKEN: Slack refused the app-level token (invalid_auth)") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Run = %v", err)
	}
}

// TestCheck: the start-up check (auth.test) names the bot user and team,
// and fails in one line naming the setting to fix when Slack refuses the
// token or cannot be reached.
func TestCheck(t *testing.T) {
	fake := newFakeSlack(t)
	svc := polls.NewService(boltStore(t))
	check := func(token, api string) (string, string, error) {
		a, err := slackadapter.New(bot.New(svc, bot.Config{}), slackadapter.Config{BotToken: token, SigningSecret: secret, APIURL: api})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return a.Check(ctx)
	}
	if team, user, err := check("xoxb-test", fake.APIURL()); err != nil || team != "IGF" || user != "pollbot" {
		t.Errorf("Check = %q, %q, %v", team, user, err)
	}
	_, _, err := check("xoxb-revoked-1", fake.APIURL())
	if err == nil || !strings.HasPrefix(err.Error(), "SLACK_BOT_TOKEN: Slack refused the bot token (invalid_auth)") {
		t.Errorf("revoked token: %v", err)
	}
	api := closedURL(t)
	_, _, err = check("xoxb-test", api)
	if err == nil || !strings.HasPrefix(err.Error(), "slack: cannot reach "+api+" (SLACK_API_URL sets another address)") || strings.Contains(err.Error(), "\n") {
		t.Errorf("unreachable Slack: %v", err)
	}
}

// TestChartUploadFailure: when a report's chart cannot be uploaded, the
// report is still posted and the person who asked is told why, privately.
func TestChartUploadFailure(t *testing.T) {
	for _, tc := range []struct{ code, want string }{
		{"missing_scope", "the app lacks the files:write permission"},
		{"not_in_channel", "invite it first with /invite @pollbot"},
		{"fatal_error", "Slack answered fatal_error"},
	} {
		t.Run(tc.code, func(t *testing.T) {
			e := newEnv(t, false, boltStore(t))
			p := e.open(`open "T" "A" "B"`)
			e.fake.FailUploads(tc.code)
			e.command("UFAC", "report "+p.ID)
			e.waitEphemeral("The message is posted, but pollbot could not upload " + p.ID + "-chart.png")
			e.waitEphemeral(tc.want)
			waitFor(t, "the report", func() bool {
				for _, c := range e.fake.Calls("chat.postMessage") {
					if strings.Contains(c.Blocks(), "Consensus report") {
						return true
					}
				}
				return false
			})
		})
	}
	// An export sent by direct message says why too.
	e := newEnv(t, false, boltStore(t))
	p := e.open(`open "T" "A" "B"`)
	e.fake.FailUploads("missing_scope")
	e.command("UFAC", "export "+p.ID)
	e.waitEphemeral("pollbot could not upload " + p.ID + "-tally.csv: the app lacks the files:write permission")
}
