package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// embedText joins the titles, descriptions, fields and footers of a
// payload's embeds.
func embedText(payload map[string]any) string {
	var b strings.Builder
	embeds, _ := payload["embeds"].([]any)
	for _, e := range embeds {
		m, _ := e.(map[string]any)
		for _, k := range []string{"title", "description"} {
			if s, ok := m[k].(string); ok {
				b.WriteString(s + "\n")
			}
		}
		fields, _ := m["fields"].([]any)
		for _, f := range fields {
			fm, _ := f.(map[string]any)
			fmt.Fprintf(&b, "%v: %v\n", fm["name"], fm["value"])
		}
		if f, ok := m["footer"].(map[string]any); ok {
			fmt.Fprintf(&b, "%v\n", f["text"])
		}
	}
	return b.String()
}

// customIDs lists the components of a payload: buttons and selects with
// their option values.
func customIDs(payload map[string]any) []string {
	var out []string
	rows, _ := payload["components"].([]any)
	for _, r := range rows {
		rm, _ := r.(map[string]any)
		cs, _ := rm["components"].([]any)
		for _, c := range cs {
			cm, _ := c.(map[string]any)
			id, _ := cm["custom_id"].(string)
			if opts, ok := cm["options"].([]any); ok {
				id += fmt.Sprintf("[%d options, max %v]", len(opts), cm["max_values"])
			}
			out = append(out, id)
		}
	}
	return out
}

func rowCount(payload map[string]any) int {
	rows, _ := payload["components"].([]any)
	return len(rows)
}

func mustContain(t testing.TB, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: want %q in:\n%s", what, w, got)
		}
	}
}

