package discord

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/internal/metrics"
)

// TestHTTPJourney runs polls through HTTP interactions mode on a real
// redis-server: signed requests, the select menu of a 25-theme poll, the
// ranking modal, role mapping, duplicates, autocomplete and DMs.
func TestHTTPJourney(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Now().UTC().Truncate(time.Second)}
	h := newHarness(t, c, harnessOpts{http: true, store: redisStore(t)})

	h.fake.mu.Lock()
	reg := h.fake.commands
	h.fake.mu.Unlock()
	if len(reg) != 1 || reg[0].Path != "/api/v10/applications/"+testApp+"/commands" {
		t.Fatalf("global registration: %+v", reg)
	}
	// No gateway in HTTP mode.
	h.fake.wsMu.Lock()
	if h.fake.ready {
		t.Error("HTTP mode opened a gateway connection")
	}
	h.fake.wsMu.Unlock()

	// PING is answered with PONG.
	if r := h.interact(t, map[string]any{"id": "1", "type": 1, "token": "t", "application_id": testApp}); r.Type != 1 {
		t.Fatalf("PING: got type %d", r.Type)
	}

	// 25 themes do not fit as buttons beside the withdraw button: a select.
	var themes []string
	for i := 1; i <= 25; i++ {
		themes = append(themes, fmt.Sprintf("Theme %02d", i))
	}
	id, msgID := openPoll(t, h, str("title", "Many themes"), str("themes", strings.Join(themes, "; ")))
	created := h.fake.createdMessages()
	ids := customIDs(created[len(created)-1].Payload)
	if len(ids) != 2 || ids[0] != idSelect+id+"[25 options, max 25]" || ids[1] != idUnvote+id {
		t.Fatalf("25-theme poll controls: %v", ids)
	}

	r := h.interact(t, h.click(bob, msgID, idSelect+id, "1", "3"))
	if r.Type != 7 {
		t.Fatalf("select: want type 7, got %d: %v", r.Type, r.Data)
	}
	mustContain(t, "select vote", h.fake.followupsFor(t, r.Token, 1)[0].str("content"), "Theme 01; Theme 03", "Government")
	r = h.interact(t, h.click(carol, msgID, idSelect+id, "3"))
	mustContain(t, "select vote", h.fake.followupsFor(t, r.Token, 1)[0].str("content"), "Theme 03", "Civil society")
	// The role mapping beats self-declaration.
	r = h.interact(t, h.command(carol, "group", str("group", "academia")))
	mustContain(t, "declared against role", r.content(), "Saved Academia", "your role maps you to Civil society")
	if tl := tally(t, h, id); tl.Total() != 2 {
		t.Fatalf("ballots: %d", tl.Total())
	}
	// dave has no group: the select's vote is held until he picks one.
	r = h.interact(t, h.click(dave, msgID, idSelect+id, "2", "3"))
	if r.Type != 4 || r.flags() != 64 || len(customIDs(r.Data)) != 1 {
		t.Fatalf("held select vote: type %d flags %d %v", r.Type, r.flags(), customIDs(r.Data))
	}
	r = h.interact(t, h.click(dave, "ephemeral-2", idPickGroup, bot.GroupAction("private-sector")))
	mustContain(t, "pick", r.content(), "held vote is now counted", "Theme 02; Theme 03", "Private sector")
	if tl := tally(t, h, id); tl.Total() != 3 {
		t.Fatalf("ballots after the pick: %d, want 3", tl.Total())
	}

	// A live report, deferred publicly, with its chart.
	r = h.interact(t, h.command(erin, "report", str("poll", id)))
	if r.Type != 5 || r.flags() != 0 {
		t.Fatalf("report: type %d flags %d", r.Type, r.flags())
	}
	rep := h.fake.followupsFor(t, r.Token, 1)[0]
	mustContain(t, "report", embedText(rep.Payload), "Consensus report: Many themes", "open (interim)")
	if len(rep.Files[id+"-chart.png"]) == 0 {
		t.Error("report without chart")
	}

	// Withdraw.
	r = h.interact(t, h.click(carol, msgID, idUnvote+id))
	mustContain(t, "withdraw", h.fake.followupsFor(t, r.Token, 1)[0].str("content"), "was removed")

	// A duplicate delivery is acknowledged and not acted on.
	dup := h.click(bob, msgID, bot.VoteAction(id, 4))
	first := h.interact(t, dup)
	again := h.interact(t, dup)
	if first.Type != 7 || again.Type != 6 {
		t.Errorf("duplicate: types %d then %d, want 7 then 6", first.Type, again.Type)
	}
	mustContain(t, "after dup", h.fake.followupsFor(t, first.Token, 1)[0].str("content"), "Theme 01; Theme 03; Theme 05")

	// Ranked poll: the rank button opens a modal; its answer is the vote.
	rid, rmsg := openPoll(t, h, str("title", "Order"), str("themes", "A; B; C"), str("kind", "ranked"))
	r = h.interact(t, h.click(bob, rmsg, bot.RankAction(rid)))
	if r.Type != 9 || r.Data["custom_id"] != idRankModal+rid {
		t.Fatalf("rank: want a modal, got type %d %v", r.Type, r.Data)
	}
	r = h.interact(t, h.modal(bob, rmsg, idRankModal+rid, "3, 1 2"))
	if r.Type != 7 {
		t.Fatalf("modal submit: type %d %v", r.Type, r.Data)
	}
	mustContain(t, "ranking", h.fake.followupsFor(t, r.Token, 1)[0].str("content"), "1. C; 2. A; 3. B")
	r = h.interact(t, h.modal(bob, rmsg, idRankModal+rid, "1 1"))
	if r.Type != 4 || r.flags() != 64 {
		t.Errorf("bad ranking: type %d flags %d", r.Type, r.flags())
	}

	// Role names came from one REST fetch, then the cache.
	h.fake.mu.Lock()
	gets := h.fake.roleGets
	h.fake.mu.Unlock()
	if gets != 1 {
		t.Errorf("guild roles fetched %d times, want 1 (cached)", gets)
	}

	// Autocomplete offers the guild's open polls.
	ac := h.command(bob, "close", opt{"poll", 3, "many"})
	ac["type"] = 4
	ac["data"].(map[string]any)["options"].([]any)[0].(map[string]any)["options"].([]map[string]any)[0]["focused"] = true
	r = h.interact(t, ac)
	choices, _ := r.Data["choices"].([]any)
	if r.Type != 8 || len(choices) != 1 || choices[0].(map[string]any)["value"] != id {
		t.Errorf("autocomplete: type %d %v", r.Type, r.Data)
	}
	// From another channel the poll is not offered: it lives in its own.
	ac["id"], ac["channel_id"] = "799999999999999999", "99"+testChannel
	r = h.interact(t, ac)
	if choices, _ := r.Data["choices"].([]any); r.Type != 8 || len(choices) != 0 {
		t.Errorf("autocomplete in another channel: type %d %v; want no choices", r.Type, r.Data)
	}

	// Typed-option errors are the engine's usage errors, privately.
	r = h.interact(t, h.command(alice, "extend", str("poll", id), str("duration", "soon")))
	mustContain(t, "bad duration", r.content(), "not a duration", "Usage: /poll extend")
	r = h.interact(t, h.command(alice, "open", str("title", "X"), str("themes", `"unterminated`)))
	if r.flags() != 64 || r.content() == "" {
		t.Errorf("bad themes: %v", r.Data)
	}

	// A report that will be refused is deferred privately.
	r = h.interact(t, h.command(bob, "report", str("poll", "ZZZZ")))
	if r.Type != 5 || r.flags() != 64 {
		t.Errorf("report of an unknown poll: type %d flags %d", r.Type, r.flags())
	}
	if fu := h.fake.followupsFor(t, r.Token, 1); fu[0].flags() != 64 || fu[0].str("content") == "" {
		t.Errorf("refused report follow-up: %v", fu[0].Payload)
	}

	// help is longer than a message's content: it goes into embeds.
	r = h.interact(t, h.command(bob, "help"))
	if r.flags() != 64 || embedText(r.Data)+r.content() == "" {
		t.Errorf("help: %v", r.Data)
	}

	// DMs are refused clearly.
	dm := h.command(bob, "list")
	delete(dm, "guild_id")
	dm["user"] = dm["member"].(map[string]any)["user"]
	delete(dm, "member")
	r = h.interact(t, dm)
	mustContain(t, "DM", r.content(), "does not work in direct messages")

	// The facilitator's commands.
	r = h.interact(t, h.command(alice, "assign", opt{"user", 6, frank.id}, str("group", "intergovernmental")))
	mustContain(t, "assign", r.content(), frank.id, "Intergovernmental")
	r = h.interact(t, h.command(bob, "list"))
	mustContain(t, "list", embedText(r.Data), "Open polls", id+" · Many themes")
	r = h.interact(t, h.command(alice, "extend", str("poll", id), str("duration", "1d")))
	mustContain(t, "extend", r.content(), "now closes")
	edits := len(h.fake.editsOf(msgID))
	r = h.interact(t, h.command(alice, "close", str("poll", id)))
	if r.Type != 4 || r.flags() != 0 {
		t.Errorf("close: type %d flags %d", r.Type, r.flags())
	}
	mustContain(t, "close", r.content()+embedText(r.Data), "is closed", "Closed")
	waitFor(t, "the poll message edit after close", func() bool {
		e := h.fake.editsOf(msgID)
		return len(e) > edits && strings.Contains(embedText(e[len(e)-1].Payload), "Closed")
	})
	r = h.interact(t, h.command(bob, "close", str("poll", rid)))
	mustContain(t, "close refused", r.content(), "only facilitators")

	// A click on a message pollbot did not make.
	r = h.interact(t, h.click(bob, msgID, "someone-else:button"))
	if r.Type != 4 || r.flags() != 64 {
		t.Errorf("unknown custom_id: type %d flags %d", r.Type, r.flags())
	}
	mustContain(t, "unknown custom_id", r.content(), "Unknown control")
}

