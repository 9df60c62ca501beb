package discord

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	catalog "github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/bounded"
	"github.com/pollbot/pollbot/polls"
)

// Discord's documented limits on messages, embeds and components.
const (
	maxContent      = 2000
	maxEmbedTitle   = 256
	maxEmbedDesc    = 4096
	maxEmbedFields  = 25
	maxFieldName    = 256
	maxFieldValue   = 1024
	maxFooter       = 2048
	maxEmbedTotal   = 6000
	maxEmbeds       = 10
	maxRows         = 5
	maxPerRow       = 5
	maxSelectOpts   = 25
	maxButtonLabel  = 80
	maxOptionLabel  = 100
	maxCustomID     = 100
	maxModalTitle   = 45
	maxInputLabel   = 45
	embedColorOpen  = 0x5865F2
	embedColorDone  = 0x57F287
	embedColorOther = 0x99AAB5
)

// Adapter-owned control ids. They share the engine's "pollbot:" prefix but
// are decoded here; bot.ParseAction rejects them.
const (
	idSelect    = "pollbot:dc:select:" // + poll: the theme select of a poll with many themes
	idUnvote    = "pollbot:dc:unvote:" // + poll: withdraw the ballot
	idRankModal = "pollbot:dc:rank:"   // + poll: the ranking modal
	idPickGroup = "pollbot:dc:group"   // the group picker select; values are bot.GroupAction ids
	rankInputID = "order"
)

// The words this package adds to the engine's (embed field names, its
// buttons, the ranking modal, the notes on what was cut) are English: the
// adapter does not yet pass the engine's printer (bot.Engine.Printer) to
// its renderers, which take it from their caller.

// msg is a reply laid out for Discord.
type msg struct {
	content    string
	embeds     []*discordgo.MessageEmbed
	components []discordgo.MessageComponent
	files      []*discordgo.File
	ephemeral  bool
}

// message lays out one engine reply in English (the adapter lays out in
// the engine's language: see Adapter.layout).
func message(r bot.Reply) msg { return messageIn(catalog.English(), r) }

// layout lays out one engine reply in the engine's language.
func (a *Adapter) layout(r bot.Reply) msg { return messageIn(a.engine.Printer(), r) }

// messageIn is message with the words of p.
func messageIn(p *catalog.Printer, r bot.Reply) msg {
	m := msg{ephemeral: r.Visibility == bot.Ephemeral}
	text := r.Text
	switch {
	case r.Poll != nil:
		m.embeds, m.components = pollMessageIn(p, r.Poll)
	case r.Report != nil:
		m.embeds = reportEmbeds(p, r.Report)
	case r.List != nil:
		m.embeds = listEmbeds(r.List)
	}
	if r.Picker != nil {
		m.components = pickerComponents(r.Picker)
		text = strings.TrimSpace(text + "\n" + r.Picker.Prompt)
	}
	text = mdMemo(text)
	// Text longer than a message's content goes into embed descriptions,
	// split at lines, so help and long errors stay complete; what would pass
	// the 6000 characters all embeds of a message share is cut.
	if utf8.RuneCountInString(text) <= maxContent {
		m.content = text
	} else if budget := maxEmbedTotal - embedsSize(m.embeds); budget >= maxContent {
		m.embeds = append(textEmbeds(p, text, budget, maxEmbeds-len(m.embeds)), m.embeds...)
	} else {
		m.content = bot.Clip(text, maxContent)
	}
	if len(m.embeds) > maxEmbeds {
		m.embeds = m.embeds[:maxEmbeds]
	}
	for _, f := range r.Files {
		m.files = append(m.files, &discordgo.File{Name: f.Name, ContentType: f.MIME, Reader: bytes.NewReader(f.Data)})
	}
	return m
}

func (m msg) flags() discordgo.MessageFlags {
	if m.ephemeral {
		return discordgo.MessageFlagsEphemeral
	}
	return 0
}

func (m msg) responseData() *discordgo.InteractionResponseData {
	comps := m.components
	if comps == nil {
		comps = []discordgo.MessageComponent{}
	}
	return &discordgo.InteractionResponseData{
		Content: m.content, Embeds: m.embeds, Components: comps, Flags: m.flags(),
		AllowedMentions: noMentions(),
	}
}

func (m msg) webhook() *discordgo.WebhookParams {
	return &discordgo.WebhookParams{
		Content: m.content, Embeds: m.embeds, Components: m.components, Files: m.files, Flags: m.flags(),
		AllowedMentions: noMentions(),
	}
}

