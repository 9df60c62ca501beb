package discord

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// Bad input at every Discord entry point (HTTP interactions and the
// gateway's INTERACTION_CREATE): oversized bodies, deeply nested JSON,
// invalid UTF-8, huge options, thousands of themes or select values. Each
// is refused with a status and, where the request is authentic, an
// ephemeral message naming the problem and the limit; nothing is stored;
// memory stays bounded; every answer fits Discord's limits.

// allocated returns the bytes allocated while f runs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// endless yields an endless body of 'a's and counts what was read.
type endless struct{ n int64 }

func (c *endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	c.n += int64(len(p))
	return len(p), nil
}

// noPolls fails if the guild has any poll.
func noPolls(t *testing.T, h *harness) {
	t.Helper()
	page, err := h.svc.List(context.Background(), "discord:"+testGuild, polls.PollQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ps := page.Polls
	if len(ps) != 0 {
		t.Errorf("bad input stored %d polls (first: %q)", len(ps), ps[0].Title)
	}
}

// answerText returns the content and embed text of an interaction answer,
// after checking it against Discord's message limits: content, the 6000
// characters all embeds share, the number of embeds.
func answerText(t *testing.T, data map[string]any) string {
	t.Helper()
	content, _ := data["content"].(string)
	if n := utf8.RuneCountInString(content); n > maxContent {
		t.Errorf("content is %d characters; Discord allows %d", n, maxContent)
	}
	embeds, _ := data["embeds"].([]any)
	if len(embeds) > maxEmbeds {
		t.Errorf("%d embeds; Discord allows %d", len(embeds), maxEmbeds)
	}
	text := embedText(data)
	total := 0
	for _, e := range embeds {
		m, _ := e.(map[string]any)
		for _, k := range []string{"title", "description"} {
			s, _ := m[k].(string)
			total += utf8.RuneCountInString(s)
		}
		fields, _ := m["fields"].([]any)
		for _, f := range fields {
			fm, _ := f.(map[string]any)
			name, _ := fm["name"].(string)
			value, _ := fm["value"].(string)
			total += utf8.RuneCountInString(name) + utf8.RuneCountInString(value)
		}
		if f, ok := m["footer"].(map[string]any); ok {
			s, _ := f["text"].(string)
			total += utf8.RuneCountInString(s)
		}
	}
	if total > maxEmbedTotal {
		t.Errorf("embeds hold %d characters together; Discord allows %d", total, maxEmbedTotal)
	}
	return shown(content + "\n" + text)
}

// shown is Markdown as Discord shows it: escaped punctuation without its
// backslash, @ without the zero-width space that keeps it from mentioning.
func shown(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`\*_~`+"`"+`|[]<>#:-+.)`, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return strings.ReplaceAll(b.String(), "@\u200b", "@")
}

// TestOversizedInteraction: a body over 1 MiB is answered 413 before its
// signature is checked, reading at most limit+1 bytes of it and
// allocating little; one at the limit is verified (401 when forged).
func TestOversizedInteraction(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c)})

	// Signed, through the real server: the signature does not make it
	// acceptable.
	in := h.command(alice, "open", str("title", "T"), str("themes", "A; B"))
	in["pad"] = strings.Repeat("x", maxBody)
	body, _ := json.Marshal(in)
	status, data := h.post(t, body, h.sign(body, time.Now()))
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(string(data), fmt.Sprintf("at most %d bytes", maxBody)) {
		t.Errorf("signed %d-byte body: HTTP %d %q, want 413 naming the limit", len(body), status, data)
	}

	handler := h.srv.Config.Handler
	// Unknown length: read until one byte past the limit.
	r1 := &endless{}
	req := httptest.NewRequest(http.MethodPost, "/discord/interactions", io.LimitReader(r1, 8*maxBody))
	req.ContentLength = -1
	s := h.sign(nil, time.Now())
	req.Header.Set("X-Signature-Timestamp", s.ts)
	req.Header.Set("X-Signature-Ed25519", s.sig)
	rec := httptest.NewRecorder()
	n := allocated(func() { handler.ServeHTTP(rec, req) })
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("unknown length: HTTP %d %q, want 413", rec.Code, rec.Body)
	}
	if r1.n > maxBody+1 {
		t.Errorf("read %d bytes of an oversized body; the limit is %d", r1.n, maxBody)
	}
	if n > 4<<20 {
		t.Errorf("refusing an oversized body allocated %d bytes, want < 4 MiB", n)
	}

	// Declared length over the limit: nothing is read.
	r2 := &endless{}
	req = httptest.NewRequest(http.MethodPost, "/discord/interactions", io.LimitReader(r2, 8*maxBody))
	req.ContentLength = 8 * maxBody
	rec = httptest.NewRecorder()
	n = allocated(func() { handler.ServeHTTP(rec, req) })
	if rec.Code != http.StatusRequestEntityTooLarge || r2.n != 0 {
		t.Errorf("declared length: HTTP %d after reading %d bytes, want 413 after none", rec.Code, r2.n)
	}
	if n > 64<<10 {
		t.Errorf("refusing a declared oversized body allocated %d bytes, want < 64 KiB", n)
	}

	// At the limit: read, and refused for its forged signature.
	atLimit := []byte(`{"type":1,"pad":"` + strings.Repeat("x", maxBody-len(`{"type":1,"pad":""}`)) + `"}`)
	forged := h.sign([]byte("something else"), time.Now())
	if status, _ := h.post(t, atLimit, forged); status != http.StatusUnauthorized {
		t.Errorf("%d-byte body with a forged signature: HTTP %d, want 401", len(atLimit), status)
	}
	noPolls(t, h)
}

