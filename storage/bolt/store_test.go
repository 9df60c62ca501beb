package boltstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/storetest"
)

func openTemp(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "pollbot.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) polls.Store { return openTemp(t) },
		Reopen: func(t *testing.T, ps polls.Store) polls.Store {
			s := ps.(*Store)
			if err := s.Close(); err != nil {
				t.Fatalf("close %s: %v", s.Path(), err)
			}
			s2, err := Open(s.Path())
			if err != nil {
				t.Fatalf("reopen %s: %v", s.Path(), err)
			}
			t.Cleanup(func() { s2.Close() })
			return s2
		},
		Dump: func(t *testing.T, ps polls.Store) map[string]string { return dump(t, ps.(*Store)) },
	})
}

// dump returns every value of the file by its bucket path and key.
func dump(t *testing.T, s *Store) map[string]string {
	out := map[string]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		var walk func(path string, b *bolt.Bucket) error
		walk = func(path string, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				p := path + "/" + string(k)
				if v == nil {
					out[p] = ""
					return walk(p, b.Bucket(k))
				}
				out[p] = string(v)
				return nil
			})
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error { return walk("/"+string(name), b) })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// holderEnv names the file a helper process (this test binary, re-run)
// tries to open while the test holds it.
const holderEnv = "POLLBOT_BOLT_TEST_SECOND_OPEN"

// TestSecondOpen is the helper process of TestOpenInUse: it tries to open
// the file the parent holds and reports what happened on stdout.
func TestSecondOpen(t *testing.T) {
	path := os.Getenv(holderEnv)
	if path == "" {
		t.Skip("helper process for TestOpenInUse")
	}
	start := time.Now()
	s, err := Open(path, WithTimeout(300*time.Millisecond))
	if err == nil {
		s.Close()
		fmt.Println("opened")
		return
	}
	fmt.Printf("inuse=%v elapsed=%s err=%v\n", errors.Is(err, ErrInUse), time.Since(start).Round(time.Millisecond), err)
}

// TestOpenInUse: a second pollbot process opening a store file that a
// running one holds fails after the lock timeout with ErrInUse, naming the
// file, and does not hang.
func TestOpenInUse(t *testing.T) {
	if os.Getenv(holderEnv) != "" {
		t.Skip("in the helper process")
	}
	path := filepath.Join(t.TempDir(), "held.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSecondOpen$", "-test.count=1")
	cmd.Env = append(os.Environ(), holderEnv+"="+path)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("second Open still waiting after 20s; output:\n%s", out)
	}
	if err != nil {
		t.Fatalf("helper process: %v\n%s", err, out)
	}
	t.Logf("helper: %s", out)
	if !strings.Contains(string(out), "inuse=true") {
		t.Fatalf("second Open while the file is held: want ErrInUse, got:\n%s", out)
	}
	for _, want := range []string{"in use by another pollbot process", path} {
		if !strings.Contains(string(out), want) {
			t.Errorf("error message does not say %q:\n%s", want, out)
		}
	}

	// Once the holder lets go, the file opens.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	cmd = exec.CommandContext(ctx, os.Args[0], "-test.run=^TestSecondOpen$", "-test.count=1")
	cmd.Env = append(os.Environ(), holderEnv+"="+path)
	if out, err = cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "opened") {
		t.Fatalf("Open after the holder closed: %v\n%s", err, out)
	}
}

