package discord

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/kit"
	catalog "github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// answer is how the adapter responds to one interaction: the initial
// response (due within 3 s), then follow-up work that needs the initial
// response to exist (ephemeral confirmations, deferred reports).
type answer struct {
	resp *discordgo.InteractionResponse
	// update, when set instead of resp, is a vote's answer, written
	// straight from the poll's view (see pollUpdate).
	update *pollUpdate
	after  func(ctx context.Context)
	// within, when set, bounds after instead of the pool's timeout.
	within time.Duration
}

// maxSkew is how far an interaction's signed timestamp may be from our
// clock: older requests are replays.
const maxSkew = 5 * time.Minute

// maxBody bounds an interaction request body.
const maxBody = kit.MaxBody

// serveHTTP is POST /discord/interactions: bound the body, verify, answer
// PING, handle. A body over maxBody gets 413 (no more than maxBody+1 bytes
// of it are read); anything unverified gets 401. Neither is acted on.
func (a *Adapter) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, ok := kit.ReadBody(w, r, maxBody)
	if !ok {
		return
	}
	if !a.verifyBody(r.Header, body) {
		http.Error(w, "invalid request signature", http.StatusUnauthorized)
		return
	}
	a.serveVerified(w, r, body)
}

// serveVerified decodes and answers an interaction whose signature was
// checked: 400 for what does not decode, PONG for a PING, else the
// handler's answer, then its follow-ups.
func (a *Adapter) serveVerified(w http.ResponseWriter, r *http.Request, body []byte) {
	if kit.JSONTooDeep(body, kit.MaxJSONDepth) {
		// discordgo decodes nested components level by level: refuse the
		// depth before it costs seconds and gigabytes.
		http.Error(w, fmt.Sprintf("malformed interaction: JSON nested more than %d levels deep", kit.MaxJSONDepth), http.StatusBadRequest)
		return
	}
	in, err := decodeInteraction(body)
	if err != nil {
		http.Error(w, "malformed interaction", http.StatusBadRequest)
		return
	}
	if in.Type == discordgo.InteractionPing {
		writeResponse(w, &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong})
		return
	}
	ctx, cancel := kit.AnswerContext(r.Context())
	ans := a.handle(ctx, &in)
	cancel()
	if ans.update != nil {
		writeUpdate(w, ans.update)
	} else {
		writeResponse(w, ans.resp)
	}
	if ans.after != nil {
		// Follow-ups need the interaction acknowledged: send the answer
		// now rather than when the handler returns. Through the
		// ResponseController, which finds the connection's writer
		// under middleware that wraps it (metrics' status recorder
		// hid it, and a follow-up could reach Discord first).
		_ = http.NewResponseController(w).Flush()
		a.goAfter(r.Context(), ans.after, ans.within)
	}
}

// verifyBody checks that the timestamp is fresh and the Ed25519 signature
// covers timestamp+body.
func (a *Adapter) verifyBody(h http.Header, body []byte) bool {
	ts := h.Get("X-Signature-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if d := a.now().Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return false
	}
	sig, err := hex.DecodeString(h.Get("X-Signature-Ed25519"))
	if err != nil || len(sig) != ed25519.SignatureSize {
		return false
	}
	// The signed message is timestamp+body, a copy of the body: in a
	// pooled buffer (Verify keeps no reference), not a new one per click.
	buf := responseBufs.Get()
	msg := append(append((*buf)[:0], ts...), body...)
	ok := ed25519.Verify(a.pub, msg, sig)
	responseBufs.Put(buf, msg)
	return ok
}

// responseBufs holds the buffers answers are encoded into (and the
// signed message is verified in): every click's
// answer is the poll's whole message, a few KiB.
var responseBufs kit.Buffers

// writeResponse writes r, encoded by appendResponse where it can (see
// wire.go), else by encoding/json.
func writeResponse(w http.ResponseWriter, r *discordgo.InteractionResponse) {
	buf := responseBufs.Get()
	data, ok := appendResponse((*buf)[:0], r)
	if ok {
		writeBody(w, data)
		responseBufs.Put(buf, data)
		return
	}
	responseBufs.Put(buf, *buf)
	data, err := json.Marshal(r)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeBody(w, data)
}

