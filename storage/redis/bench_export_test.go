package redisstore

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/internal/record"
)

// TestToggleArgs checks that EVALSHA of LoadToggleScript's SHA with
// ToggleArgs does what Toggle does, so a benchmark of the raw script
// measures the real vote path.
func TestToggleArgs(t *testing.T) {
	s := singleEnv(t).store(t)
	ctx := context.Background()
	p := newPoll("slack:T1", "K7QX", polls.Approval, 3)
	mustCreate(t, s, p)
	at := time.Now()

	sha, err := s.LoadToggleScript(ctx)
	if err != nil || len(sha) != 40 {
		t.Fatalf("LoadToggleScript = %q, %v", sha, err)
	}
	f := polls.Flip{Choice: 1, Points: 1}
	keys, argv, err := s.ToggleArgs(p.Tenant, p.ID, polls.Ballot{Voter: "V1", Group: "government", CastAt: at}, f, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	dkeys, field := s.voteDeliveryKeys(p.Tenant, p.ID, "op-1")
	if len(keys) != 7 || len(argv) != 12 || !strings.HasPrefix(keys[0], s.prefix+"{slack:T1/K7QX}:") || !slices.Equal(keys[4:], dkeys) || argv[7] != field {
		t.Fatalf("keys %q, argv %q", keys, argv)
	}
	args := make([]any, len(argv))
	for i, a := range argv {
		args[i] = a
	}
	first, err := s.rdb.EvalSha(ctx, sha, keys, args...).StringSlice()
	if err != nil || len(first) < 5 || first[0] != "" || first[1] == "" || first[3] != "" {
		t.Fatalf("EVALSHA = %q, %v", first, err)
	}
	// The same delivery again is a redelivery: applied once.
	// (and the reply names the token it was recorded with: the same
	// arguments again are a client's retry of this very call).
	if again, err := s.rdb.EvalSha(ctx, sha, keys, args...).StringSlice(); err != nil || len(again) != len(first) || again[0] != "=" || again[1] != first[1] || again[3] != argv[6] {
		t.Errorf("second EVALSHA with the delivery = %q, %v; want = and %q", again, err, first[1])
	}
	viaStore, err := s.Toggle(ctx, p.Tenant, p.ID, polls.Ballot{Voter: "V2", Group: "government", CastAt: at}, f, "op-2")
	if err != nil || viaStore.Ballot == nil {
		t.Fatal(viaStore, err)
	}
	if want, _ := record.Encode(*viaStore.Ballot); first[1] != want {
		t.Errorf("EVALSHA stored %s; Toggle stores %s", first[1], want)
	}
	tally, err := s.Tally(ctx, p.Tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := tally.Support(p, "government", 1); n != 2 {
		t.Errorf("theme 2 has %v supporters in government, want 2", n)
	}
}
