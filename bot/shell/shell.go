// Package shell is pollbot's local adapter: a line-oriented chat on standard
// input and output. It lets a newcomer try pollbot without Slack, Discord or
// a server, and it is scriptable: piped input gives deterministic output,
// which the golden tests rely on.
//
// Lines are /poll commands (the "/poll" may be left out), plus:
//
//	/as USER [GROUP]   act as another participant (and declare their group)
//	/whoami            who you are and your stakeholder group
//	/help              this help and the /poll help
//	/quit              leave
//
// Lines starting with # are comments.
package shell

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
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
	onOpen      func(*polls.Poll) string

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

// OnOpen calls fn with each poll a command opens and prints, only to the
// user, the line it returns after the poll (nothing when it returns ""):
// the link to the poll's live screen, for `pollbot shell -screen`.
func OnOpen(fn func(p *polls.Poll) string) Option { return func(s *Shell) { s.onOpen = fn } }

// New returns a shell over the engine, writing to out.
func New(e *bot.Engine, out io.Writer, opts ...Option) *Shell {
	s := &Shell{engine: e, out: out, user: DefaultUser}
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
		s.printf("pollbot shell — you are %q, a facilitator. Type /help for commands, /quit to leave.\n", s.user)
	}
	for {
		if s.interactive {
			s.printf("%s> ", s.user)
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
			s.printf("%s\n", echo(line, size))
			return true
		}
		s.printf("%s> %s\n", s.user, echo(line, size))
	}
	if line == "" || strings.HasPrefix(line, "#") {
		return true
	}
	s.busy.Store(true)
	defer s.busy.Store(false)
	if s.scheduler != nil {
		if _, err := s.scheduler.Tick(ctx); err != nil {
			s.printf("pollbot: deadline check failed: %v\n", err)
		}
	}
	word, rest, _ := strings.Cut(line, " ")
	switch strings.ToLower(word) {
	case "/quit", "/exit":
		return false
	case "/as":
		s.as(ctx, strings.Fields(rest))
	case "/whoami":
		s.whoami(ctx)
	case "/help":
		s.printf("Shell commands: /poll ... (or just the subcommand), /as USER [GROUP], /whoami, /quit.\n")
		s.print(s.engine.Handle(ctx, s.request(), bot.Help{Topic: strings.TrimSpace(rest)}))
	case "/poll":
		s.print(s.engine.HandleText(ctx, s.request(), rest))
	default:
		if strings.HasPrefix(word, "/") {
			s.printf("pollbot (only you): unknown shell command %s. Use /poll ..., /as USER [GROUP], /whoami, /help or /quit.\n", word)
			return true
		}
		s.print(s.engine.HandleText(ctx, s.request(), line))
	}
	return true
}

// echo is how a script line is shown in the transcript: in full, unless it
// is longer than any command may be.
func echo(line string, size int) string {
	if size <= bot.MaxCommandBytes {
		return line
	}
	n := 0
	for i := range line {
		if n == 60 {
			line = line[:i]
			break
		}
		n++
	}
	return fmt.Sprintf("%s… (%d bytes in all)", line, size)
}

// maxUser bounds a shell user name.
const maxUser = 64

func (s *Shell) as(ctx context.Context, args []string) {
	if len(args) == 0 || strings.ContainsAny(args[0], "<>@:") {
		s.printf("pollbot (only you): /as needs a user name (letters, digits, - or _), optionally followed by a group.\nUsage: /as USER [GROUP]\n")
		return
	}
	if len(args[0]) > maxUser {
		s.printf("pollbot (only you): That user name is %d bytes long; /as takes a user name of at most %d.\nUsage: /as USER [GROUP]\n", len(args[0]), maxUser)
		return
	}
	s.user = args[0]
	s.printf("You are now %s.\n", s.user)
	if len(args) > 1 {
		s.print(s.engine.Handle(ctx, s.request(), bot.Group{Group: strings.Join(args[1:], " ")}))
	}
}

func (s *Shell) whoami(ctx context.Context) {
	role := "a participant"
	if s.engine.IsFacilitator(s.request()) {
		role = "a facilitator"
	}
	s.printf("You are %s, %s.\n", s.user, role)
	s.print(s.engine.Handle(ctx, s.request(), bot.Group{}))
}

// Announce prints a scheduler announcement (implements bot.Announcer). In
// a terminal it arrives while a prompt waits, so it starts on a new line and
// puts the prompt back.
func (s *Shell) Announce(_ context.Context, _ *polls.Poll, r bot.Response) {
	idle := s.interactive && !s.busy.Load()
	if idle {
		s.printf("\n")
	}
	s.print(r)
	if idle {
		s.printf("%s> ", s.user)
	}
}

func (s *Shell) print(r bot.Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rep := range r.Replies {
		// RenderText shows user text as written: a terminal gives none of
		// it meaning (polls refuses control characters in titles and labels).
		text := strings.TrimRight(bot.RenderText(rep), "\n")
		if rep.Visibility == bot.Ephemeral {
			fmt.Fprintf(s.out, "pollbot (only you): %s\n", text)
		} else {
			fmt.Fprintf(s.out, "pollbot:\n%s\n", text)
		}
	}
	if r.Opened != nil && s.onOpen != nil {
		if note := s.onOpen(r.Opened); note != "" {
			fmt.Fprintf(s.out, "pollbot (only you): %s\n", bot.PlainText(note))
		}
	}
}

func (s *Shell) printf(format string, args ...any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprint(s.out, bot.PlainText(fmt.Sprintf(format, args...)))
}
