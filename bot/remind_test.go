package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

// reminders records the reminders posted per poll across replicas, and
// fails the first posts of polls told to.
type reminders struct {
	mu    sync.Mutex
	posts map[polls.Key][]string
	fail  map[polls.Key]int
	t     *testing.T
}

func newReminders(t *testing.T) *reminders {
	return &reminders{posts: map[polls.Key][]string{}, fail: map[polls.Key]int{}, t: t}
}

func (r *reminders) Remind(_ context.Context, p *polls.Poll, resp bot.Response) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail[p.Key()] > 0 {
		r.fail[p.Key()]--
		return errors.New("chat.postMessage: service unavailable")
	}
	if len(resp.Replies) != 1 || resp.Replies[0].Thread == nil || resp.Replies[0].Thread.Key() != p.Key() || resp.Replies[0].Visibility != bot.Public {
		r.t.Errorf("reminder of %s is not one public reply under the poll: %+v", p.ID, resp)
	}
	r.posts[p.Key()] = append(r.posts[p.Key()], bot.RenderText(resp.Replies[0]))
	return nil
}

func (r *reminders) of(k polls.Key) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.posts[k]...)
}

// voters are people whose ids must never appear in a reminder.
var voters = []struct {
	user  string
	group string
	votes []string
}{
	{"U-ALICE-7F3A", "government", []string{"1"}},
	{"U-BRUNO-22C1", "government", []string{"1", "2"}},
	{"U-CHIDI-90D4", "government", []string{"1"}},
	{"U-DARIA-51EE", "civil-society", []string{"1"}},
	{"U-EMEKA-0B9F", "civil-society", []string{"2"}},
	{"U-FATMA-C3A0", "civil-society", []string{"2"}},
	{"U-GRETA-4D17", "academia", []string{"1"}},
}

// vote casts every voter's ballot in poll id.
func vote(t *testing.T, e *bot.Engine, id string) {
	t.Helper()
	ctx := context.Background()
	for _, v := range voters {
		req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: v.user, Channel: "C1"}
		if r := e.Handle(ctx, req, bot.Group{Group: v.group}); r.Err != nil {
			t.Fatal(text(r))
		}
		if r := e.Handle(ctx, req, bot.Vote{Poll: id, Themes: v.votes}); r.Err != nil {
			t.Fatal(text(r))
		}
	}
}

// TestRemindersTwoReplicas runs two engines (two replicas) on one store,
// with one injected clock: on Redis each has its own client to one real
// redis-server; on the embedded store they share the open file, as two
// goroutines of one process. Polls opened with --remind 24h,1h get each of
// their two reminders exactly once, at its time, however often and however
// concurrently the replicas tick; a reminder whose post failed is posted
// by a later tick once its lease has run out, once; none comes before its
// time or after the close; a poll that hides its results gets
// participation only; and no reminder names a voter.
func TestRemindersTwoReplicas(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		srv := redistest.StartServer(t)
		testRemindersTwoReplicas(t, func() polls.Store {
			st, err := redisstore.Open(context.Background(), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		})
	})
	t.Run("bolt", func(t *testing.T) {
		st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		testRemindersTwoReplicas(t, func() polls.Store { return st })
	})
}

