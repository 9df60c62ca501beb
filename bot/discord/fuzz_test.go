package discord

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
)

// FuzzInteraction feeds interaction JSON of any shape to the decoder and
// handler that a verified POST /discord/interactions reaches (the
// signature check is skipped: the fuzzer plays someone who holds the
// key, or Discord itself). The adapter answers 200 with a JSON
// interaction response or 400, never panics, and no answer carries the
// engine's marks of user text.
//
//	go test -run '^$' -fuzz='^FuzzInteraction$' -fuzztime=1m ./bot/discord
//
// Seeds are below and in testdata/fuzz/FuzzInteraction.
func FuzzInteraction(f *testing.F) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(f, c, harnessOpts{http: true, store: boltStore(f, c)})
	id, msgID := openPoll(f, h, str("title", "T"), str("themes", "A; B; [x](https://evil.example)"))
	seed := func(in map[string]any) {
		data, err := json.Marshal(in)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	seed(h.command(alice, "open", str("title", "T"), str("themes", `"A" "B"`), opt{"quorum", 4, 2}))
	seed(h.command(bob, "vote", str("poll", id), str("themes", "1,3")))
	seed(h.command(bob, "group", str("group", "<@1> ||x||")))
	seed(h.command(alice, "export", str("poll", id), str("format", "csv"), opt{"ballots", 5, true}))
	seed(h.click(bob, msgID, bot.VoteAction(id, 0)))
	seed(h.click(dave, msgID, idSelect+id, "1", "3"))
	seed(h.click(dave, "ephemeral-1", idPickGroup, bot.GroupAction("academia")))
	seed(h.modal(carol, msgID, idRankModal+id, "3 1 2"))
	ac := h.base(erin, 4)
	ac["data"] = map[string]any{"id": "800000000000000001", "name": "poll", "type": 1, "options": []any{map[string]any{
		"name": "group", "type": 1, "options": []any{map[string]any{"name": "group", "type": 3, "value": "civ", "focused": true}}}}}
	seed(ac)
	for _, s := range []string{
		`{"type":1,"id":"1","application_id":"` + testApp + `","token":"t"}`,
		`{"type":2,"id":"2","token":"t","guild_id":"` + testGuild + `","member":{"user":{"id":"5"}},"data":{"name":"poll","options":[{"name":"nope","type":1}]}}`,
		`{"type":3,"id":"3","token":"t","guild_id":"` + testGuild + `","member":{"user":{"id":"5"}},"data":{"custom_id":"pollbot:vote:ZZZZ:99","component_type":2}}`,
		`{"type":3,"id":"4","token":"t","data":{"custom_id":"pollbot:vote:` + id + `:1"}}`,
		`{"type":5,"id":"5","token":"t","guild_id":"` + testGuild + `","member":{"user":{"id":"5"}},"data":{"custom_id":"pollbot:dc:rank:` + id + `","components":[{"type":1,"components":[{"type":99}]}]}}`,
		`{"type":"2"}`, `[]`, `null`, `{"type":2,"data":{"options":[[[[[[[[]]]]]]]]}}`, "\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/discord/interactions", strings.NewReader(body))
		w := httptest.NewRecorder()
		h.adapter.serveVerified(w, req, []byte(body))
		switch w.Code {
		case http.StatusOK:
			var resp struct {
				Type int `json:"type"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &resp); err != nil || resp.Type == 0 {
				t.Errorf("%q: 200 with %q (%v)", body, w.Body.String(), err)
			}
		case http.StatusBadRequest:
		default:
			t.Errorf("%q: HTTP %d %s", body, w.Code, w.Body.String())
		}
		if strings.ContainsAny(w.Body.String(), "\uE000\uE001") {
			t.Errorf("%q: a user text mark in the answer %q", body, w.Body.String())
		}
	})
}
