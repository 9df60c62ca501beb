package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
	"github.com/slack-go/slack"
)

// Remind posts a poll's reminder in the thread of the poll's message
// (bot.Reminder for "slack:" tenants). An error means it was not posted,
// and the scheduler tries again later.
func (a *Adapter) Remind(ctx context.Context, p *polls.Poll, r bot.Response) error {
	if !strings.HasPrefix(p.Tenant, Platform+":") {
		return fmt.Errorf("slack: poll %s/%s is not a Slack poll", p.Tenant, p.ID)
	}
	for _, rep := range r.Replies {
		if rep.Thread == nil {
			continue
		}
		if err := a.postThread(ctx, rep); err != nil {
			return err
		}
	}
	return nil
}

// postThread posts a Thread reply with chat.postMessage, with thread_ts
// the poll message's ts, in the channel of that message (see
// bot.ThreadOf); in the poll's channel alone when it has no message.
func (a *Adapter) postThread(ctx context.Context, r bot.Reply) error {
	channel, ts := bot.ThreadOf(r.Thread, Platform)
	if channel == "" {
		return errors.New("slack: the poll has no channel to post in")
	}
	m := a.layout(r)
	opts := []slack.MsgOption{slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...)}
	if ts != "" {
		opts = append(opts, slack.MsgOptionTS(ts))
	}
	if _, _, err := a.api.PostMessageContext(ctx, channel, opts...); err != nil {
		return fmt.Errorf("slack: chat.postMessage in the thread of poll %s: %w", r.Thread.ID, err)
	}
	return nil
}