// writeBody writes data, an answer's JSON, as the response. Write has
// copied data (or sent it) by the time it returns: a pooled buffer is
// free again after.
func writeBody(w http.ResponseWriter, data []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}

// writeUpdate writes a vote's answer, straight from the view where
// pollUpdate.appendTo can, else as writeResponse.
func writeUpdate(w http.ResponseWriter, u *pollUpdate) {
	buf, scratch := responseBufs.Get(), responseBufs.Get()
	data, desc, ok := u.appendTo((*buf)[:0], (*scratch)[:0])
	responseBufs.Put(scratch, desc)
	if !ok {
		responseBufs.Put(buf, *buf)
		writeResponse(w, u.response())
		return
	}
	writeBody(w, data)
	responseBufs.Put(buf, data)
}

// response is the answer's initial response as discordgo's value.
func (ans *answer) response() *discordgo.InteractionResponse {
	if ans.update != nil {
		return ans.update.response()
	}
	return ans.resp
}

// onGateway handles an INTERACTION_CREATE from the gateway: respond over
// REST, then run the follow-ups.
func (a *Adapter) onGateway(ctx context.Context, in *discordgo.Interaction) {
	hctx, cancel := kit.AnswerContext(ctx)
	ans := a.handle(hctx, in)
	cancel()
	resp := ans.response()
	if resp == nil {
		return
	}
	if err := a.session.InteractionRespond(in, resp, discordgo.WithContext(ctx)); err != nil {
		a.log.Warn("discord interaction response failed", "interaction", in.ID, "err", a.apiErr(err))
		return
	}
	a.goAfter(ctx, ans.after, ans.within)
}

// handle turns one interaction into an answer.
func (a *Adapter) handle(ctx context.Context, in *discordgo.Interaction) answer {
	if in.Type == discordgo.InteractionPing {
		return answer{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponsePong}}
	}
	req, ok := a.request(ctx, in)
	if !ok {
		if in.Type == discordgo.InteractionApplicationCommandAutocomplete {
			return answer{resp: autocomplete(nil)}
		}
		return a.ephemeralAnswer(catalog.DiscordNoDM.With())
	}
	// The engine acts on one interaction once, whichever replica a
	// redelivery or a replay of it reaches: it records the interaction's
	// id in the store (a vote in the vote's own atomic step).
	req.Delivery = Platform + ":" + in.ID
	switch in.Type {
	case discordgo.InteractionApplicationCommand:
		return a.onCommand(ctx, req, in)
	case discordgo.InteractionApplicationCommandAutocomplete:
		return a.onAutocomplete(ctx, req, in)
	case discordgo.InteractionMessageComponent:
		return a.onComponent(ctx, req, in)
	case discordgo.InteractionModalSubmit:
		return a.onModal(ctx, req, in)
	}
	return a.ephemeralAnswer(catalog.DiscordUnknownKind.With())
}

// request says who is asking. DMs (no guild) have no tenant.
func (a *Adapter) request(ctx context.Context, in *discordgo.Interaction) (bot.Request, bool) {
	if in.GuildID == "" || in.Member == nil || in.Member.User == nil {
		return bot.Request{}, false
	}
	roles, err := a.roles.roles(ctx, in.GuildID, in.Member.Roles)
	if err != nil {
		a.log.Warn("discord guild roles unavailable; mapping by role id only", "guild", in.GuildID, "err", a.apiErr(err))
	}
	return bot.Request{
		Platform: Platform,
		Tenant:   tenantPrefix + in.GuildID,
		User:     in.Member.User.ID,
		Channel:  in.ChannelID,
		Roles:    roles,
	}, true
}

// ephemeralAnswer answers with a note of the adapter's own, privately.
func (a *Adapter) ephemeralAnswer(note catalog.Message) answer {
	m := a.layout(bot.Reply{Visibility: bot.Ephemeral, Text: a.engine.Printer().Sprint(note)})
	return answer{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m.responseData()}}
}

