package discord

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	catalog "github.com/pollbot/pollbot/bot/msg"
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
	maxDescription  = 100 // characters of a description
)

// commands is the /poll application command: a subcommand for every
// subcommand of the engine's command table (bot.Specs), with its typed
// options. The group options list the configured groups, and preset's
// name option the presets, as choices when they fit, within 25 choices
// and Discord's budget for the whole command; otherwise (many groups or
// presets, long labels) they are autocompleted instead (see
// onAutocomplete), so that any configuration registers.
func commands(e *bot.Engine) []*discordgo.ApplicationCommand {
	groups := len(e.Groups().All()) <= maxChoices
	presets := len(e.Choices(bot.PresetChoices)) <= maxChoices
	cmd := pollCommand(e, groups, presets)
	if commandChars(cmd) > maxCommandChars && presets {
		presets = false
		cmd = pollCommand(e, groups, presets)
	}
	if commandChars(cmd) > maxCommandChars {
		cmd = pollCommand(e, false, false)
	}
	return []*discordgo.ApplicationCommand{cmd}
}

// optionTypes are Discord's types of the table's option types.
var optionTypes = map[bot.OptionType]discordgo.ApplicationCommandOptionType{
	bot.OptString:  discordgo.ApplicationCommandOptionString,
	bot.OptInteger: discordgo.ApplicationCommandOptionInteger,
	bot.OptNumber:  discordgo.ApplicationCommandOptionNumber,
	bot.OptBoolean: discordgo.ApplicationCommandOptionBoolean,
	bot.OptUser:    discordgo.ApplicationCommandOptionUser,
}

// pollCommand builds /poll from the command table, with the groups as
// choices of the group options and the presets as choices of preset's name,
// or with those options autocompleted.
func pollCommand(e *bot.Engine, groupChoices, presetChoices bool) *discordgo.ApplicationCommand {
	// Descriptions are plain text, in the engine's language.
	p := e.Printer()
	describe := func(m catalog.Message) string { return bot.Clip(bot.PlainText(p.Sprint(m)), maxDescription) }
	var subs []*discordgo.ApplicationCommandOption
	for _, sp := range bot.Specs() {
		sub := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionSubCommand, Name: sp.Name, Description: describe(sp.Short)}
		for _, o := range sp.Options {
			opt := &discordgo.ApplicationCommandOption{
				Type: optionTypes[o.Type], Name: o.Name, Description: describe(o.Help),
				Required: o.Required, Autocomplete: o.Autocomplete,
			}
			if o.Min != 0 {
				opt.MinValue = &o.Min
			}
			if o.Max != 0 {
				opt.MaxValue = o.Max
			}
			switch {
			case o.Choices == bot.GroupChoices && !groupChoices:
				opt.Autocomplete = true
			case o.Choices == bot.GroupChoices:
				for _, g := range e.Groups().All() {
					opt.Choices = append(opt.Choices, groupChoice(g))
				}
			case o.Choices == bot.PresetChoices && !presetChoices:
				opt.Autocomplete = true
			case o.Choices != bot.NoChoices:
				for _, c := range e.Choices(o.Choices) {
					if len(opt.Choices) == maxChoices {
						break
					}
					opt.Choices = append(opt.Choices, choice(c))
				}
			}
			sub.Options = append(sub.Options, opt)
		}
		subs = append(subs, sub)
	}
	// Servers only: polls need a server's members and roles (handle
	// refuses direct messages too). Contexts replaces the deprecated
	// dm_permission.
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	return &discordgo.ApplicationCommand{
		Name:        "poll",
		Description: describe(catalog.ShortPoll.With()),
		Contexts:    &guildOnly,
		Options:     subs,
	}
}

// choice offers a value of the command table's choices.
func choice(c bot.Choice) *discordgo.ApplicationCommandOptionChoice {
	return &discordgo.ApplicationCommandOptionChoice{Name: bot.Clip(c.Name, maxChoiceName), Value: c.Value}
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

// command builds the engine's command from typed options, through the
// table's translation into the text grammar (bot.FromOptions): one
// grammar, one set of errors.
func command(name string, o optionMap) (bot.Command, error) {
	values := make(map[string]any, len(o))
	for k, v := range o {
		values[k] = v.Value
	}
	return bot.FromOptions(name, values)
}
