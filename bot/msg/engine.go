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
