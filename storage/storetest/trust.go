package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// testAnonymousKeys: voter keys are per poll, so one person's ballots in
// two anonymous polls cannot be joined; a poll records its key's
// fingerprint, and a service with no key or another key refuses votes,
// retractions and ballot exports in it; an anonymous poll opened before
// pseudonyms were per poll (no fingerprint) is refused likewise; ballot
// exports of anonymous polls carry cast times cut to the hour.
func testAnonymousKeys(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	svc := polls.NewService(s, polls.WithPseudonymKey(testKey), polls.WithIDs(sequentialIDs("K")))
	open := func() *polls.Poll {
		t.Helper()
		p, err := svc.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Anonymous", Themes: themes(3), Creator: "U-FAC", Options: polls.Options{Anonymous: true}})
		must(t, "Open", err)
		if p.KeyFP == "" || p.KeyFP != polls.KeyFingerprint(testKey) {
			t.Fatalf("Open: key fingerprint %q, want %q", p.KeyFP, polls.KeyFingerprint(testKey))
		}
		return p
	}
	p, q := open(), open()
	me := polls.Voter{Tenant: tn, User: "U-ME", RoleGroup: civil}
	for _, poll := range []*polls.Poll{p, q} {
		_, err := svc.Cast(ctx, me, poll.ID, []int{1})
		must(t, "Cast in "+poll.ID, err)
	}
	voters := func(poll *polls.Poll) []string {
		var out []string
		_, err := svc.Ballots(ctx, tn, poll.ID, func(b polls.Ballot) error {
			out = append(out, b.Voter)
			if b.CastAt.Truncate(time.Hour) != b.CastAt {
				return fmt.Errorf("exported cast time %s is finer than the hour", b.CastAt)
			}
			return nil
		})
		must(t, "Ballots("+poll.ID+")", err)
		return out
	}
	vp, vq := voters(p), voters(q)
	if len(vp) != 1 || len(vq) != 1 || vp[0] == vq[0] {
		t.Fatalf("one voter in two anonymous polls: keys %v and %v; want two different keys", vp, vq)
	}

	other := polls.NewService(s, polls.WithPseudonymKey([]byte("another pseudonym key, also 32 bytes long")))
	none := polls.NewService(s)
	for _, c := range []struct {
		name string
		svc  *polls.Service
		want error
	}{{"another key", other, polls.ErrPseudonymKey}, {"no key", none, polls.ErrNoPseudonymKey}} {
		_, err := c.svc.Cast(ctx, me, p.ID, []int{0})
		mustIs(t, "Cast with "+c.name, err, c.want)
		_, err = c.svc.Click(ctx, me, p.ID, 0)
		mustIs(t, "Click with "+c.name, err, c.want)
		_, err = c.svc.Retract(ctx, me, p.ID)
		mustIs(t, "Retract with "+c.name, err, c.want)
		_, err = c.svc.Ballots(ctx, tn, p.ID, func(polls.Ballot) error { return nil })
		mustIs(t, "Ballots with "+c.name, err, c.want)
		_, _, err = c.svc.MyBallot(ctx, me, p.ID)
		mustIs(t, "MyBallot with "+c.name, err, c.want)
	}
	mustTally(t, "after refused votes", s, p.Key(), tallyOf(3, map[polls.Group]counts{civil: {1, []int64{0, 1, 0}}}))

	legacy := newPoll(tn, "LGCY", polls.Approval, themes(2)...)
	legacy.Anonymous = true // opened by a pollbot before per-poll pseudonyms
	create(t, s, legacy)
	_, err := svc.Cast(ctx, me, legacy.ID, []int{0})
	mustIs(t, "Cast in a legacy anonymous poll", err, polls.ErrLegacyAnonymous)
	_, err = svc.Ballots(ctx, tn, legacy.ID, func(polls.Ballot) error { return nil })
	mustIs(t, "Ballots of a legacy anonymous poll", err, polls.ErrLegacyAnonymous)
	_, _, err = svc.Report(ctx, tn, legacy.ID)
	must(t, "Report of a legacy anonymous poll", err)
}

// holdHook runs a function just before the first Hold, as if another
// replica acted between the service's look at the voter's group and its
// hold of the vote. It passes the store's membership check through, so
// that the service votes as it would over the store.
type holdHook struct {
	passChecks
	once sync.Once
	hook func()
}

func (h *holdHook) Hold(ctx context.Context, tenant, holder string, v polls.HeldVote, ttl time.Duration) error {
	h.once.Do(h.hook)
	return h.Store.Hold(ctx, tenant, holder, v, ttl)
}

