//go:build unix

package redisstore

import (
	"context"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// hideChecks wraps a store as a polls.Store only: a service over it does
// not see the store's membership check and reads the membership before
// every vote, as before the check existed.
type hideChecks struct{ polls.Store }

// cpuTime is the user and system CPU this process has used: the client's,
// redis-server being another process.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkClickMembership alternates rounds of 2,000 clicks (50
// goroutines, 200 voters with a self-declared group, a delivery each)
// through a service that reads the voter's membership before the vote
// ("read") and one whose vote script checks it ("checked"), on one server,
// and reports for each the clicks per second, the Redis commands and this
// process's CPU per click, and the ratios checked/read. One op is one pair
// of rounds.
func BenchmarkClickMembership(b *testing.B) {
	srv := benchStore(b)
	client := srv.rdb
	cc := &commandCounter{}
	client.AddHook(cc)
	ctx := context.Background()
	checked := polls.NewService(srv)
	read := polls.NewService(hideChecks{srv})
	p, err := checked.Open(ctx, polls.OpenRequest{Tenant: "slack:T1", Title: "Clicks", Themes: []string{"A", "B", "C", "D", "E", "F"}, Creator: "U-FAC"})
	if err != nil {
		b.Fatal(err)
	}
	const voters = 200
	for i := range voters {
		v := polls.Voter{Tenant: "slack:T1", User: "U" + strconv.Itoa(i)}
		if _, _, err := checked.SetGroup(ctx, v, string(benchGroups[i%len(benchGroups)])); err != nil {
			b.Fatal(err)
		}
	}
	var seq atomic.Int64
	click := func(svc *polls.Service) func() error {
		return func() error {
			i := seq.Add(1)
			v := polls.Voter{Tenant: "slack:T1", User: "U" + strconv.FormatInt(i%voters, 10), Delivery: "slack:act:" + strconv.FormatInt(i, 10)}
			r, err := svc.Click(ctx, v, p.ID, int(i/voters%6))
			if err == nil && r.Held {
				b.Error("a click was held")
			}
			return err
		}
	}
	type side struct {
		wall, cpu time.Duration
		cmds      int64
	}
	round := func(s *side, svc *polls.Service, n int64) {
		c0, k0 := cpuTime(b), cc.n.Load()
		s.wall += runRound(b, n, click(svc))
		s.cpu += cpuTime(b) - c0
		s.cmds += cc.n.Load() - k0
	}
	// Warm both: scripts loaded, polls and memberships seen.
	var warm side
	round(&warm, read, 2*voters)
	round(&warm, checked, 2*voters)

	const n = 2000
	var r, c side
	for b.Loop() {
		round(&r, read, n)
		round(&c, checked, n)
	}
	clicks := float64(b.N * n)
	b.ReportMetric(clicks/r.wall.Seconds(), "read-clicks/s")
	b.ReportMetric(clicks/c.wall.Seconds(), "checked-clicks/s")
	b.ReportMetric(float64(r.cmds)/clicks, "read-cmds/click")
	b.ReportMetric(float64(c.cmds)/clicks, "checked-cmds/click")
	b.ReportMetric(float64(r.cpu.Nanoseconds())/clicks, "read-cpu-ns/click")
	b.ReportMetric(float64(c.cpu.Nanoseconds())/clicks, "checked-cpu-ns/click")
	b.ReportMetric(r.wall.Seconds()/c.wall.Seconds(), "checked/read-throughput")
	b.ReportMetric(float64(c.cpu)/float64(r.cpu), "checked/read-cpu")
}
