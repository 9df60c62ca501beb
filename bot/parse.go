package bot

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// Limits that reject absurd input before any real work. A real /poll command
// is a few hundred bytes and a few dozen words (25 themes at most), so these
// only ever stop abuse and pasted documents.
const (
	maxTextBytes = 10000
	maxTokens    = 100
)

// MaxCommandBytes is the longest command text Parse reads; longer text is
// refused as too long, whatever it says.
const MaxCommandBytes = maxTextBytes

// UsageError is what Parse returns for text that is not a valid command. It
// is meant for the person who typed the command, privately: Problem names what is wrong in their own words, Usage is the
// usage line of the subcommand they tried (the general one when the
// subcommand is unknown), and Topic is the help topic to offer, "" for the
// general help.
type UsageError struct {
	// Problem quotes what was typed as user text (see UserText).
	Problem msg.Message
	Usage   msg.Message // "/poll vote ID THEME..."; zero when there is none to show
	Topic   string
}

// Error is the problem and its usage line in English, for logs and tools.
func (e *UsageError) Error() string {
	p := msg.English()
	if e.Usage.IsZero() {
		return PlainText(p.Sprint(e.Problem))
	}
	return PlainText(p.Sprint(e.Problem) + "\n" + p.Sprint(msg.ReplyUsage.With(e.Usage)))
}

// valueError is a problem with a value on its own (a duration, a time, a
// theme list), before Parse knows which subcommand it belongs to.
func valueError(problem msg.Message) *UsageError {
	return &UsageError{Problem: problem}
}

// typed is what someone typed, cut to n runes and quoted, as user text:
// how a problem quotes it.
func typed(s string, n int) string { return UserText(strconv.Quote(excerpt(s, n))) }

// typedWord is what someone typed, cut to n runes, as user text, quoted
// only when it is not one word (see quoteIfNeeded).
func typedWord(s string, n int) string { return UserText(quoteIfNeeded(excerpt(s, n))) }

// Parse reads the text of a /poll command: what follows "/poll" in Slack, a
// shell line, or the words a Discord adapter assembles from its options. A
// leading "/poll" word is accepted too, and empty text is Help. The result is
// one of the command types of command.go, as a value (Open, not *Open). Every
// error is a *UsageError.
//
// Words are separated by white space; a label with spaces is quoted with
// straight or typographic quotes (" ' “” ‘’ „“ «»), because Slack and phones
// rewrite the quotes people type. A quote opens a quoted string only at the
// start of a word, so the apostrophe in don't is a letter, and it closes one
// only where a word could end (before a space, a comma or the end), so
// 'don't stop' is one label. Inside quotes a backslash escapes a quote or a
// backslash. Options (--kind ranked, --kind=ranked, or —kind as phones write
// --) may come anywhere after "/poll".
func Parse(text string) (Command, error) { return parse(text, maxTextBytes) }

// parse is Parse with a bound on the text's bytes (the words are bounded
// by maxTokens whatever it is).
func parse(text string, maxBytes int) (Command, error) {
	if len(text) > maxBytes {
		return nil, tooLong(guessCommand(text))
	}
	if !utf8.ValidString(text) {
		return nil, generalError(msg.ParseNotUTF8.With())
	}
	toks, terr := tokenize(text)
	if terr != nil {
		if terr.Problem.ID() == tooLongProblem.ID() {
			return nil, tooLong(guessCommand(text))
		}
		// The tokenizer does not know the subcommand yet; guess it from the
		// first word so the error still shows the right usage line.
		terr.Usage, terr.Topic = guessUsage(text)
		return nil, terr
	}
	if len(toks) > 0 && !toks[0].quoted && strings.EqualFold(toks[0].text, "/poll") {
		toks = toks[1:]
	}
	cmd, err := parseTokens(toks)
	if err != nil {
		return nil, err
	}
	// The canonical form may be longer than the input (escaped quotes,
	// --flag=value split in two, "1,2,3" split into three words); refuse what
	// could not be read back, so that every parsed command round-trips.
	if len(cmd.String()) > maxBytes || canonicalWords(cmd) > maxTokens {
		return nil, tooLong(cmd.Name())
	}
	return cmd, nil
}

// canonicalWords is the number of words in cmd.String(), counted from the
// command's structure (the fuzz test checks it against the tokenizer).
func canonicalWords(cmd Command) int {
	optional := func(present bool) int {
		if present {
			return 1
		}
		return 0
	}
	options := func(o OpenOptions) int {
		return 2*optional(o.Kind != "") + 2*optional(!o.Closes.IsZero()) + optional(o.Anonymous) +
			optional(o.HideResults) + 2*optional(o.Quorum != 0) + 2*optional(o.Threshold != 0) + 2*optional(o.MaxChoices != 0) +
			2*optional(o.MinGroups != 0) + 2*optional(o.Remind != nil)
	}
	switch c := cmd.(type) {
	case Help:
		return 1 + optional(c.Topic != "")
	case Open:
		return 2 + len(c.Themes) + options(c.Opts)
	case Preset:
		return 1 + optional(c.Preset != "") + options(c.Opts)
	case List:
		return 1 + optional(c.Status != "" && c.Status != "open") + optional(c.All) + 2*optional(c.Page > 1)
	case Vote:
		return 2 + len(c.Themes)
	case Group:
		return 1 + optional(c.Group != "")
	case Assign, Extend:
		return 3
	case Reopen:
		return 2 + optional(c.For > 0)
	case Export:
		return 2 + optional(c.Format != "" && c.Format != "csv") + optional(c.Ballots)
	}
	return 2 // unvote, close, reopen, cancel, report: the word and a poll id
}

