// Package storetest is the behavioural conformance suite of [polls.Store]:
// the one definition, as executable checks, of what every store must do.
// storage/bolt and storage/redis (single node and Cluster) run it from
// their tests with a [Harness]:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{New: newStore, Reopen: reopenStore})
//	}
//
// The suite owns the contract's fine print where polls.Store's comments
// leave a choice open; each such rule is stated on the subtest that checks
// it. In short: times come back in UTC at millisecond precision; Retract
// makes Cast's checks (ErrClosed, ErrCancelled, ErrPastDeadline); every
// operation on an unknown poll but Ballot and Ballots gives ErrNotFound;
// Toggle gives the ballot the group and cast time it is passed; closing a
// cancelled poll reports false (with or without ErrCancelled); Reopen
// clears ClosedAt; Ballots' fn may call the store; each held vote expires
// on its own.
//
// Every subtest makes its own store and its own tenant (unique per run
// and subtest), so stores that share one Redis server do not see each
// other's polls. The deadline index is global, so the subtests that read it
// look only at their own tenants' entries, and the ones that close due polls
// place their deadlines in a random stretch of the distant past, away from
// everything else.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// Harness tells the suite how to make stores.
type Harness struct {
	// New returns a fresh store, registering its cleanup on t.
	New func(t *testing.T) polls.Store
	// Reopen returns a new instance over s's data, as after a restart
	// (bbolt: close and reopen the file; Redis: a new client), registering
	// its cleanup on t. The suite no longer uses s afterwards. Nil skips
	// the persistence test.
	Reopen func(t *testing.T, s polls.Store) polls.Store
	// Dump, when set, returns everything the store keeps, as key and
	// value text (Redis: every key of the store's prefix; bbolt: every
	// bucket path and value), for the checks that no user id of an
	// anonymous poll is kept anywhere.
	Dump func(t *testing.T, s polls.Store) map[string]string
}

// Run runs the whole suite, each check a subtest of its own.
func Run(t *testing.T, h Harness) {
	if h.New == nil {
		t.Fatal("storetest: Harness.New is nil")
	}
	e := &env{h: h, run: fmt.Sprintf("%06x", rand.Uint32()&0xffffff)}
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"Polls", []subtest{
			{"CreateGetList", testCreateGetList},
			{"ListQueries", testListQueries},
			{"TimesUTC", testTimesUTC},
			{"Messages", testMessages},
		}},
		{"Ballots", []subtest{
			{"Approval", testApproval},
			{"Single", testSingle},
			{"Ranked", testRanked},
			{"Stream", testStream},
			{"NotFound", testBallotsNotFound},
			{"Tallies", testTallies},
		}},
		{"Toggle", []subtest{
			{"MaxChoices", testToggleMaxChoices},
			{"Unlimited", testToggleUnlimited},
			{"Points", testTogglePoints},
			{"Delivery", testDelivery},
		}},
		{"Concurrency", []subtest{
			{"Cast", testConcurrentCast},
			{"Toggle", testConcurrentToggle},
			{"Toggles", testConcurrentToggles},
		}},
		{"Lifecycle", []subtest{
			{"CloseRace", testCloseRace},
			{"Cancel", testCancel},
			{"Reopen", testReopen},
			{"VotesRejected", testVotesRejected},
			{"OpenCount", testOpenCount},
		}},
		{"Deadlines", []subtest{
			{"Past", testPastDeadline},
			{"Index", testDeadlineIndex},
		}},
		{"Announcements", []subtest{
			{"CloseAtDeadline", testCloseAtDeadline},
			{"Claim", testClaimAnnouncement},
			{"Done", testAnnouncementDone},
			{"Cleared", testAnnouncementCleared},
			{"Persistence", testAnnouncementPersistence},
		}},
		{"Reminders", []subtest{
			{"Schedule", testReminderSchedule},
			{"Claim", testReminderClaim},
			{"Void", testReminderVoid},
			{"Persistence", testReminderPersistence},
			{"Service", testServiceReminders},
		}},
		{"Groups", []subtest{
			{"Membership", testMembership},
			{"Held", testHeld},
			{"HeldExpiry", testHeldExpiry},
			{"MembershipVote", testMembershipVote},
		}},
		{"Persistence", []subtest{
			{"Reopen", testPersistence},
		}},
		{"Service", []subtest{
			{"EndToEnd", testServiceEndToEnd},
			{"Anonymous", testAnonymous},
			{"CloseDueRace", testCloseDueRace},
			{"CloseDueLease", testCloseDueLease},
			{"CacheReplicas", testServiceCacheReplicas},
			{"Redelivery", testServiceRedelivery},
			{"AnonymousKeys", testAnonymousKeys},
			{"HeldVotes", testHeldVotes},
			{"GroupChangeReplicas", testGroupChangeReplicas},
			{"OpenLimits", testOpenLimits},
			{"DeadlineBounds", testDeadlineBounds},
		}},
		{"Records", []subtest{
			{"DeliveriesAndLimits", testRecords},
		}},
		{"Events", eventTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) { st.fn(t, e) })
			}
		})
	}
}

