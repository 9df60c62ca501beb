package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// announcements counts announcements per poll across replicas.
type announcements struct {
	mu sync.Mutex
	n  map[string]int
}

func (a *announcements) Announce(_ context.Context, p *polls.Poll, r bot.Response) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.n == nil {
		a.n = map[string]int{}
	}
	a.n[p.Key().String()]++
	if p.Status != polls.StatusClosed || len(r.Replies) == 0 || r.Replies[0].Poll == nil {
		panic(fmt.Sprintf("announcement of %s without the closed poll: %+v", p.ID, r))
	}
}

func (a *announcements) count(k polls.Key) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.n[k.String()]
}

// TestSchedulerTwoReplicasOneRedis runs two engines, each with its own Redis
// client (two replicas), against one real redis-server, with an injected
// clock: every due poll is closed and announced exactly once, polls not yet
// due stay open, and a poll that fell due while "no process ran" is closed
// by the first tick.
func TestSchedulerTwoReplicasOneRedis(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	var ann announcements
	var scheds []*bot.Scheduler
	var engines []*bot.Engine
	for range 2 {
		st, err := redisstore.Open(ctx, srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		e := bot.New(polls.NewService(st, polls.WithClock(clock.Now)), bot.Config{})
		engines = append(engines, e)
		scheds = append(scheds, bot.NewScheduler(e, &ann, time.Second))
	}
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U1"}
	var due, later []polls.Key
	for i := range 30 {
		closes := time.Duration(i%3+1) * time.Hour // 1h, 2h, 3h
		r := engines[i%2].Handle(ctx, req, bot.Open{Title: fmt.Sprint("Poll ", i), Themes: []string{"A", "B"},
			Opts: bot.OpenOptions{Closes: bot.Deadline{In: closes}}})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if closes <= 2*time.Hour {
			due = append(due, r.Opened.Key())
		} else {
			later = append(later, r.Opened.Key())
		}
	}
	// Nothing is due yet.
	for _, s := range scheds {
		if n, err := s.Tick(ctx); n != 0 || err != nil {
			t.Fatalf("tick before any deadline closed %d (%v)", n, err)
		}
	}
	// Both deadlines of 1h and 2h pass while no scheduler runs; then both
	// replicas tick at once, several times.
	clock.Advance(2*time.Hour + time.Minute)
	var wg sync.WaitGroup
	total := make([]int, len(scheds))
	for i, s := range scheds {
		wg.Go(func() {
			for range 5 {
				n, err := s.Tick(ctx)
				if err != nil {
					t.Error(err)
				}
				total[i] += n
			}
		})
	}
	wg.Wait()
	if total[0]+total[1] != len(due) {
		t.Errorf("replicas closed %d + %d polls, want %d in all", total[0], total[1], len(due))
	}
	for _, k := range due {
		if n := ann.count(k); n != 1 {
			t.Errorf("%s announced %d times, want once", k, n)
		}
		p, err := engines[0].Poll(ctx, k)
		if err != nil || p.Status != polls.StatusClosed || !p.ClosedAt.Equal(p.ClosesAt) {
			t.Errorf("%s: %+v %v; want closed at its deadline", k, p, err)
		}
	}
	for _, k := range later {
		if n := ann.count(k); n != 0 {
			t.Errorf("%s announced %d times before its deadline", k, n)
		}
	}
}

// TestSchedulerSurvivesRestart: a deadline stored by one process is honoured
// by the next one over the same embedded store file.
func TestSchedulerSurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pollbot.db")
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	open := func() (*bot.Engine, func()) {
		st, err := boltstore.Open(path, boltstore.WithClock(clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		return bot.New(polls.NewService(st, polls.WithClock(clock.Now)), bot.Config{}), func() { st.Close() }
	}
	e, stop := open()
	r := e.Handle(ctx, bot.Request{Platform: "shell", Tenant: "local", User: "you"},
		bot.Open{Title: "T", Themes: []string{"A"}, Opts: bot.OpenOptions{Closes: bot.Deadline{In: time.Hour}}})
	if r.Err != nil {
		t.Fatal(r.Err)
	}
	stop() // the process exits; the deadline passes while nothing runs
	clock.Advance(3 * time.Hour)
	e, stop = open()
	defer stop()
	var ann announcements
	if n, err := bot.NewScheduler(e, &ann, time.Second).Tick(ctx); n != 1 || err != nil {
		t.Fatalf("first tick after restart closed %d (%v), want 1", n, err)
	}
	if ann.count(r.Opened.Key()) != 1 {
		t.Error("not announced")
	}
}

// TestSchedulerStopLetsAnnouncementFinish: stopping Run while a tick is
// posting an announcement does not cancel the post (the closed poll is
// never due again, so a cancelled announcement would be lost).
func TestSchedulerStopLetsAnnouncementFinish(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	e := bot.New(polls.NewService(st, polls.WithClock(clock.Now)), bot.Config{})
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U1"}
	if r := e.Handle(context.Background(), req, bot.Open{Title: "T", Themes: []string{"A", "B"},
		Opts: bot.OpenOptions{Closes: bot.Deadline{In: time.Hour}}}); r.Err != nil {
		t.Fatal(r.Err)
	}
	clock.Advance(time.Hour + time.Minute)

	started, done := make(chan struct{}), make(chan error, 1)
	ann := bot.AnnouncerFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) {
		close(started)
		select {
		case <-time.After(300 * time.Millisecond): // a slow chat.postMessage
			done <- nil
		case <-ctx.Done():
			done <- ctx.Err()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { _ = bot.NewScheduler(e, ann, time.Hour).Run(ctx); close(stopped) }()
	<-started
	cancel() // SIGTERM while the announcement is being posted
	if err := <-done; err != nil {
		t.Errorf("the announcement under way was cancelled by the stop: %v", err)
	}
	<-stopped
}

// TestSchedulerAnnouncesAfterCrash: a replica closes a due poll and dies
// before announcing it (CloseDue ran; Announce and AnnouncementDone never
// did). Another replica's scheduler leaves the poll alone while the
// announcement's lease runs, announces it once the lease has passed, and
// not again on later ticks. On the embedded store (one process after the
// other, as after a restart) and on Redis (two replicas at once).
func TestSchedulerAnnouncesAfterCrash(t *testing.T) {
	const lease = 30 * time.Second
	run := func(t *testing.T, newStore func() polls.Store) {
		ctx := context.Background()
		clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
		svc := func() *polls.Service {
			return polls.NewService(newStore(), polls.WithClock(clock.Now), polls.WithAnnounceLease(lease))
		}
		crashedSvc := svc()
		crashed := bot.New(crashedSvc, bot.Config{})
		r := crashed.Handle(ctx, bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U1"},
			bot.Open{Title: "T", Themes: []string{"A", "B"}, Opts: bot.OpenOptions{Closes: bot.Deadline{In: time.Hour}}})
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		k := r.Opened.Key()
		clock.Advance(time.Hour + time.Second)
		won, err := crashedSvc.CloseDue(ctx, 100)
		if err != nil || len(won) != 1 || won[0].Key() != k {
			t.Fatalf("the crashing replica's CloseDue = %v, %v; want the poll", won, err)
		}

		var ann announcements
		other := bot.New(svc(), bot.Config{})
		sched := bot.NewScheduler(other, &ann, time.Second)
		tick := func(when string, want int) {
			t.Helper()
			n, err := sched.Tick(ctx)
			if err != nil || n != want || ann.count(k) != want {
				t.Fatalf("tick %s: %d announced (%v), poll announced %d times in all; want %d", when, n, err, ann.count(k), want)
			}
		}
		tick("at once", 0)
		clock.Advance(lease - 2*time.Second)
		tick("before the lease ran out", 0)
		clock.Advance(2 * time.Second)
		tick("when the lease ran out", 1)
		if n, err := sched.Tick(ctx); n != 0 || err != nil || ann.count(k) != 1 {
			t.Fatalf("tick again: %d announced (%v), poll announced %d times in all; want once", n, err, ann.count(k))
		}
		clock.Advance(2 * lease)
		if n, err := sched.Tick(ctx); n != 0 || err != nil || ann.count(k) != 1 {
			t.Fatalf("tick after another lease: %d announced (%v), poll announced %d times in all; want once", n, err, ann.count(k))
		}
		p, err := other.Poll(ctx, k)
		if err != nil || p.Status != polls.StatusClosed || !p.ClosedAt.Equal(p.ClosesAt) {
			t.Fatalf("%+v %v; want it closed at its deadline", p, err)
		}
	}
	t.Run("bolt", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "pollbot.db")
		var last polls.Store
		run(t, func() polls.Store {
			// One process at a time: the crashed one's file is released.
			if last != nil {
				last.Close()
			}
			st, err := boltstore.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			last = st
			return st
		})
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.StartServer(t)
		run(t, func() polls.Store {
			st, err := redisstore.Open(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
}
