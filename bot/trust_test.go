package bot_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

var testKey = []byte("a bot test pseudonym key of 32+ bytes")

// trustEngine is an engine over a fresh store with a pseudonym key, two
// facilitators and the given chart renderer (nil: none).
func trustEngine(t *testing.T, cfg bot.Config, chart bot.ChartFunc) (*bot.Engine, polls.Store) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg.Facilitators = append(cfg.Facilitators, "slack:UFAC")
	var opts []bot.EngineOption
	if chart != nil {
		opts = append(opts, bot.WithChart(chart))
	}
	svc := polls.NewService(st, polls.WithGroups(cfg.GroupList()), polls.WithPseudonymKey(testKey), polls.WithLimits(cfg.PollLimits()))
	return bot.New(svc, cfg, opts...), st
}

func slackReq(user, channel string) bot.Request {
	return bot.Request{Platform: "slack", Tenant: "slack:T1", User: user, Channel: channel, DirectMessage: strings.HasPrefix(channel, "D")}
}

func mustOpen(t *testing.T, e *bot.Engine, req bot.Request, cmd string) *polls.Poll {
	t.Helper()
	r := e.HandleText(context.Background(), req, cmd)
	if r.Err != nil || r.Opened == nil {
		t.Fatalf("%s: %s", cmd, text(r))
	}
	return r.Opened
}

// TestScope: a poll lives in its channel. From another channel it is not
// found (votes by text, reports, exports, closing), not listed, and
// --all lists every channel's polls for facilitators only; a facilitator
// reaches it from a direct message.
func TestScope(t *testing.T) {
	e, _ := trustEngine(t, bot.Config{}, nil)
	ctx := context.Background()
	creator := slackReq("UCREATOR", "CPRIVATE")
	p := mustOpen(t, e, creator, `open "Private channel poll" "A" "B"`)

	outsider := slackReq("UOUT", "CGENERAL")
	e.HandleText(ctx, outsider, "group academia")
	for _, cmd := range []string{"vote " + p.ID + " 1", "unvote " + p.ID, "report " + p.ID, "export " + p.ID, "export " + p.ID + " json"} {
		r := e.HandleText(ctx, outsider, cmd)
		if !errors.Is(r.Err, polls.ErrNotFound) || !strings.Contains(text(r), "There is no poll "+p.ID+" here") {
			t.Errorf("%s from another channel: %v, %q; want not found", cmd, r.Err, text(r))
		}
	}
	fromElsewhere := slackReq("UCREATOR", "CGENERAL")
	if r := e.HandleText(ctx, fromElsewhere, "close "+p.ID); !errors.Is(r.Err, polls.ErrNotFound) {
		t.Errorf("close from another channel: %v, %q", r.Err, text(r))
	}
	if r := e.HandleText(ctx, outsider, "list all"); strings.Contains(text(r), p.ID) {
		t.Errorf("list in another channel shows the poll: %q", text(r))
	}
	if r := e.HandleText(ctx, outsider, "list --all"); !errors.Is(r.Err, bot.ErrForbidden) {
		t.Errorf("list --all by a participant: %v, %q; want forbidden", r.Err, text(r))
	}
	if r := e.HandleText(ctx, creator, "list"); !strings.Contains(text(r), p.ID) {
		t.Errorf("list in the poll's channel: %q", text(r))
	}
	fac := slackReq("UFAC", "DFAC")
	if r := e.HandleText(ctx, fac, "list"); !strings.Contains(text(r), p.ID) || !strings.Contains(text(r), "<#CPRIVATE>") {
		t.Errorf("list by a facilitator in a DM: %q", text(r))
	}
	if r := e.HandleText(ctx, fac, "report "+p.ID); r.Err != nil {
		t.Errorf("report by a facilitator in a DM: %v %q", r.Err, text(r))
	}
	if r := e.HandleText(ctx, slackReq("UOUT", "DOUT"), "report "+p.ID); !errors.Is(r.Err, polls.ErrNotFound) {
		t.Errorf("report by a participant in a DM: %v, %q", r.Err, text(r))
	}
	// Inside its channel everything works.
	inside := slackReq("UOUT", "CPRIVATE")
	if r := e.HandleText(ctx, inside, "vote "+p.ID+" 1"); r.Err != nil {
		t.Errorf("vote in the poll's channel: %v %q", r.Err, text(r))
	}
}

