// This file holds who may do what: facilitators, stakeholder-group
// assignment and the role checks behind them.

package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// IsFacilitator reports whether the requester is a configured facilitator
// (by id or by role, compared as principals compare: see Config).
func (e *Engine) IsFacilitator(req Request) bool {
	for _, f := range e.cfg.Facilitators {
		if matchesPrincipal(f, req) {
			return true
		}
	}
	return false
}

func (e *Engine) canManage(req Request, p *polls.Poll) bool {
	return e.IsFacilitator(req) || p.Creator == req.User
}

// RoleGroup maps the requester's platform roles to a group, following the
// configured mappings in order (compared as principals compare: see
// Config).
func (e *Engine) RoleGroup(req Request) polls.Group {
	for _, m := range e.cfg.Roles {
		if p, err := parsePrincipal(m.Role); err == nil && p.isRole() && p.matches(req) {
			return m.Group
		}
	}
	return ""
}

// facilitatorVerb says what facilitators-only commands do, for the
// refusal.
var facilitatorVerb = map[string]msg.Def0{"assign": msg.VerbAssignGroups}

var sourceText = map[polls.GroupSource]msg.Def0{
	polls.SourceAssigned: msg.SourceAssigned,
	polls.SourceRole:     msg.SourceRole,
	polls.SourceDeclared: msg.SourceDeclared,
}

func (e *Engine) group(ctx context.Context, req Request, c Group) Response {
	v := req.voter(e.RoleGroup(req))
	if c.Group == "" {
		g, src, ok, err := e.svc.Resolve(ctx, v)
		if err != nil {
			return e.fail(req, "group", err)
		}
		if !ok {
			return Response{Replies: []Reply{e.pickerReply(e.p.Sprint(msg.GroupNone.With()))}}
		}
		return ephemeral(e.p.Sprint(msg.GroupIs.With(e.groupLabel(g), sourceText[src].With())))
	}
	before, _, had, err := e.svc.Resolve(ctx, v)
	if err != nil {
		return e.fail(req, "group", err)
	}
	g, outcomes, err := e.svc.SetGroup(ctx, v, c.Group)
	if err != nil {
		return e.fail(req, "group", err)
	}
	e.countHeld(req, outcomes)
	text := e.p.Sprint(msg.GroupNow.With(e.groupLabel(g)))
	now := g
	if rg := e.RoleGroup(req); rg != "" && rg != g {
		text = e.p.Sprint(msg.GroupRoleFirst.With(e.groupLabel(g), e.groupLabel(rg)))
		now = rg
	}
	if had && before != now {
		// A ballot records the group it was cast in (a report counts it
		// there); changing group does not move ballots already cast.
		text = e.withNote(text, msg.GroupBallotsStay.With(e.groupLabel(before)))
	}
	return e.withOutcomes(text, outcomes)
}

// countHeld reports held votes that a group choice applied (or refused).
func (e *Engine) countHeld(req Request, outcomes []polls.HeldOutcome) {
	for _, o := range outcomes {
		e.countVote(req, o.Result, o.Err)
	}
}

func (e *Engine) withOutcomes(text string, outcomes []polls.HeldOutcome) Response {
	resp := Response{}
	lines := []string{text}
	for _, o := range outcomes {
		if o.Err != nil {
			reason := strings.TrimSuffix(e.errText(o.Err), ".")
			var de *polls.Error
			if !errors.As(o.Err, &de) {
				e.log.Error("applying held vote failed", "poll", o.PollID, "err", o.Err)
			}
			lines = append(lines, e.p.Sprint(msg.HeldFailed.With(o.PollID, reason)))
			continue
		}
		lines = append(lines, e.sentences(e.p.Sprint(msg.HeldCounted.With()), e.ballotText(o.Result.Poll, o.Result.Ballot, o.Result.Previous != nil)))
		resp.Updated = append(resp.Updated, o.Result.Poll.Key())
	}
	resp.Replies = []Reply{{Visibility: Ephemeral, Text: strings.Join(lines, "\n")}}
	return resp
}

// mentionUser extracts a user id from what was typed: "<@U123|alice>",
// "<@!456>", "@alice", "alice".
func mentionUser(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<@") && strings.HasSuffix(s, ">") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<@"), ">")
		s = strings.TrimPrefix(s, "!")
		s, _, _ = strings.Cut(s, "|")
		return s
	}
	return strings.TrimPrefix(s, "@")
}

func (e *Engine) assign(ctx context.Context, req Request, c Assign) Response {
	if !e.IsFacilitator(req) {
		return e.fail(req, "assign", forbidden(msg.ErrFacilitatorsOnly.With(msg.VerbAssignGroups.With())))
	}
	user := mentionUser(c.User)
	if user == "" {
		return e.fail(req, "assign", &UsageError{Problem: msg.ErrAssignNeedsUser.With(), Usage: Usage("assign")})
	}
	before, _, had, err := e.svc.Resolve(ctx, polls.Voter{Tenant: req.Tenant, User: user})
	if err != nil {
		return e.fail(req, "assign", err)
	}
	g, outcomes, err := e.svc.Assign(ctx, req.Tenant, user, c.Group)
	if err != nil {
		return e.fail(req, "assign", err)
	}
	e.countHeld(req, outcomes)
	text := e.p.Sprint(msg.Assigned.With(UserText(user), e.groupLabel(g)))
	if had && before != g {
		text = e.withNote(text, msg.AssignedStay.With(e.groupLabel(before)))
	}
	resp := e.withOutcomes(text, nil)
	// A facilitator learns what became of the votes held for the user,
	// but never which anonymous poll one was in: that would tie the user
	// to a vote the poll promises to keep apart from them.
	anonCounted, anonFailed := false, false
	for _, o := range outcomes {
		switch {
		case o.Anonymous && o.Err != nil:
			anonFailed = true
		case o.Anonymous:
			anonCounted = true
			resp.Updated = append(resp.Updated, o.Result.Poll.Key())
		case o.Err != nil:
			resp.Replies[0].Text += "\n" + e.p.Sprint(msg.AssignedHeldFailed.With(o.PollID, sentence(e.errText(o.Err))))
		default:
			resp.Replies[0].Text += "\n" + e.p.Sprint(msg.AssignedHeldCount.With(o.PollID))
			resp.Updated = append(resp.Updated, o.Result.Poll.Key())
		}
	}
	if anonCounted {
		resp.Replies[0].Text += "\n" + e.p.Sprint(msg.AssignedAnonCount.With())
	}
	if anonFailed {
		resp.Replies[0].Text += "\n" + e.p.Sprint(msg.AssignedAnonFailed.With())
	}
	return resp
}