func testRemindersTwoReplicas(t *testing.T, newStore func() polls.Store) {
	ctx := context.Background()
	clock := &fakeClock{t: time.Now().UTC().Truncate(time.Second)}
	const lease = 10 * time.Second
	rem := newReminders(t)
	var ann announcements
	var scheds []*bot.Scheduler
	var engines []*bot.Engine
	for range 2 {
		st := newStore()
		e := bot.New(polls.NewService(st, polls.WithClock(clock.Now), polls.WithAnnounceLease(lease)), bot.Config{})
		engines = append(engines, e)
		scheds = append(scheds, bot.NewScheduler(e, &ann, time.Second, bot.WithReminders(rem)))
	}
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U-FACILITATOR", Channel: "C1"}
	var keys []polls.Key
	for i := range 12 {
		r := engines[i%2].Handle(ctx, req, bot.Open{Title: fmt.Sprint("Poll ", i), Themes: []string{"DNS abuse", "Privacy"},
			Opts: bot.OpenOptions{Closes: bot.Deadline{In: 48 * time.Hour}, Remind: []time.Duration{time.Hour, 24 * time.Hour}, HideResults: i == 1}})
		if r.Err != nil {
			t.Fatal(text(r))
		}
		if !strings.Contains(text(r), "Reminders will be posted under the poll 1d and 1h before its deadline") {
			t.Errorf("open: the facilitator is not told of the reminders: %s", text(r))
		}
		keys = append(keys, r.Opened.Key())
	}
	closes := clock.Now().Add(48 * time.Hour)
	vote(t, engines[0], keys[0].ID)
	vote(t, engines[1], keys[1].ID)
	rem.mu.Lock()
	rem.fail[keys[2]] = 1 // the first post of poll 2's first reminder fails
	rem.mu.Unlock()

	tickAll := func(when string, rounds int) {
		t.Helper()
		var wg sync.WaitGroup
		for _, s := range scheds {
			wg.Go(func() {
				for range rounds {
					if _, err := s.Tick(ctx); err != nil {
						t.Errorf("%s: tick: %v", when, err)
					}
				}
			})
		}
		wg.Wait()
	}
	counts := func(when string, want func(i int) int) {
		t.Helper()
		for i, k := range keys {
			if got := len(rem.of(k)); got != want(i) {
				t.Errorf("%s: poll %d (%s) reminded %d times, want %d: %q", when, i, k.ID, got, want(i), rem.of(k))
			}
		}
	}

	tickAll("at the open", 3)
	counts("at the open", func(int) int { return 0 })
	clock.Advance(24*time.Hour - time.Second)
	tickAll("a second before the first reminder", 3)
	counts("a second before the first reminder", func(int) int { return 0 })
	clock.Advance(time.Second)
	tickAll("at the first reminder", 5)
	counts("at the first reminder", func(i int) int {
		if i == 2 {
			return 0 // its post failed; its lease has not run out
		}
		return 1
	})
	clock.Advance(lease)
	tickAll("when the failed post's lease ran out", 3)
	counts("when the failed post's lease ran out", func(int) int { return 1 })
	clock.Advance(23*time.Hour - lease - time.Second)
	tickAll("a second before the second reminder", 3)
	counts("a second before the second reminder", func(int) int { return 1 })
	clock.Advance(time.Second)
	tickAll("at the second reminder", 5)
	counts("at the second reminder", func(int) int { return 2 })
	clock.Advance(time.Hour + time.Minute)
	tickAll("after the deadline", 3)
	counts("after the deadline", func(int) int { return 2 })
	for _, k := range keys {
		if ann.count(k) != 1 {
			t.Errorf("%s announced %d times at its deadline, want once", k, ann.count(k))
		}
	}

	for i, k := range keys {
		posts := rem.of(k)
		if len(posts) != 2 {
			continue
		}
		first := "(in 1d)"
		if i == 2 {
			first = "(in 23h 59m)" // posted a lease late
		}
		when := closes.Format("Mon 2 Jan 15:04 UTC")
		if !strings.Contains(posts[0], "closes "+when+" "+first) || !strings.Contains(posts[1], "closes "+when+" (in 1h)") {
			t.Errorf("poll %d: reminders do not say the time left:\n%s\n%s", i, posts[0], posts[1])
		}
		for _, p := range posts {
			for _, v := range voters {
				if strings.Contains(p, v.user) {
					t.Errorf("poll %d: a reminder names voter %s:\n%s", i, v.user, p)
				}
			}
		}
	}
	// Poll 0 has live results: government 3/3 and civil society 1/3 on
	// DNS abuse, so one more supporting ballot from civil society makes
	// it emerging; academia (1 ballot) needs 2 more to count.
	got := rem.of(keys[0])[1]
	for _, want := range []string{
		"7 ballots so far, from 3 groups.",
		"Groups below quorum (3 ballots to count): Academia needs 2 more.",
		"No ballots yet from Private sector, Technical community and Intergovernmental (3 each to count).",
		"One step from emerging:\n• DNS abuse: 1 more supporting ballot from Civil society would make it emerging.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("poll 0's reminder lacks %q:\n%s", want, got)
		}
	}
	// Poll 1 hides its results: participation only.
	got = rem.of(keys[1])[1]
	if !strings.Contains(got, "Academia needs 2 more") || strings.Contains(got, "emerging") || strings.Contains(got, "DNS abuse") {
		t.Errorf("the reminder of a poll hiding its results shows more than participation:\n%s", got)
	}
}

