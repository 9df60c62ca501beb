package msg

// The words of the live screen's link (/poll screen) and of the timeline
// of how consensus emerged (/poll timeline; its text in bot/report, its
// chart in bot/report/chart). Times come formatted, in UTC.

// The command table's words for timeline and screen (see help.go).
var (
	UsageTimeline = Define("usage-timeline")
	UsageScreen   = Define("usage-screen")
	ShortTimeline = Define("short-timeline")
	ShortScreen   = Define("short-screen")
	HelpTimeline  = Define1[Message]("help-timeline", "Usage")
	// HelpScreen's Days is how long a link works after its poll closes.
	HelpScreen = Define2[Message, int]("help-screen", "Usage", "Days")
	// VerbScreen is what only managers may do, for ErrManagersOnly.
	VerbScreen = Define("verb-screen")
)

// /poll screen's answer.
var (
	// ScreenUnset says what the deployment must set for links.
	ScreenUnset = Define("screen-unset")
	ScreenLink  = Define2[string, string]("screen-link", "Poll", "URL")
	// ScreenHidden is added for a poll that hides its results.
	ScreenHidden = Define1[string]("screen-hidden", "Poll")
	// ScreenUntil is when the link stops working, as known now (Time),
	// Count days after the poll closes; ScreenUntilOpen when that is not
	// known yet (no deadline).
	ScreenUntil     = Define2[string, int]("screen-until", "Time", "Count")
	ScreenUntilOpen = Define1[int]("screen-until-open", "Count")
	// ScreenOpened is the shell's note, with -screen, on a poll it opens.
	ScreenOpened = Define2[string, string]("screen-opened", "Poll", "URL")
)

// /poll timeline's answer, and the timeline in words.
var (
	TimelineNoLog       = Define1[string]("timeline-no-log", "Poll")
	TimelineRateLimited = Define2[string, int]("timeline-rate-limited", "Poll", "Count")
	TimelinePrivate     = Define("timeline-private")
	TimelineChartTitle  = Define1[string]("timeline-chart-title", "Title")
	// TimelineTitle is the first line; Span a TimelineSpan.
	TimelineTitle  = Define3[string, string, Message]("timeline-title", "Poll", "Title", "Span")
	TimelineSpan   = Define4[string, string, Message, Message]("timeline-span", "From", "To", "Events", "Ballots")
	TimelineEvents = Define1[int64]("timeline-events", "Count")
	// TimelineFromLog says where a trimmed log's timeline starts.
	TimelineFromLog   = Define2[string, Message]("timeline-from-log", "At", "Ballots")
	TimelineHourTimes = Define("timeline-hour-times")
	// The poll's own events.
	TimelineClosed          = Define1[string]("timeline-closed", "At")
	TimelineCancelled       = Define1[string]("timeline-cancelled", "At")
	TimelineReopened        = Define1[string]("timeline-reopened", "At")
	TimelineReopenedUntil   = Define2[string, string]("timeline-reopened-until", "At", "Deadline")
	TimelineDeadlineMoved   = Define2[string, string]("timeline-deadline-moved", "At", "Deadline")
	TimelineDeadlineRemoved = Define1[string]("timeline-deadline-removed", "At")
	// TimelineLine is a theme's line; Changes are TimelineChange (and a
	// TimelineOmitted), Score a number.
	TimelineLine    = Define4[int, string, Names, string]("timeline-line", "Rank", "Theme", "Changes", "Score")
	TimelineChange  = Define2[Message, string]("timeline-change", "Status", "At")
	TimelineOmitted = Define1[int64]("timeline-omitted", "Count")
)

// The timeline chart's words.
var (
	ChartTimelineTitle   = Define1[string]("chart-timeline-title", "Title")
	ChartTimelinePoll    = Define1[string]("chart-timeline-poll", "Poll")
	ChartTimelineSpan    = Define2[string, string]("chart-timeline-span", "From", "To")
	ChartTimelineFromLog = Define1[Message]("chart-timeline-from-log", "Ballots")
	ChartTimelineHours   = Define("chart-timeline-hours")
	ChartTimelineUTC     = Define("chart-timeline-utc")
	ChartTimelineScore   = Define("chart-timeline-score")
	// The poll's own events, under the axis.
	ChartMarkClose    = Define("chart-mark-close")
	ChartMarkCancel   = Define("chart-mark-cancel")
	ChartMarkReopen   = Define("chart-mark-reopen")
	ChartMarkDeadline = Define("chart-mark-deadline")
)