var tooLongProblem = msg.ParseTooLong.With(maxTokens, maxTextBytes)

// pollLimits names the limits of a poll's definition, which is what someone
// pasting a long list of themes runs into.
var pollLimits = msg.ParsePollLimits.With(polls.MaxThemes, polls.MaxThemeRunes)

// tooLong is the error for a command over the size limits, with the usage
// line of the named subcommand (the general one for ""); for open it names
// the poll's limits too.
func tooLong(name string) *UsageError {
	if c := lookupCommand(name); c != nil && c.Name == "open" {
		return errorFor(name, msg.ParseWithLimits.With(tooLongProblem, pollLimits))
	}
	return errorFor(name, tooLongProblem)
}

// guessCommand returns the subcommand that text seems to start with, ""
// when none. It reads at most the first 64 bytes, so that it costs nothing
// on a pasted document.
func guessCommand(text string) string {
	words := strings.Fields(text[:min(len(text), 64)])
	if len(words) > 0 && strings.EqualFold(words[0], "/poll") {
		words = words[1:]
	}
	if len(words) > 0 {
		if c := lookupCommand(words[0]); c != nil {
			return c.Name
		}
	}
	return ""
}

// token is one word of a command.
type token struct {
	text string
	// quoted tokens came from a quoted string: they are never options and a
	// vote never splits them at commas, so "--kind" or "Safety, security"
	// can be labels.
	quoted bool
}

// quoteClosers maps each opening quote to the quotes that close it. The
// typographic pairs are loose on purpose (“...“ and ”...” occur in the wild,
// as do German „...“ and Danish »...«).
var quoteClosers = map[rune]string{
	'"':  `"`,
	'\'': `'`,
	'“':  `”“`,
	'”':  `”“`,
	'„':  `“”`,
	'‘':  `’‘`,
	'‚':  `‘’`,
	'«':  `»`,
	'»':  `«»`,
}

func isQuote(r rune) bool {
	_, ok := quoteClosers[r]
	return ok || r == '’'
}

// tokenize splits text into words. Its errors carry no usage line yet.
func tokenize(s string) ([]token, *UsageError) {
	var toks []token
	i := 0
	for {
		for i < len(s) {
			r, w := utf8.DecodeRuneInString(s[i:])
			if !unicode.IsSpace(r) {
				break
			}
			i += w
		}
		if i >= len(s) {
			return toks, nil
		}
		if len(toks) == maxTokens {
			return nil, &UsageError{Problem: tooLongProblem}
		}
		if opensQuote(s[i:]) {
			text, n, qerr := readQuoted(s[i:], ",")
			if qerr != nil {
				return nil, qerr
			}
			toks = append(toks, token{text: text, quoted: true})
			i += n
			continue
		}
		start, end := i, -1
	word:
		for i < len(s) {
			r, w := utf8.DecodeRuneInString(s[i:])
			switch {
			case unicode.IsSpace(r):
				break word
			case r == ',' && opensQuote(s[i+w:]):
				// 1,"DNS abuse": a comma before a quote separates, as one
				// after a closing quote does ("A","B").
				end = i
				i += w
				break word
			}
			i += w
			// --closes="2026-12-01 15:00Z": a quote right after the = of an
			// option opens a quoted value.
			if r == '=' && isOption(s[start:i]) && strings.IndexByte(s[start:i], '=') == i-start-1 && opensQuote(s[i:]) {
				text, n, qerr := readQuoted(s[i:], ",")
				if qerr != nil {
					return nil, qerr
				}
				toks = append(toks, token{text: s[start:i] + text})
				i += n
				start = -1
				break
			}
		}
		if end < 0 {
			end = i
		}
		if start >= 0 && end > start {
			toks = append(toks, token{text: s[start:end]})
		}
	}
}

// opensQuote reports whether s starts with an opening quote.
func opensQuote(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return quoteClosers[r] != ""
}

// readQuoted reads the quoted string that s starts with. It returns the
// text (white space folded, escapes resolved) and the number of bytes read,
// including a separator (one of seps) right after the closing quote, so
// that "1","3" and "A", "B" read as lists. A quote that is never closed is
// an error, and so is one that closes nothing but opens a new quoted string
// while this one is open (after white space, before a word: the "A" of
// "Unclosed "A" "B"), because the label then silently swallows the next:
// the error names both places.
func readQuoted(s, seps string) (text string, n int, err *UsageError) {
	open, w := utf8.DecodeRuneInString(s)
	closers := quoteClosers[open]
	var b strings.Builder
	afterSpace := false
	for i := w; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		if r == '\\' && i+w < len(s) {
			if next, w2 := utf8.DecodeRuneInString(s[i+w:]); next == '\\' || isQuote(next) {
				b.WriteString(s[i+w : i+w+w2])
				i += w + w2
				afterSpace = false
				continue
			}
		}
		if strings.ContainsRune(closers, r) {
			// A closer only closes where a word could end: the apostrophes
			// in 'don't stop' and ‘don’t stop’ stay letters.
			end := i + w
			if end == len(s) {
				return foldSpace(b.String()), end, nil
			}
			next, wn := utf8.DecodeRuneInString(s[end:])
			if unicode.IsSpace(next) {
				return foldSpace(b.String()), end, nil
			}
			if strings.ContainsRune(seps, next) {
				return foldSpace(b.String()), end + wn, nil
			}
			if afterSpace {
				return "", 0, unbalanced(s[:i], s[i:])
			}
		}
		afterSpace = unicode.IsSpace(r)
		b.WriteString(s[i : i+w])
		i += w
	}
	return "", 0, unterminated(s)
}

