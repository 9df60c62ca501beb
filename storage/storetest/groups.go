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
	if got.Poll != want.Poll || got.Toggle != want.Toggle || got.Theme != want.Theme || !slices.Equal(got.Choices, want.Choices) {
		d = append(d, fmt.Sprintf("%+v, want %+v", got, want))
	}
	if s := timeDiff(got.At, want.At); s != "" {
		d = append(d, "at "+s)
	}
	return strings.Join(d, "; ")
}

func mustHeld(t testing.TB, op string, got []polls.HeldVote, want ...polls.HeldVote) {
	t.Helper()
	byPoll := func(a, b polls.HeldVote) int { return cmp.Compare(a.Poll, b.Poll) }
	got = slices.SortedFunc(slices.Values(got), byPoll)
	want = slices.SortedFunc(slices.Values(want), byPoll)
	if len(got) != len(want) {
		t.Fatalf("%s: %d held votes %+v, want %d %+v", op, len(got), got, len(want), want)
	}
	for i := range got {
		if d := heldDiff(got[i], want[i]); d != "" {
			t.Fatalf("%s: held vote %d: %s", op, i, d)
		}
	}
}

// testHeld: a holder keeps one vote per poll (a newer one replaces it);
// TakeHeld returns them all and removes them; holders and tenants are
// separate.
func testHeld(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	other := e.tenant(t)
	hold := func(holder string, v polls.HeldVote) {
		t.Helper()
		must(t, fmt.Sprintf("Hold(%s, %s)", holder, v.Poll), s.Hold(ctx, tn, holder, v, time.Hour))
	}
	first := polls.HeldVote{Poll: "AAAA", Choices: []int{0, 2}, At: now()}
	newer := polls.HeldVote{Poll: "AAAA", Choices: []int{1}, At: now().Add(time.Millisecond)}
	toggle := polls.HeldVote{Poll: "BBBB", Toggle: true, Theme: 0, At: now()}
	toggle3 := polls.HeldVote{Poll: "CCCC", Toggle: true, Theme: 3, At: now()}
	theirs := polls.HeldVote{Poll: "AAAA", Choices: []int{2}, At: now()}
	hold("h1", first)
	hold("h1", toggle)
	hold("h1", toggle3)
	hold("h1", newer)
	hold("h2", theirs)

	got, err := s.TakeHeld(ctx, other, "h1")
	must(t, "TakeHeld(other tenant)", err)
	mustHeld(t, "TakeHeld(other tenant)", got)
	got, err = s.TakeHeld(ctx, tn, "h1")
	must(t, "TakeHeld(h1)", err)
	mustHeld(t, "TakeHeld(h1)", got, newer, toggle, toggle3)
	got, err = s.TakeHeld(ctx, tn, "h1")
	must(t, "TakeHeld(h1) again", err)
	mustHeld(t, "TakeHeld(h1) again", got)
	got, err = s.TakeHeld(ctx, tn, "h2")
	must(t, "TakeHeld(h2)", err)
	mustHeld(t, "TakeHeld(h2)", got, theirs)
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
	long := polls.HeldVote{Poll: "LONG", Toggle: true, Theme: 1, At: now()}
	held := time.Now()
	for i := range holders {
		h := fmt.Sprintf("h%02d", i)
		must(t, "Hold(short)", s.Hold(ctx, tn, h, short, ttl))
		must(t, "Hold(long)", s.Hold(ctx, tn, h, long, time.Hour))
	}
	allHeld := time.Now()

	got, err := s.TakeHeld(ctx, tn, "h00")
	must(t, "TakeHeld right away", err)
	mustHeld(t, "TakeHeld right away", got, short, long)

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
