package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// testMembership: a user without a stored group has the zero Membership;
// SetMembership overwrites; memberships are per user and per tenant.
func testMembership(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	other := e.tenant(t)
	expect := func(op, tenant, user string, want polls.Membership) {
		t.Helper()
		got, err := s.Membership(ctx, tenant, user)
		must(t, op, err)
		if got != want {
			t.Fatalf("%s: %+v, want %+v", op, got, want)
		}
	}
	expect("Membership(nobody)", tn, "U1", polls.Membership{})
	declared := polls.Membership{Group: civil, Source: polls.SourceDeclared}
	must(t, "SetMembership(U1)", s.SetMembership(ctx, tn, "U1", declared))
	expect("Membership(U1)", tn, "U1", declared)
	assigned := polls.Membership{Group: tech, Source: polls.SourceAssigned}
	must(t, "SetMembership(U1 again)", s.SetMembership(ctx, tn, "U1", assigned))
	expect("Membership(U1) overwritten", tn, "U1", assigned)
	expect("Membership(U2)", tn, "U2", polls.Membership{})
	expect("Membership(U1, other tenant)", other, "U1", polls.Membership{})
}

// heldDiff describes how a held vote differs from the one wanted.
func heldDiff(got, want polls.HeldVote) string {
	var d []string
	if got.Poll != want.Poll || got.Click != want.Click || got.Theme != want.Theme ||
		!slices.Equal(got.Choices, want.Choices) || got.Delivery != want.Delivery {
		d = append(d, fmt.Sprintf("%+v, want %+v", got, want))
	}
	if s := timeDiff(got.At, want.At); s != "" {
		d = append(d, "at "+s)
	}
	return strings.Join(d, "; ")
}

// mustHeld checks held votes, oldest first (ties in any order).
func mustHeld(t testing.TB, op string, got []polls.HeldVote, want ...polls.HeldVote) {
	t.Helper()
	order := func(a, b polls.HeldVote) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(a.Poll, b.Poll), cmp.Compare(a.Theme, b.Theme), cmp.Compare(a.Delivery, b.Delivery))
	}
	for i := 1; i < len(got); i++ {
		if got[i].At.Before(got[i-1].At) {
			t.Fatalf("%s: held votes not oldest first: %+v", op, got)
		}
	}
	got = slices.SortedFunc(slices.Values(got), order)
	want = slices.SortedFunc(slices.Values(want), order)
	if len(got) != len(want) {
		t.Fatalf("%s: %d held votes %+v, want %d %+v", op, len(got), got, len(want), want)
	}
	for i := range got {
		if d := heldDiff(got[i], want[i]); d != "" {
			t.Fatalf("%s: held vote %d: %s", op, i, d)
		}
	}
}

// testHeld: a holder's held votes accumulate, several per poll (two
// clicks before a group pick are two votes), except that a vote held again
// with the same delivery replaces itself; TakeHeld returns them all,
// oldest first, and removes them; DropHeld removes one poll's; HeldCount
// counts a poll's across holders; holders and tenants are separate.
func testHeld(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	other := e.tenant(t)
	hold := func(holder string, v polls.HeldVote) {
		t.Helper()
		must(t, fmt.Sprintf("Hold(%s, %s)", holder, v.Poll), s.Hold(ctx, tn, holder, v, time.Hour))
	}
	count := func(poll string, want int) {
		t.Helper()
		n, err := s.HeldCount(ctx, tn, poll)
		must(t, "HeldCount("+poll+")", err)
		if n != want {
			t.Fatalf("HeldCount(%s) = %d, want %d", poll, n, want)
		}
	}
	t0 := now()
	first := polls.HeldVote{Poll: "AAAA", Choices: []int{0, 2}, At: t0, Delivery: "d1"}
	click := polls.HeldVote{Poll: "BBBB", Click: true, Theme: 0, At: t0.Add(time.Millisecond), Delivery: "d2"}
	click3 := polls.HeldVote{Poll: "BBBB", Click: true, Theme: 3, At: t0.Add(2 * time.Millisecond)}
	newer := polls.HeldVote{Poll: "AAAA", Choices: []int{1}, At: t0.Add(3 * time.Millisecond), Delivery: "d4"}
	again := click
	again.At = t0.Add(4 * time.Millisecond) // the same delivery, redelivered
	theirs := polls.HeldVote{Poll: "AAAA", Choices: []int{2}, At: t0}
	hold("h1", first)
	hold("h1", click)
	hold("h1", click3)
	hold("h1", newer)
	hold("h1", again)
	hold("h2", theirs)
	count("AAAA", 3)
	count("BBBB", 2)
	count("CCCC", 0)

	got, err := s.TakeHeld(ctx, other, "h1")
	must(t, "TakeHeld(other tenant)", err)
	mustHeld(t, "TakeHeld(other tenant)", got)
	got, err = s.TakeHeld(ctx, tn, "h1")
	must(t, "TakeHeld(h1)", err)
	mustHeld(t, "TakeHeld(h1)", got, first, click3, newer, again)
	count("AAAA", 1)
	count("BBBB", 0)
	got, err = s.TakeHeld(ctx, tn, "h1")
	must(t, "TakeHeld(h1) again", err)
	mustHeld(t, "TakeHeld(h1) again", got)

	hold("h2", click)
	n, err := s.DropHeld(ctx, tn, "h2", "AAAA")
	must(t, "DropHeld(h2, AAAA)", err)
	if n != 1 {
		t.Fatalf("DropHeld(h2, AAAA) = %d, want 1", n)
	}
	n, err = s.DropHeld(ctx, tn, "h2", "AAAA")
	must(t, "DropHeld(h2, AAAA) again", err)
	if n != 0 {
		t.Fatalf("DropHeld(h2, AAAA) again = %d, want 0", n)
	}
	count("AAAA", 0)
	got, err = s.TakeHeld(ctx, tn, "h2")
	must(t, "TakeHeld(h2)", err)
	mustHeld(t, "TakeHeld(h2)", got, click)
	got, err = s.TakeHeld(ctx, tn, "nobody")
	must(t, "TakeHeld(nobody)", err)
	mustHeld(t, "TakeHeld(nobody)", got)
}