// TestHTTPRejects checks that nothing unverified is acted on.
func TestHTTPRejects(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c)})
	id, msgID := openPoll(t, h, str("title", "T"), str("themes", "A; B"))
	body, _ := json.Marshal(h.click(bob, msgID, bot.VoteAction(id, 0)))
	good := h.sign(body, time.Now())

	_, otherKey, _ := edKey()
	forged := (&harness{priv: otherKey}).sign(body, time.Now())

	tampered := append([]byte(nil), body...)
	tampered[len(tampered)-2] ^= 1

	cases := []struct {
		name   string
		body   []byte
		sig    sig
		status int
	}{
		{"no signature", body, sig{}, http.StatusUnauthorized},
		{"forged signature", body, forged, http.StatusUnauthorized},
		{"tampered body", tampered, good, http.StatusUnauthorized},
		{"not hex", body, sig{good.ts, "zz" + good.sig[2:]}, http.StatusUnauthorized},
		{"stale timestamp", body, h.sign(body, time.Now().Add(-6*time.Minute)), http.StatusUnauthorized},
		{"future timestamp", body, h.sign(body, time.Now().Add(6*time.Minute)), http.StatusUnauthorized},
		{"bad timestamp", body, sig{"yesterday", good.sig}, http.StatusUnauthorized},
		{"malformed JSON", []byte(`{"type":3,`), h.sign([]byte(`{"type":3,`), time.Now()), http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, data := h.post(t, tc.body, tc.sig)
			if status != tc.status {
				t.Errorf("status %d (%s), want %d", status, data, tc.status)
			}
		})
	}
	if n := tally(t, h, id).Total(); n != 0 {
		t.Errorf("an unverified request was acted on: %d ballots", n)
	}
	// The good one still works.
	if status, _ := h.post(t, body, good); status != http.StatusOK || tally(t, h, id).Total() != 1 {
		t.Errorf("signed click: status %d, ballots %d", status, tally(t, h, id).Total())
	}
}