// unbalanced is the error for a quoted string (open, from its opening
// quote) that is still open where another one starts (next).
func unbalanced(open, next string) *UsageError {
	open = strings.TrimRightFunc(open, unicode.IsSpace)
	if i := strings.IndexAny(next, "\n\r"); i >= 0 {
		next = next[:i]
	}
	// The escape is shown as it is typed, as user text is: a platform
	// that reads a backslash as its own escape would hide it.
	return &UsageError{Problem: msg.ParseUnbalanced.With(UserText(excerpt(open, 30)), UserText(excerpt(next, 20)), UserText(`\"`))}
}

func unterminated(rest string) *UsageError {
	return &UsageError{Problem: msg.ParseUnterminated.With(UserText(excerpt(rest, 40)))}
}

// excerpt shortens s to at most n runes for an error message. It reads no
// further than the cut.
func excerpt(s string, n int) string {
	count := 0
	for i := range s {
		if count == n {
			return s[:i] + "…"
		}
		count++
	}
	return s
}

// foldSpace trims s and folds runs of white space (newlines included) into
// one space: labels are single-line and "DNS  abuse" is "DNS abuse".
func foldSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// optionDashes are the ways people write the "--" that starts an option:
// phones turn "--" into an em dash or an en dash.
var optionDashes = []string{"--", "—", "–"}

func isOption(word string) bool {
	for _, d := range optionDashes {
		if strings.HasPrefix(word, d) {
			return true
		}
	}
	return false
}

func (t token) isOption() bool { return !t.quoted && isOption(t.text) }

// optionKey folds the spellings of an option name together: --hide-results,
// --hide_results (Discord's option name) and --HideResults are one option.
func optionKey(name string) string {
	return strings.ToLower(strings.NewReplacer("-", "", "_", "").Replace(name))
}

// lookupOption finds a text flag of any subcommand by name (any dash
// spelling), or nil.
func lookupOption(name string) *Option {
	k := optionKey(name)
	for i := range specs {
		if o := specs[i].flag(k); o != nil {
			return o
		}
	}
	return nil
}

// flagName is an option's flag without its dashes: "hide-results".
func flagName(o *Option) string { return strings.TrimPrefix(o.Flag(), "--") }

// optionArg is one option as given.
type optionArg struct {
	spec     *Option
	value    string
	hasValue bool
}

// splitOption reads "--name=value" (any dash spelling).
func splitOption(word string) (name, value string, hasValue bool) {
	name = strings.TrimLeft(word, "-—–")
	name, value, hasValue = strings.Cut(name, "=")
	return name, value, hasValue
}

// lookupCommand finds a subcommand's spec by name, or nil.
func lookupCommand(name string) *Spec { return Lookup(name) }

// errorFor is a problem with a command of the named subcommand.
func errorFor(name string, problem msg.Message) *UsageError {
	c := lookupCommand(name)
	if c == nil {
		return generalError(problem)
	}
	return &UsageError{Problem: problem, Usage: c.Line(false), Topic: c.Topic}
}

func generalError(problem msg.Message) *UsageError {
	return &UsageError{Problem: problem, Usage: generalUsage}
}

// guessUsage finds the usage line for text whose words could not be read.
func guessUsage(text string) (usage msg.Message, topic string) {
	words := strings.Fields(text)
	if len(words) > 0 && strings.EqualFold(words[0], "/poll") {
		words = words[1:]
	}
	if len(words) > 0 {
		if c := lookupCommand(words[0]); c != nil {
			return c.Line(false), c.Topic
		}
	}
	return generalUsage, ""
}

func parseTokens(toks []token) (Command, error) {
	// Options first, wherever they are, so that the positional words are
	// known before the subcommand reads them.
	var args []token
	var opts []optionArg
	var optProblem msg.Message
	note := func(p msg.Message) {
		if optProblem.IsZero() {
			optProblem = p
		}
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if !t.isOption() {
			if !t.quoted && len(t.text) > 1 && t.text[0] == '-' && lookupOption(t.text[1:]) != nil {
				// "-anonymous" would otherwise silently become a theme.
				note(msg.ParseTwoDashes.With(lookupOption(t.text[1:]).Flag()))
			}
			args = append(args, t)
			continue
		}
		name, value, hasValue := splitOption(t.text)
		spec := lookupOption(name)
		switch {
		case name == "":
			note(msg.ParseNoOptionName.With(typed(t.text, 40)))
			continue
		case spec == nil:
			p := msg.ParseUnknownOption.With(UserText(excerpt(name, 40)))
			if s := suggest(strings.ToLower(name), optionNames(), nil); s != "" {
				p = msg.ParseUnknownOptNear.With(UserText(excerpt(name, 40)), s)
			}
			note(p)
			continue
		}
		if spec.takesValue() && !hasValue && i+1 < len(toks) && !toks[i+1].isOption() {
			i++
			value, hasValue = toks[i].text, true
		}
		opts = append(opts, optionArg{spec: spec, value: value, hasValue: hasValue})
	}

	if len(args) == 0 {
		if !optProblem.IsZero() {
			return nil, generalError(optProblem)
		}
		if len(opts) > 0 {
			return nil, generalError(msg.ParseOptionAlone.With(opts[0].spec.Flag()))
		}
		return Help{}, nil
	}
	c := lookupCommand(args[0].text)
	if c == nil {
		return nil, unknownCommand(args[0].text)
	}
	if !optProblem.IsZero() {
		return nil, errorFor(c.Name, optProblem)
	}
	for i, o := range opts {
		// The flag as this subcommand defines it (several define --all,
		// say, for different things).
		if own := c.flag(optionKey(o.spec.Name)); own != nil {
			opts[i].spec = own
			continue
		}
		return nil, errorFor(c.Name, msg.ParseOptionNotFor.With(o.spec.Flag(), c.Name))
	}
	var oo OpenOptions
	if c.Name == "open" || c.Name == "preset" {
		var problem msg.Message
		if oo, problem = parseOptions(opts); !problem.IsZero() {
			return nil, errorFor(c.Name, problem)
		}
	}
	cmd, problem := c.parse(args[1:])
	if !problem.IsZero() {
		return nil, errorFor(c.Name, problem)
	}
	switch cmd := cmd.(type) {
	case Open:
		cmd.Opts = oo
		return cmd, nil
	case Preset:
		cmd.Opts = oo
		return cmd, nil
	case List:
		for _, o := range opts {
			switch o.spec.Name {
			case "all":
				cmd.All = true
			case "page":
				n, ok := parseWhole(o.value)
				if !o.hasValue || !ok || n < 1 || n > maxPage {
					return nil, errorFor(c.Name, msg.ParsePage.With(maxPage, typed(o.value, 20)))
				}
				cmd.Page = n
			}
		}
		return cmd, nil
	}
	return cmd, nil
}

