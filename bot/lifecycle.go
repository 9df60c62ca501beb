// This file holds the commands that change a poll's life: open, close,
// extend, reopen, cancel, delete.

package bot

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
)

func (e *Engine) optionsFor(opts OpenOptions, now time.Time) (polls.Kind, time.Time, polls.Options) {
	d := e.cfg.Defaults
	kind := opts.Kind
	if kind == "" {
		kind = d.Kind
	}
	closes := opts.Closes.Time(now)
	if closes.IsZero() && d.closes() > 0 {
		closes = now.Add(d.closes())
	}
	o := polls.Options{
		Anonymous:  opts.Anonymous,
		Quorum:     opts.Quorum,
		Threshold:  opts.Threshold,
		MaxChoices: opts.MaxChoices,
		MinGroups:  opts.MinGroups,
	}
	if o.Quorum == 0 {
		o.Quorum = d.Quorum
	}
	if o.Threshold == 0 {
		o.Threshold = d.Threshold
	}
	if opts.HideResults {
		o.Results = polls.ResultsHidden
	}
	o.Remind = e.remindersFor(opts, closes, now)
	return kind, closes, o
}

func (e *Engine) open(ctx context.Context, req Request, title string, themes []string, opts OpenOptions) Response {
	now := e.svc.Now()
	kind, closes, o := e.optionsFor(opts, now)
	p, err := e.svc.Open(ctx, polls.OpenRequest{
		Tenant: req.Tenant, Title: title, Themes: themes, Kind: kind,
		Creator: req.User, Channel: req.Channel, ClosesAt: closes, Options: o,
	})
	note := remindersNote(p)
	if p != nil && errors.Is(err, polls.ErrRemindersUnscheduled) {
		e.log.Error("poll opened without its reminders", "tenant", p.Tenant, "poll", p.ID, "err", err)
		note, err = unscheduledNote(p), nil
	}
	if err != nil {
		return e.fail(req, "open", err)
	}
	e.log.Info("poll opened", "tenant", p.Tenant, "poll", p.ID, "themes", len(p.Themes), "kind", p.Kind)
	view := e.pollView(p, polls.NewTally(), now)
	return Response{
		Opened: p,
		Replies: []Reply{
			{Visibility: Public, Poll: view},
			{Visibility: Ephemeral, Text: fmt.Sprintf("Poll %s is open. You can close it with /poll close %s, extend it with /poll extend %s 24h, and see the report with /poll report %s.", p.ID, p.ID, p.ID, p.ID) + note},
		},
	}
}

func (e *Engine) preset(ctx context.Context, req Request, c Preset) Response {
	if c.Preset == "" {
		if c.Opts.String() != "" {
			return e.fail(req, "preset", &UsageError{
				Problem: "preset needs the name of a theme list: " + orList(e.cfg.PresetNames()),
				Usage:   Usage("preset"),
			})
		}
		return ephemeral(e.presetList())
	}
	def, ok := e.cfg.preset(c.Preset)
	if !ok {
		// The usage line goes under the sentence, without its full stop.
		return e.fail(req, "preset", &UsageError{
			Problem: fmt.Sprintf("unknown preset %s. Presets: %s", strconv.Quote(c.Preset), strings.Join(e.cfg.PresetNames(), ", ")),
			Usage:   Usage("preset"),
		})
	}
	opts := c.Opts
	if opts.Kind == "" {
		opts.Kind = def.Kind
	}
	title := def.Title
	if title == "" {
		title = def.Name
	}
	return e.open(ctx, req, title, def.Themes, opts)
}

// presetList answers /poll preset without a name: every preset, with its
// title and size, configured ones first.
func (e *Engine) presetList() string {
	var b strings.Builder
	b.WriteString("Presets: start one with /poll preset NAME, with any options of /poll open.")
	for _, name := range e.cfg.PresetNames() {
		def, _ := e.cfg.preset(name)
		title := def.Title
		if title == "" {
			title = def.Description
		}
		fmt.Fprintf(&b, "\n  %s", UserText(def.Name))
		if title != "" {
			b.WriteString(": " + UserText(title))
		}
		fmt.Fprintf(&b, " (%s)", plural(int64(len(def.Themes)), "theme"))
	}
	return b.String()
}

func (e *Engine) managed(ctx context.Context, req Request, id, verb string) (*polls.Poll, *Response) {
	p, err := e.poll(ctx, req, id)
	if err != nil {
		r := e.failPoll(req, verb, id, err)
		return nil, &r
	}
	if !e.canManage(req, p) {
		r := e.fail(req, verb, fmt.Errorf("%w: only facilitators and the poll's creator can %s poll %s", ErrForbidden, verb, p.ID))
		return nil, &r
	}
	return p, nil
}

