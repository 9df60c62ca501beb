package msg

// The words of a consensus report: statuses, and the sentences that say
// what a status rests on (bot/report.Words).

// Status words and their qualifiers.
var (
	StatusConsensus    = Define("status-consensus")
	StatusEmerging     = Define("status-emerging")
	StatusDivided      = Define("status-divided")
	StatusLow          = Define("status-low")
	StatusInsufficient = Define("status-insufficient")
	SplitClear         = Define("split-clear")
	SplitMarginal      = Define("split-marginal")
	// StatusFragile is "consensus, fragile".
	StatusFragile = Define1[Message]("status-fragile", "Status")
	// StatusSplit is "divided (marginal)".
	StatusSplit = Define2[Message, Message]("status-split", "Status", "Split")
)

// Verdict is a theme's whole sentence: "DNS abuse: divided (marginal):
// Civil society (6/15) alone is below 50%; …".
var Verdict = Define3[string, string, string]("verdict", "Theme", "Status", "Grounds")

// Counts and nouns the grounds use.
var (
	// SupportCount is a group's support as supporters of ballots: "6/15".
	SupportCount = Define2[string, int64]("support-count", "Supporters", "Ballots")
	// SupportPoints is a ranked poll's: "4.5 of 6 points".
	SupportPoints = Define2[string, int64]("support-points", "Supporters", "Count")
	// GroupSupport is a group with its support: "Civil society (6/15)".
	GroupSupport = Define2[string, string]("group-support", "Group", "Support")
	Ballots      = Define1[int64]("ballots", "Count")
	Groups       = Define1[int64]("groups", "Count")
	// MoreSupporting is "3 more supporting ballots"; MoreFirst the ranked
	// poll's "3 more ballots ranking it first".
	MoreSupporting = Define1[int64]("more-supporting", "Count")
	MoreFirst      = Define1[int64]("more-first", "Count")
	// MoreDissenting is "4 more dissenting ballots"; MoreLast the ranked
	// poll's "4 more ballots ranking it last".
	MoreDissenting = Define1[int64]("more-dissenting", "Count")
	MoreLast       = Define1[int64]("more-last", "Count")
	// OneMoreDissenting is the fragile "one more dissenting ballot".
	OneMoreDissenting = Define("one-more-dissenting")
	OneMoreLast       = Define("one-more-last")
	// NounSupporting names supporting ballots without a count.
	NounSupporting = Define("noun-supporting")
	NounFirst      = Define("noun-first")
	MoreBallots    = Define1[int64]("more-ballots", "Count")
)

// Grounds of each status.
var (
	GroundsNoQuorum       = Define2[Message, int]("grounds-no-quorum", "Quorum", "MinGroups")
	GroundsFewQuorum      = Define3[Message, Message, int]("grounds-few-quorum", "Groups", "Quorum", "MinGroups")
	GroundsConfident      = Define1[string]("grounds-confident", "Threshold")
	GroundsFragile        = Define3[Message, string, Message]("grounds-fragile", "Dissents", "Group", "To")
	GroundsConfidentUntil = Define4[string, Message, string, Message]("grounds-confident-until", "Threshold", "Dissents", "Group", "To")
	GroundsConsensusNeeds = Define1[string]("grounds-consensus-needs", "Needs")
	GroundsTooSmall       = Define2[string, int]("grounds-too-small", "Groups", "Count")
	GroundsTakesAtLeast   = Define1[Message]("grounds-takes-at-least", "Ballots")
	GroundsNoSizeEnough   = Define1[string]("grounds-no-size-enough", "Threshold")
	GroundsWouldLower     = Define3[Message, Message, Message]("grounds-would-lower", "Dissents", "From", "To")
	FromGroup             = Define1[string]("from-group", "Group")
	There                 = Define("there")
	GroundsAllAbove       = Define1[string]("grounds-all-above", "Threshold")
	GroundsNoneReach      = Define1[string]("grounds-none-reach", "Threshold")
	GroundsAloneBelow     = Define2[string, string]("grounds-alone-below", "Group", "Threshold")
	GroundsSomeBelow      = Define4[string, string, string, int]("grounds-some-below", "Below", "Threshold", "Above", "Count")
	GroundsCannotReach    = Define2[Message, string]("grounds-cannot-reach", "Ballots", "Threshold")
	GroundsWouldEmerge    = Define2[Message, Message]("grounds-would-emerge", "More", "To")
	GroundsEmergingNeeds  = Define1[string]("grounds-emerging-needs", "Needs")
	NeedFirst             = Define2[Message, string]("need-first", "More", "Group")
	NeedRest              = Define2[int64, string]("need-rest", "N", "Group")
	NeedNever             = Define2[Message, string]("need-never", "Ballots", "Groups")
	NeedsAnd              = Define2[string, string]("needs-and", "Needs", "Never")
	// Clauses joins the clauses of one sentence and ends it.
	Clauses             = Define1[string]("clauses", "Text")
	ClauseJoin          = Define2[string, string]("clause-join", "First", "Next")
	ParticipationNeeds  = Define2[string, Message]("participation-needs", "Group", "More")
	ParticipationAbsent = Define3[string, Message, int]("participation-absent", "Groups", "Ballots", "Count")
	ParticipationHeld   = Define1[int64]("participation-held", "Count")
)

