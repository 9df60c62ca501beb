package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/shell"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/polls"
)

func runShell(ctx context.Context, args []string, e env) error {
	fs := newFlags("shell", "[-files DIR] [-screen ADDR]", e, `Chat with pollbot locally. Lines are /poll commands; also /as USER [GROUP], /whoami, /quit.
You start as "you", a facilitator, on tenant "local". In a terminal, lines can be edited
(arrows, Home/End, Ctrl-A/E) and recalled (Up); Ctrl-C clears a line, a second Ctrl-C or
Ctrl-D leaves. Input may be piped for scripts: each line is then echoed after the prompt.
Files that come with replies (exports, a report's chart) are saved in DIR. With -screen,
the shell also serves the live screen of its polls on ADDR (such as 127.0.0.1:8080) and
prints each poll's link when it opens.`)
	files := fs.String("files", shell.DefaultFiles, "`folder` to save exports and charts in (made when the first is saved)")
	addr := fs.String("screen", "", "serve the live screens of the shell's polls on this `address` (such as 127.0.0.1:8080)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	o := appOption{facilitators: []string{"shell:" + shell.DefaultUser}}
	var (
		a        *app
		err      error
		screened <-chan error
		opts     []shell.Option
	)
	if *addr != "" {
		var links *link.Maker
		if a, links, screened, err = localScreen(ctx, fs.cfg, e, *addr, o); err != nil {
			return err
		}
		fmt.Fprintf(e.out, "Live screens at %s: each poll's link is printed when it opens.\n", links.Base)
		opts = append(opts, shell.OnOpen(func(p *polls.Poll) msg.Message {
			u, err := links.ScreenURL(p)
			if err != nil {
				a.log.Error("no link to a poll's live screen", "poll", p.ID, "err", err)
				return msg.Message{}
			}
			return msg.ScreenOpened.With(p.ID, u)
		}))
	} else if a, err = fs.cfg.openApp(ctx, e, o); err != nil {
		return err
	}
	defer func() {
		cancel()
		if screened != nil {
			<-screened // the screen stops reading the store before it closes
		}
		a.Close()
	}()
	interactive := e.stdinTerminal
	var sh *shell.Shell
	sched := bot.NewScheduler(a.engine, bot.AnnouncerFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) {
		sh.Announce(ctx, p, r)
	}), 5*time.Second, bot.WithReminders(bot.ReminderFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) error {
		return sh.Remind(ctx, p, r)
	})))
	sh = shell.New(a.engine, e.out, append(opts, shell.Interactive(interactive), shell.WithScheduler(sched), shell.WithFiles(*files))...)
	var wg sync.WaitGroup
	if interactive {
		// In a terminal deadlines also fire between lines.
		wg.Go(func() { _ = sched.Run(ctx) })
	}
	if e.tty != nil {
		err = runTerminal(ctx, sh, e.tty)
	} else {
		err = sh.Run(ctx, e.in)
	}
	cancel()
	wg.Wait()
	return err
}

// runTerminal runs the shell with line editing on a terminal, in raw mode
// for as long as it runs.
func runTerminal(ctx context.Context, sh *shell.Shell, tty *terminal) error {
	fd := int(tty.in.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return err
	}
	defer term.Restore(fd, old)
	out := int(tty.out.Fd())
	return sh.RunTerminal(ctx, tty, func() (int, int, error) { return term.GetSize(out) })
}

// terminal is standard input and output when both are a terminal: the
// shell then edits lines itself.
type terminal struct {
	in, out *os.File
}

func (t *terminal) Read(p []byte) (int, error)  { return t.in.Read(p) }
func (t *terminal) Write(p []byte) (int, error) { return t.out.Write(p) }

// openTerminal returns the terminal when standard input and output are
// both one, else nil.
func openTerminal() *terminal {
	if !term.IsTerminal(int(os.Stdin.Fd())) || !term.IsTerminal(int(os.Stdout.Fd())) {
		return nil
	}
	return &terminal{in: os.Stdin, out: os.Stdout}
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
