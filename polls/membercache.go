package polls

import "time"

// memberships remembers the membership this process last saw for each
// voter, for the vote path of a store that checks it (MembershipVoter):
// the ballot's group is resolved from it and the store applies the vote
// only if it is still the stored one, so the vote needs no read of its
// own. An entry is a belief, never a decision: a stale one costs a
// refused attempt and a retry, never a ballot in the wrong group. The
// bound and the time to live only keep memory in check.
type memberships = expiring[memberKey, Membership]

type memberKey struct{ tenant, user string }

// maxCachedMembers bounds the cache; past it, expired entries are swept.
const maxCachedMembers = 16384

// memberTTL is how long a seen membership is believed.
const memberTTL = 5 * time.Minute
