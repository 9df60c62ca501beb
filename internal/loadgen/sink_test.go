package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/slack-go/slack"
)

func startSink(t *testing.T, cfg SinkConfig) *Sink {
	t.Helper()
	s, err := StartSink(ctx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSinkAnswersSlackGo(t *testing.T) {
	sink := startSink(t, SinkConfig{})
	api := slack.New(DefaultSlackBotToken, slack.OptionAPIURL(sink.SlackAPIURL()))

	if _, err := api.AuthTestContext(ctx(t)); err != nil {
		t.Fatalf("auth.test: %v", err)
	}
	blocks := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Poll K7QX*", false, false), nil, nil),
		slack.NewActionBlock("b1",
			slack.NewButtonBlockElement("pollbot:vote:K7QX:1", "pollbot:vote:K7QX:1", slack.NewTextBlockObject("plain_text", "Vote 1", false, false)),
			slack.NewButtonBlockElement("pollbot:vote:K7QX:2", "pollbot:vote:K7QX:2", slack.NewTextBlockObject("plain_text", "Vote 2", false, false))),
	}
	channel, ts, err := api.PostMessageContext(ctx(t), DefaultSlackChannel, slack.MsgOptionText("Poll K7QX", false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatalf("chat.postMessage: %v", err)
	}
	if channel != DefaultSlackChannel || ts == "" {
		t.Errorf("chat.postMessage = %q %q", channel, ts)
	}
	msgs := sink.Messages(PlatformSlack)
	if len(msgs) != 1 || msgs[0].ID != ts || msgs[0].Channel != channel || strings.Join(msgs[0].Polls(), ",") != "K7QX" ||
		strings.Join(msgs[0].ActionIDs, ",") != "pollbot:vote:K7QX:1,pollbot:vote:K7QX:2" {
		t.Fatalf("messages = %+v", msgs)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx(t), channel, ts, slack.MsgOptionText("Poll K7QX closed", false)); err != nil {
		t.Fatalf("chat.update: %v", err)
	}
	if m := sink.Messages(PlatformSlack)[0]; m.Edits != 1 || !strings.Contains(m.Text, "closed") {
		t.Errorf("after chat.update: %+v", m)
	}
	// An edit of a message posted before the sink started is recorded
	// from the edit.
	old := slack.NewActionBlock("b1", slack.NewButtonBlockElement("pollbot:vote:OLD1:1", "pollbot:vote:OLD1:1", slack.NewTextBlockObject("plain_text", "Vote 1", false, false)))
	if _, _, _, err := api.UpdateMessageContext(ctx(t), channel, "1.2", slack.MsgOptionBlocks(old)); err != nil {
		t.Errorf("chat.update of a message the sink never saw: %v", err)
	}
	if msgs := sink.Messages(PlatformSlack); len(msgs) != 2 || msgs[1].ID != "1.2" || !msgs[1].Posted.IsZero() || msgs[1].Edits != 1 || strings.Join(msgs[1].Polls(), ",") != "OLD1" {
		t.Errorf("messages after an edit of an unknown one: %+v", msgs)
	}
	if _, err := api.PostEphemeralContext(ctx(t), channel, "U1", slack.MsgOptionText("psst", false)); err != nil {
		t.Errorf("chat.postEphemeral: %v", err)
	}
	if _, err := api.OpenViewContext(ctx(t), "trigger", slack.ModalViewRequest{Type: slack.VTModal, Title: slack.NewTextBlockObject("plain_text", "Rank", false, false)}); err != nil {
		t.Errorf("views.open: %v", err)
	}
	if _, _, _, err := api.OpenConversationContext(ctx(t), &slack.OpenConversationParameters{Users: []string{"U1"}}); err != nil {
		t.Errorf("conversations.open: %v", err)
	}
	if _, err := api.UploadFileContext(ctx(t), slack.UploadFileParameters{Reader: strings.NewReader("a,b\n"), FileSize: 4, Filename: "tally.csv", Channel: "D1"}); err != nil {
		t.Errorf("file upload: %v", err)
	}

	// Confirmations through the response_url, attributed to the user in
	// its path.
	for _, text := range []string{"first", "Your ballot in poll K7QX: A."} {
		url := sink.SlackResponseURL() + "/U42/7"
		if err := slack.PostWebhookContext(ctx(t), url, &slack.WebhookMessage{ResponseType: "ephemeral", Text: text}); err != nil {
			t.Fatalf("response_url: %v", err)
		}
	}
	if c := sink.Confirmation(PlatformSlack, "U42"); c.Count != 2 || c.Last != "Your ballot in poll K7QX: A." {
		t.Errorf("confirmation = %+v", c)
	}
	if err := sink.WaitConfirmations(ctx(t), PlatformSlack, 2); err != nil {
		t.Error(err)
	}
	calls := sink.Calls()
	for _, ep := range []string{"slack auth.test", "slack chat.postMessage", "slack chat.update", "slack chat.postEphemeral",
		"slack views.open", "slack conversations.open", "slack files.getUploadURLExternal", "slack upload",
		"slack files.completeUploadExternal"} {
		if calls[ep] == 0 {
			t.Errorf("no %q call counted: %v", ep, calls)
		}
	}
	if calls["slack response_url"] != 2 {
		t.Errorf("calls = %v", calls)
	}

	// Quiet mode counts without keeping texts.
	sink.SetQuiet(true)
	if err := slack.PostWebhookContext(ctx(t), sink.SlackResponseURL()+"/U43/8", &slack.WebhookMessage{Text: "secret"}); err != nil {
		t.Fatal(err)
	}
	if c := sink.Confirmation(PlatformSlack, "U43"); c.Count != 1 || c.Last != "" {
		t.Errorf("quiet confirmation = %+v", c)
	}
	if sink.ConfirmationTotal(PlatformSlack) != 3 {
		t.Errorf("total %d", sink.ConfirmationTotal(PlatformSlack))
	}
	sink.Reset()
	if sink.ConfirmationTotal(PlatformSlack) != 0 || len(sink.Messages(PlatformSlack)) != 0 || len(sink.Calls()) != 0 {
		t.Error("Reset left state behind")
	}
}

// rewrite points discordgo's REST calls (built on discordgo.EndpointAPI)
// at the sink, as pollbot's DISCORD_API_URL does.
type rewrite struct{ api string }

func (rw rewrite) RoundTrip(r *http.Request) (*http.Response, error) {
	if rest, ok := strings.CutPrefix(r.URL.String(), discordgo.EndpointAPI); ok {
		r = r.Clone(r.Context())
		u, err := r.URL.Parse(rw.api + rest)
		if err != nil {
			return nil, err
		}
		r.URL, r.Host = u, u.Host
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestSinkAnswersDiscordgo(t *testing.T) {
	sink := startSink(t, SinkConfig{DiscordRoles: map[string]map[string]string{DefaultDiscordGuild: {"400000000000000004": "Government"}}})
	s, err := discordgo.New("Bot " + DefaultDiscordBotToken)
	if err != nil {
		t.Fatal(err)
	}
	s.Client = &http.Client{Transport: rewrite{sink.DiscordAPIURL()}}

	cmds := []*discordgo.ApplicationCommand{{Name: "poll", Description: "Consensus polls", Options: []*discordgo.ApplicationCommandOption{
		{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "help", Description: "Help"},
	}}}
	for _, guild := range []string{"", DefaultDiscordGuild} {
		got, err := s.ApplicationCommandBulkOverwrite(DefaultDiscordApp, guild, cmds, discordgo.WithContext(ctx(t)))
		if err != nil {
			t.Fatalf("bulk overwrite (guild %q): %v", guild, err)
		}
		if len(got) != 1 || got[0].ID == "" || got[0].Name != "poll" || got[0].ApplicationID != DefaultDiscordApp || got[0].GuildID != guild {
			t.Errorf("bulk overwrite answered %+v", got[0])
		}
	}
	if n := sink.Calls()["discord PUT commands"]; n != 2 {
		t.Errorf("PUT commands counted %d times", n)
	}

	roles, err := s.GuildRoles(DefaultDiscordGuild, discordgo.WithContext(ctx(t)))
	if err != nil || len(roles) != 1 || roles[0].Name != "Government" {
		t.Errorf("guild roles = %+v, %v", roles, err)
	}

	sent, err := s.ChannelMessageSendComplex(DefaultDiscordChannel, &discordgo.MessageSend{
		Embeds: []*discordgo.MessageEmbed{{Title: "Poll K7QX"}},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "1", CustomID: "pollbot:vote:K7QX:1"},
			discordgo.Button{Label: "Withdraw", CustomID: "pollbot:dc:unvote:K7QX"},
		}}},
	}, discordgo.WithContext(ctx(t)))
	if err != nil {
		t.Fatalf("create message: %v", err)
	}
	m, err := sink.WaitMessage(ctx(t), PlatformDiscord, func(m Message) bool { return len(m.Polls()) > 0 })
	if err != nil || m.ID != sent.ID || m.Channel != DefaultDiscordChannel || strings.Join(m.Polls(), ",") != "K7QX" {
		t.Fatalf("message %+v, %v", m, err)
	}
	embeds := []*discordgo.MessageEmbed{{Title: "Poll K7QX · closed"}}
	if _, err := s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: sent.ID, Channel: sent.ChannelID, Embeds: &embeds}, discordgo.WithContext(ctx(t))); err != nil {
		t.Fatalf("edit message: %v", err)
	}
	if m := sink.Messages(PlatformDiscord)[0]; m.Edits != 1 || !strings.Contains(m.Text, "closed") {
		t.Errorf("after edit: %+v", m)
	}

	// Follow-ups of an interaction from member 500…1 count for them.
	in := &discordgo.Interaction{AppID: DefaultDiscordApp, Token: interactionToken("500000000000000001", 9)}
	if _, err := s.FollowupMessageCreate(in, false, &discordgo.WebhookParams{Content: "Your ballot", Flags: discordgo.MessageFlagsEphemeral}); err != nil {
		t.Fatalf("follow-up: %v", err)
	}
	msg, err := s.FollowupMessageCreate(in, true, &discordgo.WebhookParams{Content: "Again"})
	if err != nil || msg == nil || msg.ID == "" {
		t.Fatalf("follow-up with wait: %+v, %v", msg, err)
	}
	if c := sink.Confirmation(PlatformDiscord, "500000000000000001"); c.Count != 2 || c.Last != "Again" {
		t.Errorf("confirmation %+v", c)
	}
	orig, err := s.InteractionResponse(in)
	if err != nil || orig.ID == "" {
		t.Fatalf("@original: %+v, %v", orig, err)
	}
	again, _ := s.InteractionResponse(in)
	if again == nil || again.ID != orig.ID {
		t.Errorf("@original id changed: %v then %v", orig.ID, again)
	}
	if _, err := s.InteractionResponseEdit(in, &discordgo.WebhookEdit{Content: ptr("edited")}); err != nil {
		t.Errorf("edit @original: %v", err)
	}

	// A token-less request is refused as Discord would.
	req, _ := http.NewRequest(http.MethodPost, sink.DiscordAPIURL()+"channels/1/messages", strings.NewReader(`{}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unauthenticated create: HTTP %d", resp.StatusCode)
	}
	// Unknown endpoints are counted, so a run can report what it missed.
	resp, err = http.Get(sink.DiscordAPIURL() + "gateway/bot")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || sink.Calls()["unknown GET /discord/api/v10/gateway/bot"] != 1 {
		t.Errorf("unknown endpoint: HTTP %d, calls %v", resp.StatusCode, sink.Calls())
	}
}

func ptr[T any](v T) *T { return &v }

// TestSinkConfirmationLags follows a click to its confirmation: a server
// that confirms every click as pollbot does (a Slack response_url post, a
// Discord follow-up), and the sink's lag from the moment the click was
// due. Confirmations of requests that carry no due moment are counted
// without a lag.
func TestSinkConfirmationLags(t *testing.T) {
	sink := startSink(t, SinkConfig{Quiet: true})
	confirm := func(r *http.Request) error {
		switch r.URL.Path {
		case "/slack/interactions", "/slack/commands":
			if err := r.ParseForm(); err != nil {
				return err
			}
			u := r.PostForm.Get("response_url")
			if r.URL.Path == "/slack/interactions" {
				var cb slack.InteractionCallback
				if err := cb.UnmarshalJSON([]byte(r.PostForm.Get("payload"))); err != nil {
					return err
				}
				u = cb.ResponseURL
			}
			return slack.PostWebhookContext(r.Context(), u, &slack.WebhookMessage{ResponseType: "ephemeral", Text: "Your ballot"})
		case "/discord/interactions":
			var in discordgo.Interaction
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				return err
			}
			resp, err := http.Post(sink.DiscordAPIURL()+"webhooks/"+in.AppID+"/"+in.Token, "application/json", strings.NewReader(`{"content":"Your ballot","flags":64}`))
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				return fmt.Errorf("follow-up: HTTP %d", resp.StatusCode)
			}
		}
		return nil
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := confirm(r); err != nil {
			t.Errorf("%s: %v", r.URL.Path, err)
		}
		if r.URL.Path == "/discord/interactions" {
			_, _ = io.WriteString(w, `{"type":7,"data":{}}`)
		}
	}))
	t.Cleanup(srv.Close)

	s, err := NewSlack(ctx(t), SlackConfig{BaseURL: srv.URL, SigningSecret: testSecret, ResponseURL: sink.SlackResponseURL()})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDiscord(ctx(t), DiscordConfig{BaseURL: srv.URL, PrivateKey: testKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().Add(-30 * time.Millisecond)
	if _, err := s.ClickAt(ctx(t), due, "U1", "pollbot:vote:K7QX:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Command(ctx(t), "U1", "group academia"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ClickAt(ctx(t), due, Member{ID: "7001"}, "900000000000000001", "pollbot:vote:K7QX:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Click(ctx(t), Member{ID: "7001"}, "900000000000000001", "pollbot:vote:K7QX:2"); err != nil {
		t.Fatal(err)
	}
	for p, n := range map[Platform]int64{PlatformSlack: 2, PlatformDiscord: 2} {
		if err := sink.WaitConfirmations(ctx(t), p, n); err != nil {
			t.Fatal(err)
		}
	}
	for p, want := range map[Platform]int64{PlatformSlack: 1, PlatformDiscord: 2} {
		lags := sink.TakeConfirmationLags(p)
		if lags.Count() != want || lags.Max() < 30*time.Millisecond || lags.Max() > 10*time.Second {
			t.Errorf("%s: %d lags, max %v; want %d, the slowest at least 30ms", p, lags.Count(), lags.Max(), want)
		}
		if again := sink.TakeConfirmationLags(p); again.Count() != 0 {
			t.Errorf("%s: a second take has %d lags", p, again.Count())
		}
	}
	if c := sink.Confirmation(PlatformDiscord, "7001"); c.Count != 2 {
		t.Errorf("the follow-ups were not attributed to their user: %+v", c)
	}
}

// TestSinkRefusals: a click confirmed with anything but a ballot is
// counted as refused, in quiet mode too, with the text of the last.
func TestSinkRefusals(t *testing.T) {
	sink := startSink(t, SinkConfig{})
	const refusal = "Sorry, pollbot could not reach its store just now. Please try again in a moment; a vote is never counted twice."
	for _, quiet := range []bool{false, true} {
		sink.SetQuiet(quiet)
		for _, text := range []string{"Your ballot in poll K7QX: A. Counted for Academia.", "You no longer have a ballot in poll K7QX.", refusal} {
			if err := slack.PostWebhookContext(ctx(t), sink.SlackResponseURL()+"/U1/1", &slack.WebhookMessage{ResponseType: "ephemeral", Text: text,
				Blocks: &slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject("plain_text", text, true, false), nil, nil)}}}); err != nil {
				t.Fatal(err)
			}
			resp, err := http.Post(sink.DiscordAPIURL()+"webhooks/"+DefaultDiscordApp+"/lg-7001-1", "application/json",
				strings.NewReader(fmt.Sprintf(`{"content":%q,"flags":64}`, text)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	for _, p := range []Platform{PlatformSlack, PlatformDiscord} {
		if n, last := sink.Refusals(p); n != 2 || last != refusal {
			t.Errorf("%s: %d refusals, the last %q; want 2, %q", p, n, last, refusal)
		}
	}
	sink.Reset()
	if n, _ := sink.Refusals(PlatformSlack); n != 0 {
		t.Errorf("Reset kept %d refusals", n)
	}
}
