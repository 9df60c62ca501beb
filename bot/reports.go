// This file holds the read side: results, reports, exports and charts.

package bot

import (
	"bytes"
	"context"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// visibleReport loads a poll's report if the requester may see it; peeking
// facilitators get it privately.
func (e *Engine) visibleReport(ctx context.Context, req Request, id, op string) (*polls.Poll, *polls.Report, Visibility, *Response) {
	p, err := e.poll(ctx, req, id)
	var r *polls.Report
	if err == nil {
		var t polls.Tally
		if t, err = e.svc.TallyOf(ctx, p); err == nil {
			r, err = e.svc.ReportOf(ctx, p, t)
		}
	}
	if err != nil {
		resp := e.failPoll(req, op, id, err)
		return nil, nil, 0, &resp
	}
	if p.ResultsVisible() {
		return p, r, Public, nil
	}
	if e.canManage(req, p) {
		return p, r, Ephemeral, nil
	}
	resp := e.fail(req, op, forbidden(msg.ErrResultsHidden.With(p.ID)))
	return nil, nil, 0, &resp
}

func (e *Engine) report(ctx context.Context, req Request, c Report) Response {
	p, r, vis, denied := e.visibleReport(ctx, req, c.Poll, "report")
	if denied != nil {
		return *denied
	}
	if vis == Public {
		// A public report is a chart and a long message in the channel:
		// a few a minute per poll is plenty, and more is noise or abuse.
		ok, err := e.svc.Allow(ctx, p.Tenant, "report:"+p.ID, reportsPerMinute, time.Minute)
		if err != nil {
			e.log.Warn("report rate limit unavailable; reporting anyway", "tenant", p.Tenant, "poll", p.ID, "err", err)
		} else if !ok {
			return ephemeral(e.p.Sprint(msg.ReportRateLimited.With(p.ID, reportsPerMinute)))
		}
	}
	resp := e.ReportResponse(p, r)
	if vis == Ephemeral {
		resp.Replies[0].Visibility = Ephemeral
		resp.Replies[0].Text = e.p.Sprint(msg.ReportPrivate.With())
	}
	return resp
}

// ReportResponse is the public report of a poll, with its chart when the
// engine has a chart renderer. It does not check who may see it.
func (e *Engine) ReportResponse(p *polls.Poll, r *polls.Report) Response {
	reply := Reply{Visibility: Public, Report: e.ReportView(p, r)}
	if e.chart != nil {
		png, err := e.charts.get(p, r, func() ([]byte, error) {
			var buf bytes.Buffer
			err := e.chart(report.WithPrinter(&buf, e.p), r, e.groups)
			return buf.Bytes(), err
		})
		if err != nil {
			e.log.Error("chart failed", "tenant", p.Tenant, "poll", p.ID, "err", err)
		} else {
			reply.Files = append(reply.Files, File{Name: p.ID + "-chart.png", Title: e.p.Sprint(msg.ChartTitle.With(UserText(p.Title))), MIME: "image/png", Data: png})
		}
	}
	return Response{Replies: []Reply{reply}}
}

func (e *Engine) export(ctx context.Context, req Request, c Export) Response {
	name := c.Format
	if name == "" {
		name = "csv"
	}
	f, ok := report.Find(name, c.Ballots)
	if !ok {
		return e.fail(req, "export", &wordedError{m: msg.ErrExportFormat.With(e.p.OrListStrings(report.Names(true)), UserText(name)), usage: Usage("export")})
	}
	var (
		buf bytes.Buffer
		p   *polls.Poll
		err error
	)
	if f.Ballots {
		var denied *Response
		if p, denied = e.managed(ctx, req, c.Poll, "export", msg.VerbExportBallots); denied != nil {
			return *denied
		}
		err = f.WriteBallots(&buf, p, e.groups, func(fn func(polls.Ballot) error) error {
			_, err := e.svc.Ballots(ctx, req.Tenant, p.ID, fn)
			return err
		})
	} else {
		var (
			r      *polls.Report
			denied *Response
		)
		if p, r, _, denied = e.visibleReport(ctx, req, c.Poll, "export"); denied != nil {
			return *denied
		}
		err = f.WriteReport(report.WithPrinter(&buf, e.p), p, r, e.groups)
	}
	if err != nil {
		return e.failPoll(req, "export", p.ID, err)
	}
	file := f.File(p.ID)
	return Response{Replies: []Reply{{
		Visibility: Ephemeral,
		Text:       e.p.Sprint(msg.ExportDone.With(p.ID, file)),
		Files:      []File{{Name: file, Title: UserText(p.Title), MIME: f.MIME, Data: buf.Bytes()}},
	}}}
}
