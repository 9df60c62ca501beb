package redisstore

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// TestWatchAcrossProcesses: a vote through one client is heard by a
// watcher on another, as a page served by one replica hears of a vote
// applied by another; on a single node and on a cluster (sharded pub/sub).
func TestWatchAcrossProcesses(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  func(*testing.T) env
	}{{"single", singleEnv}, {"cluster", clusterEnv}} {
		t.Run(tc.name, func(t *testing.T) {
			e := tc.env(t)
			a := e.store(t)
			b := New(e.client(t), WithPrefix(a.prefix))
			t.Cleanup(func() { b.Close() })
			ctx := t.Context()
			for i := range 5 {
				// Polls in several slots, so several nodes of the cluster.
				p := newPoll("slack:T1", fmt.Sprintf("X%dQ", i), polls.Approval, 2)
				mustCreate(t, a, p)
				ch, err := b.Watch(ctx, p.Tenant, p.ID)
				if err != nil {
					t.Fatal(err)
				}
				mustCast(t, a, p, ballot("u1", "government", 0))
				waitChange(t, ch, "a cast through the other client")
				if _, err := a.ClosePoll(ctx, p.Tenant, p.ID, polls.StatusClosed, time.Now()); err != nil {
					t.Fatal(err)
				}
				waitChange(t, ch, "a close through the other client")
			}
		})
	}
}

// TestWatchReconnects: when the subscription's connection is cut, the
// watcher is told (a change may have been missed) and goes on hearing
// changes.
func TestWatchReconnects(t *testing.T) {
	e := singleEnv(t)
	s := e.store(t)
	ctx := t.Context()
	p := newPoll("slack:T1", "RCON", polls.Approval, 2)
	mustCreate(t, s, p)
	ch, err := s.Watch(ctx, p.Tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	admin := e.client(t)
	defer admin.Close()
	if err := admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub").Err(); err != nil {
		t.Fatal(err)
	}
	waitChange(t, ch, "the subscription restored")
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		mustCast(t, s, p, ballot(fmt.Sprint("u", i), "government", 0))
		select {
		case <-ch:
			return
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("no change heard after the connection was restored")
		}
	}
}

// TestReadLogTrimmed: a log past its bound keeps its latest events; a read
// from the start says so, and the timeline starts at the first event kept
// and still ends at the report.
func TestReadLogTrimmed(t *testing.T) {
	e := singleEnv(t)
	s := New(e.client(t), WithPrefix(e.store(t).prefix), WithLogMax(10))
	t.Cleanup(func() { s.Close() })
	p := newPoll("slack:T1", "TRIM", polls.Approval, 3)
	mustCreate(t, s, p)
	groups := []polls.Group{"government", "civil-society", "academia"}
	for i := range 500 {
		mustCast(t, s, p, ballot(fmt.Sprint("u", i%40), groups[i%3], i%3))
	}
	b := polls.NewTimelineBuilder(p, nil)
	n := 0
	tail, err := s.ReadLog(t.Context(), p.Tenant, p.ID, "", func(ev polls.Event) error { n++; return b.Add(ev) })
	if err != nil {
		t.Fatal(err)
	}
	if !tail.Trimmed || n >= 500 || n < 10 {
		t.Fatalf("read %d events, trimmed %v; want fewer than 500, at least 10, trimmed", n, tail.Trimmed)
	}
	tl, err := b.Finish(tail)
	if err != nil {
		t.Fatal(err)
	}
	if tl.From != polls.TimelineFromLog || tl.StartBallots == 0 {
		t.Errorf("timeline from %s with %d ballots; want from the log, with the ballots cast by then", tl.From, tl.StartBallots)
	}
	rep := polls.ComputeReport(p, tail.Tally, nil)
	for _, want := range rep.Themes {
		got, _ := tl.Theme(want.Index)
		if got.Status != want.Status || got.Score != want.Score {
			t.Errorf("%s ends %s %v, report %s %v", want.Theme, got.Status, got.Score, want.Status, want.Score)
		}
	}
}

func waitChange(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case _, ok := <-ch:
		if !ok {
			t.Fatalf("%s: watch ended", what)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: not heard within 5s", what)
	}
}

