// Command pollbench measures pollbot's vote path end to end: correctly
// signed Slack block_actions clicks and Discord component clicks sent over
// HTTP to a running `pollbot serve`, from many concurrent clients, beside
// the same requests sent to a handler that only verifies the signature, in
// the same run. With redis-benchmark on PATH it also measures the raw Redis
// ceiling: the toggle script a click runs, and plain HSET.
//
// Self-contained, everything on loopback (what `make bench` runs):
//
//	go run ./cmd/pollbench -start -platform both -clients 50 -duration 20s
//
// starts a throwaway redis-server, a fake Slack and Discord API (the sink),
// and pollbot serve pointed at both, then sets up 1000 voters in six
// stakeholder groups and an 8-theme approval poll per platform, and runs
// the load. It stops everything it started when it ends or is interrupted.
//
// Against a pollbot you start yourself, pollbench starts the sink first and
// prints the environment pollbot must be started with; it then waits for
// /readyz:
//
//	go run ./cmd/pollbench -target http://127.0.0.1:8080 -sink 127.0.0.1:8090 -redis redis://127.0.0.1:6390/0
//
// Every address must be loopback: pollbench refuses anything else, so it
// can never load a real deployment, Slack or Discord.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	switch {
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "pollbench:", err)
		os.Exit(1)
	}
}

// run is main without the process: it parses args, runs the benchmark and
// writes the report to stdout; progress goes to stderr.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	rep, err := bench(ctx, cfg, stderr)
	if rep != nil {
		if werr := rep.write(stdout, cfg.JSON); werr != nil && err == nil {
			err = werr
		}
	}
	if err != nil {
		return err
	}
	return rep.verdict()
}
