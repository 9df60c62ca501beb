package polls

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Service is the poll use-cases over a Store: open, vote, close, report.
// It enforces the domain rules; permissions (who may close a poll) are the
// caller's business. A Service is safe for concurrent use.
type Service struct {
	store   Store
	now     func() time.Time
	newID   func() string
	groups  *Groups
	keys    keyring
	holdTTL time.Duration
	lease   time.Duration
	limits  Limits
	open    openPolls
	// checked is the store's MembershipVoter when it can check
	// memberships in a vote's own step, members what the vote path
	// believes of them (see Service.applyChecked).
	checked MembershipVoter
	members memberships
	// timelines keeps computed timelines (see Service.Timeline).
	timelines timelineCache
}

// Option configures a Service.
type Option func(*Service)

// WithClock injects the clock (default time.Now).
func WithClock(now func() time.Time) Option { return func(s *Service) { s.now = now } }

// WithIDs injects the poll id source (default: 4 random characters from an
// alphabet without look-alikes, see NewID).
func WithIDs(next func() string) Option { return func(s *Service) { s.newID = next } }

// WithGroups sets the stakeholder groups (default DefaultGroups).
func WithGroups(g *Groups) Option { return func(s *Service) { s.groups = g } }

// WithPseudonymKey sets the secret that pseudonymises voters in anonymous
// polls (at least MinPseudonymKey bytes: check it with
// CheckPseudonymKey first). Without it anonymous polls can be neither
// opened nor voted in.
func WithPseudonymKey(key []byte) Option { return func(s *Service) { s.keys = newKeyring(key) } }

// WithPollCache sets how long the vote path may reuse an open poll it read
// (default 5s; 0 turns the cache off). The store still checks status and
// deadline atomically with every vote, so the cache never lets a vote
// through that the store would refuse.
func WithPollCache(ttl time.Duration) Option { return func(s *Service) { s.open.ttl = ttl } }

// WithHoldTTL sets how long a vote is held while its voter picks a group
// (default 15 minutes).
func WithHoldTTL(d time.Duration) Option { return func(s *Service) { s.holdTTL = d } }

// WithAnnounceLease sets how long the replica that closes a poll at its
// deadline (or takes over its announcement) has to announce it before
// another replica's CloseDue takes the announcement over (default
// DefaultAnnounceLease). It should be well longer than a slow announcement:
// one that outlasts it may be posted twice.
func WithAnnounceLease(d time.Duration) Option {
	return func(s *Service) {
		if d > 0 {
			s.lease = d
		}
	}
}

// WithLimits sets the limits on opening polls (default: none; a
// deployment passes DefaultLimits or its configuration's).
func WithLimits(l Limits) Option { return func(s *Service) { s.limits = l } }

// Limits bound what one tenant or person can make pollbot keep. Zero
// fields mean no limit.
type Limits struct {
	// OpenPolls is the most polls a tenant may have open at once.
	OpenPolls int
	// OpensPerHour is the most polls one person may open in an hour.
	OpensPerHour int
}

// DefaultLimits are generous for any working group and small enough that
// one member cannot fill a store.
var DefaultLimits = Limits{OpenPolls: 200, OpensPerHour: 20}

// DefaultAnnounceLease is the default of WithAnnounceLease.
const DefaultAnnounceLease = 30 * time.Second

// MaxAhead is the furthest ahead a deadline may be.
const MaxAhead = 366 * 24 * time.Hour

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{
		store:   store,
		now:     time.Now,
		newID:   NewID,
		groups:  MustGroups(DefaultGroups),
		holdTTL: 15 * time.Minute,
		lease:   DefaultAnnounceLease,
		open:    openPolls{ttl: 5 * time.Second, max: maxCachedPolls},
	}
	for _, o := range opts {
		o(s)
	}
	if mv, ok := store.(MembershipVoter); ok && mv.ChecksMembership() {
		s.checked = mv
		s.members.ttl, s.members.max = memberTTL, maxCachedMembers
	}
	return s
}

// Groups returns the configured stakeholder groups.
func (s *Service) Groups() *Groups { return s.groups }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.now() }

