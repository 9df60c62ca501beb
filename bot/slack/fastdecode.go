package slack

import (
	"github.com/pollbot/pollbot/internal/jsonfast"
	"github.com/slack-go/slack"
	"github.com/valyala/fastjson"
)

// fastClick decodes a block_actions payload as clickPayload.callback
// would, with fastjson; ok is false when the payload is anything else or
// encoding/json might read it differently (see internal/jsonfast), and
// the caller decodes it with encoding/json. FuzzFastClick holds the two
// to the same reading, FuzzDecodeInteraction both to slack-go's.
func fastClick(payload []byte) (cb slack.InteractionCallback, ok bool) {
	r := jsonfast.Reader{OK: true}
	var typ string
	parsed := jsonfast.Parse(payload, func(v *fastjson.Value) {
		var actions *fastjson.Value
		r.Object(v, func(key []byte, v *fastjson.Value) {
			switch r.Field(key, "type", "team", "user", "channel", "response_url", "trigger_id", "action_ts", "container", "actions") {
			case 0:
				typ = r.Str(v)
			case 1:
				cb.Team.ID = r.StrOf(v, "id")
			case 2:
				cb.User.ID = r.StrOf(v, "id")
			case 3:
				cb.Channel.ID = r.StrOf(v, "id")
			case 4:
				cb.ResponseURL = r.Str(v)
			case 5:
				cb.TriggerID = r.Str(v)
			case 6:
				cb.ActionTs = r.Str(v)
			case 7:
				r.Object(v, func(key []byte, v *fastjson.Value) {
					switch r.Field(key, "channel_id", "is_ephemeral") {
					case 0:
						cb.Container.ChannelID = r.Str(v)
					case 1:
						cb.Container.IsEphemeral = r.Bool(v)
					}
				})
			case 8:
				actions = v
			}
		})
		if !r.OK || actions == nil || actions.Type() == fastjson.TypeNull {
			return
		}
		elems, err := actions.Array()
		if err != nil {
			r.OK = false
			return
		}
		for _, e := range elems {
			if e.Type() != fastjson.TypeObject {
				r.OK = false
				return
			}
			if act, block := action(&r, e); block {
				cb.ActionCallback.BlockActions = append(cb.ActionCallback.BlockActions, act)
			}
		}
	})
	if !parsed || !r.OK || typ != string(slack.InteractionTypeBlockActions) {
		return slack.InteractionCallback{}, false
	}
	cb.Type = slack.InteractionType(typ)
	return cb, true
}

// action reads one action as callback does: a block action when the
// object has the key block_id, exactly so spelled, with a string value
// (the last such key counting, as in slack-go's map), decoded as
// clickAction.
func action(r *jsonfast.Reader, v *fastjson.Value) (act *slack.BlockAction, block bool) {
	var a clickAction
	r.Object(v, func(key []byte, v *fastjson.Value) {
		if string(key) == "block_id" {
			// The map's test, whatever the struct's rules say below.
			block = v.Type() == fastjson.TypeString
		}
		switch r.Field(key, "block_id", "action_id", "type", "action_ts", "selected_option") {
		case 0:
			a.BlockID = r.Str(v)
		case 1:
			a.ActionID = r.Str(v)
		case 2:
			a.Type = r.Str(v)
		case 3:
			a.ActionTs = r.Str(v)
		case 4:
			a.SelectedOption.Value = r.StrOf(v, "value")
		}
	})
	if !block {
		return nil, false
	}
	act = &slack.BlockAction{BlockID: a.BlockID, ActionID: a.ActionID, Type: slack.ActionType(a.Type), ActionTs: a.ActionTs}
	act.SelectedOption.Value = a.SelectedOption.Value
	return act, true
}