// nestedJSON returns n nested arrays.
func nestedJSON(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

// nestedComponents returns a message component nested n action rows deep,
// which discordgo decodes one level at a time.
func nestedComponents(n int) string {
	return strings.Repeat(`{"type":1,"components":[`, n) + `{"type":2,"custom_id":"x"}` + strings.Repeat(`]}`, n)
}

// TestNestedInteraction: authentic payloads nested 100,000 deep are a 400
// (encoding/json stops at depth 10,000), and nesting just under that depth
// costs bounded time and memory.
func TestNestedInteraction(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c)})
	handler := h.srv.Config.Handler
	for _, tc := range []struct {
		name, body string
		want       int
	}{
		{"100,000 nested arrays", nestedJSON(100_000), http.StatusBadRequest},
		{"nested data", `{"id":"1","type":2,"data":` + nestedJSON(100_000) + `}`, http.StatusBadRequest},
		{"nested options", `{"id":"1","type":2,"data":{"name":"poll","options":` + strings.Repeat(`[{"name":"x","options":`, 20_000) + `[]` + strings.Repeat(`}]`, 20_000) + `}}`, http.StatusBadRequest},
		{"nested components, 8,000 deep", `{"id":"2","type":3,"guild_id":"` + testGuild + `","data":{"custom_id":"x","component_type":2},"message":{"id":"1","components":[` + nestedComponents(4_000) + `]}}`, http.StatusBadRequest},
		{"nested components, 30 deep", `{"id":"3","type":3,"guild_id":"` + testGuild + `","data":{"custom_id":"x","component_type":2},"message":{"id":"1","components":[` + nestedComponents(15) + `]}}`, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			s := h.sign(body, time.Now())
			req := httptest.NewRequest(http.MethodPost, "/discord/interactions", strings.NewReader(tc.body))
			req.Header.Set("X-Signature-Timestamp", s.ts)
			req.Header.Set("X-Signature-Ed25519", s.sig)
			rec := httptest.NewRecorder()
			start := time.Now()
			n := allocated(func() { handler.ServeHTTP(rec, req) })
			if tc.want != 0 && rec.Code != tc.want {
				t.Errorf("HTTP %d %q, want %d", rec.Code, rec.Body, tc.want)
			}
			if rec.Code >= 500 {
				t.Errorf("HTTP %d %q", rec.Code, rec.Body)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("%d bytes took %v", len(body), d)
			}
			if n > 64<<20 {
				t.Errorf("%d bytes allocated %d bytes, want < 64 MiB", len(body), n)
			}
		})
	}
	noPolls(t, h)
}

