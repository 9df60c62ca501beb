package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// testCreateGetList: every field of a poll round-trips; ids are unique per
// tenant (ErrExists) and not across tenants; Polls lists by open time,
// oldest first.
func testCreateGetList(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	base := now()

	a := newPoll(tn, "AAAA", polls.Approval, "Digital divide", "Cybersecurity", "AI governance")
	a.Title = "Priorities for the 2026 IGF — “main” session"
	a.OpenedAt = base.Add(2 * time.Second) // created first, opened last
	a.ClosesAt = base.Add(48 * time.Hour)
	a.Options = polls.Options{Anonymous: true, Results: polls.ResultsHidden, Quorum: 4, Threshold: 0.6, MaxChoices: 2}
	a.Messages = []polls.MessageRef{{Platform: "slack", Channel: "C1", Message: "1712345678.000100"}}
	b := newPoll(tn, "BBBB", polls.Ranked, "Access", "Rights", "Trust", "Data flows")
	b.OpenedAt = base
	c := newPoll(tn, "CCCC", polls.Single, "Yes", "No")
	c.OpenedAt = base.Add(time.Second)
	c.Creator, c.Channel = "discord:123456789", ""

	for _, p := range []*polls.Poll{a, b, c} {
		create(t, s, p)
	}
	for _, p := range []*polls.Poll{a, b, c} {
		mustPoll(t, "Poll("+p.ID+")", getPoll(t, s, p.Key()), p)
	}

	list, err := s.Polls(ctx, tn)
	must(t, "Polls", err)
	var ids []string
	for i, p := range list {
		ids = append(ids, p.ID)
		want := map[string]*polls.Poll{"AAAA": a, "BBBB": b, "CCCC": c}[p.ID]
		if want == nil {
			t.Fatalf("Polls: unexpected poll %s", p.ID)
		}
		mustPoll(t, fmt.Sprintf("Polls()[%d]", i), p, want)
	}
	if want := []string{"BBBB", "CCCC", "AAAA"}; !slices.Equal(ids, want) {
		t.Fatalf("Polls: ids %v, want %v (oldest first)", ids, want)
	}

	dup := newPoll(tn, "AAAA", polls.Single, "Other")
	mustIs(t, "CreatePoll(duplicate id)", s.CreatePoll(ctx, dup), polls.ErrExists)
	mustPoll(t, "Poll(AAAA) after a duplicate create", getPoll(t, s, a.Key()), a)

	_, err = s.Poll(ctx, tn, "ZZZZ")
	mustIs(t, "Poll(unknown id)", err, polls.ErrNotFound)

	other := e.tenant(t)
	_, err = s.Poll(ctx, other, "AAAA")
	mustIs(t, "Poll(id of another tenant)", err, polls.ErrNotFound)
	list, err = s.Polls(ctx, other)
	must(t, "Polls(empty tenant)", err)
	if len(list) != 0 {
		t.Fatalf("Polls(empty tenant): %d polls, want none", len(list))
	}
	same := newPoll(other, "AAAA", polls.Approval, "Elsewhere")
	create(t, s, same)
	mustPoll(t, "Poll(same id, other tenant)", getPoll(t, s, same.Key()), same)
	mustPoll(t, "Poll(AAAA) after the other tenant's AAAA", getPoll(t, s, a.Key()), a)
}

// testTimesUTC: stores keep times at millisecond precision and return
// them in UTC, whatever zone they were given in.
func testTimesUTC(t *testing.T, e *env) {
	s, tn := e.store(t)
	zone := time.FixedZone("UTC+5:30", 5*3600+1800)
	p := newPoll(tn, "TIME", polls.Approval, "One", "Two")
	p.OpenedAt = time.Date(2026, 3, 1, 9, 30, 15, 123_000_000, zone)
	p.ClosesAt = time.Date(2099, 3, 3, 17, 0, 0, 999_000_000, zone)
	create(t, s, p)
	got := getPoll(t, s, p.Key())
	mustPoll(t, "Poll", got, p)
	if !got.ClosedAt.IsZero() {
		t.Fatalf("Poll: ClosedAt %s, want zero", got.ClosedAt)
	}

	b := ballot("U1", gov, 0)
	b.CastAt = time.Date(2026, 3, 1, 10, 0, 0, 7_000_000, zone)
	_, err := s.Cast(t.Context(), tn, p.ID, b)
	must(t, "Cast", err)
	gb, err := s.Ballot(t.Context(), tn, p.ID, "U1")
	must(t, "Ballot", err)
	mustBallot(t, "Ballot", gb, b)
}

// testMessages: SetMessage adds a message per platform and channel and
// replaces the one already there for the same pair.
func testMessages(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	p := newPoll(tn, "MSGS", polls.Approval, "One", "Two")
	create(t, s, p)
	set := func(platform, channel, msg string) {
		t.Helper()
		must(t, "SetMessage("+platform+" "+channel+")", s.SetMessage(ctx, tn, p.ID, polls.MessageRef{Platform: platform, Channel: channel, Message: msg}))
	}
	set("slack", "C1", "111.1")
	set("discord", "900", "5001")
	set("slack", "C1", "222.2")
	set("slack", "C2", "333.3")
	got := getPoll(t, s, p.Key()).Messages
	key := func(m polls.MessageRef) string { return m.Platform + " " + m.Channel + " " + m.Message }
	var keys []string
	for _, m := range got {
		keys = append(keys, key(m))
	}
	slices.Sort(keys)
	want := []string{"discord 900 5001", "slack C1 222.2", "slack C2 333.3"}
	if !slices.Equal(keys, want) {
		t.Fatalf("messages:\n\t%s\nwant:\n\t%s", strings.Join(keys, "\n\t"), strings.Join(want, "\n\t"))
	}
	mustIs(t, "SetMessage(unknown poll)", s.SetMessage(ctx, tn, "ZZZZ", polls.MessageRef{Platform: "slack", Channel: "C1", Message: "1"}), polls.ErrNotFound)
}
