package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
	"github.com/slack-go/slack"
)

// Block Kit limits, from Slack's reference.
const (
	maxBlocks         = 50
	maxActionElements = 25
	maxSectionText    = 3000
	maxHeaderText     = 150
	maxButtonText     = 75
	maxOptionText     = 75
	maxContextElems   = 10
	maxSelectOptions  = 100
	maxModalTitle     = 24
)

// How text reaches Slack. Every Block Kit text object this package makes
// is plain_text (plain and emojiText), which Slack shows literally: no
// link, mention, <!channel> or *formatting* forms there, whoever wrote the
// text, so user text goes in as written (bot.PlainText). The only mrkdwn
// this package sends is a message's notification text (the top-level
// "text" Slack shows in notifications and where blocks cannot be shown)
// and a file's comment; those are escaped whole with escapeMrkdwn, since
// pollbot's own words carry no markup either.

// escapeMrkdwn makes text literal in a Slack mrkdwn field. Slack's control
// sequences start with < and its entities with &: escaped as &lt; &gt;
// &amp;, as Slack documents, no link (<https://x|y>), mention (<@U1>) or
// <!channel> can form. Its formatting characters * _ ~ ` have no escape,
// so each gets a zero-width space (U+200B) on both sides: a formatting
// character opens only after a space or punctuation and before a
// non-space, and closes only the other way round, so whichever way Slack
// classes U+200B, one side of every such character breaks the rule and
// "*bold*" stays "*bold*" as typed.
func escapeMrkdwn(s string) string {
	return mrkdwnEscaper.Replace(bot.PlainText(s))
}

var mrkdwnEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	"*", "\u200b*\u200b", "_", "\u200b_\u200b", "~", "\u200b~\u200b", "`", "\u200b`\u200b",
)

// plain is a plain_text object: user text in it is shown as written.
func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, bot.PlainText(s), false, false)
}

// emojiText is plain with :emoji: codes shown as emoji.
func emojiText(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, bot.PlainText(s), true, false)
}

// plainSections packs lines into plain_text sections of at most
// maxSectionText characters, so long help texts and summaries are never
// rejected by Slack.
func plainSections(lines []string, sep string) []slack.Block {
	var out []slack.Block
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, slack.NewSectionBlock(emojiText(cur.String()), nil, nil))
			cur.Reset()
		}
	}
	for _, l := range lines {
		l = bot.Clip(l, maxSectionText)
		if cur.Len() > 0 && utf8.RuneCountInString(cur.String())+len(sep)+utf8.RuneCountInString(l) > maxSectionText {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteString(sep)
		}
		cur.WriteString(l)
	}
	flush()
	return out
}

// message is a rendered reply: blocks plus the notification text Slack
// shows where blocks cannot be (push notifications, screen readers).
type message struct {
	Text   string
	Blocks []slack.Block
}

// The words this package adds to the engine's (its buttons, the ranking
// modal, the note on a cut message) are English: the adapter does not yet
// pass the engine's printer (bot.Engine.Printer) to its renderers, which
// take it from their caller.

// fallback is the notification text of a reply: its first line, escaped.
func fallback(p *msg.Printer, r bot.Reply) string {
	s := strings.TrimSpace(bot.RenderTextIn(p, bot.Reply{Text: r.Text, Poll: r.Poll, Report: r.Report, List: r.List, Picker: r.Picker}))
	first, _, _ := strings.Cut(s, "\n")
	return escapeMrkdwn(bot.Clip(strings.TrimPrefix(first, "┌ "), 300))
}

// renderReply lays out one engine reply as Block Kit.
func renderReply(r bot.Reply) message { return renderReplyIn(msg.English(), r) }

// renderReplyIn is renderReply with the words of p.
func renderReplyIn(p *msg.Printer, r bot.Reply) message {
	var blocks []slack.Block
	if r.Text != "" {
		blocks = append(blocks, plainSections(strings.Split(r.Text, "\n"), "\n")...)
	}
	switch {
	case r.Poll != nil:
		blocks = append(blocks, pollBlocks(p, r.Poll)...)
	case r.Report != nil:
		blocks = append(blocks, reportBlocks(p, r.Report)...)
	case r.List != nil:
		blocks = append(blocks, listBlocks(p, r.List)...)
	}
	if r.Picker != nil {
		blocks = append(blocks, pickerBlocks(r.Picker)...)
	}
	return message{Text: fallback(p, r), Blocks: fit(p, blocks)}
}