// textEmbeds splits long text into at most n embed descriptions at line
// breaks, cut to budget characters in all.
func textEmbeds(p *catalog.Printer, text string, budget, n int) []*discordgo.MessageEmbed {
	if budget > n*maxEmbedDesc {
		budget = n * maxEmbedDesc
	}
	if utf8.RuneCountInString(text) > budget {
		// A line of its own ends text cut to fit a message.
		shortened := "\n" + md(p.Sprint(catalog.DiscordShortened.With()))
		text = bot.Clip(text, budget-utf8.RuneCountInString(shortened)) + shortened
	}
	var out []*discordgo.MessageEmbed
	for _, chunk := range splitLines(text, maxEmbedDesc) {
		out = append(out, &discordgo.MessageEmbed{Description: chunk})
	}
	return out
}

// embedsSize is what embeds count toward the 6000 characters a message's
// embeds may hold together.
func embedsSize(embeds []*discordgo.MessageEmbed) int {
	n := 0
	for _, e := range embeds {
		n += utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
		for _, f := range e.Fields {
			n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		}
		if e.Footer != nil {
			n += utf8.RuneCountInString(e.Footer.Text)
		}
		if e.Author != nil {
			n += utf8.RuneCountInString(e.Author.Name)
		}
	}
	return n
}

// splitLines cuts s into pieces of at most n runes, at line breaks where
// possible.
func splitLines(s string, n int) []string {
	var out []string
	var cur strings.Builder
	curLen := 0
	for _, line := range strings.SplitAfter(s, "\n") {
		l := utf8.RuneCountInString(line)
		if curLen+l > n && curLen > 0 {
			out = append(out, strings.TrimRight(cur.String(), "\n"))
			cur.Reset()
			curLen = 0
		}
		for l > n { // a single line longer than a piece
			r := []rune(line)
			out = append(out, string(r[:n]))
			line = string(r[n:])
			l -= n
		}
		cur.WriteString(line)
		curLen += l
	}
	if curLen > 0 {
		out = append(out, strings.TrimRight(cur.String(), "\n"))
	}
	return out
}

// How text reaches Discord. Message content, embed titles, descriptions
// and field names and values are Markdown: every string put there is
// rendered with md, which escapes the user text the engine marked
// (bot.UserText) and keeps pollbot's own words and formatting. Button and
// select labels, placeholders, embed footers, modal titles and
// autocomplete choices are shown literally: they get bot.PlainText. Clip
// after rendering, so the limits hold for what is sent.

// md renders s for a Markdown field.
func md(s string) string { return bot.RenderUserText(s, escapeMarkdown) }

// mdKept is md of the texts a click's answer shows again and again (a
// ballot confirmation, a poll's status line), each rendered once: md is
// a function of its text alone. Texts longer than mdKeptLen are rendered
// each time; the memo is emptied when it holds mdKeptMax.
var mdKept bounded.Map[string, string]

const (
	mdKeptMax = 4096
	mdKeptLen = 1024
)

func mdMemo(s string) string {
	if len(s) > mdKeptLen {
		return md(s)
	}
	return mdKept.Load(s, mdKeptMax, func() string { return md(s) })
}

// ballotsName is the participation field's name for n ballots ("12
// ballots"), worded once per printer and count (as mdKept).
func ballotsName(p *catalog.Printer, n int64) string {
	return ballotsNames.Load(ballotsNameKey{p, n}, mdKeptMax, func() string {
		return bot.Clip(md(p.Sprint(catalog.DiscordBallots.With(n))), maxFieldName)
	})
}

type ballotsNameKey struct {
	p *catalog.Printer
	n int64
}

var ballotsNames bounded.Map[ballotsNameKey, string]

// plain renders s for a field Discord shows literally.
func plain(s string) string { return bot.PlainText(s) }

