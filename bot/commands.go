package bot

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// Spec is one /poll subcommand, defined in one place: the text grammar's
// dispatch (Parse), /poll help, the usage line errors show, which commands
// are answered after the acknowledgement (Slow), who may run them, and the
// typed options chat platforms offer (Discord's application command and
// the translation of its options into the text grammar, FromOptions) all
// come from specs. TestSurfaces checks every surface against them.
//
// Adding a subcommand is an entry in specs (with its parser and handler)
// and its words; docs/ARCHITECTURE.md walks through it.
type Spec struct {
	Name  string
	Topic string      // the /poll help topic it is explained under
	Usage msg.Message // the usage line, after "/poll "
	Short msg.Message // one line, for the help overview and Discord
	// Access says who may run it. Facilitators-only commands are refused
	// before their handler runs; Managers are checked by the handler,
	// which reads the poll to know its creator.
	Access Access
	// Slow commands (a chart, a file) are answered after the platform's
	// acknowledgement, not within it.
	Slow bool
	// Options are the typed options, required ones first, in the order
	// their values are written into the text grammar.
	Options []Option
	parse   func(args []token) (Command, msg.Message)
	handle  func(e *Engine, ctx context.Context, req Request, cmd Command) Response
}

// Access says who may run a subcommand.
type Access int

const (
	Everyone     Access = iota
	Managers            // configured facilitators and the poll's creator
	Facilitators        // configured facilitators only
)

// OptionType is the type of a typed option's value.
type OptionType int

const (
	OptString OptionType = iota
	OptInteger
	OptNumber
	OptBoolean
	OptUser // a platform user, whose value is the user's id
)

// Choices names the values an option offers; those of GroupChoices and
// PresetChoices come from the deployment's configuration.
type Choices int

const (
	NoChoices Choices = iota
	KindChoices
	StatusChoices
	FormatChoices
	GroupChoices
	PresetChoices
)

// Option is a subcommand's typed option.
type Option struct {
	Name     string      // as platforms show it: "hide_results"
	Help     msg.Message // at most 100 characters
	Type     OptionType
	Required bool
	Choices  Choices
	// Autocomplete marks a poll id, which platforms complete from the
	// channel's open polls.
	Autocomplete bool
	// Min and Max bound numbers (both zero: no bound).
	Min, Max float64
	// Hint is what a text flag's value should be, for its error.
	Hint msg.Message
	// Metavar stands for a text flag's value in the usage line: a symbol
	// or an example value, as typed ("N", "48h|2026-12-01T15:00Z").
	Metavar string
	// as is how the value is written in the text grammar.
	as writeAs
}

// writeAs is how a typed option's value goes into command text.
type writeAs int

const (
	asQuoted writeAs = iota // an argument, quoted when it needs it
	asID                    // a poll id, kept one word
	asThemes                // themes as the open grammar wants them: "A; B" or quoted labels
	asWords                 // words the grammar reads on its own (vote's themes)
	asWordIf                // a boolean that writes the option's name as a word (export's "ballots")
	asUser                  // a user id, written as a mention
	asFlag                  // a --flag (with its value, unless boolean)
)

// Flag is the option's text flag: "--hide-results".
func (o Option) Flag() string { return "--" + strings.ReplaceAll(o.Name, "_", "-") }

// takesValue reports whether the option's text flag takes a value.
func (o Option) takesValue() bool { return o.Type != OptBoolean }

func pollOption() Option {
	return Option{Name: "poll", Help: msg.OptPoll.With(), Required: true, Autocomplete: true, as: asID}
}

// openOptions are the options open and preset share.
func openOptions() []Option {
	return []Option{
		{Name: "kind", Help: msg.OptKind.With(), Choices: KindChoices, Hint: msg.HintKind.With(), Metavar: "approval|single|ranked", as: asFlag},
		{Name: "closes", Help: msg.OptCloses.With(), Hint: msg.HintCloses.With(), Metavar: "48h|2026-12-01T15:00Z", as: asFlag},
		{Name: "anonymous", Help: msg.OptAnonymous.With(), Type: OptBoolean, as: asFlag},
		{Name: "hide_results", Help: msg.OptHideResults.With(), Type: OptBoolean, as: asFlag},
		{Name: "quorum", Help: msg.OptQuorum.With(), Type: OptInteger, Min: 1, Max: maxQuorum, Hint: msg.HintQuorum.With(), Metavar: "N", as: asFlag},
		{Name: "threshold", Help: msg.OptThreshold.With(), Type: OptNumber, Max: 1, Hint: msg.HintThreshold.With(), Metavar: "0.6", as: asFlag},
		{Name: "max_choices", Help: msg.OptMaxChoices.With(), Type: OptInteger, Min: 1, Max: 25, Hint: msg.HintMaxChoices.With(), Metavar: "N", as: asFlag},
		{Name: "min_groups", Help: msg.OptMinGroups.With(), Type: OptInteger, Min: 1, Max: 100, Hint: msg.HintMinGroups.With(), Metavar: "K", as: asFlag},
		{Name: "remind", Help: msg.OptRemind.With(), Hint: msg.HintRemind.With(), Metavar: "24h,1h", as: asFlag},
	}
}