type subtest struct {
	name string
	fn   func(*testing.T, *env)
}

// env is what the subtests share: the harness and the tenant counter.
type env struct {
	h   Harness
	run string // random per Run: tenants of earlier runs on a kept server differ
	n   atomic.Int64
}

// store returns a fresh store and the subtest's own tenant.
func (e *env) store(t *testing.T) (polls.Store, string) {
	t.Helper()
	return e.h.New(t), e.tenant(t)
}

// tenant returns a tenant no other subtest or run uses. It keeps to
// letters, digits, '-' and ':' so that it is safe in any key scheme.
func (e *env) tenant(t *testing.T) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.TrimPrefix(t.Name(), strings.SplitN(t.Name(), "/", 2)[0]+"/"))
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return fmt.Sprintf("storetest:%s:%s:%d", e.run, name, e.n.Add(1))
}

// now is the present as stores keep times: UTC, milliseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// newPoll returns a valid open poll definition.
func newPoll(tenant, id string, kind polls.Kind, themes ...string) *polls.Poll {
	p := &polls.Poll{
		ID:       id,
		Tenant:   tenant,
		Title:    "Poll " + id,
		Kind:     kind,
		Status:   polls.StatusOpen,
		Creator:  "U-CREATOR",
		Channel:  "C-GENERAL",
		OpenedAt: now(),
	}
	for _, th := range themes {
		p.Themes = append(p.Themes, polls.Theme{Label: th})
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		panic(fmt.Sprintf("storetest: invalid test poll: %v", err))
	}
	return p
}

// themes returns n theme labels.
func themes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("Theme %d", i+1)
	}
	return out
}

// create stores p. Polls with a deadline are cancelled when the test ends,
// so that a shared server's deadline index does not fill with test polls.
func create(t *testing.T, s polls.Store, p *polls.Poll) {
	t.Helper()
	must(t, fmt.Sprintf("CreatePoll(%s)", p.Key()), s.CreatePoll(t.Context(), p))
	if !p.ClosesAt.IsZero() {
		cancelAtEnd(t, s, p.Key())
	}
}

func cancelAtEnd(t *testing.T, s polls.Store, k polls.Key) {
	t.Cleanup(func() {
		// t.Context is done by now; the store is still open (its own
		// cleanup, registered earlier, runs later).
		_, _ = s.ClosePoll(context.Background(), k.Tenant, k.ID, polls.StatusCancelled, now())
	})
}

// ballot returns a ballot whose choices have a point each, as approval and
// single-choice ballots do (model.cast and castIn give ranked ballots
// their points).
func ballot(voter string, g polls.Group, choices ...int) polls.Ballot {
	return polls.Ballot{Voter: voter, Group: g, Choices: choices, Points: polls.Points(polls.Approval, 0, choices), CastAt: now()}
}

// flip is the Toggle of one approval choice (a point), with at most max
// choices.
func flip(choice, max int) polls.Flip { return polls.Flip{Choice: choice, Points: 1, Max: max} }

