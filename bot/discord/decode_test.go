package discord

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/bwmarrin/discordgo"
)

// realClick is a component interaction as Discord sends it for a click on
// a poll's button: with the whole message the button is on.
const realClick = `{"app_permissions":"562949953421311","application_id":"1100000000000000001","authorizing_integration_owners":{"0":"1200000000000000001"},` +
	`"channel":{"flags":0,"guild_id":"1200000000000000001","id":"1300000000000000001","last_message_id":"1400000000000000009","name":"bpf-dns","nsfw":false,"parent_id":null,"permissions":"562949953421311","position":3,"rate_limit_per_user":0,"topic":null,"type":0},` +
	`"channel_id":"1300000000000000001","context":0,` +
	`"data":{"component_type":2,"custom_id":"pollbot:vote:K7QX:2","id":7},` +
	`"entitlement_sku_ids":[],"entitlements":[],"guild":{"features":[],"id":"1200000000000000001","locale":"en-US"},"guild_id":"1200000000000000001","guild_locale":"en-US",` +
	`"id":"1400000000000000010","locale":"en-GB",` +
	`"member":{"avatar":null,"banner":null,"communication_disabled_until":null,"deaf":false,"flags":0,"joined_at":"2025-03-01T10:00:00.000000+00:00","mute":false,"nick":null,"pending":false,"permissions":"562949953421311","premium_since":null,"roles":["1500000000000000001","1500000000000000002"],` +
	`"unusual_dm_activity_until":null,"user":{"avatar":null,"avatar_decoration_data":null,"clan":null,"discriminator":"0","global_name":"Ana","id":"1600000000000000001","public_flags":0,"username":"ana"}},` +
	`"message":{"application_id":"1100000000000000001","attachments":[],"author":{"avatar":null,"bot":true,"discriminator":"0000","id":"1100000000000000001","public_flags":0,"username":"pollbot"},"channel_id":"1300000000000000001",` +
	`"components":[{"components":[{"custom_id":"pollbot:vote:K7QX:0","label":"1. DNSSEC","style":2,"type":2},{"custom_id":"pollbot:vote:K7QX:1","label":"2. DNS abuse","style":2,"type":2},{"custom_id":"pollbot:vote:K7QX:2","label":"3. BCP38","style":2,"type":2}],"type":1},` +
	`{"components":[{"custom_id":"pollbot:dc:unvote:K7QX","label":"Clear my ballot","style":4,"type":2}],"type":1}],` +
	`"content":"","edited_timestamp":"2026-12-01T10:05:00.000000+00:00",` +
	`"embeds":[{"color":5793266,"description":"**Open · closes in 2 days**\nApproval: pick every theme you support\n\n` + "`" + ` 1.` + "`" + ` ` + "`" + `████░` + "`" + ` DNSSEC — 12\n` + "`" + ` 2.` + "`" + ` ` + "`" + `██░░░` + "`" + ` DNS abuse — 7\n","fields":[{"inline":false,"name":"19 ballots","value":"Government 5 · Civil society 6 · Technical community 8"}],"footer":{"text":"Poll K7QX · /poll vote K7QX 1 3"},"title":"DNS themes for 2027","type":"rich"}],` +
	`"flags":0,"id":"1400000000000000001","mention_everyone":false,"mention_roles":[],"mentions":[],"pinned":false,"timestamp":"2026-12-01T10:00:00.000000+00:00","tts":false,"type":0},` +
	`"token":"aW50ZXJhY3Rpb246MTQwMDAwMDAwMDAwMDAwMDAxMDp0b2tlbg","type":3,"version":1}`

// clickFields is what pollbot reads of an interaction (interactions.go,
// followup.go).
type clickFields struct {
	Type                                 discordgo.InteractionType
	ID, AppID, Token, GuildID, ChannelID string
	HasMember, HasUser, HasMessage       bool
	User                                 string
	Roles                                []string
	CustomID                             string
	ComponentType                        discordgo.ComponentType
	Values                               []string
	MessageID, MessageChannel            string
}