// TestBadOptions sends /poll subcommands with bad typed options over HTTP
// and over the gateway: the sender gets an ephemeral answer naming the
// problem and the limit, within Discord's limits, and nothing is stored.
func TestBadOptions(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	labels := func(n int) string {
		l := make([]string, n)
		for i := range l {
			l[i] = fmt.Sprint(i + 1)
		}
		return strings.Join(l, ";")
	}
	cases := []struct {
		name string
		sub  string
		opts []opt
		want []string
	}{
		{"10,000-character label", "open", []opt{str("title", "T"), str("themes", "A; "+long)}, []string{"The theme list is too long: at most 10000 bytes; a poll has at most 25 themes, each at most 80 characters.", "Usage: /poll open"}},
		{"9,000-character label", "open", []opt{str("title", "T"), str("themes", "A; "+long[:9000])}, []string{"Theme 2 is 9000 characters; at most 80.", "Usage: /poll open"}},
		{"5,000 themes", "open", []opt{str("title", "T"), str("themes", labels(5000))}, []string{"at most 25 themes"}},
		{"1,000 themes", "open", []opt{str("title", "T"), str("themes", labels(1000))}, []string{"More than 100 themes given; at most 25."}},
		{"40 themes", "open", []opt{str("title", "T"), str("themes", labels(40))}, []string{"40 themes given; at most 25."}},
		{"10,000-character title", "open", []opt{str("title", long), str("themes", "A; B")}, []string{"The title is 10000 characters; at most 200."}},
		{"invalid UTF-8 title", "open", []opt{str("title", "T\xff"), str("themes", "A; B")}, []string{"The title contains U+FFFD"}},
		{"NUL in the title", "open", []opt{str("title", "T\x00"), str("themes", "A; B")}, []string{"The title contains a control character (U+0000)"}},
		{"ESC in a label", "open", []opt{str("title", "T"), str("themes", "\x1b[31mred; B")}, []string{"Theme 1 contains a control character (U+001B)"}},
		{"RTL override in a label", "open", []opt{str("title", "T"), str("themes", "A\u202eB; C")}, []string{"Theme 1 contains a text-direction control (U+202E)"}},
		{"invalid UTF-8 label", "open", []opt{str("title", "T"), str("themes", "A\xfe; C")}, []string{"Theme 1 contains U+FFFD"}},
		{"100 KB poll id", "close", []opt{str("poll", strings.Repeat("K", 100_000))}, []string{strings.Repeat("K", 40) + "… is not a poll id"}},
		{"poll id with NUL", "unvote", []opt{str("poll", "K7QX\x00")}, []string{"is not a poll id"}},
		{"100 KB vote", "vote", []opt{str("poll", "K7QX"), str("themes", strings.Repeat("1 ", 50_000))}, []string{"too long"}},
		{"100 KB duration", "extend", []opt{str("poll", "K7QX"), str("duration", strings.Repeat("9", 100_000))}, []string{"needs a unit"}},
		{"50 KB preset", "preset", []opt{str("name", strings.Repeat("p", 50_000))}, []string{"Unknown preset"}},
		{"50 KB group", "group", []opt{str("group", strings.Repeat("g", 50_000))}, []string{"Unknown group", "choose one of"}},
	}
	for _, mode := range []struct {
		name string
		http bool
	}{{"http", true}, {"gateway", false}} {
		t.Run(mode.name, func(t *testing.T) {
			c := &clock{t: time.Now().UTC()}
			h := newHarness(t, c, harnessOpts{http: mode.http, store: boltStore(t, c)})
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					r := h.interact(t, h.command(alice, tc.sub, tc.opts...))
					if r.Type != 4 || r.flags() != 64 {
						t.Fatalf("want an ephemeral answer (type 4, flags 64), got type %d flags %d", r.Type, r.flags())
					}
					got := answerText(t, r.Data)
					mustContain(t, tc.name, got, tc.want...)
					if len(got) > 3000 && tc.sub != "preset" {
						t.Errorf("a %d-character answer repeats the input back", len(got))
					}
				})
			}
			noPolls(t, h)
		})
	}
}

