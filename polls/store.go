package polls

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Store persists polls, ballots, groups and the records that keep requests
// applied once. Every method is atomic on its own: a store never needs a
// read-modify-write of a whole poll by its caller. Implementations:
// storage/bolt (embedded) and storage/redis; the shared behavioural suite
// is storage/storetest. docs/ARCHITECTURE.md describes the contract as a
// whole.
//
// A store knows no poll kind. What a ballot adds to the tally is computed
// here, in the domain (see [Ballot.Points] and [Kind]), and the store only
// keeps ballots and the tally in step with those numbers.
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
	RecordStore
	ReminderStore
	io.Closer
}

// PollStore keeps poll definitions, their status and the indexes that list
// them and close them at their deadline.
type PollStore interface {
	// CreatePoll stores a new open poll and indexes it for its tenant,
	// its channel, its status and, when it has a deadline, in the
	// deadline index. ErrExists if the id is taken.
	CreatePoll(ctx context.Context, p *Poll) error
	// Poll returns a poll, or ErrNotFound.
	Poll(ctx context.Context, tenant, id string) (*Poll, error)
	// Polls returns one page of a tenant's polls, newest first, as the
	// query selects them (see PollQuery). It reads an index: its cost
	// grows with the page, not with the number of polls.
	Polls(ctx context.Context, tenant string, q PollQuery) (PollPage, error)
	// CountOpen returns how many of the tenant's polls are open.
	CountOpen(ctx context.Context, tenant string) (int, error)
	// ClosePoll moves a poll to closed (from open) or cancelled (from open or
	// closed) at the given time, and drops it from the deadline index. It
	// reports whether this call made the change: of several racing
	// callers, exactly one gets true. A change clears any announcement the
	// poll owed (see CloseAtDeadline): a cancelled poll needs none, and a
	// poll closed by hand is announced by the request that closed it.
	ClosePoll(ctx context.Context, tenant, id string, to Status, at time.Time) (bool, error)
	// CloseAtDeadline closes an open poll whose deadline is at or before
	// now, for the deadline scheduler. The deadline is checked in the same
	// atomic step as the close, so a deadline moved later by an extension
	// that landed first keeps the poll open (false). Racing callers get
	// the same single winner as ClosePoll, and the winner's close marks
	// the poll as owing the announcement of its close, leased to the
	// winner until leaseUntil. A poll owing an announcement stays in the
	// deadline index with the lease as its time, so that DueDeadlines
	// returns it again once the lease has passed, should the winner die
	// before AnnouncementDone. The poll's close time is its deadline.
	CloseAtDeadline(ctx context.Context, tenant, id string, now, leaseUntil time.Time) (changed bool, err error)
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
	// out (see CloseAtDeadline). Entries of polls that no longer exist
	// are removed from the index, never returned, so they cannot hold up
	// the polls behind them.
	DueDeadlines(ctx context.Context, before time.Time, limit int) ([]Key, error)
}

// PollQuery selects a page of a tenant's polls.
type PollQuery struct {
	// Channel, when not empty, keeps the polls opened in that channel.
	Channel string
	// Status, when not empty, keeps the polls with that status.
	Status Status
	// Offset skips the newest Offset polls the query selects.
	Offset int
	// Limit is the most polls returned (at most MaxPageSize; 0 means
	// DefaultPageSize).
	Limit int
}

// Page sizes of PollQuery.
const (
	DefaultPageSize = 20
	MaxPageSize     = 100
)

// PageSize is the number of polls q asks for.
func (q PollQuery) PageSize() int {
	switch {
	case q.Limit <= 0:
		return DefaultPageSize
	case q.Limit > MaxPageSize:
		return MaxPageSize
	}
	return q.Limit
}

// PollPage is one page of polls.
type PollPage struct {
	Polls []*Poll
	// Total is the number of polls the query selects, on every page.
	Total int
}