func tally(t testing.TB, h *harness, id string) polls.Tally {
	t.Helper()
	_, tl, err := h.svc.Tally(context.Background(), "discord:"+testGuild, id)
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

// openPoll opens a poll as alice and returns its id and message id.
func openPoll(t testing.TB, h *harness, opts ...opt) (string, string) {
	t.Helper()
	before := len(h.fake.createdMessages())
	r := h.interact(t, h.command(alice, "open", opts...))
	if r.Type != 4 || r.flags() != 64 {
		t.Fatalf("open: want an ephemeral type 4 answer, got type %d flags %d: %v", r.Type, r.flags(), r.Data)
	}
	mustContain(t, "open confirmation", r.content(), "is open")
	created := h.fake.createdMessages()
	if len(created) != before+1 {
		t.Fatalf("open: want the poll posted in the channel, %d messages created", len(created)-before)
	}
	msg := created[len(created)-1]
	id := strings.Fields(strings.TrimPrefix(r.content(), "Poll "))[0]
	mustContain(t, "poll message", embedText(msg.Payload), "Open", "Poll "+id)
	return id, msg.ID
}

// settle waits until the coalescer has nothing pending or in flight and
// returns how many renders it did.
func settle(t testing.TB, h *harness) int64 {
	t.Helper()
	var last int64 = -1
	waitFor(t, "coalescer to settle", func() bool {
		s := h.adapter.Coalescer().Stats()
		stable := h.adapter.Coalescer().Pending() == 0 && s.Rendered == last
		last = s.Rendered
		if !stable {
			time.Sleep(30 * time.Millisecond) // longer than the edit interval
		}
		return stable
	})
	return last
}

// TestGatewayJourney runs a whole poll through a real discordgo gateway
// session against the fake Discord, on the embedded store.
func TestGatewayJourney(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	h := newHarness(t, c, harnessOpts{store: boltStore(t, c), guildID: testGuild})

	// One bulk overwrite on the guild, with every subcommand.
	h.fake.mu.Lock()
	reg := h.fake.commands
	h.fake.mu.Unlock()
	if len(reg) != 1 || !strings.HasSuffix(reg[0].Path, "/guilds/"+testGuild+"/commands") {
		t.Fatalf("registration: %+v", reg)
	}
	cmds := reg[0].Payload["commands"].([]map[string]any)
	poll := cmds[0]
	var subs []string
	for _, s := range poll["options"].([]any) {
		subs = append(subs, s.(map[string]any)["name"].(string))
	}
	if got := strings.Join(subs, " "); got != "open preset list vote unvote group assign close reopen cancel extend remind report export timeline screen help" {
		t.Errorf("subcommands: %s", got)
	}

	id, msgID := openPoll(t, h, str("title", "Theme for 2027"), str("themes", `"DNSSEC" "DNS abuse"; Routing security`), str("closes", "2h"))
	created := h.fake.createdMessages()
	if ids := customIDs(created[0].Payload); strings.Join(ids, ",") != fmt.Sprintf("pollbot:vote:%s:1,pollbot:vote:%s:2,pollbot:vote:%s:3,%s%s", id, id, id, idUnvote, id) {
		t.Errorf("poll buttons: %v", ids)
	}

	// bob's role maps by name: his click counts at once, answered with
	// type 7 and an ephemeral confirmation.
	r := h.interact(t, h.click(bob, msgID, bot.VoteAction(id, 0)))
	if r.Type != 7 {
		t.Fatalf("click: want type 7, got %d %v", r.Type, r.Data)
	}
	mustContain(t, "updated poll", embedText(r.Data), "1 vote", "Government 1")
	fu := h.fake.followupsFor(t, r.Token, 1)
	if fu[0].flags() != 64 {
		t.Errorf("confirmation flags = %d, want 64", fu[0].flags())
	}
	mustContain(t, "confirmation", fu[0].str("content"), "Your ballot in poll "+id+": DNSSEC.", "Counted for Government")

	// Changing the vote: a second theme, then the first one off again.
	h.interact(t, h.click(bob, msgID, bot.VoteAction(id, 1)))
	r = h.interact(t, h.click(bob, msgID, bot.VoteAction(id, 0)))
	mustContain(t, "changed ballot", h.fake.followupsFor(t, r.Token, 1)[0].str("content"), "Your ballot in poll "+id+": DNS abuse.")

	// carol's role maps by id.
	r = h.interact(t, h.click(carol, msgID, bot.VoteAction(id, 1)))
	mustContain(t, "carol", h.fake.followupsFor(t, r.Token, 1)[0].str("content"), "Counted for Civil society")

	// dave has no group: he is asked privately; his vote lands when he picks.
	r = h.interact(t, h.click(dave, msgID, bot.VoteAction(id, 2)))
	if r.Type != 4 || r.flags() != 64 {
		t.Fatalf("held vote: want an ephemeral message, got type %d flags %d", r.Type, r.flags())
	}
	if ids := customIDs(r.Data); len(ids) != 1 || !strings.HasPrefix(ids[0], idPickGroup+"[6 options") {
		t.Fatalf("group picker: %v", ids)
	}
	if n := tally(t, h, id).Total(); n != 2 {
		t.Fatalf("before the pick: %d ballots, want 2", n)
	}
	r = h.interact(t, h.click(dave, "ephemeral-1", idPickGroup, bot.GroupAction("academia")))
	if r.Type != 7 {
		t.Fatalf("pick: want type 7, got %d", r.Type)
	}
	mustContain(t, "pick", r.content(), "Academia", "held vote is now counted", "Routing security")
	if len(customIDs(r.Data)) != 0 {
		t.Errorf("the picker should be gone after the pick: %v", customIDs(r.Data))
	}

	// erin declares a group and votes by text.
	r = h.interact(t, h.command(erin, "group", str("group", "technical-community")))
	mustContain(t, "group", r.content(), "Technical community")
	r = h.interact(t, h.command(erin, "vote", str("poll", strings.ToLower(id)), str("themes", "1,3")))
	mustContain(t, "text vote", r.content(), "DNSSEC; Routing security")

	// The message edits converge on the final state.
	settle(t, h)
	edits := h.fake.editsOf(msgID)
	if len(edits) == 0 {
		t.Fatal("the poll message was never edited")
	}
	mustContain(t, "last edit", embedText(edits[len(edits)-1].Payload), "Ballots: 4", "Academia 1", "Technical community 1")

	// Close by deadline: one announcement, one edit of the poll message.
	before, rendered := len(edits), settle(t, h)
	c.Add(3 * time.Hour)
	sched := bot.NewScheduler(h.engine, h.adapter, time.Hour)
	if n, err := sched.Tick(context.Background()); err != nil || n != 1 {
		t.Fatalf("Tick = %d, %v", n, err)
	}
	waitFor(t, "the closing edit", func() bool { return len(h.fake.editsOf(msgID)) >= before+1 })
	if got := settle(t, h); got != rendered+1 {
		t.Errorf("renders after the close: %d, want 1", got-rendered)
	}
	edits = h.fake.editsOf(msgID)
	if len(edits) != before+1 {
		t.Errorf("poll message edited %d times at the close, want once", len(edits)-before)
	}
	last := edits[len(edits)-1]
	mustContain(t, "closed poll", embedText(last.Payload), "Closed", "full report")
	if rowCount(last.Payload) != 0 {
		t.Errorf("a closed poll keeps no controls: %v", customIDs(last.Payload))
	}
	ann := h.fake.createdMessages()
	mustContain(t, "announcement", ann[len(ann)-1].str("content"), "reached its deadline")

	// A click on the closed poll: a clear private answer, nothing stored.
	r = h.interact(t, h.click(frank, msgID, bot.VoteAction(id, 0)))
	if r.Type != 4 || r.flags() != 64 {
		t.Fatalf("click on closed poll: type %d flags %d", r.Type, r.flags())
	}
	mustContain(t, "closed poll click", r.content(), "closed")
	if n := tally(t, h, id).Total(); n != 4 {
		t.Errorf("ballots after a click on a closed poll: %d, want 4", n)
	}

	// Report: deferred, then the report embed with the chart attached.
	r = h.interact(t, h.command(bob, "report", str("poll", id)))
	if r.Type != 5 || r.flags() != 0 {
		t.Fatalf("report: want a public deferred answer, got type %d flags %d", r.Type, r.flags())
	}
	fu = h.fake.followupsFor(t, r.Token, 1)
	mustContain(t, "report", embedText(fu[0].Payload), "Consensus report: Theme for 2027", "#1")
	png := fu[0].Files[id+"-chart.png"]
	if !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("report: no PNG chart attached (files %v)", len(fu[0].Files))
	}

	// Export of the ballots: the facilitator alone gets the file.
	r = h.interact(t, h.command(alice, "export", str("poll", id), str("format", "csv"), opt{"ballots", 5, true}))
	if r.Type != 5 || r.flags() != 64 {
		t.Fatalf("export: want an ephemeral deferred answer, got type %d flags %d", r.Type, r.flags())
	}
	fu = h.fake.followupsFor(t, r.Token, 1)
	if fu[0].flags() != 64 {
		t.Errorf("export follow-up flags %d, want 64", fu[0].flags())
	}
	csv := string(fu[0].Files[id+"-ballots.csv"])
	if strings.Count(csv, "\n") != 5 {
		t.Errorf("ballots CSV: want a header and 4 rows:\n%s", csv)
	}
	// bob is no facilitator.
	r = h.interact(t, h.command(bob, "export", str("poll", id), opt{"ballots", 5, true}))
	fu = h.fake.followupsFor(t, r.Token, 1)
	mustContain(t, "export refused", fu[0].str("content"), "only facilitators")
	if len(fu[0].Files) != 0 {
		t.Error("a refused export carries no file")
	}

	// Role names came from the gateway's GUILD_CREATE, not from REST.
	h.fake.mu.Lock()
	defer h.fake.mu.Unlock()
	if h.fake.roleGets != 0 {
		t.Errorf("gateway mode fetched guild roles over REST %d times", h.fake.roleGets)
	}
}