// stamp is the service clock's time as stores keep times.
func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// idAlphabet has no 0/O, 1/I/L: ids are read aloud and typed.
const idAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewID returns a random 4-character poll id such as "K7QX".
func NewID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return string(b[:])
}

// NormalizeID turns what a person typed into the stored id form.
func NormalizeID(id string) string { return strings.ToUpper(strings.TrimSpace(id)) }

// maxIDLen bounds a poll id as given by a command, a control or the
// command line; generated ids have 4 characters.
const maxIDLen = 32

// plausibleID reports whether id could be a poll id: 1 to 32 ASCII letters,
// digits, '-' or '_', as the command grammar accepts.
func plausibleID(id string) bool {
	if len(id) == 0 || len(id) > maxIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// OpenRequest is what opening a poll takes.
type OpenRequest struct {
	Tenant   string
	Title    string
	Themes   []string
	Kind     Kind
	Creator  string
	Channel  string
	ClosesAt time.Time // zero: no deadline
	Options
}

// Open validates and stores a new open poll, within the tenant's and the
// creator's limits (ErrLimit), and schedules its reminders. An error
// wrapping ErrRemindersUnscheduled comes with the poll, which is open.
func (s *Service) Open(ctx context.Context, req OpenRequest) (*Poll, error) {
	if len(req.Themes) > MaxThemes {
		// Refused before thousands of labels are copied and normalised.
		return nil, fail(ErrTooManyThemes, CodeTooManyThemes, Params{"Given": len(req.Themes), "Max": MaxThemes})
	}
	now := s.stamp()
	p := &Poll{
		Tenant:   req.Tenant,
		Title:    req.Title,
		Kind:     req.Kind,
		Status:   StatusOpen,
		Creator:  req.Creator,
		Channel:  req.Channel,
		OpenedAt: now,
		ClosesAt: stampTime(req.ClosesAt),
		Options:  req.Options,
	}
	for _, t := range req.Themes {
		p.Themes = append(p.Themes, Theme{Label: t})
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Anonymous {
		if !s.keys.ok() {
			return nil, fail(ErrNoPseudonymKey, CodeNoPseudonymKey, nil)
		}
		p.KeyFP = s.keys.fp
	}
	if err := s.checkDeadline(p.ClosesAt, now); err != nil {
		return nil, err
	}
	if err := p.checkRemindersFit(now); err != nil {
		return nil, err
	}
	if err := s.checkOpenLimits(ctx, p); err != nil {
		return nil, err
	}
	for range 20 {
		p.ID = s.newID()
		err := s.store.CreatePoll(ctx, p)
		if errors.Is(err, ErrExists) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("open poll: %w", err)
		}
		return p, s.scheduleReminders(ctx, p)
	}
	return nil, fmt.Errorf("open poll: no free poll id after 20 tries: %w", ErrExists)
}

// checkDeadline refuses a deadline that is not in the future or is more
// than MaxAhead ahead; zero (none) passes.
func (s *Service) checkDeadline(closes, now time.Time) error {
	switch {
	case closes.IsZero():
		return nil
	case !closes.After(now):
		return fail(ErrInvalidDeadline, CodeDeadlinePast, Params{"Deadline": closes})
	case closes.After(now.Add(MaxAhead)):
		return fail(ErrInvalidDeadline, CodeDeadlineTooFar, Params{"Deadline": closes, "Days": int(MaxAhead / (24 * time.Hour))})
	}
	return nil
}

// checkOpenLimits enforces Limits before a poll is stored. The count of
// open polls is read before the poll is created, so replicas opening
// polls at the same moment may pass the limit by a few: it bounds what a
// tenant can make the store keep, it is not an exact quota.
func (s *Service) checkOpenLimits(ctx context.Context, p *Poll) error {
	if max := s.limits.OpenPolls; max > 0 {
		n, err := s.store.CountOpen(ctx, p.Tenant)
		if err != nil {
			return fmt.Errorf("count open polls: %w", err)
		}
		if n >= max {
			return fail(ErrLimit, CodeOpenPollsLimit, Params{"Max": max})
		}
	}
	if max := s.limits.OpensPerHour; max > 0 {
		ok, err := s.store.Allow(ctx, p.Tenant, "opens:"+s.keys.hash("opener|"+p.Tenant+"|"+p.Creator), max, time.Hour)
		if err != nil {
			return fmt.Errorf("count polls opened: %w", err)
		}
		if !ok {
			return fail(ErrLimit, CodeOpensPerHour, Params{"Max": max})
		}
	}
	return nil
}

func stampTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// Poll returns a poll by id (case-insensitive).
func (s *Service) Poll(ctx context.Context, tenant, id string) (*Poll, error) {
	id = NormalizeID(id)
	if id == "" {
		return nil, fail(ErrNotFound, CodeNoPollID, nil)
	}
	if !plausibleID(id) {
		// Never a store lookup (or an echo) for a pasted paragraph.
		return nil, fail(ErrNotFound, CodeNotPollID, Params{"Typed": brief(id)})
	}
	p, err := s.store.Poll(ctx, tenant, id)
	if errors.Is(err, ErrNotFound) {
		return nil, fail(ErrNotFound, CodePollNotFound, Params{"Poll": id})
	}
	return p, err
}

// List returns one page of a tenant's polls, newest first.
func (s *Service) List(ctx context.Context, tenant string, q PollQuery) (PollPage, error) {
	return s.store.Polls(ctx, tenant, q)
}

// Close closes an open poll. changed is false if it was already closed.
func (s *Service) Close(ctx context.Context, tenant, id string) (changed bool, p *Poll, err error) {
	return s.finish(ctx, tenant, id, StatusClosed)
}

// Cancel cancels an open or closed poll: it is kept but reports say it was
// cancelled.
func (s *Service) Cancel(ctx context.Context, tenant, id string) (changed bool, p *Poll, err error) {
	return s.finish(ctx, tenant, id, StatusCancelled)
}

func (s *Service) finish(ctx context.Context, tenant, id string, to Status) (bool, *Poll, error) {
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return false, nil, err
	}
	if p.Status == StatusCancelled {
		return false, p, fail(ErrCancelled, CodeAlreadyCancelled, Params{"Poll": p.ID})
	}
	s.open.drop(p.Key())
	changed, err := s.store.ClosePoll(ctx, tenant, p.ID, to, s.stamp())
	if err != nil {
		return false, p, storeErr(p, err)
	}
	p, err = s.store.Poll(ctx, tenant, p.ID)
	if err == nil && changed {
		// A poll that is not open is reminded of nothing. Should dropping
		// its schedule fail, the next claim of a reminder drops it.
		_ = s.scheduleReminders(ctx, p)
	}
	return changed, p, err
}

