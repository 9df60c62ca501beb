// This file holds /poll screen: the link to a poll's live screen.

package bot

import (
	"context"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/polls"
)

// Screen: /poll screen ID (facilitators and the poll's creator).
type Screen struct{ Poll string }

func (Screen) Name() string     { return "screen" }
func (c Screen) String() string { return "screen " + quoteIfNeeded(c.Poll) }

// ScreenLinks makes the signed, read-only links to polls' live screens
// (internal/link.Maker, with the deployment's public URL and link key).
type ScreenLinks interface {
	ScreenURL(p *polls.Poll) (string, error)
	// ExpiresAt is when a link made now stops working, as far as it can
	// be known (zero while the poll is open without a deadline).
	ExpiresAt(p *polls.Poll) time.Time
}

// WithScreenLinks lets /poll screen hand out links to the live screen.
// Without it, /poll screen says what the deployment must set.
func WithScreenLinks(l ScreenLinks) EngineOption { return func(e *Engine) { e.links = l } }

// screenDays is how many days a link works after its poll closes.
var screenDays = int(link.DefaultTTL / (24 * time.Hour))

func (e *Engine) screen(ctx context.Context, req Request, c Screen) Response {
	p, denied := e.managed(ctx, req, c.Poll, "screen", msg.VerbScreen)
	if denied != nil {
		return *denied
	}
	if e.links == nil {
		// The person who asked manages the poll, and may pass it on to
		// whoever runs pollbot.
		return ephemeral(e.p.Sprint(msg.ScreenUnset.With()))
	}
	u, err := e.links.ScreenURL(p)
	if err != nil {
		return e.failPoll(req, "screen", p.ID, err)
	}
	text := e.p.Sprint(msg.ScreenLink.With(p.ID, u))
	if !p.ResultsVisible() {
		text += " " + e.p.Sprint(msg.ScreenHidden.With(p.ID))
	}
	if exp := e.links.ExpiresAt(p); exp.IsZero() {
		text += " " + e.p.Sprint(msg.ScreenUntilOpen.With(screenDays))
	} else {
		text += " " + e.p.Sprint(msg.ScreenUntil.With(e.p.Sprint(msg.WhenYear(exp)), screenDays))
	}
	return ephemeral(text)
}
