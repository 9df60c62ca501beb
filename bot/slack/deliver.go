package slack

import (
	"bytes"
	"context"
	"errors"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/slack-go/slack"
)

// target is where the replies to one request go.
type target struct {
	channel     string
	user        string
	responseURL string // slash commands and message clicks: ephemeral replies
	// replace makes the first ephemeral reply replace the message that was
	// clicked (an ephemeral group picker is replaced by its outcome).
	replace bool
}

// deliver posts an engine response: public replies in the channel (a newly
// opened poll is recorded with SetMessage; a Thread reply goes in the
// thread of the poll's message), ephemeral replies to the user,
// files to the channel (public) or the user's DM (ephemeral), and touches
// the coalescer for polls to re-render.
func (a *Adapter) deliver(ctx context.Context, t target, resp bot.Response) {
	a.co.Touch(resp.Updated...)
	for _, r := range resp.Replies {
		if r.Visibility == bot.Public && r.Thread != nil {
			if err := a.postThread(ctx, r); err != nil {
				// What followed (a confirmation) would not be true.
				a.log.Warn("slack: posting under the poll failed", "poll", r.Thread.ID, "err", err)
				if t.user != "" {
					a.ephemeral(ctx, t, a.note(postFailed(err)))
				}
				return
			}
			continue
		}
		m := a.layout(r)
		if r.Visibility == bot.Public {
			a.public(ctx, t, r, m, resp)
			continue
		}
		if r.Text != "" || r.Poll != nil || r.Report != nil || r.List != nil || r.Picker != nil {
			a.ephemeral(ctx, t, m)
			t.replace = false
		}
		if len(r.Files) > 0 {
			a.filesToDM(ctx, t, r)
		}
	}
}

func (a *Adapter) public(ctx context.Context, t target, r bot.Reply, m message, resp bot.Response) {
	channel, ts, err := a.api.PostMessageContext(ctx, t.channel, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
	if err != nil {
		a.log.Warn("slack: chat.postMessage failed", "channel", t.channel, "err", err)
		if t.user != "" {
			a.ephemeral(ctx, t, a.note(postFailed(err)))
		}
		return
	}
	if resp.Opened != nil && r.Poll != nil && r.Poll.Key == resp.Opened.Key() {
		retried, err := a.eng.SetMessage(ctx, r.Poll.Key, pollsMessageRef(channel, ts))
		if retried && err == nil {
			a.co.Touch(r.Poll.Key) // votes may have landed while it was unrecorded
		}
		if err != nil {
			a.log.Error("slack: recording the poll message failed; it will not be re-rendered", "poll", r.Poll.Key.String(), "err", err)
		}
	}
	for _, f := range r.Files {
		if err := a.upload(ctx, channel, f, ""); err != nil {
			a.log.Warn("slack: file upload failed", "channel", channel, "file", f.Name, "err", err)
			// The message is in the channel without its file: the person
			// who asked learns why, privately.
			if t.user != "" {
				private := t
				private.replace = false
				a.ephemeral(ctx, private, a.note(msg.SlackPostedBut.With(uploadFailed(f.Name, err))))
			}
		}
	}
}

// uploadFailed says why a file could not be uploaded, and what to do:
// "pollbot could not upload K7QX-chart.png: …".
func uploadFailed(name string, err error) msg.Message {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "missing_scope", "not_allowed_token_type":
			return msg.SlackUploadScope.With(name)
		case "not_in_channel", "channel_not_found":
			return msg.SlackUploadInvite.With(name)
		}
		return msg.SlackUploadAnswered.With(name, se.Err)
	}
	return msg.SlackUploadFailed.With(name)
}

// postFailed tells the sender why nothing appeared in the channel: the
// usual cause is that the bot is not a member of a private channel.
func postFailed(err error) msg.Message {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) && (se.Err == "not_in_channel" || se.Err == "channel_not_found") {
		return msg.SlackPostInvite.With()
	}
	return msg.SlackPostFailed.With()
}

// layout lays out a reply in the engine's language.
func (a *Adapter) layout(r bot.Reply) message { return renderReplyIn(a.eng.Printer(), r) }

// note is a private note of the adapter's own, in the engine's language.
func (a *Adapter) note(m msg.Message) message {
	return a.layout(bot.Reply{Text: a.eng.Printer().Sprint(m)})
}

// ephemeral sends a message only the user sees: through the response_url
// when Slack gave one (it works in channels the bot is not in), else with
// chat.postEphemeral, else in a DM.
func (a *Adapter) ephemeral(ctx context.Context, t target, m message) {
	var err error
	switch {
	case t.responseURL != "":
		err = postWebhook(ctx, a.client, t.responseURL, &slack.WebhookMessage{
			ResponseType: slack.ResponseTypeEphemeral, Text: m.Text,
			Blocks: &slack.Blocks{BlockSet: m.Blocks}, ReplaceOriginal: t.replace,
		})
	case t.channel != "" && t.user != "":
		_, err = a.api.PostEphemeralContext(ctx, t.channel, t.user, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
	case t.user != "":
		_, _, err = a.api.PostMessageContext(ctx, t.user, slack.MsgOptionText(m.Text, false), slack.MsgOptionBlocks(m.Blocks...))
	default:
		return
	}
	if err != nil {
		a.log.Warn("slack: ephemeral reply failed", "channel", t.channel, "err", err) // no user id: it may be a vote in an anonymous poll
	}
}

// filesToDM uploads a private reply's files to the user's DM with the bot.
func (a *Adapter) filesToDM(ctx context.Context, t target, r bot.Reply) {
	if t.user == "" {
		return
	}
	ch, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{t.user}})
	if err != nil {
		a.log.Warn("slack: conversations.open failed", "err", err)
		a.ephemeral(ctx, t, a.note(msg.SlackNoDM.With()))
		return
	}
	for i, f := range r.Files {
		comment := ""
		if i == 0 {
			comment = escapeMrkdwn(r.Text)
		}
		if err := a.upload(ctx, ch.ID, f, comment); err != nil {
			a.log.Warn("slack: file upload failed", "file", f.Name, "err", err)
			a.ephemeral(ctx, t, a.note(uploadFailed(f.Name, err)))
			continue
		}
		a.ephemeral(ctx, t, a.note(msg.SlackSentDM.With(f.Name)))
	}
}

// upload shares a file in a channel with files.uploadV2 (getUploadURLExternal,
// the upload, completeUploadExternal).
func (a *Adapter) upload(ctx context.Context, channel string, f bot.File, comment string) error {
	if len(f.Data) == 0 {
		return nil
	}
	_, err := a.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Reader: bytes.NewReader(f.Data), FileSize: len(f.Data), Filename: f.Name,
		Title: bot.PlainText(f.Title), Channel: channel, InitialComment: comment,
	})
	return err
}