// TestRunGatewayUnreachable checks that Run reports a gateway it cannot
// reach instead of hanging, and that WithGatewayURL is what it dials.
func TestRunGatewayUnreachable(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Now()}
	fake := newFakeDiscord(t, testApp, testToken)
	svc := polls.NewService(boltStore(t, c))
	a, err := New(bot.New(svc, bot.Config{}), Config{BotToken: testToken, AppID: testApp, APIURL: fake.APIURL()},
		WithGatewayURL("ws://127.0.0.1:1/gateway"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Run(context.Background()) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "discord gateway") {
			t.Errorf("Run = %v, want a gateway error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run hung on an unreachable gateway")
	}
}

// roundTripFunc is an http.RoundTripper from a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestRESTURLInErrors: an error of a REST call names the URL pollbot
// called: the documented default, https://discord.com/api/v10/, or
// DISCORD_API_URL, never the v9 URL discordgo builds before the transport
// points it elsewhere.
func TestRESTURLInErrors(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Now()}
	svc := polls.NewService(boltStore(t, c))
	var called []string
	noRoute := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		called = append(called, r.URL.String())
		return nil, errors.New("connect: no route to host")
	})}
	a, err := New(bot.New(svc, bot.Config{}), Config{BotToken: testToken, AppID: testApp, PublicKey: strings.Repeat("ab", 32)}, WithHTTPClient(noRoute))
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(context.Background())
	want := "https://discord.com/api/v10/applications/" + testApp + "/commands"
	if err == nil || !strings.Contains(err.Error(), `"`+want+`"`) || strings.Contains(err.Error(), "/v9/") {
		t.Errorf("Run = %v; want an error quoting %s", err, want)
	}
	if len(called) == 0 || called[0] != want {
		t.Errorf("called %v, want %s", called, want)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	api := "http://" + ln.Addr().String() + "/proxy/api/"
	ln.Close()
	a, err = New(bot.New(svc, bot.Config{}), Config{BotToken: testToken, AppID: testApp, PublicKey: strings.Repeat("ab", 32), APIURL: api})
	if err != nil {
		t.Fatal(err)
	}
	err = a.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), `"`+api+"applications/"+testApp+`/commands"`) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Run with DISCORD_API_URL %s = %v", api, err)
	}
}
