// Package slack is pollbot's Slack adapter. It owns everything between
// Slack's wire format and bot.Engine: the two connection modes (Socket Mode
// over slack-go's socketmode client, and HTTP mode with signed requests on
// /slack/commands, /slack/interactions and /slack/events), the Block Kit
// layout of the engine's views, the ranking modal, the delivery of replies
// (ephemeral through response_url or chat.postEphemeral, public with
// chat.postMessage, files with files.uploadV2), coalesced chat.update
// re-renders of poll messages, de-duplication of Slack's retries, and the
// mapping of Slack user groups to roles ("slack-usergroup:<ID or handle>").
//
// Tenants are "slack:<team id>". Wording is the engine's: this package only
// lays it out, except for the few words of its own controls (the ranking
// modal, the Vote/Choose buttons) and delivery notes.
//
// Exports are sent to the facilitator in a direct message with the bot
// (conversations.open + files.uploadV2): Slack has no ephemeral files, and a
// DM is the one place only that user sees. A report's chart is uploaded to
// the channel the report was posted in.
package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	"github.com/pollbot/pollbot/polls"
	"github.com/slack-go/slack"
)

// Platform is the engine's platform name for Slack, and the tenant prefix.
const Platform = "slack"

// Adapter connects one Slack app to an engine.
type Adapter struct {
	eng    *bot.Engine
	cfg    Config
	api    *slack.Client
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	coOpts []kit.CoalescerOption
	co     *kit.Coalescer
	groups *userGroups

	taskTimeout time.Duration
	// tasks runs Socket Mode envelopes; pool the work done after an
	// acknowledgement (see background).
	tasks kit.Tasks
	pool  *kit.Pool
}

// Option configures an Adapter.
type Option func(*Adapter)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(a *Adapter) { a.log = l } }

// WithHTTPClient sets the client for the Web API, response_url posts and
// file uploads (default: a client with a 15 s timeout).
func WithHTTPClient(c *http.Client) Option { return func(a *Adapter) { a.client = c } }

// WithClock injects the clock used for request timestamps, caches and
// the coalescer.
func WithClock(now func() time.Time) Option { return func(a *Adapter) { a.now = now } }

// WithCoalescer passes options to the poll-message coalescer (tests use a
// short interval; production keeps 2 s).
func WithCoalescer(opts ...kit.CoalescerOption) Option {
	return func(a *Adapter) { a.coOpts = append(a.coOpts, opts...) }
}

// WithUserGroupTTL sets how long a team's user group memberships are
// cached (default 5 minutes); 0 turns the lookup off, so no request carries
// "slack-usergroup:" roles.
func WithUserGroupTTL(d time.Duration) Option {
	return func(a *Adapter) { a.groups = newUserGroups(d) }
}

// New returns an adapter. It does no I/O: Run connects Socket Mode, Mount
// serves HTTP mode.
func New(e *bot.Engine, cfg Config, opts ...Option) (*Adapter, error) {
	if e == nil {
		return nil, errors.New("slack: New needs an engine")
	}
	if cfg.BotToken == "" {
		return nil, errors.New("slack: SLACK_BOT_TOKEN is not set")
	}
	if cfg.AppToken == "" && cfg.SigningSecret == "" {
		return nil, errors.New("slack: neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is set")
	}
	a := &Adapter{
		eng:         e,
		cfg:         cfg,
		client:      &http.Client{Timeout: 15 * time.Second, Transport: newTransport()},
		log:         slog.New(slog.DiscardHandler),
		now:         time.Now,
		groups:      newUserGroups(5 * time.Minute),
		taskTimeout: 30 * time.Second,
	}
	for _, o := range opts {
		o(a)
	}
	a.pool = kit.NewPool(maxDeferred, deferWait, a.taskTimeout)
	// Errors of response_url posts and uploads quote their URLs, which are
	// credentials.
	a.log = kit.RedactLogs(a.log)
	apiOpts := []slack.Option{slack.OptionHTTPClient(a.client)}
	if cfg.APIURL != "" {
		apiOpts = append(apiOpts, slack.OptionAPIURL(cfg.APIURL))
	}
	if cfg.AppToken != "" {
		apiOpts = append(apiOpts, slack.OptionAppLevelToken(cfg.AppToken))
	}
	a.api = slack.New(cfg.BotToken, apiOpts...)
	coOpts := append([]kit.CoalescerOption{kit.CoalesceClock(a.now), kit.CoalesceLogger(a.log)}, a.coOpts...)
	a.co = kit.NewCoalescer(a.render, coOpts...)
	return a, nil
}

// newTransport keeps enough idle connections to Slack for bursts of
// clicks: each click posts a confirmation, and http.DefaultTransport's two
// idle connections per host would make most of them dial anew.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * maxDeferred
	t.MaxIdleConnsPerHost = maxDeferred
	return t
}

// apiURL is the Web API base URL the adapter calls.
func (a *Adapter) apiURL() string {
	if a.cfg.APIURL != "" {
		return a.cfg.APIURL
	}
	return slack.APIURL
}