// testHeldVotes: several clicks before a group pick accumulate and are all
// applied when the voter picks; retracting removes held votes too; a vote
// held just as the voter's group pick lands on another replica (which took
// the held votes before this one was held) is applied, not stranded; the
// report counts held votes.
func testHeldVotes(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	svc := polls.NewService(s, polls.WithPseudonymKey(testKey), polls.WithIDs(sequentialIDs("H")))
	p, err := svc.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Held", Themes: themes(4), Creator: "U-FAC"})
	must(t, "Open", err)
	voter := func(u string) polls.Voter { return polls.Voter{Tenant: tn, User: u} }

	for i, th := range []int{0, 2, 3, 2} {
		r, err := svc.Click(ctx, polls.Voter{Tenant: tn, User: "U-NEW", Delivery: fmt.Sprintf("click-%d", i)}, p.ID, th)
		must(t, "Click before a group", err)
		if !r.Held {
			t.Fatalf("Click(%d) before a group: not held", th)
		}
	}
	_, r, err := svc.Report(ctx, tn, p.ID)
	must(t, "Report", err)
	if r.Held != 4 || r.Ballots != 0 {
		t.Fatalf("Report: held %d, ballots %d; want 4 held, no ballot", r.Held, r.Ballots)
	}
	_, out, err := svc.SetGroup(ctx, voter("U-NEW"), "academia")
	must(t, "SetGroup", err)
	if len(out) != 4 {
		t.Fatalf("SetGroup applied %d held votes, want 4", len(out))
	}
	b, err := s.Ballot(ctx, tn, p.ID, "U-NEW")
	must(t, "Ballot after the pick", err)
	if !slices.Equal(b.Choices, []int{0, 3}) {
		t.Fatalf("held clicks 1, 3, 4, 3 applied as %v, want [0 3]", b.Choices)
	}

	// A held vote taken back with unvote is not counted at the pick.
	_, err = svc.Cast(ctx, voter("U-UNDECIDED"), p.ID, []int{1})
	must(t, "Cast before a group", err)
	rt, err := svc.Retract(ctx, voter("U-UNDECIDED"), p.ID)
	must(t, "Retract a held vote", err)
	if rt.Had || rt.Held != 1 {
		t.Fatalf("Retract a held vote: %+v, want one held vote dropped", rt)
	}
	_, out, err = svc.SetGroup(ctx, voter("U-UNDECIDED"), "government")
	must(t, "SetGroup after unvote", err)
	if len(out) != 0 {
		t.Fatalf("SetGroup after unvote applied %+v, want nothing", out)
	}
	_, err = s.Ballot(ctx, tn, p.ID, "U-UNDECIDED")
	mustIs(t, "Ballot after unvote and pick", err, polls.ErrNoBallot)

	// The race: replica B records U-RACE's pick (and takes the held votes,
	// none yet) between replica A's look at U-RACE's group and its hold.
	b2 := polls.NewService(s, polls.WithPseudonymKey(testKey))
	hooked := &holdHook{passChecks: passChecks{s}, hook: func() {
		if _, _, err := b2.SetGroup(ctx, voter("U-RACE"), "technical-community"); err != nil {
			t.Errorf("SetGroup on replica B: %v", err)
		}
	}}
	a := polls.NewService(hooked, polls.WithPseudonymKey(testKey))
	res, err := a.Cast(ctx, voter("U-RACE"), p.ID, []int{2})
	must(t, "Cast racing the group pick", err)
	if res.Held {
		t.Fatal("Cast racing the group pick: left held")
	}
	rb, err := s.Ballot(ctx, tn, p.ID, "U-RACE")
	must(t, "Ballot after the race", err)
	if rb.Group != tech || !slices.Equal(rb.Choices, []int{2}) {
		t.Fatalf("Ballot after the race = %+v, want technical-community choosing 2", rb)
	}
	if n, err := s.HeldCount(ctx, tn, p.ID); err != nil || n != 0 {
		t.Fatalf("HeldCount after the race = %d, %v; want 0", n, err)
	}
}