// TestRemindersSurviveRestart: a reminder schedule stored by one process
// is honoured by the next over the same embedded store file; a reminder
// claimed by a process that died before posting it is posted by the next
// once its lease has run out, and only once; extending the poll moves its
// reminders to the new deadline.
func TestRemindersSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pollbot.db")
	ctx := context.Background()
	clock := &fakeClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	const lease = 30 * time.Second
	type proc struct {
		svc  *polls.Service
		eng  *bot.Engine
		stop func()
	}
	start := func() proc {
		st, err := boltstore.Open(path, boltstore.WithClock(clock.Now))
		if err != nil {
			t.Fatal(err)
		}
		svc := polls.NewService(st, polls.WithClock(clock.Now), polls.WithAnnounceLease(lease))
		return proc{svc, bot.New(svc, bot.Config{}), func() { st.Close() }}
	}
	rem := newReminders(t)
	tick := func(p proc) {
		t.Helper()
		if _, err := bot.NewScheduler(p.eng, &announcements{}, time.Second, bot.WithReminders(rem)).Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}

	p := start()
	r := p.eng.Handle(ctx, bot.Request{Platform: "shell", Tenant: "local", User: "you"},
		bot.Open{Title: "T", Themes: []string{"A", "B"}, Opts: bot.OpenOptions{Closes: bot.Deadline{In: 48 * time.Hour}, Remind: []time.Duration{24 * time.Hour, time.Hour}}})
	if r.Err != nil {
		t.Fatal(text(r))
	}
	k := r.Opened.Key()
	p.stop() // the process exits; the first reminder falls due meanwhile
	clock.Advance(24*time.Hour + time.Minute)

	p = start()
	due, err := p.svc.RemindDue(ctx, 10) // claimed, then the process dies
	if err != nil || len(due) != 1 || due[0].Poll.Key() != k {
		t.Fatalf("RemindDue after the restart = %v, %v; want the poll's reminder", due, err)
	}
	p.stop()

	p = start()
	tick(p)
	if n := len(rem.of(k)); n != 0 {
		t.Fatalf("reminded %d times while the dead process's lease runs", n)
	}
	clock.Advance(lease)
	tick(p)
	tick(p)
	if n := len(rem.of(k)); n != 1 {
		t.Fatalf("reminded %d times after the lease ran out, want once", n)
	}
	// Extended by a day 30 minutes before its 1h reminder: that reminder
	// moves with the deadline, and the 24h one comes again first.
	clock.Advance(22*time.Hour + 29*time.Minute)
	if r := p.eng.Handle(ctx, bot.Request{Platform: "shell", Tenant: "local", User: "you"}, bot.Extend{Poll: k.ID, By: 24 * time.Hour}); r.Err != nil {
		t.Fatal(text(r))
	}
	clock.Advance(time.Hour)
	tick(p)
	if n := len(rem.of(k)); n != 1 {
		t.Fatalf("reminded at the old deadline's 1h reminder after the extension: %q", rem.of(k))
	}
	clock.Advance(29*time.Minute + 30*time.Second) // a day before the new deadline
	tick(p)
	if posts := rem.of(k); len(posts) != 2 || !strings.Contains(posts[1], "(in 1d)") {
		t.Fatalf("at the new deadline's 24h reminder: %q", posts)
	}
	p.stop()
	clock.Advance(23 * time.Hour)
	p = start()
	defer p.stop()
	tick(p)
	if posts := rem.of(k); len(posts) != 3 || !strings.Contains(posts[2], "(in 1h)") {
		t.Fatalf("after the restart, at the new deadline's 1h reminder: %q", posts)
	}
}