// escapeMarkdown makes text literal in Discord's Markdown. Discord drops
// the backslash in front of any punctuation character and shows the
// character as it is, so:
//   - \ * _ ~ ` | (bold, italics, underline, strike-through, code,
//     spoilers) and [ ] (masked links [x](y)) are escaped everywhere;
//   - < and > are escaped everywhere: mentions <@id> <@&id> <#id>,
//     timestamps <t:1:R>, custom emoji, command mentions and <url> links
//     all start with <, block quotes with >;
//   - the colon of :// is escaped, so that http://... and https://... are
//     not turned into links (Discord links a URL only where it reads the
//     scheme, colon and slashes as they are written); other colons, as in
//     15:04, stay as they are;
//   - # (headings, and the # of <#id>) is escaped everywhere, and - + and
//     the . or ) after a number where a line starts (lists, -# subtext);
//   - @ is followed by a zero-width space, so @everyone and @here are never
//     read as mentions (messages also allow no mentions at all).
func escapeMarkdown(s string) string {
	if !strings.ContainsAny(s, markdownMaybe) && utf8.ValidString(s) {
		// Nothing below would change it: most theme labels and
		// names. (A valid string's runes are written back as they are.)
		return s
	}
	return escapeMarkdownSlow(s)
}

// markdownMaybe are the bytes escapeMarkdownSlow may write differently:
// markdownSpecial, the start of ://, @, a line's start and what is
// escaped there.
const markdownMaybe = markdownSpecial + ":@\n-+.)"

func escapeMarkdownSlow(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/4)
	lineStart := true
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\n':
			lineStart = true
			b.WriteRune(r)
			i += size
			continue
		case lineStart && (r == ' ' || r == '\t'):
			b.WriteRune(r)
			i += size
			continue
		case lineStart && (r == '-' || r == '+'):
			b.WriteByte('\\')
			b.WriteRune(r)
		case lineStart && r >= '0' && r <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			b.WriteString(s[i:j])
			if j < len(s) && (s[j] == '.' || s[j] == ')') {
				b.WriteByte('\\')
				b.WriteByte(s[j])
				j++
			}
			i, lineStart = j, false
			continue
		case strings.ContainsRune(markdownSpecial, r), r == ':' && strings.HasPrefix(s[i:], "://"):
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '@':
			b.WriteString("@\u200b")
		default:
			b.WriteRune(r)
		}
		lineStart = false
		i += size
	}
	return b.String()
}

// markdownSpecial are the characters escapeMarkdown escapes wherever they
// are.
const markdownSpecial = "\\*_~`|[]<>#"

// pollMessageIn is the poll as an embed and its vote controls, with the
// words of p.
func pollMessageIn(p *catalog.Printer, v *bot.PollView) ([]*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	return pollMessage(p, v, newPollStatic(p, v, false))
}

// pollStatic is what the unchanging parts of a poll view come to in a
// Discord message.
type pollStatic struct {
	title, kind, footer string
	labels              []string // of v.Themes, in order
	components          []discordgo.MessageComponent
}

// pollStaticKey is the adapter's key in a view's memo.
type pollStaticKey struct{}

// newPollStatic makes v's unchanging parts; encoded, the components are
// encoded as JSON once (see encodedComponent).
func newPollStatic(p *catalog.Printer, v *bot.PollView, encoded bool) *pollStatic {
	st := &pollStatic{
		title:  bot.Clip(md(v.Title), maxEmbedTitle),
		kind:   md(v.KindText),
		footer: bot.Clip(plain(v.Footer), maxFooter),
		labels: make([]string, len(v.Themes)),
	}
	for i, t := range v.Themes {
		st.labels[i] = md(t.Label)
	}
	st.components = pollComponents(p, v)
	if encoded {
		st.components = encodeComponents(st.components)
	}
	return st
}

// pollMessage is the poll message of v, its unchanging parts from st.
func pollMessage(p *catalog.Printer, v *bot.PollView, st *pollStatic) ([]*discordgo.MessageEmbed, []discordgo.MessageComponent) {
	e := &discordgo.MessageEmbed{
		Title: st.title,
		Color: pollColor(v),
	}
	desc := appendDescription(make([]byte, 0, 256+96*len(v.Themes)), v, st)
	e.Description = bot.Clip(strings.TrimRight(string(desc), "\n"), maxEmbedDesc)
	e.Fields = append(make([]*discordgo.MessageEmbedField, 0, 1), &discordgo.MessageEmbedField{
		Name:  ballotsName(p, v.Ballots),
		Value: participationValue(v),
	})
	e.Footer = &discordgo.MessageEmbedFooter{Text: st.footer}
	if len(v.Summary) > 0 {
		// The summary says per theme what its status rests on: more than
		// one field holds, so it takes as many as the embed's budget
		// allows, cut at a line.
		budget := maxEmbedTotal - embedsSize([]*discordgo.MessageEmbed{e})
		for i, chunk := range splitLines(md(strings.Join(v.Summary, "\n")), maxFieldValue) {
			name := md(p.Sprint(catalog.DiscordSummary.With()))
			if i > 0 {
				name = md(p.Sprint(catalog.DiscordSummaryContinued.With()))
			}
			if len(e.Fields) == maxEmbedFields {
				break
			}
			cost := utf8.RuneCountInString(name) + utf8.RuneCountInString(chunk)
			if cost > budget {
				if room := budget - utf8.RuneCountInString(name); room > 40 {
					e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: bot.Clip(chunk, room)})
				}
				break
			}
			budget -= cost
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: chunk})
		}
	}
	return []*discordgo.MessageEmbed{e}, st.components
}

