package polls

import (
	"testing"
	"time"
)

// TestMemberships: the vote path's beliefs about memberships expire, a
// zero membership is no entry, the cache stays bounded, and a service
// without a store that checks keeps none.
func TestMemberships(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := memberships{ttl: time.Minute, max: maxCachedMembers}
	k := memberKey{"slack:T1", "U1"}
	m := Membership{Group: "academia", Source: SourceDeclared}
	c.put(k, m, t0)
	if got := c.get(k, t0.Add(time.Minute)); got != m {
		t.Fatalf("get within the ttl = %+v, want %+v", got, m)
	}
	if got := c.get(memberKey{"slack:T2", "U1"}, t0); got != (Membership{}) {
		t.Fatalf("get in another tenant = %+v, want none", got)
	}
	if got := c.get(k, t0.Add(time.Minute+time.Millisecond)); got != (Membership{}) {
		t.Fatalf("get past the ttl = %+v, want none", got)
	}
	c.put(k, Membership{}, t0)
	if _, ok := c.m[k]; ok {
		t.Fatal("a zero membership was kept as an entry")
	}
	for i := range maxCachedMembers + 10 {
		c.put(memberKey{"slack:T1", string(rune('a'+i%26)) + time.Duration(i).String()}, m, t0)
	}
	if n := len(c.m); n > maxCachedMembers {
		t.Fatalf("%d entries, bound %d", n, maxCachedMembers)
	}

	off := memberships{}
	off.put(k, m, t0)
	if got := off.get(k, t0); got != (Membership{}) || off.m != nil {
		t.Fatalf("a cache that is off keeps %+v", got)
	}
}