// TestReplayedRequestsDoNothing: a request whose delivery was acted on
// (a platform's redelivery, or a captured request replayed) does nothing
// and says nothing, for commands, text votes, clicks and unvotes; a
// replayed single-choice click does not revert a newer choice.
func TestReplayedRequestsDoNothing(t *testing.T) {
	e, st := trustEngine(t, bot.Config{}, nil)
	ctx := context.Background()
	fac := slackReq("UFAC", "C1")
	fac.Delivery = "slack:sig:open-1"
	r1 := e.HandleText(ctx, fac, `open "Single" "A" "B" "C" --kind single`)
	r2 := e.HandleText(ctx, fac, `open "Single" "A" "B" "C" --kind single`)
	if r1.Opened == nil || r2.Opened != nil || !r2.Duplicate || len(r2.Replies) != 0 {
		t.Fatalf("replayed open: first %+v, second %+v", r1.Opened, r2)
	}
	if page, _ := e.OpenPolls(ctx, slackReq("UFAC", "C1"), "", 10); len(page) != 1 {
		t.Fatalf("replayed open made %d polls", len(page))
	}
	p := r1.Opened
	voter := slackReq("UV", "C1")
	e.HandleText(ctx, voter, "group academia")
	click := func(theme int, delivery string) bot.Response {
		req := voter
		req.Delivery = delivery
		return e.Act(ctx, req, bot.Action{Kind: bot.ActVote, Poll: p.ID, Theme: theme})
	}
	click(0, "slack:act:1")
	click(2, "slack:act:2")
	if r := click(0, "slack:act:1"); !r.Duplicate || len(r.Replies) != 0 {
		t.Errorf("replayed click: %+v", r)
	}
	b, err := st.Ballot(ctx, p.Tenant, p.ID, "UV")
	if err != nil || len(b.Choices) != 1 || b.Choices[0] != 2 {
		t.Fatalf("after a replayed older click: %+v %v; want the newer choice (theme 3) kept", b, err)
	}
	vote := voter
	vote.Delivery = "slack:sig:vote-1"
	if r := e.HandleText(ctx, vote, "vote "+p.ID+" 2"); r.Err != nil || r.Duplicate {
		t.Fatalf("text vote: %+v", r)
	}
	if r := e.HandleText(ctx, vote, "vote "+p.ID+" 2"); !r.Duplicate {
		t.Errorf("replayed text vote: %+v", r)
	}
	un := voter
	un.Delivery = "slack:sig:unvote-1"
	e.HandleText(ctx, un, "unvote "+p.ID)
	click(1, "slack:act:3")
	if r := e.HandleText(ctx, un, "unvote "+p.ID); !r.Duplicate {
		t.Errorf("replayed unvote: %+v", r)
	}
	if b, err := st.Ballot(ctx, p.Tenant, p.ID, "UV"); err != nil || b.Choices[0] != 1 {
		t.Errorf("a replayed unvote took back a later ballot: %+v %v", b, err)
	}
	g := voter
	g.Delivery = "slack:sig:group-1"
	e.HandleText(ctx, g, "group government")
	e.HandleText(ctx, voter, "group civil-society")
	if r := e.HandleText(ctx, g, "group government"); !r.Duplicate {
		t.Errorf("replayed group choice: %+v", r)
	}
}

// TestHeldVotes: clicks before a group pick accumulate, unvote withdraws
// them (and says so), and the pick then counts nothing.
func TestHeldVotes(t *testing.T) {
	e, st := trustEngine(t, bot.Config{}, nil)
	ctx := context.Background()
	p := mustOpen(t, e, slackReq("UFAC", "C1"), `open "Held" "A" "B" "C"`)
	newbie := slackReq("UNEW", "C1")
	for i, th := range []int{0, 2} {
		req := newbie
		req.Delivery = fmt.Sprintf("slack:act:%d", i)
		r := e.Act(ctx, req, bot.Action{Kind: bot.ActVote, Poll: p.ID, Theme: th})
		if !strings.Contains(text(r), "pick your stakeholder group") {
			t.Fatalf("click before a group: %q", text(r))
		}
	}
	r := e.HandleText(ctx, newbie, "group academia")
	if !strings.Contains(text(r), "Your held vote is now counted") {
		t.Fatalf("group pick: %q", text(r))
	}
	if b, err := st.Ballot(ctx, p.Tenant, p.ID, "UNEW"); err != nil || len(b.Choices) != 2 {
		t.Fatalf("two held clicks applied as %+v, %v; want both themes", b, err)
	}

	late := slackReq("ULATE", "C1")
	e.HandleText(ctx, late, "vote "+p.ID+" 2")
	r = e.HandleText(ctx, late, "unvote "+p.ID)
	if !strings.Contains(text(r), "was withdrawn") {
		t.Fatalf("unvote of a held vote: %q", text(r))
	}
	e.HandleText(ctx, late, "group government")
	if _, err := st.Ballot(ctx, p.Tenant, p.ID, "ULATE"); !errors.Is(err, polls.ErrNoBallot) {
		t.Fatalf("a withdrawn held vote was counted: %v", err)
	}
}

