package slack

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/slack-go/slack"
)

// realClick is a block_actions payload as Slack sends it for a click on a
// poll's button: with the whole message the button is in.
const realClick = `{"type":"block_actions","user":{"id":"U0G9QF9C6","username":"ana","name":"ana","team_id":"T0CAG"},` +
	`"api_app_id":"A0CA5","token":"Shh_its_a_seekrit","container":{"type":"message","message_ts":"1700000000.000100","channel_id":"C0CA8","is_ephemeral":false},` +
	`"trigger_id":"12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3","team":{"id":"T0CAG","domain":"igf-bpf"},` +
	`"enterprise":null,"is_enterprise_install":false,"channel":{"id":"C0CA8","name":"bpf-dns"},` +
	`"message":{"bot_id":"B0CA9","type":"message","text":"DNS themes for 2027","user":"U0CABOT","ts":"1700000000.000100","team":"T0CAG","blocks":[` +
	`{"type":"header","block_id":"h","text":{"type":"plain_text","text":"DNS themes for 2027","emoji":true}},` +
	`{"type":"section","block_id":"s1","text":{"type":"mrkdwn","text":"*1. DNSSEC* \u2014 12 ballots\n\u2588\u2588\u2588\u2588\u2591 Government 5/6 \u00b7 Civil society 3/5","verbatim":false}},` +
	`{"type":"section","block_id":"s2","text":{"type":"mrkdwn","text":"*2. DNS abuse* \u2014 9 ballots","verbatim":false}},` +
	`{"type":"actions","block_id":"b1","elements":[{"type":"button","action_id":"pollbot:vote:K7QX:1","text":{"type":"plain_text","text":"DNSSEC","emoji":true},"value":"1"},` +
	`{"type":"button","action_id":"pollbot:vote:K7QX:2","text":{"type":"plain_text","text":"DNS abuse","emoji":true},"value":"2"}]},` +
	`{"type":"context","block_id":"f","elements":[{"type":"mrkdwn","text":"Approval \u00b7 closes in 2 days \u00b7 /poll vote K7QX 1 3","verbatim":false}]}]},` +
	`"state":{"values":{}},"response_url":"https://hooks.slack.com/actions/T0CAG/1234/abcd",` +
	`"actions":[{"action_id":"pollbot:vote:K7QX:2","block_id":"b1","text":{"type":"plain_text","text":"DNS abuse","emoji":true},"value":"2","type":"button","action_ts":"1700000001.000200"}]}`

// clickFields is what pollbot reads of a click (handle.go).
type clickFields struct {
	Type, Team, User, Channel, ResponseURL, TriggerID, ActionTs, ContainerChannel string
	Ephemeral                                                                     bool
	Actions                                                                       []actionFields
}

type actionFields struct{ BlockID, ActionID, Type, ActionTs, Selected string }

func fieldsOf(cb slack.InteractionCallback) clickFields {
	f := clickFields{
		Type: string(cb.Type), Team: cb.Team.ID, User: cb.User.ID, Channel: cb.Channel.ID,
		ResponseURL: cb.ResponseURL, TriggerID: cb.TriggerID, ActionTs: cb.ActionTs,
		ContainerChannel: cb.Container.ChannelID, Ephemeral: cb.Container.IsEphemeral,
	}
	for _, a := range cb.ActionCallback.BlockActions {
		f.Actions = append(f.Actions, actionFields{a.BlockID, a.ActionID, string(a.Type), a.ActionTs, a.SelectedOption.Value})
	}
	return f
}

// checkSameAsSlackGo fails when slack-go decodes payload as a click and
// decodeInteraction does not read the same fields from it.
func checkSameAsSlackGo(t *testing.T, payload []byte) {
	t.Helper()
	var want slack.InteractionCallback
	if err := json.Unmarshal(payload, &want); err != nil {
		return // malformed for slack-go: the handler answers 400 unless the slim form reads it
	}
	got, err := decodeInteraction(payload)
	if err != nil {
		t.Fatalf("slack-go decodes %q, decodeInteraction fails: %v", payload, err)
	}
	if w, g := fieldsOf(want), fieldsOf(got); !reflect.DeepEqual(w, g) {
		t.Fatalf("payload %q:\nslack-go  %+v\nslim      %+v", payload, w, g)
	}
	if want.Type != slack.InteractionTypeBlockActions && !reflect.DeepEqual(want, got) {
		t.Fatalf("payload %q of type %q was not left to slack-go", payload, want.Type)
	}
}

