package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
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

// cpuTime is the CPU this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process CPU per operation since start: what a
// click costs the machine, goroutines that run after the answer (its
// follow-up, the coalesced edit) and the in-process fake Discord included.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64((cpuTime()-start).Microseconds())/float64(b.N), "cpu-µs/op")
}

// BenchmarkVoteCPU measures what one button click costs in HTTP
// interactions mode on the embedded bbolt store, serially, and each piece
// of the adapter's own work on it: decoding the interaction, encoding the
// type 7 answer, sending the ephemeral follow-up to the in-process fake
// Discord. Pieces have a discordgo baseline beside the path the adapter
// takes, in the same run (see docs/ARCHITECTURE.md, "Discord's wire
// format").
//
//	go test -run '^$' -bench VoteCPU -benchmem ./bot/discord/
func BenchmarkVoteCPU(b *testing.B) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(b, c, harnessOpts{http: true, store: boltStore(b, c), adapter: []Option{WithEditInterval(2 * time.Second)}})
	id, msgID := openPoll(b, h, str("title", "Bench"), str("themes", "Roads and bridges; Clean water; Schools; Clinics; Broadband"))
	voter := func(i int) member {
		return member{id: fmt.Sprintf("6%017d", i%500), roles: []string{govRoleID}}
	}
	// Warm the role cache.
	warm := h.interact(b, h.click(voter(0), msgID, bot.VoteAction(id, 0)))
	h.fake.followupsFor(b, warm.Token, 1)

	b.Run("handler", func(b *testing.B) {
		type signed struct {
			body []byte
			sig  sig
		}
		reqs := make([]signed, b.N)
		for i := range reqs {
			body, _ := json.Marshal(h.click(voter(i), msgID, bot.VoteAction(id, i%5)))
			reqs[i] = signed{body, h.sign(body, time.Now())}
		}
		b.ReportAllocs()
		b.ResetTimer()
		start := cpuTime()
		for i := range reqs {
			req := httptest.NewRequest(http.MethodPost, "/discord/interactions", bytes.NewReader(reqs[i].body))
			req.Header.Set("X-Signature-Timestamp", reqs[i].sig.ts)
			req.Header.Set("X-Signature-Ed25519", reqs[i].sig.sig)
			w := httptest.NewRecorder()
			h.adapter.serveHTTP(w, req)
			if w.Code != http.StatusOK || !bytes.HasPrefix(w.Body.Bytes(), []byte(`{"type":7`)) && !bytes.Contains(w.Body.Bytes()[:min(w.Body.Len(), 64)], []byte(`"type":7`)) {
				b.Fatalf("click %d: %d %.200s", i, w.Code, w.Body.String())
			}
		}
		h.adapter.wait()
		b.StopTimer()
		reportCPU(b, start)
	})

	click, _ := json.Marshal(h.click(voter(1), msgID, bot.VoteAction(id, 1)))
	b.Run("decode/discordgo", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			var in discordgo.Interaction
			if err := json.Unmarshal(click, &in); err != nil {
				b.Fatal(err)
			}
		}
	})

	v, err := h.engine.PollView(context.Background(), polls.Key{Tenant: tenantPrefix + testGuild, ID: id})
	if err != nil {
		b.Fatal(err)
	}
	embeds, comps := pollMessageIn(h.engine.Printer(), v)
	update := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: &discordgo.InteractionResponseData{
		Embeds: embeds, Components: comps, AllowedMentions: noMentions(),
	}}
	b.Run("encode/discordgo", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, err := json.Marshal(update); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("encode/wire", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if _, ok := appendResponse(make([]byte, 0, 4096), update); !ok {
				b.Fatal("not encoded by hand")
			}
		}
	})

	var in discordgo.Interaction
	if err := json.Unmarshal(click, &in); err != nil {
		b.Fatal(err)
	}
	note := message(bot.Reply{Visibility: bot.Ephemeral, Text: "Your ballot in poll " + id + ": Clean water. Counted for Government."})
	b.Run("followup/discordgo", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuTime()
		for range b.N {
			if _, err := h.adapter.session.FollowupMessageCreate(&in, false, note.webhook(), discordgo.WithContext(context.Background())); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
	b.Run("followup/wire", func(b *testing.B) {
		b.ReportAllocs()
		start := cpuTime()
		for range b.N {
			if err := h.adapter.createFollowUp(context.Background(), &in, note.webhook()); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
}
