package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/slack-go/slack"
)

// TestMain lets the test binary serve as pollbench's child servers, as
// pollbench's own executable does (see child.go).
func TestMain(m *testing.M) {
	if isChild() {
		os.Exit(childMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestFlagsRefuseOutOfBounds(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "10000001"},
		{"-duration", "11m"},
		{"-platform", "teams"},
		{"-themes", "21"},
		{"-themes", "1"},
		{"-clients", "0"},
		{"-users", "0"},
		{"-discord-key-seed", "abcd"},
		{"-secret", ""},
		{"-rounds", "0"},
		{"-n", "3", "-rounds", "5"},
		{"-duration", "1s", "-rounds", "20"},
		{"-rate", "-1"},
		{"-rate", "NaN"},
		{"-rate", "1000001"},
		{"-max-drain", "0s"},
		{"-redis-n", "-1"},
		{"stray"},
	} {
		var stderr bytes.Buffer
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	c, err := parseFlags(nil, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	if o, err := parseFlags([]string{"-rate", "2000"}, new(bytes.Buffer)); err != nil || o.Clients != 200 {
		t.Errorf("-rate 2000: %d clients, %v; want 200 by default", o.Clients, err)
	}
	if o, err := parseFlags([]string{"-rate", "2000", "-clients", "20"}, new(bytes.Buffer)); err != nil || o.Clients != 20 {
		t.Errorf("-rate 2000 -clients 20: %d clients, %v", o.Clients, err)
	}
	if c.Duration != 10*time.Second || c.Clients != 50 || c.Rounds != 5 || c.Rate != 0 || c.MaxDrain != time.Second ||
		len(c.Platforms) != 2 || c.SinkAddr != "127.0.0.1:8090" || len(c.key) == 0 {
		t.Errorf("defaults %+v", c)
	}
}

func TestRoundConfigSplitsTheLoad(t *testing.T) {
	c := &config{Clients: 7, Count: 11, Duration: 3 * time.Second, Rounds: 3, Rate: 500}
	var total int64
	for r := range 3 {
		rc := c.roundConfig(r, "http://127.0.0.1:1")
		total += rc.Count
		if rc.Duration != time.Second || rc.Clients != 7 || rc.Rate != 500 || rc.Target != "http://127.0.0.1:1" {
			t.Errorf("round %d: %+v", r, rc)
		}
	}
	if total != 11 {
		t.Errorf("the rounds send %d clicks, want 11", total)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, args := range [][]string{
		{"-target", "http://192.0.2.1:8080", "-n", "5"},
		{"-redis", "redis://192.0.2.1:6379/0", "-n", "5"},
		{"-sink", "0.0.0.0:0", "-n", "5", "-target", "http://127.0.0.1:1", "-wait", "1s"},
	} {
		var out, log bytes.Buffer
		err := run(ctx, args, &out, &log)
		if !errors.Is(err, loadgen.ErrNotLoopback) {
			t.Errorf("run(%q) = %v, want ErrNotLoopback", args, err)
		}
	}
}

func TestVerdict(t *testing.T) {
	good := func() *report {
		return &report{Platforms: []*platformReport{{Platform: "slack", Servers: []*serverReport{
			{Server: nameVerify, Requests: 10, OK: 10},
			{Server: namePollbot, Requests: 10, OK: 10, Confirmations: &confirmReport{Acknowledged: 10, Confirmed: 10}},
		}}}}
	}
	if err := good().verdict(); err != nil {
		t.Errorf("a good run: %v", err)
	}
	for _, tc := range []struct {
		name  string
		spoil func(*report)
		want  string
	}{
		{"failed requests", func(r *report) { r.Platforms[0].Servers[0].OK = 9 }, "slack verify-only: 1 of 10 requests failed"},
		{"unconfirmed", func(r *report) { r.Platforms[0].Servers[1].Confirmations.Confirmed = 8 }, "slack pollbot: 8 confirmations for 10 acknowledged votes"},
		{"backlog", func(r *report) {
			r.Platforms[0].Servers[1].Confirmations.Backlog = backlogVerdict{Behind: true, Why: "the backlog grew"}
		}, "slack pollbot: deliveries fell behind acknowledgements: the backlog grew"},
		{"tally", func(r *report) { r.Platforms[0].Servers[1].Problems = []string{"tally: off"} }, "slack pollbot: tally: off"},
		{"refused", func(r *report) {
			c := r.Platforms[0].Servers[1].Confirmations
			c.Refused, c.Refusal = 3, "Sorry, pollbot could not reach its store just now."
		}, `slack pollbot: 3 acknowledged clicks were refused in their confirmation (the last: "Sorry, pollbot could not reach its store just now.")`},
	} {
		r := good()
		tc.spoil(r)
		if err := r.verdict(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: verdict %v, want %q", tc.name, err, tc.want)
		}
	}
}

// slowConfirmer is a Slack interactions endpoint that acknowledges at once
// and confirms every click through one delivery loop that manages about
// one every interval: at a higher click rate its backlog grows.
func slowConfirmer(t *testing.T, interval time.Duration) string {
	queue := make(chan string, 100_000)
	done := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var cb slack.InteractionCallback
		if err := cb.UnmarshalJSON([]byte(r.FormValue("payload"))); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if interval == 0 {
			_ = slack.PostWebhookContext(r.Context(), cb.ResponseURL, &slack.WebhookMessage{Text: "Your ballot in poll P: Theme 1. Counted for Academia."})
			return
		}
		queue <- cb.ResponseURL
	}))
	go func() {
		defer close(done)
		for u := range queue {
			_ = slack.PostWebhook(u, &slack.WebhookMessage{Text: "Your ballot in poll P: Theme 1. Counted for Academia."})
			time.Sleep(interval)
		}
	}()
	t.Cleanup(func() {
		srv.Close()
		close(queue)
		<-done
	})
	return srv.URL
}

// TestRoundDetectsBacklog runs rounds at 2,000 clicks/s against a server
// that confirms as fast as it acknowledges and one whose deliveries manage
// a few hundred a second, and checks that the second, and only it, is
// judged to fall behind.
func TestRoundDetectsBacklog(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	sink, err := loadgen.StartSink(ctx, loadgen.SinkConfig{Quiet: true})
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	cfg := &config{Users: 50, Themes: 2, Clients: 8, Rounds: 1, Rate: 2000, Duration: 600 * time.Millisecond, MaxDrain: 300 * time.Millisecond}
	w := &world{cfg: cfg, sink: sink, meter: newCPUMeter()}
	pl := &platform{p: loadgen.PlatformSlack}
	for _, tc := range []struct {
		name     string
		interval time.Duration
		behind   bool
	}{
		{"keeps up", 0, false},
		{"falls behind", 2 * time.Millisecond, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			url := slowConfirmer(t, tc.interval)
			c, err := loadgen.NewSlack(ctx, loadgen.SlackConfig{BaseURL: url, SigningSecret: "x", ResponseURL: sink.SlackResponseURL()})
			if err != nil {
				t.Fatal(err)
			}
			s := &server{name: "fake", url: url, confirms: true, poll: &pollInfo{actions: []string{"pollbot:vote:P:1", "pollbot:vote:P:2"}},
				clicks: make([]atomic.Int32, cfg.Users*cfg.Themes),
				click: func(ctx context.Context, due time.Time, u int, _, action string) error {
					r, err := c.ClickAt(ctx, due, slackUser(u), action)
					if err != nil {
						return err
					}
					return r.Err()
				}}
			rr, err := w.round(ctx, pl, s, cfg.roundConfig(0, url))
			if err != nil {
				t.Fatal(err)
			}
			s.agg.add(rr)
			rep := s.report(cfg)
			c2 := rep.Confirmations
			if rep.Requests != 1200 || rep.OK != 1200 || c2.Acknowledged != 1200 || c2.Confirmed != 1200 || c2.Refused != 0 {
				t.Fatalf("%d of %d ok, %d confirmed of %d", rep.OK, rep.Requests, c2.Confirmed, c2.Acknowledged)
			}
			t.Logf("%s: backlog %+v; round %+v; lag p50 %v p99 %v", tc.name, c2.Backlog, rr.backlog, c2.P50ms, c2.P99ms)
			if c2.Backlog.Behind != tc.behind {
				t.Errorf("behind %v (%s; round %+v), want %v", c2.Backlog.Behind, c2.Backlog.Why, rr.backlog, tc.behind)
			}
			if c2.P50ms <= 0 || c2.P99ms < c2.P50ms || rep.LateP99ms < 0 || rep.AckP99ms <= 0 {
				t.Errorf("lags p50 %v p99 %v, ack p99 %v", c2.P50ms, c2.P99ms, rep.AckP99ms)
			}
			if tc.behind && c2.P99ms < 200 {
				t.Errorf("confirmation p99 %v ms while deliveries lag by seconds", c2.P99ms)
			}
		})
	}
}

