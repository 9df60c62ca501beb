package slack_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	slackadapter "github.com/pollbot/pollbot/bot/slack"
)

// loopbackOnly lets the adapter reach the fake Slack and nothing else,
// whatever response_url a fuzzed request names.
type loopbackOnly struct{ base http.RoundTripper }

func (l loopbackOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Hostname() != "127.0.0.1" {
		return nil, errors.New("fuzz: no requests outside the fake Slack")
	}
	return l.base.RoundTrip(r)
}

// FuzzSlashCommand posts signed slash command bodies of any shape to
// /slack/commands: the form decoding, slack-go's SlashCommandParse, the
// unescaping of Slack's &amp; &lt; &gt; and the command parser behind it.
// The adapter answers 200 (empty, or an ephemeral JSON message without the
// engine's marks of user text), 400 or 413, and never panics.
//
//	go test -run '^$' -fuzz='^FuzzSlashCommand$' -fuzztime=1m ./bot/slack
//
// Seeds are below and in testdata/fuzz/FuzzSlashCommand.
func FuzzSlashCommand(f *testing.F) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: loopbackOnly{http.DefaultTransport}}
	e := newEnv(f, false, boltStore(f), slackadapter.WithHTTPClient(client))
	p := e.open(`open "T" "A" "B" --kind ranked`)
	form := func(text string, drop ...string) string {
		v := url.Values{}
		for k, s := range e.commandPayload("UFAC", text) {
			v.Set(k, s)
		}
		for _, k := range drop {
			v.Del(k)
		}
		return v.Encode()
	}
	for _, seed := range []string{
		form(`open "Theme for 2027" "DNSSEC" "DNS abuse" --closes 48h`),
		form("vote " + p.ID + " 2 1"),
		form(`open "<!channel> [x](https://evil.example)" "<@U1>" "*b*" "&amp;lt;"`),
		form("assign <@U123|alice> government"),
		form("report " + p.ID),
		form("help"),
		form(""),
		form("list", "team_id"),
		"ssl_check=1&token=x",
		"text=%ZZ&team_id=T1&user_id=U1",
		"team_id=T1&user_id=U1&text=" + strings.Repeat("%E2%80%9C", 100),
		"team_id=T1&team_id=T2&user_id=U1&text=list&trigger_id=t",
		"",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req, err := http.NewRequest(http.MethodPost, e.http.URL+"/slack/commands", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sign(req.Header, body, time.Now(), secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		switch resp.StatusCode {
		case http.StatusOK:
			if len(data) == 0 {
				break
			}
			var ack struct {
				ResponseType string `json:"response_type"`
				Text         string `json:"text"`
			}
			if err := json.Unmarshal(data, &ack); err != nil || ack.ResponseType != "ephemeral" {
				t.Errorf("%q: acknowledged with %s (%v)", body, data, err)
			}
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Errorf("%q: HTTP %d %s", body, resp.StatusCode, data)
		}
		if strings.ContainsAny(string(data), "\uE000\uE001") {
			t.Errorf("%q: a user text mark in the acknowledgement %s", body, data)
		}
	})
}
