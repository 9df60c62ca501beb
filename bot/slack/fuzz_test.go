package slack_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	slackadapter "github.com/pollbot/pollbot/bot/slack"
)

// FuzzInteraction posts signed interaction payloads of any shape, through
// the whole decoding path of POST /slack/interactions (form, JSON depth
// check, slack-go's InteractionCallback, the clicks and modal submissions
// behind it): the adapter answers 200 or 400 (413 for a body over the
// limit) and never panics, whatever Slack (or someone holding the signing
// secret) sends.
//
//	go test -run '^$' -fuzz='^FuzzInteraction$' -fuzztime=1m ./bot/slack
func FuzzInteraction(f *testing.F) {
	client := &http.Client{Timeout: 5 * time.Second, Transport: loopbackOnly{http.DefaultTransport}}
	e := newEnv(f, false, boltStore(f), slackadapter.WithHTTPClient(client))
	p := e.open(`open "T" "A" "B" --kind ranked`)
	click, _ := json.Marshal(e.clickPayload("U1", "pollbot:vote:"+p.ID+":1", false))
	rank, _ := json.Marshal(e.clickPayload("U1", "pollbot:rank:"+p.ID, false))
	for _, seed := range []string{
		string(click), string(rank),
		`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"},"view":{"callback_id":"pollbot:rankform:` + p.ID + `","state":{"values":{"rank1":{"theme":{"selected_option":{"value":"99"}}},"rankx":{}}}}}`,
		`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"},"view":{"callback_id":"pollbot:rankform:NOPE"}}`,
		`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"actions":[{"block_id":"b","action_id":"pollbot:select:X","type":"static_select","selected_option":{"value":"pollbot:group:"}}]}`,
		`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"actions":[{"block_id":"b","action_id":"pollbot:vote:ZZZZ:26"}]}`,
		`{"type":"shortcut","team":{"id":"T1"},"user":{"id":"U1"}}`,
		`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"},"view":{"callback_id":"pollbot:rankform:` + p.ID + `","private_metadata":"<!channel>","state":{"values":{"rank1":{"theme":{"selected_option":{"value":"1"}}},"rank2":{"theme":{"selected_option":{"value":"1"}}}}}}}`,
		`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"response_url":"https://evil.example/x","actions":[{"action_id":"pollbot:group:<@U1>","action_ts":"1"}]}`,
		`[]`, `null`, `{"type":1}`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		code, body := e.postAs(t, "/slack/interactions", url.Values{"payload": {payload}}, nil)
		if code != http.StatusOK && code != http.StatusBadRequest && code != http.StatusRequestEntityTooLarge {
			t.Errorf("payload %q: HTTP %d %s", payload, code, body)
		}
	})
}