// Reopen reopens a closed poll and schedules its reminders for its
// deadline (see Open for ErrRemindersUnscheduled). With d > 0 the deadline
// becomes d from now. Without, it keeps its deadline when that is still
// ahead, and a poll that had none stays without; a deadline that has
// passed is refused (CodeReopenDeadline): the poll would close again at
// once, so it needs a new one.
func (s *Service) Reopen(ctx context.Context, tenant, id string, d time.Duration) (bool, *Poll, error) {
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return false, nil, err
	}
	switch p.Status {
	case StatusCancelled:
		return false, p, fail(ErrCancelled, CodeCancelledNoReopen, Params{"Poll": p.ID})
	case StatusOpen:
		return false, p, nil
	}
	now := s.stamp()
	closes := p.ClosesAt
	switch {
	case d > 0:
		closes = now.Add(d)
	case !closes.IsZero() && !closes.After(now):
		return false, p, fail(ErrInvalidDeadline, CodeReopenDeadline, Params{"Poll": p.ID, "Deadline": closes})
	}
	if err := s.checkDeadline(closes, now); err != nil {
		return false, p, err
	}
	s.open.drop(p.Key())
	changed, err := s.store.Reopen(ctx, tenant, p.ID, closes)
	if err != nil {
		return false, p, storeErr(p, err)
	}
	p, err = s.store.Poll(ctx, tenant, p.ID)
	if err == nil && changed {
		err = s.scheduleReminders(ctx, p)
	}
	return changed, p, err
}

