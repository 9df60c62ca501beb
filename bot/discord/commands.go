package discord

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// Discord's limits on an application command.
const (
	// maxCommandChars bounds the characters of a command's name and
	// description and of every option's and choice's name, description
	// and value, counted recursively; Discord refuses a larger command.
	maxCommandChars = 8000
	maxChoices      = 25  // per option
	maxChoiceName   = 100 // characters of a choice's name
	maxChoiceValue  = 100 // characters of a string choice's value
)

// commands is the /poll application command: the subcommands and typed
// options of the command grammar. The group options list the configured
// groups as choices when they fit, within 25 choices and Discord's
// budget for the whole command; otherwise (many groups, long labels) they
// are autocompleted instead (see onAutocomplete), so that any
// configuration registers.
func commands(groups *polls.Groups) []*discordgo.ApplicationCommand {
	cmd := pollCommand(groups, true)
	if len(groups.All()) > maxChoices || commandChars(cmd) > maxCommandChars {
		cmd = pollCommand(groups, false)
	}
	return []*discordgo.ApplicationCommand{cmd}
}

// pollCommand builds /poll, with the groups as choices of the group
// options or with those options autocompleted.
func pollCommand(groups *polls.Groups, groupChoices bool) *discordgo.ApplicationCommand {
	str := func(name, desc string, required bool) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionString, Name: name, Description: desc, Required: required}
	}
	pollOpt := func() *discordgo.ApplicationCommandOption {
		o := str("poll", "Poll id, e.g. K7QX", true)
		o.Autocomplete = true
		return o
	}
	groupOpt := func(required bool) *discordgo.ApplicationCommandOption {
		o := str("group", "Stakeholder group", required)
		if !groupChoices {
			o.Autocomplete = true
			return o
		}
		for _, g := range groups.All() {
			o.Choices = append(o.Choices, groupChoice(g))
		}
		return o
	}
	minOne := 1.0
	openOpts := func() []*discordgo.ApplicationCommandOption {
		kind := str("kind", "How ballots are cast (default approval)", false)
		for _, k := range []polls.Kind{polls.Approval, polls.Single, polls.Ranked} {
			kind.Choices = append(kind.Choices, &discordgo.ApplicationCommandOptionChoice{Name: string(k), Value: string(k)})
		}
		return []*discordgo.ApplicationCommandOption{
			kind,
			str("closes", "Deadline: a duration (48h, 2d) or a time (2026-12-01T15:00Z)", false),
			{Type: discordgo.ApplicationCommandOptionBoolean, Name: "anonymous", Description: "Store ballots under a pseudonym"},
			{Type: discordgo.ApplicationCommandOptionBoolean, Name: "hide_results", Description: "Hide results until the poll closes"},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "quorum", Description: "Minimum ballots for a group to count (default 3)", MinValue: &minOne},
			{Type: discordgo.ApplicationCommandOptionNumber, Name: "threshold", Description: "Support needed in every group, 0..1 (default 0.5)", MaxValue: 1},
			{Type: discordgo.ApplicationCommandOptionInteger, Name: "max_choices", Description: "Most themes one ballot may choose (approval)", MinValue: &minOne},
		}
	}
	sub := func(name, desc string, opts ...*discordgo.ApplicationCommandOption) *discordgo.ApplicationCommandOption {
		return &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: name, Description: desc, Options: opts}
	}
	status := str("status", "Which polls (default open)", false)
	for _, s := range []string{"open", "closed", "all"} {
		status.Choices = append(status.Choices, &discordgo.ApplicationCommandOptionChoice{Name: s, Value: s})
	}
	format := str("format", "File format (default csv)", false)
	for _, f := range []string{"csv", "json", "md"} {
		format.Choices = append(format.Choices, &discordgo.ApplicationCommandOptionChoice{Name: f, Value: f})
	}
	// Servers only: polls need a server's members and roles (handle
	// refuses direct messages too). Contexts replaces the deprecated
	// dm_permission.
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	return &discordgo.ApplicationCommand{
		Name:        "poll",
		Description: "Multistakeholder consensus polls",
		Contexts:    &guildOnly,
		Options: []*discordgo.ApplicationCommandOption{
			sub("open", "Open a poll of candidate themes",
				append([]*discordgo.ApplicationCommandOption{
					str("title", "The question", true),
					str("themes", `Themes: "Quoted labels" or separated by ;`, true),
				}, openOpts()...)...),
			sub("preset", "Open a poll from a preset theme list", append([]*discordgo.ApplicationCommandOption{str("name", "Preset name", true)}, openOpts()...)...),
			sub("list", "List polls", status),
			sub("vote", "Vote by text: theme numbers or labels", pollOpt(), str("themes", "Theme numbers or labels, e.g. 1,3", true)),
			sub("unvote", "Withdraw your ballot", pollOpt()),
			sub("group", "Show or set your stakeholder group", groupOpt(false)),
			sub("assign", "Assign a participant's group (facilitators)",
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionUser, Name: "user", Description: "Participant", Required: true},
				groupOpt(true)),
			sub("close", "Close a poll", pollOpt()),
			sub("reopen", "Reopen a closed poll", pollOpt()),
			sub("cancel", "Cancel a poll", pollOpt()),
			sub("extend", "Move a poll's deadline", pollOpt(), str("duration", "How much longer, e.g. 24h", true)),
			sub("report", "Consensus report with chart", pollOpt()),
			sub("export", "Export the tally or the ballots as a file", pollOpt(), format,
				&discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionBoolean, Name: "ballots", Description: "Ballots instead of the tally (facilitators)"}),
			sub("help", "How to use pollbot"),
		},
	}
}

