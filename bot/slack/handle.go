package slack

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
	"github.com/slack-go/slack"
)

// commandText undoes Slack's escaping of the slash command text: Slack
// sends & < > as &amp; &lt; &gt;, while the mentions it formats itself
// (<@U123|name>) arrive as real angle brackets and stay intact. One pass,
// so "&amp;lt;" becomes "&lt;" as typed.
func commandText(s string) string { return commandUnescaper.Replace(s) }

var commandUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// command runs a slash command. It returns the ephemeral message to
// acknowledge with (nil for an empty acknowledgement); everything else is
// delivered after the acknowledgement.
func (a *Adapter) command(ctx context.Context, sc slack.SlashCommand) *commandAck {
	text := commandText(sc.Text)
	req := a.request(ctx, sc.TeamID, sc.UserID, sc.ChannelID)
	req.Delivery = delivery(ctx, commandKey(sc))
	t := target{channel: sc.ChannelID, user: sc.UserID, responseURL: sc.ResponseURL}
	cmd, err := bot.Parse(text)
	if err == nil && bot.IsSlow(cmd) {
		a.background(ctx, func(ctx context.Context) { a.deliver(ctx, t, a.eng.Handle(ctx, req, cmd)) })
		return nil
	}
	var resp bot.Response
	if err != nil {
		resp = a.eng.HandleText(ctx, req, text)
	} else {
		resp = a.eng.Handle(ctx, req, cmd)
	}
	if resp.Duplicate {
		return nil
	}
	// The first private reply without files rides on the acknowledgement:
	// the sender sees it at once and it costs no Web API call. Not one
	// that follows a reply under the poll: it is delivered only if that
	// reply could be posted (see bot.Reply.Thread).
	var ack *commandAck
	for i, r := range resp.Replies {
		if r.Thread != nil {
			break
		}
		if r.Visibility == bot.Ephemeral && len(r.Files) == 0 {
			m := a.layout(r)
			ack = &commandAck{ResponseType: slack.ResponseTypeEphemeral, Text: m.Text, Blocks: m.Blocks}
			resp.Replies = append(resp.Replies[:i:i], resp.Replies[i+1:]...)
			break
		}
	}
	if len(resp.Replies) > 0 || len(resp.Updated) > 0 {
		a.background(ctx, func(ctx context.Context) { a.deliver(ctx, t, resp) })
	}
	return ack
}

// commandAck is the message a slash command is acknowledged with: only
// the fields Slack reads there (slack.Msg would add empty metadata).
type commandAck struct {
	ResponseType string        `json:"response_type"`
	Text         string        `json:"text"`
	Blocks       []slack.Block `json:"blocks"`
}

func commandKey(sc slack.SlashCommand) string {
	if sc.TriggerID == "" {
		return ""
	}
	return "cmd:" + sc.TriggerID
}

// interaction runs a click or a modal submission and returns what to
// acknowledge with: nil, or a view submission response (errors shown in
// the modal).
func (a *Adapter) interaction(ctx context.Context, cb slack.InteractionCallback) any {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		// Slack sends one action per click; a payload with thousands is not
		// Slack's and must not cost thousands of store writes.
		acts := cb.ActionCallback.BlockActions
		acts = acts[:min(len(acts), maxActionElements)]
		for i, act := range acts {
			// A repeated click, whichever replica it reaches, is applied
			// once: the store records the delivery in the vote's own
			// atomic step.
			key := actionKey(cb, act)
			d := delivery(ctx, key)
			if key == "" && i > 0 && d != "" {
				d += fmt.Sprintf("#%d", i) // one signed request, several actions
			}
			a.blockAction(ctx, cb, act, d)
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		if !strings.HasPrefix(cb.View.CallbackID, rankCallbackPrefix) {
			return nil
		}
		return a.rankSubmission(ctx, cb, delivery(ctx, viewKey(cb)))
	}
	return nil
}

func actionKey(cb slack.InteractionCallback, act *slack.BlockAction) string {
	ts := act.ActionTs
	if ts == "" {
		ts = cb.ActionTs
	}
	if ts == "" {
		return ""
	}
	return "act:" + cb.Team.ID + ":" + cb.User.ID + ":" + ts + ":" + act.ActionID + ":" + act.SelectedOption.Value
}

// viewKey identifies one submission of a modal. A ranking replaces the
// voter's ballot; a replay must still not revert a newer one.
func viewKey(cb slack.InteractionCallback) string {
	if cb.TriggerID == "" {
		return ""
	}
	return "view:" + cb.TriggerID
}

