package slack

import (
	"bytes"
	"encoding/json"

	"github.com/slack-go/slack"
)

// decodeInteraction decodes an interaction payload. A click
// (block_actions) is decoded into clickPayload, the few fields a click
// needs: the payload also carries the whole message the click came from,
// and building slack-go's types for its blocks cost more than everything
// else the click does before the store (docs/ARCHITECTURE.md, "The vote
// path"). The message is skipped, not built. A click is read by fastClick
// where it reads what encoding/json would (fastdecode.go), else into
// clickPayload by encoding/json. Every other payload, and a click the
// slim form does not fit, is decoded by slack-go as before.
func decodeInteraction(payload []byte) (slack.InteractionCallback, error) {
	if cb, ok := fastClick(payload); ok {
		return cb, nil
	}
	var c clickPayload
	if err := json.Unmarshal(payload, &c); err == nil && c.Type == string(slack.InteractionTypeBlockActions) {
		if cb, err := c.callback(); err == nil {
			return cb, nil
		}
	}
	var cb slack.InteractionCallback
	err := json.Unmarshal(payload, &cb)
	return cb, err
}

// clickPayload is the part of a block_actions payload pollbot reads.
type clickPayload struct {
	Type        string   `json:"type"`
	Team        idObject `json:"team"`
	User        idObject `json:"user"`
	Channel     idObject `json:"channel"`
	ResponseURL string   `json:"response_url"`
	TriggerID   string   `json:"trigger_id"`
	ActionTs    string   `json:"action_ts"`
	Container   struct {
		ChannelID   string `json:"channel_id"`
		IsEphemeral bool   `json:"is_ephemeral"`
	} `json:"container"`
	Actions rawActions `json:"actions"`
}

// rawActions reads "actions" as slack-go's ActionCallbacks does: each
// time the key is given (a repeated or case-folded key), its elements are
// added to those before, and null adds none.
type rawActions []json.RawMessage

func (a *rawActions) UnmarshalJSON(data []byte) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	*a = append(*a, raw...)
	return nil
}

type idObject struct {
	ID string `json:"id"`
}

type clickAction struct {
	BlockID        string `json:"block_id"`
	ActionID       string `json:"action_id"`
	Type           string `json:"type"`
	ActionTs       string `json:"action_ts"`
	SelectedOption struct {
		Value string `json:"value"`
	} `json:"selected_option"`
}

// callback is the click as slack-go's InteractionCallback, with the
// fields pollbot reads filled as slack-go would fill them; an error where
// slack-go's own rules might differ sends the payload to slack-go.
func (c *clickPayload) callback() (slack.InteractionCallback, error) {
	var cb slack.InteractionCallback
	cb.Type = slack.InteractionType(c.Type)
	cb.Team.ID = c.Team.ID
	cb.User.ID = c.User.ID
	cb.Channel.ID = c.Channel.ID
	cb.ResponseURL = c.ResponseURL
	cb.TriggerID = c.TriggerID
	cb.ActionTs = c.ActionTs
	cb.Container.ChannelID = c.Container.ChannelID
	cb.Container.IsEphemeral = c.Container.IsEphemeral
	for _, raw := range c.Actions {
		// slack-go counts an action as a block action when it has the key
		// "block_id", exactly so spelled, with a string value (the rest
		// are attachment actions, which pollbot makes none of).
		block, ok := blockIDString(raw)
		if !ok {
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(raw, &keys); err != nil {
				return cb, err
			}
			id, found := keys["block_id"]
			block = found && len(id) > 0 && id[0] == '"'
		}
		if !block {
			continue
		}
		var a clickAction
		if err := json.Unmarshal(raw, &a); err != nil {
			return cb, err
		}
		act := &slack.BlockAction{BlockID: a.BlockID, ActionID: a.ActionID, Type: slack.ActionType(a.Type), ActionTs: a.ActionTs}
		act.SelectedOption.Value = a.SelectedOption.Value
		cb.ActionCallback.BlockActions = append(cb.ActionCallback.BlockActions, act)
	}
	return cb, nil
}

// blockIDString reports whether the JSON object obj has the key "block_id",
// exactly so spelled, with a string value (of its last such key, as a
// decoded map keeps): slack-go's test of a block action, without building
// the map. ok is false when obj is not an object or holds a backslash (a
// key could be escaped), which the caller leaves to the map. obj is valid
// JSON (an element of an array encoding/json has read).
func blockIDString(obj []byte) (has, ok bool) {
	if len(obj) == 0 || obj[0] != '{' || bytes.IndexByte(obj, '\\') >= 0 {
		return false, false
	}
	depth, key := 0, false
	for i := 0; i < len(obj); i++ {
		switch c := obj[i]; c {
		case '{', '[':
			depth++
			key = c == '{' && depth == 1
		case '}', ']':
			depth--
		case ',':
			key = depth == 1
		case '"':
			end := bytes.IndexByte(obj[i+1:], '"')
			if end < 0 {
				return false, false
			}
			name := obj[i+1 : i+1+end]
			i += end + 1
			if !key {
				continue
			}
			key = false
			// The member's value: past the colon and any space.
			j := i + 1
			for j < len(obj) && (obj[j] == ' ' || obj[j] == '\t' || obj[j] == '\n' || obj[j] == '\r' || obj[j] == ':') {
				j++
			}
			if string(name) == "block_id" {
				has = j < len(obj) && obj[j] == '"'
			}
		}
	}
	return has, true
}