// BallotStore keeps ballots and the tally in step with them. The three
// vote operations (Cast, Toggle, Retract) each check, in the same atomic
// step that changes anything, that the poll is open (ErrClosed,
// ErrCancelled) and that its deadline has not passed by the store's clock
// (ErrPastDeadline); each moves the tally from the voter's previous ballot
// to the new one, adds one to the tally's version, and appends an event
// with the tally's change to the poll's audit log.
//
// delivery, when not empty, names the request that carries the vote (see
// RecordStore): if the store recorded it for this poll within DeliveryTTL,
// the operation changes nothing and reports Repeated with the voter's
// current ballot; otherwise it is recorded in the same atomic step. A
// refused operation does not record its delivery.
//
// When ctx asks for it (WithVoteTally), a store that can read the tally in
// the vote's own atomic step returns it in VoteResult.Tally (both stores
// do): the tally as the vote left it, or, for a Repeated delivery, as it
// is now. Whoever renders the poll right after a vote then needs no
// second read. Without the request a store may leave it nil (Redis does:
// a vote confirmed by a private message alone need not carry the tally).
type BallotStore interface {
	// Cast stores b as its voter's ballot, replacing any previous one.
	// b.Points must be parallel to b.Choices; the store does not check
	// choices against the poll.
	Cast(ctx context.Context, tenant, id string, b Ballot, delivery string) (VoteResult, error)
	// Toggle flips one choice in the voter's ballot: it removes f.Choice
	// if the ballot has it, else adds it with f.Points, keeping choices
	// in ascending order; a ballot with more than f.Max choices (when
	// f.Max > 0) is refused with ErrTooManyChoices. The ballot takes b's
	// voter, group and cast time (a ballot cast in another group moves,
	// whole, to b's). A ballot whose last choice goes is deleted.
	Toggle(ctx context.Context, tenant, id string, b Ballot, f Flip, delivery string) (VoteResult, error)
	// Retract deletes the voter's ballot. Retracting when there is none
	// changes nothing (and records the delivery).
	Retract(ctx context.Context, tenant, id, voter string, at time.Time, delivery string) (VoteResult, error)
	// Ballot returns the voter's ballot, or ErrNoBallot.
	Ballot(ctx context.Context, tenant, id, voter string) (Ballot, error)
	// Ballots calls fn for every ballot of the poll, in no set order,
	// without loading them all at once. It stops at fn's first error.
	Ballots(ctx context.Context, tenant, id string, fn func(Ballot) error) error
	// Tally returns the poll's tally.
	Tally(ctx context.Context, tenant, id string) (Tally, error)
	// Tallies returns the tallies of the tenant's polls ids, in the order
	// of ids, in one round trip or transaction rather than one a poll (a
	// listing shows a page of polls with their ballots); a poll that does
	// not exist has the zero Tally.
	Tallies(ctx context.Context, tenant string, ids []string) ([]Tally, error)
}

// Flip is what Toggle changes: one choice and the points it adds.
type Flip struct {
	Choice int
	Points int64
	// Max is the most choices a ballot may have; 0 means any.
	Max int
}

// VoteResult is what a vote operation did.
type VoteResult struct {
	// Prev is the voter's ballot before the operation, Ballot after it;
	// nil where there is none.
	Prev, Ballot *Ballot
	// Repeated is true when the operation's delivery was applied before:
	// nothing changed, and Ballot is the voter's ballot now.
	Repeated bool
	// Version is the tally's version after the operation.
	Version int64
	// Tally, when the store fills it (see BallotStore), is the poll's
	// tally after the operation, read in its atomic step; its Version is
	// Version.
	Tally *Tally
}

type voteTallyKey struct{}

// WithVoteTally returns ctx asking the vote made with it to return the
// tally as the vote left it (VoteResult.Tally, CastResult.Tally), for a
// caller that shows the poll right after the vote.
func WithVoteTally(ctx context.Context) context.Context {
	return context.WithValue(ctx, voteTallyKey{}, true)
}

// VoteTallyWanted reports whether ctx asks a vote to return the tally
// (see WithVoteTally).
func VoteTallyWanted(ctx context.Context) bool {
	v, _ := ctx.Value(voteTallyKey{}).(bool)
	return v
}

// DeliveryTTL is how long a store remembers a request's delivery: longer
// than the 5 minutes either platform's signature is accepted for, and
// than any platform redelivers a request or a client retries one.
const DeliveryTTL = 15 * time.Minute

// GroupStore keeps tenant-wide stakeholder groups and votes held while a
// voter picks a group.
type GroupStore interface {
	// Membership returns the user's stored group; the zero Membership if
	// none.
	Membership(ctx context.Context, tenant, user string) (Membership, error)
	// SetMembership stores the user's group.
	SetMembership(ctx context.Context, tenant, user string, m Membership) error
	// Hold keeps a vote for the holder key for ttl. Votes accumulate, each
	// with its own expiry; holding again a vote with the same non-empty
	// Delivery replaces it rather than adding another.
	Hold(ctx context.Context, tenant, holder string, v HeldVote, ttl time.Duration) error
	// TakeHeld removes and returns the holder's unexpired held votes,
	// oldest first.
	TakeHeld(ctx context.Context, tenant, holder string) ([]HeldVote, error)
	// DropHeld removes the holder's held votes in one poll and returns how
	// many unexpired ones there were.
	DropHeld(ctx context.Context, tenant, holder, poll string) (int, error)
	// HeldCount returns how many unexpired votes are held in a poll.
	HeldCount(ctx context.Context, tenant, poll string) (int, error)
}

