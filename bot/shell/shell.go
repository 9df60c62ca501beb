// Package shell is pollbot's local adapter: a line-oriented chat on standard
// input and output. It lets a newcomer try pollbot without Slack, Discord or
// a server, and it is scriptable: piped input gives deterministic output,
// which the golden tests rely on (Run). On a terminal it edits lines and
// keeps their history (RunTerminal).
//
// Lines are /poll commands (the "/poll" may be left out), plus:
//
//	/as USER [GROUP]   act as another participant (and declare their group)
//	/whoami            who you are and your stakeholder group
//	/help              this help and the /poll help
//	/quit              leave
//
// Lines starting with # are comments. Files that come with replies (an
// export, a report's chart) are saved in a folder (WithFiles) and their
// path printed; a short text file is shown as well.
package shell

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
	"golang.org/x/term"
)

// Tenant is the shell's tenant; `pollbot list` and `pollbot report` read it
// by default.
const Tenant = "local"

// DefaultUser is who the shell starts as: a facilitator.
const DefaultUser = "you"

// Shell reads commands and prints replies.
type Shell struct {
	engine      *bot.Engine
	out         io.Writer
	user        string
	interactive bool
	scheduler   *bot.Scheduler
	files       string         // the folder attachments are saved in
	term        *term.Terminal // set by RunTerminal: it keeps the prompt itself
	p           *msg.Printer   // the engine's: the shell speaks its language
	marks       bool           // print the marks of user text (KeepMarks)
	onOpen      func(*polls.Poll) msg.Message

	mu   sync.Mutex  // serialises output: the scheduler may announce at any time
	busy atomic.Bool // a line is being handled (no prompt is showing)
}

// Option configures a Shell.
type Option func(*Shell)

// Interactive makes the shell print a prompt instead of echoing each line
// it reads (for a terminal).
func Interactive(on bool) Option { return func(s *Shell) { s.interactive = on } }

// WithScheduler makes the shell close due polls before each line, so that
// deadlines fire deterministically in scripts.
func WithScheduler(sc *bot.Scheduler) Option { return func(s *Shell) { s.scheduler = sc } }

// DefaultFiles is the folder WithFiles defaults to.
const DefaultFiles = "pollbot-files"

// WithFiles sets the folder where files that come with a reply (an
// export, a report's chart) are saved; the shell prints their path. It is
// made when the first file is saved. Default DefaultFiles, in the working
// directory.
func WithFiles(dir string) Option { return func(s *Shell) { s.files = dir } }

// KeepMarks makes the shell print the marks around text people wrote
// (see bot.UserText), which it otherwise drops: what was typed, user
// names, titles and labels. A test that renders with msg.Pseudo() uses it
// to tell the catalog's words from people's.
func KeepMarks(on bool) Option { return func(s *Shell) { s.marks = on } }

// OnOpen calls fn with each poll a command opens and prints, only to the
// user, the message it returns after the poll (nothing for the zero
// Message): the link to the poll's live screen, for `pollbot shell
// -screen`.
func OnOpen(fn func(p *polls.Poll) msg.Message) Option { return func(s *Shell) { s.onOpen = fn } }

