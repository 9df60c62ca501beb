package msg

// The engine's replies to commands and clicks (bot/engine.go, votes.go,
// reports.go, scope.go).

// Votes and ballots (bot/votes.go). Choices is the ballot's themes, each
// a label or a Numbered label, joined with ItemSeparator.
var (
	VoteHeld        = Define1[string]("vote-held", "Poll")
	BallotNone      = Define1[string]("ballot-none", "Poll")
	BallotYours     = Define2[string, string]("ballot-yours", "Poll", "Choices")
	BallotRanking   = Define2[string, string]("ballot-ranking", "Poll", "Choices")
	BallotCountedAs = Define1[string]("ballot-counted-for", "Group")
	BallotReplaces  = Define("ballot-replaces")
	UnvoteRemoved   = Define1[string]("unvote-removed", "Poll")
	UnvoteWithdrawn = Define1[string]("unvote-held-withdrawn", "Poll")
	UnvoteNone      = Define1[string]("unvote-none", "Poll")
	// RankByText answers a click on a ranked poll's button where no form
	// can be shown.
	RankByText = Define1[string]("rank-by-text", "Poll")
)

// Announcements (bot/engine.go).
var DeadlineClosed = Define1[string]("poll-deadline-closed", "Poll")

// Reports, charts and exports (bot/reports.go).
var (
	// ReportRateLimited's Count is how many reports a minute allows.
	ReportRateLimited = Define2[string, int]("report-rate-limited", "Poll", "Count")
	ReportPrivate     = Define("report-private")
	ChartTitle        = Define1[string]("chart-title", "Title")
	ExportDone        = Define2[string, string]("export-done", "Poll", "File")
)

// Lists of polls (bot/scope.go). Command is the /poll command that shows
// another page, as typed ("list all --page 2").
var (
	ListTitleAll       = Define("list-title-all")
	ListTitleOpen      = Define("list-title-open")
	ListTitleClosed    = Define("list-title-closed")
	ListTitleCancelled = Define("list-title-cancelled")
	// ListLine is "K7QX · Theme for 2027 · open · 12 ballots".
	ListLine        = Define4[string, string, Message, Message]("list-line", "Poll", "Title", "Status", "Ballots")
	ListLineCloses  = Define2[string, Message]("list-line-closes", "Line", "When")
	ListLineIn      = Define2[string, string]("list-line-in", "Line", "Channel")
	ListMore        = Define2[int, string]("list-more-polls", "Count", "Command")
	ListNoPage      = Define2[int, string]("list-no-page", "Page", "Command")
	ListEmpty       = Define("list-empty")
	ListEmptyStatus = Define1[Message]("list-empty-status", "Status")
)

// Opening, closing, reopening, extending and cancelling a poll
// (bot/lifecycle.go). When is a When ("Wed 25 Nov 10:00 UTC (in 2d)");
// By is a duration as /poll extend takes it ("1d").
var (
	PollOpened      = Define1[string]("poll-opened", "Poll")
	PollAlready     = Define2[string, Message]("poll-already", "Poll", "Status")
	PollClosedNow   = Define1[string]("poll-closed-now", "Poll")
	PollCancelled   = Define1[string]("poll-cancelled", "Poll")
	ReopenedUntil   = Define2[string, Message]("reopened-until", "Poll", "When")
	ReopenedKeeps   = Define2[string, Message]("reopened-keeps", "Poll", "When")
	ReopenedNoLimit = Define1[string]("reopened-no-deadline", "Poll")
	Extended        = Define3[string, Message, string]("extended", "Poll", "When", "By")
	ExtendedNoLimit = Define2[string, Message]("extended-no-deadline", "Poll", "When")
	ExtendedPast    = Define2[string, Message]("extended-past-deadline", "Poll", "When")
	// RemindersNote tells the facilitator when the poll's reminders come:
	// Times is a list of durations before the deadline ("24h and 1h").
	RemindersNote   = Define2[string, string]("reminders-note", "Times", "Poll")
	UnscheduledNote = Define1[string]("reminders-unscheduled", "Poll")
)