var decodeSeeds = []string{
	realClick,
	`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"actions":[{"block_id":"b","action_id":"pollbot:select:X","type":"static_select","selected_option":{"value":"pollbot:group:"}}]}`,
	`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"actions":[{"action_id":"attachment-style, no block_id"},{"block_id":7,"action_id":"x"},{"block_id":null,"action_id":"y"},{"block_id":"\u0062","action_id":"z"}]}`,
	`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"container":{"is_ephemeral":true,"channel_id":"D1"},"actions":[]}`,
	`{"TYPE":"block_actions","Team":{"ID":"T1"},"user":{"id":"U1"},"actions":[{"Block_ID":"b","ACTION_ID":"a"}]}`,
	`{"type":"view_submission","team":{"id":"T1"},"user":{"id":"U1"},"view":{"callback_id":"pollbot:rankform:K7QX","state":{"values":{"rank1":{"theme":{"selected_option":{"value":"1"}}}}}}}`,
	`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1"},"message":{"blocks":[{"type":"no-such-block"}]},"actions":[{"block_id":"b","action_id":"a"}]}`,
	`{"type":"block_actions","type":"shortcut","team":{"id":"T1"},"user":{"id":"U1"}}`,
	`[]`, `null`, `{"type":1}`, `{"type":"block_actions","actions":{}}`,
	`{"type":"block_actions","team":{"id":"T"},"user":{"id":"U"},"actions":[{"block_id":"a","action_id":"1"}],"actions":[{"block_id":"b","action_id":"2"}]}`,
	`{"type":"block_actions","team":{"id":"T"},"user":{"id":"U"},"actions":[{"block_id":"a","action_id":"1"}],"Actions":null}`,
}

// TestDecodeInteractionLikeSlackGo: the slim click decoder reads the same
// fields slack-go does from every payload slack-go reads, and leaves
// every other kind of payload to slack-go.
func TestDecodeInteractionLikeSlackGo(t *testing.T) {
	for _, s := range decodeSeeds {
		checkSameAsSlackGo(t, []byte(s))
	}
	got, err := decodeInteraction([]byte(realClick))
	if err != nil {
		t.Fatal(err)
	}
	f := fieldsOf(got)
	want := clickFields{Type: "block_actions", Team: "T0CAG", User: "U0G9QF9C6", Channel: "C0CA8",
		ResponseURL: "https://hooks.slack.com/actions/T0CAG/1234/abcd", TriggerID: "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
		ContainerChannel: "C0CA8", Actions: []actionFields{{"b1", "pollbot:vote:K7QX:2", "button", "1700000001.000200", ""}}}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("the real click decoded as\n%+v\nwant\n%+v", f, want)
	}
}

// FuzzDecodeInteraction compares the slim click decoder with slack-go on
// any payload.
//
//	go test -run '^$' -fuzz='^FuzzDecodeInteraction$' -fuzztime=1m ./bot/slack
func FuzzDecodeInteraction(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		checkSameAsSlackGo(t, []byte(payload))
	})
}

