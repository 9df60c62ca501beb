// Command pollbench measures pollbot's vote path end to end, against the
// limit of the machine it runs on: correctly signed Slack block_actions
// clicks and Discord component clicks, sent over HTTP from many clients,
// to three servers in the same run:
//
//   - verify-only: a handler that checks the signature and answers,
//     nothing more (the floor of any server);
//   - reference: a small server that does only a vote's irreducible work
//     (package reference: verify, decode, one Lua script, answer, confirm
//     on a keep-alive client), and documents what it leaves out that
//     pollbot must do;
//   - pollbot serve, in HTTP mode.
//
// Each runs as a process of its own against the same Redis, and every
// confirmation goes to the same fake Slack and Discord API (the sink) in
// pollbench's process. The load is given in interleaved rounds (each round
// gives every server its share in turn, the order rotating), so whatever
// else the machine does falls on all three alike, and every number is
// compared within one run:
//
//   - votes/s and the ratios pollbot ÷ reference and reference ÷ verify-only
//     (closed loop: -clients clients, each sending its next click when the
//     last is answered);
//   - acknowledgement latency p50/p99, from when a click was due to its
//     answer; with -rate N the clicks are offered open loop, N a second on
//     a fixed schedule, and latency counts from each click's scheduled
//     time, so a server that stalls shows its queue instead of slowing the
//     load (no coordinated omission);
//   - confirmation latency p50/p99: from when a click was due until the
//     voter's confirmation (Slack response_url post, Discord follow-up)
//     reached the sink;
//   - CPU time per vote of the server's process, of Redis and of pollbench
//     (from /proc, Linux), over the rounds and their drains;
//   - Redis memory per ballot: every voter clicks once in a fresh poll of
//     the reference and of pollbot, and INFO memory's used_memory (without
//     client buffers) grows by so much per ballot stored;
//   - that every acknowledged vote was confirmed, that deliveries kept up
//     with acknowledgements (the backlog of unconfirmed votes did not grow
//     through most rounds, and drained within -max-drain after each: see
//     backlog.go), and that each tally in Redis matches the clicks.
//
// The run fails (exit status 1, with the reason) when a request failed, a
// vote went unconfirmed, deliveries fell behind, or a tally differs.
//
// Self-contained, everything on loopback (what `make bench-http` runs):
//
//	go run ./cmd/pollbench -start -platform both -clients 50 -duration 20s -rounds 10
//	go run ./cmd/pollbench -start -platform both -duration 20s -rounds 10 -rate 2000
//
// starts a throwaway redis-server, the sink, pollbot serve pointed at both,
// and the verify-only and reference servers (pollbench's own executable,
// run again), sets up 1000 voters in six stakeholder groups and an
// 8-theme approval poll per platform in pollbot and in the reference, and
// runs the load. With redis-benchmark on PATH it also measures the raw
// Redis ceiling: pollbot's toggle script, and plain HSET (-redis-n 0 skips
// it). It stops everything it started when it ends or is interrupted.
//
// Against a pollbot you start yourself, pollbench starts the sink first and
// prints the environment pollbot must be started with; it then waits for
// /readyz. The reference needs the Redis pollbot uses (-redis); without it
// only verify-only and pollbot are measured. CPU per vote is measured for
// the processes pollbench started.
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
	"sync"
	"syscall"
)

func main() {
	if isChild() {
		os.Exit(childMain(os.Args[1:], os.Stdout, os.Stderr))
	}
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
	// Child processes copy their output to it from goroutines of their
	// own.
	stderr = &lockedWriter{w: stderr}
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

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