// optionNames are every subcommand's text flags, without dashes.
func optionNames() []string {
	var names []string
	for i := range specs {
		for j := range specs[i].Options {
			if o := &specs[i].Options[j]; o.as == asFlag && !slices.Contains(names, flagName(o)) {
				names = append(names, flagName(o))
			}
		}
	}
	return names
}

func unknownCommand(word string) *UsageError {
	p := msg.ParseUnknownCommand.With(typed(word, 40))
	names := make([]string, len(specs))
	for i, c := range specs {
		names[i] = c.Name
	}
	if s := suggest(strings.ToLower(word), names, commandSynonyms); s != "" {
		p = msg.ParseUnknownCmdNear.With(typed(word, 40), s)
	}
	return generalError(p)
}

// commandSynonyms are words people reach for that the grammar spells
// differently.
var commandSynonyms = map[string]string{
	"results": "report", "result": "report", "tally": "report", "consensus": "report", "show": "report",
	"delete": "cancel", "remove": "cancel", "abort": "cancel", "rm": "cancel", "del": "cancel",
	"end": "close", "stop": "close", "finish": "close", "done": "close",
	"new": "open", "create": "open", "start": "open", "poll": "open",
	"ballot": "vote", "choose": "vote", "pick": "vote",
	"retract": "unvote", "withdraw": "unvote", "undo": "unvote",
	"ls": "list", "polls": "list", "status": "list",
	"download": "export", "csv": "export", "json": "export",
	"usage": "help", "?": "help", "man": "help",
	"whoami": "group", "me": "group", "stakeholder": "group", "groups": "group",
	"restart": "reopen", "resume": "reopen",
	"prolong": "extend", "postpone": "extend", "more": "extend",
	"presets": "preset", "template": "preset",
}

// Suggest returns the candidate nearest to word (any case) when it is near
// enough to be a plausible typo of it, else "": "/pol" suggests "/poll".
// Candidates are compared as given; give them in lower case.
func Suggest(word string, candidates []string) string {
	return suggest(strings.ToLower(word), candidates, nil)
}

// suggest returns the candidate nearest to word, if it is near enough to be
// a plausible typo ("opne", "vot"), or a synonym's target ("results").
func suggest(word string, candidates []string, synonyms map[string]string) string {
	if s, ok := synonyms[word]; ok {
		return s
	}
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editDistance(word, c); d < bestD {
			best, bestD = c, d
		}
	}
	// One edit on a short word is already a different word ("end" is one
	// edit from "ext..."): be stricter there.
	if best == "" || bestD > 1 && utf8.RuneCountInString(word) < 5 {
		return ""
	}
	return best
}