// retract is Retract without a delivery.
func retract(ctx context.Context, s polls.Store, tenant, id, voter string) (bool, error) {
	r, err := s.Retract(ctx, tenant, id, voter, now(), "")
	return r.Prev != nil, err
}

const (
	gov   polls.Group = "government"
	priv  polls.Group = "private-sector"
	civil polls.Group = "civil-society"
	tech  polls.Group = "technical-community"
	acad  polls.Group = "academia"
	igo   polls.Group = "intergovernmental"
)

var allGroups = []polls.Group{gov, priv, civil, tech, acad, igo}

// Assertion helpers. They name the operation that failed; sentinel errors
// are matched with errors.Is, since stores wrap them.

func must(t testing.TB, op string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: unexpected error: %v", op, err)
	}
}

func mustIs(t testing.TB, op string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", op, err, want)
	}
}

func mustChanged(t testing.TB, op string, got bool, err error, want bool) {
	t.Helper()
	must(t, op, err)
	if got != want {
		t.Fatalf("%s: changed = %v, want %v", op, got, want)
	}
}

func getPoll(t testing.TB, s polls.Store, k polls.Key) *polls.Poll {
	t.Helper()
	p, err := s.Poll(context.Background(), k.Tenant, k.ID)
	must(t, fmt.Sprintf("Poll(%s)", k), err)
	return p
}

func mustStatus(t testing.TB, s polls.Store, k polls.Key, want polls.Status) *polls.Poll {
	t.Helper()
	p := getPoll(t, s, k)
	if p.Status != want {
		t.Fatalf("Poll(%s): status %s, want %s", k, p.Status, want)
	}
	return p
}

// timeDiff describes how got differs from want, a time as stores keep it:
// the same instant, in UTC; "" if it does not.
func timeDiff(got, want time.Time) string {
	switch {
	case got.IsZero() && want.IsZero():
		return ""
	case !got.Equal(want):
		return fmt.Sprintf("%s, want %s", got.Format(time.RFC3339Nano), want.UTC().Format(time.RFC3339Nano))
	case got.Location() != time.UTC:
		return fmt.Sprintf("%s is not in UTC", got)
	}
	return ""
}

// pollDiff lists the fields in which got differs from want.
func pollDiff(got, want *polls.Poll) []string {
	var d []string
	field := func(name string, g, w any) {
		if fmt.Sprint(g) != fmt.Sprint(w) {
			d = append(d, fmt.Sprintf("%s = %v, want %v", name, g, w))
		}
	}
	field("ID", got.ID, want.ID)
	field("Tenant", got.Tenant, want.Tenant)
	field("Title", got.Title, want.Title)
	field("Themes", got.Themes, want.Themes)
	field("Kind", got.Kind, want.Kind)
	field("Status", got.Status, want.Status)
	field("Creator", got.Creator, want.Creator)
	field("Channel", got.Channel, want.Channel)
	field("Options", got.Options, want.Options)
	if !slices.Equal(got.Messages, want.Messages) {
		d = append(d, fmt.Sprintf("Messages = %v, want %v", got.Messages, want.Messages))
	}
	for _, tf := range []struct {
		name      string
		got, want time.Time
	}{
		{"OpenedAt", got.OpenedAt, want.OpenedAt},
		{"ClosesAt", got.ClosesAt, want.ClosesAt},
		{"ClosedAt", got.ClosedAt, want.ClosedAt},
	} {
		if s := timeDiff(tf.got, tf.want); s != "" {
			d = append(d, tf.name+" = "+s)
		}
	}
	return d
}

func mustPoll(t testing.TB, op string, got, want *polls.Poll) {
	t.Helper()
	if d := pollDiff(got, want); len(d) > 0 {
		t.Fatalf("%s: poll differs:\n\t%s", op, strings.Join(d, "\n\t"))
	}
}

