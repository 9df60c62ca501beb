package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

// recordingMetrics is a bot.Metrics that keeps what it was told.
type recordingMetrics struct {
	mu       sync.Mutex
	votes    []string // "platform/outcome"
	commands []string // "platform/command/failed"
}

func (m *recordingMetrics) Vote(platform, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.votes = append(m.votes, platform+"/"+outcome)
}

func (m *recordingMetrics) Command(platform, command string, d time.Duration, failed bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if d < 0 {
		panic("negative duration")
	}
	m.commands = append(m.commands, fmt.Sprintf("%s/%s/%v", platform, command, failed))
}

func (m *recordingMetrics) take() (votes, commands []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	votes, commands = m.votes, m.commands
	m.votes, m.commands = nil, nil
	return votes, commands
}

func TestMetricsVotesAndCommands(t *testing.T) {
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m := &recordingMetrics{}
	cfg := bot.Config{Facilitators: []string{"slack:F"}}
	e := bot.New(polls.NewService(st, polls.WithGroups(cfg.GroupList())), cfg, bot.WithMetrics(m))
	ctx := context.Background()
	fac := bot.Request{Platform: "slack", Tenant: "slack:T", User: "F", Channel: "C"}
	voter := bot.Request{Platform: "slack", Tenant: "slack:T", User: "U1", Channel: "C"}

	r := e.HandleText(ctx, fac, `open "T" "A" "B"`)
	if r.Err != nil {
		t.Fatal(text(r))
	}
	id := r.Opened.ID
	_, cmds := m.take()
	if !slices.Equal(cmds, []string{"slack/open/false"}) {
		t.Errorf("open: commands %q", cmds)
	}

	// A voter without a group is held, then counted when they pick one.
	e.Act(ctx, voter, bot.Action{Kind: bot.ActVote, Poll: id, Theme: 0})
	e.Act(ctx, voter, bot.Action{Kind: bot.ActGroup, Group: "academia"})
	votes, cmds := m.take()
	if want := []string{"slack/held", "slack/cast"}; !slices.Equal(votes, want) {
		t.Errorf("held then picked: votes %q, want %q", votes, want)
	}
	if want := []string{"slack/click:vote/false", "slack/click:group/false"}; !slices.Equal(cmds, want) {
		t.Errorf("clicks: commands %q, want %q", cmds, want)
	}

	// Refusals carry their reason.
	e.HandleText(ctx, voter, "vote "+id+" Z")
	e.HandleText(ctx, voter, "vote NOPE 1")
	e.HandleText(ctx, voter, "vote")
	e.HandleText(ctx, fac, "close "+id)
	e.Act(ctx, voter, bot.Action{Kind: bot.ActVote, Poll: id, Theme: 1})
	votes, cmds = m.take()
	if want := []string{"slack/unknown_theme", "slack/unknown_poll", "slack/closed"}; !slices.Equal(votes, want) {
		t.Errorf("refusals: votes %q, want %q", votes, want)
	}
	if want := []string{"slack/vote/true", "slack/vote/true", "slack/invalid/true", "slack/close/false", "slack/click:vote/true"}; !slices.Equal(cmds, want) {
		t.Errorf("refusals: commands %q, want %q", cmds, want)
	}
}

func TestVoteOutcome(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, bot.OutcomeCast},
		{fmt.Errorf("cast: %w", polls.ErrPastDeadline), "past_deadline"},
		{&polls.Error{Kind: polls.ErrTooManyChoices, Code: polls.CodeMaxChoices}, "too_many_choices"},
		{context.DeadlineExceeded, "timeout"},
		{errors.New("dial tcp: connection refused"), "store_error"},
	} {
		if got := bot.VoteOutcome(tc.err); got != tc.want {
			t.Errorf("VoteOutcome(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