func (e *Engine) finish(ctx context.Context, req Request, id string, to polls.Status) Response {
	verb := map[polls.Status]string{polls.StatusClosed: "close", polls.StatusCancelled: "cancel"}[to]
	p, denied := e.managed(ctx, req, id, verb)
	if denied != nil {
		return *denied
	}
	var (
		changed bool
		err     error
	)
	if to == polls.StatusClosed {
		changed, p, err = e.svc.Close(ctx, req.Tenant, p.ID)
	} else {
		changed, p, err = e.svc.Cancel(ctx, req.Tenant, p.ID)
	}
	if err != nil {
		return e.failPoll(req, verb, p.ID, err)
	}
	if !changed {
		return ephemeral(fmt.Sprintf("Poll %s is already %s.", p.ID, p.Status))
	}
	e.log.Info("poll "+string(to), "tenant", p.Tenant, "poll", p.ID)
	t, err := e.svc.TallyOf(ctx, p)
	if err != nil {
		return e.failPoll(req, verb, p.ID, err)
	}
	text := fmt.Sprintf("Poll %s is closed. Full report: /poll report %s", p.ID, p.ID)
	if to == polls.StatusCancelled {
		text = fmt.Sprintf("Poll %s was cancelled; its ballots are kept but it will not be reported as a decision.", p.ID)
	}
	return Response{
		Replies: []Reply{{Visibility: Public, Text: text, Poll: e.pollView(p, t, e.svc.Now())}},
		Updated: []polls.Key{p.Key()},
	}
}

func (e *Engine) reopen(ctx context.Context, req Request, c Reopen) Response {
	p, denied := e.managed(ctx, req, c.Poll, "reopen")
	if denied != nil {
		return *denied
	}
	changed, p, err := e.svc.Reopen(ctx, req.Tenant, p.ID, c.For)
	note := ""
	if changed && errors.Is(err, polls.ErrRemindersUnscheduled) {
		e.log.Error("poll reopened without its reminders", "tenant", p.Tenant, "poll", p.ID, "err", err)
		note, err = unscheduledNote(p), nil
	}
	if err != nil {
		return e.failPoll(req, "reopen", p.ID, err)
	}
	if !changed {
		return ephemeral(fmt.Sprintf("Poll %s is already open.", p.ID))
	}
	now := e.svc.Now()
	var text string
	switch {
	case c.For > 0:
		text = fmt.Sprintf("Poll %s is open again and closes %s.", p.ID, when(p.ClosesAt, now))
	case !p.ClosesAt.IsZero():
		text = fmt.Sprintf("Poll %s is open again and keeps its deadline: it closes %s.", p.ID, when(p.ClosesAt, now))
	default:
		text = fmt.Sprintf("Poll %s is open again, with no deadline: /poll close %s closes it, /poll extend %s 24h sets one.", p.ID, p.ID, p.ID)
	}
	resp := Response{Replies: []Reply{{Visibility: Public, Text: text}}, Updated: []polls.Key{p.Key()}}
	if note != "" {
		resp.Replies = append(resp.Replies, Reply{Visibility: Ephemeral, Text: strings.TrimSpace(note)})
	}
	return resp
}

func (e *Engine) extend(ctx context.Context, req Request, c Extend) Response {
	p, denied := e.managed(ctx, req, c.Poll, "extend")
	if denied != nil {
		return *denied
	}
	before := p.ClosesAt
	p, err := e.svc.Extend(ctx, req.Tenant, p.ID, c.By)
	note := ""
	if p != nil && errors.Is(err, polls.ErrRemindersUnscheduled) {
		e.log.Error("poll extended without rescheduling its reminders", "tenant", p.Tenant, "poll", p.ID, "err", err)
		note, err = unscheduledNote(p), nil
	}
	if err != nil {
		return e.failPoll(req, "extend", p.ID, err)
	}
	now := e.svc.Now()
	// The service counts from now when there is no deadline to move (or it
	// has passed): say so, rather than let "extended" suggest otherwise.
	text := fmt.Sprintf("Poll %s now closes %s, %s later than before.", p.ID, when(p.ClosesAt, now), FormatDuration(c.By))
	switch {
	case before.IsZero():
		text = fmt.Sprintf("Poll %s had no deadline; it now closes %s.", p.ID, when(p.ClosesAt, now))
	case !before.After(now):
		text = fmt.Sprintf("Poll %s was past its deadline; it now closes %s.", p.ID, when(p.ClosesAt, now))
	}
	resp := Response{
		Replies: []Reply{{Visibility: Public, Text: text}},
		Updated: []polls.Key{p.Key()},
	}
	if note != "" {
		resp.Replies = append(resp.Replies, Reply{Visibility: Ephemeral, Text: strings.TrimSpace(note)})
	}
	return resp
}
