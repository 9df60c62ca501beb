package msg

// The shell's own words (bot/shell): what it prints around the engine's
// replies, its own commands (/as, /whoami, /help, /quit) and the files it
// saves. User is a shell user name and Typed what was typed (user text);
// shell commands (/as USER [GROUP]) are the shell's grammar.
var (
	// ShellPublic, ShellPrivate and ShellThread introduce a reply that
	// everyone, only its sender, or the poll's thread sees.
	ShellPublic  = Define1[string]("shell-public", "Text")
	ShellPrivate = Define1[string]("shell-private", "Text")
	ShellThread  = Define2[string, string]("shell-thread", "Poll", "Text")

	ShellWelcome         = Define1[string]("shell-welcome", "User")
	ShellWelcomeTerminal = Define1[string]("shell-welcome-terminal", "User")
	ShellPressAgain      = Define("shell-press-again")
	ShellHelp            = Define("shell-help")
	ShellUnknown         = Define1[string]("shell-unknown", "Typed")
	ShellUnknownNear     = Define2[string, string]("shell-unknown-near", "Typed", "Near")
	// ShellTickFailed's Err is the error's own text, as a log has it.
	ShellTickFailed = Define1[string]("shell-tick-failed", "Err")
	// ShellLongLine shows a line longer than any command: its start, and
	// its size in bytes.
	ShellLongLine = Define2[string, int]("shell-long-line", "Line", "Bytes")
)

// /as and /whoami.
var (
	ShellAsUsage     = Define("shell-as-usage")
	ShellAsNeedsName = Define("shell-as-needs-name")
	ShellAsTooLong   = Define2[int, int]("shell-as-too-long", "Bytes", "Max")
	ShellAsNotName   = Define1[string]("shell-as-not-name", "Typed")
	ShellYouAreNow   = Define1[string]("shell-you-are-now", "User")
	ShellWhoami      = Define2[string, Message]("shell-whoami", "User", "Role")
	ShellParticipant = Define("shell-participant")
	ShellFacilitator = Define("shell-facilitator")
)

// Files the shell saves. Path is where (a file name); Size is SizeBytes
// or SizeKB; Err is the error's own text.
var (
	ShellSaved      = Define2[string, Message]("shell-saved", "Path", "Size")
	ShellSaveFailed = Define2[string, string]("shell-save-failed", "Name", "Err")
	ShellNotSaved   = Define1[string]("shell-not-saved", "Name")
	SizeBytes       = Define1[int]("size-bytes", "Bytes")
	// SizeKB's KB is a number with one decimal ("4.4").
	SizeKB = Define1[string]("size-kb", "KB")
)
