package slack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pollbot/pollbot/bot/kit"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// maxSocketHandlers bounds the envelopes handled at once, so a burst of
// clicks cannot start unbounded goroutines; each is acknowledged within
// Slack's 3 s either way, because handling is a store operation.
const maxSocketHandlers = 64

// runSocket serves Socket Mode until ctx is done. slack-go's client
// reconnects by itself when Slack asks or the connection drops, and keeps
// trying (with backoff, up to 5 minutes apart) while Slack cannot be
// reached; it returns early only when Slack refuses the app token. The log
// says what the connection is doing (see connState).
func (a *Adapter) runSocket(ctx context.Context) error {
	// slack-go reads envelopes of any size unless told otherwise; one over
	// the HTTP-mode limit closes the connection (never acknowledged, never
	// acted on) and the client reconnects.
	smc := socketmode.New(a.api, socketmode.OptionReadLimit(maxBody))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- smc.RunContext(ctx) }()

	sem := make(chan struct{}, maxSocketHandlers)
	var state connState
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return appTokenErr(err)
		case evt, ok := <-smc.Events:
			if !ok {
				return appTokenErr(<-errc)
			}
			state.log(a.log, a.apiURL(), evt)
			if evt.Request == nil || evt.Request.EnvelopeID == "" {
				continue
			}
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				continue
			}
			a.tasks.Go(func() {
				defer func() { <-sem }()
				a.envelope(ctx, smc, evt)
			})
		}
	}
}

// envelope acknowledges one Socket Mode envelope with the same payload
// HTTP mode would answer with. A re-sent envelope (same envelope_id, same
// payload) is acknowledged again but not acted on: the engine records each
// request's delivery in the store (see delivery).
func (a *Adapter) envelope(ctx context.Context, smc *socketmode.Client, evt socketmode.Event) {
	req := *evt.Request
	// The handling is bounded so that the acknowledgement, which must not
	// share its deadline, goes out within Slack's 3 s.
	hctx, cancel := kit.AnswerContext(ctx)
	defer cancel()
	var payload any
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		if sc, ok := evt.Data.(slack.SlashCommand); ok {
			if m := a.command(hctx, sc); m != nil {
				payload = m
			}
		}
	case socketmode.EventTypeInteractive:
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			payload = a.interaction(hctx, cb)
		}
	}
	a.ack(ctx, smc, req, payload)
}

func (a *Adapter) ack(ctx context.Context, smc *socketmode.Client, req socketmode.Request, payload any) {
	if err := smc.AckCtx(ctx, req.EnvelopeID, payload); err != nil {
		a.log.Warn("slack: socket mode ack failed", "envelope", req.EnvelopeID, "err", err)
	}
}

// connState follows the Socket Mode client's events to log what the
// connection does: connecting, connected, why it dropped and that it is
// reconnecting, and every failed attempt with the error and when the next
// one is (so that an unreachable Slack is never silence).
type connState struct {
	dropped error // why the connection last dropped, when Slack said
}

func (c *connState) log(log *slog.Logger, api string, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		ev, _ := evt.Data.(*slack.ConnectingEvent)
		switch {
		case ev == nil || ev.Attempt > 1:
			// Retries follow a connection_error, which said when.
		case ev.ConnectionCount == 0:
			log.Info("slack: socket mode connecting", "api", api)
		default:
			reason := "the connection closed: Slack closes Socket Mode connections every few hours and when it restarts, and pollbot closes one that has gone 30 s without a ping"
			if c.dropped != nil {
				reason = c.dropped.Error()
			}
			log.Info("slack: socket mode reconnecting", "reason", reason)
			c.dropped = nil
		}
	case socketmode.EventTypeConnectionError:
		ev, _ := evt.Data.(*slack.ConnectionErrorEvent)
		if ev == nil {
			return
		}
		log.Warn("slack: socket mode cannot connect; retrying", "attempt", ev.Attempt, "retry_in", ev.Backoff.Round(time.Millisecond).String(), "api", api, "err", ev.ErrorObj)
	case socketmode.EventTypeConnected:
		if ev, _ := evt.Data.(*socketmode.ConnectedEvent); ev != nil && ev.ConnectionCount > 0 {
			log.Info("slack: socket mode connected", "reconnections", ev.ConnectionCount)
			return
		}
		log.Info("slack: socket mode connected")
	case socketmode.EventTypeIncomingError:
		if ev, _ := evt.Data.(*slack.IncomingEventError); ev != nil {
			c.dropped = ev.ErrorObj
			log.Warn("slack: socket mode connection lost", "err", ev.ErrorObj)
		}
	case socketmode.EventTypeInvalidAuth:
		log.Error("slack: Slack refused SLACK_APP_TOKEN")
	}
}

// appTokenErr words the error Socket Mode stops with: Slack refusing the
// app-level token is the usual one, and the operator's to fix.
func appTokenErr(err error) error {
	if err == nil {
		return nil
	}
	switch err.Error() {
	case "invalid_auth", "not_authed", "token_revoked", "account_inactive", "slack server error: 404 Not Found":
		return fmt.Errorf("SLACK_APP_TOKEN: Slack refused the app-level token (%w); make one with the connections:write scope under the app's Basic Information → App-Level Tokens", err)
	}
	return err
}
