package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/internal/record"
	"github.com/redis/go-redis/v9"
)

// prefixes makes every store of a test run use its own keys, so tests can
// share one server (or cluster) and run in parallel.
var prefixes atomic.Int64

// env makes stores on one Redis deployment.
type env struct {
	url string
}

func (e env) client(t testing.TB) redis.UniversalClient {
	t.Helper()
	c, err := NewClient(e.url)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// store returns a store with a fresh prefix on its own client.
func (e env) store(t testing.TB) *Store {
	t.Helper()
	prefix := fmt.Sprintf("t%d:pollbot:", prefixes.Add(1))
	s := New(e.client(t), WithPrefix(prefix))
	t.Cleanup(func() { s.Close() })
	return s
}

// shared holds the Redis deployments this package's tests share, so that
// a cluster is formed once: started on first use, stopped by TestMain.
// Tests keep apart by key prefix (runFocused) or tenant (storetest).
var shared struct {
	dir         string
	serverOnce  sync.Once
	server      *redistest.Server
	serverErr   error
	clusterOnce sync.Once
	cluster     *redistest.Cluster
	clusterErr  error
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redisstore-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared.dir = dir
	code := m.Run()
	if shared.server != nil {
		shared.server.Stop()
	}
	if shared.cluster != nil {
		shared.cluster.Stop()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

func singleEnv(t *testing.T) env {
	t.Helper()
	shared.serverOnce.Do(func() {
		shared.server, shared.serverErr = redistest.NewServer(filepath.Join(shared.dir, "single"))
	})
	redistest.Check(t, shared.serverErr)
	return env{url: shared.server.URL}
}

func clusterEnv(t *testing.T) env {
	t.Helper()
	shared.clusterOnce.Do(func() {
		shared.cluster, shared.clusterErr = redistest.NewCluster(filepath.Join(shared.dir, "cluster"), 3)
	})
	redistest.Check(t, shared.clusterErr)
	return env{url: shared.cluster.URL}
}

func TestStore(t *testing.T) {
	e := singleEnv(t)
	runFocused(t, e)

	t.Run("KeyLayout", func(t *testing.T) {
		// Keys exactly as the package comment and docs/ARCHITECTURE.md name
		// them, with the default
		// prefix, on a server of its own so that nothing else is there.
		s := New(env{url: redistest.StartServer(t).URL}.client(t))
		t.Cleanup(func() { s.Close() })
		ctx := context.Background()
		p := newPoll("slack:T1", "K7QX", polls.Approval, 3)
		p.ClosesAt = time.Now().Add(time.Hour)
		p.Channel = "C1"
		mustCreate(t, s, p)
		mustCast(t, s, p, ballot("U1", "government", 0, 2))
		if err := s.SetMembership(ctx, "slack:T1", "U1", polls.Membership{Group: "government", Source: polls.SourceDeclared}); err != nil {
			t.Fatal(err)
		}
		if err := s.Hold(ctx, "slack:T1", "U2", polls.HeldVote{Poll: "K7QX", Choices: []int{1}}, time.Hour); err != nil {
			t.Fatal(err)
		}
		keys, err := s.rdb.Keys(ctx, "pollbot:*").Result()
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(keys)
		want := []string{
			"pollbot:deadlines",
			"pollbot:open",
			"pollbot:{slack:T1/K7QX}:ballots",
			"pollbot:{slack:T1/K7QX}:log",
			"pollbot:{slack:T1/K7QX}:poll",
			"pollbot:{slack:T1/K7QX}:tally",
			"pollbot:{slack:T1}:channel:C1",
			"pollbot:{slack:T1}:chstatus:open:C1",
			"pollbot:{slack:T1}:groups",
			"pollbot:{slack:T1}:held",
			"pollbot:{slack:T1}:hold:U2",
			"pollbot:{slack:T1}:polls",
			"pollbot:{slack:T1}:status:open",
		}
		if !slices.Equal(keys, want) {
			t.Errorf("keys:\n %q\nwant\n %q", keys, want)
		}
		tally, err := s.rdb.HGetAll(ctx, "pollbot:{slack:T1/K7QX}:tally").Result()
		if err != nil {
			t.Fatal(err)
		}
		wantTally := map[string]string{"n|government": "1", "0|government": "1", "2|government": "1", "v": "1"}
		if !maps.Equal(tally, wantTally) {
			t.Errorf("tally hash = %v, want %v", tally, wantTally)
		}
		dl, err := s.rdb.ZRangeWithScores(ctx, "pollbot:deadlines", 0, -1).Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(dl) != 1 || dl[0].Member != "slack:T1/K7QX" || int64(dl[0].Score) != stamp(p.ClosesAt).UnixMilli() {
			t.Errorf("deadlines = %v", dl)
		}
		entries, err := s.rdb.XRange(ctx, "pollbot:{slack:T1/K7QX}:log", "-", "+").Result()
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Values["e"] != "c" || entries[0].Values["u"] != "U1" ||
			entries[0].Values["g"] != "government" || entries[0].Values["d"] != "n,0,2" {
			t.Errorf("log = %v", entries)
		}
		ttl, err := s.rdb.PTTL(ctx, "pollbot:{slack:T1}:hold:U2").Result()
		if err != nil || ttl <= 0 || ttl > time.Hour {
			t.Errorf("held key TTL = %v, %v; want (0, 1h]", ttl, err)
		}
	})

	t.Run("ScriptCacheFlushed", func(t *testing.T) {
		// A restarted or failed-over server has no scripts: Run falls back
		// from EVALSHA to EVAL.
		s := e.store(t)
		ctx := context.Background()
		p := newPoll("local", "FLSH", polls.Approval, 2)
		mustCreate(t, s, p)
		if err := s.rdb.ScriptFlush(ctx).Err(); err != nil {
			t.Fatal(err)
		}
		mustCast(t, s, p, ballot("a", "academia", 1))
		checkTally(t, s, p)
	})

	t.Run("SurvivesRestart", func(t *testing.T) {
		srv := redistest.StartServer(t, "--appendonly", "yes", "--appendfsync", "always")
		s := New(env{url: srv.URL}.client(t))
		t.Cleanup(func() { s.Close() })
		p := newPoll("local", "DURA", polls.Ranked, 3)
		mustCreate(t, s, p)
		mustCast(t, s, p, ballot("a", "academia", 2, 0, 1))
		srv.Kill()
		if err := srv.Restart(); err != nil {
			t.Fatal(err)
		}
		checkTally(t, s, p)
		if _, err := s.Ballot(context.Background(), "local", "DURA", "a"); err != nil {
			t.Errorf("ballot after a crash and restart: %v", err)
		}
	})
}

func TestCluster(t *testing.T) {
	e := clusterEnv(t)
	runFocused(t, e)

	t.Run("HashTags", func(t *testing.T) {
		s := e.store(t)
		ctx := context.Background()
		for _, id := range []string{"AAAA", "K7QX", "ZZ99"} {
			k := s.keys("discord:42", id)
			var slots []int64
			for _, key := range []string{k.poll, k.ballots, k.tally, k.log} {
				n, err := s.rdb.ClusterKeySlot(ctx, key).Result()
				if err != nil {
					t.Fatal(err)
				}
				slots = append(slots, n)
			}
			if len(slices.Compact(slots)) != 1 {
				t.Errorf("keys of poll %s are in slots %v, want one", id, slots)
			}
		}
		var slots []int64
		for _, key := range []string{s.pollsKey("discord:42"), s.groupsKey("discord:42"), s.holdKey("discord:42", "x"),
			s.heldIndexKey("discord:42"), s.statusKey("discord:42", polls.StatusOpen), s.chStatusKey("discord:42", "C1", polls.StatusClosed),
			s.channelKey("discord:42", "C1"), s.tenantKey("discord:42", "dlv:x"), s.tenantKey("discord:42", "rate:x")} {
			n, err := s.rdb.ClusterKeySlot(ctx, key).Result()
			if err != nil {
				t.Fatal(err)
			}
			slots = append(slots, n)
		}
		if len(slices.Compact(slots)) != 1 {
			t.Errorf("tenant keys are in slots %v, want one", slots)
		}
	})

	t.Run("PollsAcrossNodes", func(t *testing.T) {
		// Enough polls that their slots cover every master, so Polls'
		// pipeline is split across nodes.
		s := e.store(t)
		ctx := context.Background()
		cc := s.rdb.(*redis.ClusterClient)
		nodes := map[string]bool{}
		var ids []string
		for i := range 40 {
			id := fmt.Sprintf("P%03d", i)
			ids = append(ids, id)
			p := newPoll("local", id, polls.Approval, 2)
			p.OpenedAt = time.UnixMilli(1_700_000_000_000 + int64(i)*1000).UTC()
			mustCreate(t, s, p)
			mustCast(t, s, p, ballot("v", "academia", 1))
			node, err := cc.MasterForKey(ctx, s.keys("local", id).poll)
			if err != nil {
				t.Fatal(err)
			}
			nodes[node.Options().Addr] = true
		}
		if len(nodes) < 3 {
			t.Fatalf("polls landed on %d masters, want 3", len(nodes))
		}
		got, err := s.Polls(ctx, "local", polls.PollQuery{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []string
		for _, p := range got.Polls {
			gotIDs = append(gotIDs, p.ID)
		}
		slices.Reverse(ids)
		if !slices.Equal(gotIDs, ids) {
			t.Errorf("Polls = %v, want %v", gotIDs, ids)
		}
	})
}

// runFocused is this package's own behavioural tests, run on a single node
// and on a cluster.
func runFocused(t *testing.T, e env) {
	ctx := context.Background()

	t.Run("CreateAndRead", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("slack:T1", "AB12", polls.Approval, 3)
		p.Title = `Priorities "2026" / ünïcödé`
		p.Anonymous, p.MaxChoices, p.Channel = true, 2, "C9"
		p.ClosesAt = time.Date(2099, 1, 2, 3, 4, 5, 6e6, time.UTC)
		p.Messages = []polls.MessageRef{{Platform: "slack", Channel: "C9", Message: "1.2"}}
		mustCreate(t, s, p)
		got, err := s.Poll(ctx, p.Tenant, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !samePoll(got, p) {
			t.Errorf("Poll =\n %+v\nwant\n %+v", got, p)
		}
		if err := s.CreatePoll(ctx, p); !errors.Is(err, polls.ErrExists) {
			t.Errorf("second CreatePoll: %v, want ErrExists", err)
		}
		if _, err := s.Poll(ctx, p.Tenant, "NONE"); !errors.Is(err, polls.ErrNotFound) {
			t.Errorf("Poll of a missing id: %v, want ErrNotFound", err)
		}
		if _, err := s.Poll(ctx, "slack:T2", p.ID); !errors.Is(err, polls.ErrNotFound) {
			t.Errorf("Poll in another tenant: %v, want ErrNotFound", err)
		}

		// Messages: replaced per platform and channel, added otherwise.
		for _, ref := range []polls.MessageRef{
			{Platform: "slack", Channel: "C9", Message: "1.3"},
			{Platform: "discord", Channel: "C9", Message: "77"},
			{Platform: "slack", Channel: "C/ü\"", Message: "5.5"},
		} {
			if err := s.SetMessage(ctx, p.Tenant, p.ID, ref); err != nil {
				t.Fatal(err)
			}
		}
		got, _ = s.Poll(ctx, p.Tenant, p.ID)
		wantMsgs := []polls.MessageRef{
			{Platform: "slack", Channel: "C9", Message: "1.3"},
			{Platform: "discord", Channel: "C9", Message: "77"},
			{Platform: "slack", Channel: "C/ü\"", Message: "5.5"},
		}
		if !slices.Equal(got.Messages, wantMsgs) {
			t.Errorf("messages = %v, want %v", got.Messages, wantMsgs)
		}
		if err := s.SetMessage(ctx, p.Tenant, "NONE", wantMsgs[0]); !errors.Is(err, polls.ErrNotFound) {
			t.Errorf("SetMessage on a missing poll: %v, want ErrNotFound", err)
		}
		if _, err := s.Poll(ctx, p.Tenant, "NONE"); !errors.Is(err, polls.ErrNotFound) {
			t.Errorf("SetMessage created a poll: %v", err)
		}
	})

	t.Run("Open", func(t *testing.T) {
		t.Parallel()
		// A prefix of its own per run: the servers are shared across
		// -count repetitions.
		prefix := fmt.Sprintf("open-test-%d:", time.Now().UnixNano())
		s, err := Open(ctx, e.url, WithPrefix(prefix))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if err := s.Ping(ctx); err != nil {
			t.Error(err)
		}
		mustCreate(t, s, newPoll("local", "OPEN", polls.Approval, 2))
		if _, err := s.rdb.HGet(ctx, prefix+"{local/OPEN}:poll", "status").Result(); err != nil {
			t.Errorf("prefix not applied: %v", err)
		}
		// Nothing listens on port 1: Open fails at once, without the
		// password in its error.
		_, err = Open(ctx, "redis://:hunter2@127.0.0.1:1/0")
		if err == nil || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Open of a dead address: %v", err)
		}
	})

	t.Run("BadBallots", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "BADB", polls.Approval, 3)
		mustCreate(t, s, p)
		if _, err := s.Cast(ctx, p.Tenant, p.ID, ballot("", "academia", 0), ""); err == nil {
			t.Error("Cast without a voter succeeded")
		}
		if _, err := s.Cast(ctx, p.Tenant, p.ID, ballot("v", "academia"), ""); !errors.Is(err, polls.ErrNoChoices) {
			t.Errorf("Cast without choices: %v, want ErrNoChoices", err)
		}
		noPoints := ballot("v", "academia", 0)
		noPoints.Points = nil
		if _, err := s.Cast(ctx, p.Tenant, p.ID, noPoints, ""); err == nil {
			t.Error("Cast without points succeeded")
		}
		if _, err := s.Cast(ctx, p.Tenant, p.ID, ballot("v", "academia", -1), ""); !errors.Is(err, polls.ErrUnknownTheme) {
			t.Errorf("Cast of theme -1: %v, want ErrUnknownTheme", err)
		}
		if _, err := s.Toggle(ctx, p.Tenant, p.ID, ballot("v", "academia"), polls.Flip{Choice: -1, Points: 1}, ""); !errors.Is(err, polls.ErrUnknownTheme) {
			t.Errorf("Toggle of theme -1: %v, want ErrUnknownTheme", err)
		}
		if tally := checkTally(t, s, p); tally.Total() != 0 {
			t.Errorf("refused ballots reached the tally: %+v", tally)
		}
	})

	t.Run("PollsNewestFirst", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i, id := range []string{"CCCC", "AAAA", "BBBB"} {
			p := newPoll("local", id, polls.Single, 2)
			p.OpenedAt = base.Add(time.Duration(i) * time.Minute)
			mustCreate(t, s, p)
		}
		mustCreate(t, s, newPoll("other", "DDDD", polls.Single, 2))
		got, err := s.Polls(ctx, "local", polls.PollQuery{})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range got.Polls {
			ids = append(ids, p.ID)
		}
		if want := []string{"BBBB", "AAAA", "CCCC"}; !slices.Equal(ids, want) {
			t.Errorf("Polls = %v, want %v", ids, want)
		}
		if got, err := s.Polls(ctx, "nobody", polls.PollQuery{}); err != nil || len(got.Polls) != 0 {
			t.Errorf("Polls of an empty tenant = %v, %v", got, err)
		}
	})

	t.Run("CastReplaceRetract", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "CAST", polls.Approval, 4)
		mustCreate(t, s, p)
		if prev := mustCast(t, s, p, ballot("u1", "government", 0, 1)); prev != nil {
			t.Errorf("first cast replaced %v", prev)
		}
		mustCast(t, s, p, ballot("u2", "academia", 1, 3))
		// u1 changes group and choices: the old contribution leaves the old
		// group.
		b := ballot("u1", "civil-society", 2)
		prev := mustCast(t, s, p, b)
		if prev == nil || prev.Group != "government" || !slices.Equal(prev.Choices, []int{0, 1}) {
			t.Errorf("replaced ballot = %+v", prev)
		}
		got, err := s.Ballot(ctx, p.Tenant, p.ID, "u1")
		if err != nil || !sameBallot(got, b) {
			t.Errorf("Ballot = %+v, %v; want %+v", got, err, b)
		}
		tally := checkTally(t, s, p)
		if _, ok := tally.Ballots["government"]; ok {
			t.Errorf("government still in tally: %+v", tally)
		}
		r, err := s.Retract(ctx, p.Tenant, p.ID, "u2", time.Now(), "")
		if err != nil || r.Prev == nil {
			t.Errorf("Retract = %+v, %v", r, err)
		}
		r, err = s.Retract(ctx, p.Tenant, p.ID, "u2", time.Now(), "")
		if err != nil || r.Prev != nil {
			t.Errorf("second Retract = %+v, %v; want nothing retracted", r, err)
		}
		if _, err := s.Ballot(ctx, p.Tenant, p.ID, "u2"); !errors.Is(err, polls.ErrNoBallot) {
			t.Errorf("Ballot after retract: %v, want ErrNoBallot", err)
		}
		tally = checkTally(t, s, p)
		if tally.Total() != 1 {
			t.Errorf("total = %d, want 1", tally.Total())
		}
		fields, _ := s.rdb.HGetAll(ctx, s.keys(p.Tenant, p.ID).tally).Result()
		for f, v := range fields {
			if v == "0" {
				t.Errorf("tally keeps a zero field %s", f)
			}
		}
		if _, err := s.Cast(ctx, p.Tenant, "NONE", b, ""); !errors.Is(err, polls.ErrNotFound) {
			t.Errorf("Cast in a missing poll: %v, want ErrNotFound", err)
		}
	})

	t.Run("RankedBorda", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "RANK", polls.Ranked, 4)
		mustCreate(t, s, p)
		mustCast(t, s, p, ballot("a", "academia", 2, 0, 3, 1))
		mustCast(t, s, p, ballot("b", "academia", 1, 2))
		mustCast(t, s, p, ballot("c", "government", 3))
		tally := checkTally(t, s, p)
		// m = 4: positions give 3, 2, 1, 0 points.
		if got, want := tally.Points["academia"], []int64{2, 3 + 0, 3 + 2, 1}; !slices.Equal(got, want) {
			t.Errorf("academia points = %v, want %v", got, want)
		}
		if got, want := tally.Points["government"], []int64{0, 0, 0, 3}; !slices.Equal(got, want) {
			t.Errorf("government points = %v, want %v", got, want)
		}
		mustCast(t, s, p, ballot("a", "government", 0))
		checkTally(t, s, p)
	})

	t.Run("Toggle", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "TOGL", polls.Approval, 5)
		p.MaxChoices = 2
		mustCreate(t, s, p)
		voter := `v "/\ ü` + "\u2028\x01<>"
		b := ballot(voter, "technical-community")
		toggle := func(theme int, want ...int) {
			t.Helper()
			r, err := s.Toggle(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: theme, Points: 1, Max: 2}, "")
			if err != nil {
				t.Fatalf("Toggle(%d): %v", theme, err)
			}
			got := polls.Ballot{Voter: voter, Group: b.Group, CastAt: b.CastAt}
			if r.Ballot != nil {
				got = *r.Ballot
			}
			if got.Voter != voter || got.Group != b.Group || !got.CastAt.Equal(b.CastAt) || !slices.Equal(got.Choices, want) {
				t.Fatalf("Toggle(%d) = %+v, want choices %v", theme, got, want)
			}
			stored, err := s.Ballot(ctx, p.Tenant, p.ID, voter)
			if len(want) == 0 {
				if !errors.Is(err, polls.ErrNoBallot) {
					t.Fatalf("ballot after removing the last theme: %+v, %v", stored, err)
				}
			} else if err != nil || !sameBallot(stored, got) {
				t.Fatalf("stored ballot %+v, %v; want %+v", stored, err, got)
			}
			if len(want) > 0 {
				// What the script built is what Go would have written.
				raw, _ := s.rdb.HGet(ctx, s.keys(p.Tenant, p.ID).ballots, voter).Result()
				if rec, _ := record.Encode(got); raw != rec {
					t.Fatalf("script wrote\n %s\nGo writes\n %s", raw, rec)
				}
			}
			checkTally(t, s, p)
		}
		toggle(3, 3)
		toggle(1, 1, 3)
		if _, err := s.Toggle(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: 0, Points: 1, Max: 2}, ""); !errors.Is(err, polls.ErrTooManyChoices) {
			t.Fatalf("third theme with max 2: %v, want ErrTooManyChoices", err)
		}
		toggle(3, 1)
		b.Group = "academia" // the voter's group changed meanwhile
		toggle(0, 0, 1)
		toggle(0, 1)
		toggle(1)
		if tally := checkTally(t, s, p); tally.Total() != 0 {
			t.Errorf("tally after every theme was removed: %+v", tally)
		}
	})

	t.Run("ConcurrentToggles", func(t *testing.T) {
		// Two quick clicks on different themes, from different replicas,
		// both land.
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "CLIK", polls.Approval, 25)
		mustCreate(t, s, p)
		var wg sync.WaitGroup
		for th := range 25 {
			wg.Go(func() {
				if _, err := s.Toggle(ctx, p.Tenant, p.ID, ballot("clicker", "academia"), polls.Flip{Choice: th, Points: 1}, ""); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		got, err := s.Ballot(ctx, p.Tenant, p.ID, "clicker")
		if err != nil || len(got.Choices) != 25 || !slices.IsSorted(got.Choices) {
			t.Errorf("ballot after 25 concurrent toggles: %+v, %v", got, err)
		}
		checkTally(t, s, p)
	})

	t.Run("ConcurrentCasts", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "MANY", polls.Ranked, 5)
		mustCreate(t, s, p)
		groups := []polls.Group{"government", "academia", "civil-society"}
		var wg sync.WaitGroup
		for w := range 50 {
			wg.Go(func() {
				for i := range 40 {
					voter := fmt.Sprintf("v%d", (w*40+i)%700) // some voters recast
					b := ballot(voter, groups[(w+i)%3], i%5, (i+1)%5, (i+3)%5)
					b.Points = polls.Points(p.Kind, len(p.Themes), b.Choices)
					if _, err := s.Cast(ctx, p.Tenant, p.ID, b, ""); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if tally := checkTally(t, s, p); tally.Total() != 700 {
			t.Errorf("total = %d, want 700", tally.Total())
		}
	})

	t.Run("BallotsStream", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "SCAN", polls.Single, 3)
		mustCreate(t, s, p)
		const n = 1200 // more than a listpack holds: a real HSCAN cursor
		var pipeErr error
		_, pipeErr = s.rdb.Pipelined(ctx, func(pipe redis.Pipeliner) error {
			for i := range n {
				b := ballot(fmt.Sprintf("v%04d", i), "academia", i%3)
				rec, _ := record.Encode(b)
				pipe.HSet(ctx, s.keys(p.Tenant, p.ID).ballots, b.Voter, rec)
			}
			return nil
		})
		if pipeErr != nil {
			t.Fatal(pipeErr)
		}
		seen := map[string]bool{}
		err := s.Ballots(ctx, p.Tenant, p.ID, func(b polls.Ballot) error {
			if seen[b.Voter] {
				t.Errorf("voter %s twice", b.Voter)
			}
			seen[b.Voter] = true
			return nil
		})
		if err != nil || len(seen) != n {
			t.Errorf("Ballots saw %d ballots, %v; want %d", len(seen), err, n)
		}
		stop := errors.New("stop")
		calls := 0
		err = s.Ballots(ctx, p.Tenant, p.ID, func(polls.Ballot) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("Ballots with a failing fn: %d calls, %v", calls, err)
		}
	})

	t.Run("CloseRace", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		for _, to := range []polls.Status{polls.StatusClosed, polls.StatusCancelled} {
			p := newPoll("local", "RC"+string(to[:2]), polls.Approval, 2)
			p.ClosesAt = time.Now().Add(time.Hour)
			mustCreate(t, s, p)
			// Each racer on its own client, as separate replicas would be.
			racers := make([]*Store, 30)
			for i := range racers {
				racers[i] = New(e.client(t), WithPrefix(s.prefix))
				t.Cleanup(func() { racers[i].Close() })
			}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for _, c := range racers {
				wg.Go(func() {
					ok, err := c.ClosePoll(ctx, p.Tenant, p.ID, to, time.Now())
					if err != nil {
						t.Error(err)
					}
					if ok {
						wins.Add(1)
					}
				})
			}
			wg.Wait()
			if wins.Load() != 1 {
				t.Errorf("%d callers won closing to %s, want 1", wins.Load(), to)
			}
			got, _ := s.Poll(ctx, p.Tenant, p.ID)
			if got.Status != to || got.ClosedAt.IsZero() {
				t.Errorf("poll after close: status %s, closed at %v", got.Status, got.ClosedAt)
			}
			if due, _ := s.DueDeadlines(ctx, time.Now().Add(2*time.Hour), 0); len(due) != 0 {
				t.Errorf("closed poll still in the deadline index: %v", due)
			}
		}
	})

	t.Run("StatusTransitions", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "STAT", polls.Approval, 2)
		mustCreate(t, s, p)
		mustCast(t, s, p, ballot("a", "academia", 0))
		at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
		if ok, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, at); !ok || err != nil {
			t.Fatalf("Close = %v, %v", ok, err)
		}
		if ok, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, at); ok || err != nil {
			t.Errorf("second Close = %v, %v; want false, nil", ok, err)
		}
		if _, err := s.Cast(ctx, p.Tenant, p.ID, ballot("b", "academia", 0), ""); !errors.Is(err, polls.ErrClosed) {
			t.Errorf("Cast in a closed poll: %v, want ErrClosed", err)
		}
		if _, err := s.Toggle(ctx, p.Tenant, p.ID, ballot("b", "academia"), polls.Flip{Choice: 0, Points: 1}, ""); !errors.Is(err, polls.ErrClosed) {
			t.Errorf("Toggle in a closed poll: %v, want ErrClosed", err)
		}
		if _, err := s.Retract(ctx, p.Tenant, p.ID, "a", time.Now(), ""); !errors.Is(err, polls.ErrClosed) {
			t.Errorf("Retract in a closed poll: %v, want ErrClosed", err)
		}
		if err := s.SetDeadline(ctx, p.Tenant, p.ID, time.Now().Add(time.Hour)); !errors.Is(err, polls.ErrNotOpen) {
			t.Errorf("SetDeadline on a closed poll: %v, want ErrNotOpen", err)
		}
		got, _ := s.Poll(ctx, p.Tenant, p.ID)
		if got.Status != polls.StatusClosed || !got.ClosedAt.Equal(at) {
			t.Errorf("closed poll: %s at %v", got.Status, got.ClosedAt)
		}

		closes := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
		if ok, err := s.Reopen(ctx, p.Tenant, p.ID, closes); !ok || err != nil {
			t.Fatalf("Reopen = %v, %v", ok, err)
		}
		if ok, err := s.Reopen(ctx, p.Tenant, p.ID, closes); ok || err != nil {
			t.Errorf("second Reopen = %v, %v; want false, nil", ok, err)
		}
		got, _ = s.Poll(ctx, p.Tenant, p.ID)
		if got.Status != polls.StatusOpen || !got.ClosedAt.IsZero() || !got.ClosesAt.Equal(closes) {
			t.Errorf("reopened poll: %s, closed at %v, closes at %v", got.Status, got.ClosedAt, got.ClosesAt)
		}
		if due, _ := s.DueDeadlines(ctx, closes, 10); !slices.Contains(due, p.Key()) {
			t.Errorf("reopened poll not in the deadline index: %v", due)
		}
		mustCast(t, s, p, ballot("b", "academia", 1))

		if ok, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusCancelled, at.Add(time.Hour)); !ok || err != nil {
			t.Fatalf("Cancel = %v, %v", ok, err)
		}
		if _, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, at); !errors.Is(err, polls.ErrCancelled) {
			t.Errorf("Close of a cancelled poll: %v, want ErrCancelled", err)
		}
		if _, err := s.Reopen(ctx, p.Tenant, p.ID, time.Time{}); !errors.Is(err, polls.ErrCancelled) {
			t.Errorf("Reopen of a cancelled poll: %v, want ErrCancelled", err)
		}
		if _, err := s.Cast(ctx, p.Tenant, p.ID, ballot("c", "academia", 0), ""); !errors.Is(err, polls.ErrCancelled) {
			t.Errorf("Cast in a cancelled poll: %v, want ErrCancelled", err)
		}
		if due, _ := s.DueDeadlines(ctx, closes, 10); slices.Contains(due, p.Key()) {
			t.Errorf("cancelled poll still in the deadline index: %v", due)
		}
		for _, f := range []func() error{
			func() error { _, err := s.ClosePoll(ctx, "local", "NONE", polls.StatusClosed, at); return err },
			func() error { _, err := s.Reopen(ctx, "local", "NONE", time.Time{}); return err },
			func() error { return s.SetDeadline(ctx, "local", "NONE", time.Time{}) },
			func() error { _, err := s.Retract(ctx, "local", "NONE", "a", time.Now(), ""); return err },
			func() error {
				_, err := s.Toggle(ctx, "local", "NONE", ballot("a", "academia"), polls.Flip{Choice: 0, Points: 1}, "")
				return err
			},
			func() error { _, err := s.Tally(ctx, "local", "NONE"); return err },
		} {
			if err := f(); !errors.Is(err, polls.ErrNotFound) {
				t.Errorf("on a missing poll: %v, want ErrNotFound", err)
			}
		}
		if _, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusOpen, at); !errors.Is(err, polls.ErrInvalidOption) {
			t.Errorf("Close to open: %v, want ErrInvalidOption", err)
		}
	})

	t.Run("Deadline", func(t *testing.T) {
		// The server clock decides: a poll whose deadline is already past
		// by it refuses ballots, whatever the caller's clock says.
		t.Parallel()
		s := e.store(t)
		past := time.Now().Add(-time.Minute)
		p := newPoll("local", "PAST", polls.Approval, 2)
		p.ClosesAt = past
		mustCreate(t, s, p)
		future := newPoll("local", "LATE", polls.Approval, 2)
		future.ClosesAt = time.Now().Add(time.Hour)
		mustCreate(t, s, future)
		if _, err := s.Cast(ctx, p.Tenant, p.ID, ballot("a", "academia", 0), ""); !errors.Is(err, polls.ErrPastDeadline) {
			t.Errorf("Cast after the deadline: %v, want ErrPastDeadline", err)
		}
		if _, err := s.Toggle(ctx, p.Tenant, p.ID, ballot("a", "academia"), polls.Flip{Choice: 0, Points: 1}, ""); !errors.Is(err, polls.ErrPastDeadline) {
			t.Errorf("Toggle after the deadline: %v, want ErrPastDeadline", err)
		}
		mustCast(t, s, future, ballot("a", "academia", 0))

		due, err := s.DueDeadlines(ctx, time.Now(), 10)
		if err != nil || !slices.Equal(due, []polls.Key{p.Key()}) {
			t.Errorf("DueDeadlines = %v, %v; want [%v]", due, err, p.Key())
		}
		due, _ = s.DueDeadlines(ctx, time.Now().Add(2*time.Hour), 0)
		if !slices.Equal(due, []polls.Key{p.Key(), future.Key()}) {
			t.Errorf("DueDeadlines (all) = %v, want earliest first", due)
		}
		if due, _ = s.DueDeadlines(ctx, time.Now().Add(2*time.Hour), 1); len(due) != 1 {
			t.Errorf("DueDeadlines with limit 1 = %v", due)
		}

		// Extending the deadline opens the poll to ballots again and moves
		// its index entry.
		later := time.Now().Add(time.Hour)
		if err := s.SetDeadline(ctx, p.Tenant, p.ID, later); err != nil {
			t.Fatal(err)
		}
		mustCast(t, s, p, ballot("a", "academia", 1))
		if due, _ := s.DueDeadlines(ctx, time.Now(), 10); len(due) != 0 {
			t.Errorf("DueDeadlines after extending = %v", due)
		}
		if err := s.SetDeadline(ctx, p.Tenant, p.ID, time.Time{}); err != nil {
			t.Fatal(err)
		}
		if due, _ := s.DueDeadlines(ctx, time.Now().Add(2*time.Hour), 10); slices.Contains(due, p.Key()) {
			t.Errorf("poll without a deadline in the index: %v", due)
		}
		got, _ := s.Poll(ctx, p.Tenant, p.ID)
		if !got.ClosesAt.IsZero() {
			t.Errorf("deadline after removing it: %v", got.ClosesAt)
		}
	})

	t.Run("RepairsStaleDeadline", func(t *testing.T) {
		// A crash between a poll's script and the index update leaves a
		// stale entry; the next Close (as CloseDue calls it) removes it.
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "STAL", polls.Approval, 2)
		mustCreate(t, s, p)
		if _, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, time.Now()); err != nil {
			t.Fatal(err)
		}
		s.rdb.ZAdd(ctx, s.deadlinesKey(), redis.Z{Score: 1, Member: deadlineMember(p.Tenant, p.ID)})
		if ok, err := s.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, time.Now()); ok || err != nil {
			t.Errorf("Close of a closed poll = %v, %v", ok, err)
		}
		if due, _ := s.DueDeadlines(ctx, time.Now(), 10); len(due) != 0 {
			t.Errorf("stale entry left: %v", due)
		}
	})

	t.Run("GroupsAndHeld", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		m, err := s.Membership(ctx, "local", "u1")
		if err != nil || m != (polls.Membership{}) {
			t.Errorf("Membership of a stranger = %v, %v", m, err)
		}
		want := polls.Membership{Group: "academia", Source: polls.SourceAssigned}
		if err := s.SetMembership(ctx, "local", "u1", want); err != nil {
			t.Fatal(err)
		}
		if m, err := s.Membership(ctx, "local", "u1"); err != nil || m != want {
			t.Errorf("Membership = %v, %v; want %v", m, err, want)
		}
		if m, _ := s.Membership(ctx, "other", "u1"); m != (polls.Membership{}) {
			t.Errorf("membership leaked to another tenant: %v", m)
		}

		t0 := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
		held := []polls.HeldVote{
			{Poll: "AAAA", Choices: []int{0, 2}, At: t0},
			{Poll: "BBBB", Click: true, Theme: 3, At: t0.Add(time.Second)},
			{Poll: "AAAA", Choices: []int{1}, At: t0.Add(2 * time.Second)}, // beside the first
			{Poll: "CCCC", Choices: []int{4}, At: t0.Add(3 * time.Second), Delivery: "dc"},
		}
		for _, v := range held {
			if err := s.Hold(ctx, "local", "h1", v, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		// CCCC's hold has run out (as if an hour had passed for it alone).
		s.rdb.HSet(ctx, s.holdKey("local", "h1"), "x|CCCC|ddc", "1")
		got, err := s.TakeHeld(ctx, "local", "h1")
		if err != nil {
			t.Fatal(err)
		}
		if want := held[0:3]; !slices.EqualFunc(got, want, sameHeld) {
			t.Errorf("TakeHeld = %+v, want %+v", got, want)
		}
		if got, err := s.TakeHeld(ctx, "local", "h1"); err != nil || len(got) != 0 {
			t.Errorf("second TakeHeld = %v, %v; want none", got, err)
		}
		if err := s.Hold(ctx, "local", "h2", held[0], 0); !errors.Is(err, polls.ErrInvalidOption) {
			t.Errorf("Hold with no ttl: %v, want ErrInvalidOption", err)
		}
	})

	t.Run("ConcurrentTakeHeld", func(t *testing.T) {
		// Two replicas applying the same held vote: exactly one gets it.
		t.Parallel()
		s := e.store(t)
		for i := range 20 {
			holder := fmt.Sprintf("h%d", i)
			if err := s.Hold(ctx, "local", holder, polls.HeldVote{Poll: "AAAA", Choices: []int{0}, At: time.Now()}, time.Hour); err != nil {
				t.Fatal(err)
			}
			var taken atomic.Int32
			var wg sync.WaitGroup
			for range 4 {
				wg.Go(func() {
					got, err := s.TakeHeld(ctx, "local", holder)
					if err != nil {
						t.Error(err)
					}
					taken.Add(int32(len(got)))
				})
			}
			wg.Wait()
			if taken.Load() != 1 {
				t.Fatalf("held vote taken %d times", taken.Load())
			}
		}
	})

	t.Run("ReopenedClient", func(t *testing.T) {
		t.Parallel()
		s := e.store(t)
		p := newPoll("local", "NEWC", polls.Approval, 2)
		mustCreate(t, s, p)
		mustCast(t, s, p, ballot("a", "academia", 0, 1))
		s2 := New(e.client(t), WithPrefix(s.prefix))
		t.Cleanup(func() { s2.Close() })
		checkTally(t, s2, p)
		if err := s2.Ping(ctx); err != nil {
			t.Error(err)
		}
	})
}

