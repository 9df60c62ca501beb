package msg

// The words of errors: the domain's (one message per polls.Code, worded
// by bot/domainerr.go from the error's parameters) and the engine's own
// (bot/fail.go). Error messages are phrases without a full stop ("poll
// K7QX is closed"); the reply makes them a sentence.

// Domain errors about a ballot: themes and choices.
var (
	ErrNoChoices   = Define("err-no-choices")
	ErrThemeNumber = Define3[string, int64, int64]("err-theme-number", "Poll", "Number", "Max")
	// ErrThemeLabel quotes what was typed (Typed, user text).
	ErrThemeLabel     = Define3[string, string, int64]("err-theme-label", "Poll", "Typed", "Max")
	ErrRepeatedChoice = Define2[int64, string]("err-repeated-choice", "Number", "Label")
	ErrOneChoice      = Define2[string, int64]("err-one-choice", "Poll", "Given")
	// ErrMaxChoices' Count is the most choices the poll allows.
	ErrMaxChoices       = Define3[string, int64, int64]("err-max-choices", "Poll", "Count", "Given")
	ErrMaxChoicesToggle = Define2[string, int64]("err-max-choices-toggle", "Poll", "Count")
	ErrRankedNotByClick = Define1[string]("err-ranked-not-by-click", "Poll")
	ErrNotByClick       = Define2[string, Message]("err-not-by-click", "Poll", "Kind")
	ErrNoPseudonymKey   = Define("err-no-pseudonym-key")
	ErrPollNeedsKey     = Define1[string]("err-poll-needs-key", "Poll")
	ErrPollOtherKey     = Define1[string]("err-poll-other-key", "Poll")
	ErrLegacyAnonymous  = Define1[string]("err-legacy-anonymous", "Poll")
	ErrGroupAssigned    = Define1[string]("err-group-assigned", "Group")
	// The limits' Count is the most polls open at once, or opened by one
	// person in an hour.
	ErrOpenPollsLimit    = Define1[int64]("err-open-polls-limit", "Count")
	ErrOpensPerHourLimit = Define1[int64]("err-opens-per-hour-limit", "Count")
)

// Domain errors about stakeholder groups. Groups is the list of group ids
// to choose from.
var (
	ErrGroupsEmpty  = Define("err-groups-empty")
	ErrGroupID      = Define1[string]("err-group-id", "Group")
	ErrGroupTwice   = Define1[string]("err-group-twice", "Group")
	ErrNoGroupGiven = Define1[string]("err-no-group-given", "Groups")
	ErrUnknownGroup = Define2[string, string]("err-unknown-group", "Typed", "Groups")
)

// Domain errors about opening a poll: its kind, title, themes and options.
var (
	// ErrUnknownKind lists the kinds to type, as typed ("approval, single
	// or ranked").
	ErrUnknownKind   = Define2[string, string]("err-unknown-kind", "Typed", "Kinds")
	ErrEmptyTitle    = Define("err-empty-title")
	ErrTitleTooLong  = Define2[int64, int64]("err-title-too-long", "Runes", "Max")
	ErrTitleNotUTF8  = Define("err-title-not-utf8")
	ErrTitleShows    = Define1[Message]("err-title-shows", "Problem")
	ErrNoThemes      = Define("err-no-themes")
	ErrTooManyThemes = Define2[int64, int64]("err-too-many-themes", "Given", "Max")
	ErrTooFewThemes  = Define2[Message, int64]("err-too-few-themes", "Kind", "Min")
	ErrThemeEmpty    = Define1[int64]("err-theme-empty", "Number")
	ErrThemeNotUTF8  = Define1[int64]("err-theme-not-utf8", "Number")
	ErrThemeTooLong  = Define3[int64, int64, int64]("err-theme-too-long", "Number", "Runes", "Max")
	ErrThemeShows    = Define2[int64, Message]("err-theme-shows", "Number", "Problem")
	// ErrDuplicateTheme quotes the label (user text).
	ErrDuplicateTheme = Define3[int64, int64, string]("err-duplicate-theme", "First", "Second", "Label")
	ErrQuorumRange    = Define2[int64, int64]("err-quorum-range", "Max", "Given")
	// ErrThresholdRange's Given is the number as given (numfmt.Decimal).
	ErrThresholdRange   = Define1[string]("err-threshold-range", "Given")
	ErrMaxChoicesRange  = Define2[int64, int64]("err-max-choices-range", "Max", "Given")
	ErrMaxChoicesKind   = Define("err-max-choices-kind")
	ErrMinGroupsRange   = Define2[int64, int64]("err-min-groups-range", "Max", "Given")
	ErrResultsValue     = Define1[string]("err-results-value", "Typed")
	ErrDeadlinePast     = Define1[string]("err-deadline-past", "Deadline")
	ErrDeadlineTooFar   = Define2[string, int64]("err-deadline-too-far", "Deadline", "Days")
	ErrExtendByPositive = Define("err-extend-by-positive")
)