// TestRemindCommand: /poll remind ID is for the poll's managers; it
// answers with a public reply under the poll and a private confirmation,
// refuses closed polls, and is limited per poll and hour.
func TestRemindCommand(t *testing.T) {
	e := newEngine(t, bot.Config{Facilitators: []string{"slack:UFAC"}})
	ctx := context.Background()
	creator := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "UCREATOR", Channel: "C1"}
	fac := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "UFAC", Channel: "D1", DirectMessage: true}
	other := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "UOTHER", Channel: "C1"}
	r := e.HandleText(ctx, creator, `open "Theme for 2027" "DNSSEC" "DNS abuse" --closes 2d`)
	if r.Err != nil {
		t.Fatal(text(r))
	}
	p := r.Opened
	if r := e.HandleText(ctx, other, "remind "+p.ID); !errors.Is(r.Err, bot.ErrForbidden) || !strings.Contains(text(r), "only facilitators and the poll's creator can send a reminder for poll "+p.ID) {
		t.Fatalf("remind by a participant: %v %s", r.Err, text(r))
	}
	for i, req := range []bot.Request{creator, fac, creator} {
		r := e.HandleText(ctx, req, "remind "+strings.ToLower(p.ID))
		if r.Err != nil || len(r.Replies) != 2 {
			t.Fatalf("remind %d: %v %+v", i, r.Err, r)
		}
		if th := r.Replies[0].Thread; th == nil || th.Key() != p.Key() || r.Replies[0].Visibility != bot.Public {
			t.Fatalf("remind %d: first reply is not public under the poll: %+v", i, r.Replies[0])
		}
		if got := bot.RenderText(r.Replies[0]); !strings.Contains(got, "⏰ Reminder: “Theme for 2027” (poll "+p.ID+") closes ") || !strings.Contains(got, "(in 2d)") || !strings.Contains(got, "No ballots yet.") {
			t.Errorf("remind %d: %s", i, got)
		}
		if r.Replies[1].Visibility != bot.Ephemeral || r.Replies[1].Text != "Reminder posted under poll "+p.ID+"." {
			t.Errorf("remind %d: confirmation %+v", i, r.Replies[1])
		}
	}
	if r := e.HandleText(ctx, creator, "remind "+p.ID); r.Err != nil || len(r.Replies) != 1 || !strings.Contains(text(r), "3 reminders of poll "+p.ID+" were posted in the last hour") {
		t.Errorf("a fourth reminder in the hour: %v %s", r.Err, text(r))
	}
	if r := e.HandleText(ctx, creator, "close "+p.ID); r.Err != nil {
		t.Fatal(text(r))
	}
	if r := e.HandleText(ctx, fac, "remind "+p.ID); len(r.Replies) != 1 || !strings.Contains(text(r), "Poll "+p.ID+" is closed; reminders are for open polls.") {
		t.Errorf("remind a closed poll: %s", text(r))
	}
	if r := e.HandleText(ctx, creator, "remind"); r.Err == nil || !strings.Contains(text(r), "Remind needs a poll id") || !strings.Contains(text(r), "Usage: /poll remind ID") {
		t.Errorf("remind without an id: %s", text(r))
	}
}

// TestRemindOption: --remind is checked against the deadline, with a clear
// private error; the configured default applies to polls opened without
// it, less the reminders a short poll has no room for; --remind none
// turns the default off.
func TestRemindOption(t *testing.T) {
	cfg, err := bot.LoadConfig(strings.NewReader("defaults: {closes: 48h, remind: [24h, 1h]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, cfg)
	ctx := context.Background()
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U1", Channel: "C1"}
	for _, c := range []struct {
		cmd    string
		remind []time.Duration
		err    string
	}{
		{`open "T" "A"`, []time.Duration{24 * time.Hour, time.Hour}, ""},
		{`open "T" "A" --closes 3h`, []time.Duration{time.Hour}, ""},
		{`open "T" "A" --closes 30m`, nil, ""},
		{`open "T" "A" --remind none`, nil, ""},
		{`open "T" "A" --remind 2h`, []time.Duration{2 * time.Hour}, ""},
		{`open "T" "A" --closes 3h --remind 24h,1h`, nil, "A reminder 1d before the deadline would come before now: the poll closes in 3h.\nUsage: /poll open"},
		{`open "T" "A" --closes 1h --remind 1h`, nil, "A reminder 1h before the deadline would come before now: the poll closes in 1h."},
		{`open "T" "A" --remind 30s`, nil, "--remind 30s: a reminder comes at least a minute before the deadline."},
		{`open "T" "A" --remind 1h,60m`, nil, "--remind lists 1h twice."},
		{`open "T" "A" --remind 1h,2h,3h,4h,5h,6h`, nil, "--remind takes at most 5 reminders, not 6."},
		{`open "T" "A" --remind soon`, nil, `--remind: "soon" is not a duration like 90m, 48h, 1h30m or 2d.`},
	} {
		r := e.HandleText(ctx, req, c.cmd)
		switch {
		case c.err != "" && (r.Err == nil || !strings.Contains(text(r), c.err) || r.Replies[0].Visibility != bot.Ephemeral):
			t.Errorf("%s: %v %q, want the private error %q", c.cmd, r.Err, text(r), c.err)
		case c.err == "" && r.Err != nil:
			t.Errorf("%s: %s", c.cmd, text(r))
		case c.err == "" && fmt.Sprint(r.Opened.Remind) != fmt.Sprint(c.remind):
			t.Errorf("%s: reminders %v, want %v", c.cmd, r.Opened.Remind, c.remind)
		}
	}
	// Without a deadline, an explicit reminder has nothing to come before.
	noDeadline := newEngine(t, bot.Config{})
	if r := noDeadline.HandleText(ctx, req, `open "T" "A" --remind 1h`); r.Err == nil || !strings.Contains(text(r), "Reminders come before a deadline: add one, e.g. --closes 48h.") {
		t.Errorf("--remind without a deadline: %s", text(r))
	}
	for _, bad := range []string{"defaults: {remind: [1h, 1h]}", "defaults: {remind: 10s}", "defaults: {remind: {a: 1}}", "defaults: {remind: [soon]}"} {
		if _, err := bot.LoadConfig(strings.NewReader(bad)); err == nil {
			t.Errorf("config %q accepted", bad)
		}
	}
	if c, err := bot.LoadConfig(strings.NewReader("defaults: {remind: \"2d, 1h\"}")); err != nil || fmt.Sprint(c.Defaults.Remind) != "[48h0m0s 1h0m0s]" {
		t.Errorf("config remind as text: %v %v", c.Defaults.Remind, err)
	}
}

// TestReminderWording: the sentences of a reminder in the cases the
// scheduler test does not meet: every group at quorum, votes held for a
// group pick, no deadline, a ranked poll.
func TestReminderWording(t *testing.T) {
	cfg := bot.Config{Groups: []polls.GroupInfo{{ID: "government", Label: "Government"}, {ID: "civil-society", Label: "Civil society"}}}
	e := newEngine(t, cfg)
	ctx := context.Background()
	fac := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "UFAC", Channel: "C1"}
	r := e.HandleText(ctx, fac, `open "Ranked" "A" "B" --kind ranked --quorum 2`)
	if r.Err != nil {
		t.Fatal(text(r))
	}
	id := r.Opened.ID
	for i, g := range []string{"government", "government", "civil-society", "civil-society"} {
		req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: fmt.Sprint("U", i), Channel: "C1"}
		e.Handle(ctx, req, bot.Group{Group: g})
		order := "1 2"
		if i == 3 {
			order = "2 1"
		}
		if r := e.HandleText(ctx, req, "vote "+id+" "+order); r.Err != nil {
			t.Fatal(text(r))
		}
	}
	// Two votes wait for a group pick.
	for _, u := range []string{"UX", "UY"} {
		e.HandleText(ctx, bot.Request{Platform: "slack", Tenant: "slack:T1", User: u, Channel: "C1"}, "vote "+id+" 2 1")
	}
	r = e.HandleText(ctx, fac, "remind "+id)
	got := bot.RenderText(r.Replies[0])
	for _, want := range []string{
		"⏰ Reminder: “Ranked” (poll " + id + ") is open, with no deadline.",
		"4 ballots so far, from 2 groups.",
		"2 more votes wait for their voters to pick a stakeholder group (/poll group); they count once they do.",
		"Every group has reached the quorum of 2 ballots.",
		"One step from emerging:\n• B: 2 more ballots ranking it first from Government would make it emerging.",
		"Vote with /poll vote " + id + " and theme numbers, most wanted first.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("reminder lacks %q:\n%s", want, got)
		}
	}
}