// The Markdown report (bot/report/markdown.go). Its texts hold Markdown
// (**bold**, *emphasis*); parameters arrive escaped. Headings and column
// names are words without markup, which the document lays out.
var (
	MDUntitled = Define1[string]("md-untitled", "Poll")
	// MDPoll is the poll's facts: "**Poll:** K7QX, approval, closed".
	MDPoll = Define3[string, string, string]("md-poll", "Poll", "Kind", "Status")
	// MDOpened* say when the poll opened and closed (or closes); times
	// are TimeUTC.
	MDOpened         = Define1[Message]("md-opened", "Opened")
	MDOpenedClosed   = Define2[Message, Message]("md-opened-closed", "Opened", "Closed")
	MDOpenedCloses   = Define2[Message, Message]("md-opened-closes", "Opened", "Closes")
	MDOpenedOpen     = Define1[Message]("md-opened-open", "Opened")
	MDBallots        = Define2[int64, Message]("md-ballots", "Ballots", "Groups")
	MDBallotsAnon    = Define2[int64, Message]("md-ballots-anonymous", "Ballots", "Groups")
	MDRules          = Define3[Message, string, Message]("md-rules", "Quorum", "Threshold", "MinGroups")
	MDChartAlt       = Define("md-chart-alt")
	StakeholderGroup = Define1[int64]("stakeholder-groups", "Count")
)

// The Markdown report's summary. Count is how many groups reach the
// quorum; High and Low are MDGroupPercent.
var (
	MDSummaryHeading  = Define("md-summary-heading")
	MDNoBallots       = Define("md-no-ballots")
	MDParticipation   = Define4[Message, Message, int, Message]("md-participation", "Ballots", "Groups", "Count", "Quorum")
	MDTooFewGroups    = Define1[Message]("md-too-few-groups", "MinGroups")
	MDDividedTheme    = Define4[string, Message, Message, Message]("md-divided-theme", "Theme", "Split", "High", "Low")
	MDGroupPercent    = Define2[string, string]("md-group-percent", "Group", "Percent")
	MDNoConsensusYet  = Define("md-no-consensus-yet")
	MDSummaryDivided  = Define1[string]("md-summary-divided", "Themes")
	MDSummaryLow      = Define1[string]("md-summary-low", "Themes")
	MDNeedsHeading    = Define("md-needs-heading")
	MDRankingHeading  = Define("md-ranking-heading")
	MDByGroupHeading  = Define("md-by-group-heading")
	MDNoGroupBallots  = Define("md-no-group-ballots")
	MDByGroupIntro    = Define("md-by-group-intro")
	MDByGroupRanked   = Define("md-by-group-intro-ranked")
	MDBelowQuorumMark = Define1[Message]("md-below-quorum-mark", "Quorum")
)

// The Markdown report's tables and participation.
var (
	MDColRank     = Define("md-col-rank")
	MDColTheme    = Define("md-col-theme")
	MDColStatus   = Define("md-col-status")
	MDColScore    = Define("md-col-score")
	MDColEqual    = Define("md-col-equal")
	MDColOverall  = Define("md-col-overall")
	MDColSpread   = Define("md-col-spread")
	MDColGroupN   = Define2[string, int64]("md-col-group-n", "Group", "Ballots")
	MDColGroup    = Define("md-col-group")
	MDColBallots  = Define("md-col-ballots")
	MDColCounts   = Define("md-col-counts")
	MDCountsYes   = Define("md-counts-yes")
	MDCountsNo    = Define1[int]("md-counts-no", "Quorum")
	MDParticipate = Define("md-participation-heading")
	MDUnderRep    = Define1[string]("md-under-represented", "Groups")
	MDAbsent      = Define1[string]("md-absent", "Groups")
	MDAllTookPart = Define("md-all-took-part")
)

// How to read the Markdown report.
var (
	MDGuideHeading = Define("md-guide-heading")
	MDGuideStatus  = Define3[string, Message, Message]("md-guide-status", "Threshold", "Quorum", "MinGroups")
	MDGuideScore   = Define("md-guide-score")
	MDGuideNeeds   = Define("md-guide-needs")
	MDGuideRanked  = Define("md-guide-ranked")
)
