package discord

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	catalog "github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// Remind posts a poll's reminder as a reply to the poll's message
// (bot.Reminder for "discord:" tenants). An error means it was not posted,
// and the scheduler tries again later.
func (a *Adapter) Remind(ctx context.Context, p *polls.Poll, r bot.Response) error {
	if !strings.HasPrefix(p.Tenant, tenantPrefix) {
		return fmt.Errorf("discord: poll %s/%s is not a Discord poll", p.Tenant, p.ID)
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

// postThread posts a Thread reply with the bot token, as a reply to the
// poll's message (a message_reference to it, which does not fail should
// the message be gone), in the channel of that message (see
// bot.ThreadOf); in the poll's channel alone when it has no message.
func (a *Adapter) postThread(ctx context.Context, r bot.Reply) error {
	channel, id := bot.ThreadOf(r.Thread, Platform)
	if channel == "" {
		return errors.New("discord: the poll has no channel to post in")
	}
	m := a.layout(r)
	send := &discordgo.MessageSend{Content: m.content, Embeds: m.embeds, AllowedMentions: noMentions()}
	if id != "" {
		keep := false
		send.Reference = &discordgo.MessageReference{
			MessageID: id, ChannelID: channel, GuildID: strings.TrimPrefix(r.Thread.Tenant, tenantPrefix),
			FailIfNotExists: &keep,
		}
	}
	if _, err := a.session.ChannelMessageSendComplex(channel, send, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("discord: reply to the message of poll %s: %w", r.Thread.ID, err)
	}
	return nil
}

// postThreads posts the Thread replies of a command's answer with the bot
// token and returns the replies left for the interaction's answer. Should
// one fail, the answer is only that it failed (what followed, such as a
// confirmation, would not be true).
func (a *Adapter) postThreads(ctx context.Context, replies []bot.Reply) []bot.Reply {
	var rest []bot.Reply
	for _, r := range replies {
		if r.Visibility != bot.Public || r.Thread == nil {
			rest = append(rest, r)
			continue
		}
		if err := a.postThread(ctx, r); err != nil {
			a.log.Warn("posting under the poll failed", "tenant", r.Thread.Tenant, "poll", r.Thread.ID, "err", err)
			return []bot.Reply{{Visibility: bot.Ephemeral, Text: a.engine.Printer().Sprint(catalog.DiscordThreadFailed.With())}}
		}
	}
	return rest
}