// fit keeps a message within Slack's block limit. The renderers stay under
// it by construction; this is the last guard, keeping the first blocks
// (which carry the controls) and saying that the rest was cut.
func fit(p *msg.Printer, blocks []slack.Block) []slack.Block {
	if len(blocks) <= maxBlocks {
		return blocks
	}
	out := append([]slack.Block(nil), blocks[:maxBlocks-1]...)
	return append(out, slack.NewContextBlock("", plain(p.Sprint(msg.SlackShortened.With()))))
}

// pollBlocks renders a poll message: header, context (kind, status,
// participation), one section per theme with its vote button as accessory
// and, when results are live, its bar and count; a ranked poll has one
// "rank" button. A poll whose rows would not fit (they always do with the
// domain's 25 themes, but the guard keeps Slack from rejecting a message)
// degrades to a text list of themes and a select menu.
func pollBlocks(p *msg.Printer, v *bot.PollView) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(emojiText(bot.Clip(v.Title, maxHeaderText))),
		slack.NewContextBlock("", emojiText(bot.Clip(v.KindText, maxSectionText)), emojiText(bot.Clip(v.StatusText, maxSectionText))),
	}
	voteByTheme := map[int]bot.Control{}
	var rank []bot.Control
	for _, c := range v.Controls {
		a, err := bot.ParseAction(c.ID)
		switch {
		case err != nil:
		case a.Kind == bot.ActVote:
			voteByTheme[a.Theme] = c
		default:
			rank = append(rank, c)
		}
	}
	themeLines := make([]string, 0, len(v.Themes))
	for _, t := range v.Themes {
		themeLines = append(themeLines, themeText(p, v, t))
	}
	// header, context, themes, note, actions, summary, participation, footer
	rows := len(v.Themes) + 6 + (len(v.Summary)+9)/10
	if rows <= maxBlocks {
		for i, t := range v.Themes {
			var acc *slack.Accessory
			if c, ok := voteByTheme[t.Number-1]; ok {
				acc = slack.NewAccessory(button(c, voteButtonText(p, v)))
			}
			blocks = append(blocks, slack.NewSectionBlock(plain(themeLines[i]), nil, acc))
		}
	} else {
		blocks = append(blocks, plainSections(themeLines, "\n")...)
		if len(voteByTheme) > 0 {
			var opts []*slack.OptionBlockObject
			for _, c := range v.Controls {
				if len(opts) < maxSelectOptions {
					opts = append(opts, slack.NewOptionBlockObject(c.ID, plain(bot.Clip(c.Label, maxOptionText)), nil))
				}
			}
			sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(bot.Clip(p.Sprint(msg.SlackMenu.With(voteButton(v))), maxOptionText)), selectActionID(v.ID), opts...)
			blocks = append(blocks, slack.NewActionBlock("", sel))
		}
	}
	if v.HiddenNote != "" {
		blocks = append(blocks, slack.NewContextBlock("", emojiText(v.HiddenNote)))
	}
	if len(rank) > 0 {
		var els []slack.BlockElement
		for _, c := range rank {
			b := button(c, "")
			b.Style = slack.StylePrimary
			els = append(els, b)
		}
		blocks = append(blocks, slack.NewActionBlock("", els...))
	}
	if len(v.Summary) > 0 {
		blocks = append(blocks, plainSections(v.Summary, "\n")...)
	}
	blocks = append(blocks,
		slack.NewContextBlock("", emojiText(bot.Clip(p.Sprint(msg.BallotsLine.With(v.Ballots, v.ParticipationText)), maxSectionText))),
		slack.NewContextBlock("", emojiText(bot.Clip(v.Footer, maxSectionText))),
	)
	return blocks
}

// selectActionID is the action id of a degraded poll's vote menu; the
// chosen option's value carries the engine's control id.
func selectActionID(poll string) string { return "pollbot:select:" + poll }

// voteButton is what a poll's vote buttons say: a single-choice poll's
// "Choose", any other's "Vote".
func voteButton(v *bot.PollView) msg.Message {
	if v.Kind == polls.Single {
		return msg.SlackButtonChoose.With()
	}
	return msg.SlackButtonVote.With()
}

func voteButtonText(p *msg.Printer, v *bot.PollView) string { return p.Sprint(voteButton(v)) }

func themeText(p *msg.Printer, v *bot.PollView, t bot.ThemeLine) string {
	s := p.Sprint(msg.Numbered.With(t.Number, t.Label))
	if v.ResultsVisible {
		s += "\n" + t.Bar + "  " + t.CountText
	}
	if t.Badge != "" {
		s += p.Sprint(msg.Dot.With()) + t.Badge
	}
	return s
}