// editDistance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions, so "opne" is one edit from "open").
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 {
		return 64
	}
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// parseOptions validates the options of open and preset.
func parseOptions(args []optionArg) (OpenOptions, msg.Message) {
	var o OpenOptions
	seen := map[string]bool{}
	for _, a := range args {
		name := flagName(a.spec)
		if seen[name] {
			return o, msg.ParseOptionTwice.With(name)
		}
		seen[name] = true
		if a.spec.takesValue() && (!a.hasValue || a.value == "") {
			return o, msg.ParseOptionValue.With(name, a.spec.Hint)
		}
		v := a.value
		switch name {
		case "kind":
			k, err := polls.ParseKind(v)
			if err != nil {
				return o, msg.ParseKind.With(typed(v, 40))
			}
			o.Kind = k
		case "closes":
			d, err := ParseDeadline(v)
			if err != nil {
				return o, msg.ParseOptionProblem.With(name, err.(*UsageError).Problem)
			}
			o.Closes = d
		case "anonymous", "hide-results":
			on := true
			if a.hasValue {
				b, ok := parseBool(v)
				if !ok {
					return o, msg.ParseOnOff.With(name, typed(v, 40))
				}
				on = b
			}
			if name == "anonymous" {
				o.Anonymous = on
			} else {
				o.HideResults = on
			}
		case "quorum":
			n, ok := parseWhole(v)
			switch {
			case !ok:
				return o, msg.ParseWhole.With(name, typed(v, 40))
			case n < 1 || n > maxQuorum:
				return o, msg.ParseQuorumRange.With(maxQuorum, UserText(v))
			}
			o.Quorum = n
		case "threshold":
			t, ok := parseThreshold(v)
			if !ok {
				return o, msg.ParseThreshold.With(typed(v, 40))
			}
			o.Threshold = t
		case "max-choices":
			n, ok := parseWhole(v)
			switch {
			case !ok:
				return o, msg.ParseWhole.With(name, typed(v, 40))
			case n < 1 || n > 1_000_000:
				return o, msg.ParseMaxChoicesMin.With(UserText(v))
			}
			o.MaxChoices = n
		case "min-groups":
			n, ok := parseWhole(v)
			switch {
			case !ok:
				return o, msg.ParseWhole.With(name, typed(v, 40))
			case n < 1 || n > polls.MaxMinGroups:
				return o, msg.ParseMinGroups.With(polls.MaxMinGroups, UserText(v))
			}
			o.MinGroups = n
		case "remind":
			ds, problem := parseReminders(v)
			if !problem.IsZero() {
				return o, problem
			}
			o.Remind = ds
		}
	}
	return o, msg.Message{}
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

// parseWhole reads a whole number of plain digits. Signs, spaces and
// exponents are refused so that what people see is what they get; numbers
// too long to matter read as 10000000 (out of every range here).
func parseWhole(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	s = strings.TrimLeft(s, "0")
	if len(s) > 7 {
		return 10_000_000, true
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// parseThreshold reads a fraction in (0, 1]: "0.6", ".6", "1", a decimal
// comma "0,6", or a percentage "60%".
func parseThreshold(s string) (float64, bool) {
	pct := strings.HasSuffix(s, "%")
	if pct {
		s = strings.TrimSuffix(s, "%")
	}
	if !strings.Contains(s, ".") && strings.Count(s, ",") == 1 {
		s = strings.Replace(s, ",", ".", 1)
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] >= '0' && s[i] <= '9':
			digits++
		case s[i] == '.' && strings.IndexByte(s, '.') == i:
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, false
	}
	if pct {
		f /= 100
	}
	return f, f > 0 && f <= 1
}

func parseHelp(args []token) (Command, msg.Message) {
	switch len(args) {
	case 0:
		return Help{}, noProblem
	case 1:
		topic, ok := helpTopic(args[0].text)
		if !ok {
			topics := msg.Names(helpTopics)
			p := msg.ParseNoHelp.With(typed(args[0].text, 40), topics)
			if s := suggest(strings.ToLower(args[0].text), helpTopics, nil); s != "" {
				p = msg.ParseNoHelpNear.With(typed(args[0].text, 40), topics, s)
			}
			return nil, p
		}
		return Help{Topic: topic}, noProblem
	}
	return nil, extra("help", args[1], msg.RuleOneTopic)
}

func extra(name string, t token, rule msg.Def0) msg.Message {
	return msg.ParseUnexpected.With(typedWord(t.text, 40), name, rule.With())
}

func parseOpen(args []token) (Command, msg.Message) {
	if len(args) < 2 {
		return nil, msg.ParseOpenNeeds.With()
	}
	o := Open{Title: args[0].text}
	if o.Title == "" {
		return nil, msg.ParseTitleEmpty.With()
	}
	for i, a := range args[1:] {
		if a.text == "" {
			return nil, msg.ParseThemeEmpty.With(i + 1)
		}
		o.Themes = append(o.Themes, a.text)
	}
	return o, noProblem
}

func parsePreset(args []token) (Command, msg.Message) {
	switch {
	case len(args) == 0:
		// No name asks which presets there are: the engine, which knows
		// the configured ones, lists them.
		return Preset{}, noProblem
	case args[0].text == "":
		return nil, msg.ParsePresetEmpty.With()
	case len(args) > 1:
		return nil, extra("preset", args[1], msg.RuleOneName)
	}
	return Preset{Preset: args[0].text}, noProblem
}

// maxQuorum bounds --quorum.
const maxQuorum = 1_000_000

// noProblem is the problem of a command that parsed.
var noProblem msg.Message

// maxPage bounds --page: a list of more pages than this is not read page
// by page.
const maxPage = 10000

func parseList(args []token) (Command, msg.Message) {
	switch len(args) {
	case 0:
		return List{Status: "open"}, noProblem
	case 1:
		s := strings.ToLower(args[0].text)
		switch s {
		case "open", "closed", "cancelled", "all":
			return List{Status: s}, noProblem
		case "canceled":
			return List{Status: "cancelled"}, noProblem
		}
		return nil, msg.ParseListStatus.With(typed(args[0].text, 40))
	}
	return nil, extra("list", args[1], msg.RuleOneStatus)
}

// pollID validates and normalizes a poll id as typed: "k7qx", "#K7QX" and
// "K7QX:" are all K7QX.
func pollID(t token) (string, msg.Message) {
	s := strings.TrimRight(strings.TrimPrefix(t.text, "#"), ",:")
	ok := len(s) > 0 && len(s) <= 32
	for i := 0; ok && i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		ok = alnum || i > 0 && (c == '-' || c == '_')
	}
	if !ok {
		return "", msg.ErrNotPollID.With(typedWord(t.text, 40))
	}
	return polls.NormalizeID(s), noProblem
}

// pollOnly parses the subcommands whose one argument is a poll id.
func pollOnly(name string, make func(id string) Command) func([]token) (Command, msg.Message) {
	return func(args []token) (Command, msg.Message) {
		switch len(args) {
		case 0:
			return nil, msg.ParseNeedsPollID.With(name)
		case 1:
			id, problem := pollID(args[0])
			if !problem.IsZero() {
				return nil, problem
			}
			return make(id), noProblem
		}
		return nil, extra(name, args[1], msg.RulePollOnly)
	}
}

func parseVote(args []token) (Command, msg.Message) {
	need := msg.ParseVoteNeeds.With()
	if len(args) < 2 {
		return nil, need
	}
	id, problem := pollID(args[0])
	if !problem.IsZero() {
		return nil, problem
	}
	v := Vote{Poll: id}
	for _, a := range args[1:] {
		if a.quoted {
			if a.text == "" {
				return nil, msg.ParseQuotedThemeNone.With()
			}
			v.Themes = append(v.Themes, a.text)
			continue
		}
		// "1,3,4" and "1, 3": commas separate themes outside quotes.
		for part := range strings.SplitSeq(a.text, ",") {
			if part != "" {
				v.Themes = append(v.Themes, part)
			}
		}
	}
	if len(v.Themes) == 0 {
		return nil, need
	}
	return v, noProblem
}

// joinWords joins the words of a group name: /poll group civil society.
func joinWords(args []token) string {
	words := make([]string, 0, len(args))
	for _, a := range args {
		if a.text != "" {
			words = append(words, a.text)
		}
	}
	return strings.Join(words, " ")
}

func parseGroup(args []token) (Command, msg.Message) {
	g := Group{Group: joinWords(args)}
	if len(args) > 0 && g.Group == "" {
		return nil, msg.ParseGroupEmpty.With()
	}
	return g, noProblem
}

func parseAssign(args []token) (Command, msg.Message) {
	if len(args) < 2 {
		return nil, msg.ParseAssignNeeds.With()
	}
	a := Assign{User: args[0].text, Group: joinWords(args[1:])}
	switch {
	case a.User == "":
		return nil, msg.ParseUserEmpty.With()
	case a.Group == "":
		return nil, msg.ParseGroupEmpty.With()
	}
	return a, noProblem
}

func parseExtend(args []token) (Command, msg.Message) {
	if len(args) < 2 {
		return nil, msg.ParseExtendNeeds.With()
	}
	if len(args) > 2 {
		return nil, extra("extend", args[2], msg.RulePollDuration)
	}
	id, problem := pollID(args[0])
	if !problem.IsZero() {
		return nil, problem
	}
	d, err := ParseDuration(args[1].text)
	if err != nil {
		return nil, err.(*UsageError).Problem
	}
	return Extend{Poll: id, By: d}, noProblem
}

func parseReopen(args []token) (Command, msg.Message) {
	switch len(args) {
	case 0:
		return nil, msg.ParseNeedsPollID.With("reopen")
	case 1, 2:
	default:
		return nil, extra("reopen", args[2], msg.RulePollMostDuration)
	}
	id, problem := pollID(args[0])
	if !problem.IsZero() {
		return nil, problem
	}
	r := Reopen{Poll: id}
	if len(args) == 2 {
		d, err := ParseDuration(args[1].text)
		if err != nil {
			return nil, err.(*UsageError).Problem
		}
		r.For = d
	}
	return r, noProblem
}

func parseExport(args []token) (Command, msg.Message) {
	if len(args) == 0 {
		return nil, msg.ParseNeedsPollID.With("export")
	}
	id, problem := pollID(args[0])
	if !problem.IsZero() {
		return nil, problem
	}
	e := Export{Poll: id}
	var what string
	for _, a := range args[1:] {
		w := strings.ToLower(a.text)
		if w == "markdown" {
			w = "md"
		}
		_, isFormat := report.Find(w, false)
		switch {
		case isFormat:
			if e.Format != "" {
				return nil, msg.ParseExportFormats.With(e.Format, w)
			}
			e.Format = w
		case w == "ballots", w == "tally":
			if what != "" {
				return nil, msg.ParseExportWhat.With(what, w)
			}
			what = w
		default:
			formats := msg.OrList(report.Names(false))
			p := msg.ParseExportWord.With(formats, typed(a.text, 40))
			if s := suggest(w, append(report.Names(false), "ballots", "tally"), nil); s != "" {
				p = msg.ParseExportWordNear.With(formats, typed(a.text, 40), s)
			}
			return nil, p
		}
	}
	if e.Format == "" {
		e.Format = "csv"
	}
	e.Ballots = what == "ballots"
	return e, noProblem
}

// ParseDuration reads a duration of the command grammar: a sequence of
// numbers with units w (weeks), d (days), h, m and s, such as 90m, 48h,
// 1h30m, 2d, 1d12h, 1w or 1.5h; unit words (2days, 3 hours) work too. It
// must be more than zero and at most 366 days; it is rounded to the second.
// Errors are *UsageError with a Problem for the person who typed it.
func ParseDuration(s string) (time.Duration, error) {
	d, problem := parseDuration(s)
	if !problem.IsZero() {
		return 0, valueError(problem)
	}
	return d, nil
}

// maxDuration bounds durations: a poll runs for at most about a year.
const maxDuration = 366 * 24 * time.Hour

var durationUnits = map[string]time.Duration{
	"w": 7 * 24 * time.Hour, "wk": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"s": time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
}

func parseDuration(in string) (time.Duration, msg.Message) {
	s := strings.ToLower(strings.Join(strings.Fields(in), ""))
	s = strings.TrimPrefix(s, "+") // /poll extend K7QX +1d
	bad := msg.ParseDuration.With(typed(in, 40))
	if s == "" {
		return 0, bad
	}
	var total time.Duration
	for s != "" {
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		whole := s[:i]
		var frac string
		if i < len(s) && s[i] == '.' {
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			frac, i = s[i+1:j], j
		}
		if whole == "" && frac == "" {
			return 0, bad
		}
		j := i
		for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
			j++
		}
		unit, ok := durationUnits[s[i:j]]
		if !ok {
			if i == j && j == len(s) {
				return 0, msg.ParseDurationUnit.With(typed(in, 40), UserText(excerpt(s, 20)))
			}
			return 0, bad
		}
		s = s[j:]
		// Bound every step so that the arithmetic below cannot overflow.
		w, _ := parseWhole(whole)
		if whole != "" && (w >= 10_000_000 || time.Duration(w)*unit > maxDuration) {
			return 0, msg.ParseDurationLong.With(typed(in, 40))
		}
		part := time.Duration(w) * unit
		if len(frac) > 9 {
			frac = frac[:9]
		}
		if frac != "" {
			f, _ := strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
			part += time.Duration(f) * (unit / time.Second) // f nanounits = f*unit/1e9
		}
		total += part
		if total > maxDuration {
			return 0, msg.ParseDurationLong.With(typed(in, 40))
		}
	}
	total = total.Round(time.Second)
	if total <= 0 {
		return 0, msg.ParseDurationZero.With(typed(in, 40))
	}
	return total, noProblem
}

