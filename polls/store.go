package polls

import (
	"context"
	"io"
	"time"
)

// Store persists polls, ballots and groups. Every method is atomic on its
// own: a store never needs a read-modify-write of a whole poll by its caller.
// Implementations: storage/bolt (embedded) and storage/redis; the shared
// behavioural suite is storage/storetest.
//
// Tenants and poll ids are opaque strings to a store; tenants never contain
// '}' and ids are short upper-case tokens.
//
// Rules every store keeps, beyond the method comments (storage/storetest
// checks them all): times come back in UTC at millisecond precision;
// operations on an unknown poll return ErrNotFound, except Ballot
// (ErrNoBallot) and Ballots (nothing); Retract makes the same status and
// deadline checks as Cast; a store is an io.Closer that releases its file or
// connections.
type Store interface {
	PollStore
	BallotStore
	GroupStore
	io.Closer
}

// PollStore keeps poll definitions, their status and the deadline index.
type PollStore interface {
	// CreatePoll stores a new open poll, indexes it for its tenant and, when
	// it has a deadline, in the deadline index. ErrExists if the id is taken.
	CreatePoll(ctx context.Context, p *Poll) error
	// Poll returns a poll, or ErrNotFound.
	Poll(ctx context.Context, tenant, id string) (*Poll, error)
	// Polls returns a tenant's polls, oldest first.
	Polls(ctx context.Context, tenant string) ([]*Poll, error)
	// ClosePoll moves a poll to closed (from open) or cancelled (from open or
	// closed) at the given time, and drops it from the deadline index. It
	// reports whether this call made the change: of several racing
	// callers, exactly one gets true. A change clears any announcement the
	// poll owed (see CloseAtDeadline): a cancelled poll needs none, and a
	// poll closed by hand is announced by the request that closed it.
	ClosePoll(ctx context.Context, tenant, id string, to Status, at time.Time) (bool, error)
	// CloseAtDeadline is ClosePoll(to closed, at) for the deadline
	// scheduler: the same checks and the same single winner among racing
	// callers, and in the same atomic step the winner's close marks the
	// poll as owing the announcement of its close, leased to the winner
	// until leaseUntil. A poll owing an announcement stays in the deadline
	// index with the lease as its time, so that DueDeadlines returns it
	// again once the lease has passed, should the winner die before
	// AnnouncementDone.
	CloseAtDeadline(ctx context.Context, tenant, id string, at, leaseUntil time.Time) (changed bool, err error)
	// ClaimAnnouncement takes over an owed announcement whose lease has
	// run out: if the poll is closed, owes its announcement and the lease
	// is at or before now, it sets the lease to leaseUntil (and the
	// poll's time in the deadline index with it) and reports true; of
	// several racing callers exactly one gets true. Otherwise it changes
	// nothing and reports false.
	ClaimAnnouncement(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (bool, error)
	// AnnouncementDone records that the poll's owed announcement was made:
	// the poll owes none any more and leaves the deadline index. A poll
	// that owes none is left as it is; an unknown poll gives ErrNotFound.
	AnnouncementDone(ctx context.Context, tenant, id string) error
	// Reopen moves a closed poll back to open with a new deadline (zero:
	// none), clearing any announcement it owed. It reports whether this
	// call made the change; a cancelled poll gives ErrCancelled.
	Reopen(ctx context.Context, tenant, id string, closesAt time.Time) (bool, error)
	// SetDeadline changes an open poll's deadline (zero: none); ErrNotOpen
	// otherwise.
	SetDeadline(ctx context.Context, tenant, id string, closesAt time.Time) error
	// SetMessage records (or replaces, per platform and channel) a chat
	// message showing the poll.
	SetMessage(ctx context.Context, tenant, id string, ref MessageRef) error
	// DueDeadlines returns up to limit entries of the deadline index at or
	// before the given time, earliest first: open polls whose deadline
	// has come, and closed polls whose owed announcement's lease has run
	// out (see CloseAtDeadline).
	DueDeadlines(ctx context.Context, before time.Time, limit int) ([]Key, error)
}

// BallotStore keeps ballots and the tally in step with them.
type BallotStore interface {
	// Cast stores b as its voter's ballot, replacing any previous one, and
	// updates the tally, in one atomic step that first checks the poll is
	// open (ErrClosed, ErrCancelled) and its deadline has not passed by the
	// store's clock (ErrPastDeadline). It returns the replaced ballot, if
	// any. Choices must already be valid (see CheckBallot).
	Cast(ctx context.Context, tenant, id string, b Ballot) (prev *Ballot, err error)
	// Toggle adds the theme to the voter's approval ballot or removes it,
	// atomically, with the same checks as Cast plus the poll's max choices
	// (ErrTooManyChoices). The ballot takes b's group and cast time. A
	// ballot whose last theme is removed is deleted. Polls of other kinds
	// give ErrInvalidOption. It returns the resulting ballot (no choices:
	// deleted).
	//
	// op, when not empty, names this toggle (a chat platform's delivery of
	// one click): a second Toggle of the poll with the same op within
	// OpTTL changes nothing and returns the voter's current ballot, so a
	// redelivered click, or a client's retry after a lost reply, is
	// applied once. The check is part of the same atomic step.
	Toggle(ctx context.Context, tenant, id string, b Ballot, theme int, op string) (Ballot, error)
	// Retract deletes the voter's ballot (open polls before their deadline
	// only) and reports whether there was one.
	Retract(ctx context.Context, tenant, id, voter string) (bool, error)
	// Ballot returns the voter's ballot, or ErrNoBallot.
	Ballot(ctx context.Context, tenant, id, voter string) (Ballot, error)
	// Ballots calls fn for every ballot of the poll, in no set order,
	// without loading them all at once. It stops at fn's first error.
	Ballots(ctx context.Context, tenant, id string, fn func(Ballot) error) error
	// Tally returns the poll's tally.
	Tally(ctx context.Context, tenant, id string) (Tally, error)
}

// OpTTL is how long a store remembers a toggle's op: longer than any
// platform redelivers a click or a client retries one.
const OpTTL = 15 * time.Minute

// GroupStore keeps tenant-wide stakeholder groups and votes held while a
// voter picks a group.
type GroupStore interface {
	// Membership returns the user's stored group; the zero Membership if
	// none.
	Membership(ctx context.Context, tenant, user string) (Membership, error)
	// SetMembership stores the user's group.
	SetMembership(ctx context.Context, tenant, user string, m Membership) error
	// Hold keeps a vote for the holder key (one per poll; a newer one for
	// the same poll replaces it) for ttl.
	Hold(ctx context.Context, tenant, holder string, v HeldVote, ttl time.Duration) error
	// TakeHeld removes and returns the holder's unexpired held votes. Each
	// vote expires on its own: a newer hold does not extend an older one.
	TakeHeld(ctx context.Context, tenant, holder string) ([]HeldVote, error)
}

// Pinger is implemented by stores that can report reachability (/readyz).
type Pinger interface {
	Ping(ctx context.Context) error
}

// OpenCounter is implemented by stores that can count the open polls of
// every tenant, for the pollbot_open_polls metric.
type OpenCounter interface {
	OpenPolls(ctx context.Context) (int64, error)
}
