package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/internal/metrics"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	return string(body)
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("/metrics lacks %q", l)
		}
	}
}

// TestEngineThroughMetrics drives a real engine over a bbolt store wrapped
// by the metrics and reads the result on /metrics as Prometheus would.
func TestEngineThroughMetrics(t *testing.T) {
	m := metrics.New("v1.2.3", nil)
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ws := m.WrapStore(st)
	m.CountOpenPolls(ws)
	cfg := bot.Config{Facilitators: []string{"slack:F"}}
	e := bot.New(polls.NewService(ws, polls.WithGroups(cfg.GroupList())), cfg, bot.WithMetrics(m))
	ctx := context.Background()
	fac := bot.Request{Platform: "slack", Tenant: "slack:T", User: "F"}
	r := e.HandleText(ctx, fac, `open "T" "A" "B"`)
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	e.HandleText(ctx, fac, `open "Second" "A" "B"`)
	e.HandleText(ctx, fac, "group academia")
	for range 3 {
		e.Act(ctx, fac, bot.Action{Kind: bot.ActVote, Poll: r.Opened.ID, Theme: 1})
	}
	e.HandleText(ctx, fac, "close "+r.Opened.ID)
	e.Act(ctx, fac, bot.Action{Kind: bot.ActVote, Poll: r.Opened.ID, Theme: 1})

	var co kit.CoalescerStats
	m.AddCoalescer("slack", func() kit.CoalescerStats { return co })
	co = kit.CoalescerStats{Rendered: 4, Coalesced: 7, RateLimited: 1}
	m.AddPool("slack", kit.NewPool(32, time.Second, time.Minute))

	body := scrape(t, m)
	wantLines(t, body,
		`pollbot_votes_total{outcome="cast",platform="slack"} 3`,
		`pollbot_votes_total{outcome="closed",platform="slack"} 1`,
		`pollbot_command_duration_seconds_count{command="click:vote",failed="false",platform="slack"} 3`,
		`pollbot_command_duration_seconds_count{command="click:vote",failed="true",platform="slack"} 1`,
		`pollbot_command_duration_seconds_count{command="open",failed="false",platform="slack"} 2`,
		`pollbot_store_duration_seconds_count{op="toggle"} 3`,
		`pollbot_open_polls 1`,
		`pollbot_message_updates_total{platform="slack",result="sent"} 4`,
		`pollbot_message_updates_total{platform="slack",result="coalesced"} 7`,
		`pollbot_message_updates_total{platform="slack",result="rate_limited"} 1`,
		`pollbot_build_info{version="v1.2.3"} 1`,
		`pollbot_deferred_running{platform="slack"} 0`,
		`pollbot_deferred_slots{platform="slack"} 32`,
		`pollbot_deferred_overflowed_total{platform="slack"} 0`,
	)
	// A vote on a closed poll is the store answering, not failing.
	if strings.Contains(body, "pollbot_store_errors_total") {
		t.Errorf("domain refusals counted as store errors:\n%s", grep(body, "pollbot_store_errors_total"))
	}
	if !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_") {
		t.Error("runtime and process collectors missing")
	}
}

func grep(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// failingStore records deliveries, and its other calls fail as an
// unreachable Redis would.
type failingStore struct {
	polls.Store
}

func (failingStore) Membership(context.Context, string, string) (polls.Membership, error) {
	return polls.Membership{}, errors.New("dial tcp 127.0.0.1:1: connection refused")
}

func (failingStore) RecordDelivery(context.Context, string, string) (bool, error) {
	return true, nil
}

func (failingStore) OpenPolls(context.Context) (int64, error) {
	return 0, errors.New("dial tcp 127.0.0.1:1: connection refused")
}

func TestStoreErrorsAndPassThrough(t *testing.T) {
	m := metrics.New("dev", nil)
	ws := m.WrapStore(failingStore{})
	m.CountOpenPolls(ws)
	if _, err := ws.Membership(context.Background(), "slack:T", "U1"); err == nil {
		t.Fatal("no error")
	}
	if first, err := ws.RecordDelivery(context.Background(), "slack:T", "k"); !first || err != nil {
		t.Errorf("RecordDelivery = %v, %v", first, err)
	}
	scrape(t, m) // counts the open polls, and fails
	body := scrape(t, m)
	wantLines(t, body,
		`pollbot_store_errors_total{op="membership"} 1`,
		`pollbot_store_duration_seconds_count{op="record_delivery"} 1`,
	)
	// Collectors run concurrently within a scrape, so a scrape may or may
	// not include the failure its own gauge just counted: one at least.
	if !strings.Contains(body, `pollbot_store_errors_total{op="open_polls"} `) {
		t.Errorf("the failed open-polls count is not counted as a store error:\n%s", grep(body, "pollbot_store_errors_total"))
	}
	// An unreachable store leaves the gauge out rather than reporting 0.
	if strings.Contains(body, "pollbot_open_polls ") {
		t.Errorf("open polls reported while the store is unreachable:\n%s", grep(body, "pollbot_open_polls"))
	}
}

func TestInstrumentRoutes(t *testing.T) {
	m := metrics.New("dev", nil)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/interactions", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "invalid signature", http.StatusUnauthorized)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewServer(m.Instrument(mux))
	defer srv.Close()
	for _, req := range []struct{ method, path string }{
		{"POST", "/slack/interactions"}, {"POST", "/slack/interactions"}, {"GET", "/healthz"}, {"GET", "/no/such/path/" + strings.Repeat("x", 100)},
	} {
		r, _ := http.NewRequest(req.method, srv.URL+req.path, nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if n := strings.Count(grep(scrape(t, m), "pollbot_http_requests_total{"), "\n") + 1; n != 3 {
		t.Errorf("%d request series, want 3 (unknown paths share one)", n)
	}
	wantLines(t, scrape(t, m),
		`pollbot_http_requests_total{code="401",route="POST /slack/interactions"} 2`,
		`pollbot_http_requests_total{code="200",route="GET /healthz"} 1`,
		`pollbot_http_requests_total{code="404",route="none"} 1`,
	)
}
