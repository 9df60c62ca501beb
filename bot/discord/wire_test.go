package discord

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	catalog "github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// sameJSON fails unless the hand-encoded wire is valid JSON that decodes
// to what encoding/json's encoding of v decodes to.
func sameJSON(t *testing.T, what string, wire []byte, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("%s: encoding/json: %v", what, err)
	}
	var got, exp any
	if err := json.Unmarshal(wire, &got); err != nil {
		t.Fatalf("%s: hand-encoded JSON does not decode: %v\n%s", what, err, wire)
	}
	if err := json.Unmarshal(want, &exp); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, exp) {
		t.Errorf("%s: hand-encoded\n%s\nencoding/json\n%s", what, wire, want)
	}
}

// checkWire encodes r, and the follow-up of m, by hand and compares them
// with discordgo's encoding; both must be encodable by hand.
func checkWire(t *testing.T, what string, r *discordgo.InteractionResponse, m msg) {
	t.Helper()
	wire, ok := appendResponse(nil, r)
	if !ok {
		t.Fatalf("%s: appendResponse refused %+v", what, r)
	}
	sameJSON(t, what+" answer", wire, r)
	m.files = nil
	p := m.webhook()
	wire, ok = appendWebhook(nil, p)
	if !ok {
		t.Fatalf("%s: appendWebhook refused %+v", what, p)
	}
	sameJSON(t, what+" follow-up", wire, p)
}

// checkMemo holds the vote answer made with v's memo (the first time and
// from the memo) to the one made without, r, both as the hand encoders
// write it and as encoding/json does, and the answer written straight
// from the view (pollUpdate.appendTo) to the same bytes.
func checkMemo(t *testing.T, what string, pr *catalog.Printer, v *bot.PollView, r *discordgo.InteractionResponse) {
	t.Helper()
	want, _ := appendResponse(nil, r)
	for try := range 2 {
		u := newPollUpdate(pr, v)
		mr := u.response()
		comps := mr.Data.Components
		if v.Status == polls.StatusOpen {
			if _, ok := comps[0].(encodedComponent); !ok {
				t.Fatalf("%s: memo %d holds %T, not encoded components", what, try, comps[0])
			}
		}
		got, ok := appendResponse(nil, mr)
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("%s: with the memo (%d) the answer is\n%s\nwant\n%s", what, try, got, want)
		}
		sameJSON(t, what+" memo answer", got, mr)
		direct, _, ok := u.appendTo([]byte("prefix"), nil)
		switch {
		case !ok && len(v.Summary) == 0:
			t.Fatalf("%s: the open poll's answer was not written straight from the view", what)
		case ok && !bytes.Equal(direct, append([]byte("prefix"), want...)):
			t.Fatalf("%s: written straight from the view, the answer is\n%s\nwant\n%s", what, direct[len("prefix"):], want)
		}
	}
}

