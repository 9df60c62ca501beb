package faulttest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/pollbot/pollbot/internal/redistest"
)

// aof is Redis persisting every write before it answers.
var aof = []string{"--appendonly", "yes", "--appendfsync", "always"}

// TestRedisKilledDuringVotes kills Redis (SIGKILL, appendfsync always)
// while 48 voters click, and restarts it from its append-only file: once
// after two seconds down, then four times at once (inside go-redis's retry
// window, where a command whose reply the kill lost is sent again to the
// restarted server). Every vote a voter was told counted must be in the
// tally afterwards; no click may be applied twice; every click gets an
// answer, counted or "try again"; the tally agrees with the ballots.
func TestRedisKilledDuringVotes(t *testing.T) {
	h := newHarness(t, 100*time.Second)
	rs := redistest.StartServer(t, aof...)
	pb := h.serve("pollbot", rs.URL)

	users := slackUsers("K", 48)
	h.declareGroups([]*serveProc{pb}, users)
	approval := h.openSlack(pb, "Redis killed: approval", 24, "")
	single := h.openSlack(pb, "Redis killed: single choice", 5, "--kind single")

	r := rand.New(rand.NewPCG(1, 2))
	plans := make([]plan, len(users))
	for i, u := range users {
		plans[i] = plan{user: u, steps: interleave(r, approvalSteps(r, approval), singleSteps(r, single, 12))}
	}
	total := totalSteps(plans)
	l := &load{h: h, plans: plans, workers: 16, target: func(int, int) *serveProc { return pb }}

	var chaos sync.WaitGroup
	chaos.Go(func() {
		waitDone := func(frac float64) bool {
			return h.waitUntil(60*time.Second, func() bool { return l.done.Load() >= int64(frac*float64(total)) })
		}
		if !waitDone(0.25) {
			return
		}
		rs.Kill()
		t.Logf("redis killed after %d of %d clicks", l.done.Load(), total)
		time.Sleep(2 * time.Second)
		if err := rs.Restart(); err != nil {
			t.Error(err)
			return
		}
		t.Logf("redis restarted from its AOF after %d clicks", l.done.Load())
		// Kill and start again at once, a few times: commands whose
		// replies a kill lost are retried by go-redis against the
		// restarted server.
		for _, at := range []float64{0.45, 0.6, 0.75, 0.9} {
			if !waitDone(at) {
				return
			}
			if err := rs.Restart(); err != nil {
				t.Error(err)
				return
			}
			t.Logf("redis killed and restarted at once after %d clicks", l.done.Load())
		}
	})
	start := time.Now()
	l.run(h.ctx)
	chaos.Wait()
	t.Logf("load: %s in %v", outcomes(l.votes), time.Since(start).Round(time.Millisecond))
	if err := h.ctx.Err(); err != nil {
		t.Fatalf("scenario deadline: %v", err)
	}
	h.waitReady(pb, 200, 10*time.Second)

	for _, v := range l.votes {
		if v.Outcome == noAnswer || v.Outcome == unexpected || v.Outcome == refused {
			t.Errorf("%s's click on %s of %s: %s %q (failed deliveries %v)", v.User, v.Label(), v.Poll.ID, v.Outcome, v.Text, v.Failures)
		}
	}
	for _, pl := range []*poll{approval, single} {
		s := h.readPoll(rs.URL, pl)
		checkTally(t, pl, s)
		checkVotes(t, pl, l.votes, s, false)
	}
}

// TestRedisUnreachable takes Redis away while pollbot serves: killed
// (connections refused), then frozen (SIGSTOP: connections accepted, no
// answer). Either way each click must be answered within Slack's and
// Discord's 3 s with a clear "try again", /readyz must say 503 (and
// /healthz stay 200), nothing may panic, and when Redis is back pollbot
// must resume by itself: /readyz 200, clicks count, and a poll whose
// deadline passed during the outage is closed and announced once.
func TestRedisUnreachable(t *testing.T) {
	for _, mode := range []string{"killed", "frozen"} {
		t.Run(mode, func(t *testing.T) { testRedisUnreachable(t, mode) })
	}
}

