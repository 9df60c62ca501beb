package msg

// The Discord adapter's own words (bot/discord/render.go): embed field
// names, its buttons, the ranking modal, and the notes on what was cut to
// fit a message.
var (
	DiscordShortened        = Define("discord-shortened")
	DiscordBallots          = Define1[int64]("discord-ballots", "Ballots")
	DiscordSummary          = Define("discord-summary")
	DiscordSummaryContinued = Define("discord-summary-continued")
	DiscordWithdraw         = Define("discord-withdraw")
	DiscordRankTitle        = Define1[string]("discord-rank-title", "Title")
	DiscordRankLabel        = Define("discord-rank-label")
	// DiscordMoreThemes ends a report cut to fit: Count themes are not
	// shown.
	DiscordMoreThemes = Define2[int, string]("discord-more-themes", "Count", "Poll")
)

// The Discord adapter's notes (bot/discord/interactions.go, remind.go):
// requests it does not serve, one it served before, and what did not
// arrive. Names are file names; Reason is a DiscordAttach* phrase; Status
// the HTTP status Discord answered ("500 Internal Server Error").
var (
	DiscordNoDM              = Define("discord-no-dm")
	DiscordUnknownKind       = Define("discord-unknown-interaction")
	DiscordDuplicate         = Define("discord-duplicate")
	DiscordThreadFailed      = Define("discord-thread-failed")
	DiscordAttachFailed      = Define2[string, Message]("discord-attach-failed", "Names", "Reason")
	DiscordAttachTooLarge    = Define("discord-attach-too-large")
	DiscordAttachForbidden   = Define("discord-attach-forbidden")
	DiscordAttachAnswered    = Define1[string]("discord-attach-answered", "Status")
	DiscordAttachUnreachable = Define("discord-attach-unreachable")
)
