// This file holds /poll timeline: how a poll's report changed as its
// ballots arrived.

package bot

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/polls"
)

// Timeline: /poll timeline ID
type Timeline struct{ Poll string }

func (Timeline) Name() string     { return "timeline" }
func (c Timeline) String() string { return "timeline " + quoteIfNeeded(c.Poll) }

// timeline answers with each theme's statuses over time, as text, and the
// timeline chart. Whoever may see the report may see the timeline: anyone
// for a closed poll or one with live results, facilitators (privately)
// while a poll hides its results.
func (e *Engine) timeline(ctx context.Context, req Request, c Timeline) Response {
	p, _, vis, denied := e.visibleReport(ctx, req, c.Poll, "timeline")
	if denied != nil {
		return *denied
	}
	tl, err := e.svc.Timeline(ctx, p)
	if errors.Is(err, polls.ErrNoLog) {
		return ephemeral(e.p.Sprint(msg.TimelineNoLog.With(p.ID)))
	}
	if err != nil {
		return e.failPoll(req, "timeline", p.ID, err)
	}
	if vis == Public {
		// A chart and a long message in the channel, as a report is.
		ok, err := e.svc.Allow(ctx, p.Tenant, "timeline:"+p.ID, reportsPerMinute, time.Minute)
		if err != nil {
			e.log.Warn("timeline rate limit unavailable; answering anyway", "tenant", p.Tenant, "poll", p.ID, "err", err)
		} else if !ok {
			return ephemeral(e.p.Sprint(msg.TimelineRateLimited.With(p.ID, reportsPerMinute)))
		}
	}
	reply := Reply{Visibility: vis, Text: e.TimelineText(tl)}
	if vis == Ephemeral {
		reply.Text = e.p.Sprint(msg.TimelinePrivate.With()) + "\n" + reply.Text
	}
	var png bytes.Buffer
	if err := chart.TimelinePNG(&png, tl, chart.WithPrinter(e.p)); err != nil {
		e.log.Error("timeline chart failed", "tenant", p.Tenant, "poll", p.ID, "err", err)
	} else {
		reply.Files = append(reply.Files, File{Name: p.ID + "-timeline.png", Title: e.p.Sprint(msg.TimelineChartTitle.With(UserText(p.Title))), MIME: "image/png", Data: png.Bytes()})
	}
	return Response{Replies: []Reply{reply}}
}

// timelineChanges is the most statuses a theme's line lists in chat.
const timelineChanges = 12

// TimelineText is a timeline as chat shows it: what it covers, then a line
// per theme with its statuses and the times each began (the first and the
// latest, for a theme that changed often), labels marked as user text.
func (e *Engine) TimelineText(tl *polls.Timeline) string {
	h := report.TimelineHeading(e.p, tl, UserText)
	lines := append([]string{h.Title}, h.Notes...)
	lines = append(lines, "")
	for _, th := range tl.Themes {
		lines = append(lines, report.TimelineLine(e.p, tl, th, UserText, timelineChanges))
	}
	return strings.Join(lines, "\n")
}