// ballotDiff describes how got differs from want; "" if it does not.
func ballotDiff(got, want polls.Ballot) string {
	var d []string
	if got.Voter != want.Voter {
		d = append(d, fmt.Sprintf("voter %q, want %q", got.Voter, want.Voter))
	}
	if got.Group != want.Group {
		d = append(d, fmt.Sprintf("group %q, want %q", got.Group, want.Group))
	}
	if !slices.Equal(got.Choices, want.Choices) && (len(got.Choices) > 0 || len(want.Choices) > 0) {
		d = append(d, fmt.Sprintf("choices %v, want %v", got.Choices, want.Choices))
	}
	if len(want.Points) > 0 && !slices.Equal(got.Points, want.Points) {
		d = append(d, fmt.Sprintf("points %v, want %v", got.Points, want.Points))
	}
	if s := timeDiff(got.CastAt, want.CastAt); s != "" {
		d = append(d, "cast at "+s)
	}
	return strings.Join(d, "; ")
}

func mustBallot(t testing.TB, op string, got, want polls.Ballot) {
	t.Helper()
	if d := ballotDiff(got, want); d != "" {
		t.Fatalf("%s: ballot differs: %s", op, d)
	}
}

// flatTally is a tally in its flat-map form without zero entries, which
// makes tallies comparable whatever empty maps or slices they carry.
func flatTally(t polls.Tally) map[string]int64 {
	out := map[string]int64{}
	for g, n := range t.Ballots {
		if n != 0 {
			out[polls.TallyBallotsField(g)] = n
		}
	}
	for g, pts := range t.Points {
		for i, n := range pts {
			if n != 0 {
				out[polls.TallyField(i, g)] = n
			}
		}
	}
	return out
}

// tallyDiff lists the counts in which got differs from want.
func tallyDiff(got, want polls.Tally) []string {
	g, w := flatTally(got), flatTally(want)
	var d []string
	for _, k := range slices.Sorted(maps.Keys(mergeKeys(g, w))) {
		if g[k] != w[k] {
			d = append(d, fmt.Sprintf("%s = %d, want %d", k, g[k], w[k]))
		}
	}
	return d
}

func mergeKeys(a, b map[string]int64) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}

// mustVoteTally checks the tally a vote returned (polls.VoteResult.Tally)
// against a read of the tally after it, counts and version. Nothing else
// writes the poll meanwhile in the tests that call it.
func mustVoteTally(t testing.TB, op string, s polls.Store, k polls.Key, r polls.VoteResult) {
	t.Helper()
	if r.Tally == nil {
		t.Fatalf("%s: no tally returned", op)
	}
	got, err := s.Tally(context.Background(), k.Tenant, k.ID)
	must(t, op+": Tally", err)
	if d := tallyDiff(*r.Tally, got); len(d) > 0 {
		t.Fatalf("%s: the tally returned differs from the tally read after:\n\t%s", op, strings.Join(d, "\n\t"))
	}
	if r.Tally.Version != got.Version || r.Version != got.Version {
		t.Fatalf("%s: returned tally version %d (result's %d), read %d", op, r.Tally.Version, r.Version, got.Version)
	}
	for g, pts := range r.Tally.Points {
		if len(pts) != len(got.Points[g]) {
			t.Fatalf("%s: returned tally has %d themes for %s, read %d", op, len(pts), g, len(got.Points[g]))
		}
	}
}

func mustTally(t testing.TB, op string, s polls.Store, k polls.Key, want polls.Tally) {
	t.Helper()
	got, err := s.Tally(context.Background(), k.Tenant, k.ID)
	must(t, op+": Tally", err)
	if d := tallyDiff(got, want); len(d) > 0 {
		t.Fatalf("%s: tally differs:\n\t%s", op, strings.Join(d, "\n\t"))
	}
}

// counts is one group's line of a tally counted by hand: its ballots and
// its points per theme.
type counts struct {
	n   int64
	pts []int64
}

// tallyOf builds the exact tally a store must keep from hand counts.
func tallyOf(themes int, entries map[polls.Group]counts) polls.Tally {
	t := polls.NewTally()
	for g, e := range entries {
		t.Ballots[g] = e.n
		pts := make([]int64, themes)
		copy(pts, e.pts)
		t.Points[g] = pts
	}
	return t
}