// specs is the table, in the order chat platforms list the subcommands.
var specs []Spec

func init() {
	// Assigned here rather than in the declaration: the parse functions
	// refer back to specs through errorFor.
	specs = []Spec{
		{Name: "open", Topic: "open", Usage: msg.UsageOpen.With(),
			Short:   msg.ShortOpen.With(),
			Options: append([]Option{{Name: "title", Help: msg.OptTitle.With(), Required: true, as: asQuoted}, {Name: "themes", Help: msg.OptThemes.With(), Required: true, as: asThemes}}, openOptions()...),
			parse:   parseOpen,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				o := c.(Open)
				return e.open(ctx, req, o.Title, o.Themes, o.Opts)
			}},
		{Name: "preset", Topic: "preset", Usage: msg.UsagePreset.With(), Short: msg.ShortPreset.With(),
			Options: append([]Option{{Name: "name", Help: msg.OptPreset.With(), Required: true, Choices: PresetChoices, as: asQuoted}}, openOptions()...),
			parse:   parsePreset,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.preset(ctx, req, c.(Preset))
			}},
		{Name: "list", Topic: "list", Usage: msg.UsageList.With(),
			Short: msg.ShortList.With(),
			Options: []Option{
				{Name: "status", Help: msg.OptStatus.With(), Choices: StatusChoices, as: asQuoted},
				{Name: "all", Help: msg.OptAll.With(), Type: OptBoolean, as: asFlag},
				{Name: "page", Help: msg.OptPage.With(), Type: OptInteger, Min: 1, Max: maxPage, Hint: msg.HintPage.With(), Metavar: "N", as: asFlag},
			},
			parse: parseList,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.list(ctx, req, c.(List))
			}},
		{Name: "vote", Topic: "vote", Usage: msg.UsageVote.With(), Short: msg.ShortVote.With(),
			Options: []Option{pollOption(), {Name: "themes", Help: msg.OptVoteThemes.With(), Required: true, as: asWords}},
			parse:   parseVote,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.vote(ctx, req, c.(Vote))
			}},
		{Name: "unvote", Topic: "vote", Usage: msg.UsageUnvote.With(), Short: msg.ShortUnvote.With(),
			Options: []Option{pollOption()},
			parse:   pollOnly("unvote", func(id string) Command { return Unvote{Poll: id} }),
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.unvote(ctx, req, c.(Unvote))
			}},
		{Name: "group", Topic: "groups", Usage: msg.UsageGroup.With(), Short: msg.ShortGroup.With(),
			Options: []Option{{Name: "group", Help: msg.OptGroup.With(), Choices: GroupChoices, as: asQuoted}},
			parse:   parseGroup,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.group(ctx, req, c.(Group))
			}},
		{Name: "assign", Topic: "groups", Usage: msg.UsageAssign.With(), Access: Facilitators,
			Short: msg.ShortAssign.With(),
			Options: []Option{
				{Name: "user", Help: msg.OptUser.With(), Type: OptUser, Required: true, as: asUser},
				{Name: "group", Help: msg.OptGroup.With(), Required: true, Choices: GroupChoices, as: asQuoted},
			},
			parse: parseAssign,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.assign(ctx, req, c.(Assign))
			}},
		{Name: "close", Topic: "close", Usage: msg.UsageClose.With(), Access: Managers, Short: msg.ShortClose.With(),
			Options: []Option{pollOption()},
			parse:   pollOnly("close", func(id string) Command { return Close{Poll: id} }),
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.finish(ctx, req, c.(Close).Poll, polls.StatusClosed)
			}},
		{Name: "reopen", Topic: "reopen", Usage: msg.UsageReopen.With(), Access: Managers, Short: msg.ShortReopen.With(),
			Options: []Option{pollOption(), {Name: "duration", Help: msg.OptReopenFor.With(), as: asQuoted}},
			parse:   parseReopen,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.reopen(ctx, req, c.(Reopen))
			}},
		{Name: "cancel", Topic: "cancel", Usage: msg.UsageCancel.With(), Access: Managers, Short: msg.ShortCancel.With(),
			Options: []Option{pollOption()},
			parse:   pollOnly("cancel", func(id string) Command { return Cancel{Poll: id} }),
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.finish(ctx, req, c.(Cancel).Poll, polls.StatusCancelled)
			}},
		{Name: "extend", Topic: "extend", Usage: msg.UsageExtend.With(), Access: Managers, Short: msg.ShortExtend.With(),
			Options: []Option{pollOption(), {Name: "duration", Help: msg.OptExtendBy.With(), Required: true, as: asQuoted}},
			parse:   parseExtend,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.extend(ctx, req, c.(Extend))
			}},
		{Name: "remind", Topic: "remind", Usage: msg.UsageRemind.With(), Access: Managers,
			Short:   msg.ShortRemind.With(),
			Options: []Option{pollOption()},
			parse:   pollOnly("remind", func(id string) Command { return Remind{Poll: id} }),
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.remind(ctx, req, c.(Remind))
			}},
		{Name: "report", Topic: "report", Usage: msg.UsageReport.With(), Slow: true,
			Short:   msg.ShortReport.With(),
			Options: []Option{pollOption()},
			parse:   pollOnly("report", func(id string) Command { return Report{Poll: id} }),
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.report(ctx, req, c.(Report))
			}},
		{Name: "export", Topic: "export", Usage: msg.UsageExport.With(strings.Join(report.Names(false), "|")), Slow: true,
			Short: msg.ShortExport.With(),
			Options: []Option{pollOption(),
				{Name: "format", Help: msg.OptFormat.With(), Choices: FormatChoices, as: asQuoted},
				{Name: "ballots", Help: msg.OptBallots.With(), Type: OptBoolean, as: asWordIf},
			},
			parse: parseExport,
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.export(ctx, req, c.(Export))
			}},
		{Name: "timeline", Topic: "timeline", Usage: msg.UsageTimeline.With(), Slow: true,
			Short:   msg.ShortTimeline.With(),
			Options: []Option{pollOption()},
			parse:   pollOnly("timeline", func(id string) Command { return Timeline{Poll: id} }),
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.timeline(ctx, req, c.(Timeline))
			}},
		{Name: "screen", Topic: "screen", Usage: msg.UsageScreen.With(), Access: Managers,
			Short:   msg.ShortScreen.With(),
			Options: []Option{pollOption()},
			parse:   pollOnly("screen", func(id string) Command { return Screen{Poll: id} }),
			handle: func(e *Engine, ctx context.Context, req Request, c Command) Response {
				return e.screen(ctx, req, c.(Screen))
			}},
		{Name: "help", Topic: "", Usage: msg.UsageHelp.With(), Short: msg.ShortHelp.With(),
			Options: []Option{{Name: "topic", Help: msg.OptTopic.With(), as: asQuoted}},
			parse:   parseHelp,
			handle: func(e *Engine, _ context.Context, _ Request, c Command) Response {
				return ephemeral(HelpText(e.p, c.(Help).Topic))
			}},
	}
	initUsage()
}