// TestWireMatchesDiscordgo renders real polls (buttons, the select menu of
// many themes, ranked, closed, hostile titles and labels) and replies
// (text, long text split into embeds, the group picker, reports) and
// holds the hand encoders to encoding/json's encoding of the same values.
func TestWireMatchesDiscordgo(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c)})
	ctx := context.Background()
	pr := h.engine.Printer()
	hostile := "\"quoted\" \\ back <b>&amp;</b> \u2028\u2029 \x01\x1f \xff\xfe tab\t é 🗳️ [x](https://evil.example) @everyone"
	// Titles and themes refuse control characters and invalid UTF-8.
	safe := "\"quoted\" \\ back <b>&amp;</b> é 🗳️ [x](https://evil.example) @everyone"
	var many []string
	for i := 1; i <= 25; i++ {
		many = append(many, fmt.Sprintf("Theme %02d <&> é [x] %d", i, i*i))
	}
	cases := [][]opt{
		{str("title", "Plain"), str("themes", "A; B")},
		{str("title", safe), str("themes", "Roads; Water; Schools; Clinics; Broadband; "+safe)},
		{str("title", "Many"), str("themes", strings.Join(many, "; "))},
		{str("title", "Order"), str("themes", "A; B; C"), str("kind", "ranked")},
	}
	for i, o := range cases {
		id, msgID := openPoll(t, h, o...)
		// A vote, so counts and bars show; the answer's own follow-up is
		// compared as it is laid out.
		var in map[string]any
		if i == 2 {
			in = h.click(bob, msgID, idSelect+id, "1", "3")
		} else {
			in = h.click(bob, msgID, bot.VoteAction(id, 0))
		}
		h.interact(t, in)
		for _, close := range []bool{false, true} {
			if close {
				h.interact(t, h.command(alice, "close", str("poll", id)))
			}
			v, err := h.engine.PollView(ctx, polls.Key{Tenant: tenantPrefix + testGuild, ID: id})
			if err != nil {
				t.Fatal(err)
			}
			embeds, comps := pollMessageIn(pr, v)
			r := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: &discordgo.InteractionResponseData{
				Embeds: embeds, Components: comps, AllowedMentions: noMentions(),
			}}
			m := msg{embeds: embeds, components: comps, ephemeral: true}
			checkWire(t, fmt.Sprintf("poll %d closed=%v", i, close), r, m)
			checkMemo(t, fmt.Sprintf("poll %d closed=%v", i, close), pr, v, r)
		}
		rep := h.engine.Handle(ctx, bot.Request{Platform: Platform, Tenant: tenantPrefix + testGuild, User: alice.id, Channel: testChannel}, bot.Report{Poll: id})
		for j, rp := range rep.Replies {
			m := messageIn(pr, rp)
			checkWire(t, fmt.Sprintf("report %d/%d", i, j), &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m.responseData()}, m)
		}
	}
	replies := []bot.Reply{
		{Visibility: bot.Ephemeral, Text: "Your ballot: " + hostile},
		{Visibility: bot.Public, Text: strings.Repeat(hostile+"\n", 200)},
		{Visibility: bot.Ephemeral, Text: "", Picker: &bot.GroupPicker{Prompt: "Pick " + hostile, Options: []bot.Control{{ID: bot.GroupAction("government"), Label: hostile}, {ID: bot.GroupAction("academia"), Label: "Academia"}}}},
		{Visibility: bot.Ephemeral, Text: "\x00"},
	}
	for i, rp := range replies {
		m := messageIn(pr, rp)
		checkWire(t, fmt.Sprintf("reply %d", i), &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: m.responseData()}, m)
		m.components = []discordgo.MessageComponent{}
		checkWire(t, fmt.Sprintf("picked %d", i), &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage, Data: m.responseData()}, m)
	}
	for _, typ := range []discordgo.InteractionResponseType{discordgo.InteractionResponsePong, discordgo.InteractionResponseDeferredMessageUpdate} {
		checkWire(t, "bare", &discordgo.InteractionResponse{Type: typ}, msg{})
	}
	checkWire(t, "deferred", &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource, Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral}}, msg{})
}

// TestWireFallsBack: what the hand encoders do not know (a modal,
// autocomplete choices, files, a text input) is left to encoding/json.
func TestWireFallsBack(t *testing.T) {
	p := &polls.Poll{ID: "K7AB", Title: "T", Themes: []polls.Theme{{Label: "A"}, {Label: "B"}}}
	for name, r := range map[string]*discordgo.InteractionResponse{
		"modal":        rankModal(p),
		"autocomplete": autocomplete([]*discordgo.ApplicationCommandOptionChoice{{Name: "x", Value: "x"}}),
		"text input":   {Type: 4, Data: &discordgo.InteractionResponseData{Components: []discordgo.MessageComponent{discordgo.TextInput{CustomID: "x"}}}},
		"image":        {Type: 4, Data: &discordgo.InteractionResponseData{Embeds: []*discordgo.MessageEmbed{{Image: &discordgo.MessageEmbedImage{URL: "u"}}}}},
		"nil":          nil,
	} {
		if _, ok := appendResponse(nil, r); ok {
			t.Errorf("%s: encoded by hand", name)
		}
	}
	if _, ok := appendWebhook(nil, &discordgo.WebhookParams{Files: []*discordgo.File{{Name: "a"}}}); ok {
		t.Error("a follow-up with files encoded by hand")
	}
}