// groupChoice offers a group: its label, shown literally, and its id.
func groupChoice(g polls.GroupInfo) *discordgo.ApplicationCommandOptionChoice {
	return &discordgo.ApplicationCommandOptionChoice{Name: bot.Clip(strings.TrimSpace(g.Label), maxChoiceName), Value: string(g.ID)}
}

// commandChars counts a command as Discord does against maxCommandChars:
// the characters (code points) of its name and description and, for every
// option, subcommand and choice below it, of their names, descriptions and
// values. Where localizations are given, only the longest version of each
// field counts.
func commandChars(c *discordgo.ApplicationCommand) int {
	n := longest(c.Name, deref(c.NameLocalizations)) + longest(c.Description, deref(c.DescriptionLocalizations))
	for _, o := range c.Options {
		n += optionChars(o)
	}
	return n
}

func optionChars(o *discordgo.ApplicationCommandOption) int {
	n := longest(o.Name, o.NameLocalizations) + longest(o.Description, o.DescriptionLocalizations)
	for _, ch := range o.Choices {
		n += longest(ch.Name, ch.NameLocalizations) + utf8.RuneCountInString(fmt.Sprint(ch.Value))
	}
	for _, sub := range o.Options {
		n += optionChars(sub)
	}
	return n
}

func deref(m *map[discordgo.Locale]string) map[discordgo.Locale]string {
	if m == nil {
		return nil
	}
	return *m
}

