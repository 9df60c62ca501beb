package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
)

var errUsage = errors.New("usage")

// config is pollbench's flags.
type config struct {
	Target    string
	Platforms []loadgen.Platform
	Clients   int
	Count     int64
	Duration  time.Duration
	Secret    string
	KeySeed   string
	key       ed25519.PrivateKey
	SinkAddr  string
	Users     int
	Themes    int
	RedisURL  string
	RedisN    int
	JSON      bool
	Start     bool
	Pollbot   string
	AOF       bool
	Wait      time.Duration
	Verbose   bool
}

// defaultSeed makes the default Discord key the same in every run, so a
// pollbot started by hand keeps working with the printed public key.
// Anyone can derive it: it must only ever sign loopback requests.
var defaultSeed = func() string {
	sum := sha256.Sum256([]byte("pollbench default Discord key"))
	return hex.EncodeToString(sum[:])
}()

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("pollbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	platform := ""
	fs.StringVar(&c.Target, "target", "http://127.0.0.1:8080", "base `URL` of a running pollbot serve (loopback only); ignored with -start")
	fs.StringVar(&platform, "platform", "both", "which clicks to send: slack, discord or both")
	fs.IntVar(&c.Clients, "clients", 50, "concurrent clients")
	fs.Int64Var(&c.Count, "n", 0, fmt.Sprintf("clicks per run (at most %d); with -duration, whichever ends first", loadgen.MaxCount))
	fs.DurationVar(&c.Duration, "duration", 0, fmt.Sprintf("length of each run (at most %v); default 10s when -n is not set", loadgen.MaxDuration))
	fs.StringVar(&c.Secret, "secret", "pollbench-signing-secret", "Slack signing `secret` (pollbot's SLACK_SIGNING_SECRET)")
	fs.StringVar(&c.KeySeed, "discord-key-seed", defaultSeed, "Ed25519 seed, 64 `hex` characters, of the key that signs Discord interactions; its public half is printed for DISCORD_PUBLIC_KEY")
	fs.StringVar(&c.SinkAddr, "sink", "", "loopback `address` of the fake Slack/Discord API (default: a free port with -start, 127.0.0.1:8090 otherwise)")
	fs.IntVar(&c.Users, "users", 1000, "distinct voters per platform, spread over the six stakeholder groups")
	fs.IntVar(&c.Themes, "themes", 8, "themes in the benchmark poll (2 to 20)")
	fs.StringVar(&c.RedisURL, "redis", "", "the `URL` of the Redis pollbot uses (loopback only), for the tally check and the redis-benchmark ceiling; set by -start")
	fs.IntVar(&c.RedisN, "redis-n", 200_000, "requests per redis-benchmark run")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&c.Start, "start", false, "start redis-server, the sink and pollbot serve on loopback, and stop them at the end")
	fs.StringVar(&c.Pollbot, "pollbot", "", "pollbot `binary` for -start (default: go build ./cmd/pollbot into a temporary directory)")
	fs.BoolVar(&c.AOF, "aof", false, "with -start: run Redis with the append-only file on (appendfsync everysec)")
	fs.DurationVar(&c.Wait, "wait", 2*time.Minute, "without -start: how long to wait for the target's /readyz")
	fs.BoolVar(&c.Verbose, "v", false, "with -start: copy pollbot's log to standard error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pollbench [flags]\n\nSends signed Slack and Discord vote clicks to pollbot serve over HTTP and reports votes/s,\nlatency and errors beside a verify-only baseline measured in the same run.\n\n  pollbench -start -platform both -clients 50 -duration 20s\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, errUsage
		}
		return nil, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pollbench: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return nil, errUsage
	}
	switch platform {
	case "slack":
		c.Platforms = []loadgen.Platform{loadgen.PlatformSlack}
	case "discord":
		c.Platforms = []loadgen.Platform{loadgen.PlatformDiscord}
	case "both":
		c.Platforms = []loadgen.Platform{loadgen.PlatformSlack, loadgen.PlatformDiscord}
	default:
		return nil, fmt.Errorf("-platform %q: want slack, discord or both", platform)
	}
	if c.Count == 0 && c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	switch {
	case c.Clients < 1 || c.Clients > 10_000:
		return nil, fmt.Errorf("-clients %d: want 1 to 10000", c.Clients)
	case c.Count < 0 || c.Count > loadgen.MaxCount:
		return nil, fmt.Errorf("-n %d: want 1 to %d", c.Count, loadgen.MaxCount)
	case c.Duration < 0 || c.Duration > loadgen.MaxDuration:
		return nil, fmt.Errorf("-duration %v: want at most %v", c.Duration, loadgen.MaxDuration)
	case c.Users < 1 || c.Users > 100_000:
		return nil, fmt.Errorf("-users %d: want 1 to 100000", c.Users)
	case c.Themes < 2 || c.Themes > 20:
		// More themes turn the vote buttons into a select menu.
		return nil, fmt.Errorf("-themes %d: want 2 to 20", c.Themes)
	case c.RedisN < 1 || c.RedisN > loadgen.MaxCount:
		return nil, fmt.Errorf("-redis-n %d: want 1 to %d", c.RedisN, loadgen.MaxCount)
	case c.Secret == "":
		return nil, errors.New("-secret is empty")
	case c.Wait <= 0 || c.Wait > loadgen.MaxDuration:
		return nil, fmt.Errorf("-wait %v: want more than 0 and at most %v", c.Wait, loadgen.MaxDuration)
	}
	key, err := loadgen.KeyFromSeed(c.KeySeed)
	if err != nil {
		return nil, fmt.Errorf("-discord-key-seed: %w", err)
	}
	c.key = key
	if c.SinkAddr == "" {
		c.SinkAddr = "127.0.0.1:0"
		if !c.Start {
			c.SinkAddr = "127.0.0.1:8090"
		}
	}
	return c, nil
}