func fieldsOf(in discordgo.Interaction) clickFields {
	f := clickFields{Type: in.Type, ID: in.ID, AppID: in.AppID, Token: in.Token, GuildID: in.GuildID, ChannelID: in.ChannelID}
	if in.Member != nil {
		f.HasMember, f.Roles = true, in.Member.Roles
		if in.Member.User != nil {
			f.HasUser, f.User = true, in.Member.User.ID
		}
	}
	if in.Message != nil {
		f.HasMessage, f.MessageID, f.MessageChannel = true, in.Message.ID, in.Message.ChannelID
	}
	if in.Type == discordgo.InteractionMessageComponent {
		d := in.MessageComponentData()
		f.CustomID, f.ComponentType, f.Values = d.CustomID, d.ComponentType, d.Values
	}
	return f
}

// checkSameAsDiscordgo fails when discordgo decodes body and
// decodeInteraction does not read the same fields from it.
func checkSameAsDiscordgo(t *testing.T, body []byte) {
	t.Helper()
	var want discordgo.Interaction
	if err := json.Unmarshal(body, &want); err != nil {
		return // malformed for discordgo: answered 400 unless the slim form reads it
	}
	got, err := decodeInteraction(body)
	if err != nil {
		t.Fatalf("discordgo decodes %q, decodeInteraction fails: %v", body, err)
	}
	if w, g := fieldsOf(want), fieldsOf(got); !reflect.DeepEqual(w, g) {
		t.Fatalf("%q:\ndiscordgo reads %+v\nslim reads      %+v", body, w, g)
	}
}

var decodeSeeds = []string{
	realClick,
	`{"type":3,"id":"3","token":"t","guild_id":"9","member":{"user":{"id":"5"},"roles":null},"data":{"custom_id":"pollbot:vote:ZZZZ:99","component_type":2}}`,
	`{"type":3,"id":"4","token":"t","data":{"custom_id":"pollbot:dc:select:K7QX","component_type":3,"values":["1","3"]},"message":null}`,
	`{"type":3,"id":"4","token":"t","data":null}`,
	`{"type":3,"id":"4","token":"t"}`,
	`{"TYPE":3,"Id":"5","data":{"Custom_ID":"x"},"member":{"user":null,"roles":[]},"message":{}}`,
	`{"type":3,"type":2,"data":{"name":"poll"}}`,
	`{"type":2,"type":3,"data":{"custom_id":"x"}}`,
	`{"type":1,"id":"1","application_id":"2","token":"t"}`,
	`{"type":3,"member":{"joined_at":"not a time","user":{"id":"1"}},"data":{"custom_id":"x"}}`,
	`{"type":3,"data":{"custom_id":"x","resolved":{"users":5}}}`,
	`{"type":3,"data":{"custom_id":"x","values":["a",null]}}`,
	`{"type":"3"}`, `[]`, `null`, "\xff",
}

// TestDecodeRealClick: the slim decoder reads a real click as discordgo
// does, and takes it (not discordgo).
func TestDecodeRealClick(t *testing.T) {
	checkSameAsDiscordgo(t, []byte(realClick))
	var c componentClick
	if err := json.Unmarshal([]byte(realClick), &c); err != nil || c.Data == nil {
		t.Fatalf("the slim form does not read a real click: %v", err)
	}
	f := fieldsOf(c.interaction())
	want := clickFields{Type: 3, ID: "1400000000000000010", AppID: "1100000000000000001", Token: "aW50ZXJhY3Rpb246MTQwMDAwMDAwMDAwMDAwMDAxMDp0b2tlbg",
		GuildID: "1200000000000000001", ChannelID: "1300000000000000001", HasMember: true, HasUser: true, HasMessage: true,
		User: "1600000000000000001", Roles: []string{"1500000000000000001", "1500000000000000002"},
		CustomID: "pollbot:vote:K7QX:2", ComponentType: 2, MessageID: "1400000000000000001", MessageChannel: "1300000000000000001"}
	if !reflect.DeepEqual(f, want) {
		t.Errorf("the real click decoded as\n%+v\nwant\n%+v", f, want)
	}
	for _, s := range decodeSeeds {
		checkSameAsDiscordgo(t, []byte(s))
	}
}