// onCommand runs a /poll subcommand.
func (a *Adapter) onCommand(ctx context.Context, req bot.Request, in *discordgo.Interaction) answer {
	name, opts := subcommand(in.ApplicationCommandData())
	cmd, err := command(name, opts)
	if err != nil {
		return a.replyAnswer(in, a.engine.Refuse(req, err).Replies)
	}
	if bot.IsSlow(cmd) {
		// Charts and exports may take longer than the 3 s Discord allows:
		// acknowledge now (exports privately), deliver as a follow-up.
		var flags discordgo.MessageFlags
		switch c := cmd.(type) {
		case bot.Export:
			flags = discordgo.MessageFlagsEphemeral
		case bot.Report:
			// A deferred answer's visibility is fixed when it is sent, and
			// the first follow-up takes it: a report that will be refused
			// or shown only to a facilitator is deferred privately.
			if p, err := a.engine.ScopedPoll(ctx, req, c.Poll); err != nil || !p.ResultsVisible() {
				flags = discordgo.MessageFlagsEphemeral
			}
		}
		return answer{
			resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: &discordgo.InteractionResponseData{Flags: flags}},
			after: func(ctx context.Context) {
				resp := a.engine.Handle(ctx, req, cmd)
				if resp.Duplicate {
					a.sendFollowUp(ctx, in, a.layout(bot.Reply{Visibility: bot.Ephemeral, Text: a.engine.Printer().Sprint(catalog.DiscordDuplicate.With())}))
					return
				}
				a.followUp(ctx, in, a.postThreads(ctx, resp.Replies))
				a.touch(resp.Updated)
			},
		}
	}
	resp := a.engine.Handle(ctx, req, cmd)
	if resp.Duplicate {
		return a.ephemeralAnswer(catalog.DiscordDuplicate.With())
	}
	a.touch(resp.Updated)
	replies := a.postThreads(ctx, resp.Replies)
	if resp.Opened == nil {
		return a.replyAnswer(in, replies)
	}
	if rest, posted := a.postOpened(ctx, resp.Opened, replies); posted {
		return a.replyAnswer(in, rest)
	}
	// The poll is the interaction's own answer: record that message once
	// it exists, so later edits find it.
	ans := a.replyAnswer(in, replies)
	more, p := ans.after, resp.Opened
	ans.after = func(ctx context.Context) {
		if m, err := a.session.InteractionResponse(in, discordgo.WithContext(ctx)); err != nil {
			a.log.Warn("fetching the poll message failed", "tenant", p.Tenant, "poll", p.ID, "err", a.apiErr(err))
		} else {
			a.recordMessage(ctx, p, polls.MessageRef{Platform: Platform, Channel: m.ChannelID, Message: m.ID})
		}
		if more != nil {
			more(ctx)
		}
	}
	return ans
}

// postOpened posts a new poll's public message in the channel with the bot
// token and records it, so later edits can find it. The interaction itself
// is answered with the private confirmation. If the bot may not post in
// the channel, the poll is posted as the interaction's answer instead.
func (a *Adapter) postOpened(ctx context.Context, p *polls.Poll, replies []bot.Reply) ([]bot.Reply, bool) {
	var rest []bot.Reply
	var public *bot.Reply
	for i := range replies {
		if public == nil && replies[i].Visibility == bot.Public && replies[i].Poll != nil {
			public = &replies[i]
			continue
		}
		rest = append(rest, replies[i])
	}
	if public == nil || p.Channel == "" {
		return replies, false
	}
	m := a.layout(*public)
	sent, err := a.session.ChannelMessageSendComplex(p.Channel, &discordgo.MessageSend{
		Content: m.content, Embeds: m.embeds, Components: m.components, AllowedMentions: noMentions(),
	}, discordgo.WithContext(ctx))
	if err != nil {
		a.log.Warn("posting the poll message failed; answering with it instead", "tenant", p.Tenant, "poll", p.ID, "err", a.apiErr(err))
		return replies, false
	}
	// Recorded after the answer: SetMessage retries while the store is
	// unreachable, which must not hold up the acknowledgement.
	a.goAfter(ctx, func(ctx context.Context) {
		a.recordMessage(ctx, p, polls.MessageRef{Platform: Platform, Channel: sent.ChannelID, Message: sent.ID})
	}, 0)
	return rest, true
}

