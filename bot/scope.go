package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// A poll belongs to the channel it was opened in. Commands that address a
// poll (votes by text, reports, exports, closing and the rest) are served
// from that channel, and for configured facilitators also from a direct
// message with the bot; from anywhere else the poll does not exist, so
// that a poll of a private channel is neither listed to, nor reported in,
// nor voted in from, a channel whose members cannot see it. Polls with no
// channel (opened by tools) are served anywhere. Clicks need no check:
// they come from the poll's own message.

// inScope reports whether req may address p.
func (e *Engine) inScope(req Request, p *polls.Poll) bool {
	switch {
	case p.Channel == "" || req.Channel == p.Channel:
		return true
	case req.DirectMessage && e.IsFacilitator(req):
		return true
	}
	return false
}

// poll reads a poll that req may address; any other is "not found".
func (e *Engine) poll(ctx context.Context, req Request, id string) (*polls.Poll, error) {
	p, err := e.svc.Poll(ctx, req.Tenant, id)
	if err != nil {
		return nil, err
	}
	if !e.inScope(req, p) {
		return nil, &polls.Error{Kind: polls.ErrNotFound, Code: polls.CodePollNotFound, Params: polls.Params{"Poll": p.ID}}
	}
	return p, nil
}

// Poll returns a poll by key, for adapters that render it (no scope: they
// render polls they were asked to show).
func (e *Engine) Poll(ctx context.Context, k polls.Key) (*polls.Poll, error) {
	return e.svc.Poll(ctx, k.Tenant, k.ID)
}

// ScopedPoll returns a poll req may address, or a domain error that says
// "not found" (adapters that check a poll before they answer, such as
// Discord deciding how to defer a report).
func (e *Engine) ScopedPoll(ctx context.Context, req Request, id string) (*polls.Poll, error) {
	return e.poll(ctx, req, id)
}

// OpenPolls returns up to limit open polls req may address whose id or
// title contains typed (case-insensitive), newest first: the polls of the
// request's channel, or for a facilitator in a direct message every
// channel's. It reads a few pages of the open-poll index, never every
// poll (autocomplete answers within Discord's 3 s).
func (e *Engine) OpenPolls(ctx context.Context, req Request, typed string, limit int) ([]*polls.Poll, error) {
	q := polls.PollQuery{Status: polls.StatusOpen, Limit: polls.MaxPageSize}
	if !(req.DirectMessage && e.IsFacilitator(req)) {
		q.Channel = req.Channel
	}
	typed = strings.ToLower(strings.TrimSpace(typed))
	var out []*polls.Poll
	for range 5 {
		page, err := e.svc.List(ctx, req.Tenant, q)
		if err != nil {
			return nil, err
		}
		for _, p := range page.Polls {
			if typed == "" || strings.Contains(strings.ToLower(p.ID+" "+p.Title), typed) {
				out = append(out, p)
				if len(out) == limit {
					return out, nil
				}
			}
		}
		q.Offset += len(page.Polls)
		if len(page.Polls) == 0 || q.Offset >= page.Total {
			break
		}
	}
	return out, nil
}

// listPage is how many polls /poll list shows at once.
const listPage = 20

func (e *Engine) list(ctx context.Context, req Request, c List) Response {
	status := polls.StatusOpen
	switch c.Status {
	case "closed":
		status = polls.StatusClosed
	case "cancelled":
		status = polls.StatusCancelled
	case "all":
		status = ""
	}
	page := max(c.Page, 1)
	q := polls.PollQuery{Status: status, Offset: (page - 1) * listPage, Limit: listPage}
	everywhere := c.All || req.DirectMessage
	if everywhere && !e.IsFacilitator(req) {
		return e.fail(req, "list", forbidden(msg.ErrListEverywhere.With()))
	}
	if !everywhere {
		q.Channel = req.Channel
	}
	res, err := e.svc.List(ctx, req.Tenant, q)
	if err != nil {
		return e.fail(req, "list", err)
	}
	v := &ListView{Title: e.p.Sprint(listTitles[status].With())}
	now := e.svc.Now()
	for _, p := range res.Polls {
		t, err := e.svc.TallyOf(ctx, p)
		if err != nil {
			return e.fail(req, "list", err)
		}
		line := e.p.Sprint(msg.ListLine.With(p.ID, UserText(p.Title), report.PollStatusWord(p.Status), msg.Ballots.With(t.Total())))
		if p.Status == polls.StatusOpen && !p.ClosesAt.IsZero() {
			line = e.p.Sprint(msg.ListLineCloses.With(line, whenMessage(p.ClosesAt, now)))
		}
		if everywhere && p.Channel != req.Channel && p.Channel != "" {
			line = e.p.Sprint(msg.ListLineIn.With(line, channelRef(req.Platform, p.Channel)))
		}
		v.Lines = append(v.Lines, line)
	}
	if shown := q.Offset + len(res.Polls); shown < res.Total {
		next := List{Status: c.Status, All: c.All, Page: page + 1}
		v.Lines = append(v.Lines, e.p.Sprint(msg.ListMore.With(res.Total-shown, next.String())))
	}
	if len(res.Polls) == 0 {
		switch {
		case page > 1:
			v.Empty = e.p.Sprint(msg.ListNoPage.With(page, List{Status: c.Status, All: c.All}.String()))
		case status != "":
			v.Empty = e.p.Sprint(msg.ListEmptyStatus.With(report.PollStatusWord(status)))
		default:
			v.Empty = e.p.Sprint(msg.ListEmpty.With())
		}
	}
	return Response{Replies: []Reply{{Visibility: Ephemeral, List: v}}}
}

// listTitles title a list of polls by the status it shows ("": all).
var listTitles = map[polls.Status]msg.Def0{
	"":                    msg.ListTitleAll,
	polls.StatusOpen:      msg.ListTitleOpen,
	polls.StatusClosed:    msg.ListTitleClosed,
	polls.StatusCancelled: msg.ListTitleCancelled,
}

// channelRef names a channel as the platform links it.
func channelRef(platform, channel string) string {
	switch platform {
	case "slack", "discord":
		return "<#" + channel + ">"
	}
	return "#" + channel
}

// isVote reports whether cmd is a vote, which records its delivery in the
// vote's own atomic step rather than before it runs.
func isVote(cmd Command) bool {
	switch cmd.(type) {
	case Vote, Unvote:
		return true
	}
	return false
}

// first records the delivery of a request that is not a vote and reports
// whether it is the first: a platform's redelivery, or a captured request
// replayed to any replica within its signature's lifetime, then does
// nothing. If the store cannot answer, the request is treated as new:
// refusing it would lose a command for certain to avoid a repeat that is
// only possible.
func (e *Engine) first(ctx context.Context, req Request) bool {
	if req.Delivery == "" {
		return true
	}
	first, err := e.svc.FirstDelivery(ctx, req.Tenant, req.Delivery)
	if err != nil {
		e.log.Warn("recording a delivery failed; a replay of it may act twice", "tenant", req.Tenant, "platform", req.Platform, "err", err)
		return true
	}
	return first
}

// errText words an error for a person (the generic apology for internal
// errors, whose text people never see).
func (e *Engine) errText(err error) string {
	var de *polls.Error
	if errors.As(err, &de) {
		return e.domainText(de)
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return e.p.Sprint(ue.Problem)
	}
	return e.p.Sprint(msg.ErrStoreVoteAgain.With())
}
