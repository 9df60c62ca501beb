package discord

import (
	"encoding/json"
	"strconv"

	"github.com/bwmarrin/discordgo"
	"github.com/pollbot/pollbot/internal/jsontext"
)

// The adapter's hot answers (a vote's type 7 UPDATE_MESSAGE, message
// answers, the ephemeral follow-up) are encoded here by appending to a
// byte slice instead of through encoding/json's reflection over
// discordgo's types, which cost several times more per click (see
// BenchmarkVoteCPU and docs/ARCHITECTURE.md, "Discord's wire format").
// The encoders take discordgo's own values, so what is rendered is
// unchanged, and they write the same JSON value encoding/json writes for
// them: the same fields, omitted under the same omitempty rules. A value
// they do not know (a field pollbot never sets, a component kind it never
// sends) makes them report false, and the caller falls back to
// encoding/json. TestWireMatchesDiscordgo and FuzzWireEncoding hold them
// to that.

// appendResponse appends r as an interaction response. It reports false,
// with dst unspecified, when r holds something it does not encode.
func appendResponse(dst []byte, r *discordgo.InteractionResponse) ([]byte, bool) {
	if r == nil {
		return dst, false
	}
	dst = append(dst, '{')
	if r.Type != 0 {
		dst = append(dst, `"type":`...)
		dst = strconv.AppendUint(dst, uint64(r.Type), 10)
	}
	if d := r.Data; d != nil {
		if len(d.Files) > 0 || d.Attachments != nil || d.Poll != nil || len(d.Choices) > 0 || d.CustomID != "" || d.Title != "" {
			return dst, false
		}
		if r.Type != 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `"data":{"tts":`...)
		dst = strconv.AppendBool(dst, d.TTS)
		dst = append(dst, `,"content":`...)
		dst = appendString(dst, d.Content)
		dst = append(dst, `,"components":`...)
		var ok bool
		if dst, ok = appendComponents(dst, d.Components); !ok {
			return dst, false
		}
		dst = append(dst, `,"embeds":`...)
		if dst, ok = appendEmbeds(dst, d.Embeds); !ok {
			return dst, false
		}
		if d.AllowedMentions != nil {
			dst = append(dst, `,"allowed_mentions":`...)
			dst = appendMentions(dst, d.AllowedMentions)
		}
		if d.Flags != 0 {
			dst = append(dst, `,"flags":`...)
			dst = strconv.AppendInt(dst, int64(d.Flags), 10)
		}
		dst = append(dst, '}')
	}
	return append(dst, '}'), true
}

// appendWebhook appends p as the JSON body of a webhook execution (a
// follow-up message without files). It reports false, with dst
// unspecified, when p holds something it does not encode.
func appendWebhook(dst []byte, p *discordgo.WebhookParams) ([]byte, bool) {
	if p == nil || len(p.Files) > 0 || len(p.Attachments) > 0 {
		return dst, false
	}
	o := openObject(dst)
	o.str("content", p.Content)
	o.str("username", p.Username)
	o.str("avatar_url", p.AvatarURL)
	if p.TTS {
		o.key("tts")
		o.dst = append(o.dst, "true"...)
	}
	o.key("components")
	var ok bool
	if o.dst, ok = appendComponents(o.dst, p.Components); !ok {
		return o.dst, false
	}
	if len(p.Embeds) > 0 {
		o.key("embeds")
		if o.dst, ok = appendEmbeds(o.dst, p.Embeds); !ok {
			return o.dst, false
		}
	}
	if p.AllowedMentions != nil {
		o.key("allowed_mentions")
		o.dst = appendMentions(o.dst, p.AllowedMentions)
	}
	if p.Flags != 0 {
		o.key("flags")
		o.dst = strconv.AppendInt(o.dst, int64(p.Flags), 10)
	}
	o.str("thread_name", p.ThreadName)
	return o.close(), true
}

