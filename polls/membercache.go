package polls

import (
	"sync"
	"time"
)

// memberships remembers the membership this process last saw for each
// voter, for the vote path of a store that checks it (MembershipVoter):
// the ballot's group is resolved from it and the store applies the vote
// only if it is still the stored one, so the vote needs no read of its
// own. An entry is a belief, never a decision: a stale one costs a
// refused attempt and a retry, never a ballot in the wrong group. The
// bound and the time to live only keep memory in check.
type memberships struct {
	ttl time.Duration // 0: off
	mu  sync.Mutex
	m   map[memberKey]cachedMembership
}

type memberKey struct{ tenant, user string }

type cachedMembership struct {
	m     Membership
	until time.Time
}

// maxCachedMembers bounds the cache; past it, expired entries are swept.
const maxCachedMembers = 16384

// memberTTL is how long a seen membership is believed.
const memberTTL = 5 * time.Minute

// get returns the membership last seen for the voter; the zero Membership
// (none stored) when there is no entry.
func (c *memberships) get(k memberKey, now time.Time) Membership {
	if c.ttl <= 0 {
		return Membership{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || now.After(e.until) {
		return Membership{}
	}
	return e.m
}

func (c *memberships) put(k memberKey, m Membership, now time.Time) {
	if c.ttl <= 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if m == (Membership{}) {
		// What a missing entry means already.
		delete(c.m, k)
		return
	}
	if c.m == nil {
		c.m = map[memberKey]cachedMembership{}
	}
	if _, ok := c.m[k]; !ok && len(c.m) >= maxCachedMembers {
		for k, e := range c.m {
			if now.After(e.until) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCachedMembers {
			clear(c.m)
		}
	}
	c.m[k] = cachedMembership{m: m, until: now.Add(c.ttl)}
}
