package msg

// The words of the command table (bot/commands.go) and of the help built
// from it (bot/usage.go): each subcommand's usage, its line in the help
// and on chat platforms (Short*), its typed options' descriptions (Opt*,
// at most 100 characters: Discord's limit) and what a text flag's value
// should be (Hint*). A usage keeps the subcommand's word and its flags,
// which the grammar reads, and words what goes in each place ("vote ID
// THEME...").
var (
	UsageOpen   = Define("usage-open")
	UsagePreset = Define("usage-preset")
	UsageList   = Define("usage-list")
	UsageVote   = Define("usage-vote")
	UsageUnvote = Define("usage-unvote")
	UsageGroup  = Define("usage-group")
	UsageAssign = Define("usage-assign")
	UsageClose  = Define("usage-close")
	UsageReopen = Define("usage-reopen")
	UsageCancel = Define("usage-cancel")
	UsageExtend = Define("usage-extend")
	UsageRemind = Define("usage-remind")
	UsageReport = Define("usage-report")
	// UsageExport's Formats are the format names, as typed ("csv|json").
	UsageExport = Define1[string]("usage-export", "Formats")
	UsageHelp   = Define("usage-help")
	// UsageLine is a whole usage line: "/poll " and a Usage*, then the
	// text flags as Go writes them (" [--anonymous] [--quorum N]");
	// UsageLineShort ends in "[options]" instead of many flags.
	UsageLine      = Define2[Message, string]("usage-line", "Command", "Flags")
	UsageLineShort = Define1[Message]("usage-line-short", "Command")
	// UsageGeneral is the usage line of no particular subcommand;
	// Commands are their words, as typed ("open|vote|...").
	UsageGeneral = Define1[string]("usage-general", "Commands")
)

// Each subcommand in one line.
var (
	ShortOpen   = Define("short-open")
	ShortPreset = Define("short-preset")
	ShortList   = Define("short-list")
	ShortVote   = Define("short-vote")
	ShortUnvote = Define("short-unvote")
	ShortGroup  = Define("short-group")
	ShortAssign = Define("short-assign")
	ShortClose  = Define("short-close")
	ShortReopen = Define("short-reopen")
	ShortCancel = Define("short-cancel")
	ShortExtend = Define("short-extend")
	ShortRemind = Define("short-remind")
	ShortReport = Define("short-report")
	ShortExport = Define("short-export")
	ShortHelp   = Define("short-help")
	// ShortPoll describes /poll itself, on platforms that list commands.
	ShortPoll = Define("short-poll")
)

// The typed options' descriptions.
var (
	OptPoll        = Define("opt-poll")
	OptTitle       = Define("opt-title")
	OptThemes      = Define("opt-themes")
	OptKind        = Define("opt-kind")
	OptCloses      = Define("opt-closes")
	OptAnonymous   = Define("opt-anonymous")
	OptHideResults = Define("opt-hide-results")
	OptQuorum      = Define("opt-quorum")
	OptThreshold   = Define("opt-threshold")
	OptMaxChoices  = Define("opt-max-choices")
	OptMinGroups   = Define("opt-min-groups")
	OptRemind      = Define("opt-remind")
	OptPreset      = Define("opt-preset")
	OptStatus      = Define("opt-status")
	OptAll         = Define("opt-all")
	OptPage        = Define("opt-page")
	OptVoteThemes  = Define("opt-vote-themes")
	OptGroup       = Define("opt-group")
	OptUser        = Define("opt-user")
	OptReopenFor   = Define("opt-reopen-duration")
	OptExtendBy    = Define("opt-extend-duration")
	OptFormat      = Define("opt-format")
	OptBallots     = Define("opt-ballots")
	OptTopic       = Define("opt-topic")
	HintKind       = Define("hint-kind")
	HintCloses     = Define("hint-closes")
	HintQuorum     = Define("hint-quorum")
	HintThreshold  = Define("hint-threshold")
	HintMaxChoices = Define("hint-max-choices")
	HintMinGroups  = Define("hint-min-groups")
	HintRemind     = Define("hint-remind")
	HintPage       = Define("hint-page")
)

// Report formats, as menus describe them (bot/report.Formats).
var (
	FormatTallyCSV    = Define("format-tally-csv")
	FormatTallyWide   = Define("format-tally-wide")
	FormatReportJSON  = Define("format-report-json")
	FormatReportMD    = Define("format-report-md")
	FormatChartPNG    = Define("format-chart-png")
	FormatBallotsCSV  = Define("format-ballots-csv")
	FormatBallotsJSON = Define("format-ballots-json")
	// ChoiceTitled is a menu's choice with what it is: "md · Report in
	// Markdown, for a document".
	ChoiceTitled = Define2[string, string]("choice-titled", "Name", "Title")
)

// /poll help. A page's Usage is its subcommand's UsageLine.
var (
	HelpNoTopic = Define2[string, string]("help-no-topic", "Typed", "Overview")
	// HelpShort is the page of a subcommand without a page of its own.
	HelpShort       = Define2[Message, Message]("help-short", "Usage", "Short")
	HelpIntro       = Define("help-intro")
	HelpEveryone    = Define("help-everyone")
	HelpFacilitator = Define("help-facilitators")
	HelpBallotsToo  = Define("help-ballots-too")
	HelpExamples    = Define("help-examples")
	// HelpMore's Topics are the help topics, as typed.
	HelpMore   = Define1[Names]("help-more", "Topics")
	HelpOpen   = Define1[Message]("help-open", "Usage")
	HelpPreset = Define1[Message]("help-preset", "Usage")
	HelpVote   = Define2[Message, Message]("help-vote", "Usage", "Unvote")
	// HelpGroups' Groups are the default groups' ids, as typed.
	HelpGroups = Define3[Message, Message, Names]("help-groups", "Usage", "Assign", "Groups")
	HelpExtend = Define1[Message]("help-extend", "Usage")
	HelpReopen = Define1[Message]("help-reopen", "Usage")
	HelpReport = Define1[Message]("help-report", "Usage")
	// HelpRemind's Near is how many more supporting ballots a theme "one
	// step from emerging" needs at most; PerHour the reminders an hour a
	// poll may have by hand; Max the reminders --remind takes.
	HelpRemind = Define4[Message, int, int, int]("help-remind", "Usage", "Near", "PerHour", "Max")
)