// pollColor is the colour of a poll's embed: its status.
func pollColor(v *bot.PollView) int {
	switch v.Status {
	case polls.StatusOpen:
		return embedColorOpen
	case polls.StatusClosed:
		return embedColorDone
	}
	return embedColorOther
}

// participationValue is the value of a poll embed's participation field.
func participationValue(v *bot.PollView) string {
	return bot.Clip(nonEmpty(md(v.ParticipationText)), maxFieldValue)
}

// appendDescription appends the description of v's embed, before its
// trailing line ends are cut and before it is clipped: the status, how
// to vote, a line per theme.
func appendDescription(d []byte, v *bot.PollView, st *pollStatic) []byte {
	d = append(d, "**"...)
	d = append(d, mdMemo(v.StatusText)...)
	d = append(d, "**\n"...)
	d = append(d, st.kind...)
	d = append(d, "\n\n"...)
	for i, t := range v.Themes {
		// "`%2d.` `<bar>` <label> — <count> · <badge>", written out: a
		// click's answer writes every line, and fmt took a tenth of it.
		d = append(d, '`')
		if t.Number < 10 {
			d = append(d, ' ')
		}
		d = strconv.AppendInt(d, int64(t.Number), 10)
		d = append(d, ".` "...)
		counted := t.Badge != "" || v.ResultsVisible
		if counted {
			d = append(d, '`')
			d = append(d, t.Bar...)
			d = append(d, "` "...)
		}
		d = append(d, st.labels[i]...)
		if counted {
			d = append(d, " — "...)
			d = append(d, t.CountText...)
		}
		if t.Badge != "" {
			d = append(d, " · "...)
			d = append(d, t.Badge...)
		}
		d = append(d, '\n')
	}
	if v.HiddenNote != "" {
		d = append(d, "\n_"...)
		d = append(d, md(v.HiddenNote)...)
		d = append(d, "_\n"...)
	}
	return d
}

// pollUpdate is a vote's answer: a type 7 UPDATE_MESSAGE whose message is
// the poll message of v, its unchanging parts made once per view memo
// (see bot.Memo) rather than for every click. Over HTTP it is written
// straight into the response (appendTo) rather than built as discordgo's
// values and then encoded: every click answers with the whole message,
// and building it cost more than the rest of the answer.
type pollUpdate struct {
	p  *catalog.Printer
	v  *bot.PollView
	st *pollStatic
}

func newPollUpdate(p *catalog.Printer, v *bot.PollView) *pollUpdate {
	return &pollUpdate{p: p, v: v, st: bot.MemoLoad(v.Memo, pollStaticKey{}, func() *pollStatic { return newPollStatic(p, v, true) })}
}

// response is the answer as discordgo's value.
func (u *pollUpdate) response() *discordgo.InteractionResponse {
	embeds, comps := pollMessage(u.p, u.v, u.st)
	return &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: &discordgo.InteractionResponseData{
		Embeds: embeds, Components: comps, AllowedMentions: noMentions(),
	}}
}