// Specs returns every subcommand's spec, in the order help lists them.
func Specs() []Spec { return append([]Spec(nil), specs...) }

// Lookup returns the spec of a subcommand by name (any case), or nil.
func Lookup(name string) *Spec {
	for i := range specs {
		if strings.EqualFold(specs[i].Name, name) {
			return &specs[i]
		}
	}
	return nil
}

// Line is the subcommand's usage line: "/poll " and Usage, then every
// text flag ("[--kind approval|single|ranked]"); with short set, a
// subcommand with more than three flags ends in "[options]" instead.
func (s *Spec) Line(short bool) msg.Message {
	var flags strings.Builder
	n := 0
	for _, o := range s.Options {
		switch {
		case o.as != asFlag:
			continue
		case o.takesValue():
			flags.WriteString(" [" + o.Flag() + " " + o.Metavar + "]")
		default:
			flags.WriteString(" [" + o.Flag() + "]")
		}
		n++
	}
	if short && n > 3 {
		return msg.UsageLineShort.With(s.Usage)
	}
	return msg.UsageLine.With(s.Usage, flags.String())
}

// IsSlow reports whether cmd is answered after the acknowledgement.
func IsSlow(cmd Command) bool {
	s := Lookup(cmd.Name())
	return s != nil && s.Slow
}

// flag returns the spec's text flag option whose name folds to key (see
// optionKey), or nil.
func (s *Spec) flag(key string) *Option {
	for i := range s.Options {
		if o := &s.Options[i]; o.as == asFlag && optionKey(o.Name) == key {
			return o
		}
	}
	return nil
}