// FuzzDecodeInteraction compares the slim click decoder with discordgo on
// any body.
//
//	go test -run '^$' -fuzz='^FuzzDecodeInteraction$' -fuzztime=1m ./bot/discord
func FuzzDecodeInteraction(f *testing.F) {
	for _, s := range decodeSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		checkSameAsDiscordgo(t, []byte(body))
	})
}

// BenchmarkDecodeInteraction: a real click through discordgo's
// Interaction (the baseline) and through decodeInteraction.
func BenchmarkDecodeInteraction(b *testing.B) {
	body := []byte(realClick)
	b.Run("discordgo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in discordgo.Interaction
			if err := json.Unmarshal(body, &in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("slim", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := decodeInteraction(body); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// fastSeeds are bodies on the edges of fastClick's rules.
var fastSeeds = []string{
	`{"type":3,"id":"1","id":"2","data":{"custom_id":"x"}}`,
	`{"type":3,"ID":"1","data":{"custom_id":"x"}}`,
	`{"type":3.0,"data":{"custom_id":"x"}}`, `{"type":3e0,"data":{"custom_id":"x"}}`, `{"type":-3,"data":{}}`, `{"type":259,"data":{}}`,
	`{"type":"3","data":{}}`, `{"type":null,"data":{}}`, `{"type":3,"data":{"component_type":18446744073709551616}}`,
	`{"type":3,"member":null,"message":null,"data":{"custom_id":"x","values":null}}`,
	`{"type":3,"member":{"user":null,"roles":null},"message":{},"data":{"values":[]}}`,
	`{"type":3,"member":{"user":{"id":"1","id":"2"}},"data":{}}`,
	`{"type":3,"member":{"roles":["1",null,"2"]},"data":{"values":["a",null]}}`,
	`{"type":3,"member":{"roles":["1",2]},"data":{}}`,
	`{"type":3,"member":"x","data":{}}`, `{"type":3,"data":[]}`, `{"type":3,"message":5,"data":{}}`,
	`{"type":3,"token":"t\ud800","data":{}}`, `{"type":3,"token":"t\u00e9\ud83d\ude00","data":{"custom_id":"\/x"}}`,
	"{\"type\":3,\"token\":\"t\xff\",\"data\":{}}",
	`{"type":3,"data":{"custom_id":"x","Custom_ID":"y"}}`, `{"type":3,"data":{"custom_id":"x"},"DATA":{}}`,
	` { "type" : 3 , "data" : { "component_type" : 2 } } `,
	`{"type":3,"message":{"id":"1","channel_id":"2"},"message":{"id":"3"},"data":{"custom_id":"x"},"data":{"values":["v"]}}`,
	`{"type":3,"message":{"id":"1"},"message":null,"data":{"custom_id":"x"}}`,
}

// FuzzFastClick: wherever fastClick reads a body that encoding/json
// reads, the encoding/json path (slimClick) reads the same click.
//
//	go test -run '^$' -fuzz='^FuzzFastClick$' -fuzztime=1m ./bot/discord
func FuzzFastClick(f *testing.F) {
	for _, s := range append(append([]string{}, decodeSeeds...), fastSeeds...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		fast, ok := fastClick([]byte(body))
		if !ok || !json.Valid([]byte(body)) {
			return
		}
		slow, ok := slimClick([]byte(body))
		if !ok {
			t.Fatalf("fastClick read %q, slimClick does not", body)
		}
		if w, g := fieldsOf(slow.interaction()), fieldsOf(fast.interaction()); !reflect.DeepEqual(w, g) {
			t.Fatalf("%q:\nencoding/json reads %+v\nfastClick reads     %+v", body, w, g)
		}
	})
}

// TestFastClickTakesRealClicks: the clicks Discord sends are read by
// fastClick, and the edge cases read as discordgo reads them.
func TestFastClickTakesRealClicks(t *testing.T) {
	for _, s := range []string{realClick, decodeSeeds[1], decodeSeeds[2]} {
		if _, ok := fastClick([]byte(s)); !ok {
			t.Errorf("fastClick declined %q", s)
		}
	}
	for _, s := range fastSeeds {
		checkSameAsDiscordgo(t, []byte(s))
	}
}