// appendTo appends the answer's JSON, the bytes appendResponse writes for
// response(), using scratch for the description. It reports false, with
// dst unspecified, for a message it does not write this way (a closed
// poll's summary fields, a description that has to be clipped, controls
// not encoded once); the caller then encodes response().
// checkMemo (TestWireMatchesDiscordgo) and FuzzPollUpdateWire hold it to
// appendResponse.
func (u *pollUpdate) appendTo(dst, scratch []byte) (out, desc []byte, ok bool) {
	v, st := u.v, u.st
	if len(v.Summary) > 0 {
		return dst, scratch, false
	}
	for _, c := range st.components {
		if _, ok := c.(encodedComponent); !ok {
			return dst, scratch, false
		}
	}
	desc = appendDescription(scratch[:0], v, st)
	n := len(desc)
	for n > 0 && desc[n-1] == '\n' {
		n--
	}
	// desc is not changed while text is in use. (utf8.RuneCount would
	// copy it into a string of its own.)
	text := unsafe.String(unsafe.SliceData(desc), n)
	if utf8.RuneCountInString(text) > maxEmbedDesc {
		return dst, desc, false
	}
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendUint(dst, uint64(discordgo.InteractionResponseUpdateMessage), 10)
	dst = append(dst, `,"data":{"tts":false,"content":"","components":`...)
	dst, _ = appendComponents(dst, st.components)
	dst = append(dst, `,"embeds":[`...)
	o := openObject(dst)
	o.str("title", st.title)
	o.str("description", text)
	o.key("color")
	o.dst = strconv.AppendInt(o.dst, int64(pollColor(v)), 10)
	o.key("footer")
	fo := openObject(o.dst)
	fo.str("text", st.footer)
	o.dst = fo.close()
	o.key("fields")
	o.dst = append(o.dst, `[{"name":`...)
	o.dst = appendString(o.dst, ballotsName(u.p, v.Ballots))
	o.dst = append(o.dst, `,"value":`...)
	o.dst = appendString(o.dst, participationValue(v))
	o.dst = append(o.dst, "}]"...)
	dst = o.close()
	dst = append(dst, `],"allowed_mentions":`...)
	dst = appendMentions(dst, &noMentionsValue)
	return append(dst, "}}"...), desc, true
}

func nonEmpty(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}

// pollComponents lays out the vote controls: a button per theme when they
// fit with the withdraw button in 5 rows of 5, otherwise one select menu.
// Ranked polls have one button that opens the ranking modal.
func pollComponents(p *catalog.Printer, v *bot.PollView) []discordgo.MessageComponent {
	if v.Status != polls.StatusOpen || len(v.Controls) == 0 {
		return []discordgo.MessageComponent{}
	}
	unvote := discordgo.Button{Label: bot.Clip(plain(p.Sprint(catalog.DiscordWithdraw.With())), maxButtonLabel), Style: discordgo.SecondaryButton, CustomID: idUnvote + v.ID}
	if v.Kind == polls.Ranked || len(v.Controls)+1 <= maxRows*maxPerRow {
		buttons := make([]discordgo.MessageComponent, 0, len(v.Controls)+1)
		for _, c := range v.Controls {
			buttons = append(buttons, discordgo.Button{Label: bot.Clip(plain(c.Label), maxButtonLabel), Style: discordgo.PrimaryButton, CustomID: c.ID})
		}
		buttons = append(buttons, unvote)
		return rows(buttons)
	}
	sel := discordgo.SelectMenu{
		MenuType:    discordgo.StringSelectMenu,
		CustomID:    idSelect + v.ID,
		Placeholder: bot.Clip(plain(v.KindText), 150),
		MinValues:   intPtr(1),
		MaxValues:   1,
	}
	if v.Kind == polls.Approval {
		sel.MaxValues = min(len(v.Themes), maxSelectOpts)
	}
	for i, t := range v.Themes {
		if i == maxSelectOpts {
			break
		}
		sel.Options = append(sel.Options, discordgo.SelectMenuOption{
			Label: bot.Clip(plain(p.Sprint(catalog.Numbered.With(t.Number, t.Label))), maxOptionLabel),
			Value: strconv.Itoa(t.Number),
		})
	}
	return []discordgo.MessageComponent{
		discordgo.ActionsRow{Components: []discordgo.MessageComponent{sel}},
		discordgo.ActionsRow{Components: []discordgo.MessageComponent{unvote}},
	}
}

func rows(cs []discordgo.MessageComponent) []discordgo.MessageComponent {
	out := make([]discordgo.MessageComponent, 0, min((len(cs)+maxPerRow-1)/maxPerRow, maxRows))
	for len(cs) > 0 && len(out) < maxRows {
		n := min(len(cs), maxPerRow)
		out = append(out, discordgo.ActionsRow{Components: cs[:n]})
		cs = cs[n:]
	}
	return out
}

func intPtr(n int) *int { return &n }