func longest(s string, localized map[discordgo.Locale]string) int {
	n := utf8.RuneCountInString(s)
	for _, l := range localized {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

// optionMap indexes a subcommand's options by name.
type optionMap map[string]*discordgo.ApplicationCommandInteractionDataOption

func (m optionMap) str(name string) string {
	if o := m[name]; o != nil {
		if s, ok := o.Value.(string); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

func (m optionMap) boolean(name string) bool {
	if o := m[name]; o != nil {
		b, _ := o.Value.(bool)
		return b
	}
	return false
}

func (m optionMap) number(name string) float64 {
	if o := m[name]; o != nil {
		f, _ := o.Value.(float64)
		return f
	}
	return 0
}

// subcommand returns the /poll subcommand and its options.
func subcommand(d discordgo.ApplicationCommandInteractionData) (string, optionMap) {
	m := optionMap{}
	if len(d.Options) == 0 {
		return "", m
	}
	s := d.Options[0]
	for _, o := range s.Options {
		m[o.Name] = o
	}
	return s.Name, m
}

// command builds the engine's command from typed options. Values that have
// a grammar of their own (themes, durations, deadlines) go through the
// engine's parsers, so errors are worded the same as for typed text.
func command(name string, o optionMap) (bot.Command, error) {
	switch name {
	case "help":
		return bot.Help{}, nil
	case "open":
		themes, err := bot.ParseThemes(o.str("themes"))
		if err != nil {
			return nil, withUsage(err, "open")
		}
		opts, err := openOptions(o)
		if err != nil {
			return nil, withUsage(err, "open")
		}
		return bot.Open{Title: o.str("title"), Themes: themes, Opts: opts}, nil
	case "preset":
		opts, err := openOptions(o)
		if err != nil {
			return nil, withUsage(err, "preset")
		}
		return bot.Preset{Preset: o.str("name"), Opts: opts}, nil
	case "list":
		return bot.List{Status: o.str("status")}, nil
	case "vote":
		// "1,3" or "1 3" or quoted labels: the text grammar reads them.
		themes := strings.ReplaceAll(o.str("themes"), ",", " ")
		return bot.Parse("vote " + quoteID(o.str("poll")) + " " + themes)
	case "unvote":
		return bot.Unvote{Poll: o.str("poll")}, nil
	case "group":
		return bot.Group{Group: o.str("group")}, nil
	case "assign":
		return bot.Assign{User: "<@" + o.str("user") + ">", Group: o.str("group")}, nil
	case "close":
		return bot.Close{Poll: o.str("poll")}, nil
	case "reopen":
		return bot.Reopen{Poll: o.str("poll")}, nil
	case "cancel":
		return bot.Cancel{Poll: o.str("poll")}, nil
	case "extend":
		d, err := bot.ParseDuration(o.str("duration"))
		if err != nil {
			return nil, withUsage(err, "extend")
		}
		return bot.Extend{Poll: o.str("poll"), By: d}, nil
	case "report":
		return bot.Report{Poll: o.str("poll")}, nil
	case "export":
		return bot.Export{Poll: o.str("poll"), Format: o.str("format"), Ballots: o.boolean("ballots")}, nil
	}
	return nil, &bot.UsageError{Problem: fmt.Sprintf("unknown subcommand %q", name), Usage: bot.Usage("help")}
}

// quoteID keeps a poll id one word for Parse whatever was typed.
func quoteID(id string) string {
	if id == "" || strings.ContainsAny(id, " \t\"'“”‘’") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(id) + `"`
	}
	return id
}

func openOptions(o optionMap) (bot.OpenOptions, error) {
	var opts bot.OpenOptions
	if k := o.str("kind"); k != "" {
		kind, err := polls.ParseKind(k)
		if err != nil {
			return opts, err
		}
		opts.Kind = kind
	}
	if c := o.str("closes"); c != "" {
		d, err := bot.ParseDeadline(c)
		if err != nil {
			return opts, err
		}
		opts.Closes = d
	}
	opts.Anonymous = o.boolean("anonymous")
	opts.HideResults = o.boolean("hide_results")
	opts.Quorum = int(o.number("quorum"))
	opts.Threshold = o.number("threshold")
	opts.MaxChoices = int(o.number("max_choices"))
	return opts, nil
}

func withUsage(err error, name string) error {
	var ue *bot.UsageError
	if errors.As(err, &ue) && ue.Usage == "" {
		c := *ue
		c.Usage = bot.Usage(name)
		return &c
	}
	return err
}

// usageText words a command-building error for its sender.
func usageText(err error) string {
	// A problem or a domain error's detail quotes what was typed: it is
	// user text, which message escapes.
	var ue *bot.UsageError
	if errors.As(err, &ue) {
		s := ue.Problem
		if s != "" {
			s = strings.ToUpper(s[:1]) + s[1:]
		}
		if !strings.HasSuffix(s, ".") {
			s += "."
		}
		s = bot.UserText(s)
		if ue.Usage != "" {
			s += "\nUsage: " + ue.Usage
		}
		return s
	}
	var de *polls.Error
	if errors.As(err, &de) {
		return bot.UserText(de.Error())
	}
	return "That command could not be read."
}
