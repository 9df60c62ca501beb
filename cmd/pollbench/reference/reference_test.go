package reference

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/redis/go-redis/v9"
	"github.com/slack-go/slack"
)

const secret = "reference-test-secret"

// rig is a reference server on a throwaway redis-server, confirming to a
// sink, with Slack and Discord clients that sign as the platforms do.
type rig struct {
	rdb     *redis.Client
	sink    *loadgen.Sink
	srv     *Server
	url     string
	key     ed25519.PrivateKey
	slack   *loadgen.Slack
	discord *loadgen.Discord
}

const (
	slackTenant   = "slack:" + loadgen.DefaultSlackTeam
	discordTenant = "discord:" + loadgen.DefaultDiscordGuild
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newRig(t *testing.T) *rig {
	t.Helper()
	ctx := testCtx(t)
	rs := redistest.StartServer(t)
	opt, err := redis.ParseURL(rs.URL)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{rdb: redis.NewClient(opt), key: ed25519.NewKeyFromSeed(make([]byte, 32))}
	t.Cleanup(func() { r.rdb.Close() })
	if r.sink, err = loadgen.StartSink(ctx, loadgen.SinkConfig{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sink.Close() })
	r.srv, err = New(Config{
		Redis: r.rdb, SlackSigningSecret: secret, DiscordPublicKey: r.key.Public().(ed25519.PublicKey),
		ResponseURLPrefix: r.sink.SlackResponseURL(), DiscordAPIURL: r.sink.DiscordAPIURL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(r.srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		r.srv.Wait()
	})
	r.url = hs.URL
	if r.slack, err = loadgen.NewSlack(ctx, loadgen.SlackConfig{BaseURL: r.url, SigningSecret: secret, ResponseURL: r.sink.SlackResponseURL()}); err != nil {
		t.Fatal(err)
	}
	if r.discord, err = loadgen.NewDiscord(ctx, loadgen.DiscordConfig{BaseURL: r.url, PrivateKey: r.key}); err != nil {
		t.Fatal(err)
	}
	for _, tenant := range []string{slackTenant, discordTenant} {
		if err := CreatePoll(ctx, r.rdb, Poll{Tenant: tenant, ID: "REF1", Title: "Bench", Themes: []string{"A", "B", "C"}}); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func (r *rig) tally(t *testing.T, tenant string) map[string]string {
	t.Helper()
	got, err := r.rdb.HGetAll(testCtx(t), TallyKey(tenant, "REF1")).Result()
	if err != nil {
		t.Fatal(err)
	}
	for f, v := range got {
		if v == "0" {
			delete(got, f)
		}
	}
	return got
}

// slackClick clicks theme n (from 1) of REF1 as user and returns what the
// user was told.
func (r *rig) slackClick(t *testing.T, user string, n int) string {
	t.Helper()
	return r.slackAction(t, user, fmt.Sprintf("pollbot:vote:REF1:%d", n))
}

// slackAction clicks the control action as user and returns what the user
// was told.
func (r *rig) slackAction(t *testing.T, user, action string) string {
	t.Helper()
	before := r.sink.ConfirmationTotal(loadgen.PlatformSlack)
	rep, err := r.slack.Click(testCtx(t), user, action)
	if err != nil || rep.Err() != nil || len(rep.Body) != 0 {
		t.Fatalf("click: %+v, %v", rep, err)
	}
	if err := r.sink.WaitConfirmations(testCtx(t), loadgen.PlatformSlack, before+1); err != nil {
		t.Fatal(err)
	}
	return r.sink.Confirmation(loadgen.PlatformSlack, user).Last
}

func TestSlackVotes(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	if err := SetGroups(ctx, r.rdb, slackTenant, map[string]string{"U1": "civil-society", "U2": "academia"}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		user string
		n    int
		want string
	}{
		{"U1", 2, "Your ballot in poll REF1: B. Counted for Civil society."},
		{"U1", 1, "Your ballot in poll REF1: A; B. Counted for Civil society. (It replaces your previous ballot.)"},
		{"U1", 2, "Your ballot in poll REF1: A. Counted for Civil society. (It replaces your previous ballot.)"},
		{"U2", 3, "Your ballot in poll REF1: C. Counted for Academia."},
		{"U2", 3, "You no longer have a ballot in poll REF1."},
		{"U2", 3, "Your ballot in poll REF1: C. Counted for Academia."},
	} {
		if got := r.slackClick(t, step.user, step.n); got != step.want {
			t.Errorf("%s clicks %d: told %q, want %q", step.user, step.n, got, step.want)
		}
	}
	want := map[string]string{
		"0|civil-society": "1", "n|civil-society": "1", "0|*": "1",
		"2|academia": "1", "n|academia": "1", "2|*": "1",
		"n|*": "2", "v": "6",
	}
	if got := r.tally(t, slackTenant); !reflect.DeepEqual(got, want) {
		t.Errorf("tally %v, want %v", got, want)
	}
	// A voter whose group changed: the whole ballot moves.
	if err := SetGroups(ctx, r.rdb, slackTenant, map[string]string{"U1": "government"}); err != nil {
		t.Fatal(err)
	}
	if got := r.slackClick(t, "U1", 3); got != "Your ballot in poll REF1: A; C. Counted for Government. (It replaces your previous ballot.)" {
		t.Errorf("after the group change: told %q", got)
	}
	want = map[string]string{
		"0|government": "1", "2|government": "1", "n|government": "1", "0|*": "1",
		"2|academia": "1", "n|academia": "1", "2|*": "2",
		"n|*": "2", "v": "7",
	}
	if got := r.tally(t, slackTenant); !reflect.DeepEqual(got, want) {
		t.Errorf("tally after the group change %v, want %v", got, want)
	}
	if b, _ := r.rdb.HGetAll(ctx, BallotsKey(slackTenant, "REF1")).Result(); !reflect.DeepEqual(b, map[string]string{"U1": "government:5", "U2": "academia:4"}) {
		t.Errorf("ballots %v", b)
	}
}

// TestSlackConfirmationIsPollbots checks that the reference posts to the
// response_url what pollbot posts there: slack-go's encoding of the same
// ephemeral message.
func TestSlackConfirmationIsPollbots(t *testing.T) {
	text := `Your ballot in poll K7QX: "Quoted" & <angled>; Ünïcode. Counted for Civil society.`
	ours := appendSlackConfirmation(nil, esc(text))
	theirs, err := json.Marshal(&slack.WebhookMessage{
		ResponseType: slack.ResponseTypeEphemeral, Text: text,
		Blocks: &slack.Blocks{BlockSet: []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.PlainTextType, text, true, false), nil, nil)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(ours, &a); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, ours)
	}
	if err := json.Unmarshal(theirs, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("reference posts\n%s\nslack-go posts\n%s", ours, theirs)
	}
}

func TestDiscordVotes(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	if err := SetGroups(ctx, r.rdb, discordTenant, map[string]string{"7001": "academia", "7002": "government"}); err != nil {
		t.Fatal(err)
	}
	// An update answer's data is a message, which discordgo reads with its
	// components.
	type answer struct {
		Type            discordgo.InteractionResponseType
		Data            *discordgo.Message
		AllowedMentions *discordgo.MessageAllowedMentions
	}
	click := func(user string, n int) *answer {
		t.Helper()
		before := r.sink.ConfirmationTotal(loadgen.PlatformDiscord)
		rep, err := r.discord.Click(ctx, loadgen.Member{ID: user}, "900000000000000001", fmt.Sprintf("pollbot:vote:REF1:%d", n))
		if err != nil || rep.Err(7) != nil {
			t.Fatalf("click: %+v, %v", rep, err)
		}
		var raw struct {
			Type discordgo.InteractionResponseType `json:"type"`
			Data json.RawMessage                   `json:"data"`
		}
		resp := &answer{Data: new(discordgo.Message)}
		var mentions struct {
			AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
		}
		if err := json.Unmarshal(rep.Body, &raw); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, rep.Body)
		}
		if err := json.Unmarshal(raw.Data, resp.Data); err != nil {
			t.Fatalf("discordgo cannot read the message: %v\n%s", err, rep.Body)
		}
		if err := json.Unmarshal(raw.Data, &mentions); err != nil {
			t.Fatal(err)
		}
		resp.Type, resp.AllowedMentions = raw.Type, mentions.AllowedMentions
		if err := r.sink.WaitConfirmations(ctx, loadgen.PlatformDiscord, before+1); err != nil {
			t.Fatal(err)
		}
		return resp
	}
	click("7001", 2)
	click("7002", 2)
	resp := click("7002", 1)
	if got := r.sink.Confirmation(loadgen.PlatformDiscord, "7002").Last; got != "Your ballot in poll REF1: A; B. Counted for Government. (It replaces your previous ballot.)" {
		t.Errorf("follow-up %q", got)
	}
	d := resp.Data
	if resp.Type != discordgo.InteractionResponseUpdateMessage || d == nil || len(d.Embeds) != 1 {
		t.Fatalf("answer %+v", resp)
	}
	e := d.Embeds[0]
	wantDesc := "**Open · no deadline**\nChoose every theme you support.\n\n" +
		"` 1.` `▓▓▓▓▓░░░░░` A — 1 vote\n` 2.` `▓▓▓▓▓▓▓▓▓▓` B — 2 votes\n` 3.` `░░░░░░░░░░` C — 0 votes"
	if e.Title != "Bench" || e.Description != wantDesc || e.Color != 0x5865F2 {
		t.Errorf("embed title %q color %x description\n%s\nwant\n%s", e.Title, e.Color, e.Description, wantDesc)
	}
	if len(e.Fields) != 1 || e.Fields[0].Name != "Ballots: 2" ||
		e.Fields[0].Value != "🏛️ Government 1 · 🏢 Private sector 0 · 🤝 Civil society 0 · 🛠️ Technical community 0 · 🎓 Academia 1 · 🌐 Intergovernmental 0" {
		t.Errorf("fields %+v", e.Fields[0])
	}
	if e.Footer == nil || e.Footer.Text != "Poll REF1 · vote by text: /poll vote REF1 1 3 · your group: /poll group" {
		t.Errorf("footer %+v", e.Footer)
	}
	var ids []string
	for _, row := range d.Components {
		for _, c := range row.(*discordgo.ActionsRow).Components {
			ids = append(ids, c.(*discordgo.Button).CustomID)
		}
	}
	if strings.Join(ids, " ") != "pollbot:vote:REF1:1 pollbot:vote:REF1:2 pollbot:vote:REF1:3 pollbot:dc:unvote:REF1" {
		t.Errorf("buttons %q", ids)
	}
	if resp.AllowedMentions == nil || len(resp.AllowedMentions.Parse) != 0 {
		t.Errorf("allowed mentions %+v", resp.AllowedMentions)
	}
	if calls := r.sink.Calls(); calls["discord follow-up"] != 3 {
		t.Errorf("calls %v", calls)
	}
}

// TestRefusals: what is not a signed vote click by a voter with a group
// on a theme of a known poll changes nothing.
func TestRefusals(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	if err := SetGroups(ctx, r.rdb, discordTenant, map[string]string{"7001": "academia"}); err != nil {
		t.Fatal(err)
	}
	status := func(s *loadgen.Slack, user, action string) int {
		t.Helper()
		rep, err := s.Click(ctx, user, action)
		if err != nil {
			t.Fatal(err)
		}
		return rep.Status
	}
	other := func(cfg loadgen.SlackConfig) *loadgen.Slack {
		t.Helper()
		cfg.BaseURL = r.url
		if cfg.SigningSecret == "" {
			cfg.SigningSecret = secret
		}
		if cfg.ResponseURL == "" {
			cfg.ResponseURL = r.sink.SlackResponseURL()
		}
		s, err := loadgen.NewSlack(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	if got := status(other(loadgen.SlackConfig{SigningSecret: "wrong"}), "U1", "pollbot:vote:REF1:1"); got != http.StatusUnauthorized {
		t.Errorf("wrong secret: HTTP %d", got)
	}
	stale := func() time.Time { return time.Now().Add(-6 * time.Minute) }
	if got := status(other(loadgen.SlackConfig{Now: stale}), "U1", "pollbot:vote:REF1:1"); got != http.StatusUnauthorized {
		t.Errorf("stale timestamp: HTTP %d", got)
	}
	if got := status(other(loadgen.SlackConfig{ResponseURL: r.url + "/elsewhere"}), "U1", "pollbot:vote:REF1:1"); got != http.StatusBadRequest {
		t.Errorf("response_url outside the sink: HTTP %d", got)
	}
	if got := status(r.slack, "U1", "pollbot:dc:unvote:REF1"); got != http.StatusOK {
		t.Errorf("a control the reference does not serve: HTTP %d", got)
	}
	big := strings.Repeat("x", maxBody+1)
	if rep, err := r.slack.PostInteraction(ctx, []byte(big)); err != nil || rep.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over 1 MiB: %+v, %v", rep.Status, err)
	}
	if rep, err := r.slack.PostInteraction(ctx, []byte(`{"type":"view_submission"}`)); err != nil || rep.Status != http.StatusBadRequest {
		t.Errorf("not a click: %+v, %v", rep.Status, err)
	}
	// Refusals that are told to the voter: no group, no such poll or theme.
	for _, tc := range []struct{ user, action, want string }{
		{"U9", "pollbot:vote:REF1:1", "Pick your stakeholder group before you vote in poll REF1."},
		{"U1", "pollbot:vote:NOPE:1", "There is no poll NOPE here."},
		{"U1", "pollbot:vote:REF1:4", "Poll REF1 has no theme 4."},
	} {
		if got := r.slackAction(t, tc.user, tc.action); got != tc.want {
			t.Errorf("%s by %s: told %q, want %q", tc.action, tc.user, got, tc.want)
		}
	}

	// Discord: another key, a PING, refusals answered privately without a
	// follow-up.
	stranger, err := loadgen.NewDiscord(ctx, loadgen.DiscordConfig{BaseURL: r.url, PrivateKey: ed25519.NewKeyFromSeed([]byte(strings.Repeat("k", 32)))})
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := stranger.Click(ctx, loadgen.Member{ID: "7001"}, "1", "pollbot:vote:REF1:1"); err != nil || rep.Status != http.StatusUnauthorized {
		t.Errorf("another key: %+v, %v", rep.Status, err)
	}
	if rep, err := r.discord.Ping(ctx); err != nil || rep.Err(1) != nil {
		t.Errorf("PING: %+v, %v", rep, err)
	}
	for _, tc := range []struct{ user, action, want string }{
		{"7009", "pollbot:vote:REF1:1", "Pick your stakeholder group before you vote in poll REF1."},
		{"7001", "pollbot:vote:NOPE:1", "There is no poll NOPE here."},
		{"7001", "pollbot:vote:REF1:9", "Poll REF1 has no theme 9."},
		{"7001", "pollbot:dc:unvote:REF1", "The reference server answers vote clicks only."},
	} {
		rep, err := r.discord.Click(ctx, loadgen.Member{ID: tc.user}, "1", tc.action)
		if err != nil || rep.Err(4) != nil || rep.Content != tc.want || rep.Flags != 64 {
			t.Errorf("%s by %s: %+v, %v; want the ephemeral %q", tc.action, tc.user, rep, err, tc.want)
		}
	}
	if _, err := r.discord.Command(ctx, loadgen.Member{ID: "7001"}, "help"); err != nil {
		t.Error(err)
	}
	if n := r.sink.ConfirmationTotal(loadgen.PlatformDiscord); n != 0 {
		t.Errorf("%d follow-ups for refusals", n)
	}
	for _, tenant := range []string{slackTenant, discordTenant} {
		if got := r.tally(t, tenant); len(got) != 0 {
			t.Errorf("%s: refusals changed the tally: %v", tenant, got)
		}
	}
}

// TestConcurrentClicks sends clicks from many clients at once and checks
// that every one was confirmed and that the tally is exactly what the
// clicks imply.
func TestConcurrentClicks(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	const users, clients, perClient = 30, 16, 40
	groups := map[string]string{}
	for u := range users {
		groups[fmt.Sprintf("U%d", u)] = string(Groups[u%len(Groups)].ID)
	}
	if err := SetGroups(ctx, r.rdb, slackTenant, groups); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	clicks := map[[2]int]int{}
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			for range perClient {
				u, th := rng.IntN(users), rng.IntN(3)
				rep, err := r.slack.Click(ctx, fmt.Sprintf("U%d", u), fmt.Sprintf("pollbot:vote:REF1:%d", th+1))
				if err != nil || rep.Err() != nil {
					t.Errorf("click: %+v, %v", rep, err)
					return
				}
				mu.Lock()
				clicks[[2]int{u, th}]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if err := r.sink.WaitConfirmations(ctx, loadgen.PlatformSlack, clients*perClient); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"v": clients * perClient}
	for u := range users {
		g := Groups[u%len(Groups)].ID
		voted := false
		for th := range 3 {
			if clicks[[2]int{u, th}]%2 == 1 {
				want[fmt.Sprintf("%d|%s", th, g)]++
				want[fmt.Sprintf("%d|*", th)]++
				voted = true
			}
		}
		if voted {
			want["n|"+string(g)]++
			want["n|*"]++
		}
	}
	got := r.tally(t, slackTenant)
	if len(got) != len(want) {
		t.Errorf("tally %v, want %v", got, want)
	}
	for f, n := range want {
		if got[f] != fmt.Sprint(n) {
			t.Errorf("tally %s = %q, want %d", f, got[f], n)
		}
	}
}

func TestCreatePollRefuses(t *testing.T) {
	r := newRig(t)
	ctx := testCtx(t)
	for _, p := range []Poll{
		{Tenant: slackTenant, ID: "REF1", Themes: []string{"A"}}, // exists
		{Tenant: "teams:T1", ID: "X1", Themes: []string{"A"}},
		{Tenant: "slack:T{1}", ID: "X1", Themes: []string{"A"}},
		{Tenant: slackTenant, ID: "X-1", Themes: []string{"A"}},
		{Tenant: slackTenant, ID: "X2"},
		{Tenant: slackTenant, ID: "X3", Themes: make([]string, MaxThemes+1)},
		{Tenant: slackTenant, ID: "X4", Themes: []string{"A\nB"}},
	} {
		if err := CreatePoll(ctx, r.rdb, p); err == nil {
			t.Errorf("CreatePoll(%+v) accepted", p)
		}
	}
	if err := SetGroups(ctx, r.rdb, slackTenant, map[string]string{"U1": "martians"}); err == nil {
		t.Error("SetGroups accepted an unknown group")
	}
}