// testHeldExpiry: a held vote expires after its ttl, each vote on its own
// (a holder's other, longer-lived vote stays). Expiry may be the store's
// own (Redis: the server's), so the test holds one short-lived and one
// long-lived vote for each of many holders, then takes one holder's votes
// at a time until the short-lived one is gone: never before its ttl, and
// at the latest a few seconds after.
func testHeldExpiry(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	const ttl, holders = time.Second, 25
	short := polls.HeldVote{Poll: "SHRT", Choices: []int{0}, At: now()}
	long := polls.HeldVote{Poll: "LONG", Click: true, Theme: 1, At: now()}
	held := time.Now()
	for i := range holders {
		h := fmt.Sprintf("h%02d", i)
		must(t, "Hold(short)", s.Hold(ctx, tn, h, short, ttl))
		must(t, "Hold(long)", s.Hold(ctx, tn, h, long, time.Hour))
	}
	allHeld := time.Now()

	got, err := s.TakeHeld(ctx, tn, "h00")
	must(t, "TakeHeld right away", err)
	// Holding them all may take longer than the ttl on a loaded machine
	// (fsynced commits under the race detector): h00's short-lived vote
	// may then be gone, but never before its ttl.
	if len(got) == 1 && time.Since(held) >= ttl {
		mustHeld(t, "TakeHeld right away, after the ttl", got, long)
	} else {
		mustHeld(t, "TakeHeld right away", got, short, long)
	}

	expired := -1
	for i := 1; i < holders && expired < 0; i++ {
		// Look again every 200ms: the short-lived vote must be gone by
		// about ttl after the last Hold; 24 looks span 4.8s.
		time.Sleep(200 * time.Millisecond)
		got, err := s.TakeHeld(ctx, tn, fmt.Sprintf("h%02d", i))
		must(t, "TakeHeld", err)
		// The store looked at some time before now; stores may round
		// expiry times to the millisecond.
		seen := time.Now().Add(time.Millisecond)
		switch len(got) {
		case 2:
			mustHeld(t, "TakeHeld before expiry", got, short, long)
		case 1:
			mustHeld(t, "TakeHeld after expiry", got, long)
			if seen.Before(held.Add(ttl)) {
				t.Fatalf("held vote gone %s after it was held, before its ttl of %s", seen.Sub(held), ttl)
			}
			expired = i
		default:
			t.Fatalf("TakeHeld: %+v, want the long-lived vote and perhaps the short one", got)
		}
	}
	if expired < 0 {
		t.Fatalf("held vote with ttl %s still there %s after it was held", ttl, time.Since(allHeld))
	}
	if expired+1 < holders {
		got, err := s.TakeHeld(ctx, tn, fmt.Sprintf("h%02d", expired+1))
		must(t, "TakeHeld after expiry", err)
		mustHeld(t, "TakeHeld of the next holder", got, long)
	}
}
