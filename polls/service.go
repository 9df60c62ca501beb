package polls

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
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
	pseudo  []byte
	holdTTL time.Duration
	lease   time.Duration
	open    openPolls
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
// polls. Without it anonymous polls cannot be opened.
func WithPseudonymKey(key []byte) Option { return func(s *Service) { s.pseudo = key } }

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

// DefaultAnnounceLease is the default of WithAnnounceLease.
const DefaultAnnounceLease = 30 * time.Second

// NewService returns a Service over store.
func NewService(store Store, opts ...Option) *Service {
	s := &Service{
		store:   store,
		now:     time.Now,
		newID:   NewID,
		groups:  MustGroups(DefaultGroups),
		holdTTL: 15 * time.Minute,
		lease:   DefaultAnnounceLease,
		open:    openPolls{ttl: 5 * time.Second},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Groups returns the configured stakeholder groups.
func (s *Service) Groups() *Groups { return s.groups }

// Now returns the service clock's time.
func (s *Service) Now() time.Time { return s.now() }

// Store returns the underlying store.
func (s *Service) Store() Store { return s.store }

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

// Open validates and stores a new open poll.
func (s *Service) Open(ctx context.Context, req OpenRequest) (*Poll, error) {
	if len(req.Themes) > MaxThemes {
		// Refused before thousands of labels are copied and normalised.
		return nil, errorf(ErrTooManyThemes, "%d themes given; at most %d", len(req.Themes), MaxThemes)
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	p := &Poll{
		Tenant:   req.Tenant,
		Title:    req.Title,
		Kind:     req.Kind,
		Status:   StatusOpen,
		Creator:  req.Creator,
		Channel:  req.Channel,
		OpenedAt: now,
		ClosesAt: req.ClosesAt.UTC().Truncate(time.Millisecond),
		Options:  req.Options,
	}
	if req.ClosesAt.IsZero() {
		p.ClosesAt = time.Time{}
	}
	for _, t := range req.Themes {
		p.Themes = append(p.Themes, Theme{Label: t})
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if p.Anonymous && len(s.pseudo) == 0 {
		return nil, errorf(ErrNoPseudonymKey, "anonymous polls need POLLBOT_PSEUDONYM_KEY to be set")
	}
	if !p.ClosesAt.IsZero() && !p.ClosesAt.After(now) {
		return nil, errorf(ErrInvalidDeadline, "the deadline %s is not in the future", p.ClosesAt.Format(time.RFC3339))
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
		return p, nil
	}
	return nil, fmt.Errorf("open poll: no free poll id after 20 tries: %w", ErrExists)
}

// Poll returns a poll by id (case-insensitive).
func (s *Service) Poll(ctx context.Context, tenant, id string) (*Poll, error) {
	id = NormalizeID(id)
	if id == "" {
		return nil, errorf(ErrNotFound, "no poll id given")
	}
	if !plausibleID(id) {
		// Never a store lookup (or an echo) for a pasted paragraph.
		return nil, errorf(ErrNotFound, "%s is not a poll id (ids look like K7QX)", brief(id))
	}
	p, err := s.store.Poll(ctx, tenant, id)
	if errors.Is(err, ErrNotFound) {
		return nil, errorf(ErrNotFound, "there is no poll %s here", id)
	}
	return p, err
}

// List returns a tenant's polls with the given status ("" for all), newest
// first.
func (s *Service) List(ctx context.Context, tenant string, status Status) ([]*Poll, error) {
	all, err := s.store.Polls(ctx, tenant)
	if err != nil {
		return nil, err
	}
	out := make([]*Poll, 0, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		if status == "" || all[i].Status == status {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// Voter is who is voting: the tenant, the platform user id, and the group
// their platform roles map to (empty if none).
type Voter struct {
	Tenant    string
	User      string
	RoleGroup Group
	// Delivery, when not empty, identifies the chat delivery that carries
	// this vote (a click's action id and timestamp, an interaction id). A
	// toggle delivered twice, to any replica, is then applied once (see
	// Store.Toggle's op).
	Delivery string
}

// CastResult is the outcome of a vote.
type CastResult struct {
	Poll     *Poll
	Ballot   Ballot  // the voter's ballot now; no choices if it was removed
	Previous *Ballot // the ballot it replaced, if any
	// Held is true when the voter has no group yet: the vote is kept and
	// applied when they pick one (SetGroup). Ballot is then empty.
	Held bool
}

// Pseudonym returns the voter key of user in anonymous polls:
// HMAC-SHA256(key, tenant|user), truncated to 96 bits, hex.
func Pseudonym(key []byte, tenant, user string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tenant + "|" + user))
	return "anon-" + hex.EncodeToString(m.Sum(nil)[:12])
}

func (s *Service) voterKey(p *Poll, user string) string {
	if p.Anonymous {
		return Pseudonym(s.pseudo, p.Tenant, user)
	}
	return user
}

// holder is the key held votes are kept under: never a raw user id when a
// pseudonym key is configured, since a held vote may be for an anonymous
// poll.
func (s *Service) holder(tenant, user string) string {
	if len(s.pseudo) > 0 {
		return Pseudonym(s.pseudo, tenant, user)
	}
	return user
}

// openPoll returns a poll that is open by the service's clock, for the
// vote path: from the cache when it can (see openPolls), else from the
// store.
func (s *Service) openPoll(ctx context.Context, tenant, id string) (*Poll, error) {
	k := Key{Tenant: tenant, ID: NormalizeID(id)}
	now := s.now()
	if p := s.open.get(k, now); p != nil && s.checkOpen(p) == nil {
		return p, nil
	}
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		s.open.drop(k)
		return nil, err
	}
	if err := s.checkOpen(p); err != nil {
		s.open.drop(k)
		return nil, err
	}
	s.open.put(p, now)
	return p, nil
}

func (s *Service) checkOpen(p *Poll) error {
	switch {
	case p.Status == StatusCancelled:
		return errorf(ErrCancelled, "poll %s was cancelled", p.ID)
	case p.Status == StatusClosed:
		return errorf(ErrClosed, "poll %s is closed", p.ID)
	case p.DeadlinePassed(s.now()):
		return errorf(ErrPastDeadline, "poll %s closed at %s", p.ID, p.ClosesAt.Format("2006-01-02 15:04 MST"))
	}
	return nil
}

// storeErr adds the poll id to a bare sentinel from the store.
func storeErr(p *Poll, err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	switch {
	case errors.Is(err, ErrCancelled):
		return errorf(ErrCancelled, "poll %s was cancelled", p.ID)
	case errors.Is(err, ErrClosed):
		return errorf(ErrClosed, "poll %s is closed", p.ID)
	case errors.Is(err, ErrPastDeadline):
		return errorf(ErrPastDeadline, "poll %s is past its deadline", p.ID)
	case errors.Is(err, ErrTooManyChoices):
		return errorf(ErrTooManyChoices, "poll %s allows at most %d choices; remove one first", p.ID, p.MaxChoices)
	case errors.Is(err, ErrNotFound):
		return errorf(ErrNotFound, "there is no poll %s here", p.ID)
	}
	return err
}

// Resolve returns the voter's group by precedence: facilitator assignment,
// platform role mapping, self-declaration. ok is false if they have none.
func (s *Service) Resolve(ctx context.Context, v Voter) (g Group, src GroupSource, ok bool, err error) {
	m, err := s.store.Membership(ctx, v.Tenant, v.User)
	if err != nil {
		return "", "", false, err
	}
	switch {
	case m.Source == SourceAssigned && m.Group != "":
		return m.Group, SourceAssigned, true, nil
	case v.RoleGroup != "" && s.groups.Known(v.RoleGroup):
		return v.RoleGroup, SourceRole, true, nil
	case m.Group != "":
		return m.Group, m.Source, true, nil
	}
	return "", "", false, nil
}

// Cast replaces the voter's ballot with choices (0-based theme indexes).
// A voter without a group gets a held vote (CastResult.Held).
func (s *Service) Cast(ctx context.Context, v Voter, pollID string, choices []int) (CastResult, error) {
	p, err := s.openPoll(ctx, v.Tenant, pollID)
	if err != nil {
		return CastResult{}, err
	}
	choices, err = CheckBallot(p, choices)
	if err != nil {
		return CastResult{Poll: p}, err
	}
	return s.apply(ctx, p, v, HeldVote{Poll: p.ID, Choices: choices})
}

// Toggle adds a theme to the voter's approval ballot or removes it. In a
// single-choice poll it casts that theme. Ranked polls are voted with Cast.
func (s *Service) Toggle(ctx context.Context, v Voter, pollID string, theme int) (CastResult, error) {
	p, err := s.openPoll(ctx, v.Tenant, pollID)
	if err != nil {
		return CastResult{}, err
	}
	if _, err := CheckBallot(p, []int{theme}); err != nil {
		return CastResult{Poll: p}, err
	}
	switch p.Kind {
	case Single:
		return s.apply(ctx, p, v, HeldVote{Poll: p.ID, Choices: []int{theme}})
	case Ranked:
		return CastResult{Poll: p}, errorf(ErrInvalidOption, "poll %s is ranked: vote with the themes in your order of preference", p.ID)
	}
	return s.apply(ctx, p, v, HeldVote{Poll: p.ID, Toggle: true, Theme: theme, Op: s.opKey(p, v)})
}

// opKey is the store's name for a toggle's delivery. In an anonymous poll
// it is keyed like the voter, since a delivery id contains the user id.
func (s *Service) opKey(p *Poll, v Voter) string {
	if v.Delivery == "" || !p.Anonymous {
		return v.Delivery
	}
	return Pseudonym(s.pseudo, p.Tenant, "op|"+v.Delivery)
}

func (s *Service) apply(ctx context.Context, p *Poll, v Voter, hv HeldVote) (CastResult, error) {
	g, _, ok, err := s.Resolve(ctx, v)
	if err != nil {
		return CastResult{Poll: p}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	if !ok {
		hv.At = now
		if err := s.store.Hold(ctx, v.Tenant, s.holder(v.Tenant, v.User), hv, s.holdTTL); err != nil {
			return CastResult{Poll: p}, fmt.Errorf("hold vote: %w", err)
		}
		return CastResult{Poll: p, Held: true}, nil
	}
	b := Ballot{Voter: s.voterKey(p, v.User), Group: g, Choices: hv.Choices, CastAt: now}
	if hv.Toggle {
		nb, err := s.store.Toggle(ctx, p.Tenant, p.ID, b, hv.Theme, hv.Op)
		if err != nil {
			return CastResult{Poll: p}, storeErr(p, err)
		}
		return CastResult{Poll: p, Ballot: nb}, nil
	}
	prev, err := s.store.Cast(ctx, p.Tenant, p.ID, b)
	if err != nil {
		return CastResult{Poll: p}, storeErr(p, err)
	}
	return CastResult{Poll: p, Ballot: b, Previous: prev}, nil
}

// Retract removes the voter's ballot. It reports whether there was one.
func (s *Service) Retract(ctx context.Context, v Voter, pollID string) (bool, error) {
	p, err := s.openPoll(ctx, v.Tenant, pollID)
	if err != nil {
		return false, err
	}
	ok, err := s.store.Retract(ctx, p.Tenant, p.ID, s.voterKey(p, v.User))
	return ok, storeErr(p, err)
}

// MyBallot returns the voter's ballot in a poll, or ErrNoBallot.
func (s *Service) MyBallot(ctx context.Context, v Voter, pollID string) (*Poll, Ballot, error) {
	p, err := s.Poll(ctx, v.Tenant, pollID)
	if err != nil {
		return nil, Ballot{}, err
	}
	b, err := s.store.Ballot(ctx, p.Tenant, p.ID, s.voterKey(p, v.User))
	return p, b, err
}

// HeldOutcome is what became of a held vote once its voter had a group.
type HeldOutcome struct {
	PollID string
	Result CastResult
	Err    error
}

// SetGroup records the voter's self-declared group and applies any votes
// held for them. A group assigned by a facilitator cannot be overridden
// (ErrGroupAssigned).
func (s *Service) SetGroup(ctx context.Context, v Voter, group string) (Group, []HeldOutcome, error) {
	g, err := s.groups.Lookup(group)
	if err != nil {
		return "", nil, err
	}
	m, err := s.store.Membership(ctx, v.Tenant, v.User)
	if err != nil {
		return "", nil, err
	}
	if m.Source == SourceAssigned && m.Group != g {
		return m.Group, nil, errorf(ErrGroupAssigned, "a facilitator assigned you to %s; ask one to change it", s.groups.Info(m.Group).Label)
	}
	if m.Source != SourceAssigned {
		if err := s.store.SetMembership(ctx, v.Tenant, v.User, Membership{Group: g, Source: SourceDeclared}); err != nil {
			return "", nil, err
		}
	}
	out, err := s.applyHeld(ctx, v)
	return g, out, err
}

// Assign sets a user's group as a facilitator, overriding role mappings and
// self-declarations, and applies their held votes.
func (s *Service) Assign(ctx context.Context, tenant, user, group string) (Group, []HeldOutcome, error) {
	g, err := s.groups.Lookup(group)
	if err != nil {
		return "", nil, err
	}
	if err := s.store.SetMembership(ctx, tenant, user, Membership{Group: g, Source: SourceAssigned}); err != nil {
		return "", nil, err
	}
	out, err := s.applyHeld(ctx, Voter{Tenant: tenant, User: user})
	return g, out, err
}

func (s *Service) applyHeld(ctx context.Context, v Voter) ([]HeldOutcome, error) {
	held, err := s.store.TakeHeld(ctx, v.Tenant, s.holder(v.Tenant, v.User))
	if err != nil {
		return nil, fmt.Errorf("take held votes: %w", err)
	}
	var out []HeldOutcome
	for _, hv := range held {
		o := HeldOutcome{PollID: hv.Poll}
		p, err := s.openPoll(ctx, v.Tenant, hv.Poll)
		if err == nil {
			o.Result, err = s.apply(ctx, p, v, hv)
		}
		o.Err = err
		out = append(out, o)
	}
	return out, nil
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
		return false, p, errorf(ErrCancelled, "poll %s was already cancelled", p.ID)
	}
	s.open.drop(p.Key())
	changed, err := s.store.ClosePoll(ctx, tenant, p.ID, to, s.now().UTC().Truncate(time.Millisecond))
	if err != nil {
		return false, p, storeErr(p, err)
	}
	p, err = s.store.Poll(ctx, tenant, p.ID)
	return changed, p, err
}

// Reopen reopens a closed poll, with a deadline d from now (0: none).
func (s *Service) Reopen(ctx context.Context, tenant, id string, d time.Duration) (bool, *Poll, error) {
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return false, nil, err
	}
	switch p.Status {
	case StatusCancelled:
		return false, p, errorf(ErrCancelled, "poll %s was cancelled and cannot be reopened", p.ID)
	case StatusOpen:
		return false, p, nil
	}
	var closes time.Time
	if d > 0 {
		closes = s.now().UTC().Add(d).Truncate(time.Millisecond)
	}
	s.open.drop(p.Key())
	changed, err := s.store.Reopen(ctx, tenant, p.ID, closes)
	if err != nil {
		return false, p, storeErr(p, err)
	}
	p, err = s.store.Poll(ctx, tenant, p.ID)
	return changed, p, err
}

// Extend pushes an open poll's deadline back by d (from now if it has none
// or it has passed).
func (s *Service) Extend(ctx context.Context, tenant, id string, d time.Duration) (*Poll, error) {
	if d <= 0 {
		return nil, errorf(ErrInvalidDeadline, "extend by a positive duration such as 24h")
	}
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	if p.Status != StatusOpen {
		return p, errorf(ErrNotOpen, "poll %s is %s; reopen it instead", p.ID, p.Status)
	}
	now := s.now().UTC()
	base := p.ClosesAt
	if base.IsZero() || base.Before(now) {
		base = now
	}
	closes := base.Add(d).Truncate(time.Millisecond)
	s.open.drop(p.Key())
	if err := s.store.SetDeadline(ctx, tenant, p.ID, closes); err != nil {
		return p, storeErr(p, err)
	}
	p.ClosesAt = closes
	return p, nil
}

// SetMessage records a chat message that shows the poll.
func (s *Service) SetMessage(ctx context.Context, tenant, id string, ref MessageRef) error {
	return s.store.SetMessage(ctx, tenant, NormalizeID(id), ref)
}

// Tally returns a poll and its tally.
// TallyAfterVote is Tally for showing a poll right after a vote the store
// accepted: the poll comes from the open-poll cache the vote used (its
// status was checked in the vote's own atomic step), so only the tally is
// read. Anything that may outlive the moment (a message edit, a report)
// uses Tally.
func (s *Service) TallyAfterVote(ctx context.Context, tenant, id string) (*Poll, Tally, error) {
	k := Key{Tenant: tenant, ID: NormalizeID(id)}
	p := s.open.get(k, s.now())
	if p == nil {
		return s.Tally(ctx, tenant, id)
	}
	t, err := s.store.Tally(ctx, tenant, p.ID)
	return p, t, err
}

func (s *Service) Tally(ctx context.Context, tenant, id string) (*Poll, Tally, error) {
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return nil, Tally{}, err
	}
	t, err := s.store.Tally(ctx, tenant, p.ID)
	return p, t, err
}

// Report computes a poll's consensus report from its tally.
func (s *Service) Report(ctx context.Context, tenant, id string) (*Poll, *Report, error) {
	p, t, err := s.Tally(ctx, tenant, id)
	if err != nil {
		return nil, nil, err
	}
	return p, ComputeReport(p, t, s.groups), nil
}

// Ballots streams a poll's ballots to fn. In anonymous polls voters are
// pseudonyms; stores never hold their user ids.
func (s *Service) Ballots(ctx context.Context, tenant, id string, fn func(Ballot) error) (*Poll, error) {
	p, err := s.Poll(ctx, tenant, id)
	if err != nil {
		return nil, err
	}
	return p, s.store.Ballots(ctx, tenant, p.ID, fn)
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
			ok, err = s.store.CloseAtDeadline(ctx, k.Tenant, k.ID, p.ClosesAt, lease)
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
