package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/internal/metrics"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
	redisstore "github.com/pollbot/pollbot/storage/redis"
)

// config is every setting, read once from the environment and overridden by
// flags of the same names (POLLBOT_REDIS_URL -> -redis-url).
type config struct {
	RedisURL     string
	Data         string
	HTTPAddr     string
	Facilitators string
	ConfigPath   string
	PseudonymKey string
	// PseudonymKeyFile names a file holding the key instead (a mounted
	// secret); surrounding white space is not part of the key.
	PseudonymKeyFile string
	Tenant           string
	LogLevel         string
	LogFormat        string
	// PublicURL is where people reach pollbot serve, for the links to
	// live screens; LinkKey (or the file LinkKeyFile names) signs them.
	PublicURL   string
	LinkKey     string
	LinkKeyFile string
}

type flagSet struct {
	*flag.FlagSet
	cfg config
}

// newFlags returns a flag set for a command with the store flags (and,
// with serve, the server flags) registered, defaults from the environment.
func newFlags(name, args string, e env, summary string) *flagSet {
	fs := &flagSet{FlagSet: flag.NewFlagSet("pollbot "+name, flag.ContinueOnError)}
	fs.SetOutput(e.err)
	get := func(k, def string) string {
		if v := e.getenv(k); v != "" {
			return v
		}
		return def
	}
	fs.StringVar(&fs.cfg.RedisURL, "redis-url", get("POLLBOT_REDIS_URL", ""), "Redis URL (`URL`: redis://, rediss://, redis+cluster://, redis+sentinel://); unset: the embedded store (env POLLBOT_REDIS_URL)")
	fs.StringVar(&fs.cfg.Data, "data", get("POLLBOT_DATA", boltstore.DefaultPath), "embedded store `file` (env POLLBOT_DATA)")
	fs.StringVar(&fs.cfg.ConfigPath, "config", get("POLLBOT_CONFIG", ""), "YAML `file` with groups, presets, role mappings, defaults (env POLLBOT_CONFIG)")
	fs.StringVar(&fs.cfg.Facilitators, "facilitators", get("POLLBOT_FACILITATORS", ""), "comma `list` of facilitators: slack:U123, discord:456, discord-role:Moderators (env POLLBOT_FACILITATORS)")
	// The pseudonym key is a secret: from the environment or a file, never
	// a flag, which would show in the process list.
	fs.cfg.PseudonymKey = get("POLLBOT_PSEUDONYM_KEY", "")
	fs.cfg.PseudonymKeyFile = get("POLLBOT_PSEUDONYM_KEY_FILE", "")
	fs.StringVar(&fs.cfg.PublicURL, "public-url", get("POLLBOT_PUBLIC_URL", ""), "`URL` people reach pollbot serve at, for links to live screens (env POLLBOT_PUBLIC_URL)")
	// The link key is a secret too.
	fs.cfg.LinkKey = get("POLLBOT_LINK_KEY", "")
	fs.cfg.LinkKeyFile = get("POLLBOT_LINK_KEY_FILE", "")
	// Only the server logs routine events by default; the other commands
	// talk to a person, whose output logs would clutter.
	defLevel := "warn"
	if name == "serve" {
		defLevel = "info"
	}
	fs.StringVar(&fs.cfg.LogLevel, "log-level", get("POLLBOT_LOG_LEVEL", defLevel), "`level`: debug, info, warn, error (env POLLBOT_LOG_LEVEL)")
	fs.StringVar(&fs.cfg.LogFormat, "log-format", get("POLLBOT_LOG_FORMAT", "text"), "`format` of log lines: text (logfmt) or json (env POLLBOT_LOG_FORMAT)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pollbot %s %s\n\n%s\n\nFlags:\n", name, args, summary)
		fs.PrintDefaults()
	}
	return fs
}

func (fs *flagSet) tenantFlag() {
	fs.StringVar(&fs.cfg.Tenant, "tenant", "local", "`tenant` to read: local (the shell), slack:TEAM, discord:GUILD")
}