// FormatDuration writes d in the canonical form ParseDuration reads: days,
// hours, minutes and seconds with zero parts left out ("2d", "1h30m",
// "1d12h"). Sub-second parts are dropped.
func FormatDuration(d time.Duration) string {
	if d < time.Second {
		return "0s"
	}
	var b strings.Builder
	for _, u := range []struct {
		size time.Duration
		name string
	}{{24 * time.Hour, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}} {
		if n := d / u.size; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10))
			b.WriteString(u.name)
			d -= n * u.size
		}
	}
	return b.String()
}

// ParseDeadline reads a --closes value: a duration (see ParseDuration) or a
// time: RFC 3339 ("2026-12-01T15:00:00Z", "2026-12-01T15:00:00+01:00"),
// the same without seconds ("2026-12-01T15:00Z"), or a date
// ("2026-12-01", 00:00 UTC). Times are converted to UTC. Errors are
// *UsageError.
func ParseDeadline(s string) (Deadline, error) {
	if d, problem := parseDuration(s); problem.IsZero() {
		return Deadline{In: d}, nil
	} else if looksLikeDuration(s) {
		return Deadline{}, valueError(problem)
	}
	t, problem := parseTime(s)
	if !problem.IsZero() {
		return Deadline{}, valueError(problem)
	}
	return Deadline{At: t}, nil
}