// Presets (bot/lifecycle.go). Name and Title are the configuration's
// (user text); Count is the preset's number of themes.
var (
	PresetListHead    = Define("preset-list-head")
	PresetLine        = Define2[string, int64]("preset-line", "Name", "Count")
	PresetLineTitled  = Define3[string, string, int64]("preset-line-titled", "Name", "Title", "Count")
	ErrPresetNeedName = Define1[string]("err-preset-needs-name", "Presets")
	ErrUnknownPreset  = Define2[string, string]("err-unknown-preset", "Typed", "Presets")
)

// What a poll's manager may do, for the refusal of anyone else
// (ErrManagersOnly) and what facilitators alone may do
// (ErrFacilitatorsOnly).
var (
	ErrManagersOnly    = Define2[Message, string]("err-managers-only", "Verb", "Poll")
	VerbClose          = Define("verb-close")
	VerbCancel         = Define("verb-cancel")
	VerbReopen         = Define("verb-reopen")
	VerbExtend         = Define("verb-extend")
	VerbExportBallots  = Define("verb-export-ballots")
	VerbRemind         = Define("verb-remind")
	VerbAssignGroups   = Define("verb-assign-groups")
	ErrAssignNeedsUser = Define("err-assign-needs-user")
)

// Stakeholder groups (bot/groups.go). Group, Role and Before are group
// labels (user text); User is a user as typed (user text). Source is
// one of the Source* words.
var (
	GroupNone          = Define("group-none")
	GroupIs            = Define2[string, Message]("group-is", "Group", "Source")
	GroupNow           = Define1[string]("group-now", "Group")
	GroupRoleFirst     = Define2[string, string]("group-role-first", "Group", "Role")
	GroupBallotsStay   = Define1[string]("group-ballots-stay", "Before")
	SourceAssigned     = Define("group-source-assigned")
	SourceRole         = Define("group-source-role")
	SourceDeclared     = Define("group-source-declared")
	HeldFailed         = Define2[string, string]("held-vote-failed", "Poll", "Reason")
	HeldCounted        = Define("held-vote-counted")
	Assigned           = Define2[string, string]("assigned", "User", "Group")
	AssignedStay       = Define1[string]("assigned-ballots-stay", "Before")
	AssignedHeldFailed = Define2[string, string]("assigned-held-failed", "Poll", "Reason")
	AssignedHeldCount  = Define1[string]("assigned-held-counted", "Poll")
	AssignedAnonCount  = Define("assigned-anonymous-counted")
	AssignedAnonFailed = Define("assigned-anonymous-failed")
)

// Reminders (bot/remind.go). Title is the poll's title (user text);
// Group a group label (user text); When a When.
var (
	ReminderNoDeadline = Define2[string, string]("reminder-no-deadline", "Title", "Poll")
	ReminderCloses     = Define3[string, string, Message]("reminder-closes", "Title", "Poll", "When")
	ReminderNoBallots  = Define("reminder-no-ballots")
	ReminderSoFar      = Define2[Message, Message]("reminder-so-far", "Ballots", "Groups")
	// ReminderHeld's Count is the votes waiting for their voters' group.
	ReminderHeld       = Define1[int64]("reminder-held", "Count")
	ReminderGroupNeeds = Define2[string, int64]("reminder-group-needs", "Group", "More")
	ReminderBelow      = Define2[Message, string]("reminder-below-quorum", "Quorum", "Groups")
	ReminderAllQuorum  = Define1[Message]("reminder-all-quorum", "Quorum")
	ReminderAbsent     = Define2[string, int]("reminder-absent", "Groups", "Quorum")
	ReminderNearHead   = Define("reminder-near-head")
	ReminderNear       = Define3[string, Message, string]("reminder-near", "Theme", "More", "Group")
	ReminderNearMore   = Define2[int, string]("reminder-near-more", "Count", "Poll")
	ReminderHowButtons = Define1[string]("reminder-how", "Poll")
	ReminderHowRanked  = Define1[string]("reminder-how-ranked", "Poll")
	ReminderNotOpen    = Define2[string, Message]("reminder-not-open", "Poll", "Status")
	// ReminderRateLimited's Count is how many reminders an hour allows.
	ReminderRateLimited = Define2[int, string]("reminder-rate-limited", "Count", "Poll")
	ReminderPosted      = Define1[string]("reminder-posted", "Poll")
)