// TestRateLimitedEdit checks that a 429 on a poll message edit is retried
// after Retry-After and the final state still lands.
func TestRateLimitedEdit(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c)})
	id, msgID := openPoll(t, h, str("title", "T"), str("themes", "A; B"))
	h.fake.mu.Lock()
	h.fake.limitEdits = 1
	h.fake.mu.Unlock()
	h.interact(t, h.command(bob, "vote", str("poll", id), str("themes", "2")))
	waitFor(t, "the edit after the 429", func() bool { return len(h.fake.editsOf(msgID)) == 1 })
	settle(t, h)
	if st := h.adapter.Coalescer().Stats(); st.RateLimited != 1 || st.Failed != 0 {
		t.Errorf("stats %+v, want one rate-limited render and no failure", st)
	}
	edits := h.fake.editsOf(msgID)
	mustContain(t, "edit", embedText(edits[len(edits)-1].Payload), "Ballots: 1")
}

// TestOpenWithoutChannelPermission checks the fallback when the bot may
// not post in the channel: the poll is the interaction's answer, and that
// message is the one later edits go to.
func TestOpenWithoutChannelPermission(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c)})
	h.fake.mu.Lock()
	h.fake.forbidPost = true
	h.fake.mu.Unlock()
	r := h.interact(t, h.command(alice, "open", str("title", "Fallback"), str("themes", "A; B")))
	if r.Type != 4 || r.flags() != 0 {
		t.Fatalf("open: want the public poll as the answer, got type %d flags %d", r.Type, r.flags())
	}
	mustContain(t, "poll answer", embedText(r.Data), "Fallback")
	mustContain(t, "confirmation", h.fake.followupsFor(t, r.Token, 1)[0].str("content"), "is open")
	var orig string
	waitFor(t, "the @original lookup", func() bool {
		h.fake.mu.Lock()
		defer h.fake.mu.Unlock()
		orig = h.fake.originals[r.Token]
		return orig != ""
	})
	h.adapter.wait()
	id := strings.Fields(strings.TrimPrefix(h.fake.followupsFor(t, r.Token, 1)[0].str("content"), "Poll "))[0]
	h.interact(t, h.command(bob, "vote", str("poll", id), str("themes", "1")))
	waitFor(t, "an edit of the answered poll", func() bool { return len(h.fake.editsOf(orig)) > 0 })
}