// looksLikeDuration tells a bad duration ("400d") from a bad time, so the
// problem reported is the one the person meant.
func looksLikeDuration(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && strings.IndexByte("0123456789.+", s[0]) >= 0 && !strings.ContainsAny(s, "-:")
}

var timeLayouts = []string{
	time.RFC3339,               // 2026-12-01T15:00:00Z, fractions accepted
	"2006-01-02T15:04Z07:00",   // without seconds
	"2006-01-02T15:04:05Z0700", // +0100 offsets
	"2006-01-02T15:04Z0700",
}

func parseTime(in string) (time.Time, msg.Message) {
	s := strings.ToUpper(strings.TrimSpace(in))
	s = strings.Replace(s, " ", "T", 1) // "2026-12-01 15:00Z", quoted
	bad := msg.ParseDeadline.With(typed(in, 40))
	var t time.Time
	if d, err := time.Parse("2006-01-02", s); err == nil {
		t = d
	} else {
		ok := false
		for _, layout := range timeLayouts {
			if p, err := time.Parse(layout, s); err == nil {
				t, ok = p, true
				break
			}
		}
		if !ok {
			for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
				if _, err := time.Parse(layout, s); err == nil {
					return time.Time{}, msg.ParseTimeZone.With(typed(in, 40))
				}
			}
			return time.Time{}, bad
		}
	}
	t = t.UTC()
	// Years outside 2000..9999 are typos, and 10000 has no RFC 3339 form.
	switch y := t.Year(); {
	case y < 2000:
		return time.Time{}, msg.ParseTimePast.With(typed(in, 40))
	case y > 9999:
		return time.Time{}, msg.ParseTimeFar.With(typed(in, 40))
	}
	return t, noProblem
}

// ParseThemes reads a list of theme labels as Discord's themes: option
// carries it: quoted labels ("DNSSEC" "DNS abuse"), or labels separated by
// semicolons or newlines (DNSSEC; DNS abuse). Labels are trimmed, white
// space folded, empty ones dropped. Commas separate nothing here: they occur
// in labels ("Safety, security and stability").
func ParseThemes(s string) ([]string, error) {
	if len(s) > maxTextBytes {
		return nil, valueError(msg.ParseWithLimits.With(msg.ParseThemesLong.With(maxTextBytes), pollLimits))
	}
	if !utf8.ValidString(s) {
		return nil, valueError(msg.ParseThemesNotUTF8.With())
	}
	var out []string
	add := func(label string) error {
		if label = foldSpace(label); label != "" {
			if len(out) == maxTokens {
				return valueError(msg.ParseThemesTooMany.With(maxTokens, polls.MaxThemes))
			}
			out = append(out, label)
		}
		return nil
	}
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r) || r == ';':
			i += w
		case quoteClosers[r] != "":
			text, n, qerr := readQuoted(s[i:], ",;\n")
			if qerr != nil {
				return nil, qerr
			}
			if err := add(text); err != nil {
				return nil, err
			}
			i += n
		default:
			end := strings.IndexAny(s[i:], ";\n")
			if end < 0 {
				end = len(s) - i
			}
			if err := add(s[i : i+end]); err != nil {
				return nil, err
			}
			i += end
		}
	}
	if len(out) == 0 {
		return nil, valueError(msg.ParseThemesNone.With())
	}
	return out, nil
}

