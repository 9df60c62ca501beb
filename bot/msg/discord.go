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