// maxOptionBytes bounds the text FromOptions parses: typed values are
// already bounded by the request body, and a long value should get the
// error that names it ("the title is 10000 characters; at most 200")
// rather than the grammar's general refusal of long text.
const maxOptionBytes = kit.MaxBody

// FromOptions turns a subcommand's typed options (by option name: strings,
// float64 numbers, booleans; a user option's value is the user id) into a
// command, by writing them as the text grammar reads them and parsing
// that: typed and typed-as-text commands are one grammar, with the same
// errors.
func FromOptions(name string, values map[string]any) (Command, error) {
	s := Lookup(name)
	if s == nil {
		return nil, generalError(msg.ParseUnknownCommand.With(typed(name, 40)))
	}
	words := []string{s.Name}
	var flags []string
	for _, o := range s.Options {
		v, ok := values[o.Name]
		if !ok || v == nil {
			continue
		}
		w, err := o.write(v)
		if err != nil {
			if ue, ok := err.(*UsageError); ok && ue.Usage.IsZero() {
				return nil, errorFor(s.Name, ue.Problem)
			}
			return nil, err
		}
		if w == "" {
			continue
		}
		if o.as == asFlag {
			flags = append(flags, w)
		} else {
			words = append(words, w)
		}
	}
	return parse(strings.Join(append(words, flags...), " "), maxOptionBytes)
}

// write is the option's value v as command text ("" for nothing).
func (o Option) write(v any) (string, error) {
	s := ""
	switch x := v.(type) {
	case string:
		s = strings.TrimSpace(x)
	case float64:
		if o.Type == OptInteger {
			s = strconv.FormatInt(int64(x), 10)
		} else {
			s = strconv.FormatFloat(x, 'g', -1, 64)
		}
	case bool:
		if !x {
			return "", nil
		}
		s = "true"
	default:
		s = fmt.Sprint(v)
	}
	switch o.as {
	case asID:
		return quoteID(s), nil
	case asThemes:
		themes, err := ParseThemes(s)
		if err != nil {
			return "", err
		}
		q := make([]string, len(themes))
		for i, t := range themes {
			q[i] = quote(t)
		}
		return strings.Join(q, " "), nil
	case asWords:
		// "1,3", "1 3" and quoted labels: the grammar reads them.
		return strings.ReplaceAll(s, ",", " "), nil
	case asWordIf:
		return o.Name, nil
	case asUser:
		return "<@" + s + ">", nil
	case asFlag:
		if !o.takesValue() {
			return o.Flag(), nil
		}
		return o.Flag() + " " + quote(s), nil
	}
	if s == "" {
		return "", nil
	}
	return quote(s), nil
}

// quoteID keeps a poll id one word whatever was typed.
func quoteID(id string) string {
	if id == "" || strings.ContainsAny(id, " \t\"'“”‘’") {
		return quote(id)
	}
	return id
}

// Choice is one value a typed option offers: what people see, and the
// value.
type Choice struct{ Name, Value string }

// Choices returns the values of a choice set, from the deployment's
// configuration where it has a say (groups, presets).
func (e *Engine) Choices(c Choices) []Choice {
	var out []Choice
	switch c {
	case KindChoices:
		for _, k := range polls.Kinds() {
			out = append(out, Choice{string(k), string(k)})
		}
	case StatusChoices:
		for _, s := range []string{"open", "closed", "cancelled", "all"} {
			out = append(out, Choice{s, s})
		}
	case FormatChoices:
		for _, f := range report.Formats(false) {
			out = append(out, Choice{e.p.Sprint(msg.ChoiceTitled.With(f.Name, e.p.Sprint(f.Title))), f.Name})
		}
	case GroupChoices:
		for _, g := range e.groups.All() {
			out = append(out, Choice{strings.TrimSpace(g.Label), string(g.ID)})
		}
	case PresetChoices:
		// The name, then what the preset asks, so that a menu of presets
		// says what each is.
		for _, n := range e.cfg.PresetNames() {
			def, _ := e.cfg.preset(n)
			name := n
			if def.Title != "" {
				name = e.p.Sprint(msg.ChoiceTitled.With(n, def.Title))
			}
			out = append(out, Choice{name, n})
		}
	}
	return out
}

// Refuse answers a request whose command could not be read (a parse or
// translation error), worded as for typed text.
func (e *Engine) Refuse(req Request, err error) Response {
	e.metrics.Command(platformOf(req), "invalid", 0, true)
	return e.fail(req, "parse", err)
}