// recordMessage records a poll's message (retrying while the store is
// unreachable) and re-renders it if that took long enough for votes to
// land meanwhile.
func (a *Adapter) recordMessage(ctx context.Context, p *polls.Poll, ref polls.MessageRef) {
	retried, err := a.engine.SetMessage(ctx, p.Key(), ref)
	if err != nil {
		a.log.Error("recording the poll message failed; it will not be re-rendered", "tenant", p.Tenant, "poll", p.ID, "err", err)
		return
	}
	if retried {
		a.touch([]polls.Key{p.Key()})
	}
}

// replyAnswer answers with the first reply and sends the others as
// follow-ups.
func (a *Adapter) replyAnswer(in *discordgo.Interaction, replies []bot.Reply) answer {
	if len(replies) == 0 {
		return answer{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}}
	}
	first := a.layout(replies[0])
	ans := answer{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: first.responseData()}}
	if len(first.files) > 0 || len(replies) > 1 {
		rest := replies[1:]
		files := first.files
		ans.after = func(ctx context.Context) {
			if len(files) > 0 {
				// Initial responses here carry no attachments; send them
				// with a follow-up of the same visibility.
				a.sendFollowUp(ctx, in, msg{files: files, ephemeral: first.ephemeral})
			}
			a.followUp(ctx, in, rest)
		}
	}
	return ans
}

// followUp sends replies as follow-up messages of an interaction.
func (a *Adapter) followUp(ctx context.Context, in *discordgo.Interaction, replies []bot.Reply) {
	for _, r := range replies {
		a.sendFollowUp(ctx, in, a.layout(r))
	}
}

func (a *Adapter) sendFollowUp(ctx context.Context, in *discordgo.Interaction, m msg) {
	if err := a.createFollowUp(ctx, in, m.webhook()); err != nil {
		a.followUpFailed(ctx, in, &m, err)
	}
}

// followUpFailed logs a failed follow-up and, when files were what it
// failed on, sends it again without them. It is a function of its own
// so that the follow-up that succeeds (nearly every one) runs in a small
// stack frame: every vote's follow-up runs on a new goroutine, whose
// stack would otherwise grow, and be copied, on each.
//
//go:noinline
func (a *Adapter) followUpFailed(ctx context.Context, in *discordgo.Interaction, m *msg, err error) {
	a.log.Warn("discord follow-up failed", "interaction", in.ID, "files", len(m.files), "err", err)
	if len(m.files) == 0 {
		return
	}
	// Files are what a follow-up most often fails on (a chart too large,
	// an upload cut off): the message goes again without them, and the
	// person who asked is told, privately, why they are missing.
	names := make([]string, len(m.files))
	for i, f := range m.files {
		names[i] = f.Name
	}
	if m.content != "" || len(m.embeds) > 0 {
		bare := *m
		bare.files = nil
		if err := a.createFollowUp(ctx, in, bare.webhook()); err != nil {
			a.log.Warn("discord follow-up failed without its files too", "interaction", in.ID, "err", err)
			return
		}
	}
	pr := a.engine.Printer()
	note := msg{ephemeral: true, content: md(pr.Sprint(catalog.DiscordAttachFailed.With(pr.Join(names), attachFailure(err))))}
	if err := a.createFollowUp(ctx, in, note.webhook()); err != nil {
		a.log.Warn("discord follow-up failed", "interaction", in.ID, "err", err)
	}
}

// attachFailure says in a few words why Discord did not take a message's
// files.
func attachFailure(err error) catalog.Message {
	if code, status, ok := statusOf(err); ok {
		switch code {
		case http.StatusRequestEntityTooLarge:
			return catalog.DiscordAttachTooLarge.With()
		case http.StatusForbidden:
			return catalog.DiscordAttachForbidden.With()
		}
		return catalog.DiscordAttachAnswered.With(status)
	}
	return catalog.DiscordAttachUnreachable.With()
}