// TestBadComponents: clicks and submissions pollbot did not make, or with
// thousands of values, change nothing.
func TestBadComponents(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c)})
	var themes []string
	for i := 1; i <= 25; i++ {
		themes = append(themes, fmt.Sprintf("Theme %02d", i))
	}
	id, msgID := openPoll(t, h, str("title", "Many"), str("themes", strings.Join(themes, "; ")))
	rid, rmsg := openPoll(t, h, str("title", "Ranked"), str("themes", "A; B; C"), str("kind", "ranked"))

	values := make([]string, 5000)
	for i := range values {
		values[i] = fmt.Sprint(1 + i%25)
	}
	for _, tc := range []struct {
		name string
		in   map[string]any
		want string
	}{
		{"5,000 select values", h.click(bob, msgID, idSelect+id, values...), "Unknown control"},
		{"26 select values", h.click(bob, msgID, idSelect+id, append(values[:25:25], "1")...), "Unknown control"},
		{"10 KB custom id", h.click(bob, msgID, bot.VoteAction(id, 0)+strings.Repeat("9", 10_000)), "Unknown control"},
		{"invalid UTF-8 custom id", h.click(bob, msgID, "pollbot:vote:\xff:1"), "is not a poll id"},
		{"10 KB ranking", h.modal(bob, rmsg, idRankModal+rid, strings.Repeat("1 ", 5000)), "too long"},
		{"ranking with NUL", h.modal(bob, rmsg, idRankModal+rid, "1\x00 2"), "no theme"},
		{"5 KB modal id", h.modal(bob, rmsg, idRankModal+strings.Repeat("K", 5_000), "1 2 3"), "is not a poll id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := h.interact(t, tc.in)
			if r.Type != 4 || r.flags() != 64 {
				t.Fatalf("want an ephemeral answer, got type %d flags %d %v", r.Type, r.flags(), r.Data)
			}
			mustContain(t, tc.name, answerText(t, r.Data), tc.want)
		})
	}
	for _, p := range []string{id, rid} {
		if tl := tally(t, h, p); tl.Total() != 0 {
			t.Errorf("poll %s has %d ballots after bad input, want 0", p, tl.Total())
		}
	}
}

// TestLongTextFitsMessage: a reply whose text is far over every limit is
// laid out within the 2000-character content, 10 embeds and 6000
// characters all embeds share, beside a poll or alone, and is marked as
// shortened.
func TestLongTextFitsMessage(t *testing.T) {
	c := &clock{t: time.Now()}
	svc := polls.NewService(boltStore(t, c), polls.WithGroups(bot.Config{}.GroupList()), polls.WithClock(c.Now))
	e := bot.New(svc, bot.Config{})
	themes := make([]string, 25)
	for i := range themes {
		themes[i] = fmt.Sprintf("%02d %s", i, strings.Repeat("Ü", 77))
	}
	resp := e.Handle(context.Background(), bot.Request{Platform: Platform, Tenant: "discord:1", User: "u", Channel: "c"},
		bot.Open{Title: strings.Repeat("Ŧ", 200), Themes: themes})
	if resp.Opened == nil {
		t.Fatalf("open: %v", resp.Replies)
	}
	poll := resp.Replies[0].Poll
	for _, r := range []bot.Reply{
		{Text: strings.Repeat("x", 1_000_000)},
		{Text: strings.Repeat("a line of text\n", 100_000)},
		{Text: strings.Repeat("é", 5000)},
		{Text: strings.Repeat("x", 3000), Poll: poll},
		{Text: strings.Repeat("y\n", 40_000), Poll: poll},
	} {
		var m msg
		n := allocated(func() { m = message(r) })
		data, err := json.Marshal(m.responseData())
		if err != nil {
			t.Fatal(err)
		}
		var payload map[string]any
		if err := json.Unmarshal(data, &payload); err != nil {
			t.Fatal(err)
		}
		got := answerText(t, payload)
		if long := utf8.RuneCountInString(r.Text) > maxEmbedTotal || r.Poll != nil; long && !strings.Contains(got, "shortened") && !strings.Contains(got, "…") {
			t.Errorf("%d-byte text cut without a mark", len(r.Text))
		}
		if r.Poll != nil && !strings.Contains(got, "Ŧ") {
			t.Errorf("the poll was dropped for the text")
		}
		if n > 16<<20 {
			t.Errorf("laying out %d bytes of text allocated %d bytes", len(r.Text), n)
		}
		checkLimits(t, m)
	}
}