// Canonical text. String on every command writes the subcommand word first,
// then its arguments, then options in the order of the options table, so
// that Parse(c.String()) is c again: labels in straight double quotes with "
// and \ escaped, durations as FormatDuration writes them, times in RFC 3339
// UTC, defaults (list open, export csv tally) left out.

// quote writes s as a double-quoted string.
func quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		if s[i] == '"' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('"')
	return b.String()
}

// quoteIfNeeded leaves a word bare when Parse would read it back as the
// same single word: poll ids, @mentions, slugs.
func quoteIfNeeded(s string) string {
	if s == "" || isOption(s) || s[0] == '-' || strings.ContainsRune(s, ',') ||
		strings.IndexFunc(s, unicode.IsSpace) >= 0 {
		return quote(s)
	}
	if r, _ := utf8.DecodeRuneInString(s); quoteClosers[r] != "" {
		return quote(s)
	}
	return s
}

// String writes the deadline as --closes takes it: a canonical duration, a
// time in RFC 3339 UTC, or "" for none.
func (d Deadline) String() string {
	switch {
	case d.In > 0:
		return FormatDuration(d.In)
	case !d.At.IsZero():
		return d.At.UTC().Format(time.RFC3339Nano)
	}
	return ""
}

// String writes the options that differ from the defaults, each with a
// leading space.
func (o OpenOptions) String() string {
	var b strings.Builder
	if o.Kind != "" {
		b.WriteString(" --kind " + quoteIfNeeded(string(o.Kind)))
	}
	if !o.Closes.IsZero() {
		b.WriteString(" --closes " + o.Closes.String())
	}
	if o.Anonymous {
		b.WriteString(" --anonymous")
	}
	if o.HideResults {
		b.WriteString(" --hide-results")
	}
	if o.Quorum != 0 {
		b.WriteString(" --quorum " + strconv.Itoa(o.Quorum))
	}
	if o.Threshold != 0 {
		b.WriteString(" --threshold " + strconv.FormatFloat(o.Threshold, 'f', -1, 64))
	}
	if o.MaxChoices != 0 {
		b.WriteString(" --max-choices " + strconv.Itoa(o.MaxChoices))
	}
	if o.MinGroups != 0 {
		b.WriteString(" --min-groups " + strconv.Itoa(o.MinGroups))
	}
	if o.Remind != nil {
		b.WriteString(" --remind " + formatReminders(o.Remind))
	}
	return b.String()
}

func (c Help) String() string {
	if c.Topic == "" {
		return "help"
	}
	return "help " + quoteIfNeeded(c.Topic)
}

func (c Open) String() string {
	var b strings.Builder
	b.WriteString("open ")
	b.WriteString(quote(c.Title))
	for _, t := range c.Themes {
		b.WriteByte(' ')
		b.WriteString(quote(t))
	}
	b.WriteString(c.Opts.String())
	return b.String()
}

func (c Preset) String() string {
	if c.Preset == "" {
		return "preset" + c.Opts.String()
	}
	return "preset " + quoteIfNeeded(c.Preset) + c.Opts.String()
}

func (c List) String() string {
	s := "list"
	if c.Status != "" && c.Status != "open" {
		s += " " + quoteIfNeeded(c.Status)
	}
	if c.All {
		s += " --all"
	}
	if c.Page > 1 {
		s += " --page " + strconv.Itoa(c.Page)
	}
	return s
}

func (c Vote) String() string {
	var b strings.Builder
	b.WriteString("vote ")
	b.WriteString(quoteIfNeeded(c.Poll))
	for _, t := range c.Themes {
		b.WriteByte(' ')
		if isNumber(t) {
			b.WriteString(t)
		} else {
			b.WriteString(quote(t))
		}
	}
	return b.String()
}

func isNumber(s string) bool {
	_, ok := parseWhole(s)
	return ok
}

func (c Unvote) String() string { return "unvote " + quoteIfNeeded(c.Poll) }

func (c Group) String() string {
	if c.Group == "" {
		return "group"
	}
	return "group " + quoteIfNeeded(c.Group)
}

func (c Assign) String() string {
	return "assign " + quoteIfNeeded(c.User) + " " + quoteIfNeeded(c.Group)
}

func (c Close) String() string { return "close " + quoteIfNeeded(c.Poll) }
func (c Reopen) String() string {
	if c.For > 0 {
		return "reopen " + quoteIfNeeded(c.Poll) + " " + FormatDuration(c.For)
	}
	return "reopen " + quoteIfNeeded(c.Poll)
}
func (c Cancel) String() string { return "cancel " + quoteIfNeeded(c.Poll) }
func (c Extend) String() string {
	return "extend " + quoteIfNeeded(c.Poll) + " " + FormatDuration(c.By)
}
func (c Report) String() string { return "report " + quoteIfNeeded(c.Poll) }
func (c Remind) String() string { return "remind " + quoteIfNeeded(c.Poll) }

func (c Export) String() string {
	s := "export " + quoteIfNeeded(c.Poll)
	if c.Format != "" && c.Format != "csv" {
		s += " " + quoteIfNeeded(c.Format)
	}
	if c.Ballots {
		s += " ballots"
	}
	return s
}