// onAutocomplete offers the guild's open polls for a poll option, and the
// stakeholder groups for a group option (autocompleted when they do not
// fit as choices, see commands).
func (a *Adapter) onAutocomplete(ctx context.Context, req bot.Request, in *discordgo.Interaction) answer {
	_, opts := subcommand(in.ApplicationCommandData())
	typed, focused := "", ""
	for _, o := range opts {
		if o.Focused {
			typed, _ = o.Value.(string)
			focused = o.Name
		}
	}
	switch focused {
	case "group":
		return answer{resp: autocomplete(groupMatches(a.engine.Groups(), strings.ToLower(strings.TrimSpace(typed))))}
	case "name":
		return answer{resp: autocomplete(presetMatches(a.engine.Choices(bot.PresetChoices), strings.ToLower(strings.TrimSpace(typed))))}
	}
	// The channel's open polls only: a poll of another channel is not
	// offered to someone who may not see it.
	ps, err := a.engine.OpenPolls(ctx, req, typed, maxSelectOpts)
	if err != nil {
		a.log.Warn("autocomplete: listing polls failed", "tenant", req.Tenant, "err", err)
		return answer{resp: autocomplete(nil)}
	}
	var choices []*discordgo.ApplicationCommandOptionChoice
	for _, p := range ps {
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: bot.Clip(p.ID+" · "+p.Title, 100), Value: p.ID})
	}
	return answer{resp: autocomplete(choices)}
}

// groupMatches are the groups whose id or label contains typed (lower
// case), in their configured order, at most 25.
// presetMatches offers the presets whose name or title contains typed
// (lower case), at most 25.
func presetMatches(presets []bot.Choice, typed string) []*discordgo.ApplicationCommandOptionChoice {
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, p := range presets {
		if len(out) == maxChoices {
			break
		}
		if typed == "" || strings.Contains(strings.ToLower(p.Name), typed) {
			out = append(out, choice(p))
		}
	}
	return out
}

func groupMatches(groups *polls.Groups, typed string) []*discordgo.ApplicationCommandOptionChoice {
	var out []*discordgo.ApplicationCommandOptionChoice
	for _, g := range groups.All() {
		if len(out) == maxChoices {
			break
		}
		if typed == "" || strings.Contains(string(g.ID), typed) || strings.Contains(strings.ToLower(g.Label), typed) {
			out = append(out, groupChoice(g))
		}
	}
	return out
}

func autocomplete(c []*discordgo.ApplicationCommandOptionChoice) *discordgo.InteractionResponse {
	if c == nil {
		c = []*discordgo.ApplicationCommandOptionChoice{}
	}
	return &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult, Data: &discordgo.InteractionResponseData{Choices: c}}
}

// onComponent handles clicks and selections.
func (a *Adapter) onComponent(ctx context.Context, req bot.Request, in *discordgo.Interaction) answer {
	// A vote here is answered with the poll's new view (voteAnswer): the
	// vote returns the tally it left.
	ctx = polls.WithVoteTally(ctx)
	d := in.MessageComponentData()
	id := d.CustomID
	switch {
	case id == idPickGroup:
		if len(d.Values) != 1 {
			return a.engineError(ctx, req, in)
		}
		act, err := bot.ParseAction(d.Values[0])
		if err != nil || act.Kind != bot.ActGroup {
			return a.engineError(ctx, req, in)
		}
		resp := a.engine.Act(ctx, req, act)
		if resp.Duplicate {
			return answer{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}}
		}
		a.touch(resp.Updated)
		// Replace the picker with the outcome, so it cannot be used twice.
		m := a.layout(joinReplies(resp.Replies))
		m.components = []discordgo.MessageComponent{}
		return answer{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: m.responseData()}}
	case strings.HasPrefix(id, idSelect):
		poll := strings.TrimPrefix(id, idSelect)
		if len(d.Values) == 0 || len(d.Values) > maxSelectOpts {
			return a.engineError(ctx, req, in)
		}
		return a.voteAnswer(ctx, req, in, a.engine.Handle(ctx, req, bot.Vote{Poll: poll, Themes: d.Values}))
	case strings.HasPrefix(id, idUnvote):
		return a.voteAnswer(ctx, req, in, a.engine.Handle(ctx, req, bot.Unvote{Poll: strings.TrimPrefix(id, idUnvote)}))
	}
	act, err := bot.ParseAction(id)
	if err != nil {
		return a.engineError(ctx, req, in)
	}
	if act.Kind == bot.ActRank {
		p, err := a.engine.Poll(ctx, polls.Key{Tenant: req.Tenant, ID: polls.NormalizeID(act.Poll)})
		if err != nil || p.Status != polls.StatusOpen {
			// The engine words why (unknown, closed): let it answer.
			return a.replyAnswer(in, a.engine.Act(ctx, req, act).Replies)
		}
		return answer{resp: rankModalIn(a.engine.Printer(), p)}
	}
	return a.voteAnswer(ctx, req, in, a.engine.Act(ctx, req, act))
}