// RecordStore keeps short-lived records: the deliveries of requests that
// are not votes (votes record theirs in their own atomic step, see
// BallotStore), and the counters of rate limits.
type RecordStore interface {
	// RecordDelivery records a request's delivery key in the tenant for
	// DeliveryTTL and reports whether it was new: of several racing
	// callers with one key, exactly one gets true.
	RecordDelivery(ctx context.Context, tenant, key string) (first bool, err error)
	// Allow counts one event against the limit of key in the tenant: it
	// reports true while at most limit events were counted in the current
	// window (windows are fixed, of the given length, starting with the
	// first event), false beyond.
	Allow(ctx context.Context, tenant, key string, limit int, window time.Duration) (bool, error)
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

// LogReader is implemented by stores that can read a poll's audit log (the
// events every vote, close, cancellation, reopening and deadline change
// appends; see Event), for the timeline of how a poll's report changed.
type LogReader interface {
	// ReadLog calls fn for each event of the poll's log that follows
	// position after ("": from the first event the log still keeps),
	// oldest first. It reads the log in pages, so a long log is never
	// held whole, and stops at fn's first error. The tail it returns
	// carries the poll's tally as of the last event passed to fn, read
	// in the same atomic step as that event, so that the tally minus the
	// events' deltas is the tally before them. An unknown poll gives
	// ErrNotFound.
	ReadLog(ctx context.Context, tenant, id, after string, fn func(Event) error) (LogTail, error)
}

// LogTail is where a read of a poll's audit log ended.
type LogTail struct {
	// Tally is the poll's tally as of Last.
	Tally Tally
	// Last is the position of the last event read (the position read
	// after when there was none).
	Last string
	// Trimmed is set, on a read from the start, when the log's bound has
	// dropped the poll's first events, so that the first event read is
	// not the poll's first. Stores that cannot tell leave it unset (a
	// tally left over once the events' deltas are taken away says it
	// too).
	Trimmed bool
}

// Watcher is implemented by stores that tell every process sharing them
// when a poll changes: a vote, a close, a cancellation, a reopening or a
// new deadline. Redis publishes the change in the same atomic step that
// makes it; the embedded store, which one process holds, tells that
// process.
type Watcher interface {
	// Watch returns a channel that receives a value soon after each
	// change of the poll made through any process sharing the store,
	// until ctx is done, when the channel is closed. Changes made while a
	// value waits unreceived are merged into it, so a slow receiver
	// costs nothing and always learns of the latest change. A value may
	// also come without a change (after a lost connection is restored,
	// say): receivers read the poll afresh on each.
	Watch(ctx context.Context, tenant, id string) (<-chan struct{}, error)
}

// MembershipVoter is implemented by stores that can check the voter's
// stored membership in a vote's own atomic step, so that the vote path
// need not read it first (see Service.Click): the service resolves the
// ballot's group from the membership it last saw for the voter, and the
// store applies the vote only if that is still the stored one. The
// precedence of groups stays with the service; the store only compares.
type MembershipVoter interface {
	// ChecksMembership reports whether this store instance can make the
	// check (a Redis Cluster cannot: a tenant's memberships are in
	// another slot than a poll's keys). Services ask once, at
	// construction.
	ChecksMembership() bool
	// CastIfMember is Cast, applied only if the user's stored membership
	// is m.Want; otherwise it changes nothing, records no delivery, and
	// returns a *MembershipChanged with the stored membership. A
	// delivery applied before is reported Repeated whatever the
	// membership (nothing changes either way). A store may decline to
	// make the check (ErrNotChecked): nothing changed, and the caller
	// votes without it.
	CastIfMember(ctx context.Context, tenant, id string, b Ballot, delivery string, m MembershipCheck) (VoteResult, error)
	// ToggleIfMember is Toggle with CastIfMember's check.
	ToggleIfMember(ctx context.Context, tenant, id string, b Ballot, f Flip, delivery string, m MembershipCheck) (VoteResult, error)
}

// MembershipCheck is what a MembershipVoter compares: the user whose
// membership is read (as GroupStore.Membership takes it) and the
// membership the caller believes is stored (zero: none).
type MembershipCheck struct {
	User string
	Want Membership
}

// ErrNotChecked is a MembershipVoter's answer when it could not make the
// check this time (see MembershipVoter.CastIfMember).
var ErrNotChecked = errors.New("the store could not check the membership in the vote")

// MembershipChanged is the refusal of a MembershipVoter's vote whose
// MembershipCheck did not hold: Stored is the user's membership now.
type MembershipChanged struct {
	Stored Membership
}

func (e *MembershipChanged) Error() string {
	return fmt.Sprintf("stored membership is %v, not the one the vote assumed", e.Stored)
}
