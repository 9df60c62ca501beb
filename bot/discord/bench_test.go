package discord

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
)

// BenchmarkHTTPClick measures signed component clicks over HTTP
// interactions mode against a real redis-server, from 50 concurrent
// clients on loopback, beside a verify-only baseline (signed PINGs to the
// same endpoint) in the same run.
//
//	POLLBOT_TEST_REDIS=required go test -run '^$' -bench HTTPClick ./bot/discord/
func BenchmarkHTTPClick(b *testing.B) {
	const clients = 50
	c := &clock{t: time.Now().UTC()}
	h := newHarness(b, c, harnessOpts{http: true, store: redisStore(b), adapter: []Option{WithEditInterval(2 * time.Second)}})
	id, msgID := openPoll(b, h, str("title", "Bench"), str("themes", "A; B; C; D; E; F; G; H; I; J"))
	h.httpCl = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2, MaxIdleConns: clients * 2}}

	type signed struct {
		body []byte
		sig  sig
	}
	prepare := func(n int, build func(i int) map[string]any) []signed {
		out := make([]signed, n)
		for i := range out {
			body, _ := json.Marshal(build(i))
			out[i] = signed{body, h.sign(body, time.Now())}
		}
		return out
	}
	run := func(reqs []signed, wantType int) (perSec float64, lat []time.Duration) {
		lat = make([]time.Duration, len(reqs))
		var wg sync.WaitGroup
		start := time.Now()
		for w := range clients {
			wg.Go(func() {
				for i := w; i < len(reqs); i += clients {
					t0 := time.Now()
					req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/discord/interactions", bytes.NewReader(reqs[i].body))
					req.Header.Set("X-Signature-Timestamp", reqs[i].sig.ts)
					req.Header.Set("X-Signature-Ed25519", reqs[i].sig.sig)
					resp, err := h.httpCl.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					var r struct{ Type int }
					data, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err := json.Unmarshal(data, &r); err != nil || r.Type != wantType {
						b.Errorf("response %d %s, want type %d", resp.StatusCode, data, wantType)
						return
					}
					lat[i] = time.Since(t0)
				}
			})
		}
		wg.Wait()
		return float64(len(reqs)) / time.Since(start).Seconds(), lat
	}
	pct := func(lat []time.Duration, p float64) float64 {
		s := slices.Clone(lat)
		slices.Sort(s)
		return float64(s[min(len(s)-1, int(float64(len(s))*p))].Microseconds()) / 1000
	}

	// Voters: 500 members whose role maps to a group, so every click
	// counts at once.
	voter := func(i int) member {
		return member{id: fmt.Sprintf("6%017d", i%500), roles: []string{govRoleID}}
	}
	pings := prepare(b.N, func(i int) map[string]any {
		return map[string]any{"id": fmt.Sprintf("p%d", i), "type": 1, "token": "t", "application_id": testApp}
	})
	clicks := prepare(b.N, func(i int) map[string]any {
		return h.click(voter(i), msgID, bot.VoteAction(id, i%10))
	})
	// Warm the role cache and the connections.
	run(prepare(clients, func(i int) map[string]any { return h.click(voter(i), msgID, bot.VoteAction(id, 0)) }), 7)

	b.ResetTimer()
	baseRate, baseLat := run(pings, 1)
	rate, lat := run(clicks, 7)
	b.StopTimer()
	h.adapter.wait()

	b.ReportMetric(rate, "votes/s")
	b.ReportMetric(pct(lat, 0.50), "p50_ms")
	b.ReportMetric(pct(lat, 0.99), "p99_ms")
	b.ReportMetric(baseRate, "verify_req/s")
	b.ReportMetric(pct(baseLat, 0.99), "verify_p99_ms")
	b.ReportMetric(100*rate/baseRate, "%_of_verify")
}