// engineError answers a control pollbot did not make with the engine's
// wording.
func (a *Adapter) engineError(ctx context.Context, req bot.Request, in *discordgo.Interaction) answer {
	return a.replyAnswer(in, a.engine.Act(ctx, req, bot.Action{}).Replies)
}

// onModal handles the ranking modal.
func (a *Adapter) onModal(ctx context.Context, req bot.Request, in *discordgo.Interaction) answer {
	ctx = polls.WithVoteTally(ctx) // see onComponent
	d := in.ModalSubmitData()
	poll, ok := strings.CutPrefix(d.CustomID, idRankModal)
	if !ok {
		return a.engineError(ctx, req, in)
	}
	order := ""
	for _, row := range d.Components {
		r, ok := row.(*discordgo.ActionsRow)
		if !ok {
			continue
		}
		for _, c := range r.Components {
			if ti, ok := c.(*discordgo.TextInput); ok && ti.CustomID == rankInputID {
				order = ti.Value
			}
		}
	}
	cmd, err := bot.FromOptions("vote", map[string]any{"poll": poll, "themes": order})
	if err != nil {
		return a.replyAnswer(in, a.engine.Refuse(req, err).Replies)
	}
	return a.voteAnswer(ctx, req, in, a.engine.Handle(ctx, req, cmd))
}

// voteAnswer answers a vote made on a poll message: the message itself is
// updated in place (type 7) with the new view and the voter's ballot is
// confirmed privately in a follow-up. A voter without a group gets the
// group picker; a refused vote (closed poll, ...) gets the reason,
// privately, and nothing changes.
func (a *Adapter) voteAnswer(ctx context.Context, req bot.Request, in *discordgo.Interaction, resp bot.Response) answer {
	if resp.Duplicate {
		// Acted on before (a redelivery, or a replay): acknowledge
		// without a word, and without showing anyone's ballot.
		return answer{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}}
	}
	held := false
	for _, r := range resp.Replies {
		held = held || r.Picker != nil
	}
	if resp.Err != nil || held || len(resp.Updated) == 0 || in.Message == nil {
		a.touch(resp.Updated)
		return a.replyAnswer(in, resp.Replies)
	}
	v, err := a.engine.VoteView(ctx, resp)
	if err != nil {
		a.touch(resp.Updated)
		return a.replyAnswer(in, resp.Replies)
	}
	// Concurrent clicks may answer out of order; the coalesced edit that
	// follows renders the final state.
	a.touch(resp.Updated)
	replies := resp.Replies
	return answer{
		update: newPollUpdate(a.engine.Printer(), v),
		after: func(ctx context.Context) {
			for _, r := range replies {
				r.Visibility = bot.Ephemeral
				a.sendFollowUp(ctx, in, a.layout(r))
			}
		},
		within: a.confirmWithin(resp),
	}
}

// confirmWithin bounds a vote's follow-up: one text message, posted
// with the adapter's own client, gets that client's timeout in all,
// retries included. With the same deadline on the work's context
// net/http needs no context and timer of its own for the post. Anything
// else keeps the pool's timeout.
func (a *Adapter) confirmWithin(resp bot.Response) time.Duration {
	if !resp.SoleConfirmation() {
		return 0
	}
	return a.direct.Timeout
}

func joinReplies(rs []bot.Reply) bot.Reply {
	var texts []string
	for _, r := range rs {
		if r.Text != "" {
			texts = append(texts, r.Text)
		}
	}
	return bot.Reply{Visibility: bot.Ephemeral, Text: strings.Join(texts, "\n")}
}
