// Command pollbot runs topic-consensus polls in chat.
//
//	pollbot serve                  run the configured adapters, the deadline scheduler and HTTP
//	pollbot shell                  a local chat on standard input (the embedded store by default)
//	pollbot demo [-out DIR]        a scripted multistakeholder poll, end to end, with its exports
//	pollbot list [-format json]    the polls of a tenant
//	pollbot report ID [-format text|json|md|png]
//	pollbot export ID [-format csv|json] [-ballots]
//	pollbot timeline ID [-format text|json|csv|png]
//	pollbot screen ID              the link to a poll's live screen (POLLBOT_LINK_KEY, POLLBOT_PUBLIC_URL)
//	pollbot version
//	pollbot healthcheck [-url URL] exit 0 when serve answers 200 on /healthz (container health checks)
//
// Configuration comes from the environment (POLLBOT_REDIS_URL, POLLBOT_DATA,
// POLLBOT_HTTP_ADDR, POLLBOT_FACILITATORS, POLLBOT_CONFIG,
// POLLBOT_PSEUDONYM_KEY, ...); flags of the same names (-redis-url, -data,
// ...) override it. `pollbot COMMAND -h` lists each command's flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/pollbot/pollbot/bot"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], env{in: os.Stdin, out: os.Stdout, err: os.Stderr, getenv: os.Getenv, stdinTerminal: isTerminal(os.Stdin), tty: openTerminal()}))
}

// env is the process environment a command runs in; tests substitute it.
type env struct {
	in     io.Reader
	out    io.Writer
	err    io.Writer
	getenv func(string) string
	// stdinTerminal reports whether in is an interactive terminal.
	stdinTerminal bool
	// tty is set when standard input and output are both a terminal,
	// where the shell edits lines itself.
	tty *terminal
	// now, when set, is the clock the demo's replayed session ends at
	// (tests fix it; nil is time.Now).
	now func() time.Time
}

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, e env) error
}

var commands []command

func init() {
	commands = []command{
		{"serve", "run the chat adapters, the deadline scheduler and the HTTP endpoints", runServe},
		{"shell", "chat with pollbot locally on standard input (scriptable)", runShell},
		{"demo", "run a scripted multistakeholder poll end to end and write its exports", runDemo},
		{"list", "list a tenant's polls", runList},
		{"report", "print a poll's consensus report", runReport},
		{"export", "export a poll's tally or ballots", runExport},
		{"timeline", "print how a poll's consensus emerged (text, json, csv or png)", runTimeline},
		{"screen", "print the link to a poll's live screen", runScreen},
		{"version", "print the version", runVersion},
		{"healthcheck", "exit 0 when a running serve answers on /healthz (for container health checks)", runHealthcheck},
	}
}

// errUsage marks errors already explained by the flag package.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, e env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.out)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], e)
			switch {
			case err == nil, errors.Is(err, errHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			fmt.Fprintf(e.err, "pollbot %s: %s\n", c.name, bot.Describe(err))
			return 1
		}
	}
	fmt.Fprintf(e.err, "pollbot: unknown command %q\n\n", args[0])
	usage(e.err)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "pollbot runs topic-consensus polls in chat: which themes have consensus across stakeholder groups.")
	fmt.Fprintln(w, "\nUsage: pollbot COMMAND [flags]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-12s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nStart here: pollbot demo   or   pollbot shell")
	fmt.Fprintln(w, "Run 'pollbot COMMAND -h' for a command's flags.")
}
