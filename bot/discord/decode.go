package discord

import (
	"encoding/json"

	"github.com/bwmarrin/discordgo"
)

// decodeInteraction decodes an interaction. A component click (type 3,
// every vote) is decoded into componentClick, the few fields pollbot reads
// of one: the click also carries the whole message its button is on, with
// the poll's embed and every button, and discordgo builds all of it (the
// interaction once raw, then its data, then each component by its type),
// which cost more than the rest of the click's work before the store. The
// message is skipped, not built. Every other interaction, and a click
// without data (which discordgo refuses), is decoded by discordgo as
// before. FuzzDecodeInteraction checks that the slim form reads what
// discordgo reads wherever discordgo reads the click.
func decodeInteraction(body []byte) (discordgo.Interaction, error) {
	var c componentClick
	if err := json.Unmarshal(body, &c); err == nil && c.Type == discordgo.InteractionMessageComponent && c.Data != nil {
		return c.interaction(), nil
	}
	var in discordgo.Interaction
	err := json.Unmarshal(body, &in)
	return in, err
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
	Member    *struct {
		User *struct {
			ID string `json:"id"`
		} `json:"user"`
		Roles []string `json:"roles"`
	} `json:"member"`
	Message *struct {
		ID        string `json:"id"`
		ChannelID string `json:"channel_id"`
	} `json:"message"`
	Data *struct {
		CustomID      string                  `json:"custom_id"`
		ComponentType discordgo.ComponentType `json:"component_type"`
		Values        []string                `json:"values"`
	} `json:"data"`
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
