package bot

import (
	"math"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

func viewEngine(t *testing.T) *Engine {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{}
	return New(polls.NewService(st, polls.WithGroups(cfg.GroupList())), cfg)
}

func viewPoll(id string) *polls.Poll {
	p := &polls.Poll{ID: id, Tenant: "slack:T1", Title: "Theme of the year", Kind: polls.Approval,
		Themes: []polls.Theme{{Label: "DNSSEC"}, {Label: "*BCP38*"}, {Label: "DNS abuse"}}, Status: polls.StatusOpen,
		OpenedAt: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	p.Normalize()
	return p
}

// TestPollViewCache: a poll object's second view reuses the words of its
// first and equals what an engine that never saw the poll builds; a view
// changed by its caller does not leak into the next; a poll object
// changed in place is worded afresh; the cache stays within its bound.
func TestPollViewCache(t *testing.T) {
	e := viewEngine(t)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	tally := polls.NewTally()
	tally.Ballots["academia"] = 2
	p := viewPoll("VC01")

	first := e.pollView(p, tally, now)
	sv, _ := e.views.Get(p)
	if sv == nil {
		t.Fatal("the view's words were not kept")
	}
	first.Controls[0].Label = "changed by an adapter"
	second := e.pollView(p, tally, now)
	if got, _ := e.views.Get(p); got != sv {
		t.Error("the second view of the same poll object worded it again")
	}
	fresh := viewEngine(t).pollView(viewPoll("VC01"), tally, now)
	if !reflect.DeepEqual(second, fresh) {
		t.Errorf("cached view\n%+v\nfresh view\n%+v", second, fresh)
	}

	p.Title = "Renamed"
	p.Status = polls.StatusClosed
	p.ClosedAt = now
	closed := e.pollView(p, tally, now)
	if closed.Title != UserText("Renamed") || len(closed.Controls) != 0 || closed.Footer == second.Footer {
		t.Errorf("a poll changed in place shows %q, %d controls, footer %q", closed.Title, len(closed.Controls), closed.Footer)
	}

	for i := range viewCacheMax + 10 {
		e.pollView(viewPoll("B"+string(rune('A'+i%26))), tally, now)
	}
	if n := e.views.Len(); n > viewCacheMax {
		t.Errorf("view cache holds %d polls, bound %d", n, viewCacheMax)
	}
}

// TestViewWordsCache: the counts, bars and participation line a view
// words through the engine's caches (wordsCache, viewBars) read as an
// engine that never worded them words them, for approval and ranked polls
// and for groups the engine does not know; the caches stay bounded.
func TestViewWordsCache(t *testing.T) {
	e := viewEngine(t)
	now := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	for _, kind := range []polls.Kind{polls.Approval, polls.Ranked} {
		p := viewPoll("VW01")
		p.Kind = kind
		for n := range int64(30) {
			tally := polls.NewTally()
			tally.Ballots["academia"] = n
			tally.Ballots["government"] = n / 2
			tally.Ballots["unlisted"] = n % 3
			tally.Points["academia"] = []int64{n, n / 3, 0}
			tally.Points["government"] = []int64{0, n / 2, n % 4}
			// Twice: the second from the caches.
			e.pollView(p, tally, now)
			got := e.pollView(p, tally, now)
			want := viewEngine(t).pollView(p, tally, now)
			if !reflect.DeepEqual(got.Themes, want.Themes) || got.ParticipationText != want.ParticipationText {
				t.Fatalf("%s, n=%d: cached words\n%+v\n%q\nfresh\n%+v\n%q", kind, n, got.Themes, got.ParticipationText, want.Themes, want.ParticipationText)
			}
		}
	}
	for share := 0.0; share <= 1; share += 0.01 {
		full := int(math.Round(share * viewBarWidth))
		if got, want := Bar(share, viewBarWidth), drawBar(full, viewBarWidth); got != want {
			t.Errorf("Bar(%v) = %q, want %q", share, got, want)
		}
	}
	for i := range wordsCacheMax + 10 {
		e.counts.get(countKey{n: float64(i)}, func() string { return "x" })
	}
	if n := e.counts.Len(); n > wordsCacheMax {
		t.Errorf("count words cache holds %d entries, bound %d", n, wordsCacheMax)
	}
}

// TestBallotTextCache: a ballot confirmation worded from the engine's
// cache (ballotKey) reads as an engine that never worded it words it, for
// approval and ranked ballots, known and unknown groups, with and without
// a replaced ballot; a poll changed in place is worded afresh; ballots
// the key cannot hold are still worded.
func TestBallotTextCache(t *testing.T) {
	e := viewEngine(t)
	ballots := []polls.Ballot{
		{Voter: "U1", Group: "academia", Choices: []int{0}},
		{Voter: "U1", Group: "academia", Choices: []int{0, 2}},
		{Voter: "U1", Group: "academia", Choices: []int{2, 0}},
		{Voter: "U2", Group: "government", Choices: []int{1}},
		{Voter: "U3", Group: "unlisted", Choices: []int{1, 2}},
	}
	check := func(p *polls.Poll) {
		t.Helper()
		for _, b := range ballots {
			for _, replaced := range []bool{false, true} {
				e.ballotText(p, b, replaced)
				got := e.ballotText(p, b, replaced)
				fresh := viewPoll(p.ID)
				fresh.Kind = p.Kind
				want := viewEngine(t).ballotText(fresh, b, replaced)
				if got != want {
					t.Fatalf("%s ballot %v in %s (replaced %v): cached %q, fresh %q", p.Kind, b.Choices, b.Group, replaced, got, want)
				}
			}
		}
	}
	p := viewPoll("BT01")
	check(p)
	if e.ballots.Len() == 0 {
		t.Fatal("no confirmation was kept")
	}
	p.Kind = polls.Ranked // in place: numbered from now on
	check(p)

	// More choices than the key holds: worded, not kept.
	many := viewPoll("BT02")
	for len(many.Themes) < polls.MaxThemes+1 {
		many.Themes = append(many.Themes, polls.Theme{Label: "T" + string(rune('A'+len(many.Themes)))})
	}
	b := polls.Ballot{Voter: "U1", Group: "academia"}
	for i := range many.Themes {
		b.Choices = append(b.Choices, i)
	}
	before := e.ballots.Len()
	if got := e.ballotText(many, b, false); got == "" || e.ballots.Len() != before {
		t.Errorf("a %d-choice ballot: %q, %d confirmations kept (was %d)", len(b.Choices), got, e.ballots.Len(), before)
	}
}
