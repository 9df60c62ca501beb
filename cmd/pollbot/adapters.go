package main

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/pollbot/pollbot/bot"
	discordadapter "github.com/pollbot/pollbot/bot/discord"
	"github.com/pollbot/pollbot/bot/kit"
	slackadapter "github.com/pollbot/pollbot/bot/slack"
	"github.com/pollbot/pollbot/polls"
)

// chatAdapter is what serve needs of a chat adapter.
type chatAdapter interface {
	Mount(mux *http.ServeMux)
	Run(ctx context.Context) error
	// Coalescer is the adapter's poll-message update queue, for metrics.
	Coalescer() *kit.Coalescer
	// Deferred is the adapter's pool of work done after acknowledgements,
	// for metrics.
	Deferred() *kit.Pool
	bot.Announcer
	bot.Reminder
}

// namedAdapter is an adapter with the platform its tenants start with.
type namedAdapter struct {
	platform string
	chatAdapter
}

// openAdapters builds the adapters the environment configures (Slack when
// SLACK_BOT_TOKEN is set, Discord when DISCORD_BOT_TOKEN is). A setting that
// is missing or bad is an error naming it.
func openAdapters(e env, eng *bot.Engine, log *slog.Logger) ([]namedAdapter, error) {
	var out []namedAdapter
	if cfg, on, err := slackadapter.ConfigFromEnv(e.getenv); err != nil {
		return nil, err
	} else if on {
		a, err := slackadapter.New(eng, cfg, slackadapter.WithLogger(log.With("platform", "slack")))
		if err != nil {
			return nil, err
		}
		out = append(out, namedAdapter{"slack", a})
	}
	if cfg, on, err := discordadapter.ConfigFromEnv(e.getenv); err != nil {
		return nil, err
	} else if on {
		a, err := discordadapter.New(eng, cfg, discordadapter.WithLogger(log.With("platform", "discord")))
		if err != nil {
			return nil, err
		}
		out = append(out, namedAdapter{"discord", a})
	}
	return out, nil
}

// router announces a poll the scheduler closed, and posts a poll's
// reminder, through the adapter of the poll's platform (its tenant's
// prefix, "slack:T123").
type router struct {
	adapters []namedAdapter
	log      *slog.Logger
}

func (r router) Announce(ctx context.Context, p *polls.Poll, resp bot.Response) {
	platform, _, _ := strings.Cut(p.Tenant, ":")
	for _, a := range r.adapters {
		if a.platform == platform {
			a.Announce(ctx, p, resp)
			return
		}
	}
	r.log.Info("poll closed at its deadline; no adapter for its platform is running", "tenant", p.Tenant, "poll", p.ID)
}

// Remind posts a reminder through the adapter of the poll's platform. A
// poll of a platform no adapter runs for is reminded of nothing (its
// reminder is dropped, as its announcement is): it would fail the same
// way on every try.
func (r router) Remind(ctx context.Context, p *polls.Poll, resp bot.Response) error {
	platform, _, _ := strings.Cut(p.Tenant, ":")
	for _, a := range r.adapters {
		if a.platform == platform {
			return a.Remind(ctx, p, resp)
		}
	}
	r.log.Info("reminder due; no adapter for its platform is running", "tenant", p.Tenant, "poll", p.ID)
	return nil
}