func newPoll(tenant, id string, kind polls.Kind, themes int) *polls.Poll {
	p := &polls.Poll{
		ID:       id,
		Tenant:   tenant,
		Title:    "Poll " + id,
		Kind:     kind,
		Status:   polls.StatusOpen,
		Creator:  "facilitator",
		OpenedAt: time.Now().UTC().Truncate(time.Millisecond),
	}
	for i := range themes {
		p.Themes = append(p.Themes, polls.Theme{Label: fmt.Sprintf("Theme %d", i+1)})
	}
	p.Normalize()
	return p
}

func ballot(voter string, g polls.Group, choices ...int) polls.Ballot {
	return polls.Ballot{Voter: voter, Group: g, Choices: choices, Points: polls.Points(polls.Approval, 0, choices),
		CastAt: time.Now().UTC().Truncate(time.Millisecond)}
}

func mustCreate(t testing.TB, s *Store, p *polls.Poll) {
	t.Helper()
	if err := s.CreatePoll(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

func mustCast(t testing.TB, s *Store, p *polls.Poll, b polls.Ballot) *polls.Ballot {
	t.Helper()
	b.Points = polls.Points(p.Kind, len(p.Themes), b.Choices)
	r, err := s.Cast(context.Background(), p.Tenant, p.ID, b, "")
	if err != nil {
		t.Fatalf("Cast(%+v): %v", b, err)
	}
	return r.Prev
}

// checkTally compares the stored tally with one recomputed from the stored
// ballots, and returns it.
func checkTally(t testing.TB, s *Store, p *polls.Poll) polls.Tally {
	t.Helper()
	ctx := context.Background()
	got, err := s.Tally(ctx, p.Tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := polls.NewTally()
	err = s.Ballots(ctx, p.Tenant, p.ID, func(b polls.Ballot) error {
		want.Add(p, b, 1)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(got.Ballots, want.Ballots) || !maps.EqualFunc(got.Points, want.Points, slices.Equal) {
		t.Errorf("tally = %+v\nrecomputed from ballots = %+v", got, want)
	}
	return got
}

func sameBallot(a, b polls.Ballot) bool {
	return a.Voter == b.Voter && a.Group == b.Group && slices.Equal(a.Choices, b.Choices) && a.CastAt.Equal(b.CastAt)
}

func sameHeld(a, b polls.HeldVote) bool {
	return a.Poll == b.Poll && a.Click == b.Click && a.Theme == b.Theme &&
		slices.Equal(a.Choices, b.Choices) && a.At.Equal(b.At)
}

func samePoll(a, b *polls.Poll) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestRecordDelivery(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	a, err := Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, srv.URL) // another replica
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if first, err := a.RecordDelivery(ctx, "slack:T1", "k1"); !first || err != nil {
		t.Fatalf("first record: %v %v", first, err)
	}
	if first, err := b.RecordDelivery(ctx, "slack:T1", "k1"); first || err != nil {
		t.Fatalf("redelivery on another client: first=%v err=%v, want false", first, err)
	}
	if first, err := b.RecordDelivery(ctx, "slack:T1", "k2"); !first || err != nil {
		t.Fatalf("another delivery: %v %v", first, err)
	}
	// A client retrying the call after losing its reply finds its own
	// token and is told the delivery is its own.
	tok := "retried-call"
	if found, err := recordScript.Run(ctx, a.rdb, []string{"pollbot:{slack:T1}:dlv:k3"}, tok, 60000).Text(); !errors.Is(err, redis.Nil) {
		t.Fatalf("first record: %q %v", found, err)
	}
	if found, err := recordScript.Run(ctx, a.rdb, []string{"pollbot:{slack:T1}:dlv:k3"}, tok, 60000).Text(); err != nil || found != tok {
		t.Fatalf("the retry: %q %v; want its own token", found, err)
	}
	ttl, err := a.rdb.PTTL(ctx, "pollbot:{slack:T1}:dlv:k1").Result()
	if err != nil || ttl <= polls.DeliveryTTL-time.Minute || ttl > polls.DeliveryTTL {
		t.Errorf("delivery key ttl = %v (%v), want about %v", ttl, err, polls.DeliveryTTL)
	}
}

// TestDueDeadlinesDropsMissing: entries of the deadline index whose poll
// no longer exists are removed, and do not hold up the polls behind them
// (100 of them once stopped every later deadline).
func TestDueDeadlinesDropsMissing(t *testing.T) {
	s := New(env{url: redistest.StartServer(t).URL}.client(t))
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	era := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		s.rdb.ZAdd(ctx, s.deadlinesKey(), redis.Z{Score: float64(era.UnixMilli() + int64(i)), Member: fmt.Sprintf("gone/G%03d", i)})
	}
	p := newPoll("local", "LIVE", polls.Approval, 2)
	p.ClosesAt = era.Add(time.Second)
	mustCreate(t, s, p)
	keys, err := s.DueDeadlines(ctx, era.Add(time.Hour), 100)
	if err != nil || len(keys) != 1 || keys[0] != p.Key() {
		t.Fatalf("DueDeadlines = %v, %v; want only %s", keys, err, p.Key())
	}
	if n, _ := s.rdb.ZCard(ctx, s.deadlinesKey()).Result(); n != 1 {
		t.Fatalf("%d deadline entries left, want 1", n)
	}
}

// TestMigrateV1: data written by schema 1 (JSON ballots, no status or
// channel indexes, held votes one per poll) is migrated by Open: ballots
// read back with the points their kind gave them, tallies are unchanged
// and take new votes exactly, polls are listed by status and channel, old
// held votes are gone, and a second Open finds nothing to do.
func TestMigrateV1(t *testing.T) {
	srv := redistest.StartServer(t)
	c := env{url: srv.URL}.client(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	p := newPoll("slack:T1", "RANK", polls.Ranked, 3)
	p.Channel, p.OpenedAt = "C1", at
	def := *p
	def.Status = ""
	defJSON, _ := json.Marshal(&def)
	k := "pollbot:{slack:T1/RANK}:"
	c.HSet(ctx, k+"poll", "def", defJSON, "kind", "ranked", "themes", 3, "max_choices", 0, "status", "open", "closes_ms", "", "closes_at", "", "closed_at", "")
	c.ZAdd(ctx, "pollbot:{slack:T1}:polls", redis.Z{Score: float64(at.UnixMilli()), Member: "RANK"})
	c.HSet(ctx, k+"ballots", "U1", `{"voter":"U1","group":"government","choices":[2,0],"cast_at":"2026-11-01T10:00:00Z"}`)
	c.HSet(ctx, k+"tally", "n|government", 1, "2|government", 2, "0|government", 1)
	c.HSet(ctx, "pollbot:{slack:T1}:held:U9", "RANK", `{"poll":"RANK","choices":[1]}`)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}

	s, err := Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	b, err := s.Ballot(ctx, "slack:T1", "RANK", "U1")
	if err != nil || !slices.Equal(b.Choices, []int{2, 0}) || !slices.Equal(b.Points, []int64{2, 1}) {
		t.Fatalf("migrated ballot = %+v, %v", b, err)
	}
	b.Choices, b.Points = []int{1}, []int64{2}
	if _, err := s.Cast(ctx, "slack:T1", "RANK", b, ""); err != nil {
		t.Fatal(err)
	}
	tally, err := s.Tally(ctx, "slack:T1", "RANK")
	if err != nil || !slices.Equal(tally.Points["government"], []int64{0, 2, 0}) || tally.Ballots["government"] != 1 {
		t.Fatalf("tally after replacing a migrated ballot = %+v, %v", tally, err)
	}
	page, err := s.Polls(ctx, "slack:T1", polls.PollQuery{Channel: "C1", Status: polls.StatusOpen})
	if err != nil || len(page.Polls) != 1 {
		t.Fatalf("migrated poll in its channel's open polls: %+v, %v", page, err)
	}
	if n, _ := s.rdb.Exists(ctx, "pollbot:{slack:T1}:held:U9").Result(); n != 0 {
		t.Error("schema-1 held votes kept")
	}
	if v, _ := s.rdb.Get(ctx, "pollbot:schema").Result(); v != schemaVersion {
		t.Errorf("schema = %q", v)
	}
	s2, err := Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
}

// TestAuditLogBound: a poll's audit stream keeps about WithLogMax
// entries (XADD MAXLEN ~ trims whole nodes, so a little more).
func TestAuditLogBound(t *testing.T) {
	s := New(env{url: redistest.StartServer(t).URL}.client(t), WithLogMax(100))
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	p := newPoll("local", "BNDS", polls.Approval, 2)
	mustCreate(t, s, p)
	for i := range 2000 {
		if _, err := s.Toggle(ctx, p.Tenant, p.ID, ballot(fmt.Sprintf("v%d", i%7), "academia"), polls.Flip{Choice: i % 2, Points: 1}, ""); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.rdb.XLen(ctx, s.keys(p.Tenant, p.ID).log).Result()
	if err != nil || n < 100 || n > 300 {
		t.Fatalf("log of 2000 events bounded at 100 keeps %d (%v)", n, err)
	}
	if DefaultLogMax != 100_000 {
		t.Errorf("DefaultLogMax = %d; the README documents 100,000", DefaultLogMax)
	}
}

// TestVoteDeliveryRecord: a vote's delivery is recorded under the poll's
// tag, as 8 bytes of the delivery's id and an integer token in a small
// hash (one of deliveryBuckets, a listpack), in the generation of the
// current window of DeliveryTTL by the server clock, and kept for one to
// two DeliveryTTLs; a record in either generation, or under the string key
// stores used before the buckets (left by a replica of the previous
// version during an upgrade), makes the vote a repeat; and a hash left
// over from two windows ago gets a new expiry before it holds a record.
func TestVoteDeliveryRecord(t *testing.T) {
	s := singleEnv(t).store(t)
	ctx := t.Context()
	p := newPoll("slack:T1", "DLVR", polls.Approval, 3)
	mustCreate(t, s, p)
	ttl := polls.DeliveryTTL
	window := func() int64 {
		now, err := s.rdb.Time(ctx).Result()
		if err != nil {
			t.Fatal(err)
		}
		return now.UnixMilli() / ttl.Milliseconds()
	}
	const d = "0123456789abcdef0123456789abcdef" // as the service passes it
	keys, field := s.voteDeliveryKeys(p.Tenant, p.ID, d)
	tag := s.prefix + "{slack:T1/DLVR}:"
	if want := []string{tag + "dv0f", tag + "dv1f", tag + "d:\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef"}; !slices.Equal(keys, want) || field != "\x01\x23\x45\x67\x89\xab\xcd\xef" {
		t.Fatalf("delivery keys %q, field %q; want %q and the id's first 8 bytes", keys, field, want)
	}

	b := polls.Ballot{Voter: "U1", Group: "academia", CastAt: time.Now()}
	k0 := window()
	if _, err := s.Toggle(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: 0, Points: 1}, d); err != nil {
		t.Fatal(err)
	}
	if k1 := window(); k1 != k0 {
		t.Skip("the vote crossed a window's boundary; run again")
	}
	cur, other := keys[k0%2], keys[1-k0%2]
	if tok, err := s.rdb.HGet(ctx, cur, field).Result(); err != nil || tok == "" || tok[0] == '0' || len(tok) > 10 {
		t.Errorf("delivery record in %q: %q, %v; want a positive integer token", cur, tok, err)
	}
	if n, _ := s.rdb.Exists(ctx, other, keys[2]).Result(); n != 0 {
		t.Error("a vote wrote its delivery into the other generation or under the old name")
	}
	if enc, err := s.rdb.ObjectEncoding(ctx, cur).Result(); err != nil || (enc != "listpack" && enc != "ziplist") {
		t.Errorf("delivery bucket encoding %q, %v; want listpack", enc, err)
	}
	expiry := func(key string) time.Duration {
		pttl, err := s.rdb.PTTL(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		return pttl
	}
	// It expires at the end of the next window: after one to two TTLs.
	if got, want := expiry(cur), time.Duration((k0+2)*ttl.Milliseconds()-time.Now().UnixMilli())*time.Millisecond; got <= ttl || got > 2*ttl || got < want-time.Minute || got > want+time.Minute {
		t.Errorf("delivery bucket expires in %v, want about %v (between %v and %v)", got, want, ttl, 2*ttl)
	}

	repeat := func(what, delivery string) {
		t.Helper()
		r, err := s.Toggle(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: 1, Points: 1}, delivery)
		if err != nil || !r.Repeated || r.Ballot == nil || !slices.Equal(r.Ballot.Choices, []int{0}) {
			t.Fatalf("a vote whose delivery was recorded %s: %+v, %v; want a repeat, ballot [0]", what, r, err)
		}
	}
	repeat("just now", d)
	const old = "fedcba9876543210fedcba9876543210"
	okeys, _ := s.voteDeliveryKeys(p.Tenant, p.ID, old)
	if err := s.rdb.Set(ctx, okeys[2], "1234567", ttl).Err(); err != nil {
		t.Fatal(err)
	}
	repeat("under the name before the buckets", old)
	const prev = "00112233445566778899aabbccddeeff"
	pkeys, pfield := s.voteDeliveryKeys(p.Tenant, p.ID, prev)
	if err := s.rdb.HSet(ctx, pkeys[1-k0%2], pfield, "7654321").Err(); err != nil {
		t.Fatal(err)
	}
	repeat("in the previous window's generation", prev)

	// A hash of this window's generation left from two windows ago: its
	// expiry is due within a window, so the record would not live out its
	// TTL; the vote gives the hash the current window's expiry.
	const next = "99999999999999999999999999999990"
	nkeys, nfield := s.voteDeliveryKeys(p.Tenant, p.ID, next)
	if err := s.rdb.HSet(ctx, nkeys[k0%2], "stale", "1").Err(); err != nil {
		t.Fatal(err)
	}
	if err := s.rdb.PExpire(ctx, nkeys[k0%2], 5*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Toggle(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: 2, Points: 1}, next); err != nil {
		t.Fatal(err)
	}
	if window() != k0 {
		t.Skip("the test crossed a window's boundary; run again")
	}
	if got := expiry(nkeys[k0%2]); got <= ttl {
		t.Errorf("a stale generation's hash expires in %v after a record went in, want more than %v", got, ttl)
	}
	if ok, err := s.rdb.HExists(ctx, nkeys[k0%2], nfield).Result(); err != nil || !ok {
		t.Errorf("the record is not in the stale hash: %v, %v", ok, err)
	}
}

// TestVoteTallyOnRequest: the vote script returns the tally only when the
// caller asks for it (polls.WithVoteTally); a vote confirmed by a private
// message alone does not pay for reading and sending the tally.
func TestVoteTallyOnRequest(t *testing.T) {
	s := singleEnv(t).store(t)
	ctx := t.Context()
	p := newPoll("slack:T1", "VTAL", polls.Approval, 3)
	mustCreate(t, s, p)
	b := polls.Ballot{Voter: "v1", Group: "academia", CastAt: time.Now()}
	r, err := s.Toggle(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: 0, Points: 1}, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Tally != nil || r.Version != 1 {
		t.Errorf("without asking: tally %v, version %d; want none, 1", r.Tally, r.Version)
	}
	r, err = s.Toggle(polls.WithVoteTally(ctx), p.Tenant, p.ID, b, polls.Flip{Choice: 1, Points: 1}, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.Tally == nil || r.Version != 2 || r.Tally.Version != 2 {
		t.Fatalf("asked: tally %v, version %d; want the tally at version 2", r.Tally, r.Version)
	}
}

// TestMigrateV2: data of schema 2, with a ballot's cast time in decimal
// and audit entries in full, opens as schema 3 with nothing converted and
// reads as before; data newer than this pollbot knows is refused.
func TestMigrateV2(t *testing.T) {
	srv := redistest.StartServer(t)
	ctx := context.Background()
	s0 := New(env{url: srv.URL}.client(t))
	p := newPoll("slack:T1", "OLD2", polls.Approval, 3)
	mustCreate(t, s0, p)
	at := time.Date(2026, 12, 1, 15, 4, 5, 6e6, time.UTC)
	k := s0.keys(p.Tenant, p.ID)
	s0.rdb.HSet(ctx, k.ballots, "U1", "government|1796137445006|1|")
	s0.rdb.HSet(ctx, k.tally, "n|government", 1, "1|government", 1, "v", 1)
	s0.rdb.XAdd(ctx, &redis.XAddArgs{Stream: k.log, Values: []any{"e", "t", "u", "U1", "g", "government", "d", "n:1,1:1", "t", at.UnixMilli()}})
	s0.rdb.Set(ctx, "pollbot:schema", "2", 0)
	s0.Close()

	s, err := Open(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, _ := s.rdb.Get(ctx, "pollbot:schema").Result(); v != "3" || schemaVersion != "3" {
		t.Fatalf("schema = %q after opening schema 2", v)
	}
	if b, err := s.Ballot(ctx, p.Tenant, p.ID, "U1"); err != nil || !b.CastAt.Equal(at) || !slices.Equal(b.Choices, []int{1}) {
		t.Fatalf("schema-2 ballot = %+v, %v", b, err)
	}
	var events []polls.Event
	if _, err := s.ReadLog(ctx, p.Tenant, p.ID, "", func(e polls.Event) error { events = append(events, e); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Kind != polls.EventToggle || events[0].Delta != "n:1,1:1" && events[0].Delta != "n|government:1,1|government:1" || !events[0].At.Equal(at) {
		t.Fatalf("schema-2 log = %+v", events)
	}
	// Toggling the old ballot off reads its old record as the previous one.
	r, err := s.Toggle(ctx, p.Tenant, p.ID, polls.Ballot{Voter: "U1", Group: "government", CastAt: time.Now()}, polls.Flip{Choice: 1, Points: 1}, "")
	if err != nil || r.Prev == nil || !r.Prev.CastAt.Equal(at) || r.Ballot != nil {
		t.Fatalf("toggle of a schema-2 ballot = %+v, %v", r, err)
	}
	s.rdb.Set(ctx, "pollbot:schema", "4", 0)
	if s2, err := Open(ctx, srv.URL); err == nil || !strings.Contains(err.Error(), "newer than this pollbot knows") {
		if err == nil {
			s2.Close()
		}
		t.Fatalf("schema 4 opened: %v", err)
	}
}

// TestReplyTally: the vote script's tally, one comma-joined string, reads
// as the tally hash it came from; an empty hash is an empty tally; a gone
// poll gives only the version.
func TestReplyTally(t *testing.T) {
	got, v, err := replyTally("3", "n|academia,2,0|academia,2,2|academia,1,v,9,n|government,0")
	if err != nil || v != 9 || got.Version != 9 || got.Ballots["academia"] != 2 || !slices.Equal(got.Points["academia"], []int64{2, 0, 1}) || len(got.Ballots) != 1 {
		t.Errorf("replyTally = %+v, %d, %v", got, v, err)
	}
	if got, v, err := replyTally("3", ""); err != nil || got == nil || v != 0 || len(got.Ballots) != 0 {
		t.Errorf("empty tally = %+v, %d, %v", got, v, err)
	}
	if got, v, err := replyTally("", "n|academia,2,v,4"); err != nil || got != nil || v != 4 {
		t.Errorf("gone poll = %+v, %d, %v", got, v, err)
	}
	for _, bad := range []string{"n|academia", "n|academia,x", "9|academia,1", "0|a,b,c|d,1"} {
		if _, _, err := replyTally("3", bad); err == nil {
			t.Errorf("replyTally(%q) accepted", bad)
		}
	}
}
