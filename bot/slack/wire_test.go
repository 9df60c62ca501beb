package slack

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/slack-go/slack"
)

// sameJSON fails unless appendWebhook encodes m, and to what slack-go's
// encoding (encoding/json) of m decodes to.
func sameJSON(t *testing.T, m *slack.WebhookMessage) {
	t.Helper()
	want, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := appendWebhook(nil, m)
	if !ok {
		t.Fatalf("appendWebhook declined %s", want)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("appendWebhook wrote invalid JSON %q: %v", got, err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("appendWebhook wrote\n%s\nslack-go writes\n%s", got, want)
	}
}

func webhookOf(r bot.Reply, replace bool) *slack.WebhookMessage {
	m := renderReply(r)
	return &slack.WebhookMessage{ResponseType: slack.ResponseTypeEphemeral, Text: m.Text,
		Blocks: &slack.Blocks{BlockSet: m.Blocks}, ReplaceOriginal: replace}
}

// TestWebhookWireMatchesSlackGo: the confirmations and notes the vote path
// posts to a response_url encode as slack-go encodes them; what the
// encoder does not know (a poll's blocks, attachments, a channel) it
// declines.
func TestWebhookWireMatchesSlackGo(t *testing.T) {
	long := strings.Repeat("Your ballot: DNSSEC, DNS abuse <@U1> & \"BCP38\"\u2028 ", 200)
	for _, r := range []bot.Reply{
		{Visibility: bot.Ephemeral, Text: "Your ballot in poll K7QX: " + bot.UserText("DNSSEC") + ", " + bot.UserText("<!channel> *DNS abuse*")},
		{Visibility: bot.Ephemeral, Text: "line one\nline two\n\n:tada: \xff\x00 done"},
		{Visibility: bot.Ephemeral, Text: long},
		{Visibility: bot.Ephemeral},
	} {
		for _, replace := range []bool{false, true} {
			sameJSON(t, webhookOf(r, replace))
		}
	}
	sameJSON(t, &slack.WebhookMessage{Blocks: &slack.Blocks{}})
	sameJSON(t, &slack.WebhookMessage{Blocks: &slack.Blocks{BlockSet: []slack.Block{}}, DeleteOriginal: true})
	sameJSON(t, &slack.WebhookMessage{Text: "x", Blocks: &slack.Blocks{BlockSet: []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*x*", false, true), nil, nil),
		&slack.SectionBlock{Type: slack.MBTSection},
	}}})
	for name, m := range map[string]*slack.WebhookMessage{
		"a poll's blocks": {Blocks: &slack.Blocks{BlockSet: []slack.Block{slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, "T", false, false))}}},
		"an accessory": {Blocks: &slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(plain("x"), nil,
			slack.NewAccessory(slack.NewButtonBlockElement("a", "v", plain("b"))))}}},
		"a block id":   {Blocks: &slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(plain("x"), nil, nil, slack.SectionBlockOptionBlockID("b"))}}},
		"a channel":    {Channel: "C1", Text: "x"},
		"attachments":  {Attachments: []slack.Attachment{{Text: "x"}}},
		"a nil block":  {Blocks: &slack.Blocks{BlockSet: []slack.Block{(*slack.SectionBlock)(nil)}}},
		"unfurl links": {UnfurlLinks: new(bool)},
	} {
		if got, ok := appendWebhook(nil, m); ok {
			t.Errorf("%s: appendWebhook wrote %s, want it to decline", name, got)
		}
	}
}

// FuzzWebhookWire: any text in a confirmation's sections encodes as
// slack-go encodes it.
//
//	go test -run '^$' -fuzz='^FuzzWebhookWire$' -fuzztime=1m ./bot/slack
func FuzzWebhookWire(f *testing.F) {
	f.Add("Your ballot", "a\nb", true, false, byte(1))
	f.Add("<>&\u2028\u2029\x7f", "\xff\xfe\"\\", false, true, byte(0))
	f.Fuzz(func(t *testing.T, text, section string, emoji, flags bool, n byte) {
		set := []slack.Block{}
		for i := range int(n % 4) {
			typ := slack.PlainTextType
			if i%2 == 1 {
				typ = slack.MarkdownType
			}
			set = append(set, slack.NewSectionBlock(slack.NewTextBlockObject(typ, section, emoji, flags), nil, nil))
		}
		sameJSON(t, &slack.WebhookMessage{Text: text, Blocks: &slack.Blocks{BlockSet: set}, ResponseType: text,
			ReplaceOriginal: flags, DeleteOriginal: emoji})
	})
}

// TestPostWebhook: postWebhook sends the body with its content type, and
// answers a refusal with slack-go's errors.
func TestPostWebhook(t *testing.T) {
	var status int
	var retry, gotType string
	var got []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotType = r.Header.Get("Content-Type")
		got, _ = io.ReadAll(r.Body)
		if retry != "" {
			w.Header().Set("Retry-After", retry)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte("no_active_hooks"))
	}))
	defer srv.Close()
	m := webhookOf(bot.Reply{Visibility: bot.Ephemeral, Text: "Your ballot"}, false)
	status = http.StatusOK
	if err := postWebhook(t.Context(), srv.Client(), srv.URL, m); err != nil {
		t.Fatal(err)
	}
	want, _ := appendWebhook(nil, m)
	if gotType != "application/json" || string(got) != string(want) {
		t.Errorf("posted %q (%s), want %q (application/json)", got, gotType, want)
	}
	status, retry = http.StatusTooManyRequests, "3"
	var rl *slack.RateLimitedError
	if err := postWebhook(t.Context(), srv.Client(), srv.URL, m); !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Errorf("a 429 with Retry-After 3: %v, want slack.RateLimitedError of 3s", err)
	}
	status, retry = http.StatusNotFound, ""
	var sc slack.StatusCodeError
	if err := postWebhook(t.Context(), srv.Client(), srv.URL, m); !errors.As(err, &sc) || sc.Code != http.StatusNotFound {
		t.Errorf("a 404: %v, want slack.StatusCodeError 404", err)
	}
}

// BenchmarkWebhookWire: a vote's confirmation encoded by encoding/json
// (slack-go's way, the baseline) and by appendWebhook.
func BenchmarkWebhookWire(b *testing.B) {
	m := webhookOf(bot.Reply{Visibility: bot.Ephemeral, Text: "Your ballot in poll K7QX: " + bot.UserText("DNSSEC") + ", " + bot.UserText("DNS abuse") + "\nPoll closes in 2 days."}, false)
	b.Run("encoding/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("wire", func(b *testing.B) {
		b.ReportAllocs()
		buf := make([]byte, 0, 512)
		for b.Loop() {
			buf, _ = appendWebhook(buf[:0], m)
		}
	})
}
