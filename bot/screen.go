// This file holds /poll screen: the link to a poll's live screen.

package bot

import (
	"context"
	"fmt"
	"time"

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

// screenUnset is the answer where no public URL or link key is set: the
// person who asked is a facilitator, who may pass it on to whoever runs
// pollbot.
const screenUnset = "The live screen is not set up for this pollbot. Whoever runs it sets POLLBOT_PUBLIC_URL " +
	"(the address people reach pollbot serve at, such as https://pollbot.example.org) and POLLBOT_LINK_KEY " +
	"(a secret of at least 32 bytes, such as the output of openssl rand -base64 48), then restarts it."

func (e *Engine) screen(ctx context.Context, req Request, c Screen) Response {
	p, denied := e.managed(ctx, req, c.Poll, "show the live screen of")
	if denied != nil {
		return *denied
	}
	if e.links == nil {
		return ephemeral(screenUnset)
	}
	u, err := e.links.ScreenURL(p)
	if err != nil {
		return e.failPoll(req, "screen", p.ID, err)
	}
	text := fmt.Sprintf("Live screen of poll %s, to project in the room: %s\nIt updates itself as votes arrive. Anyone with the link can watch it (it shows what the poll's report shows, never who voted), so share it with the room, not beyond.", p.ID, u)
	if !p.ResultsVisible() {
		text += " Poll " + p.ID + " hides its results: the screen shows participation until the poll closes, then the results."
	}
	switch exp := e.links.ExpiresAt(p); {
	case exp.IsZero():
		text += " The link works until 7 days after the poll closes."
	default:
		text += " The link works until " + exp.UTC().Format("Mon 2 Jan 2006 15:04") + " UTC, 7 days after the poll closes (later if it is extended or reopened)."
	}
	return ephemeral(text)
}
