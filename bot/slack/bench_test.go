package slack_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	slackadapter "github.com/pollbot/pollbot/bot/slack"
	"github.com/pollbot/pollbot/polls"
	"github.com/slack-go/slack"
)

// BenchmarkVoteClick measures signed block_actions vote clicks over HTTP
// mode against a real redis-server, from 50 concurrent clients on
// loopback, beside a baseline of the same requests to a handler that only
// verifies the signature. Metrics: votes/s and p50/p99 latency of both,
// the adapter's throughput as a share of the baseline's, and the rate at
// which voters got their ephemeral confirmation (deferred work included).
func BenchmarkVoteClick(b *testing.B) {
	const clients = 50
	// Production's coalescing interval: at most one chat.update per poll
	// per 2 s.
	// The pool holds a connection per concurrent request (go-redis'
	// default is 10 per CPU), as a deployment serving 50 concurrent
	// clicks would configure in POLLBOT_REDIS_URL.
	e := newEnv(b, false, redisStoreURL(b, "?pool_size=64&protocol=2"), slackadapter.WithCoalescer(kit.CoalesceEvery(2*time.Second)))
	e.fake.mu.Lock()
	e.fake.quiet = true // Slack's side of the confirmations is not ours to measure
	e.fake.mu.Unlock()
	p := e.open(`open "Bench" "A" "B" "C" "D" "E" "F" "G" "H" --quorum 1`)
	groups := []string{"government", "private-sector", "civil-society", "technical-community", "academia", "intergovernmental"}
	const users = 1000
	for i := range users {
		v := polls.Voter{Tenant: tenant, User: fmt.Sprintf("U%04d", i)}
		if _, _, err := e.svc.SetGroup(context.Background(), v, groups[i%len(groups)]); err != nil {
			b.Fatal(err)
		}
	}
	baseline := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			_, _ = sv.Write(body)
			err = sv.Ensure()
		}
		if err != nil {
			http.Error(w, "invalid signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer baseline.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * clients, MaxIdleConnsPerHost: 2 * clients}}

	var seq atomic.Int64
	body := func() string {
		n := seq.Add(1)
		payload := e.clickPayload(fmt.Sprintf("U%04d", n%users), bot.VoteAction(p.ID, int(n%8)), false)
		data, _ := json.Marshal(payload)
		return url.Values{"payload": {string(data)}}.Encode()
	}
	run := func(target string, n int) (perSec float64, lat []time.Duration) {
		var (
			next atomic.Int64
			mu   sync.Mutex
			wg   sync.WaitGroup
		)
		lat = make([]time.Duration, 0, n)
		start := time.Now()
		for range clients {
			wg.Go(func() {
				var mine []time.Duration
				for next.Add(1) <= int64(n) {
					bd := body()
					req, _ := http.NewRequest(http.MethodPost, target, strings.NewReader(bd))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
					sign(req.Header, bd, time.Now(), secret)
					t0 := time.Now()
					resp, err := client.Do(req)
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					mine = append(mine, time.Since(t0))
					if resp.StatusCode != http.StatusOK {
						b.Errorf("HTTP %d", resp.StatusCode)
						return
					}
				}
				mu.Lock()
				lat = append(lat, mine...)
				mu.Unlock()
			})
		}
		wg.Wait()
		return float64(n) / time.Since(start).Seconds(), lat
	}
	pct := func(lat []time.Duration, q float64) float64 {
		slices.Sort(lat)
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}

	b.StopTimer()
	baseRate, baseLat := run(baseline.URL, b.N)
	b.StartTimer()
	start := time.Now()
	rate, lat := run(e.http.URL+"/slack/interactions", b.N)
	// A vote is done for its voter when their confirmation arrived.
	waitFor(b, "every confirmation", func() bool { return e.fake.quietN.Load() >= int64(b.N) })
	confirmed := float64(b.N) / time.Since(start).Seconds()
	b.StopTimer()

	b.ReportMetric(rate, "votes/s")
	b.ReportMetric(confirmed, "confirmed-votes/s")
	b.ReportMetric(pct(lat, 0.50), "p50-ms")
	b.ReportMetric(pct(lat, 0.99), "p99-ms")
	b.ReportMetric(baseRate, "baseline-req/s")
	b.ReportMetric(pct(baseLat, 0.50), "baseline-p50-ms")
	b.ReportMetric(pct(baseLat, 0.99), "baseline-p99-ms")
	b.ReportMetric(100*rate/baseRate, "%-of-baseline")
	// Let deferred confirmations finish before the store goes away.
	waitFor(b, "the coalescer", func() bool { return e.a.Coalescer().Pending() == 0 })
}
