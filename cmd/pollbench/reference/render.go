package reference

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// poll is a reference poll as the server keeps it: its keys, and every
// piece of its messages that no vote changes, rendered once and escaped
// for a JSON string.
type poll struct {
	id     string
	themes []string
	keys   [3]string // groups, ballots, tally: voteScript's KEYS

	labels [][]byte // each theme's label, JSON-escaped
	// Discord's type 7 answer: head, then per theme line[t] + bar +
	// " — " + count, then middle, the ballots, participation, tail.
	head, middle, tail []byte
	lines              [][]byte
	groupLabels        [][]byte // "🏛️ Government " per group, JSON-escaped
}

// Discord's poll message, as pollbot lays it out for an open approval
// poll with live results.
const (
	discordColorOpen = 5793266 // 0x5865F2
	statusText       = "Open · no deadline"
	kindText         = "Choose every theme you support."
	barWidth         = 10
)

// bars[i] is a bar with i of barWidth cells full, as pollbot draws it.
var bars = func() [barWidth + 1]string {
	var b [barWidth + 1]string
	for i := range b {
		b[i] = strings.Repeat("▓", i) + strings.Repeat("░", barWidth-i)
	}
	return b
}()

// groupNames are the groups' labels, JSON-escaped.
var groupNames = func() [][]byte {
	out := make([][]byte, len(Groups))
	for i, g := range Groups {
		out[i] = esc(g.Label)
	}
	return out
}()

// esc is s escaped for the inside of a JSON string.
func esc(s string) []byte {
	b, _ := json.Marshal(s)
	return b[1 : len(b)-1]
}

func newPoll(tenant, id, title string, themes []string) *poll {
	if len(themes) > MaxThemes {
		themes = themes[:MaxThemes]
	}
	p := &poll{id: id, themes: themes}
	p.keys = [3]string{groupsKey(tenant), BallotsKey(tenant, id), TallyKey(tenant, id)}
	for i, t := range themes {
		p.labels = append(p.labels, esc(t))
		p.lines = append(p.lines, esc(fmt.Sprintf("`%2d.` `", i+1)))
	}
	p.head = fmt.Appendf(nil, `{"type":7,"data":{"embeds":[{"title":"%s","description":"%s",`, esc(title), esc("**"+statusText+"**\n"+kindText+"\n\n"))
	// The description's theme lines are appended into the open string.
	p.head = p.head[:len(p.head)-2]
	p.middle = fmt.Appendf(nil, `","color":%d,"fields":[{"name":"Ballots: `, discordColorOpen)
	for _, g := range Groups {
		p.groupLabels = append(p.groupLabels, esc(strings.TrimSpace(g.Emoji+" "+g.Label)+" "))
	}
	footer := fmt.Sprintf("Poll %s · vote by text: /poll vote %s 1 3 · your group: /poll group", id, id)
	p.tail = fmt.Appendf(nil, `"}],"footer":{"text":"%s"}}],"components":%s,"allowed_mentions":{"parse":[]}}}`, esc(footer), components(id, themes))
	return p
}

// components are the poll message's buttons: one per theme and the
// withdraw button, five to a row, with pollbot's custom ids.
func components(id string, themes []string) []byte {
	type button struct {
		Type     int    `json:"type"`
		Style    int    `json:"style"`
		Label    string `json:"label"`
		CustomID string `json:"custom_id"`
	}
	type row struct {
		Type       int      `json:"type"`
		Components []button `json:"components"`
	}
	var buttons []button
	for i, t := range themes {
		label := fmt.Sprintf("%d. %s", i+1, t)
		if r := []rune(label); len(r) > 80 {
			label = string(r[:79]) + "…"
		}
		buttons = append(buttons, button{Type: 2, Style: 1, Label: label, CustomID: fmt.Sprintf("pollbot:vote:%s:%d", id, i+1)})
	}
	buttons = append(buttons, button{Type: 2, Style: 2, Label: "Withdraw my ballot", CustomID: "pollbot:dc:unvote:" + id})
	rows := []row{}
	for len(buttons) > 0 {
		n := min(len(buttons), 5)
		rows = append(rows, row{Type: 1, Components: buttons[:n]})
		buttons = buttons[n:]
	}
	b, _ := json.Marshal(rows)
	return b
}

// appendUpdate appends Discord's type 7 answer to a vote: the poll
// message with the counts r carries.
func (p *poll) appendUpdate(dst []byte, r *result) []byte {
	dst = append(dst, p.head...)
	for t := range p.themes {
		n := r.byTheme[t]
		full := 0
		if r.ballots > 0 {
			// Rounded to the nearest cell, as pollbot's bars are.
			full = int((n*barWidth*2 + r.ballots) / (2 * r.ballots))
		}
		dst = append(dst, p.lines[t]...)
		dst = append(dst, bars[min(max(full, 0), barWidth)]...)
		dst = append(dst, "` "...)
		dst = append(dst, p.labels[t]...)
		dst = append(dst, " — "...)
		dst = appendVotes(dst, n)
		if t < len(p.themes)-1 {
			dst = append(dst, `\n`...)
		}
	}
	dst = append(dst, p.middle...)
	dst = strconv.AppendInt(dst, r.ballots, 10)
	dst = append(dst, `","value":"`...)
	for i, g := range p.groupLabels {
		if i > 0 {
			dst = append(dst, " · "...)
		}
		dst = append(dst, g...)
		dst = strconv.AppendInt(dst, r.byGroup[i], 10)
	}
	return append(dst, p.tail...)
}

func appendVotes(dst []byte, n int64) []byte {
	if n == 1 {
		return append(dst, "1 vote"...)
	}
	return append(strconv.AppendInt(dst, n, 10), " votes"...)
}

// appendBallotText appends, JSON-escaped, the sentence that confirms a
// ballot to its voter, pollbot's words.
func (p *poll) appendBallotText(dst []byte, r *result) []byte {
	if r.new == 0 {
		return append(append(append(dst, "You no longer have a ballot in poll "...), p.id...), '.')
	}
	dst = append(append(append(dst, "Your ballot in poll "...), p.id...), ": "...)
	first := true
	for t := range p.themes {
		if r.new&(1<<t) == 0 {
			continue
		}
		if !first {
			dst = append(dst, "; "...)
		}
		first = false
		dst = append(dst, p.labels[t]...)
	}
	dst = append(dst, ". Counted for "...)
	dst = append(dst, groupNames[r.group]...)
	dst = append(dst, '.')
	if r.old != 0 {
		dst = append(dst, " (It replaces your previous ballot.)"...)
	}
	return dst
}

// appendSlackConfirmation appends the ephemeral message pollbot posts to a
// click's response_url, for text (JSON-escaped).
func appendSlackConfirmation(dst, text []byte) []byte {
	dst = append(dst, `{"text":"`...)
	dst = append(dst, text...)
	dst = append(dst, `","blocks":[{"type":"section","text":{"type":"plain_text","text":"`...)
	dst = append(dst, text...)
	return append(dst, `","emoji":true}}],"response_type":"ephemeral","replace_original":false,"delete_original":false}`...)
}

// appendFollowUp appends an ephemeral Discord follow-up of text
// (JSON-escaped).
func appendFollowUp(dst, text []byte) []byte {
	dst = append(dst, `{"content":"`...)
	dst = append(dst, text...)
	return append(dst, `","flags":64,"allowed_mentions":{"parse":[]}}`...)
}
