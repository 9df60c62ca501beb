package msg

// The problems the command parser reports (bot/parse.go, the --remind
// value in bot/remind.go): phrases without a full stop, as errors are
// ("the title is empty"). Typed is what was typed, quoted, as user text;
// Option is a text flag without its dashes ("max-choices"), Flag one with
// them ("--anonymous"), and Command a subcommand's word ("vote"): the
// grammar's words, which are not translated.
var (
	ParseTooLong = Define2[int, int]("parse-too-long", "Words", "Bytes")
	// ParseWithLimits adds a poll's limits (ParsePollLimits) to a
	// problem with the size of what was typed.
	ParseWithLimits = Define2[Message, Message]("parse-with-limits", "Problem", "Limits")
	ParsePollLimits = Define2[int, int]("parse-poll-limits", "Themes", "Runes")
	ParseNotUTF8    = Define("parse-not-utf8")
	// ParseUnbalanced's Open and Next are the text around the quote that
	// is still open; Escape is how a quote is written inside a label.
	ParseUnbalanced     = Define3[string, string, string]("parse-unbalanced", "Open", "Next", "Escape")
	ParseUnterminated   = Define1[string]("parse-unterminated", "Typed")
	ParseTwoDashes      = Define1[string]("parse-two-dashes", "Flag")
	ParseNoOptionName   = Define1[string]("parse-no-option-name", "Typed")
	ParseUnknownOption  = Define1[string]("parse-unknown-option", "Typed")
	ParseUnknownOptNear = Define2[string, string]("parse-unknown-option-near", "Typed", "Near")
	ParseOptionAlone    = Define1[string]("parse-option-alone", "Flag")
	ParseOptionNotFor   = Define2[string, string]("parse-option-not-for", "Flag", "Command")
	ParsePage           = Define2[int, string]("parse-page", "Max", "Typed")
	ParseUnknownCommand = Define1[string]("parse-unknown-command", "Typed")
	ParseUnknownCmdNear = Define2[string, string]("parse-unknown-command-near", "Typed", "Near")
)

// Problems with the options of open and preset.
var (
	ParseOptionTwice = Define1[string]("parse-option-twice", "Option")
	// ParseOptionValue's Hint is the option's Hint* message.
	ParseOptionValue   = Define2[string, Message]("parse-option-value", "Option", "Hint")
	ParseKind          = Define1[string]("parse-kind", "Typed")
	ParseOptionProblem = Define2[string, Message]("parse-option-problem", "Option", "Problem")
	ParseOnOff         = Define2[string, string]("parse-on-off", "Option", "Typed")
	ParseWhole         = Define2[string, string]("parse-whole", "Option", "Typed")
	ParseQuorumRange   = Define2[int, string]("parse-quorum-range", "Max", "Typed")
	ParseThreshold     = Define1[string]("parse-threshold", "Typed")
	ParseMaxChoicesMin = Define1[string]("parse-max-choices-min", "Typed")
	ParseMinGroups     = Define2[int, string]("parse-min-groups-range", "Max", "Typed")
)

// Problems with a subcommand's words. ParseUnexpected's Rule is one of
// the Rule* phrases: "unexpected x: help takes at most one topic".
var (
	ParseNoHelp          = Define2[string, Names]("parse-no-help", "Typed", "Topics")
	ParseNoHelpNear      = Define3[string, Names, string]("parse-no-help-near", "Typed", "Topics", "Near")
	ParseUnexpected      = Define3[string, string, Message]("parse-unexpected", "Typed", "Command", "Rule")
	RuleOneTopic         = Define("rule-one-topic")
	RuleOneName          = Define("rule-one-name")
	RuleOneStatus        = Define("rule-one-status")
	RulePollOnly         = Define("rule-poll-only")
	RulePollDuration     = Define("rule-poll-duration")
	RulePollMostDuration = Define("rule-poll-most-duration")
	ParseOpenNeeds       = Define("parse-open-needs")
	ParseTitleEmpty      = Define("parse-title-empty")
	ParseThemeEmpty      = Define1[int]("parse-theme-empty", "Number")
	ParsePresetEmpty     = Define("parse-preset-empty")
	ParseListStatus      = Define1[string]("parse-list-status", "Typed")
	ParseNeedsPollID     = Define1[string]("parse-needs-poll-id", "Command")
	ParseVoteNeeds       = Define("parse-vote-needs")
	ParseQuotedThemeNone = Define("parse-quoted-theme-empty")
	ParseGroupEmpty      = Define("parse-group-empty")
	ParseAssignNeeds     = Define("parse-assign-needs")
	ParseUserEmpty       = Define("parse-user-empty")
	ParseExtendNeeds     = Define("parse-extend-needs")
	ParseExportFormats   = Define2[string, string]("parse-export-formats", "First", "Second")
	ParseExportWhat      = Define2[string, string]("parse-export-what", "First", "Second")
	// ParseExportWord's Formats are the format names, as typed.
	ParseExportWord     = Define2[OrList, string]("parse-export-word", "Formats", "Typed")
	ParseExportWordNear = Define3[OrList, string, string]("parse-export-word-near", "Formats", "Typed", "Near")
)

// Problems with a duration, a time or a list of themes.
var (
	ParseDuration       = Define1[string]("parse-duration", "Typed")
	ParseDurationUnit   = Define2[string, string]("parse-duration-unit", "Typed", "Number")
	ParseDurationLong   = Define1[string]("parse-duration-long", "Typed")
	ParseDurationZero   = Define1[string]("parse-duration-zero", "Typed")
	ParseDeadline       = Define1[string]("parse-deadline", "Typed")
	ParseTimeZone       = Define1[string]("parse-time-zone", "Typed")
	ParseTimePast       = Define1[string]("parse-time-past", "Typed")
	ParseTimeFar        = Define1[string]("parse-time-far", "Typed")
	ParseThemesLong     = Define1[int]("parse-themes-long", "Bytes")
	ParseThemesNotUTF8  = Define("parse-themes-not-utf8")
	ParseThemesTooMany  = Define2[int, int]("parse-themes-too-many", "Given", "Max")
	ParseThemesNone     = Define("parse-themes-none")
	ParseRemindValue    = Define1[string]("parse-remind-value", "Typed")
	ParseRemindCount    = Define2[int, int]("parse-remind-count", "Max", "Given")
	ParseRemindTooClose = Define1[string]("parse-remind-too-close", "Given")
	ParseRemindTwice    = Define1[string]("parse-remind-twice", "Given")
)