func button(c bot.Control, text string) *slack.ButtonBlockElement {
	if text == "" {
		text = c.Label
	}
	return slack.NewButtonBlockElement(c.ID, c.ID, emojiText(bot.Clip(text, maxButtonText)))
}

func reportBlocks(p *msg.Printer, v *bot.ReportView) []slack.Block {
	blocks := []slack.Block{
		slack.NewHeaderBlock(emojiText(bot.Clip(v.Title, maxHeaderText))),
		slack.NewContextBlock("", emojiText(bot.Clip(v.Subtitle, maxSectionText))),
	}
	blocks = append(blocks, plainSections(v.Summary, "\n")...)
	blocks = append(blocks, slack.NewDividerBlock())
	var themes []string
	for _, t := range v.Themes {
		var b strings.Builder
		fmt.Fprintf(&b, "#%d %s — %s\n%s\n%s", t.Rank, t.Label, t.Badge, t.Grounds, t.Numbers)
		for _, g := range t.Groups {
			note := ""
			if !g.Qualifies {
				note = " " + p.Sprint(msg.BelowQuorum.With())
			}
			fmt.Fprintf(&b, "\n%s %s %s %s %s%s", strings.TrimSpace(g.Emoji), g.Label, g.Bar, g.Percent, g.Count, note)
		}
		themes = append(themes, b.String())
	}
	blocks = append(blocks, plainSections(themes, "\n\n")...)
	if len(v.Notes) > 0 {
		blocks = append(blocks, plainSections(v.Notes, "\n")...)
	}
	blocks = append(blocks, slack.NewContextBlock("", emojiText(bot.Clip(v.Legend, maxSectionText))))
	return blocks
}

func listBlocks(p *msg.Printer, v *bot.ListView) []slack.Block {
	lines := append([]string{p.Sprint(msg.Heading.With(v.Title))}, v.Lines...)
	if v.Empty != "" {
		lines = append(lines, v.Empty)
	}
	return plainSections(lines, "\n")
}

// pickerBlocks lays the group picker out as buttons, 25 to an actions
// block.
func pickerBlocks(p *bot.GroupPicker) []slack.Block {
	blocks := []slack.Block{slack.NewSectionBlock(emojiText(p.Prompt), nil, nil)}
	var els []slack.BlockElement
	for _, o := range p.Options {
		els = append(els, button(o, ""))
		if len(els) == maxActionElements {
			blocks = append(blocks, slack.NewActionBlock("", els...))
			els = nil
		}
	}
	if len(els) > 0 {
		blocks = append(blocks, slack.NewActionBlock("", els...))
	}
	return blocks
}

// Ranking modal: one static_select per rank position; the first is
// required, the rest optional, so a voter may rank only their favourites.
const (
	rankCallbackPrefix = "pollbot:rankform:"
	rankBlockPrefix    = "rank"
	rankActionID       = "theme"
)

func rankModal(v *bot.PollView, channel string) slack.ModalViewRequest {
	return rankModalIn(msg.English(), v, channel)
}

// rankModalIn is rankModal with the words of p.
func rankModalIn(p *msg.Printer, v *bot.PollView, channel string) slack.ModalViewRequest {
	var opts []*slack.OptionBlockObject
	for _, t := range v.Themes {
		opts = append(opts, slack.NewOptionBlockObject(fmt.Sprint(t.Number), plain(bot.Clip(p.Sprint(msg.Numbered.With(t.Number, t.Label)), maxOptionText)), nil))
	}
	blocks := []slack.Block{slack.NewSectionBlock(emojiText(bot.Clip(v.Title+"\n"+v.KindText, maxSectionText)), nil, nil)}
	for i := range v.Themes {
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain(p.Sprint(msg.SlackRankPick.With())), rankActionID, opts...)
		in := slack.NewInputBlock(fmt.Sprintf("%s%d", rankBlockPrefix, i+1), plain(p.Sprint(msg.SlackRankChoice.With(msg.Ordinal(i+1)))), nil, sel)
		in.Optional = i > 0
		blocks = append(blocks, in)
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		Title:           plain(bot.Clip(p.Sprint(msg.SlackRankTitle.With(v.ID)), maxModalTitle)),
		Submit:          plain(p.Sprint(msg.SlackRankSubmit.With())),
		Close:           plain(p.Sprint(msg.SlackRankCancel.With())),
		CallbackID:      rankCallbackPrefix + v.ID,
		PrivateMetadata: channel,
		Blocks:          slack.Blocks{BlockSet: fit(p, blocks)},
	}
}