// Why a title or theme cannot be shown (ErrTitleShows, ErrThemeShows):
// Code is the character's code point in hex ("202E").
var (
	ShowsControl     = Define1[string]("shows-control", "Code")
	ShowsDirection   = Define1[string]("shows-direction", "Code")
	ShowsReserved    = Define1[string]("shows-reserved", "Code")
	ShowsReplacement = Define("shows-replacement")
)

// Domain errors about a poll's id and state. ErrPollClosedAt's Deadline is
// a TimeUTC.
var (
	ErrNoPollID          = Define("err-no-poll-id")
	ErrNotPollID         = Define1[string]("err-not-poll-id", "Typed")
	ErrPollNotFound      = Define1[string]("err-poll-not-found", "Poll")
	ErrPollCancelled     = Define1[string]("err-poll-cancelled", "Poll")
	ErrPollClosed        = Define1[string]("err-poll-closed", "Poll")
	ErrPollClosedAt      = Define2[string, Message]("err-poll-closed-at", "Poll", "Deadline")
	ErrPastDeadline      = Define1[string]("err-past-deadline", "Poll")
	ErrAlreadyCancelled  = Define1[string]("err-already-cancelled", "Poll")
	ErrCancelledNoReopen = Define1[string]("err-cancelled-no-reopen", "Poll")
	ErrNotOpenExtend     = Define2[string, Message]("err-not-open-extend", "Poll", "Status")
)

// Domain errors the bot has no particular words for (an error without a
// code): ErrUnknownKindBare for an unknown kind, ErrDomain for the rest.
var (
	ErrUnknownKindBare = Define("err-unknown-kind-bare")
	ErrDomain          = Define("err-domain")
)

// The engine's own errors and refusals. ErrNotAllowed gives the reason of
// a refusal (ErrFacilitatorsOnly, ErrResultsHidden, ErrListEverywhere).
var (
	ErrNotAllowed = Define1[Message]("err-not-allowed", "Reason")
	// ErrFacilitatorsOnly's Verb says what the command does ("assign
	// stakeholder groups").
	ErrFacilitatorsOnly = Define1[Message]("err-facilitators-only", "Verb")
	ErrResultsHidden    = Define1[string]("err-results-hidden", "Poll")
	ErrListEverywhere   = Define("err-list-everywhere")
	ErrUnknownControl   = Define("err-unknown-control")
	// ErrExportFormat names the formats to choose from and what was
	// typed (user text).
	ErrExportFormat = Define2[string, string]("err-export-format", "Formats", "Typed")
	ErrNoBallot     = Define("err-no-ballot")
	ErrTimeout      = Define("err-timeout")
	ErrStore        = Define("err-store")
	// ErrStoreVoteAgain is the store error as a phrase, for a held vote
	// that could not be counted.
	ErrStoreVoteAgain = Define("err-store-vote-again")
	// ReplyUsage is the usage line under an error.
	ReplyUsage = Define1[Message]("reply-usage", "Usage")
)

// The domain's errors about reminders (--remind).
var (
	ErrRemindCount      = Define2[int64, int64]("err-remind-count", "Max", "Given")
	ErrRemindRange      = Define3[string, string, string]("err-remind-range", "Min", "Max", "Given")
	ErrRemindTwice      = Define1[string]("err-remind-twice", "Given")
	ErrRemindNoDeadline = Define("err-remind-no-deadline")
	ErrRemindTooEarly   = Define2[string, Message]("err-remind-too-early", "Given", "Left")
)

// Refusals that suggest what was meant or what to do instead.
var (
	ErrUnknownGroupNear = Define3[string, string, string]("err-unknown-group-near", "Typed", "Near", "Groups")
	ErrReopenDeadline   = Define2[string, Message]("err-reopen-deadline", "Poll", "Deadline")
)