func (a *Adapter) blockAction(ctx context.Context, cb slack.InteractionCallback, act *slack.BlockAction, delivery string) {
	id := act.ActionID
	if act.Type == slack.ActionType(slack.OptTypeStatic) || strings.HasPrefix(id, "pollbot:select:") {
		id = act.SelectedOption.Value
	}
	action, err := bot.ParseAction(id)
	if err != nil {
		a.log.Info("slack: ignoring a control pollbot did not make", "action_id", bot.Clip(act.ActionID, 60))
		return
	}
	channel := cb.Channel.ID
	if channel == "" {
		channel = cb.Container.ChannelID
	}
	req := a.request(ctx, cb.Team.ID, cb.User.ID, channel)
	req.Delivery = delivery
	t := target{channel: channel, user: cb.User.ID, responseURL: cb.ResponseURL, replace: cb.Container.IsEphemeral}
	if action.Kind == bot.ActRank {
		// The trigger id is valid for 3 s; open the modal right away.
		// (The closure takes the id, not cb: a callback is kilobytes.)
		trigger := cb.TriggerID
		a.background(ctx, func(ctx context.Context) { a.openRankModal(ctx, req, t, trigger, action.Poll) })
		return
	}
	resp := a.eng.Act(ctx, req, action)
	if resp.Duplicate {
		return
	}
	if resp.SoleConfirmation() && a.client.Timeout > 0 {
		// One post to the response_url, which the client bounds anyway:
		// as the task's deadline the bound costs net/http no context
		// and timer of its own (3% of a vote's CPU).
		a.pool.GoWithin(ctx, a.client.Timeout, func(ctx context.Context) { a.deliver(ctx, t, resp) })
		return
	}
	a.background(ctx, func(ctx context.Context) { a.deliver(ctx, t, resp) })
}

func (a *Adapter) openRankModal(ctx context.Context, req bot.Request, t target, trigger, poll string) {
	v, err := a.eng.PollView(ctx, polls.Key{Tenant: req.Tenant, ID: poll})
	if err == nil && v.Status == polls.StatusOpen {
		if _, err = a.api.OpenViewContext(ctx, trigger, rankModalIn(a.eng.Printer(), v, t.channel)); err == nil {
			return
		}
		a.log.Warn("slack: views.open failed", "poll", poll, "err", err)
	}
	// The engine words the fallback: the text way to rank, or why the poll
	// cannot be ranked (unknown, closed).
	a.deliver(ctx, t, a.eng.Act(ctx, req, bot.Action{Kind: bot.ActRank, Poll: poll}))
}

// rankSubmission turns the ranking modal into a vote: the selected themes
// in the order of the rank positions.
func (a *Adapter) rankSubmission(ctx context.Context, cb slack.InteractionCallback, delivery string) any {
	poll := strings.TrimPrefix(cb.View.CallbackID, rankCallbackPrefix)
	type pick struct{ pos, theme int }
	var picks []pick
	if cb.View.State != nil {
		for block, acts := range cb.View.State.Values {
			pos, err := strconv.Atoi(strings.TrimPrefix(block, rankBlockPrefix))
			if err != nil || !strings.HasPrefix(block, rankBlockPrefix) {
				continue
			}
			n, err := strconv.Atoi(acts[rankActionID].SelectedOption.Value)
			if err != nil {
				continue
			}
			picks = append(picks, pick{pos, n})
		}
	}
	sort.Slice(picks, func(i, j int) bool { return picks[i].pos < picks[j].pos })
	vote := bot.Vote{Poll: poll}
	for _, p := range picks {
		vote.Themes = append(vote.Themes, strconv.Itoa(p.theme))
	}
	channel := cb.View.PrivateMetadata
	req := a.request(ctx, cb.Team.ID, cb.User.ID, channel)
	req.Delivery = delivery
	resp := a.eng.Handle(ctx, req, vote)
	if resp.Duplicate {
		return nil
	}
	if resp.Err != nil && len(resp.Replies) > 0 && len(picks) > 0 {
		// Keep the modal open with the engine's explanation beside the
		// first position, so the voter can fix their ranking.
		msg := strings.ReplaceAll(bot.PlainText(resp.Replies[0].Text), "\n", " ") // Slack shows it as plain text
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fmt.Sprintf("%s1", rankBlockPrefix): bot.Clip(msg, 1000)})
	}
	a.background(ctx, func(ctx context.Context) {
		a.deliver(ctx, target{channel: channel, user: cb.User.ID}, resp)
	})
	return nil
}

type signatureKey struct{}

// withSignature carries an HTTP-mode request's signature to delivery.
func withSignature(ctx context.Context, sig string) context.Context {
	if sig == "" {
		return ctx
	}
	return context.WithValue(ctx, signatureKey{}, sig)
}

// delivery names a request for the engine's at-most-once check (see
// bot.Request.Delivery): its own key from the payload (a slash command's
// or a modal's trigger id, a click's action timestamp and id), which a
// Slack retry or a replay of the captured request repeats, or else the
// request's signature, which a replay repeats too. Either is covered by
// the signature, so nothing unsigned can choose it. Socket Mode requests,
// which carry no signature, always have payload keys.
func delivery(ctx context.Context, key string) string {
	if key != "" {
		return Platform + ":" + key
	}
	if sig, _ := ctx.Value(signatureKey{}).(string); sig != "" {
		return Platform + ":sig:" + sig
	}
	return ""
}