// TestLogDeltaNamesGroupsOnlyWhenMoved: the log keeps a vote's change to
// the tally without its group when every field is of the entry's group
// (the common case, and the bytes of every click's entry), names the
// groups when the ballot moved between groups, and ReadLog gives both in
// polls.ParseDelta's form.
func TestLogDeltaNamesGroupsOnlyWhenMoved(t *testing.T) {
	s := singleEnv(t).store(t)
	ctx := t.Context()
	p := newPoll("slack:T1", "DLTA", polls.Approval, 3)
	mustCreate(t, s, p)
	mustCast(t, s, p, ballot("u1", "government", 0, 2))
	mustCast(t, s, p, ballot("u1", "academia", 1))
	if _, err := s.Retract(ctx, p.Tenant, p.ID, "u1", time.Now(), ""); err != nil {
		t.Fatal(err)
	}
	raw, err := s.rdb.XRange(ctx, s.keys(p.Tenant, p.ID).log, "-", "+").Result()
	if err != nil || len(raw) != 3 {
		t.Fatalf("log: %d entries, %v", len(raw), err)
	}
	stored := []string{"n,0,2", "n|government:-1,0|government:-1,2|government:-1,n|academia:1,1|academia:1", "n:-1,1:-1"}
	read := []string{"n|government:1,0|government:1,2|government:1", stored[1], "n|academia:-1,1|academia:-1"}
	var got []string
	if _, err := s.ReadLog(ctx, p.Tenant, p.ID, "", func(e polls.Event) error { got = append(got, e.Delta); return nil }); err != nil {
		t.Fatal(err)
	}
	for i, m := range raw {
		if m.Values["d"] != stored[i] {
			t.Errorf("entry %d stored %q, want %q", i, m.Values["d"], stored[i])
		}
		if i < len(got) && got[i] != read[i] {
			t.Errorf("entry %d read as %q, want %q", i, got[i], read[i])
		}
	}
	if len(got) != 3 {
		t.Errorf("ReadLog gave %d events, want 3", len(got))
	}
}

// FuzzExpandDelta: whatever a log entry's change and group hold,
// expandDelta does not panic; a short change it expands reads back, by
// polls.ParseDelta, as the same counts of the entry's group.
//
//	go test -run '^$' -fuzz=FuzzExpandDelta -fuzztime=1m ./storage/redis
func FuzzExpandDelta(f *testing.F) {
	f.Add("n:1,0:1,2:1", "government")
	f.Add("n,0,2", "government")
	f.Add("n:-1,3,4:2", "academia")
	f.Add("n|academia:1,1|academia:1", "academia")
	f.Add("n:-1", "")
	f.Add(":,", "g")
	f.Fuzz(func(t *testing.T, d, g string) {
		full := expandDelta(d, g)
		if d == "" || g == "" || strings.Contains(d, "|") || strings.ContainsAny(g, "|:,") {
			return
		}
		var got []polls.Change
		if polls.ParseDelta(full, polls.MaxThemes, func(c polls.Change) { got = append(got, c) }) != nil {
			return
		}
		entries := strings.Split(d, ",")
		if len(got) != len(entries) {
			t.Fatalf("expandDelta(%q, %q) = %q: %d changes from %d entries", d, g, full, len(got), len(entries))
		}
		for i, c := range got {
			head, count, ok := strings.Cut(entries[i], ":")
			if !ok {
				count = "1" // a count of one is left out
			}
			theme, _ := strconv.Atoi(head)
			if head == "n" {
				theme = -1
			}
			n, _ := strconv.ParseInt(count, 10, 64)
			if c.Group != polls.Group(g) || c.Theme != theme || c.N != n {
				t.Fatalf("expandDelta(%q, %q) = %q: change %d is %+v, want theme %d of %s by %d", d, g, full, i, c, theme, g, n)
			}
		}
	})
}