// TestStartEndToEnd runs the self-contained mode briefly against a freshly
// built pollbot serve: redis-server, the sink, the verify-only and
// reference servers, both platforms in interleaved rounds, closed loop and
// then open loop; and checks that the report has the ratios, CPU per vote,
// memory per ballot and confirmation lags, and that every click was
// acknowledged, confirmed and tallied.
func TestStartEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		redistest.Check(t, fmt.Errorf("redis-server %w", redistest.ErrNotInstalled))
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not on PATH: cannot build pollbot")
	}
	// The build gets its own time: on a cold cache, with the rest of the
	// suite building beside it, it can take longer than the runs.
	buildCtx, cancelBuild := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancelBuild()
	bin, err := buildPollbot(buildCtx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	linux := runtime.GOOS == "linux"
	pollbench := func(t *testing.T, args ...string) *report {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
		defer cancel()
		args = append([]string{"-start", "-pollbot", bin, "-users", "60", "-themes", "5", "-json"}, args...)
		var out, log bytes.Buffer
		if err := run(ctx, args, &out, &log); err != nil {
			t.Fatalf("pollbench %s: %v\nreport:\n%s\nlog:\n%s", strings.Join(args, " "), err, out.String(), log.String())
		}
		var rep report
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			t.Fatalf("report is not JSON: %v\n%s", err, out.String())
		}
		return &rep
	}
	check := func(t *testing.T, rep *report, platforms int, clicks int64) {
		t.Helper()
		if !rep.Started || len(rep.Platforms) != platforms {
			t.Fatalf("report %+v", rep)
		}
		for _, p := range rep.Platforms {
			if p.Poll == "" || p.ReferencePoll == "" || len(p.Servers) != 3 {
				t.Fatalf("%s: %+v", p.Platform, p)
			}
			for i, s := range p.Servers {
				name := p.Platform + " " + s.Server
				if want := []string{nameVerify, nameReference, namePollbot}[i]; s.Server != want {
					t.Errorf("server %d is %q, want %q", i, s.Server, want)
				}
				if s.Requests != clicks || s.OK != clicks || len(s.Errors) != 0 || s.PerSec <= 0 || len(s.RoundPerSec) != rep.Rounds ||
					s.AckP50ms <= 0 || s.AckP99ms < s.AckP50ms || s.AckMaxMs < s.AckP99ms {
					t.Errorf("%s: %+v", name, s)
				}
				if _, ok := s.CPUPerVoteUs["server"]; linux && (!ok || s.CPUPerVoteUs["pollbench"] <= 0) {
					t.Errorf("%s: CPU per vote %v", name, s.CPUPerVoteUs)
				}
				if s.Server == nameVerify {
					if s.Confirmations != nil || s.RedisBytesPerBallot != 0 {
						t.Errorf("%s confirms or stores: %+v", name, s)
					}
					continue
				}
				c := s.Confirmations
				if c == nil || c.Acknowledged != clicks || c.Confirmed != clicks || c.Refused != 0 || c.P50ms <= 0 || c.P99ms < c.P50ms || c.Backlog.Behind || c.Backlog.Rounds != rep.Rounds {
					t.Errorf("%s confirmations: %+v", name, c)
				}
				if !s.TallyChecked || len(s.Problems) > 0 || s.MemoryBallots != 60 || s.RedisBytesPerBallot <= 0 {
					t.Errorf("%s: tally checked %v, memory %.0f B × %d ballots, problems %q", name, s.TallyChecked, s.RedisBytesPerBallot, s.MemoryBallots, s.Problems)
				}
				if _, ok := s.CPUPerVoteUs["redis"]; linux && !ok {
					t.Errorf("%s: no Redis CPU per vote: %v", name, s.CPUPerVoteUs)
				}
			}
			if r := p.Ratios; r == nil || r.RedisMemory <= 0 || (linux && r.ServerCPU <= 0) {
				t.Errorf("%s ratios %+v", p.Platform, r)
			}
		}
	}

	t.Run("closed loop", func(t *testing.T) {
		rep := pollbench(t, "-platform", "both", "-clients", "8", "-n", "900", "-rounds", "3", "-redis-n", "2000")
		check(t, rep, 2, 900)
		for _, p := range rep.Platforms {
			if r := p.Ratios; r.PollbotOverReference <= 0 || r.ReferenceOverVerify <= 0 || r.PollbotOverVerify <= 0 || len(r.RoundsPollbot) != 3 {
				t.Errorf("%s ratios %+v", p.Platform, r)
			}
		}
		if c := rep.Ceiling; c != nil && c.Skipped == "" {
			if c.Error != "" || c.Toggle == nil || c.Toggle.PerSec <= 0 || c.HSET == nil || c.HSET.PerSec <= 0 {
				t.Errorf("redis ceiling %+v", c)
			}
		}
	})
	t.Run("open loop", func(t *testing.T) {
		rep := pollbench(t, "-platform", "slack", "-clients", "16", "-rate", "300", "-duration", "1500ms", "-rounds", "3", "-redis-n", "0")
		// 300 a second for 0.5 s in each of 3 rounds.
		check(t, rep, 1, 450)
		p := rep.Platforms[0]
		if rep.Rate != 300 || rep.Ceiling != nil || p.Ratios.PollbotOverReference != 0 {
			t.Errorf("open loop report: rate %v, ceiling %+v, ratios %+v", rep.Rate, rep.Ceiling, p.Ratios)
		}
	})
}