// Extend pushes an open poll's deadline back by d (from now if it has none
// or it has passed), to at most MaxAhead from now, and schedules its
// reminders anew for the new deadline (see Open for
// ErrRemindersUnscheduled).
func (s *Service) Extend(ctx context.Context, tenant, id string, d time.Duration) (*Poll, error) {
	if d <= 0 {
		return nil, fail(ErrInvalidDeadline, CodeExtendPositive, nil)
	}
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusOpen {
		return p, fail(ErrNotOpen, CodeNotOpenExtend, Params{"Poll": p.ID, "Status": p.Status})
	}
	now := s.stamp()
	base := p.ClosesAt
	if base.IsZero() || base.Before(now) {
		base = now
	}
	closes := base.Add(d).Truncate(time.Millisecond)
	if err := s.checkDeadline(closes, now); err != nil {
		return p, err
	}
	s.open.drop(p.Key())
	if err := s.store.SetDeadline(ctx, tenant, p.ID, closes); err != nil {
		return p, storeErr(p, err)
	}
	p.ClosesAt = closes
	return p, s.scheduleReminders(ctx, p)
}

// SetMessage records a chat message that shows the poll.
func (s *Service) SetMessage(ctx context.Context, tenant, id string, ref MessageRef) error {
	return s.store.SetMessage(ctx, tenant, NormalizeID(id), ref)
}

// TallyAfterVote is Tally for showing a poll right after a vote the store
// accepted, when the vote did not return its tally (CastResult.Tally): the
// poll comes from the open-poll cache the vote used (its status was checked
// in the vote's own atomic step), so only the tally is read. Anything that
// may outlive the moment (a message edit, a report) uses Tally.
func (s *Service) TallyAfterVote(ctx context.Context, tenant, id string) (*Poll, Tally, error) {
	k := Key{Tenant: tenant, ID: NormalizeID(id)}
	p := s.open.get(k, s.now())
	if p == nil {
		return s.Tally(ctx, tenant, id)
	}
	t, err := s.store.Tally(ctx, tenant, p.ID)
	return p, t, err
}

// Tallies returns the tallies of polls of one tenant, in their order, in
// one store round trip (see Store.Tallies).
func (s *Service) Tallies(ctx context.Context, tenant string, ps []*Poll) ([]Tally, error) {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return s.store.Tallies(ctx, tenant, ids)
}

// Tally returns a poll and its tally.
func (s *Service) Tally(ctx context.Context, tenant, id string) (*Poll, Tally, error) {
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return nil, Tally{}, err
	}
	t, err := s.store.Tally(ctx, tenant, p.ID)
	return p, t, err
}

// TallyOf returns the tally of a poll the caller has already read.
func (s *Service) TallyOf(ctx context.Context, p *Poll) (Tally, error) {
	return s.store.Tally(ctx, p.Tenant, p.ID)
}

// Report computes a poll's consensus report from its tally, with the
// number of votes still held for a group pick.
func (s *Service) Report(ctx context.Context, tenant, id string) (*Poll, *Report, error) {
	p, t, err := s.Tally(ctx, tenant, id)
	if err != nil {
		return nil, nil, err
	}
	r, err := s.ReportOf(ctx, p, t)
	return p, r, err
}

// ReportOf computes the report of a poll and tally the caller has read.
func (s *Service) ReportOf(ctx context.Context, p *Poll, t Tally) (*Report, error) {
	r := ComputeReport(p, t, s.groups)
	held, err := s.store.HeldCount(ctx, p.Tenant, p.ID)
	if err != nil {
		return nil, fmt.Errorf("count held votes: %w", err)
	}
	r.Held, r.Version = int64(held), t.Version
	return r, nil
}

// Ballots streams a poll's ballots to fn. In anonymous polls voters are
// pseudonyms (stores never hold their user ids) and cast times are cut to
// the hour, so that times cannot tie a ballot to a person's click; such
// a poll's ballots are only read by a process holding its key (see
// CheckKey).
func (s *Service) Ballots(ctx context.Context, tenant, id string, fn func(Ballot) error) (*Poll, error) {
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if err := s.CheckKey(p); err != nil {
		return p, err
	}
	return p, s.store.Ballots(ctx, tenant, p.ID, func(b Ballot) error {
		if p.Anonymous {
			b.CastAt = b.CastAt.UTC().Truncate(time.Hour)
		}
		return fn(b)
	})
}