// TestLogVoteTime: a vote's audit entry leaves its time out when it agrees
// with the server clock within a second (the entry's id says when), and
// keeps it when the caller's clock is off; ReadLog gives the vote's time
// either way.
func TestLogVoteTime(t *testing.T) {
	s := singleEnv(t).store(t)
	ctx := t.Context()
	p := newPoll("slack:T1", "VTIM", polls.Approval, 3)
	mustCreate(t, s, p)
	now := ballot("u1", "government", 0)
	skewed := ballot("u2", "academia", 1)
	skewed.CastAt = skewed.CastAt.Add(-time.Hour)
	mustCast(t, s, p, now)
	mustCast(t, s, p, skewed)
	raw, err := s.rdb.XRange(ctx, s.keys(p.Tenant, p.ID).log, "-", "+").Result()
	if err != nil || len(raw) != 2 {
		t.Fatalf("log: %d entries, %v", len(raw), err)
	}
	if _, ok := raw[0].Values["t"]; ok {
		t.Errorf("a vote on time keeps its time: %v", raw[0].Values)
	}
	if raw[1].Values["t"] != strconv.FormatInt(skewed.CastAt.UnixMilli(), 10) {
		t.Errorf("a vote an hour off the server clock has time %v, want %d", raw[1].Values["t"], skewed.CastAt.UnixMilli())
	}
	var at []time.Time
	if _, err := s.ReadLog(ctx, p.Tenant, p.ID, "", func(e polls.Event) error { at = append(at, e.At); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(at) != 2 {
		t.Fatalf("ReadLog gave %d events", len(at))
	}
	if d := at[0].Sub(now.CastAt); d < -time.Second || d > time.Second || at[0].Location() != time.UTC {
		t.Errorf("a vote on time read at %v, cast at %v", at[0], now.CastAt)
	}
	if !at[1].Equal(skewed.CastAt) {
		t.Errorf("a skewed vote read at %v, cast at %v", at[1], skewed.CastAt)
	}
}

// TestLogToggleHasNoKind: a toggle's audit entry leaves its kind out (the
// only entry that does), other votes keep theirs, a toggle off the server
// clock still keeps its time, and ReadLog gives every kind back.
func TestLogToggleHasNoKind(t *testing.T) {
	s := singleEnv(t).store(t)
	ctx := t.Context()
	p := newPoll("slack:T1", "VKND", polls.Approval, 3)
	mustCreate(t, s, p)
	flip := polls.Flip{Choice: 1, Points: 1}
	mustCast(t, s, p, ballot("u1", "government", 0))
	if _, err := s.Toggle(ctx, p.Tenant, p.ID, ballot("u1", "government"), flip, ""); err != nil {
		t.Fatal(err)
	}
	skewed := ballot("u2", "academia")
	skewed.CastAt = skewed.CastAt.Add(-time.Hour)
	if _, err := s.Toggle(ctx, p.Tenant, p.ID, skewed, flip, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Retract(ctx, p.Tenant, p.ID, "u1", time.Now(), ""); err != nil {
		t.Fatal(err)
	}
	raw, err := s.rdb.XRange(ctx, s.keys(p.Tenant, p.ID).log, "-", "+").Result()
	if err != nil || len(raw) != 4 {
		t.Fatalf("log: %d entries, %v", len(raw), err)
	}
	for i, want := range []any{"c", nil, nil, "r"} {
		if got := raw[i].Values["e"]; got != want {
			t.Errorf("entry %d: kind %v, want %v (%v)", i, got, want, raw[i].Values)
		}
	}
	if raw[1].Values["d"] != "1" || raw[1].Values["g"] != "government" || raw[1].Values["u"] != "u1" {
		t.Errorf("toggle entry %v", raw[1].Values)
	}
	if raw[2].Values["t"] != strconv.FormatInt(skewed.CastAt.UnixMilli(), 10) {
		t.Errorf("a skewed toggle's entry %v lacks its time %d", raw[2].Values, skewed.CastAt.UnixMilli())
	}
	var kinds []polls.EventKind
	var at2 time.Time
	if _, err := s.ReadLog(ctx, p.Tenant, p.ID, "", func(e polls.Event) error {
		kinds = append(kinds, e.Kind)
		if len(kinds) == 3 {
			at2 = e.At
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(kinds, []polls.EventKind{polls.EventCast, polls.EventToggle, polls.EventToggle, polls.EventRetract}) {
		t.Errorf("ReadLog kinds %v", kinds)
	}
	if !at2.Equal(skewed.CastAt) {
		t.Errorf("skewed toggle read at %v, cast at %v", at2, skewed.CastAt)
	}
}

// TestBallotRecordCastTime: the vote script writes the cast time in the
// record's base 62, and a ballot stored with decimal milliseconds, as
// before, still reads.
func TestBallotRecordCastTime(t *testing.T) {
	s := singleEnv(t).store(t)
	ctx := t.Context()
	p := newPoll("slack:T1", "VREC", polls.Approval, 3)
	mustCreate(t, s, p)
	b := ballot("u1", "civil-society", 2)
	b.CastAt = time.Date(2026, 12, 1, 15, 4, 5, 6e6, time.UTC)
	if _, err := s.Toggle(ctx, p.Tenant, p.ID, b, polls.Flip{Choice: 2, Points: 1}, "d-1"); err != nil {
		t.Fatal(err)
	}
	k := s.keys(p.Tenant, p.ID)
	if rec, err := s.rdb.HGet(ctx, k.ballots, "u1").Result(); err != nil || rec != "civil-society|VcYzfqQ|2|" {
		t.Errorf("stored record %q, %v; want %q", rec, err, "civil-society|VcYzfqQ|2|")
	}
	if err := s.rdb.HSet(ctx, k.ballots, "u2", "academia|1796137445006|0,1|").Err(); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"u1", "u2"} {
		got, err := s.Ballot(ctx, p.Tenant, p.ID, v)
		if err != nil || !got.CastAt.Equal(b.CastAt) {
			t.Errorf("%s: cast at %v, %v; want %v", v, got.CastAt, err, b.CastAt)
		}
	}
}