func appendFields(dst []byte, fs []*discordgo.MessageEmbedField) ([]byte, bool) {
	dst = append(dst, '[')
	for i, f := range fs {
		if f == nil {
			return dst, false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = appendString(dst, f.Name)
		dst = append(dst, `,"value":`...)
		dst = appendString(dst, f.Value)
		if f.Inline {
			dst = append(dst, `,"inline":true`...)
		}
		dst = append(dst, '}')
	}
	return append(dst, ']'), true
}

// object writes a JSON object whose members may all be omitted, so that
// none is sure to come first: a comma goes before each but the first.
type object struct {
	dst   []byte
	empty bool
}

func openObject(dst []byte) object { return object{dst: append(dst, '{'), empty: true} }

// key writes the member's name; its value follows.
func (o *object) key(name string) {
	if !o.empty {
		o.dst = append(o.dst, ',')
	}
	o.empty = false
	o.dst = append(o.dst, '"')
	o.dst = append(o.dst, name...)
	o.dst = append(o.dst, `":`...)
}

// str writes a string member unless v is empty (omitempty).
func (o *object) str(name, v string) {
	if v != "" {
		o.key(name)
		o.dst = appendString(o.dst, v)
	}
}

func (o *object) close() []byte { return append(o.dst, '}') }

func appendMentions(dst []byte, m *discordgo.MessageAllowedMentions) []byte {
	dst = append(dst, `{"parse":`...)
	if m.Parse == nil {
		dst = append(dst, "null"...)
	} else {
		dst = append(dst, '[')
		for i, p := range m.Parse {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, string(p))
		}
		dst = append(dst, ']')
	}
	dst = appendStrings(dst, "roles", m.Roles)
	dst = appendStrings(dst, "users", m.Users)
	dst = append(dst, `,"replied_user":`...)
	dst = strconv.AppendBool(dst, m.RepliedUser)
	return append(dst, '}')
}

// appendStrings appends ,"name":[...] unless list is empty (omitempty).
func appendStrings(dst []byte, name string, list []string) []byte {
	if len(list) == 0 {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, name...)
	dst = append(dst, `":[`...)
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, s)
	}
	return append(dst, ']')
}

func appendEmbeds(dst []byte, es []*discordgo.MessageEmbed) ([]byte, bool) {
	if es == nil {
		return append(dst, "null"...), true
	}
	dst = append(dst, '[')
	for i, e := range es {
		if e == nil || e.Image != nil || e.Thumbnail != nil || e.Video != nil || e.Provider != nil || e.Author != nil {
			return dst, false
		}
		if i > 0 {
			dst = append(dst, ',')
		}
		o := openObject(dst)
		o.str("url", e.URL)
		o.str("type", string(e.Type))
		o.str("title", e.Title)
		o.str("description", e.Description)
		o.str("timestamp", e.Timestamp)
		if e.Color != 0 {
			o.key("color")
			o.dst = strconv.AppendInt(o.dst, int64(e.Color), 10)
		}
		if f := e.Footer; f != nil {
			o.key("footer")
			fo := openObject(o.dst)
			fo.str("text", f.Text)
			fo.str("icon_url", f.IconURL)
			fo.str("proxy_icon_url", f.ProxyIconURL)
			o.dst = fo.close()
		}
		if len(e.Fields) > 0 {
			o.key("fields")
			var ok bool
			if o.dst, ok = appendFields(o.dst, e.Fields); !ok {
				return o.dst, false
			}
		}
		dst = o.close()
	}
	return append(dst, ']'), true
}

func appendComponents(dst []byte, cs []discordgo.MessageComponent) ([]byte, bool) {
	if cs == nil {
		return append(dst, "null"...), true
	}
	dst = append(dst, '[')
	for i, c := range cs {
		if i > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		switch c := c.(type) {
		case discordgo.ActionsRow:
			dst = append(dst, `{"components":`...)
			if dst, ok = appendComponents(dst, c.Components); !ok {
				return dst, false
			}
			dst = appendID(dst, c.ID)
			dst = append(dst, `,"type":1}`...)
		case discordgo.Button:
			if dst, ok = appendButton(dst, c); !ok {
				return dst, false
			}
		case discordgo.SelectMenu:
			if dst, ok = appendSelect(dst, c); !ok {
				return dst, false
			}
		case encodedComponent:
			dst = append(dst, c.json...)
		default:
			return dst, false
		}
	}
	return append(dst, ']'), true
}

// encodedComponent is a component encoded once, as the JSON
// encoding/json writes for it: the vote controls of a poll message, which
// every click's answer carries unchanged (see pollUpdate).
// encoding/json writes it as it is too, so a message holding one may go
// through discordgo's own requests.
type encodedComponent struct {
	typ  discordgo.ComponentType
	json []byte
}