// TestAssignKeepsAnonymousPollsSecret: a facilitator assigning a user's
// group learns their held votes were counted, but not which anonymous
// poll one was in.
func TestAssignKeepsAnonymousPollsSecret(t *testing.T) {
	e, _ := trustEngine(t, bot.Config{}, nil)
	ctx := context.Background()
	fac := slackReq("UFAC", "C1")
	anon := mustOpen(t, e, fac, `open "Secret" "A" "B" --anonymous`)
	plain := mustOpen(t, e, fac, `open "Plain" "A" "B"`)
	shy := slackReq("USHY", "C1")
	e.HandleText(ctx, shy, "vote "+anon.ID+" 1")
	e.HandleText(ctx, shy, "vote "+plain.ID+" 2")
	r := e.HandleText(ctx, fac, "assign <@USHY> academia")
	got := text(r)
	if strings.Contains(got, anon.ID) {
		t.Errorf("assign names the anonymous poll: %q", got)
	}
	if !strings.Contains(got, plain.ID) || !strings.Contains(got, "anonymous polls") {
		t.Errorf("assign answer: %q", got)
	}
}

// TestListPages: list pages through the channel's polls.
func TestListPages(t *testing.T) {
	e, _ := trustEngine(t, bot.Config{Limits: bot.Limits{OpenPolls: -1, OpensPerHour: -1}}, nil)
	ctx := context.Background()
	fac := slackReq("UFAC", "C1")
	for i := range 45 {
		mustOpen(t, e, fac, fmt.Sprintf(`open "Poll %d" "A" "B"`, i))
	}
	// Polls opened within one millisecond are ordered by id, so count
	// rather than name them.
	seen := map[string]bool{}
	for page, want := range map[int]int{1: 20, 2: 20, 3: 5} {
		r := e.HandleText(ctx, fac, fmt.Sprintf("list --page %d", page))
		got := text(r)
		if n := strings.Count(got, " · open · "); n != want {
			t.Errorf("page %d lists %d polls, want %d: %q", page, n, want, got)
		}
		if more := strings.Contains(got, fmt.Sprintf("more: /poll list --page %d", page+1)); more != (page < 3) {
			t.Errorf("page %d: next page offered %v: %q", page, more, got)
		}
		for _, l := range strings.Split(got, "\n") {
			if id, _, ok := strings.Cut(strings.TrimSpace(l), " · "); ok {
				if seen[id] {
					t.Errorf("poll %s on two pages", id)
				}
				seen[id] = true
			}
		}
	}
	if len(seen) != 45 {
		t.Errorf("the pages list %d polls, want 45", len(seen))
	}
}

// TestOpenLimitsFromConfig: the configured caps refuse with a clear
// message.
func TestOpenLimitsFromConfig(t *testing.T) {
	e, _ := trustEngine(t, bot.Config{Limits: bot.Limits{OpenPolls: 2}}, nil)
	ctx := context.Background()
	fac := slackReq("UFAC", "C1")
	mustOpen(t, e, fac, `open "One" "A" "B"`)
	mustOpen(t, e, fac, `open "Two" "A" "B"`)
	r := e.HandleText(ctx, fac, `open "Three" "A" "B"`)
	if !errors.Is(r.Err, polls.ErrLimit) || !strings.Contains(text(r), "already has 2 open polls") {
		t.Errorf("third open: %v %q", r.Err, text(r))
	}
}

// TestReportsLimitedAndChartsCached: a poll's chart is drawn once per
// tally version, and public reports of one poll are rate-limited.
func TestReportsLimitedAndChartsCached(t *testing.T) {
	var drawn atomic.Int64
	e, _ := trustEngine(t, bot.Config{}, func(w io.Writer, r *polls.Report, g *polls.Groups) error {
		drawn.Add(1)
		_, err := io.WriteString(w, "png")
		return err
	})
	ctx := context.Background()
	fac := slackReq("UFAC", "C1")
	p := mustOpen(t, e, fac, `open "Charted" "A" "B"`)
	voter := slackReq("UV", "C1")
	e.HandleText(ctx, voter, "group academia")
	e.HandleText(ctx, voter, "vote "+p.ID+" 1")
	for range 3 {
		if r := e.HandleText(ctx, voter, "report "+p.ID); r.Err != nil || len(r.Replies[0].Files) != 1 {
			t.Fatalf("report: %v %q", r.Err, text(r))
		}
	}
	if n := drawn.Load(); n != 1 {
		t.Errorf("three reports of one tally drew %d charts, want 1", n)
	}
	e.HandleText(ctx, voter, "vote "+p.ID+" 2")
	e.HandleText(ctx, voter, "report "+p.ID)
	if n := drawn.Load(); n != 2 {
		t.Errorf("a report after a vote drew %d charts in all, want 2", n)
	}
	for range 2 {
		e.HandleText(ctx, voter, "report "+p.ID)
	}
	r := e.HandleText(ctx, voter, "report "+p.ID) // the 7th in a minute
	if len(r.Replies) != 1 || r.Replies[0].Visibility != bot.Ephemeral || !strings.Contains(text(r), "in the last minute") {
		t.Errorf("7th report in a minute: %q", text(r))
	}
}