// testOpenLimits: a tenant's open polls and one person's polls an hour are
// capped, with ErrLimit; closing a poll makes room.
func testOpenLimits(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	svc := polls.NewService(s, polls.WithIDs(sequentialIDs("M")), polls.WithLimits(polls.Limits{OpenPolls: 3, OpensPerHour: 4}))
	open := func(creator string) (*polls.Poll, error) {
		return svc.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Capped", Themes: themes(2), Creator: creator})
	}
	var ps []*polls.Poll
	for range 3 {
		p, err := open("U-A")
		must(t, "Open", err)
		ps = append(ps, p)
	}
	_, err := open("U-B")
	mustIs(t, "Open a fourth open poll", err, polls.ErrLimit)
	_, _, err = svc.Close(ctx, tn, ps[0].ID)
	must(t, "Close", err)
	_, err = open("U-A")
	must(t, "Open after a close", err)
	_, _, err = svc.Close(ctx, tn, ps[1].ID)
	must(t, "Close", err)
	_, err = open("U-A")
	mustIs(t, "Open a fifth poll in the hour", err, polls.ErrLimit)
	_, err = open("U-B")
	must(t, "Open by someone else", err)
}

// testRecords: RecordDelivery reports a key new once, per tenant, also to
// racing callers; Allow counts to its limit in a window, per key and
// tenant, and starts again in the next window.
func testRecords(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	other := e.tenant(t)
	firsts := make([]bool, 8)
	var wg sync.WaitGroup
	for i := range firsts {
		wg.Go(func() {
			ok, err := s.RecordDelivery(ctx, tn, "sig-1")
			if err != nil {
				t.Errorf("RecordDelivery: %v", err)
			}
			firsts[i] = ok
		})
	}
	wg.Wait()
	if n := len(slices.DeleteFunc(firsts, func(b bool) bool { return !b })); n != 1 {
		t.Fatalf("8 racing RecordDelivery(sig-1): %d firsts, want 1", n)
	}
	ok, err := s.RecordDelivery(ctx, other, "sig-1")
	mustChanged(t, "RecordDelivery(other tenant)", ok, err, true)
	ok, err = s.RecordDelivery(ctx, tn, "sig-2")
	mustChanged(t, "RecordDelivery(sig-2)", ok, err, true)

	const window = 1500 * time.Millisecond
	start := time.Now()
	for i := range 5 {
		ok, err := s.Allow(ctx, tn, "report:X", 3, window)
		must(t, "Allow", err)
		if ok != (i < 3) && time.Since(start) < window {
			t.Fatalf("Allow #%d = %v", i+1, ok)
		}
	}
	ok, err = s.Allow(ctx, tn, "report:Y", 3, window)
	mustChanged(t, "Allow(another key)", ok, err, true)
	ok, err = s.Allow(ctx, other, "report:X", 3, window)
	mustChanged(t, "Allow(another tenant)", ok, err, true)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := s.Allow(ctx, tn, "report:X", 3, window)
		must(t, "Allow in a later window", err)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Allow: still refused 10s after the window")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if time.Since(start) < window {
		t.Fatal("Allow: a new window began before the first ended")
	}
}

// testDeadlineBounds: no deadline lies more than polls.MaxAhead ahead,
// whether set at open, by extensions one after another, or at a reopen:
// a member once stored year 10000 this way and broke listing for the
// whole tenant.
func testDeadlineBounds(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	clk := &clock{t: now()}
	svc := polls.NewService(s, polls.WithClock(clk.now), polls.WithIDs(sequentialIDs("B")))
	_, err := svc.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Far", Themes: themes(2), Creator: "U", ClosesAt: clk.now().Add(polls.MaxAhead + time.Hour)})
	mustIs(t, "Open 367 days ahead", err, polls.ErrInvalidDeadline)
	p, err := svc.Open(ctx, polls.OpenRequest{Tenant: tn, Title: "Near", Themes: themes(2), Creator: "U", ClosesAt: clk.now().Add(300 * 24 * time.Hour)})
	must(t, "Open 300 days ahead", err)
	cancelAtEnd(t, s, p.Key())
	_, err = svc.Extend(ctx, tn, p.ID, 70*24*time.Hour)
	mustIs(t, "Extend past 366 days", err, polls.ErrInvalidDeadline)
	_, err = svc.Extend(ctx, tn, p.ID, 66*24*time.Hour)
	must(t, "Extend to exactly 366 days", err)
	for range 3 {
		_, err = svc.Extend(ctx, tn, p.ID, 366*24*time.Hour)
		mustIs(t, "Extend again and again", err, polls.ErrInvalidDeadline)
	}
	_, _, err = svc.Close(ctx, tn, p.ID)
	must(t, "Close", err)
	_, _, err = svc.Reopen(ctx, tn, p.ID, polls.MaxAhead+time.Minute)
	mustIs(t, "Reopen past 366 days", err, polls.ErrInvalidDeadline)
	got := getPoll(t, s, p.Key())
	if got.ClosesAt.After(clk.now().Add(polls.MaxAhead)) {
		t.Fatalf("stored deadline %s is more than 366 days ahead", got.ClosesAt)
	}
}
