package discord

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
)

// TestFollowUpsBounded: follow-up work runs in a bounded pool, like
// Slack's deferred deliveries: a burst of interactions waits for its
// follow-ups to start instead of running them all at once, and every one
// runs. (The pool's wait is long here so that the bound, not the
// overflow after followUpWait, is what the test sees; kit's tests cover
// the overflow.)
func TestFollowUpsBounded(t *testing.T) {
	a := &Adapter{pool: kit.NewPool(maxFollowUps, time.Hour, followUpTimeout), log: slog.New(slog.DiscardHandler)}
	var running, peak, done, starts atomic.Int64
	release := make(chan struct{})
	var started sync.WaitGroup
	const n = 3 * maxFollowUps
	started.Add(maxFollowUps)
	var callers sync.WaitGroup
	for range n {
		callers.Go(func() {
			a.goAfter(context.Background(), func(context.Context) {
				r := running.Add(1)
				for {
					p := peak.Load()
					if r <= p || peak.CompareAndSwap(p, r) {
						break
					}
				}
				if starts.Add(1) <= maxFollowUps {
					started.Done()
				}
				<-release
				running.Add(-1)
				done.Add(1)
			}, 0)
		})
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // any follow-up past the bound would start now
	if p := peak.Load(); p != maxFollowUps {
		t.Errorf("%d follow-ups ran at once, want %d", p, maxFollowUps)
	}
	close(release)
	callers.Wait()
	a.wait()
	if done.Load() != n {
		t.Errorf("%d of %d follow-ups ran", done.Load(), n)
	}
}

// TestChartAttachFailure: when Discord does not take a report's chart, the
// report is sent without it and the person who asked is told privately
// why the chart is missing.
func TestChartAttachFailure(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c)})
	r := h.interact(t, h.command(alice, "open", str("title", "Charts"), str("themes", "A; B")))
	mustContain(t, "open", r.content(), "is open")
	id := regexp.MustCompile(`Poll (K7\w\w) is open`).FindStringSubmatch(r.content())[1]
	h.fake.mu.Lock()
	h.fake.bigFiles = true
	h.fake.mu.Unlock()
	r = h.interact(t, h.command(alice, "report", str("poll", id)))
	fus := h.fake.followupsFor(t, r.Token, 2)
	if len(fus[0].Files) != 0 || !strings.Contains(embedText(fus[0].Payload), "Consensus report: Charts") {
		t.Errorf("the report without its chart: %v files, %s", len(fus[0].Files), embedText(fus[0].Payload))
	}
	note := fus[1]
	if note.flags() != 64 || !strings.Contains(note.str("content"), "pollbot could not attach "+id+"-chart.png: the file is larger than Discord takes.") {
		t.Errorf("the note: flags %d %q", note.flags(), note.str("content"))
	}
}

// TestFollowUpRateLimited: a follow-up Discord answers with 429 is sent
// again after the wait it asks for, once, on the direct webhook path; one
// it refuses is logged with Discord's answer and not repeated.
func TestFollowUpRateLimited(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	var logs syncBuffer
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c), adapter: []Option{WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}})
	id, msgID := openPoll(t, h, str("title", "Limits"), str("themes", "A; B"))
	h.fake.mu.Lock()
	h.fake.limitFollow, h.fake.limited = 2, 0
	h.fake.mu.Unlock()
	r := h.interact(t, h.click(bob, msgID, bot.VoteAction(id, 0)))
	if r.Type != 7 {
		t.Fatalf("vote: type %d", r.Type)
	}
	// Not h.adapter.wait(): the answer reaches the client before its
	// follow-up is started.
	fus := h.fake.followupsFor(t, r.Token, 1)
	h.fake.mu.Lock()
	limited := h.fake.limited
	h.fake.mu.Unlock()
	if len(fus) != 1 || limited != 2 || fus[0].flags() != 64 || !strings.Contains(fus[0].str("content"), "Your ballot") {
		t.Errorf("after two 429s: %d follow-ups (%d limited): %+v", len(fus), limited, fus)
	}
	if a, ok := fus[0].Payload["allowed_mentions"].(map[string]any); !ok || a["parse"] == nil {
		t.Errorf("follow-up without allowed_mentions: %v", fus[0].Payload)
	}

	h.fake.mu.Lock()
	h.fake.refuseFollow = true
	h.fake.mu.Unlock()
	r = h.interact(t, h.click(bob, msgID, bot.VoteAction(id, 1)))
	waitFor(t, "the refused follow-up logged", func() bool { return strings.Contains(logs.String(), "discord follow-up failed") })
	if got := logs.String(); !strings.Contains(got, "400 Bad Request") || !strings.Contains(got, "Invalid Form Body") {
		t.Errorf("refused follow-up not logged with Discord's answer:\n%s", got)
	}
	if strings.Contains(logs.String(), r.Token) {
		t.Errorf("the log quotes the interaction token:\n%s", logs.String())
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestVoteFollowUpBound: a vote's one text follow-up is bounded by the
// adapter's client timeout (so that net/http adds no deadline of its
// own); follow-ups with files or a picker, or several, keep the pool's.
func TestVoteFollowUpBound(t *testing.T) {
	a := &Adapter{direct: &http.Client{Timeout: 20 * time.Second}}
	text := bot.Reply{Visibility: bot.Ephemeral, Text: "Your ballot: 1"}
	for _, tc := range []struct {
		name    string
		replies []bot.Reply
		want    time.Duration
	}{
		{"one text", []bot.Reply{text}, 20 * time.Second},
		{"files", []bot.Reply{{Text: "chart", Files: []bot.File{{Name: "c.png"}}}}, 0},
		{"picker", []bot.Reply{{Picker: &bot.GroupPicker{Prompt: "Pick"}}}, 0},
		{"two", []bot.Reply{text, text}, 0},
	} {
		if got := a.confirmWithin(bot.Response{Replies: tc.replies}); got != tc.want {
			t.Errorf("%s: bound %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestFollowUpClientTimeout: a follow-up posted without a deadline of its
// own still ends at the adapter's client timeout when Discord does not
// answer, on the transport path and, with a cookie jar, through
// Client.Do; and it reads as Client.Do's error, naming the method.
func TestFollowUpClientTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*http.Client{{Timeout: 200 * time.Millisecond}, {Timeout: 200 * time.Millisecond, Jar: jar}} {
		a := &Adapter{direct: c, session: &discordgo.Session{UserAgent: "pollbot-test"}}
		start := time.Now()
		wait, err := a.postWebhook(context.Background(), srv.URL+"/webhooks/app/token", []byte(`{"content":"x"}`))
		if took := time.Since(start); err == nil || took > 5*time.Second {
			t.Fatalf("jar %v: the hung follow-up returned %v after %v, want an error at the client's timeout", c.Jar != nil, err, took)
		}
		var ue *url.Error
		if !errors.As(err, &ue) || ue.Op != "Post" || !errors.Is(err, context.DeadlineExceeded) && !ue.Timeout() {
			t.Errorf("jar %v: error %v (%T), want a timed-out *url.Error for Post", c.Jar != nil, err, err)
		}
		if wait >= 0 {
			t.Errorf("jar %v: a timed-out follow-up asks to be tried again after %v", c.Jar != nil, wait)
		}
	}
}
