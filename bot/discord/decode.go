package discord

import (
	"encoding/json"
	"strconv"

	"github.com/bwmarrin/discordgo"
	"github.com/pollbot/pollbot/internal/jsonfast"
	"github.com/valyala/fastjson"
)

// decodeInteraction decodes an interaction. A component click (type 3,
// every vote) is decoded into componentClick, the few fields pollbot reads
// of one: the click also carries the whole message its button is on, with
// the poll's embed and every button, and discordgo builds all of it (the
// interaction once raw, then its data, then each component by its type),
// which cost more than the rest of the click's work before the store. The
// message is skipped, not built. Every other interaction, and a click
// without data (which discordgo refuses), is decoded by discordgo as
// before. A click is read by fastClick (fastjson) where it reads what
// encoding/json would (internal/jsonfast), else into componentClick by
// encoding/json. FuzzDecodeInteraction checks that the slim form reads
// what discordgo reads wherever discordgo reads the click, FuzzFastClick
// the fastjson path against the encoding/json one.
func decodeInteraction(body []byte) (discordgo.Interaction, error) {
	if c, ok := fastClick(body); ok {
		return c.interaction(), nil
	}
	if c, ok := slimClick(body); ok {
		return c.interaction(), nil
	}
	var in discordgo.Interaction
	err := json.Unmarshal(body, &in)
	return in, err
}

// slimClick reads body as componentClick with encoding/json; ok is false
// unless it is a component click with data. The message and the data are
// read raw first, as discordgo reads them: of a key given twice the last
// value counts whole (a pointer to a plain struct would merge the two).
func slimClick(body []byte) (componentClick, bool) {
	var raw struct {
		componentClick
		Message json.RawMessage `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &raw); err != nil || raw.Type != discordgo.InteractionMessageComponent {
		return componentClick{}, false
	}
	c := raw.componentClick
	if len(raw.Data) == 0 || string(raw.Data) == "null" {
		return componentClick{}, false
	}
	c.Data = new(clickData)
	if err := json.Unmarshal(raw.Data, c.Data); err != nil {
		return componentClick{}, false
	}
	if len(raw.Message) > 0 && string(raw.Message) != "null" {
		c.Message = new(clickMessage)
		if err := json.Unmarshal(raw.Message, c.Message); err != nil {
			return componentClick{}, false
		}
	}
	return c, true
}

// componentClick is the part of a component interaction pollbot reads
// (interactions.go): who clicked where, and which control.
type componentClick struct {
	ID        string                    `json:"id"`
	AppID     string                    `json:"application_id"`
	Type      discordgo.InteractionType `json:"type"`
	Token     string                    `json:"token"`
	GuildID   string                    `json:"guild_id"`
	ChannelID string                    `json:"channel_id"`
	Member    *clickMember              `json:"member"`
	Message   *clickMessage             `json:"message"`
	Data      *clickData                `json:"data"`
}

type clickMember struct {
	User  *clickUser `json:"user"`
	Roles []string   `json:"roles"`
}

type clickUser struct {
	ID string `json:"id"`
}

type clickMessage struct {
	ID        string `json:"id"`
	ChannelID string `json:"channel_id"`
}

type clickData struct {
	CustomID      string                  `json:"custom_id"`
	ComponentType discordgo.ComponentType `json:"component_type"`
	Values        []string                `json:"values"`
}

// interaction is the click as discordgo's Interaction, with the fields
// pollbot reads filled as discordgo fills them.
func (c *componentClick) interaction() discordgo.Interaction {
	in := discordgo.Interaction{
		ID: c.ID, AppID: c.AppID, Type: c.Type, Token: c.Token, GuildID: c.GuildID, ChannelID: c.ChannelID,
		Data: discordgo.MessageComponentInteractionData{
			CustomID: c.Data.CustomID, ComponentType: c.Data.ComponentType, Values: c.Data.Values,
		},
	}
	if c.Member != nil {
		in.Member = &discordgo.Member{Roles: c.Member.Roles}
		if c.Member.User != nil {
			in.Member.User = &discordgo.User{ID: c.Member.User.ID}
		}
	}
	if c.Message != nil {
		in.Message = &discordgo.Message{ID: c.Message.ID, ChannelID: c.Message.ChannelID}
	}
	return in
}

// fastClick reads body as componentClick, with fastjson; ok is false
// unless it is a component click with data that encoding/json would read
// the same (see internal/jsonfast).
func fastClick(body []byte) (c componentClick, ok bool) {
	r := jsonfast.Reader{OK: true}
	var typ uint64
	parsed := jsonfast.Parse(body, func(v *fastjson.Value) {
		r.Object(v, func(key []byte, v *fastjson.Value) {
			switch r.Field(key, "id", "application_id", "type", "token", "guild_id", "channel_id", "member", "message", "data") {
			case 0:
				c.ID = r.Str(v)
			case 1:
				c.AppID = r.Str(v)
			case 2:
				typ = r.Uint(v, 8)
			case 3:
				c.Token = r.Str(v)
			case 4:
				c.GuildID = r.Str(v)
			case 5:
				c.ChannelID = r.Str(v)
			case 6:
				if v.Type() == fastjson.TypeObject {
					c.Member = &clickMember{}
				}
				r.Object(v, func(key []byte, v *fastjson.Value) {
					switch r.Field(key, "user", "roles") {
					case 0:
						id := r.StrOf(v, "id")
						if v.Type() == fastjson.TypeObject {
							c.Member.User = &clickUser{ID: id}
						}
					case 1:
						c.Member.Roles = r.Strs(v)
					}
				})
			case 7:
				if v.Type() == fastjson.TypeObject {
					c.Message = &clickMessage{}
				}
				r.Object(v, func(key []byte, v *fastjson.Value) {
					switch r.Field(key, "id", "channel_id") {
					case 0:
						c.Message.ID = r.Str(v)
					case 1:
						c.Message.ChannelID = r.Str(v)
					}
				})
			case 8:
				if v.Type() == fastjson.TypeObject {
					c.Data = &clickData{}
				}
				r.Object(v, func(key []byte, v *fastjson.Value) {
					switch r.Field(key, "custom_id", "component_type", "values") {
					case 0:
						c.Data.CustomID = r.Str(v)
					case 1:
						c.Data.ComponentType = discordgo.ComponentType(r.Uint(v, strconv.IntSize))
					case 2:
						c.Data.Values = r.Strs(v)
					}
				})
			}
		})
	})
	c.Type = discordgo.InteractionType(typ)
	if !parsed || !r.OK || c.Type != discordgo.InteractionMessageComponent || c.Data == nil {
		return componentClick{}, false
	}
	return c, true
}
