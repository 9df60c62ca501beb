package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
)

// benchWorkers is how many goroutines cast at once: a busy poll with many
// people clicking, served by a few replicas.
const benchWorkers = 50

// benchStore is the client setup both throughput benchmarks share: a
// pool with a connection for every worker, so neither waits for the pool.
func benchStore(b *testing.B) *Store {
	srv := redistest.StartServer(b)
	client, err := NewClient(srv.URL + "?pool_size=" + strconv.Itoa(benchWorkers+8))
	if err != nil {
		b.Fatal(err)
	}
	s := New(client)
	b.Cleanup(func() { s.Close() })
	return s
}

// setWorkers makes RunParallel use benchWorkers goroutines (rounded up to a
// multiple of GOMAXPROCS) and returns the number.
func setWorkers(b *testing.B) int {
	procs := runtime.GOMAXPROCS(0)
	p := (benchWorkers + procs - 1) / procs
	b.SetParallelism(p)
	return p * procs
}

// caster casts the i-th ballot of a benchmark: distinct voters, one in ten
// a recast that replaces an earlier ballot (possibly in another group).
type caster struct {
	s *Store
	p *polls.Poll
}

var benchGroups = []polls.Group{"government", "private-sector", "civil-society", "technical-community", "academia"}

func newCaster(b *testing.B, s *Store, id string) caster {
	p := newPoll("slack:T1", id, polls.Approval, 10)
	mustCreate(b, s, p)
	return caster{s: s, p: p}
}

func (c caster) cast(ctx context.Context, i int64) error {
	voter := i
	if i%10 == 0 {
		voter = i / 10
	}
	a, z := int(i%10), int((i+3)%10)
	bl := polls.Ballot{
		Voter:   "U" + strconv.FormatInt(voter, 10),
		Group:   benchGroups[i%int64(len(benchGroups))],
		Choices: []int{min(a, z), max(a, z)},
		CastAt:  time.Now(),
	}
	_, err := c.s.Cast(ctx, c.p.Tenant, c.p.ID, bl, "")
	return err
}

const baselineValue = `{"voter":"U1","group":"academia","choices":[1,4],"cast_at":"2026-01-01T00:00:00Z"}`

func hset(ctx context.Context, s *Store, key string, i int64) error {
	return s.rdb.HSet(ctx, key, "U"+strconv.FormatInt(i, 10), baselineValue).Err()
}