// parse parses flags wherever they stand among the arguments
// (`pollbot report K7QX --format json` as README writes it, as well as
// flags first); -h prints usage and returns errHelp. A "--" ends the flags.
func (fs *flagSet) parse(args []string) error {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return errHelp
			}
			return errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			positional = append(positional, rest...)
			break
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
	// Leave the positional arguments where fs.Args and fs.NArg find them.
	return fs.Parse(append([]string{"--"}, positional...))
}

// errHelp is -h: usage was printed and the command succeeds.
var errHelp = errors.New("help")

func (c config) logger(w io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("POLLBOT_LOG_LEVEL: %q is not debug, info, warn or error", c.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch c.LogFormat {
	case "text", "":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("POLLBOT_LOG_FORMAT: %q is not text or json", c.LogFormat)
}

// store is what the commands need of a store.
type store interface {
	polls.Store
	polls.Pinger
	polls.OpenCounter
	io.Closer
}

// openStore opens Redis when a URL is configured, else the embedded store
// (with opts). With mustExist (commands that only read) a missing store
// file is an error that names it and how to point at another, never a new
// empty file.
func (c config) openStore(ctx context.Context, mustExist bool, opts ...boltstore.Option) (store, error) {
	if c.RedisURL != "" {
		s, err := redisstore.Open(ctx, c.RedisURL)
		if err != nil {
			return nil, fmt.Errorf("POLLBOT_REDIS_URL: %w", err)
		}
		return s, nil
	}
	if mustExist {
		opts = append(opts, boltstore.MustExist())
	}
	s, err := boltstore.Open(c.Data, opts...)
	if mustExist && errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no store at %s: nothing has been stored there, and this command only reads (pollbot shell, serve and demo create stores). Name yours with -data FILE or POLLBOT_DATA, or use Redis with -redis-url URL or POLLBOT_REDIS_URL", c.Data)
	}
	return s, err
}

// where names the store a command reads, for its messages: the embedded
// store's file, or Redis.
func (c config) where() string {
	if c.RedisURL != "" {
		return "Redis"
	}
	return c.Data
}

// otherTenants says how to read polls that are not the shell's.
const otherTenants = "Other tenants are read with -tenant: slack:TEAM_ID (a Slack workspace), discord:SERVER_ID (a Discord server), demo (pollbot demo's)"

// pollErr words a failure to find a poll for a command that reads the store
// directly: which tenant of which store was read, and how to read another.
// Other errors are returned as they are.
func (c config) pollErr(id string, err error) error {
	var de *polls.Error
	if !errors.As(err, &de) || de.Code != polls.CodePollNotFound {
		return err // not an id at all, among others: said as it is
	}
	return fmt.Errorf("no poll %s in tenant %s of %s. %s; pollbot list -tenant TENANT lists a tenant's polls",
		polls.NormalizeID(id), c.Tenant, c.where(), otherTenants)
}

// app is a wired engine over an open store.
type app struct {
	store  store
	svc    *polls.Service
	engine *bot.Engine
	cfg    bot.Config
	log    *slog.Logger
	// links makes the links to live screens; nil when not configured.
	links *link.Maker
}

func (a *app) Close() error { return a.store.Close() }

type appOption struct {
	// metrics, when set, measures the store and the engine.
	metrics *metrics.Metrics
	// log, when set, is the logger the caller already made from the config.
	log          *slog.Logger
	clock        func() time.Time
	facilitators []string
	ids          func() string
	// announceLease, when set, is the service's announce lease (serve's
	// -announce-retry).
	announceLease time.Duration
	// links, when set, makes the live screen's links in place of the
	// configuration's (the shell and the live demo serve their own).
	links *link.Maker
	// readOnly marks a command that only reads the store (list, report,
	// export, timeline): the embedded store must exist already.
	readOnly bool
}

// openApp reads the configuration, opens the store and wires the engine.
func (c config) openApp(ctx context.Context, e env, o appOption) (*app, error) {
	var err error
	log := o.log
	if log == nil {
		if log, err = c.logger(e.err); err != nil {
			return nil, err
		}
	}
	var bc bot.Config
	if c.ConfigPath != "" {
		if bc, err = bot.LoadConfigFile(c.ConfigPath); err != nil {
			return nil, err
		}
	}
	fac, err := bot.ParseFacilitators(c.Facilitators)
	if err != nil {
		return nil, err
	}
	bc.Facilitators = append(append(bc.Facilitators, fac...), o.facilitators...)
	redisstore.SetLogger(log)
	var storeOpts []boltstore.Option
	if o.clock != nil {
		// The embedded store checks deadlines by the same clock.
		storeOpts = append(storeOpts, boltstore.WithClock(o.clock))
	}
	st, err := c.openStore(ctx, o.readOnly, storeOpts...)
	if err != nil {
		return nil, err
	}
	var svcStore polls.Store = st
	engOpts := []bot.EngineOption{bot.WithLogger(log), bot.WithChart(func(w io.Writer, r *polls.Report, g *polls.Groups) error {
		return chart.PNG(w, r, g, chart.WithPrinter(report.PrinterOf(w)))
	})}
	links, err := c.screenLinks(o.links)
	if err != nil {
		st.Close()
		return nil, err
	}
	if links != nil {
		engOpts = append(engOpts, bot.WithScreenLinks(links))
	}
	if o.metrics != nil {
		wrapped := o.metrics.WrapStore(st)
		o.metrics.CountOpenPolls(wrapped)
		svcStore = wrapped
		engOpts = append(engOpts, bot.WithMetrics(o.metrics))
	}
	opts := []polls.Option{polls.WithGroups(bc.GroupList()), polls.WithLimits(bc.PollLimits())}
	key, err := c.pseudonymKey()
	if err != nil {
		st.Close()
		return nil, err
	}
	if key != nil {
		opts = append(opts, polls.WithPseudonymKey(key))
	}
	if o.clock != nil {
		opts = append(opts, polls.WithClock(o.clock))
	}
	if o.ids != nil {
		opts = append(opts, polls.WithIDs(o.ids))
	}
	if o.announceLease > 0 {
		opts = append(opts, polls.WithAnnounceLease(o.announceLease))
	}
	svc := polls.NewService(svcStore, opts...)
	eng := bot.New(svc, bc, engOpts...)
	return &app{store: st, svc: svc, engine: eng, cfg: bc, log: log, links: links}, nil
}

// openReader opens the store and engine for a command that only reads
// them (list, report, export, timeline): see appOption.readOnly, and
// pollErr for a poll it does not find.
func (c config) openReader(ctx context.Context, e env) (*app, error) {
	return c.openApp(ctx, e, appOption{readOnly: true})
}

func oneArg(fs *flagSet, what string) (string, error) {
	if fs.NArg() != 1 || strings.TrimSpace(fs.Arg(0)) == "" {
		fmt.Fprintf(fs.Output(), "pollbot %s: needs exactly one %s\n", strings.TrimPrefix(fs.Name(), "pollbot "), what)
		fs.Usage()
		return "", errUsage
	}
	return fs.Arg(0), nil
}

// pseudonymKey reads the pseudonym key from POLLBOT_PSEUDONYM_KEY or the
// file POLLBOT_PSEUDONYM_KEY_FILE names (nil when neither is set), and
// refuses one too short to keep voters anonymous.
func (c config) pseudonymKey() ([]byte, error) {
	var key []byte
	switch {
	case c.PseudonymKey != "" && c.PseudonymKeyFile != "":
		return nil, errors.New("set POLLBOT_PSEUDONYM_KEY or POLLBOT_PSEUDONYM_KEY_FILE, not both")
	case c.PseudonymKey != "":
		key = []byte(c.PseudonymKey)
	case c.PseudonymKeyFile != "":
		data, err := os.ReadFile(c.PseudonymKeyFile)
		if err != nil {
			return nil, fmt.Errorf("POLLBOT_PSEUDONYM_KEY_FILE: %w", err)
		}
		key = bytes.TrimSpace(data)
	default:
		return nil, nil
	}
	if err := polls.CheckPseudonymKey(key); err != nil {
		return nil, fmt.Errorf("POLLBOT_PSEUDONYM_KEY: %w; generate one with: openssl rand -base64 48", err)
	}
	return key, nil
}