func testRedisUnreachable(t *testing.T, mode string) {
	h := newHarness(t, 80*time.Second)
	rs := redistest.StartServer(t, aof...)
	t.Cleanup(func() { _ = rs.Resume() }) // before Stop: a frozen server ignores SIGTERM
	pb := h.serve("pollbot", rs.URL)

	users := slackUsers("R", 6)
	members := discordMembers(4)
	h.declareGroups([]*serveProc{pb}, users)
	h.declareDiscordGroups([]*serveProc{pb}, members)
	approval := h.openSlack(pb, "Unreachable: approval", 6, "")
	dpoll := h.openDiscord(pb, "Unreachable: Discord", 4, "single", "")

	// Before: every voter's first click counts.
	var before []*vote
	for _, u := range users {
		before = append(before, h.clickSlack(h.ctx, func() *serveProc { return pb }, u, approval, 0, clickPolicy{}))
	}
	for _, m := range members {
		before = append(before, h.clickDiscord(h.ctx, pb, m, dpoll, 0))
	}
	for _, v := range before {
		if v.Outcome != counted {
			t.Fatalf("before the outage, %s's click: %s %q %v", v.User, v.Outcome, v.Text, v.Failures)
		}
	}

	// A poll whose deadline falls during the outage.
	due := h.openSlack(pb, "Unreachable: due during the outage", 3, "--closes 3s")
	dueAt := time.Now().Add(3 * time.Second)
	// Not a moment sooner: a poll message that could not be recorded is
	// never re-rendered (TestRedisDownWhenPollPosted).
	h.waitMessageRecorded(rs.Addr, due)

	outageStart := time.Now()
	switch mode {
	case "killed":
		rs.Kill()
	case "frozen":
		if err := rs.Pause(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("redis %s", mode)

	// /readyz says 503 within 3 s, each answer within 3 s; /healthz 200.
	code, took, err := pb.get(h.ctx, "/readyz")
	if err != nil || code != 503 || took > ackBound {
		t.Errorf("/readyz with redis %s: %d after %v (%v), want 503 within %v", mode, code, took.Round(time.Millisecond), err, ackBound)
	}
	if code, _, err := pb.get(h.ctx, "/healthz"); err != nil || code != 200 {
		t.Errorf("/healthz with redis %s: %d (%v), want 200", mode, code, err)
	}

	// Clicks from every voter at once: each answered within 3 s, "try again".
	var (
		mu     sync.Mutex
		during []*vote
		wg     sync.WaitGroup
	)
	for _, u := range users {
		wg.Go(func() {
			v := h.clickSlack(h.ctx, func() *serveProc { return pb }, u, approval, 1, clickPolicy{answerWait: 20 * time.Second})
			mu.Lock()
			during = append(during, v)
			mu.Unlock()
		})
	}
	for _, m := range members {
		wg.Go(func() {
			v := h.clickDiscord(h.ctx, pb, m, dpoll, 1)
			mu.Lock()
			during = append(during, v)
			mu.Unlock()
		})
	}
	var cmdAck string
	var cmdTook time.Duration
	wg.Go(func() {
		t0 := time.Now()
		r, err := h.slack(pb).Command(h.ctx, users[0], "list")
		cmdTook = time.Since(t0)
		if err != nil {
			cmdAck = "error: " + err.Error()
			return
		}
		cmdAck = string(r.Body)
	})
	wg.Wait()
	for _, v := range during {
		switch {
		case v.Outcome != tryAgain:
			t.Errorf("%s click by %s with redis %s: %s %q (deliveries failed: %v), want a \"try again\" answer", v.Platform, v.User, mode, v.Outcome, v.Text, v.Failures)
		case v.AckAfter > ackBound || v.Answered > ackBound:
			t.Errorf("%s click by %s with redis %s: acknowledged after %v, answered after %v; Slack and Discord allow %v", v.Platform, v.User, mode, v.AckAfter.Round(time.Millisecond), v.Answered.Round(time.Millisecond), ackBound)
		}
	}
	t.Logf("clicks with redis %s: %s", mode, outcomes(during))
	if cmdTook > ackBound || !strings.Contains(cmdAck, "try again") {
		t.Errorf("/poll list with redis %s: acknowledged after %v with %s; want \"try again\" within %v", mode, cmdTook.Round(time.Millisecond), cmdAck, ackBound)
	}

	// Stay down until the due poll's deadline has passed.
	if d := time.Until(dueAt.Add(500 * time.Millisecond)); d > 0 {
		time.Sleep(d)
	}
	if n := h.announcements(due); n != 0 {
		t.Errorf("poll %s announced %d times while redis was %s", due.ID, n, mode)
	}
	switch mode {
	case "killed":
		if err := rs.Restart(); err != nil {
			t.Fatal(err)
		}
	case "frozen":
		if err := rs.Resume(); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("redis back after %v", time.Since(outageStart).Round(time.Millisecond))

	// pollbot resumes by itself.
	h.waitReady(pb, 200, 10*time.Second)
	var after []*vote
	for _, u := range users {
		v := h.clickSlack(h.ctx, func() *serveProc { return pb }, u, approval, 1, clickPolicy{})
		after = append(after, v)
		if v.Outcome != counted {
			t.Errorf("after redis came back, %s's click on %s: %s %q", u, v.Label(), v.Outcome, v.Text)
		}
	}
	for _, m := range members {
		v := h.clickDiscord(h.ctx, pb, m, dpoll, 1)
		after = append(after, v)
		if v.Outcome != counted {
			t.Errorf("after redis came back, Discord click by %s: %s %q %v", m, v.Outcome, v.Text, v.Failures)
		}
	}
	if !h.waitUntil(5*time.Second, func() bool { return h.announcements(due) > 0 }) {
		t.Errorf("poll %s, due during the outage, was not announced within 5 s of redis coming back", due.ID)
	}
	time.Sleep(500 * time.Millisecond) // time for a second announcement, if there were one
	if n := h.announcements(due); n > 1 {
		t.Errorf("poll %s announced %d times", due.ID, n)
	}
	if s := h.readPoll(rs.URL, due); s.Status != "closed" {
		t.Errorf("poll %s is %s after its deadline", due.ID, s.Status)
	}
	h.checkShownClosed(due, 5*time.Second)

	// The voters' intent: themes 1 and 2 in every Slack ballot, theme 2 in
	// every Discord ballot, as the answers after the outage said.
	for i, vs := range [][]*vote{before, during, after} {
		for _, v := range vs {
			v.Seq = i
		}
	}
	all := append(append(before, during...), after...)
	s := h.readPoll(rs.URL, approval)
	checkTally(t, approval, s)
	for _, u := range users {
		if got := s.Ballots[u].Choices; strings.Join(got, ",") != "T01,T02" {
			t.Errorf("%s clicked T01, then T02 (\"try again\"), then T02 again: stored ballot %v, want [T01 T02]", u, got)
		}
	}
	checkVotes(t, approval, all, s, false)
	ds := h.readPoll(rs.URL, dpoll)
	checkTally(t, dpoll, ds)
	checkVotes(t, dpoll, all, ds, false)
	t.Logf("pollbot logged %d errors and %d warnings", pb.logs.count(`"level":"ERROR"`), pb.logs.count(`"level":"WARN"`))
}

// TestRedisReplyLost loses the reply to a vote's toggle script on the
// network (a proxy between pollbot and Redis closes the connection after
// the script ran), the failure after which go-redis sends the command
// again. The click was made once, so it must count once: the voter is told
// the theme is in their ballot, and it is.
func TestRedisReplyLost(t *testing.T) {
	h := newHarness(t, 40*time.Second)
	rs := redistest.StartServer(t)
	proxy := startTCPProxy(t, rs.Addr, "eval", ":tally")
	pb := h.serve("pollbot", "redis://"+proxy.Addr+"/0")

	users := slackUsers("L", 4)
	h.declareGroups([]*serveProc{pb}, users)
	pl := h.openSlack(pb, "Reply lost", 4, "")
	var votes []*vote
	for i, u := range users {
		before := proxy.lost.Load()
		proxy.loseNextReply()
		v := h.clickSlack(h.ctx, func() *serveProc { return pb }, u, pl, i%len(pl.Themes), clickPolicy{})
		votes = append(votes, v)
		if proxy.lost.Load() == before {
			t.Fatalf("the proxy lost no reply during %s's click (answer %s %q): the test no longer reaches the toggle script", u, v.Outcome, v.Text)
		}
		switch v.Outcome {
		case counted:
			if !slices.Contains(v.Ballot, v.Label()) {
				t.Errorf("%s clicked %s once; after the reply was lost pollbot answered %q: the toggle ran twice", u, v.Label(), v.Text)
			}
		case tryAgain:
			// Allowed: the voter is told the vote may not have been saved.
		default:
			t.Errorf("%s's click: %s %q", u, v.Outcome, v.Text)
		}
	}
	s := h.readPoll(rs.URL, pl)
	checkTally(t, pl, s)
	for _, v := range votes {
		if got := s.Ballots[v.User].Choices; !slices.Contains(got, v.Label()) {
			t.Errorf("%s clicked %s once (answer %s %q); stored ballot %v", v.User, v.Label(), v.Outcome, v.Text, got)
		}
	}
	t.Logf("%s; %d replies lost", outcomes(votes), proxy.lost.Load())
}

// TestTwoReplicas runs two `pollbot serve` processes on one store, a Redis
// server and then a 3-node Redis Cluster, and spreads the same load over
// both: Slack and Discord clicks alternate between the replicas, on polls
// that reach their deadline under load, and each voter also clicks several
// themes at once through both. With no fault, the tallies must be exact
// (each ballot is what its voter was last told), a click counts only before
// its poll's deadline, and each due poll is closed and announced exactly
// once although both schedulers race to close it.
func TestTwoReplicas(t *testing.T) {
	t.Run("redis", func(t *testing.T) {
		needSuite(t)
		rs := redistest.StartServer(t)
		testTwoReplicas(t, rs.URL)
	})
	t.Run("cluster", func(t *testing.T) {
		needSuite(t)
		c := redistest.StartCluster(t, 3)
		testTwoReplicas(t, c.URL)
	})
}

func testTwoReplicas(t *testing.T, redisURL string) {
	h := newHarness(t, 80*time.Second)
	procs := []*serveProc{h.serve("replica-a", redisURL), h.serve("replica-b", redisURL)}
	a, b := procs[0], procs[1]

	users := slackUsers("P", 40)
	members := discordMembers(6)
	h.declareGroups(procs, users)
	h.declareDiscordGroups(procs, members)
	approval := h.openSlack(a, "Replicas: approval", 16, "--closes 5s")
	single := h.openSlack(b, "Replicas: single choice", 4, "--kind single --closes 4s")
	dpoll := h.openDiscord(a, "Replicas: Discord", 4, "single", "4s")
	burst := h.openSlack(b, "Replicas: concurrent clicks", 8, "")
	due := []*poll{approval, single, dpoll}
	for i := range 8 {
		due = append(due, h.openSlack(procs[i%2], fmt.Sprintf("Replicas: due %d", i), 2, fmt.Sprintf("--closes %ds", 2+i%3)))
	}

	// Sequential clicks per voter, paced so that they run past the
	// deadlines, alternating between the replicas.
	r := rand.New(rand.NewPCG(3, 4))
	plans := make([]plan, len(users))
	for i, u := range users {
		plans[i] = plan{user: u, steps: interleave(r, approvalSteps(r, approval), singleSteps(r, single, 10))}
	}
	l := &load{h: h, plans: plans, workers: 10, pause: 60 * time.Millisecond,
		target: func(w, n int) *serveProc { return procs[(w+n)%2] }}
	var (
		wg      sync.WaitGroup
		dmu     sync.Mutex
		dvotes  []*vote
		started = time.Now()
	)
	for i, m := range members {
		wg.Go(func() {
			for n := 0; time.Since(started) < 6*time.Second && h.ctx.Err() == nil; n++ {
				v := h.clickDiscord(h.ctx, procs[(i+n)%2], m, dpoll, (i+n)%len(dpoll.Themes))
				v.Seq = n
				dmu.Lock()
				dvotes = append(dvotes, v)
				dmu.Unlock()
				time.Sleep(150 * time.Millisecond)
			}
		})
	}
	wg.Go(func() { l.run(h.ctx) })
	wg.Wait()
	t.Logf("slack load: %s in %v", outcomes(l.votes), time.Since(started).Round(time.Millisecond))
	t.Logf("discord load: %s", outcomes(dvotes))

	// Several themes at once per voter, through both replicas.
	var bmu sync.Mutex
	var bvotes []*vote
	h.parallel(20, 5, func(i int) error {
		var vwg sync.WaitGroup
		for k := range 4 {
			vwg.Go(func() {
				v := h.clickSlack(h.ctx, func() *serveProc { return procs[k%2] }, users[i], burst, (i+k)%len(burst.Themes), clickPolicy{})
				bmu.Lock()
				bvotes = append(bvotes, v)
				bmu.Unlock()
			})
		}
		vwg.Wait()
		return nil
	})
	t.Logf("concurrent clicks: %s", outcomes(bvotes))
	if err := h.ctx.Err(); err != nil {
		t.Fatalf("scenario deadline: %v", err)
	}

	// Every click answered: counted, or refused after the deadline.
	closes := h.closesAt(redisURL, slackTenant)
	for k, v := range h.closesAt(redisURL, discordTenant) {
		closes[k] = v
	}
	all := append(append(append([]*vote{}, l.votes...), dvotes...), bvotes...)
	for _, v := range all {
		deadline, hasDeadline := closes[v.Poll.ID]
		switch {
		case v.Outcome == counted && hasDeadline && !v.Sent.Before(deadline.Add(time.Millisecond)):
			t.Errorf("%s's click on %s of %s, sent %v after the deadline, counted", v.User, v.Label(), v.Poll.ID, v.Sent.Sub(deadline))
		case v.Outcome == counted:
		case v.Outcome == refused && hasDeadline:
			if answered := v.Sent.Add(v.Answered); answered.Before(deadline) {
				t.Errorf("%s's click on %s of %s refused %v before the deadline: %q", v.User, v.Label(), v.Poll.ID, deadline.Sub(answered), v.Text)
			}
		default:
			t.Errorf("%s click by %s on %s of %s: %s %q (failed deliveries %v)", v.Platform, v.User, v.Label(), v.Poll.ID, v.Outcome, v.Text, v.Failures)
		}
	}

	// Exact tallies.
	for _, pl := range []*poll{approval, single, dpoll, burst} {
		s := h.readPoll(redisURL, pl)
		checkTally(t, pl, s)
		checkVotes(t, pl, all, s, true)
	}

	// Each due poll closed and announced exactly once.
	last := time.Time{}
	for _, pl := range due {
		last = later(last, closes[pl.ID])
	}
	h.waitUntil(time.Until(last)+5*time.Second, func() bool {
		for _, pl := range due {
			if h.announcements(pl) == 0 {
				return false
			}
		}
		return true
	})
	time.Sleep(time.Second) // a second announcement would come within a scheduler tick or two
	for _, pl := range due {
		if n := h.announcements(pl); n != 1 {
			t.Errorf("poll %s (%s) was announced %d times, want once", pl.ID, pl.Platform, n)
		}
		if s := h.readPoll(redisURL, pl); s.Status != "closed" {
			t.Errorf("poll %s is %s after its deadline", pl.ID, s.Status)
		}
		h.checkShownClosed(pl, 5*time.Second)
	}
	for _, p := range procs {
		t.Logf("%s announced %d polls", p.name, p.logs.count(`"msg":"poll closed at deadline"`))
	}
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// TestPollbotKilledMidLoad kills pollbot (SIGKILL) while voters click, and
// starts it again on the same address two and a half seconds later.
// Clicks that fail meanwhile are redelivered as Slack redelivers (the same
// payload, X-Slack-Retry-Num) until pollbot takes them. No vote may be
// lost or counted twice: a counted answer lists the clicked theme, each
// counted vote is stored, nothing unclicked is. Deadlines still fire: a
// poll due while pollbot was down and one due after the restart are each
// closed and announced exactly once.
func TestPollbotKilledMidLoad(t *testing.T) {
	h := newHarness(t, 90*time.Second)
	rs := redistest.StartServer(t)
	pb := h.serve("pollbot", rs.URL)

	users := slackUsers("X", 32)
	h.declareGroups([]*serveProc{pb}, users)
	approval := h.openSlack(pb, "Killed: approval", 20, "")
	single := h.openSlack(pb, "Killed: single choice, closes after the restart", 4, "--kind single --closes 7s")
	downDue := h.openSlack(pb, "Killed: due while pollbot is down", 3, "--closes 3s")
	dueAt := time.Now().Add(3 * time.Second)
	for i, u := range users[:6] {
		if v := h.clickSlack(h.ctx, func() *serveProc { return pb }, u, downDue, i%3, clickPolicy{}); v.Outcome != counted {
			t.Fatalf("%s's click on %s: %s %q", u, downDue.ID, v.Outcome, v.Text)
		}
	}

	r := rand.New(rand.NewPCG(5, 6))
	plans := make([]plan, len(users))
	for i, u := range users {
		plans[i] = plan{user: u, steps: interleave(r, approvalSteps(r, approval), singleSteps(r, single, 10))}
	}
	l := &load{h: h, plans: plans, workers: 12, pause: 50 * time.Millisecond,
		target: func(int, int) *serveProc { return pb },
		policy: clickPolicy{redeliver: true, redeliverFor: 20 * time.Second}}
	var (
		chaos    sync.WaitGroup
		killedAt time.Time // set before the kill, read after chaos.Wait
	)
	start := time.Now()
	chaos.Go(func() {
		time.Sleep(1500 * time.Millisecond)
		killedAt = time.Now()
		pb.Kill()
		t.Logf("pollbot killed after %d clicks", l.done.Load())
		// Down until the poll's deadline has passed.
		time.Sleep(time.Until(dueAt.Add(time.Second)))
		if err := pb.Restart(); err != nil {
			t.Error(err)
			l.stop.Store(true)
			return
		}
		t.Logf("pollbot restarted after %d clicks, %v after the kill", l.done.Load(), time.Since(start.Add(1500*time.Millisecond)).Round(time.Millisecond))
	})
	l.run(h.ctx)
	chaos.Wait()
	t.Logf("load: %s in %v", outcomes(l.votes), time.Since(start).Round(time.Millisecond))
	if err := h.ctx.Err(); err != nil {
		t.Fatalf("scenario deadline: %v", err)
	}

	for _, v := range l.votes {
		switch {
		case v.Outcome == counted:
		case v.Outcome == refused && v.Poll == single:
		case v.Outcome == noAnswer && (len(v.Failures) > 0 || v.Sent.Before(killedAt)):
			// pollbot died with the click: before acknowledging it (its
			// redelivery was then recognised as a duplicate), or before
			// posting the answer it had acknowledged. Whether it counted,
			// only the store says, and checkVotes accepts either.
		default:
			t.Errorf("%s's click on %s of %s: %s %q (failed deliveries %v, %d sent)", v.User, v.Label(), v.Poll.ID, v.Outcome, v.Text, v.Failures, v.Attempts)
		}
	}
	for _, pl := range []*poll{approval, single} {
		s := h.readPoll(rs.URL, pl)
		checkTally(t, pl, s)
		checkVotes(t, pl, l.votes, s, false)
	}

	// Deadlines fire after the restart, each poll announced once.
	closes := h.closesAt(rs.URL, slackTenant)
	h.waitUntil(time.Until(closes[single.ID])+5*time.Second, func() bool {
		return h.announcements(downDue) > 0 && h.announcements(single) > 0
	})
	time.Sleep(500 * time.Millisecond)
	for _, pl := range []*poll{downDue, single} {
		if n := h.announcements(pl); n != 1 {
			t.Errorf("poll %s was announced %d times, want once", pl.ID, n)
		}
		s := h.readPoll(rs.URL, pl)
		if s.Status != "closed" {
			t.Errorf("poll %s is %s after its deadline", pl.ID, s.Status)
		}
		checkTally(t, pl, s)
		h.checkShownClosed(pl, 5*time.Second)
	}
	if s := h.readPoll(rs.URL, downDue); len(s.Ballots) != 6 {
		t.Errorf("poll %s has %d ballots, want the 6 cast before the kill", downDue.ID, len(s.Ballots))
	}
}

// TestPollbotStoppedWhileAnnouncing stops pollbot while the scheduler is
// posting the announcement of a poll it has just closed (the Slack Web API
// is slow to answer that one call), by SIGKILL and by SIGTERM, and starts it
// again. The poll is closed in the store either way; it must still be
// announced, exactly once: after a SIGTERM by the stopping process, which
// finishes the post; after a SIGKILL by the restarted one, once the owed
// announcement's lease (-announce-retry, short here) has run out.
func TestPollbotStoppedWhileAnnouncing(t *testing.T) {
	const retry = 2 * time.Second
	for _, how := range []string{"SIGKILL", "SIGTERM"} {
		t.Run(how, func(t *testing.T) {
			h := newHarness(t, 40*time.Second)
			hold := startHoldingProxy(t, h.sink.URL())
			h.slackAPIURL = hold.SlackAPIURL()
			h.serveArgs = []string{"-announce-retry", retry.String()}
			rs := redistest.StartServer(t)
			pb := h.serve("pollbot", rs.URL)
			h.declareGroups([]*serveProc{pb}, []string{"UA001"})
			pl := h.openSlack(pb, "Stopped while announcing", 2, "--closes 2s")
			if v := h.clickSlack(h.ctx, func() *serveProc { return pb }, "UA001", pl, 0, clickPolicy{}); v.Outcome != counted {
				t.Fatalf("click: %s %q", v.Outcome, v.Text)
			}
			hold.holdText.Store("Poll " + pl.ID + " reached its deadline")
			select {
			case <-hold.held:
			case <-time.After(10 * time.Second):
				t.Fatal("pollbot did not try to announce the poll within 10 s")
			}
			if how == "SIGKILL" {
				pb.Kill()
			} else {
				pb.Terminate()
			}
			hold.holdText.Store("")
			if s := h.readPoll(rs.URL, pl); s.Status != "closed" {
				t.Fatalf("poll %s is %s while its announcement is under way", pl.ID, s.Status)
			}
			if err := pb.Restart(); err != nil {
				t.Fatal(err)
			}
			// The restart, the rest of the lease and a tick.
			h.waitUntil(retry+8*time.Second, func() bool { return h.announcements(pl) > 0 })
			// A second announcement would come a lease later.
			time.Sleep(retry + time.Second)
			if n := h.announcements(pl); n != 1 {
				t.Errorf("poll %s, closed by the scheduler, was announced %d times after pollbot was stopped (%s) while announcing it and started again; want once", pl.ID, n, how)
			}
			h.checkShownClosed(pl, 5*time.Second)
		})
	}
}

// TestPollbotKilledMidClick kills pollbot while a click is under way: the
// vote's toggle script has run in Redis, and pollbot is waiting for its
// reply (a proxy holds it back). Slack's delivery fails with the process;
// it is redelivered (X-Slack-Retry-Num) to the restarted pollbot, which
// must not apply it a second time.
func TestPollbotKilledMidClick(t *testing.T) {
	h := newHarness(t, 40*time.Second)
	rs := redistest.StartServer(t)
	proxy := startTCPProxy(t, rs.Addr, "eval", ":tally")
	pb := h.serve("pollbot", "redis://"+proxy.Addr+"/0")
	h.declareGroups([]*serveProc{pb}, []string{"UM001"})
	pl := h.openSlack(pb, "Killed mid-click", 3, "")

	proxy.holdNextReply()
	done := make(chan *vote, 1)
	go func() {
		done <- h.clickSlack(h.ctx, func() *serveProc { return pb }, "UM001", pl, 0, clickPolicy{redeliver: true, redeliverFor: 20 * time.Second})
	}()
	select {
	case <-proxy.held:
	case <-time.After(10 * time.Second):
		t.Fatal("the click's toggle script did not run within 10 s")
	}
	pb.Kill()
	if err := pb.Restart(); err != nil {
		t.Fatal(err)
	}
	v := <-done
	t.Logf("click: %s %q after %d deliveries (failed: %v)", v.Outcome, v.Text, v.Attempts, v.Failures)
	if len(v.Failures) == 0 {
		t.Fatal("the first delivery did not fail: pollbot was not killed while it handled the click")
	}
	switch {
	case v.Outcome == counted && !slices.Contains(v.Ballot, v.Label()):
		t.Errorf("the click on %s was redelivered after pollbot died handling it, and pollbot answered %q: applied twice", v.Label(), v.Text)
	case v.Outcome != counted && v.Outcome != noAnswer:
		t.Errorf("the redelivered click: %s %q", v.Outcome, v.Text)
	}
	s := h.readPoll(rs.URL, pl)
	checkTally(t, pl, s)
	if got := s.Ballots["UM001"].Choices; strings.Join(got, ",") != "T01" {
		t.Errorf("UM001 clicked T01 once (pollbot killed during the click, the click redelivered); stored ballot %v, want [T01]", got)
	}
}

// TestRedisDownWhenPollPosted opens a poll while Redis is up, and takes
// Redis down (killed, restarted from its AOF four seconds later) just as
// pollbot posts the poll's message, before it records where the message
// is. When Redis is back and the poll gets votes, its message must show
// them, and show the poll closed when it closes.
func TestRedisDownWhenPollPosted(t *testing.T) {
	h := newHarness(t, 40*time.Second)
	hold := startHoldingProxy(t, h.sink.URL())
	hold.holdFor.Store(int64(time.Second))
	h.slackAPIURL = hold.SlackAPIURL()
	rs := redistest.StartServer(t, aof...)
	pb := h.serve("pollbot", rs.URL)
	users := slackUsers("D", 3)
	h.declareGroups([]*serveProc{pb}, users)

	hold.holdText.Store("Posted during a blip")
	killed := make(chan struct{})
	go func() {
		defer close(killed)
		select {
		case <-hold.held:
			rs.Kill()
		case <-h.ctx.Done():
		}
	}()
	pl := h.openSlack(pb, "Posted during a blip", 3, "--closes 6s")
	hold.holdText.Store("")
	select {
	case <-killed:
	default:
		t.Fatal("the poll was posted without the proxy holding the post")
	}
	time.Sleep(3 * time.Second) // pollbot tries to record the message, retrying for a while
	if err := rs.Restart(); err != nil {
		t.Fatal(err)
	}
	h.waitReady(pb, 200, 10*time.Second)
	for i, u := range users {
		if v := h.clickSlack(h.ctx, func() *serveProc { return pb }, u, pl, i, clickPolicy{}); v.Outcome != counted {
			t.Fatalf("%s's click: %s %q", u, v.Outcome, v.Text)
		}
	}
	shows := func() bool {
		for _, m := range h.sink.Messages(loadgen.PlatformSlack) {
			if m.ID == pl.Message {
				return m.Edits > 0
			}
		}
		return false
	}
	if !h.waitUntil(4*time.Second, shows) {
		t.Errorf("poll %s got 3 votes after redis came back, but its message was never updated: pollbot lost where it is", pl.ID)
	}
	h.waitUntil(time.Until(h.closesAt(rs.URL, slackTenant)[pl.ID])+3*time.Second, func() bool { return h.announcements(pl) > 0 })
	h.checkShownClosed(pl, 3*time.Second)
}