// BenchmarkDecodeInteraction: a real click's payload through slack-go's
// InteractionCallback (the baseline) and through decodeInteraction.
func BenchmarkDecodeInteraction(b *testing.B) {
	payload := []byte(realClick)
	b.Run("slack-go", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var cb slack.InteractionCallback
			if err := json.Unmarshal(payload, &cb); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("slim", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeInteraction(payload); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// FuzzBlockIDString: on any JSON object it reads, blockIDString says what
// slack-go's decoded map says: a "block_id" key, exactly so spelled, with a
// string value.
//
//	go test -run '^$' -fuzz='^FuzzBlockIDString$' -fuzztime=1m ./bot/slack
func FuzzBlockIDString(f *testing.F) {
	for _, s := range []string{
		`{"action_id":"a","block_id":"b","type":"button"}`,
		`{"block_id":null}`, `{"Block_ID":"x"}`, `{"block_id":"x","block_id":5}`, `{"block_id":5,"block_id":"x"}`,
		`{"value":"block_id"}`, `{"x":{"block_id":"y"}}`, `{"x":["block_id",{"block_id":1}],"block_id" : "z"}`,
		` {"block_id":"x"}`, `{ "block_id"` + "\t\n:\r" + `"x" }`, `{"block\u005fid":"x"}`, `[]`, `null`, `"x"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, obj string) {
		if !json.Valid([]byte(obj)) {
			return
		}
		has, ok := blockIDString([]byte(obj))
		if !ok {
			return
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(obj), &keys); err != nil {
			t.Fatalf("blockIDString read %q, which is no object: %v", obj, err)
		}
		id, found := keys["block_id"]
		if want := found && len(id) > 0 && id[0] == '"'; has != want {
			t.Fatalf("blockIDString(%q) = %v, the decoded map says %v", obj, has, want)
		}
	})
}

// fastSeeds are payloads on the edges of fastClick's rules.
var fastSeeds = []string{
	`{"type":"block_actions","team":{"id":"T1","id":"T2"},"user":{"id":"U1"},"actions":[]}`,
	`{"type":"block_actions","team":{"id":"T1"},"user":{"id":"U1","Id":"U2"},"actions":[]}`,
	`{"type":"block_actions","team":null,"user":{"id":null},"channel":{"id":"C\u00e9\ud83d\ude00"},"actions":null}`,
	`{"type":"block_actions","team":{"id":"T\ud800"},"user":{"id":"U1"}}`,
	`{"type":"block_actions","team":{"id":"T\uFFFD"},"user":{"id":"U1"}}`,
	"{\"type\":\"block_actions\",\"team\":{\"id\":\"T\xff\"},\"user\":{\"id\":\"U1\"}}",
	`{"type":"block_actions","team":{"id":5},"user":{"id":"U1"}}`,
	`{"type":"block_actions","team":"T1","user":{"id":"U1"}}`,
	`{"type":"block_actions","container":{"is_ephemeral":"yes"}}`,
	`{"type":"block_actions","container":{"is_ephemeral":null,"channel_id":"C\/1"}}`,
	`{"type":"block_actions","actions":[{"block_id":"b","block_id":null,"action_id":"a"}]}`,
	`{"type":"block_actions","actions":[{"block_id":"b","action_id":"a","selected_option":null},null]}`,
	`{"type":"block_actions","actions":[{"block_id":"b","action_id":"a","selected_option":{"value":"v","Value":"w"}}]}`,
	`{"type":"block_actions","actions":[{"block_id":"b","type":"button","value":5,"action_ts":"1.2"}],"response_url":"https:\/\/x\n"}`,
	`{"type":"block_actions","trigger_id":"t","action_ts":"1","response_url":"u","channel":{"name":"x","id":"C"}} `,
	` {"type" : "block_actions" , "actions" : [ { "block_id" : "b" } ] }`,
	`{"type":"block_actions","uſer":{"id":"U2"},"user":{"id":"U1"},"team":{"id":"T1"}}`,
	`{"type":"block_actions","user":{"id":"U1"},"uſer":{"id":"U2"},"team":{"id":"T1"}}`,
	"{\"type\":\"block_actions\",\"user\":{\"id\":\"U1\"},\"team\":{\"id\":\"T1\"},\"actions\":[{\"block_id\":\"b\",\"action_id\":\"a\",\"action_t\u017f\":\"x\",\"selected_option\":{\"value\":\"v\"}}]}",
}

// FuzzFastClick: wherever fastClick reads a payload that encoding/json
// reads, the encoding/json path (clickPayload.callback) reads the same
// click from it.
//
//	go test -run '^$' -fuzz='^FuzzFastClick$' -fuzztime=1m ./bot/slack
func FuzzFastClick(f *testing.F) {
	for _, s := range append(append([]string{}, decodeSeeds...), fastSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, payload string) {
		fast, ok := fastClick([]byte(payload))
		if !ok || !json.Valid([]byte(payload)) {
			return
		}
		var c clickPayload
		if err := json.Unmarshal([]byte(payload), &c); err != nil {
			t.Fatalf("fastClick read %q, encoding/json fails: %v", payload, err)
		}
		slow, err := c.callback()
		if err != nil {
			t.Fatalf("fastClick read %q, callback fails: %v", payload, err)
		}
		if c.Type != string(slack.InteractionTypeBlockActions) {
			t.Fatalf("fastClick read %q as a click, encoding/json reads type %q", payload, c.Type)
		}
		if w, g := fieldsOf(slow), fieldsOf(fast); !reflect.DeepEqual(w, g) {
			t.Fatalf("%q:\nencoding/json reads %+v\nfastClick reads     %+v", payload, w, g)
		}
	})
}

// TestFastClickTakesRealClicks: the clicks Slack sends are read by
// fastClick, not left to encoding/json.
func TestFastClickTakesRealClicks(t *testing.T) {
	for _, s := range []string{realClick, decodeSeeds[1], decodeSeeds[3]} {
		if _, ok := fastClick([]byte(s)); !ok {
			t.Errorf("fastClick declined %q", s)
		}
	}
	for _, s := range fastSeeds {
		checkSameAsSlackGo(t, []byte(s))
	}
}
