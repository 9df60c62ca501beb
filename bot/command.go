package bot

import (
	"time"

	"github.com/pollbot/pollbot/polls"
)

// Command is one parsed /poll command. The concrete types below are the whole
// grammar of /poll (see the command table, commands.go). String renders a command back to canonical
// text that Parse reads as the same command.
type Command interface {
	// Name is the subcommand word: "open", "vote", ...
	Name() string
	String() string
}

// Deadline is when a poll closes: a duration from now, or a time. The zero
// Deadline means none.
type Deadline struct {
	In time.Duration // "48h", "90m", "2d"
	At time.Time     // "2026-12-01T15:00Z" (UTC)
}

// IsZero reports whether no deadline was given.
func (d Deadline) IsZero() bool { return d.In == 0 && d.At.IsZero() }

// Time resolves the deadline against now; zero if none.
func (d Deadline) Time(now time.Time) time.Time {
	switch {
	case d.In > 0:
		return now.Add(d.In)
	case !d.At.IsZero():
		return d.At
	}
	return time.Time{}
}

// OpenOptions are the --flags of open and preset. Zero values mean "the
// default".
type OpenOptions struct {
	Kind        polls.Kind // --kind approval|single|ranked
	Closes      Deadline   // --closes 48h | 2026-12-01T15:00Z
	Anonymous   bool       // --anonymous
	HideResults bool       // --hide-results
	Quorum      int        // --quorum N (N >= 1)
	Threshold   float64    // --threshold 0.6 (0 < t <= 1)
	MaxChoices  int        // --max-choices N (N >= 1)
	MinGroups   int        // --min-groups K (K >= 1)
	// Remind is --remind 24h,1h: how long before the deadline reminders
	// come, longest first. Nil means the configured default; empty
	// (--remind none) means none.
	Remind []time.Duration
}

type (
	// Help: /poll help [TOPIC]
	Help struct{ Topic string }
	// Open: /poll open "Title" "Theme" ... [options]
	Open struct {
		Title  string
		Themes []string
		Opts   OpenOptions
	}
	// Preset: /poll preset NAME [options]
	Preset struct {
		Preset string
		Opts   OpenOptions
	}
	// List: /poll list [open|closed|cancelled|all] [--all] [--page N];
	// Status "" means open. All lists every channel's polls
	// (facilitators); Page counts from 1 (0 means 1).
	List struct {
		Status string
		All    bool
		Page   int
	}
	// Vote: /poll vote ID THEME... (a theme by 1-based number or label)
	Vote struct {
		Poll   string
		Themes []string
	}
	// Unvote: /poll unvote ID
	Unvote struct{ Poll string }
	// Group: /poll group [GROUP]; Group "" shows the sender's group.
	Group struct{ Group string }
	// Assign: /poll assign @user GROUP
	Assign struct {
		User  string // as typed: "@alice", "<@U123>", "<@!456>"
		Group string
	}
	// Close: /poll close ID
	Close struct{ Poll string }
	// Reopen: /poll reopen ID [DURATION]; For, when set, is the new
	// deadline from now (else a deadline still ahead is kept).
	Reopen struct {
		Poll string
		For  time.Duration
	}
	// Cancel: /poll cancel ID
	Cancel struct{ Poll string }
	// Extend: /poll extend ID DURATION
	Extend struct {
		Poll string
		By   time.Duration
	}
	// Report: /poll report ID
	Report struct{ Poll string }
	// Remind: /poll remind ID
	Remind struct{ Poll string }
	// Export: /poll export ID [csv|json|md] [ballots|tally]
	Export struct {
		Poll    string
		Format  string // "csv" (default), "json", "md"
		Ballots bool   // ballots rather than the tally
	}
)

func (Help) Name() string   { return "help" }
func (Open) Name() string   { return "open" }
func (Preset) Name() string { return "preset" }
func (List) Name() string   { return "list" }
func (Vote) Name() string   { return "vote" }
func (Unvote) Name() string { return "unvote" }
func (Group) Name() string  { return "group" }
func (Assign) Name() string { return "assign" }
func (Close) Name() string  { return "close" }
func (Reopen) Name() string { return "reopen" }
func (Cancel) Name() string { return "cancel" }
func (Extend) Name() string { return "extend" }
func (Report) Name() string { return "report" }
func (Remind) Name() string { return "remind" }
func (Export) Name() string { return "export" }
