// This file holds the commands that change a ballot: vote, unvote and the
// button clicks that reach the same path.

package bot

import (
	"context"
	"strings"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

func (e *Engine) vote(ctx context.Context, req Request, c Vote) Response {
	res, err := e.castText(ctx, req, c)
	e.countVote(req, res, err)
	if err != nil {
		return e.failPoll(req, "vote", c.Poll, err)
	}
	return e.castResponse(res)
}

// castText casts a typed vote: themes by label or number.
func (e *Engine) castText(ctx context.Context, req Request, c Vote) (polls.CastResult, error) {
	p, err := e.poll(ctx, req, c.Poll)
	if err != nil {
		return polls.CastResult{}, err
	}
	choices := make([]int, 0, len(c.Themes))
	for _, t := range c.Themes {
		i, err := p.ThemeIndex(t)
		if err != nil {
			return polls.CastResult{Poll: p}, err
		}
		choices = append(choices, i)
	}
	return e.svc.Cast(ctx, req.voter(e.RoleGroup(req)), p.ID, choices)
}

// castResponse confirms a vote to the voter, or asks for their group.
func (e *Engine) castResponse(res polls.CastResult) Response {
	p := res.Poll
	if res.Repeated {
		return Response{Duplicate: true}
	}
	if res.Held {
		return Response{Replies: []Reply{e.pickerReply(e.p.Sprint(msg.VoteHeld.With(p.ID)))}}
	}
	return Response{
		Replies: []Reply{{Visibility: Ephemeral, Text: e.ballotText(p, res.Ballot, res.Previous != nil)}},
		Updated: []polls.Key{p.Key()},
	}.withVote(p, res.Tally)
}

func (e *Engine) pickerReply(text string) Reply {
	pk := &GroupPicker{Prompt: e.p.Sprint(msg.PickerPrompt.With())}
	for _, g := range e.groups.All() {
		pk.Options = append(pk.Options, Control{ID: GroupAction(g.ID), Label: UserText(strings.TrimSpace(g.Emoji + " " + g.Label))})
	}
	return Reply{Visibility: Ephemeral, Text: text, Picker: pk}
}

// ballotText describes the voter's current ballot. The words depend only
// on the poll's view, the choices, the group and whether a ballot was
// replaced, and a poll sees few such ballots again and again: each is
// worded once (see ballotKey).
func (e *Engine) ballotText(p *polls.Poll, b polls.Ballot, replaced bool) string {
	if len(b.Choices) == 0 {
		return e.p.Sprint(msg.BallotNone.With(p.ID))
	}
	sv := e.views.get(p, e.staticView)
	k, ok := ballotKeyOf(sv, b, replaced)
	if !ok {
		return e.wordBallot(p, sv.labels, b, replaced)
	}
	return e.ballots.get(k, func() string { return e.wordBallot(p, sv.labels, b, replaced) })
}

// ballotKey is a ballot confirmation as ballotText words it: the view it
// names the themes from, the choices in order, the group, whether it
// replaced a ballot.
type ballotKey struct {
	view     *staticView
	choices  [polls.MaxThemes]int8
	n        int8
	group    polls.Group
	replaced bool
}

func ballotKeyOf(sv *staticView, b polls.Ballot, replaced bool) (ballotKey, bool) {
	k := ballotKey{view: sv, n: int8(len(b.Choices)), group: b.Group, replaced: replaced}
	if len(b.Choices) > len(k.choices) {
		return k, false
	}
	for i, c := range b.Choices {
		if c < 0 || c >= len(sv.labels) || c > 127 {
			return k, false
		}
		k.choices[i] = int8(c)
	}
	return k, true
}

// wordBallot words ballotText's confirmation with the poll's theme labels.
func (e *Engine) wordBallot(p *polls.Poll, themes []string, b polls.Ballot, replaced bool) string {
	labels := make([]string, len(b.Choices))
	for i, c := range b.Choices {
		if p.Kind == polls.Ranked {
			labels[i] = e.p.Sprint(msg.Numbered.With(i+1, themes[c]))
		} else {
			labels[i] = themes[c]
		}
	}
	what := msg.BallotYours
	if p.Kind == polls.Ranked {
		what = msg.BallotRanking
	}
	s := e.p.Sprint(what.With(p.ID, strings.Join(labels, e.p.Sprint(msg.ItemSeparator.With()))))
	s = e.sentences(s, e.p.Sprint(msg.BallotCountedAs.With(UserText(e.groups.Info(b.Group).Label))))
	if replaced {
		s = e.sentences(s, e.p.Sprint(msg.BallotReplaces.With()))
	}
	return s
}

func (e *Engine) unvote(ctx context.Context, req Request, c Unvote) Response {
	p, err := e.poll(ctx, req, c.Poll)
	if err != nil {
		return e.failPoll(req, "unvote", c.Poll, err)
	}
	r, err := e.svc.Retract(ctx, req.voter(""), p.ID)
	if err != nil {
		return e.failPoll(req, "unvote", p.ID, err)
	}
	switch {
	case r.Repeated:
		return Response{Duplicate: true}
	case r.Had:
		resp := ephemeral(e.p.Sprint(msg.UnvoteRemoved.With(p.ID)))
		resp.Updated = []polls.Key{p.Key()}
		return resp.withVote(r.Poll, r.Tally)
	case r.Held > 0:
		return ephemeral(e.p.Sprint(msg.UnvoteWithdrawn.With(p.ID)))
	}
	return ephemeral(e.p.Sprint(msg.UnvoteNone.With(p.ID)))
}
