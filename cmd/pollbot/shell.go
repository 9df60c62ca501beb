package main

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/shell"
	"github.com/pollbot/pollbot/polls"
)

func runShell(ctx context.Context, args []string, e env) error {
	fs := newFlags("shell", "", e, `Chat with pollbot locally. Lines are /poll commands; also /as USER [GROUP], /whoami, /quit.
You start as "you", a facilitator, on tenant "local". Input may be piped for scripts.`)
	if err := fs.parse(args); err != nil {
		return err
	}
	a, err := fs.cfg.openApp(ctx, e, appOption{facilitators: []string{"shell:" + shell.DefaultUser}})
	if err != nil {
		return err
	}
	defer a.Close()
	interactive := e.stdinTerminal
	var sh *shell.Shell
	sched := bot.NewScheduler(a.engine, bot.AnnouncerFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) {
		sh.Announce(ctx, p, r)
	}), 5*time.Second, bot.WithReminders(bot.ReminderFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) error {
		return sh.Remind(ctx, p, r)
	})))
	sh = shell.New(a.engine, e.out, shell.Interactive(interactive), shell.WithScheduler(sched))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if interactive {
		// In a terminal deadlines also fire between lines.
		wg.Go(func() { _ = sched.Run(ctx) })
	}
	err = sh.Run(ctx, e.in)
	cancel()
	wg.Wait()
	return err
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