// Check asks Slack who the bot token belongs to (auth.test), so that a
// token Slack refuses, or a Slack that cannot be reached, stops serve at
// start-up with one line saying which, instead of failing every request
// later. It returns the team and bot user names for the log.
func (a *Adapter) Check(ctx context.Context) (team, user string, err error) {
	res, err := a.api.AuthTestContext(ctx)
	if err == nil {
		return res.Team, res.User, nil
	}
	var se slack.SlackErrorResponse
	switch {
	case isAuthError(err.Error()), errors.As(err, &se) && isAuthError(se.Err):
		return "", "", fmt.Errorf("SLACK_BOT_TOKEN: Slack refused the bot token (%s); copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page", err)
	case errors.As(err, &se):
		return "", "", fmt.Errorf("slack: auth.test at %s answered %s", a.apiURL(), se.Err)
	case ctx.Err() != nil:
		return "", "", fmt.Errorf("slack: no answer from %s within the start-up check (SLACK_API_URL sets another address): %w", a.apiURL(), err)
	}
	return "", "", fmt.Errorf("slack: cannot reach %s (SLACK_API_URL sets another address): %w", a.apiURL(), err)
}

// isAuthError reports whether a Slack error code means the token itself
// was refused.
func isAuthError(code string) bool {
	switch code {
	case "invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "not_allowed_token_type":
		return true
	}
	return false
}

// Coalescer returns the adapter's coalescer (metrics, tests).
func (a *Adapter) Coalescer() *kit.Coalescer { return a.co }

// Deferred returns the pool of work done after acknowledgements
// (metrics).
func (a *Adapter) Deferred() *kit.Pool { return a.pool }

// Run renders poll messages and, with an app token, serves Socket Mode,
// until ctx is done; it then renders what is pending once more, waits for
// deferred work, and returns nil. It returns an error only when Socket Mode
// cannot connect at all (a bad token). Stop the HTTP server before
// cancelling ctx, so that work deferred by a last request is awaited too.
func (a *Adapter) Run(ctx context.Context) error {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	wg.Go(func() { a.co.Run(runCtx) })
	var err error
	if a.cfg.AppToken != "" {
		err = a.runSocket(runCtx)
	} else {
		<-runCtx.Done()
	}
	stop()
	wg.Wait()
	a.tasks.Stop()
	a.pool.Stop()
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return fmt.Errorf("slack socket mode: %w", err)
	}
	return nil
}

// Announce posts a scheduler announcement in the poll's channel and
// re-renders the poll's messages (bot.Announcer for "slack:" tenants).
func (a *Adapter) Announce(ctx context.Context, p *polls.Poll, r bot.Response) {
	if !strings.HasPrefix(p.Tenant, Platform+":") {
		return
	}
	a.deliver(ctx, target{channel: p.Channel}, r)
}

// maxDeferred bounds the deliveries running after acknowledgements at
// once, and deferWait how long a request waits for one of them to finish
// when all are busy (see kit.Pool). A confirmation is mostly a wait for
// Slack's answer, so enough of them run at once to keep up with the
// acknowledgements (16 did not: the backlog grew without bound); when even
// these are busy, the requests wait, so acknowledgements slow down to the
// pace of delivery rather than race ahead of it. deferWait leaves the
// acknowledgement well inside Slack's 3 s.
const (
	maxDeferred = 256
	deferWait   = time.Second
)

// background runs slow work after the acknowledgement, in the adapter's
// pool, bounded by the task timeout and awaited by Run.
func (a *Adapter) background(ctx context.Context, f func(ctx context.Context)) {
	a.pool.Go(ctx, f)
}

// request builds the engine's request, with the user's Slack user groups as
// roles.
func (a *Adapter) request(ctx context.Context, team, user, channel string) bot.Request {
	return bot.Request{
		Platform: Platform,
		Tenant:   Platform + ":" + team,
		User:     user,
		Channel:  channel,
		// Slack's direct-message conversations have ids starting with D.
		DirectMessage: strings.HasPrefix(channel, "D"),
		Roles:         a.groups.roles(ctx, a.api, a.now(), team, user, a.log),
	}
}

// render is the coalescer's render function: chat.update of every Slack
// message that shows the poll.
func (a *Adapter) render(ctx context.Context, k polls.Key) error {
	if !strings.HasPrefix(k.Tenant, Platform+":") {
		return nil
	}
	v, err := a.eng.PollView(ctx, k)
	if err != nil {
		return err
	}
	m := a.layout(bot.Reply{Poll: v})
	for _, ref := range v.Messages {
		if ref.Platform != Platform {
			continue
		}
		_, _, _, err := a.api.UpdateMessageContext(ctx, ref.Channel, ref.Message,
			slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
		if err != nil {
			return slackErr(err)
		}
	}
	return nil
}

// slackErr turns Slack's rate limit into the coalescer's RetryLater.
func slackErr(err error) error {
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &kit.RetryLater{After: rl.RetryAfter, Err: err}
	}
	return err
}
