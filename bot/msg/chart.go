package msg

// The chart's words (bot/report/chart): its title when the poll has none,
// the interim banner, the subtitle, the column and row notes, the marks
// beside a status and the legend. Percentages and numbers come formatted
// (numfmt); Kind is a Kind* word and Status a PollStatus* one.
var (
	ChartUntitled = Define1[string]("chart-untitled", "Poll")
	ChartTheme    = Define1[int]("chart-theme", "Number")
	ChartInterim  = Define("chart-interim")
	// ChartInterimNote is the sentence beside the INTERIM pill.
	ChartInterimNote = Define("chart-interim-note")
	// The subtitle's parts, joined by ChartSeparator.
	ChartSeparator   = Define("chart-separator")
	ChartThreshold   = Define1[string]("chart-threshold", "Threshold")
	ChartQuorum      = Define1[int]("chart-quorum", "Quorum")
	ChartMinGroups   = Define1[int64]("chart-min-groups", "Count")
	ChartPoll        = Define2[Message, string]("chart-poll", "Kind", "Poll")
	ChartPollStatus  = Define3[Message, string, Message]("chart-poll-status", "Kind", "Poll", "Status")
	ChartHeld        = Define1[int64]("chart-held", "Count")
	ChartNoBallotYet = Define("chart-no-ballots-yet")
	ChartNoBallots   = Define("chart-no-ballots")
	// Column notes: a group's ballots ("n=12").
	ChartColumnAbsent = Define("chart-column-absent")
	ChartColumnBelow  = Define1[int64]("chart-column-below", "Ballots")
	ChartColumn       = Define1[int64]("chart-column", "Ballots")
	ChartHeadTheme    = Define("chart-head-theme")
	ChartHeadStatus   = Define("chart-head-status")
	ChartHeadScore    = Define("chart-head-score")
	ChartScoreNote    = Define("chart-score-note")
	// The marks beside a status.
	ChartTagFragile  = Define("chart-tag-fragile")
	ChartTagMarginal = Define("chart-tag-marginal")
	ChartRankedNote  = Define("chart-ranked-note")
)

// The chart's legend.
var (
	ChartLegendTitle        = Define("chart-legend-title")
	ChartLegendSides        = Define("chart-legend-sides")
	ChartLegendConsensus    = Define("chart-legend-consensus")
	ChartLegendEmerging     = Define("chart-legend-emerging")
	ChartLegendDivided      = Define("chart-legend-divided")
	ChartLegendLow          = Define("chart-legend-low")
	ChartLegendInsufficient = Define2[Message, Message]("chart-legend-insufficient", "Groups", "Quorum")
	ChartLegendBelow        = Define1[string]("chart-legend-below", "Threshold")
	ChartLegendFaded        = Define1[Message]("chart-legend-faded", "Quorum")
	ChartLegendAbsent       = Define("chart-legend-absent")
	ChartLegendFragile      = Define("chart-legend-fragile")
	ChartLegendMarginal     = Define("chart-legend-marginal")
)