// model is what a poll's ballots should be; the tally it implies is
// computed with polls.Tally.Add over them.
type model struct {
	p       *polls.Poll
	ballots map[string]polls.Ballot
}

func newModel(p *polls.Poll) *model { return &model{p: p, ballots: map[string]polls.Ballot{}} }

func (m *model) tally() polls.Tally {
	t := polls.NewTally()
	for _, b := range m.ballots {
		t.Add(m.p, b, +1)
	}
	return t
}

// check verifies the store's tally, the Ballots stream (every ballot
// exactly once) and, for small polls, each voter's Ballot against the
// model.
func (m *model) check(t testing.TB, op string, s polls.Store) {
	t.Helper()
	k := m.p.Key()
	mustTally(t, op, s, k, m.tally())
	seen := map[string]bool{}
	err := s.Ballots(context.Background(), k.Tenant, k.ID, func(b polls.Ballot) error {
		if seen[b.Voter] {
			return fmt.Errorf("voter %q streamed twice", b.Voter)
		}
		seen[b.Voter] = true
		want, ok := m.ballots[b.Voter]
		if !ok {
			return fmt.Errorf("unexpected ballot %+v", b)
		}
		if d := ballotDiff(b, want); d != "" {
			return fmt.Errorf("ballot of %q: %s", b.Voter, d)
		}
		return nil
	})
	must(t, op+": Ballots", err)
	if len(seen) != len(m.ballots) {
		t.Fatalf("%s: Ballots streamed %d ballots, want %d", op, len(seen), len(m.ballots))
	}
	if len(m.ballots) > 100 {
		return // the stream has shown every ballot; spare thousands of round trips
	}
	for v, want := range m.ballots {
		got, err := s.Ballot(context.Background(), k.Tenant, k.ID, v)
		must(t, fmt.Sprintf("%s: Ballot(%s)", op, v), err)
		mustBallot(t, fmt.Sprintf("%s: Ballot(%s)", op, v), got, want)
	}
}

// cast casts b and checks the ballot it replaced against the model, then
// records it.
func (m *model) cast(t testing.TB, s polls.Store, b polls.Ballot) {
	t.Helper()
	op := fmt.Sprintf("Cast(%s %s %v)", b.Voter, b.Group, b.Choices)
	b.Points = polls.Points(m.p.Kind, len(m.p.Themes), b.Choices)
	r, err := s.Cast(polls.WithVoteTally(context.Background()), m.p.Tenant, m.p.ID, b, "")
	must(t, op, err)
	mustVoteTally(t, op, s, m.p.Key(), r)
	prev := r.Prev
	if r.Ballot == nil {
		t.Fatalf("%s: no ballot returned", op)
	}
	mustBallot(t, op+": ballot", *r.Ballot, b)
	old, had := m.ballots[b.Voter]
	switch {
	case had && prev == nil:
		t.Fatalf("%s: no previous ballot returned, want %+v", op, old)
	case !had && prev != nil:
		t.Fatalf("%s: previous ballot %+v returned, want none", op, *prev)
	case had:
		mustBallot(t, op+": previous", *prev, old)
	}
	m.ballots[b.Voter] = b
}

func (m *model) retract(t testing.TB, s polls.Store, voter string) {
	t.Helper()
	op := fmt.Sprintf("Retract(%s)", voter)
	r, err := s.Retract(polls.WithVoteTally(context.Background()), m.p.Tenant, m.p.ID, voter, now(), "")
	_, want := m.ballots[voter]
	mustChanged(t, op, r.Prev != nil, err, want)
	mustVoteTally(t, op, s, m.p.Key(), r)
	delete(m.ballots, voter)
}

// jsonOf is v as JSON, for searching what a store returns.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	must(t, "json.Marshal", err)
	return string(b)
}

// ours keeps the keys of the given tenants, in order.
func ours(keys []polls.Key, tenants ...string) []string {
	var out []string
	for _, k := range keys {
		if slices.Contains(tenants, k.Tenant) {
			out = append(out, k.ID)
		}
	}
	return out
}
