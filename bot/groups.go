// This file holds who may do what: facilitators, stakeholder-group
// assignment and the role checks behind them.

package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

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
var facilitatorVerb = map[string]string{"assign": "assign stakeholder groups"}

var sourceText = map[polls.GroupSource]string{
	polls.SourceAssigned: "assigned by a facilitator",
	polls.SourceRole:     "from your role",
	polls.SourceDeclared: "declared by you",
}

func (e *Engine) group(ctx context.Context, req Request, c Group) Response {
	v := req.voter(e.RoleGroup(req))
	if c.Group == "" {
		g, src, ok, err := e.svc.Resolve(ctx, v)
		if err != nil {
			return e.fail(req, "group", err)
		}
		if !ok {
			return Response{Replies: []Reply{e.pickerReply("You have no stakeholder group yet. Pick one with /poll group NAME.")}}
		}
		return ephemeral(fmt.Sprintf("Your stakeholder group is %s (%s).", UserText(e.groups.Info(g).Label), sourceText[src]))
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
	text := fmt.Sprintf("Your stakeholder group is now %s.", UserText(e.groups.Info(g).Label))
	now := g
	if rg := e.RoleGroup(req); rg != "" && rg != g {
		text = fmt.Sprintf("Saved %s, but your role maps you to %s, which takes precedence.", UserText(e.groups.Info(g).Label), UserText(e.groups.Info(rg).Label))
		now = rg
	}
	if had && before != now {
		// A ballot records the group it was cast in (a report counts it
		// there); changing group does not move ballots already cast.
		text += fmt.Sprintf(" Ballots you have already cast stay counted for %s until you vote again in their polls.", UserText(e.groups.Info(before).Label))
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
			msg := strings.TrimSuffix(e.errText(o.Err), ".")
			var de *polls.Error
			if !errors.As(o.Err, &de) {
				e.log.Error("applying held vote failed", "poll", o.PollID, "err", o.Err)
			}
			lines = append(lines, fmt.Sprintf("Your held vote in poll %s could not be counted: %s.", o.PollID, msg))
			continue
		}
		lines = append(lines, "Your held vote is now counted. "+e.ballotText(o.Result.Poll, o.Result.Ballot, o.Result.Previous != nil))
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
		return e.fail(req, "assign", fmt.Errorf("%w: only facilitators can assign stakeholder groups", ErrForbidden))
	}
	user := mentionUser(c.User)
	if user == "" {
		return e.fail(req, "assign", &UsageError{Problem: "assign needs a user", Usage: Usage("assign")})
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
	text := fmt.Sprintf("%s is now in %s (assigned).", UserText(user), UserText(e.groups.Info(g).Label))
	if had && before != g {
		text += fmt.Sprintf(" Ballots they have already cast stay counted for %s until they vote again in their polls.", UserText(e.groups.Info(before).Label))
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
			resp.Replies[0].Text += fmt.Sprintf("\nTheir held vote in poll %s could not be counted: %s", o.PollID, sentence(e.errText(o.Err)))
		default:
			resp.Replies[0].Text += fmt.Sprintf("\nTheir held vote in poll %s is now counted.", o.PollID)
			resp.Updated = append(resp.Updated, o.Result.Poll.Key())
		}
	}
	if anonCounted {
		resp.Replies[0].Text += "\nVotes they cast in anonymous polls while they had no group are now counted."
	}
	if anonFailed {
		resp.Replies[0].Text += "\nA vote they cast in an anonymous poll while they had no group could not be counted; they can vote again."
	}
	return resp
}
