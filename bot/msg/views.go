package msg

// The words of the views the engine builds (bot/views.go) and of their
// plain-text rendering (bot/text.go): a poll's message, the chat report,
// the group picker, and the dates, durations and words they share.

// Poll kinds and statuses as words: "a ranked poll", "poll K7QX is
// closed". Unworded is a value this version has no word for, by its id.
var (
	KindApproval        = Define("kind-approval")
	KindSingle          = Define("kind-single")
	KindRanked          = Define("kind-ranked")
	Unworded            = Define1[string]("unworded", "ID")
	PollStatusOpen      = Define("poll-status-open")
	PollStatusClosed    = Define("poll-status-closed")
	PollStatusCancelled = Define("poll-status-cancelled")
)

// How to vote, by kind (PollView.KindText).
var (
	HowSingle      = Define("how-single")
	HowRanked      = Define("how-ranked")
	HowApprovalMax = Define1[int]("how-approval-max", "Max")
	HowApproval    = Define("how-approval")
	HowAnonymous   = Define("how-anonymous")
)

// A poll's status line (PollView.StatusText). When is a When.
var (
	StatusOpenCloses     = Define1[Message]("status-open-closes", "When")
	StatusOpenNoDeadline = Define("status-open-no-deadline")
	StatusClosedAt       = Define1[Message]("status-closed-at", "When")
	StatusCancelled      = Define("status-cancelled")
)

// Dates and durations. DateTime is "Wed 25 Nov 10:00 UTC", TimeUTC
// "2026-11-25 10:00 UTC" (Date and Time in digits); WhenIn and WhenAgo add
// the distance from now, a Duration* ("2d 3h").
var (
	DateTime = Define4[Message, int, Message, string]("date-time", "Weekday", "Day", "Month", "Time")
	TimeUTC  = Define2[string, string]("time-utc", "Date", "Time")
	WhenIn   = Define2[Message, Message]("when-in", "Time", "In")
	WhenAgo  = Define2[Message, Message]("when-ago", "Time", "Ago")

	DurationDaysHours    = Define2[int64, int64]("duration-days-hours", "Days", "Hours")
	DurationDays         = Define1[int64]("duration-days", "Days")
	DurationHoursMinutes = Define2[int64, int64]("duration-hours-minutes", "Hours", "Minutes")
	DurationHours        = Define1[int64]("duration-hours", "Hours")
	DurationMinutes      = Define1[int64]("duration-minutes", "Minutes")
	DurationSeconds      = Define1[int64]("duration-seconds", "Seconds")
)

// Weekdays and months, short, as DateTime shows them; in time.Weekday and
// time.Month order.
var (
	Weekdays = [7]Def0{
		Define("weekday-sun"), Define("weekday-mon"), Define("weekday-tue"), Define("weekday-wed"),
		Define("weekday-thu"), Define("weekday-fri"), Define("weekday-sat"),
	}
	Months = [12]Def0{
		Define("month-jan"), Define("month-feb"), Define("month-mar"), Define("month-apr"),
		Define("month-may"), Define("month-jun"), Define("month-jul"), Define("month-aug"),
		Define("month-sep"), Define("month-oct"), Define("month-nov"), Define("month-dec"),
	}
)

// Separators and joins the views share. SentenceJoin puts a sentence
// after another; Dot separates the parts of a line ("Poll K7QX · open");
// ItemSeparator items that may hold commas, such as a ballot's choices
// ("DNSSEC; DNS abuse").
var (
	SentenceJoin  = Define2[string, string]("sentence-join", "First", "Next")
	Dot           = Define("separator-dot")
	ItemSeparator = Define("separator-item")
	// Numbered is a theme with its number: "2. DNS abuse".
	Numbered = Define2[int, string]("numbered", "Number", "Label")
	// Heading ends a list's title: "Open polls:".
	Heading = Define1[string]("heading", "Title")
)

