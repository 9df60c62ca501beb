package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
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
	Rounds    int
	Rate      float64
	MaxDrain  time.Duration
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
	Pprof     string
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
	fs.IntVar(&c.Clients, "clients", 50, "concurrent clients (closed loop); with -rate, the most clicks in flight (default there: enough for 100 ms of the rate, at least 50)")
	fs.Int64Var(&c.Count, "n", 0, fmt.Sprintf("clicks per server, over all rounds (at most %d); with -duration, whichever ends first", loadgen.MaxCount))
	fs.DurationVar(&c.Duration, "duration", 0, fmt.Sprintf("load per server, over all rounds (at most %v); default 10s when -n is not set", loadgen.MaxDuration))
	fs.IntVar(&c.Rounds, "rounds", 5, "interleaved rounds: each gives verify-only, the reference and pollbot their share of the load in turn")
	fs.Float64Var(&c.Rate, "rate", 0, "open loop: offer this many clicks per second on a fixed schedule, latency counted from each click's scheduled time (0: closed loop)")
	fs.DurationVar(&c.MaxDrain, "max-drain", time.Second, "fail when a round's last confirmation arrives later than this after its last acknowledgement")
	fs.StringVar(&c.Secret, "secret", "pollbench-signing-secret", "Slack signing `secret` (pollbot's SLACK_SIGNING_SECRET)")
	fs.StringVar(&c.KeySeed, "discord-key-seed", defaultSeed, "Ed25519 seed, 64 `hex` characters, of the key that signs Discord interactions; its public half is printed for DISCORD_PUBLIC_KEY")
	fs.StringVar(&c.SinkAddr, "sink", "", "loopback `address` of the fake Slack/Discord API (default: a free port with -start, 127.0.0.1:8090 otherwise)")
	fs.IntVar(&c.Users, "users", 1000, "distinct voters per platform, spread over the six stakeholder groups")
	fs.IntVar(&c.Themes, "themes", 8, "themes in the benchmark poll (2 to 20)")
	fs.StringVar(&c.RedisURL, "redis", "", "the `URL` of the Redis pollbot uses (loopback only), for the tally check and the redis-benchmark ceiling; set by -start")
	fs.IntVar(&c.RedisN, "redis-n", 200_000, "requests per redis-benchmark run (0: no redis-benchmark ceiling)")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.BoolVar(&c.Start, "start", false, "start redis-server, the sink and pollbot serve on loopback, and stop them at the end")
	fs.StringVar(&c.Pollbot, "pollbot", "", "pollbot `binary` for -start (default: go build ./cmd/pollbot into a temporary directory)")
	fs.BoolVar(&c.AOF, "aof", false, "with -start: run Redis with the append-only file on (appendfsync everysec)")
	fs.StringVar(&c.Pprof, "pprof", "", "with -start: loopback `address` where pollbot serves its Go profiles (POLLBOT_PPROF_ADDR), e.g. 127.0.0.1:6060")
	fs.DurationVar(&c.Wait, "wait", 2*time.Minute, "without -start: how long to wait for the target's /readyz")
	fs.BoolVar(&c.Verbose, "v", false, "with -start: copy pollbot's log to standard error")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pollbench [flags]\n\nSends signed Slack and Discord vote clicks to pollbot serve, to a reference server that does\nonly a vote's irreducible work, and to a verify-only baseline, in interleaved rounds, and\nreports votes/s, acknowledgement and confirmation latency, CPU per vote and Redis memory\nper ballot of each, and their ratios.\n\n  pollbench -start -platform both -duration 20s -rounds 10        closed loop, 50 clients\n  pollbench -start -platform both -duration 20s -rate 2000         open loop, 2,000 clicks/s\n\nFlags:\n")
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
	if c.Rate > 0 && !isSet(fs, "clients") {
		// Open loop, a click due while every client is busy waits, and
		// the wait counts in its latency: enough clients for the rate's
		// 100 ms keep the schedule unless the server stalls.
		c.Clients = max(c.Clients, int(math.Ceil(min(c.Rate, loadgen.MaxRate)/10)))
		c.Clients = min(c.Clients, 10_000)
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
	case c.RedisN < 0 || c.RedisN > loadgen.MaxCount:
		return nil, fmt.Errorf("-redis-n %d: want 0 to %d", c.RedisN, loadgen.MaxCount)
	case c.Rounds < 1 || c.Rounds > 1000:
		return nil, fmt.Errorf("-rounds %d: want 1 to 1000", c.Rounds)
	case c.Count > 0 && c.Count < int64(c.Rounds):
		return nil, fmt.Errorf("-n %d: want at least one click per round (-rounds %d)", c.Count, c.Rounds)
	case c.Duration > 0 && c.Duration/time.Duration(c.Rounds) < 100*time.Millisecond:
		return nil, fmt.Errorf("-duration %v over %d rounds: want rounds of at least 100ms", c.Duration, c.Rounds)
	case math.IsNaN(c.Rate) || c.Rate < 0 || c.Rate > loadgen.MaxRate:
		return nil, fmt.Errorf("-rate %v: want 0 to %d clicks per second", c.Rate, loadgen.MaxRate)
	case c.MaxDrain <= 0 || c.MaxDrain > drainLimit:
		return nil, fmt.Errorf("-max-drain %v: want more than 0 and at most %v", c.MaxDrain, drainLimit)
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

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
