package redisstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
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
	keys, argv, err := s.ToggleArgs(p.Tenant, p.ID, polls.Ballot{Voter: "V1", Group: "government", CastAt: at}, 1, "op-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 5 || len(argv) != 8 || !strings.HasPrefix(keys[0], s.prefix+"{slack:T1/K7QX}:") || keys[4] != s.opKey(p.Tenant, p.ID, "op-1") {
		t.Fatalf("keys %q, argv %q", keys, argv)
	}
	args := make([]any, len(argv))
	for i, a := range argv {
		args[i] = a
	}
	raw, err := s.rdb.EvalSha(ctx, sha, keys, args...).Text()
	if err != nil {
		t.Fatal(err)
	}
	// The same op again is a redelivery: applied once.
	if again, err := s.rdb.EvalSha(ctx, sha, keys, args...).Text(); err != nil || again != "="+raw {
		t.Errorf("second EVALSHA with the op = %q, %v; want %q", again, err, "="+raw)
	}
	viaStore, err := s.Toggle(ctx, p.Tenant, p.ID, polls.Ballot{Voter: "V2", Group: "government", CastAt: at}, 1, "op-2")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := jsonMarshal(viaStore)
	if got := strings.Replace(raw, `"V1"`, `"V2"`, 1); got != want {
		t.Errorf("EVALSHA stored %s; Toggle stores %s", raw, want)
	}
	tally, err := s.Tally(ctx, p.Tenant, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := tally.Support(p, "government", 1); n != 2 {
		t.Errorf("theme 2 has %v supporters in government, want 2", n)
	}
}