// TestVerifyFreshness checks the 5-minute window against an injected
// clock, at its edges.
func TestVerifyFreshness(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	pub, priv, _ := edKey()
	a, err := New(nil, Config{BotToken: "t", AppID: "1", PublicKey: hex.EncodeToString(pub)}, WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"type":1}`)
	h := &harness{priv: priv}
	for _, tc := range []struct {
		at time.Time
		ok bool
	}{
		{now, true},
		{now.Add(-maxSkew), true},
		{now.Add(maxSkew), true},
		{now.Add(-maxSkew - time.Second), false},
		{now.Add(maxSkew + time.Second), false},
		{time.Now(), false},
	} {
		s := h.sign(body, tc.at)
		hdr := http.Header{}
		hdr.Set("X-Signature-Timestamp", s.ts)
		hdr.Set("X-Signature-Ed25519", s.sig)
		if got := a.verifyBody(hdr, body); got != tc.ok {
			t.Errorf("signed at %v (clock %v): verified %v, want %v", tc.at, now, got, tc.ok)
		}
	}
}

// TestAnswerBeforeFollowUp: a vote's type-7 answer is sent before its
// follow-up starts, also behind serve's metrics middleware, which wraps
// the response writer: the adapter flushed only a writer that was itself
// an http.Flusher, so behind the wrapper the answer waited for the whole
// middleware chain to return while the follow-up was already on its way,
// and Discord refuses a follow-up to an interaction not yet answered.
func TestAnswerBeforeFollowUp(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	m := metrics.New("test", slog.New(slog.DiscardHandler))
	const after = 300 * time.Millisecond
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c), wrap: func(next http.Handler) http.Handler {
		inner := m.Instrument(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner.ServeHTTP(w, r)
			// Work after the handler in the chain (logs, bounds): an
			// answer that waits for the chain waits for this too.
			time.Sleep(after)
		})
	}})
	id, msgID := openPoll(t, h, str("title", "Order"), str("themes", "A; B"))
	in := h.click(bob, msgID, bot.VoteAction(id, 0))
	start := time.Now()
	r := h.interact(t, in)
	if took := time.Since(start); took >= after {
		t.Errorf("the vote's answer took %v: it waited for the middleware (%v) instead of going out before the follow-up", took, after)
	}
	if fu := h.fake.followupsFor(t, r.Token, 1); !strings.Contains(fu[0].str("content"), "ballot") {
		t.Errorf("follow-up %q", fu[0].str("content"))
	}
}