// A poll's message (PollView).
var (
	// CountVotes is a theme's votes; CountPoints a ranked poll's points
	// (numbers formatted by numfmt).
	CountVotes  = Define1[string]("count-votes", "Count")
	CountPoints = Define1[string]("count-points", "Count")
	HiddenNote  = Define("results-hidden-note")
	RankControl = Define("rank-control")
	// FooterOpen shows how to vote by text; Example is theme numbers.
	FooterOpen   = Define2[string, string]("footer-open", "Poll", "Example")
	FooterClosed = Define1[string]("footer-closed", "Poll")
	// ParticipationGroup is a group with its ballots: "🤝 Civil society 5".
	ParticipationGroup = Define2[string, int64]("participation-group", "Group", "Ballots")
	// BallotsLine is "Ballots: 12 · 🏛️ Government 3 · …".
	BallotsLine = Define2[int64, string]("ballots-line", "Ballots", "Groups")
	// PollHeading is the first line of a poll in text: "Poll K7QX: Title".
	PollHeading = Define2[string, string]("poll-heading", "Poll", "Title")
)

// Badges: a theme's status with its emoji ("✅ consensus"), qualified as
// the report's statuses are (StatusFragile, StatusSplit).
var (
	BadgeConsensus    = Define("badge-consensus")
	BadgeEmerging     = Define("badge-emerging")
	BadgeDivided      = Define("badge-divided")
	BadgeLow          = Define("badge-low")
	BadgeInsufficient = Define("badge-insufficient")
)

// The summary of a closed poll and of the chat report: which themes
// reached which status. Themes is a list of theme labels.
var (
	SummaryNoBallots       = Define("summary-no-ballots")
	SummaryNoConsensus     = Define("summary-no-consensus")
	SummaryConsensus       = Define1[string]("summary-consensus", "Themes")
	SummaryEmerging        = Define1[string]("summary-emerging", "Themes")
	SummaryDividedClear    = Define1[string]("summary-divided-clear", "Themes")
	SummaryDividedMarginal = Define1[string]("summary-divided-marginal", "Themes")
	SummaryLow             = Define1[string]("summary-low", "Themes")
	SummaryInsufficient    = Define1[string]("summary-insufficient", "Themes")
	ThemeFragile           = Define1[string]("theme-fragile", "Theme")
)

// The chat report (ReportView).
var (
	ReportTitle   = Define1[string]("report-title", "Title")
	ReportInterim = Define("report-interim")
	// ReportSubtitle is "Poll K7QX · closed · 61 ballots from 6 groups ·
	// quorum 3 · threshold 50% · judged with at least 2 groups".
	ReportSubtitle    = Define4[string, Message, Message, Message]("report-subtitle", "Poll", "Status", "Participation", "Rules")
	BallotsFromGroups = Define2[Message, Message]("ballots-from-groups", "Ballots", "Groups")
	ReportRules       = Define3[int, string, Message]("report-rules", "Quorum", "Threshold", "MinGroups")
	// ReportNumbers is "score 0.82 · equal 78% · overall 80% · spread 25
	// pts", numbers formatted by numfmt.
	ReportNumbers = Define4[string, string, string, Message]("report-numbers", "Score", "Equal", "Overall", "Spread")
	Points        = Define1[string]("points", "Points")
	BelowQuorum   = Define("below-quorum")
	QuorumNote    = Define1[int]("report-quorum-note", "Quorum")
	ReportLegend  = Define("report-legend")
)

// The group picker.
var (
	PickerPrompt = Define("picker-prompt")
	// PickerAnswer tells the shell's reader how to answer the picker.
	PickerAnswer = Define("picker-answer")
)

// Files in a text reply: a text file is shown between its markers, any
// other named.
var (
	FileBegin    = Define1[string]("file-begin", "Name")
	FileEnd      = Define1[string]("file-end", "Name")
	FileAttached = Define2[string, string]("file-attached", "Name", "MIME")
)