// FuzzWireEncoding holds appendString, and the encoders around it, to
// encoding/json for any strings in every place pollbot puts text.
//
//	go test -run '^$' -fuzz='^FuzzWireEncoding$' -fuzztime=1m ./bot/discord
func FuzzWireEncoding(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/\b\f\n\r\t", "\x00\x1f\x7f", "<>&", "\u2028\u2029", "\xff", "\xed\xa0\x80", "é🗳️\ufffd", "\xc3"} {
		f.Add(s, s+"x", 3, true)
	}
	f.Fuzz(func(t *testing.T, a, b string, n int, flag bool) {
		one := 1
		row := discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: a, Style: discordgo.ButtonStyle(n % 5), CustomID: b, Disabled: flag, ID: n % 3},
			discordgo.Button{Label: b, URL: a, Emoji: &discordgo.ComponentEmoji{Name: a, Animated: flag}},
		}}
		sel := discordgo.SelectMenu{MenuType: discordgo.SelectMenuType(n % 9), CustomID: a, Placeholder: b, MinValues: &one, MaxValues: n % 26,
			Options: []discordgo.SelectMenuOption{{Label: a, Value: b, Description: a, Default: flag}, {Value: a, Emoji: &discordgo.ComponentEmoji{ID: b}}}}
		var comps []discordgo.MessageComponent
		if n%4 != 0 {
			comps = []discordgo.MessageComponent{row, discordgo.ActionsRow{Components: []discordgo.MessageComponent{sel}, ID: n % 2}}
		}
		embeds := []*discordgo.MessageEmbed{{
			Title: a, Description: b, Color: n, URL: b, Timestamp: a, Type: discordgo.EmbedType(b),
			Footer: &discordgo.MessageEmbedFooter{Text: a, IconURL: b},
			Fields: []*discordgo.MessageEmbedField{{Name: a, Value: b, Inline: flag}, {Name: b, Value: a}},
		}, {Description: a}, {}}
		if n%5 == 0 {
			embeds = nil
		}
		mentions := &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{discordgo.AllowedMentionType(a)}, Users: []string{b}, RepliedUser: flag}
		r := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseType(n % 8), Data: &discordgo.InteractionResponseData{
			Content: a, Embeds: embeds, Components: comps, AllowedMentions: mentions, Flags: discordgo.MessageFlags(n), TTS: flag,
		}}
		wire, ok := appendResponse(nil, r)
		if !ok {
			t.Fatalf("refused %+v", r)
		}
		sameJSON(t, "answer", wire, r)
		p := &discordgo.WebhookParams{Content: b, Username: a, TTS: flag, Embeds: embeds, Components: comps, AllowedMentions: noMentions(), Flags: discordgo.MessageFlags(n), ThreadName: a}
		wire, ok = appendWebhook(nil, p)
		if !ok {
			t.Fatalf("refused %+v", p)
		}
		sameJSON(t, "follow-up", wire, p)
		// A string alone: exactly encoding/json's decoded value.
		var got, want string
		err := json.Unmarshal(appendString(nil, a), &got)
		enc, _ := json.Marshal(a)
		_ = json.Unmarshal(enc, &want)
		if err != nil || got != want {
			t.Errorf("appendString(%q) decodes to %q (%v), encoding/json's to %q", a, got, err, want)
		}
	})
}

// FuzzPollUpdateWire holds a vote's answer written straight from the
// poll's view (pollUpdate.appendTo) to the bytes appendResponse writes for
// the same answer built as discordgo's values, for any text in every
// place a view carries it, any status and counts, results shown or
// hidden, and descriptions long enough to be clipped; and appendTo may
// decline only for the reasons it gives.
//
//	go test -run '^$' -fuzz='^FuzzPollUpdateWire$' -fuzztime=1m ./bot/discord
func FuzzPollUpdateWire(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\/\b\f\n\r\t", "\x00\x1f\x7f", "<>&*_`", "\u2028\u2029", "\xff", "é🗳️\ufffd", "\xc3", "line\n\n"} {
		f.Add(s, s+"x", "Open · closes Wed", 3, true)
		f.Add(s+"\n", s, "", 70, false)
	}
	f.Add("title", "long label", "Open", 66, true) // clipped: appendTo declines
	f.Add("title", "label", "Closed", 77, true)    // a summary: appendTo declines
	f.Fuzz(func(t *testing.T, a, b, status string, n int, flag bool) {
		statuses := []polls.Status{polls.StatusOpen, polls.StatusClosed, polls.StatusCancelled}
		v := &bot.PollView{
			ID: "K7QX", Title: a, Kind: []polls.Kind{polls.Approval, polls.Single, polls.Ranked}[uint(n)%3],
			KindText: b, Status: statuses[uint(n/3)%3], StatusText: status,
			ResultsVisible: flag, Ballots: int64(n), ParticipationText: b, Footer: a + b,
		}
		if !flag {
			v.HiddenNote = a
		}
		themes := 1 + int(uint(n)%7)
		if n%13 == 0 {
			themes = 25
		}
		label := b
		if n%11 == 0 {
			label = strings.Repeat(b+"é", 300) // past the description's 4096 characters
		}
		for i := range themes {
			v.Themes = append(v.Themes, bot.ThemeLine{Number: i + 1, Label: label, CountText: a, Bar: bot.Bar(float64(i)/float64(themes), 10)})
			v.Controls = append(v.Controls, bot.Control{ID: bot.VoteAction(v.ID, i), Label: label})
		}
		if n%5 == 0 {
			v.Themes[0].Badge = a
		}
		if n%7 == 0 {
			v.Summary = []string{a, b}
		}
		pr := catalog.English()
		u := newPollUpdate(pr, v)
		want, ok := appendResponse(nil, u.response())
		if !ok {
			t.Fatalf("appendResponse refused the answer of %+v", v)
		}
		got, desc, ok := u.appendTo([]byte("prefix"), make([]byte, 0, 8))
		if !ok {
			trimmed := strings.TrimRight(string(desc), "\n")
			if len(v.Summary) == 0 && utf8.RuneCountInString(trimmed) <= maxEmbedDesc {
				t.Fatalf("appendTo declined %+v", v)
			}
			return
		}
		if !bytes.Equal(got, append([]byte("prefix"), want...)) {
			t.Fatalf("written straight from the view:\n%s\nwant\n%s", got[len("prefix"):], want)
		}
	})
}