// New returns a shell over the engine, writing to out, in the engine's
// language (Engine.Printer).
func New(e *bot.Engine, out io.Writer, opts ...Option) *Shell {
	s := &Shell{engine: e, out: out, user: DefaultUser, files: DefaultFiles, p: e.Printer()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// User returns who the shell is acting as.
func (s *Shell) User() string { return s.user }

func (s *Shell) request() bot.Request {
	return bot.Request{Platform: "shell", Tenant: Tenant, User: s.user, Channel: "local"}
}

// maxLine is how much of an input line the shell keeps: more than a
// command may be (bot.MaxCommandBytes), so that the engine refuses a longer
// line as too long in its own words, and little enough that a pasted file
// of one huge line costs no memory. The rest of such a line is skipped.
const maxLine = 64 * 1024

// Run reads lines from in until EOF, /quit or ctx is done. A line of any
// length is read in bounded memory: past maxLine it is skipped to its end,
// and refused as too long.
func (s *Shell) Run(ctx context.Context, in io.Reader) error {
	r := bufio.NewReaderSize(in, 64*1024)
	if s.interactive {
		s.say(msg.ShellWelcome.With(bot.UserText(strconv.Quote(s.user))))
	}
	for {
		if s.interactive {
			s.printf("%s> ", bot.UserText(s.user))
		}
		line, size, err := readLine(r, maxLine)
		if err != nil && size == 0 {
			if err == io.EOF {
				return nil
			}
			return fmt.Errorf("read input: %w", err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if !s.line(ctx, line, size) {
			return nil
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read input: %w", err)
		}
	}
}

// readLine reads a line and returns at most its first max bytes, without
// the line ending, and the size of the whole line (its ending left out). It
// holds no more than max bytes (plus the reader's buffer) however long the
// line is. At the end of the input it returns io.EOF with the last line,
// if that has no line ending, or with size 0.
func readLine(r *bufio.Reader, max int) (line string, size int, err error) {
	var buf, frag []byte
	for {
		frag, err = r.ReadSlice('\n')
		size += len(frag)
		if room := max - len(buf); room > 0 {
			buf = append(buf, frag[:min(len(frag), room)]...)
		}
		if err != bufio.ErrBufferFull {
			break
		}
	}
	// The ending is in the last fragment (a "\r\n" split across two is
	// rare enough to count as text).
	ending := 0
	if n := len(frag); n > 0 && frag[n-1] == '\n' {
		ending = 1
		if n > 1 && frag[n-2] == '\r' {
			ending = 2
		}
	} else if n > 0 && frag[n-1] == '\r' && err == io.EOF {
		ending = 1
	}
	if len(buf) > size-ending {
		buf = buf[:size-ending]
	}
	return string(buf), size - ending, err
}

// Line handles one input line. It returns false on /quit.
func (s *Shell) Line(ctx context.Context, line string) bool { return s.line(ctx, line, len(line)) }

// line handles the first bytes of an input line of size bytes.
func (s *Shell) line(ctx context.Context, line string, size int) bool {
	line = strings.TrimSpace(strings.TrimPrefix(line, "\ufeff"))
	if !s.interactive && line != "" {
		if strings.HasPrefix(line, "#") {
			s.printf("%s\n", s.echo(line, size))
			return true
		}
		s.printf("%s> %s\n", bot.UserText(s.user), s.echo(line, size))
	}
	if line == "" || strings.HasPrefix(line, "#") {
		return true
	}
	s.busy.Store(true)
	defer s.busy.Store(false)
	if s.scheduler != nil {
		if _, err := s.scheduler.Tick(ctx); err != nil {
			s.say(msg.ShellTickFailed.With(err.Error()))
		}
	}
	word, rest, _ := strings.Cut(line, " ")
	switch strings.ToLower(word) {
	case "/quit", "/exit":
		return false
	case "/as":
		s.as(ctx, rest)
	case "/whoami":
		s.whoami(ctx)
	case "/help":
		s.say(msg.ShellHelp.With())
		s.print(s.engine.Handle(ctx, s.request(), bot.Help{Topic: strings.TrimSpace(rest)}))
	case "/poll":
		s.print(s.engine.HandleText(ctx, s.request(), rest))
	default:
		if strings.HasPrefix(word, "/") {
			typed := bot.UserText(bot.Clip(word, 40))
			m := msg.ShellUnknown.With(typed)
			if near := bot.Suggest(word, shellCommands); near != "" {
				m = msg.ShellUnknownNear.With(typed, near)
			}
			s.say(msg.ShellPrivate.With(s.p.Sprint(m)))
			return true
		}
		s.print(s.engine.HandleText(ctx, s.request(), line))
	}
	return true
}

// echo is how a script line is shown in the transcript: in full, unless it
// is longer than any command may be. What was typed is user text.
func (s *Shell) echo(line string, size int) string {
	if size <= bot.MaxCommandBytes {
		return bot.UserText(line)
	}
	n := 0
	for i := range line {
		if n == 60 {
			line = line[:i]
			break
		}
		n++
	}
	return s.p.Sprint(msg.ShellLongLine.With(bot.UserText(line), size))
}

// shellCommands are the shell's own commands, for "did you mean".
var shellCommands = []string{"/poll", "/as", "/whoami", "/help", "/quit", "/exit"}

// maxUser bounds a shell user name.
const maxUser = 64

// validUser reports whether name is a shell user name: one word of
// letters, digits, '-', '_' and '.', as platform user ids and handles are.
func validUser(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// as switches to another participant: /as USER [GROUP]. The group is read
// as /poll group reads it (quotes and all).
func (s *Shell) as(ctx context.Context, rest string) {
	refuse := func(problem msg.Message) {
		s.say(msg.ShellPrivate.With(s.p.Sprint(problem) + "\n" + s.p.Sprint(msg.ShellAsUsage.With())))
	}
	name, group, _ := strings.Cut(strings.TrimSpace(rest), " ")
	switch {
	case name == "":
		refuse(msg.ShellAsNeedsName.With())
		return
	case len(name) > maxUser:
		refuse(msg.ShellAsTooLong.With(len(name), maxUser))
		return
	case !validUser(name):
		shown := name
		if r, _ := utf8.DecodeRuneInString(name); strings.ContainsRune(`"'“”‘’«»„`, r) {
			shown = strings.TrimSpace(rest) // a quoted name, shown whole
		}
		refuse(msg.ShellAsNotName.With(bot.UserText(bot.Clip(shown, 40))))
		return
	}
	s.user = name
	s.say(msg.ShellYouAreNow.With(bot.UserText(s.user)))
	if group = strings.TrimSpace(group); group != "" {
		s.print(s.engine.HandleText(ctx, s.request(), "group "+group))
	}
}

func (s *Shell) whoami(ctx context.Context) {
	role := msg.ShellParticipant.With()
	if s.engine.IsFacilitator(s.request()) {
		role = msg.ShellFacilitator.With()
	}
	s.say(msg.ShellWhoami.With(bot.UserText(s.user), role))
	s.print(s.engine.Handle(ctx, s.request(), bot.Group{}))
}

// Remind prints a reminder the scheduler posts (implements bot.Reminder),
// as Announce prints an announcement.
func (s *Shell) Remind(ctx context.Context, p *polls.Poll, r bot.Response) error {
	s.Announce(ctx, p, r)
	return nil
}

// Announce prints a scheduler announcement (implements bot.Announcer). In
// a terminal it arrives while a prompt waits, so it starts on a new line and
// puts the prompt back.
func (s *Shell) Announce(_ context.Context, _ *polls.Poll, r bot.Response) {
	s.mu.Lock()
	ownPrompt := s.term != nil // the terminal redraws its prompt itself
	s.mu.Unlock()
	idle := s.interactive && !ownPrompt && !s.busy.Load()
	if idle {
		s.printf("\n")
	}
	s.print(r)
	if idle {
		s.printf("%s> ", bot.UserText(s.user))
	}
}

func (s *Shell) print(r bot.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rep := range r.Replies {
		files := rep.Files
		rep.Files = nil
		// User text is shown as written: a terminal gives none of it
		// meaning (polls refuses control characters in titles and labels).
		text := strings.TrimRight(bot.RenderTextMarked(s.p, rep), "\n")
		for _, f := range files {
			text += "\n" + s.saveFile(f)
		}
		var m msg.Message
		switch {
		case rep.Visibility == bot.Ephemeral:
			m = msg.ShellPrivate.With(text)
		case rep.Thread != nil:
			m = msg.ShellThread.With(rep.Thread.ID, text)
		default:
			m = msg.ShellPublic.With(text)
		}
		fmt.Fprint(s.out, s.shown(s.p.Sprint(m)+"\n"))
	}
	if r.Opened != nil && s.onOpen != nil {
		if note := s.onOpen(r.Opened); !note.IsZero() {
			fmt.Fprint(s.out, s.shown(s.p.Sprint(msg.ShellPrivate.With(s.p.Sprint(note)))+"\n"))
		}
	}
}

// maxShownLines is the longest text file that is also shown in the
// transcript, not only saved.
const maxShownLines = 30

// saveFile saves a reply's file in the files folder and says where, as
// plain text; a short text file (a CSV tally, a ballots export of a small
// poll) is shown too.
func (s *Shell) saveFile(f bot.File) string {
	name := filepath.Base(f.Name)
	if name == "." || name == ".." || name == string(filepath.Separator) || name == "" {
		return s.p.Sprint(msg.ShellNotSaved.With(f.Name))
	}
	path := filepath.Join(s.files, name)
	var shown string
	if isText(f.MIME) && bytes.Count(f.Data, []byte("\n")) <= maxShownLines {
		shown = s.p.Sprint(msg.FileBegin.With(name)) + "\n" + bot.PlainText(strings.TrimRight(string(f.Data), "\n")) + "\n" +
			s.p.Sprint(msg.FileEnd.With(name)) + "\n"
	}
	err := os.MkdirAll(s.files, 0o755)
	if err == nil {
		err = os.WriteFile(path, f.Data, 0o644)
	}
	if err != nil {
		return shown + s.p.Sprint(msg.ShellSaveFailed.With(name, err.Error()))
	}
	return shown + s.p.Sprint(msg.ShellSaved.With(path, size(len(f.Data))))
}

func isText(mime string) bool {
	return strings.HasPrefix(mime, "text/") || mime == "application/json"
}

func size(n int) msg.Message {
	if n < 1024 {
		return msg.SizeBytes.With(n)
	}
	return msg.SizeKB.With(strconv.FormatFloat(float64(n)/1024, 'f', 1, 64))
}

// printf prints the shell's own layout (a prompt, an echo): its words come
// from the catalog (say).
func (s *Shell) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprint(s.out, s.shown(fmt.Sprintf(format, args...)))
}

// say prints a message of the shell's own, on a line.
func (s *Shell) say(m msg.Message) { s.printf("%s\n", s.p.Sprint(m)) }

// shown is text as the shell prints it: user text as written, its marks
// dropped unless KeepMarks.
func (s *Shell) shown(text string) string {
	if s.marks {
		return text
	}
	return bot.PlainText(text)
}
