package slack

import (
	"context"
	"errors"

	"github.com/pollbot/pollbot/bot/kit"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// maxSocketHandlers bounds the envelopes handled at once, so a burst of
// clicks cannot start unbounded goroutines; each is acknowledged within
// Slack's 3 s either way, because handling is a store operation.
const maxSocketHandlers = 64

// runSocket serves Socket Mode until ctx is done. slack-go's client
// reconnects by itself when Slack asks; it returns early only when it
// cannot connect at all.
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
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil || errors.Is(err, context.Canceled) {
				return nil
			}
			return err
		case evt, ok := <-smc.Events:
			if !ok {
				return <-errc
			}
			if evt.Type == socketmode.EventTypeConnected {
				a.log.Info("slack: socket mode connected")
			}
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