// Allow counts one event against a per-tenant limit (see
// RecordStore.Allow); key names what is limited, e.g. "report:K7QX".
func (s *Service) Allow(ctx context.Context, tenant, key string, limit int, window time.Duration) (bool, error) {
	return s.store.Allow(ctx, tenant, key, limit, window)
}

// FirstDelivery records the delivery of a request that is not a vote (a
// vote records its own in the vote's atomic step) and reports whether no
// replica sharing the store applied it before. An empty delivery is
// always first.
func (s *Service) FirstDelivery(ctx context.Context, tenant, delivery string) (bool, error) {
	if delivery == "" {
		return true, nil
	}
	return s.store.RecordDelivery(ctx, tenant, s.keys.delivery(delivery))
}

// CloseDue closes polls whose deadline has passed by the service clock,
// at most limit of them, and returns those whose announcement this call
// now owes: the polls it closed, and polls closed earlier whose
// announcement's lease ran out (the replica that closed one died before
// AnnouncementDone). Each is returned by exactly one caller, leased to it
// for the announce lease (WithAnnounceLease); the caller announces it and
// then calls AnnouncementDone. Polls another replica closed first, or
// whose announcement another replica holds, are skipped.
func (s *Service) CloseDue(ctx context.Context, limit int) ([]*Poll, error) {
	now := s.now().UTC()
	lease := now.Add(s.lease)
	keys, err := s.store.DueDeadlines(ctx, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due deadlines: %w", err)
	}
	var won []*Poll
	var errs []error
	for _, k := range keys {
		p, err := s.store.Poll(ctx, k.Tenant, k.ID)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var ok bool
		switch {
		case p.Status == StatusOpen && (p.ClosesAt.IsZero() || p.ClosesAt.After(now)):
			// A stale index entry (the deadline moved and the index update
			// was lost, say to a crash): repair it rather than close early.
			if err := s.store.SetDeadline(ctx, k.Tenant, k.ID, p.ClosesAt); err != nil {
				errs = append(errs, fmt.Errorf("repair deadline of %s: %w", k, err))
			}
			continue
		case p.Status == StatusOpen:
			s.open.drop(k)
			ok, err = s.store.CloseAtDeadline(ctx, k.Tenant, k.ID, now, lease)
			if err != nil && !errors.Is(err, ErrCancelled) {
				errs = append(errs, fmt.Errorf("close %s: %w", k, err))
				continue
			}
		default:
			// Closed (or cancelled since): an owed announcement whose lease
			// ran out is taken over. Otherwise the store brings the index
			// in line with the poll (a stale entry, or a lease not yet out).
			ok, err = s.store.ClaimAnnouncement(ctx, k.Tenant, k.ID, now, lease)
			if err != nil {
				errs = append(errs, fmt.Errorf("claim announcement of %s: %w", k, err))
				continue
			}
		}
		if ok {
			if p, err = s.store.Poll(ctx, k.Tenant, k.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			won = append(won, p)
		}
	}
	return won, errors.Join(errs...)
}

// AnnouncementDone records that the announcement of a poll CloseDue
// returned was made, so that no replica makes it again.
func (s *Service) AnnouncementDone(ctx context.Context, k Key) error {
	return s.store.AnnouncementDone(ctx, k.Tenant, k.ID)
}

// storeErr adds the poll to a bare sentinel from the store.
func storeErr(p *Poll, err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	switch {
	case errors.Is(err, ErrCancelled):
		return fail(ErrCancelled, CodePollCancelled, Params{"Poll": p.ID})
	case errors.Is(err, ErrClosed):
		return fail(ErrClosed, CodePollClosed, Params{"Poll": p.ID})
	case errors.Is(err, ErrPastDeadline):
		return fail(ErrPastDeadline, CodePastDeadline, Params{"Poll": p.ID})
	case errors.Is(err, ErrTooManyChoices):
		return fail(ErrTooManyChoices, CodeMaxChoicesToggle, Params{"Poll": p.ID, "Max": p.maxChoices()})
	case errors.Is(err, ErrNotFound):
		return fail(ErrNotFound, CodePollNotFound, Params{"Poll": p.ID})
	case errors.Is(err, ErrNotOpen):
		return fail(ErrNotOpen, CodeNotOpenExtend, Params{"Poll": p.ID, "Status": StatusClosed})
	}
	return err
}