// BenchmarkCast measures ballots per second through the cast script.
func BenchmarkCast(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	c := newCaster(b, s, "BNCH")
	var n atomic.Int64
	workers := setWorkers(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := c.cast(ctx, n.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ballots/s")
	b.ReportMetric(float64(workers), "goroutines")
}

// BenchmarkHSETBaseline is the floor BenchmarkCast is measured against: one
// plain HSET round trip per operation, same client setup and concurrency.
func BenchmarkHSETBaseline(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	key := s.keys("slack:T1", "BNCH").ballots
	var n atomic.Int64
	workers := setWorkers(b)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := hset(ctx, s, key, n.Add(1)); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
	b.ReportMetric(float64(workers), "goroutines")
}

// BenchmarkCastVsHSET alternates rounds of 2,000 casts and 2,000 HSETs (50
// goroutines each) on one server, so both see the same load from the rest
// of the machine, and reports their throughputs and ratio. One op is one
// pair of rounds.
func BenchmarkCastVsHSET(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	c := newCaster(b, s, "PAIR")
	key := s.keys("slack:T1", "PAIR").ballots + "-baseline"
	const round = 2000
	var castT, hsetT time.Duration
	var castN, hsetN atomic.Int64
	for b.Loop() {
		castT += runRound(b, round, func() error { return c.cast(ctx, castN.Add(1)) })
		hsetT += runRound(b, round, func() error { return hset(ctx, s, key, hsetN.Add(1)) })
	}
	ops := float64(b.N * round)
	b.ReportMetric(ops/castT.Seconds(), "ballots/s")
	b.ReportMetric(ops/hsetT.Seconds(), "hset/s")
	b.ReportMetric(hsetT.Seconds()/castT.Seconds(), "cast/hset")
}

// runRound runs op ops times from benchWorkers goroutines and returns the
// wall time.
func runRound(b *testing.B, ops int64, op func() error) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range benchWorkers {
		wg.Go(func() {
			for next.Add(1) <= ops {
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkTallyReport reads the tally of a poll with 1,000,000 ballots and
// computes its report. The tally hash is written directly (no ballots
// exist): the report must come from the tally alone.
func BenchmarkTallyReport(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	p := newPoll("slack:T1", "MILL", polls.Approval, polls.MaxThemes)
	mustCreate(b, s, p)
	groups := polls.DefaultGroups
	fields := map[string]any{}
	const total = 1_000_000
	left := int64(total)
	for gi, g := range groups {
		n := int64(total / len(groups))
		if gi == len(groups)-1 {
			n = left
		}
		left -= n
		fields[polls.TallyBallotsField(g.ID)] = n
		for th := range p.Themes {
			fields[polls.TallyField(th, g.ID)] = n * int64((th*7+gi*3)%10+1) / 11
		}
	}
	if err := s.rdb.HSet(ctx, s.keys(p.Tenant, p.ID).tally, fields).Err(); err != nil {
		b.Fatal(err)
	}
	if n, err := s.rdb.HLen(ctx, s.keys(p.Tenant, p.ID).ballots).Result(); err != nil || n != 0 {
		b.Fatalf("ballots hash has %d entries, %v", n, err)
	}
	gs := polls.MustGroups(groups)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		t, err := s.Tally(ctx, p.Tenant, p.ID)
		if err != nil {
			b.Fatal(err)
		}
		r := polls.ComputeReport(p, t, gs)
		if r.Ballots != total || len(r.Themes) != polls.MaxThemes {
			b.Fatalf("report of %d ballots, %d themes", r.Ballots, len(r.Themes))
		}
	}
}

// BenchmarkListTallies reads the tallies of a listing's page of 100 polls
// (what `pollbot list` and /poll list show beside each poll): one Tally a
// poll, one round trip each, against Tallies, one pipeline for the page.
// The ratio is the point: 10,000 polls are a hundred pages.
func BenchmarkListTallies(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	const page = polls.MaxPageSize
	ids := make([]string, page)
	for i := range ids {
		p := newPoll("slack:T1", "L"+strconv.Itoa(1000+i), polls.Approval, 8)
		mustCreate(b, s, p)
		ids[i] = p.ID
		for v := range 5 {
			choices := []int{v % 8, (v + 3) % 8}
			bl := polls.Ballot{Voter: "v" + strconv.Itoa(v), Group: benchGroups[v], Choices: choices, Points: polls.Points(polls.Approval, 8, choices), CastAt: time.Now()}
			if _, err := s.Cast(ctx, "slack:T1", p.ID, bl, ""); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("one-a-poll", func(b *testing.B) {
		for b.Loop() {
			for _, id := range ids {
				if _, err := s.Tally(ctx, "slack:T1", id); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("pipelined", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.Tallies(ctx, "slack:T1", ids); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListAll10k lists a tenant of 10,000 polls with their ballots,
// page by page, as `pollbot list` does: a page of polls, then the page's
// tallies in one pipeline.
func BenchmarkListAll10k(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	const n = 10_000
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := range benchWorkers {
		wg.Go(func() {
			for i := w; i < n; i += benchWorkers {
				p := newPoll("slack:T1", "P"+strconv.Itoa(10000+i), polls.Approval, 4)
				if err := s.CreatePoll(ctx, p); err != nil {
					failed.Store(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	list := func(b *testing.B, tallies func(ids []string) error) {
		for b.Loop() {
			seen := 0
			for q := (polls.PollQuery{Limit: polls.MaxPageSize}); ; {
				page, err := s.Polls(ctx, "slack:T1", q)
				if err != nil {
					b.Fatal(err)
				}
				ids := make([]string, len(page.Polls))
				for i, p := range page.Polls {
					ids[i] = p.ID
				}
				if err := tallies(ids); err != nil {
					b.Fatal(err)
				}
				seen += len(page.Polls)
				q.Offset += len(page.Polls)
				if len(page.Polls) == 0 || q.Offset >= page.Total {
					break
				}
			}
			if seen != n {
				b.Fatalf("listed %d polls, want %d", seen, n)
			}
		}
	}
	// Before: a Tally a poll, one round trip each.
	b.Run("tally-a-poll", func(b *testing.B) {
		list(b, func(ids []string) error {
			for _, id := range ids {
				if _, err := s.Tally(ctx, "slack:T1", id); err != nil {
					return err
				}
			}
			return nil
		})
	})
	b.Run("pipelined", func(b *testing.B) {
		list(b, func(ids []string) error {
			_, err := s.Tallies(ctx, "slack:T1", ids)
			return err
		})
	})
}

// BenchmarkVoteMemory measures what Redis keeps per vote: 10,000 voters
// each toggle one theme of a poll, once with a delivery per click (as
// every platform click has) and once without, on a fresh poll each time;
// used_memory's growth divided by the votes is B/vote, the difference
// between the two is what a delivery record costs (B/delivery), and
// MEMORY USAGE of one delivery record is B/record (a key's own estimate);
// B/ballot and B/event are the MEMORY USAGE of the poll's ballots hash and
// audit log stream per vote.
func BenchmarkVoteMemory(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	const votes = 10_000
	used := func() int64 {
		info, err := s.rdb.InfoMap(ctx, "memory").Result()
		if err != nil {
			b.Fatal(err)
		}
		n, err := strconv.ParseInt(info["Memory"]["used_memory"], 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	var pollN atomic.Int64
	var ballotB, eventB float64
	run := func(withDelivery bool) float64 {
		p := newPoll("slack:T1", "M"+strconv.FormatInt(pollN.Add(1), 36), polls.Approval, 10)
		mustCreate(b, s, p)
		before := used()
		for i := range votes {
			d := ""
			if withDelivery {
				sum := sha256.Sum256([]byte("delivery|" + strconv.Itoa(i) + p.ID))
				d = hex.EncodeToString(sum[:16])
			}
			bl := polls.Ballot{Voter: "U" + strconv.Itoa(100000000+i), Group: benchGroups[i%len(benchGroups)], CastAt: time.Now()}
			if _, err := s.Toggle(ctx, p.Tenant, p.ID, bl, polls.Flip{Choice: i % 10, Points: 1}, d); err != nil {
				b.Fatal(err)
			}
		}
		grown := float64(used()-before) / votes
		k := s.keys(p.Tenant, p.ID)
		for key, sum := range map[string]*float64{k.ballots: &ballotB, k.log: &eventB} {
			n, err := s.rdb.MemoryUsage(ctx, key, 0).Result()
			if err != nil {
				b.Fatal(err)
			}
			*sum += float64(n) / votes / 2
		}
		return grown
	}
	var with, without float64
	for b.Loop() {
		with += run(true)
		without += run(false)
	}
	// A delivery bucket's hash, of about votes/deliveryBuckets records.
	sum := sha256.Sum256([]byte("delivery|0M1"))
	dkeys, _ := s.voteDeliveryKeys("slack:T1", "M1", hex.EncodeToString(sum[:16]))
	var rec int64
	for _, k := range dkeys[:2] {
		n, err := s.rdb.MemoryUsage(ctx, k, 0).Result()
		if err == nil {
			l, _ := s.rdb.HLen(ctx, k).Result()
			rec = n / max(l, 1)
		}
	}
	n := float64(b.N)
	b.ReportMetric(with/n, "B/vote")
	b.ReportMetric(without/n, "B/vote-no-delivery")
	b.ReportMetric((with-without)/n, "B/delivery")
	b.ReportMetric(float64(rec), "B/record")
	b.ReportMetric(ballotB/n, "B/ballot")
	b.ReportMetric(eventB/n, "B/event")
}