func pickerComponents(p *bot.GroupPicker) []discordgo.MessageComponent {
	sel := discordgo.SelectMenu{MenuType: discordgo.StringSelectMenu, CustomID: idPickGroup, Placeholder: bot.Clip(plain(p.Prompt), 150), MinValues: intPtr(1), MaxValues: 1}
	for i, o := range p.Options {
		if i == maxSelectOpts {
			break
		}
		sel.Options = append(sel.Options, discordgo.SelectMenuOption{Label: bot.Clip(plain(o.Label), maxOptionLabel), Value: o.ID})
	}
	return []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{sel}}}
}

// rankModal asks for a ranking as theme numbers in order, prefilled with
// the poll's order.
func rankModal(p *polls.Poll) *discordgo.InteractionResponse {
	return rankModalIn(catalog.English(), p)
}

// rankModalIn is rankModal with the words of pr.
func rankModalIn(pr *catalog.Printer, p *polls.Poll) *discordgo.InteractionResponse {
	nums := make([]string, len(p.Themes))
	list := make([]string, len(p.Themes))
	for i, t := range p.Themes {
		nums[i] = strconv.Itoa(i + 1)
		list[i] = nums[i] + " " + t.Label
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionResponseModal,
		Data: &discordgo.InteractionResponseData{
			CustomID: idRankModal + p.ID,
			Title:    bot.Clip(plain(pr.Sprint(catalog.DiscordRankTitle.With(p.Title))), maxModalTitle),
			Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
				discordgo.TextInput{
					CustomID:    rankInputID,
					Label:       plain(pr.Sprint(catalog.DiscordRankLabel.With())),
					Style:       discordgo.TextInputShort,
					Placeholder: bot.Clip(strings.Join(list, pr.Sprint(catalog.ItemSeparator.With())), 100),
					Value:       strings.Join(nums, " "),
					Required:    true,
					MaxLength:   200,
				},
			}}},
		},
	}
}

// reportEmbeds is the report: summary in the description, one field per
// theme (Discord allows 25, the poll maximum), notes and legend in the
// footer. Whatever would pass the 6000-character total is cut with a
// pointer to the attached chart and /poll export.
func reportEmbeds(p *catalog.Printer, v *bot.ReportView) []*discordgo.MessageEmbed {
	e := &discordgo.MessageEmbed{Title: bot.Clip(md(v.Title), maxEmbedTitle), Color: embedColorDone}
	desc := md(v.Subtitle + "\n\n" + strings.Join(v.Summary, "\n"))
	e.Description = bot.Clip(desc, 1500)
	footer := strings.Join(append(append([]string{}, v.Notes...), v.Legend), "\n")
	e.Footer = &discordgo.MessageEmbedFooter{Text: bot.Clip(plain(footer), 1000)}
	budget := maxEmbedTotal - utf8.RuneCountInString(e.Title) - utf8.RuneCountInString(e.Description) - utf8.RuneCountInString(e.Footer.Text) - 100
	for i, t := range v.Themes {
		if i == maxEmbedFields-1 && len(v.Themes) > maxEmbedFields {
			break
		}
		name := bot.Clip(md(fmt.Sprintf("#%d %s — %s", t.Rank, t.Label, t.Badge)), maxFieldName)
		var b strings.Builder
		b.WriteString(md(t.Grounds) + "\n" + md(t.Numbers) + "\n")
		for _, g := range t.Groups {
			note := ""
			if !g.Qualifies {
				note = " " + md(p.Sprint(catalog.BelowQuorum.With()))
			}
			fmt.Fprintf(&b, "%s `%s` %s %s %s%s\n", md(g.Emoji), g.Bar, g.Percent, g.Count, md(g.Label), note)
		}
		value := bot.Clip(strings.TrimRight(b.String(), "\n"), maxFieldValue)
		cost := utf8.RuneCountInString(name) + utf8.RuneCountInString(value)
		if cost > budget {
			e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
				Name:  "…",
				Value: md(p.Sprint(catalog.DiscordMoreThemes.With(len(v.Themes)-i, v.Key.ID))),
			})
			break
		}
		budget -= cost
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: name, Value: value})
	}
	return []*discordgo.MessageEmbed{e}
}

func listEmbeds(v *bot.ListView) []*discordgo.MessageEmbed {
	lines := make([]string, 0, len(v.Lines)+1)
	for _, l := range v.Lines {
		lines = append(lines, md(l))
	}
	if v.Empty != "" {
		lines = append(lines, md(v.Empty))
	}
	return []*discordgo.MessageEmbed{{Title: bot.Clip(md(v.Title), maxEmbedTitle), Description: bot.Clip(strings.Join(lines, "\n"), maxEmbedDesc)}}
}