// TestAuditLog: every change to votes and status is logged in order, with
// the voter key, group and the tally's change.
func TestAuditLog(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	p := testPoll("local", "LOGS")
	must(t, s.CreatePoll(ctx, p))
	at := time.Now().UTC().Truncate(time.Millisecond)
	b := polls.Ballot{Voter: "U1", Group: "government", Choices: []int{0}, Points: []int64{1}, CastAt: at}
	_, err := s.Cast(ctx, "local", p.ID, b, "")
	must(t, err)
	b.Group, b.Choices, b.Points = "academia", []int{0, 1}, []int64{1, 1}
	_, err = s.Cast(ctx, "local", p.ID, b, "")
	must(t, err)
	u2 := polls.Ballot{Voter: "U2", Group: "government", CastAt: at}
	_, err = s.Toggle(ctx, "local", p.ID, u2, polls.Flip{Choice: 1, Points: 1}, "")
	must(t, err)
	_, err = s.Toggle(ctx, "local", p.ID, u2, polls.Flip{Choice: 1, Points: 1}, "")
	must(t, err)
	_, err = s.Retract(ctx, "local", p.ID, "U1", at, "")
	must(t, err)
	_, err = s.Retract(ctx, "local", p.ID, "U1", at, "") // nothing to retract: not logged
	must(t, err)
	must(t, s.SetDeadline(ctx, "local", p.ID, at.Add(time.Hour)))
	_, err = s.ClosePoll(ctx, "local", p.ID, polls.StatusClosed, at)
	must(t, err)
	_, err = s.ClosePoll(ctx, "local", p.ID, polls.StatusClosed, at) // no change: not logged
	must(t, err)
	_, err = s.Reopen(ctx, "local", p.ID, time.Time{})
	must(t, err)
	_, err = s.ClosePoll(ctx, "local", p.ID, polls.StatusCancelled, at)
	must(t, err)

	var got []string
	err = s.db.View(func(tx *bolt.Tx) error {
		return pollBucket(tx, "local", p.ID).Bucket(bktLog).ForEach(func(k, v []byte) error {
			var e event
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			got = append(got, strings.TrimSpace(fmt.Sprintf("%s %s %s %s", e.E, e.U, e.G, e.D)))
			return nil
		})
	})
	must(t, err)
	want := []string{
		"c U1 government n|government:1,0|government:1",
		"c U1 academia n|government:-1,0|government:-1,n|academia:1,0|academia:1,1|academia:1",
		"t U2 government n|government:1,1|government:1",
		"t U2 government n|government:-1,1|government:-1",
		"r U1 academia n|academia:-1,0|academia:-1,1|academia:-1",
		"deadline",
		"close",
		"reopen",
		"cancel",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("audit log:\n\t%s\nwant:\n\t%s", strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestAuditLogBound: a poll's log keeps about its last logMax events.
func TestAuditLogBound(t *testing.T) {
	s := openTemp(t, WithLogMax(300))
	ctx := t.Context()
	p := testPoll("local", "BNDS")
	must(t, s.CreatePoll(ctx, p))
	for i := range 2000 {
		_, err := s.Toggle(ctx, "local", p.ID, polls.Ballot{Voter: fmt.Sprintf("U%d", i%7), Group: "academia"}, polls.Flip{Choice: i % 2, Points: 1}, "")
		must(t, err)
	}
	var n int
	must(t, s.db.View(func(tx *bolt.Tx) error {
		n = pollBucket(tx, "local", p.ID).Bucket(bktLog).Stats().KeyN
		return nil
	}))
	if n < 300 || n > 300+256 {
		t.Fatalf("log of 2000 events bounded at 300 keeps %d", n)
	}
}

// TestClock: deadlines and held-vote expiry follow the injected clock, and
// expired held votes are deleted, not just skipped.
func TestClock(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := openTemp(t, WithClock(clock))
	ctx := t.Context()

	p := testPoll("local", "CLCK")
	p.ClosesAt = clock().Add(time.Minute)
	must(t, s.CreatePoll(ctx, p))
	_, err := s.Cast(ctx, "local", p.ID, polls.Ballot{Voter: "U1", Group: "academia", Choices: []int{1}, Points: []int64{1}, CastAt: clock()}, "")
	must(t, err)

	must(t, s.Hold(ctx, "local", "h1", polls.HeldVote{Poll: "AAAA", Choices: []int{0}}, time.Minute))
	advance(time.Minute)
	_, err = s.Cast(ctx, "local", p.ID, polls.Ballot{Voter: "U2", Group: "academia", Choices: []int{1}, Points: []int64{1}, CastAt: clock()}, "")
	if !errors.Is(err, polls.ErrPastDeadline) {
		t.Fatalf("Cast at the deadline by the store's clock: %v, want ErrPastDeadline", err)
	}
	must(t, s.Hold(ctx, "local", "h1", polls.HeldVote{Poll: "BBBB", Choices: []int{1}}, time.Minute))
	var keys []string
	err = s.db.View(func(tx *bolt.Tx) error {
		hb, _ := tenantBucket(tx, "local", bktHold, false)
		return hb.Bucket([]byte("h1")).ForEach(func(k, _ []byte) error {
			poll, _, _ := strings.Cut(string(k), "|")
			keys = append(keys, poll)
			return nil
		})
	})
	must(t, err)
	if !slices.Equal(keys, []string{"BBBB"}) {
		t.Fatalf("held votes stored after the first expired: %v, want [BBBB]", keys)
	}
	advance(30 * time.Second)
	held, err := s.TakeHeld(ctx, "local", "h1")
	must(t, err)
	if len(held) != 1 || held[0].Poll != "BBBB" {
		t.Fatalf("TakeHeld: %+v, want the BBBB vote", held)
	}
}

// TestBallotsChunks: Ballots reads in chunks and sees every ballot once
// even when fn changes ballots between chunks.
func TestBallotsChunks(t *testing.T) {
	s := openTemp(t)
	s.chunk = 3
	ctx := t.Context()
	p := testPoll("local", "CHNK")
	must(t, s.CreatePoll(ctx, p))
	for i := range 10 {
		_, err := s.Cast(ctx, "local", p.ID, polls.Ballot{Voter: fmt.Sprintf("U%02d", i), Group: "academia", Choices: []int{0}, Points: []int64{1}}, "")
		must(t, err)
	}
	seen := map[string]int{}
	err := s.Ballots(ctx, "local", p.ID, func(b polls.Ballot) error {
		seen[b.Voter]++
		// Replace every ballot, including ones not yet visited.
		for i := range 10 {
			nb := polls.Ballot{Voter: fmt.Sprintf("U%02d", i), Group: "academia", Choices: []int{1}, Points: []int64{1}}
			if _, err := s.Cast(ctx, "local", p.ID, nb, ""); err != nil {
				return err
			}
		}
		return nil
	})
	must(t, err)
	if len(seen) != 10 {
		t.Fatalf("Ballots saw %d voters, want 10: %v", len(seen), seen)
	}
	for v, n := range seen {
		if n != 1 {
			t.Fatalf("Ballots saw %s %d times", v, n)
		}
	}
}

func TestPing(t *testing.T) {
	s := openTemp(t)
	must(t, s.Ping(t.Context()))
	must(t, s.Close())
	if err := s.Ping(t.Context()); err == nil {
		t.Fatal("Ping after Close: no error")
	}
}

func testPoll(tenant, id string) *polls.Poll {
	p := &polls.Poll{ID: id, Tenant: tenant, Title: "Test", Kind: polls.Approval,
		Themes: []polls.Theme{{Label: "A"}, {Label: "B"}}, Status: polls.StatusOpen,
		OpenedAt: time.Now().UTC().Truncate(time.Millisecond)}
	p.Normalize()
	return p
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeliveriesExpire: vote deliveries are forgotten after
// polls.DeliveryTTL (a redelivery that late is a new vote) and swept, so
// the ops bucket stays near the deliveries of the last DeliveryTTL however
// many clicks a poll has seen.
func TestDeliveriesExpire(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	s := openTemp(t, WithClock(clock))
	ctx := t.Context()
	p := testPoll("local", "OPSX")
	must(t, s.CreatePoll(ctx, p))
	toggle := func(voter, op string) *polls.Ballot {
		t.Helper()
		r, err := s.Toggle(ctx, "local", p.ID, polls.Ballot{Voter: voter, Group: "academia", CastAt: clock()}, polls.Flip{Choice: 0, Points: 1}, op)
		must(t, err)
		return r.Ballot
	}
	toggle("U1", "op")
	if b := toggle("U1", "op"); b == nil {
		t.Fatal("a repeated delivery toggled")
	}
	advance(polls.DeliveryTTL)
	if b := toggle("U1", "op"); b != nil {
		t.Fatalf("a delivery older than DeliveryTTL was still remembered: %v", b.Choices)
	}

	// The sweep, driven directly in one transaction per window (a
	// transaction per click would take a minute of fsyncs).
	const perWindow = 4000
	var n int
	for round := range 4 {
		must(t, s.db.Update(func(tx *bolt.Tx) error {
			pb := pollBucket(tx, "local", p.ID)
			for i := range perWindow {
				d := fmt.Sprintf("r%d-%d", round, i)
				if seen, err := seenDelivery(pb, d, clock()); seen || err != nil {
					return fmt.Errorf("new delivery seen before: %v %v", seen, err)
				}
				if err := recordDelivery(pb, d, clock()); err != nil {
					return err
				}
			}
			n = pb.Bucket(bktOps).Stats().KeyN
			return nil
		}))
		advance(polls.DeliveryTTL + time.Second)
	}
	// Without sweeping there would be 4 windows' worth.
	if n > perWindow*3/2 {
		t.Errorf("%d deliveries kept after 4 windows of %d clicks; expired ones are not swept", n, perWindow)
	}
}

// TestDueDeadlinesDropsMissing: entries of the deadline index whose poll
// no longer exists are removed, and do not hold up the polls behind them
// (100 of them once stopped every later deadline).
func TestDueDeadlinesDropsMissing(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	era := time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	must(t, s.db.Update(func(tx *bolt.Tx) error {
		for i := range 100 {
			if err := tx.Bucket(bktDeadlines).Put(deadlineKey(era.Add(time.Duration(i)*time.Millisecond), polls.Key{Tenant: "gone", ID: fmt.Sprintf("G%03d", i)}), nil); err != nil {
				return err
			}
		}
		return nil
	}))
	p := testPoll("local", "LIVE")
	p.ClosesAt = era.Add(time.Second)
	must(t, s.CreatePoll(ctx, p))
	keys, err := s.DueDeadlines(ctx, era.Add(time.Hour), 100)
	must(t, err)
	if len(keys) != 1 || keys[0] != p.Key() {
		t.Fatalf("DueDeadlines = %v, want only %s", keys, p.Key())
	}
	must(t, s.db.View(func(tx *bolt.Tx) error {
		if n := tx.Bucket(bktDeadlines).Stats().KeyN; n != 1 {
			return fmt.Errorf("%d deadline entries left, want 1", n)
		}
		return nil
	}))
}
