// Package discord is pollbot's Discord adapter. It owns everything between
// Discord's wire format and bot.Engine: the /poll application command and
// its registration, the two ways interactions arrive (a gateway session, or
// signed HTTP POSTs to /discord/interactions), the poll message as an embed
// with buttons or a select menu, the group picker, deferred reports and
// exports, the mapping of Discord roles to principals, and coalesced edits
// of poll messages within Discord's rate limits.
//
// Wording is the engine's; this package only lays views out within
// Discord's documented limits and degrades rather than fails
// when a view does not fit.
package discord

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/polls"
)

// Platform is the engine's name for Discord; tenants are "discord:<guild>".
const Platform = "discord"

const tenantPrefix = Platform + ":"

// Adapter connects one Discord application to the engine.
type Adapter struct {
	engine *bot.Engine
	cfg    Config
	pub    ed25519.PublicKey
	log    *slog.Logger
	now    func() time.Time

	session    *discordgo.Session
	direct     *http.Client // the session's client without rewriteTransport, for URLs built on api
	api        string       // the REST base URL called (DISCORD_API_URL or the default)
	gatewayURL string
	coalescer  *kit.Coalescer
	roles      *roleCache
	// follow-ups run after the interaction was answered, in a bounded
	// pool (see goAfter); Run waits for them so none is cut off at
	// shutdown.
	pool *kit.Pool
}

// Option configures an Adapter.
type Option func(*options)

type options struct {
	log        *slog.Logger
	client     *http.Client
	gatewayURL string
	now        func() time.Time
	interval   time.Duration
	roleTTL    time.Duration
}

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.log = l } }

// WithHTTPClient sets the HTTP client for REST calls; its transport is
// wrapped to reach DISCORD_API_URL.
func WithHTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// WithGatewayURL makes the gateway session dial url instead of the one
// GET /gateway returns (tests, proxies).
func WithGatewayURL(url string) Option { return func(o *options) { o.gatewayURL = url } }

// WithClock injects the clock that judges signature freshness and expires
// cached role names and seen interaction ids. The coalescer keeps real time:
// its timers must fire.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithEditInterval sets the minimum time between edits of one poll message
// (default 2s, well within Discord's per-channel rate limit on edits).
func WithEditInterval(d time.Duration) Option { return func(o *options) { o.interval = d } }

// WithRoleTTL sets how long a guild's role names are cached (default 5m).
func WithRoleTTL(d time.Duration) Option { return func(o *options) { o.roleTTL = d } }

// New returns an adapter for the engine. It validates cfg but does not
// connect; Run does.
func New(e *bot.Engine, cfg Config, opts ...Option) (*Adapter, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	o := options{
		log:      slog.New(slog.DiscardHandler),
		now:      time.Now,
		interval: 2 * time.Second,
		roleTTL:  5 * time.Minute,
	}
	for _, f := range opts {
		f(&o)
	}
	// Errors of follow-ups and interaction responses quote their URLs,
	// whose paths hold interaction tokens.
	a := &Adapter{engine: e, cfg: cfg, log: kit.RedactLogs(o.log), now: o.now, gatewayURL: o.gatewayURL, pool: newFollowUpPool()}
	if cfg.PublicKey != "" {
		k, err := publicKey(cfg.PublicKey)
		if err != nil {
			return nil, err
		}
		a.pub = ed25519.PublicKey(k)
	}
	s, err := discordgo.New("Bot " + cfg.BotToken)
	if err != nil {
		return nil, fmt.Errorf("discord session: %w", err)
	}
	// Follow-ups run concurrently, one per click: keep enough idle
	// connections that they do not each dial (the default keeps 2 per
	// host and 100 in all; TestFollowUpsKeepConnections).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = maxFollowUps
	tr.MaxIdleConns = 2 * maxFollowUps
	client := &http.Client{Timeout: 20 * time.Second, Transport: tr}
	if o.client != nil {
		c := *o.client
		client = &c
	}
	api := cfg.APIURL
	if api == "" {
		api = defaultAPIURL
	}
	// The calls the adapter writes itself (follow-ups) already name api:
	// they go on the transport as it is. Behind rewriteTransport, which
	// net/http does not know, each request with a timeout would cost a
	// goroutine and a timer of its own, and a type name built by
	// reflection, to enforce it.
	base := client.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	a.direct = &http.Client{Timeout: client.Timeout, Transport: base, CheckRedirect: client.CheckRedirect, Jar: client.Jar}
	client.Transport = &rewriteTransport{base: base, api: api, gateway: o.gatewayURL}
	a.api = api
	s.Client = client
	s.Identify.Intents = discordgo.IntentsGuilds
	s.StateEnabled = true
	a.session = s
	a.roles = newRoleCache(s, o.roleTTL, o.now)
	a.coalescer = kit.NewCoalescer(a.render, kit.CoalesceEvery(o.interval), kit.CoalesceLogger(a.log))
	return a, nil
}

// Coalescer is the adapter's re-render queue, for metrics.
func (a *Adapter) Coalescer() *kit.Coalescer { return a.coalescer }

// Deferred is the adapter's pool of follow-ups, for metrics.
func (a *Adapter) Deferred() *kit.Pool { return a.pool }

// Mount registers POST /discord/interactions when a public key is
// configured (HTTP interactions mode).
func (a *Adapter) Mount(mux *http.ServeMux) {
	if a.pub == nil {
		return
	}
	mux.HandleFunc("POST /discord/interactions", a.serveHTTP)
}

