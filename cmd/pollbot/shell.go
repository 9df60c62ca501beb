package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/shell"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/polls"
)

func runShell(ctx context.Context, args []string, e env) error {
	fs := newFlags("shell", "[-screen ADDR]", e, `Chat with pollbot locally. Lines are /poll commands; also /as USER [GROUP], /whoami, /quit.
You start as "you", a facilitator, on tenant "local". Input may be piped for scripts.
With -screen, the shell also serves the live screen of its polls on ADDR (such as
127.0.0.1:8080) and prints each poll's link when it opens.`)
	addr := fs.String("screen", "", "serve the live screens of the shell's polls on this `address` (such as 127.0.0.1:8080)")
	if err := fs.parse(args); err != nil {
		return err
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
		a, links, screened, err = localScreen(ctx, fs.cfg, e, *addr, o)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.out, "Live screens at %s: each poll's link is printed when it opens.\n", links.Base)
		opts = append(opts, shell.OnOpen(func(p *polls.Poll) string {
			u, err := links.ScreenURL(p)
			if err != nil {
				return "No live screen for poll " + p.ID + ": " + err.Error()
			}
			return "Live screen of poll " + p.ID + ": " + u
		}))
	} else if a, err = fs.cfg.openApp(ctx, e, o); err != nil {
		return err
	}
	defer a.Close()
	interactive := e.stdinTerminal
	var sh *shell.Shell
	sched := bot.NewScheduler(a.engine, bot.AnnouncerFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) {
		sh.Announce(ctx, p, r)
	}), 5*time.Second)
	sh = shell.New(a.engine, e.out, append(opts, shell.Interactive(interactive), shell.WithScheduler(sched))...)
	var wg sync.WaitGroup
	if interactive {
		// In a terminal deadlines also fire between lines.
		wg.Go(func() { _ = sched.Run(ctx) })
	}
	err = sh.Run(ctx, e.in)
	cancel()
	wg.Wait()
	if screened != nil {
		if serr := <-screened; err == nil {
			err = serr
		}
	}
	return err
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