func (c encodedComponent) Type() discordgo.ComponentType { return c.typ }

func (c encodedComponent) MarshalJSON() ([]byte, error) { return c.json, nil }

// encodeComponents returns cs with each component encoded (see
// encodedComponent).
func encodeComponents(cs []discordgo.MessageComponent) []discordgo.MessageComponent {
	out := make([]discordgo.MessageComponent, 0, len(cs))
	for _, c := range cs {
		b, ok := appendComponents(nil, []discordgo.MessageComponent{c})
		if !ok {
			var err error
			if b, err = json.Marshal([]discordgo.MessageComponent{c}); err != nil {
				return cs
			}
		}
		// One component, as a list of one: [ ... ].
		out = append(out, encodedComponent{typ: c.Type(), json: b[1 : len(b)-1]})
	}
	return out
}

func appendID(dst []byte, id int) []byte {
	if id == 0 {
		return dst
	}
	dst = append(dst, `,"id":`...)
	return strconv.AppendInt(dst, int64(id), 10)
}

// appendOmit appends ,"name":v unless v is empty (omitempty).
func appendOmit(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	dst = append(dst, `,"`...)
	dst = append(dst, name...)
	dst = append(dst, `":`...)
	return appendString(dst, v)
}

func appendEmoji(dst []byte, e *discordgo.ComponentEmoji) []byte {
	if e == nil {
		return dst
	}
	o := openObject(append(dst, `,"emoji":`...))
	o.str("name", e.Name)
	o.str("id", e.ID)
	if e.Animated {
		o.key("animated")
		o.dst = append(o.dst, "true"...)
	}
	return o.close()
}

func appendButton(dst []byte, b discordgo.Button) ([]byte, bool) {
	if b.Style == 0 {
		b.Style = discordgo.PrimaryButton // as Button.MarshalJSON does
	}
	dst = append(dst, `{"label":`...)
	dst = appendString(dst, b.Label)
	dst = append(dst, `,"style":`...)
	dst = strconv.AppendUint(dst, uint64(b.Style), 10)
	dst = append(dst, `,"disabled":`...)
	dst = strconv.AppendBool(dst, b.Disabled)
	dst = appendEmoji(dst, b.Emoji)
	dst = appendOmit(dst, "url", b.URL)
	dst = appendOmit(dst, "custom_id", b.CustomID)
	dst = appendOmit(dst, "sku_id", b.SKUID)
	dst = appendID(dst, b.ID)
	return append(dst, `,"type":2}`...), true
}

func appendSelect(dst []byte, s discordgo.SelectMenu) ([]byte, bool) {
	if len(s.DefaultValues) > 0 || len(s.ChannelTypes) > 0 {
		return dst, false
	}
	dst = append(dst, `{"type":`...)
	dst = strconv.AppendUint(dst, uint64(s.Type()), 10)
	dst = appendOmit(dst, "custom_id", s.CustomID)
	dst = append(dst, `,"placeholder":`...)
	dst = appendString(dst, s.Placeholder)
	if s.MinValues != nil {
		dst = append(dst, `,"min_values":`...)
		dst = strconv.AppendInt(dst, int64(*s.MinValues), 10)
	}
	if s.MaxValues != 0 {
		dst = append(dst, `,"max_values":`...)
		dst = strconv.AppendInt(dst, int64(s.MaxValues), 10)
	}
	if len(s.Options) > 0 {
		dst = append(dst, `,"options":[`...)
		for i, o := range s.Options {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"value":`...)
			dst = appendString(dst, o.Value)
			dst = appendOmit(dst, "label", o.Label)
			dst = append(dst, `,"description":`...)
			dst = appendString(dst, o.Description)
			dst = appendEmoji(dst, o.Emoji)
			dst = append(dst, `,"default":`...)
			dst = strconv.AppendBool(dst, o.Default)
			dst = append(dst, '}')
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"disabled":`...)
	dst = strconv.AppendBool(dst, s.Disabled)
	return append(appendID(dst, s.ID), '}'), true
}

// appendString appends s as a JSON string (see jsontext.AppendString).
func appendString(dst []byte, s string) []byte { return jsontext.AppendString(dst, s) }