// Run registers the commands with one bulk overwrite, opens the gateway
// session unless in HTTP mode, and edits poll messages until ctx is done.
// It returns nil when ctx is done.
func (a *Adapter) Run(ctx context.Context) error {
	if err := a.register(ctx); err != nil {
		if ctx.Err() != nil {
			// Stopped while registering: a shutdown, not a failure.
			return nil
		}
		return err
	}
	runCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { a.coalescer.Run(runCtx) })
	defer func() {
		// Follow-ups first (they may touch polls), then the coalescer's
		// final render.
		a.pool.Stop()
		cancel()
		wg.Wait()
	}()
	if !a.cfg.HTTPMode() {
		remove := a.session.AddHandler(func(s *discordgo.Session, ic *discordgo.InteractionCreate) {
			a.onGateway(runCtx, ic.Interaction)
		})
		defer remove()
		if err := a.session.Open(); err != nil {
			return fmt.Errorf("discord gateway: %w", a.apiErr(err))
		}
		a.log.Info("discord gateway connected")
		defer a.session.Close()
	} else {
		a.log.Info("discord HTTP interactions mode", "endpoint", "/discord/interactions")
	}
	<-ctx.Done()
	return nil
}

// register overwrites the application's commands with /poll: per guild
// when DISCORD_GUILD_ID is set (instant), else globally.
func (a *Adapter) register(ctx context.Context) error {
	_, err := a.session.ApplicationCommandBulkOverwrite(a.cfg.AppID, a.cfg.GuildID, commands(a.engine), discordgo.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("register discord commands: %w", a.apiErr(err))
	}
	return nil
}

// Announce posts a scheduler announcement in the poll's channel and
// re-renders the poll's messages (bot.Announcer for "discord:" tenants).
func (a *Adapter) Announce(ctx context.Context, p *polls.Poll, r bot.Response) {
	if !strings.HasPrefix(p.Tenant, tenantPrefix) {
		return
	}
	for _, rep := range r.Replies {
		if rep.Visibility != bot.Public || p.Channel == "" {
			continue
		}
		m := a.layout(rep)
		_, err := a.session.ChannelMessageSendComplex(p.Channel, &discordgo.MessageSend{
			Content: m.content, Embeds: m.embeds, Components: m.components, Files: m.files,
			AllowedMentions: noMentions(),
		}, discordgo.WithContext(ctx))
		if err != nil {
			a.log.Warn("discord announcement failed", "tenant", p.Tenant, "poll", p.ID, "err", a.apiErr(err))
		}
	}
	a.touch(r.Updated)
}

// apiErr makes a REST call's error quote the URL called (see apiErr).
func (a *Adapter) apiErr(err error) error { return apiErr(a.api, err) }

func (a *Adapter) touch(keys []polls.Key) {
	var mine []polls.Key
	for _, k := range keys {
		if strings.HasPrefix(k.Tenant, tenantPrefix) {
			mine = append(mine, k)
		}
	}
	if len(mine) > 0 {
		a.coalescer.Touch(mine...)
	}
}

// render edits every Discord message of a poll to its current view. A 429
// becomes kit.RetryLater so the coalescer retries after Retry-After rather
// than discordgo sleeping inside the render.
func (a *Adapter) render(ctx context.Context, k polls.Key) error {
	v, err := a.engine.PollView(ctx, k)
	if err != nil {
		return err
	}
	embeds, comps := pollMessageIn(a.engine.Printer(), v)
	for _, ref := range v.Messages {
		if ref.Platform != Platform {
			continue
		}
		_, err := a.session.ChannelMessageEditComplex(&discordgo.MessageEdit{
			ID: ref.Message, Channel: ref.Channel, Embeds: &embeds, Components: &comps,
		}, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		var rl *discordgo.RateLimitError
		if errors.As(err, &rl) {
			return &kit.RetryLater{After: rl.RetryAfter, Err: err}
		}
		if err != nil {
			return fmt.Errorf("edit discord message %s: %w", ref.Message, a.apiErr(err))
		}
	}
	return nil
}

// maxFollowUps bounds the follow-up work running at once, and
// followUpWait how long an interaction waits for a slot when all are busy
// before its answer (see kit.Pool): a follow-up is mostly a wait for
// Discord, so enough run at once to keep up with the answers, and when
// even these are busy the interactions wait, so answers slow to the pace
// of delivery instead of leaving a growing backlog. Interaction tokens
// stay valid 15 minutes; a follow-up that takes longer than a minute has
// failed anyway.
const (
	maxFollowUps    = 256
	followUpWait    = time.Second
	followUpTimeout = time.Minute
)

func newFollowUpPool() *kit.Pool { return kit.NewPool(maxFollowUps, followUpWait, followUpTimeout) }

// goAfter runs follow-up work after an interaction was answered, in the
// bounded pool.
func (a *Adapter) goAfter(ctx context.Context, f func(ctx context.Context), within time.Duration) {
	if f == nil {
		return
	}
	if within > 0 {
		a.pool.GoWithin(ctx, within, f)
		return
	}
	a.pool.Go(ctx, f)
}

// wait blocks until every follow-up started so far is done.
func (a *Adapter) wait() { a.pool.Wait() }

func noMentions() *discordgo.MessageAllowedMentions {
	m := noMentionsValue
	return &m
}

// noMentionsValue is noMentions, read only.
var noMentionsValue = discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