// unschedulable is a store that cannot store reminder schedules.
type unschedulable struct{ polls.Store }

func (unschedulable) SetReminders(context.Context, string, string, time.Time, []time.Time) (bool, error) {
	return false, errors.New("dial tcp 127.0.0.1:1: connection refused")
}

// TestRemindersUnscheduled: a poll opened, or extended, while its
// reminder schedule cannot be stored is opened (extended) all the same,
// and the facilitator is told privately that its reminders may not come.
func TestRemindersUnscheduled(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	e := bot.New(polls.NewService(unschedulable{st}), bot.Config{})
	ctx := context.Background()
	req := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U1", Channel: "C1"}
	r := e.HandleText(ctx, req, `open "T" "A" "B" --closes 2d --remind 1h`)
	if r.Err != nil || r.Opened == nil || len(r.Replies) != 2 || r.Replies[0].Poll == nil {
		t.Fatalf("open: %v %s", r.Err, text(r))
	}
	if got := r.Replies[1].Text; !strings.Contains(got, "is open") || !strings.Contains(got, "Its reminders could not be scheduled just now; /poll remind "+r.Opened.ID+" posts one by hand.") {
		t.Errorf("open: %s", got)
	}
	r = e.HandleText(ctx, req, "extend "+r.Opened.ID+" 1d")
	if r.Err != nil || len(r.Replies) != 2 || !strings.Contains(r.Replies[0].Text, "now closes") || r.Replies[1].Visibility != bot.Ephemeral || !strings.Contains(r.Replies[1].Text, "could not be scheduled") {
		t.Errorf("extend: %v %+v", r.Err, r.Replies)
	}
	// A poll without reminders never needs the schedule.
	if r := e.HandleText(ctx, req, `open "U" "A" "B" --closes 2d`); r.Err != nil || strings.Contains(text(r), "could not be scheduled") {
		t.Errorf("open without reminders: %s", text(r))
	}
}
