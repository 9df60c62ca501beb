package slack

import (
	"bytes"
	"unicode/utf8"

	"github.com/slack-go/slack"
	"github.com/valyala/fastjson"
)

// A click's payload is read first by fastjson (a parser without
// reflection, several times cheaper than encoding/json on these payloads),
// and only where it reads exactly what encoding/json would: every rule of
// encoding/json that could make the two differ sends the payload on to
// the encoding/json path (decodeInteraction's clickPayload), namely
//
//   - a key of an object pollbot reads that matches one of the fields it
//     reads other than exactly (encoding/json folds case), or repeats one
//     (encoding/json keeps the last, fastjson finds the first);
//   - a field of another type than the struct's (encoding/json fails; null
//     leaves the zero value, as here);
//   - a string pollbot keeps that is not valid UTF-8, or holds U+FFFD or a
//     backslash (encoding/json and fastjson mend bad bytes differently, and
//     fastjson leaves a lone surrogate's escape as it is written);
//   - anything but an object where an object is read.
//
// Whatever fastjson refuses goes on too. FuzzDecodeInteraction holds the
// result to slack-go's reading, and FuzzFastClick to the encoding/json
// path's.

var fastParsers fastjson.ParserPool

// fastClick decodes a block_actions payload as clickPayload.callback
// would; ok is false when the payload is anything else or any rule above
// applies.
func fastClick(payload []byte) (cb slack.InteractionCallback, ok bool) {
	p := fastParsers.Get()
	defer fastParsers.Put(p)
	v, err := p.ParseBytes(payload)
	if err != nil {
		return cb, false
	}
	r := fastReader{ok: true}
	var typ string
	var actions *fastjson.Value
	r.object(v, func(key []byte, v *fastjson.Value) {
		switch r.field(key, "type", "team", "user", "channel", "response_url", "trigger_id", "action_ts", "container", "actions") {
		case 0:
			typ = r.str(v)
		case 1:
			cb.Team.ID = r.id(v)
		case 2:
			cb.User.ID = r.id(v)
		case 3:
			cb.Channel.ID = r.id(v)
		case 4:
			cb.ResponseURL = r.str(v)
		case 5:
			cb.TriggerID = r.str(v)
		case 6:
			cb.ActionTs = r.str(v)
		case 7:
			r.object(v, func(key []byte, v *fastjson.Value) {
				switch r.field(key, "channel_id", "is_ephemeral") {
				case 0:
					cb.Container.ChannelID = r.str(v)
				case 1:
					cb.Container.IsEphemeral = r.boolean(v)
				}
			})
		case 8:
			actions = v
		}
	})
	if !r.ok || typ != string(slack.InteractionTypeBlockActions) {
		return slack.InteractionCallback{}, false
	}
	cb.Type = slack.InteractionType(typ)
	if actions != nil && actions.Type() != fastjson.TypeNull {
		elems, err := actions.Array()
		if err != nil {
			return slack.InteractionCallback{}, false
		}
		for _, e := range elems {
			if e.Type() != fastjson.TypeObject {
				return slack.InteractionCallback{}, false
			}
			if act, block := r.action(e); block {
				cb.ActionCallback.BlockActions = append(cb.ActionCallback.BlockActions, act)
			}
		}
	}
	if !r.ok {
		return slack.InteractionCallback{}, false
	}
	return cb, true
}

// fastReader reads values as encoding/json would decode them into the
// slim structs, and clears ok where it might not.
type fastReader struct {
	ok   bool
	seen [10]bool // the fields of the object being read
}

// object calls fn for each member of v, an object, with seen cleared for
// it and restored after (an object read inside fn has seen of its own);
// null calls nothing.
func (r *fastReader) object(v *fastjson.Value, fn func(key []byte, v *fastjson.Value)) {
	switch v.Type() {
	case fastjson.TypeNull:
		return
	case fastjson.TypeObject:
	default:
		r.ok = false
		return
	}
	o, _ := v.Object()
	saved := r.seen
	r.seen = [10]bool{}
	o.Visit(func(key []byte, v *fastjson.Value) {
		if r.ok {
			fn(key, v)
		}
	})
	r.seen = saved
}

// field is the index of key among names, the fields of the struct being
// decoded, or -1 for a key encoding/json would skip. A key that matches a
// name only by folding case, or a name seen before in this object, clears
// ok.
func (r *fastReader) field(key []byte, names ...string) int {
	for i, n := range names {
		if string(key) == n {
			if r.seen[i] {
				r.ok = false
				return -1
			}
			r.seen[i] = true
			return i
		}
		if bytes.EqualFold(key, []byte(n)) {
			r.ok = false
			return -1
		}
	}
	return -1
}

func (r *fastReader) str(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeNull:
		return ""
	case fastjson.TypeString:
	default:
		r.ok = false
		return ""
	}
	b, _ := v.StringBytes()
	if !utf8.Valid(b) || bytes.Contains(b, []byte("\uFFFD")) || bytes.IndexByte(b, '\\') >= 0 {
		r.ok = false
		return ""
	}
	return string(b)
}

func (r *fastReader) boolean(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeNull, fastjson.TypeFalse:
		return false
	case fastjson.TypeTrue:
		return true
	}
	r.ok = false
	return false
}

// id reads an object's "id", as idObject.
func (r *fastReader) id(v *fastjson.Value) (id string) {
	r.object(v, func(key []byte, v *fastjson.Value) {
		if r.field(key, "id") == 0 {
			id = r.str(v)
		}
	})
	return id
}

// action reads one action as callback does: a block action when the
// object has the key block_id, exactly so spelled, with a string value
// (the last such key counting, as in slack-go's map), decoded as
// clickAction.
func (r *fastReader) action(v *fastjson.Value) (act *slack.BlockAction, block bool) {
	var a clickAction
	r.object(v, func(key []byte, v *fastjson.Value) {
		if string(key) == "block_id" {
			// The map's test, whatever the struct's rules say below.
			block = v.Type() == fastjson.TypeString
		}
		switch r.field(key, "block_id", "action_id", "type", "action_ts", "selected_option") {
		case 0:
			a.BlockID = r.str(v)
		case 1:
			a.ActionID = r.str(v)
		case 2:
			a.Type = r.str(v)
		case 3:
			a.ActionTs = r.str(v)
		case 4:
			r.object(v, func(key []byte, v *fastjson.Value) {
				if r.field(key, "value") == 0 {
					a.SelectedOption.Value = r.str(v)
				}
			})
		}
	})
	if !block {
		return nil, false
	}
	act = &slack.BlockAction{BlockID: a.BlockID, ActionID: a.ActionID, Type: slack.ActionType(a.Type), ActionTs: a.ActionTs}
	act.SelectedOption.Value = a.SelectedOption.Value
	return act, true
}
