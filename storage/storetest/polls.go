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
// newest first.
func testCreateGetList(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	base := now()

	a := newPoll(tn, "AAAA", polls.Approval, "Digital divide", "Cybersecurity", "AI governance")
	a.Title = "Priorities for the 2026 IGF — “main” session"
	a.OpenedAt = base.Add(2 * time.Second) // created first, opened last
	a.ClosesAt = base.Add(48 * time.Hour)
	a.Options = polls.Options{Anonymous: true, Results: polls.ResultsHidden, Quorum: 4, Threshold: 0.6, MaxChoices: 2}
	a.KeyFP = "0123456789abcdef"
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

	page, err := s.Polls(ctx, tn, polls.PollQuery{})
	must(t, "Polls", err)
	if page.Total != 3 {
		t.Fatalf("Polls: total %d, want 3", page.Total)
	}
	var ids []string
	for i, p := range page.Polls {
		ids = append(ids, p.ID)
		want := map[string]*polls.Poll{"AAAA": a, "BBBB": b, "CCCC": c}[p.ID]
		if want == nil {
			t.Fatalf("Polls: unexpected poll %s", p.ID)
		}
		mustPoll(t, fmt.Sprintf("Polls()[%d]", i), p, want)
	}
	if want := []string{"AAAA", "CCCC", "BBBB"}; !slices.Equal(ids, want) {
		t.Fatalf("Polls: ids %v, want %v (newest first)", ids, want)
	}

	dup := newPoll(tn, "AAAA", polls.Single, "Other")
	mustIs(t, "CreatePoll(duplicate id)", s.CreatePoll(ctx, dup), polls.ErrExists)
	mustPoll(t, "Poll(AAAA) after a duplicate create", getPoll(t, s, a.Key()), a)

	_, err = s.Poll(ctx, tn, "ZZZZ")
	mustIs(t, "Poll(unknown id)", err, polls.ErrNotFound)

	other := e.tenant(t)
	_, err = s.Poll(ctx, other, "AAAA")
	mustIs(t, "Poll(id of another tenant)", err, polls.ErrNotFound)
	page, err = s.Polls(ctx, other, polls.PollQuery{})
	must(t, "Polls(empty tenant)", err)
	if len(page.Polls) != 0 || page.Total != 0 {
		t.Fatalf("Polls(empty tenant): %+v, want none", page)
	}
	same := newPoll(other, "AAAA", polls.Approval, "Elsewhere")
	create(t, s, same)
	mustPoll(t, "Poll(same id, other tenant)", getPoll(t, s, same.Key()), same)
	mustPoll(t, "Poll(AAAA) after the other tenant's AAAA", getPoll(t, s, a.Key()), a)
}

// testListQueries: Polls selects by channel and status, follows status
// changes, pages newest first with offsets, and counts what the query
// selects; CountOpen counts the tenant's open polls.
func testListQueries(t *testing.T, e *env) {
	s, tn := e.store(t)
	ctx := t.Context()
	base := now().Add(-time.Hour)
	var all []string // newest first
	for i := range 12 {
		p := newPoll(tn, fmt.Sprintf("L%03d", i), polls.Approval, "One", "Two")
		p.OpenedAt = base.Add(time.Duration(i) * time.Second)
		p.Channel = []string{"C-A", "C-B", "C-A"}[i%3]
		create(t, s, p)
		all = append([]string{p.ID}, all...)
	}
	ids := func(q polls.PollQuery) ([]string, int) {
		t.Helper()
		page, err := s.Polls(ctx, tn, q)
		must(t, fmt.Sprintf("Polls(%+v)", q), err)
		var out []string
		for _, p := range page.Polls {
			if q.Channel != "" && p.Channel != q.Channel || q.Status != "" && p.Status != q.Status {
				t.Fatalf("Polls(%+v): %s is in %s, %s", q, p.ID, p.Channel, p.Status)
			}
			out = append(out, p.ID)
		}
		return out, page.Total
	}
	expect := func(q polls.PollQuery, want []string, total int) {
		t.Helper()
		got, n := ids(q)
		if !slices.Equal(got, want) || n != total {
			t.Fatalf("Polls(%+v) = %v (total %d), want %v (total %d)", q, got, n, want, total)
		}
	}
	expect(polls.PollQuery{Limit: 5}, all[:5], 12)
	expect(polls.PollQuery{Limit: 5, Offset: 5}, all[5:10], 12)
	expect(polls.PollQuery{Limit: 5, Offset: 10}, all[10:], 12)
	expect(polls.PollQuery{Limit: 5, Offset: 20}, nil, 12)
	expect(polls.PollQuery{Channel: "C-B"}, []string{"L010", "L007", "L004", "L001"}, 4)
	expect(polls.PollQuery{Channel: "C-NONE"}, nil, 0)

	for _, id := range []string{"L011", "L007", "L003"} {
		ok, err := s.ClosePoll(ctx, tn, id, polls.StatusClosed, now())
		mustChanged(t, "ClosePoll("+id+")", ok, err, true)
	}
	ok, err := s.ClosePoll(ctx, tn, "L006", polls.StatusCancelled, now())
	mustChanged(t, "Cancel(L006)", ok, err, true)
	expect(polls.PollQuery{Status: polls.StatusClosed}, []string{"L011", "L007", "L003"}, 3)
	expect(polls.PollQuery{Status: polls.StatusCancelled}, []string{"L006"}, 1)
	expect(polls.PollQuery{Status: polls.StatusOpen, Limit: 3}, []string{"L010", "L009", "L008"}, 8)
	expect(polls.PollQuery{Channel: "C-B", Status: polls.StatusOpen}, []string{"L010", "L004", "L001"}, 3)
	expect(polls.PollQuery{Channel: "C-A", Status: polls.StatusClosed}, []string{"L011", "L003"}, 2)
	n, err := s.CountOpen(ctx, tn)
	must(t, "CountOpen", err)
	if n != 8 {
		t.Fatalf("CountOpen = %d, want 8", n)
	}
	ok, err = s.Reopen(ctx, tn, "L007", time.Time{})
	mustChanged(t, "Reopen(L007)", ok, err, true)
	expect(polls.PollQuery{Channel: "C-B", Status: polls.StatusOpen}, []string{"L010", "L007", "L004", "L001"}, 4)
	expect(polls.PollQuery{Status: polls.StatusClosed}, []string{"L011", "L003"}, 2)
	if n, _ := s.CountOpen(ctx, tn); n != 9 {
		t.Fatalf("CountOpen after a reopen = %d, want 9", n)
	}
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
	_, err := s.Cast(t.Context(), tn, p.ID, b, "")
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
