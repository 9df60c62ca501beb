// This file holds the commands that change a poll's life: open, close,
// extend, reopen, cancel, delete.

package bot

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
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
	note := remindersNote(e.p, p)
	if p != nil && errors.Is(err, polls.ErrRemindersUnscheduled) {
		e.log.Error("poll opened without its reminders", "tenant", p.Tenant, "poll", p.ID, "err", err)
		note, err = msg.UnscheduledNote.With(p.ID), nil
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
			{Visibility: Ephemeral, Text: e.withNote(e.p.Sprint(msg.PollOpened.With(p.ID)), note)},
		},
	}
}

func (e *Engine) preset(ctx context.Context, req Request, c Preset) Response {
	if c.Preset == "" {
		if c.Opts.String() != "" {
			return e.fail(req, "preset", &UsageError{
				Problem: msg.ErrPresetNeedName.With(e.p.OrListStrings(userTexts(e.cfg.PresetNames()))),
				Usage:   Usage("preset"),
			})
		}
		return ephemeral(e.presetList())
	}
	def, ok := e.cfg.preset(c.Preset)
	if !ok {
		return e.fail(req, "preset", &UsageError{
			Problem: msg.ErrUnknownPreset.With(UserText(strconv.Quote(c.Preset)), e.p.Join(userTexts(e.cfg.PresetNames()))),
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
	b.WriteString(e.p.Sprint(msg.PresetListHead.With()))
	for _, name := range e.cfg.PresetNames() {
		def, _ := e.cfg.preset(name)
		title := def.Title
		if title == "" {
			title = def.Description
		}
		line := msg.PresetLine.With(UserText(def.Name), int64(len(def.Themes)))
		if title != "" {
			line = msg.PresetLineTitled.With(UserText(def.Name), UserText(title), int64(len(def.Themes)))
		}
		b.WriteString("\n  " + e.p.Sprint(line))
	}
	return b.String()
}

// managed reads a poll that req may manage (see canManage), for the
// operation op; verb says what op does, for the refusal.
func (e *Engine) managed(ctx context.Context, req Request, id, op string, verb msg.Def0) (*polls.Poll, *Response) {
	p, err := e.poll(ctx, req, id)
	if err != nil {
		r := e.failPoll(req, op, id, err)
		return nil, &r
	}
	if !e.canManage(req, p) {
		r := e.fail(req, op, forbidden(msg.ErrManagersOnly.With(verb.With(), p.ID)))
		return nil, &r
	}
	return p, nil
}

func (e *Engine) finish(ctx context.Context, req Request, id string, to polls.Status) Response {
	verb, what := "close", msg.VerbClose
	if to == polls.StatusCancelled {
		verb, what = "cancel", msg.VerbCancel
	}
	p, denied := e.managed(ctx, req, id, verb, what)
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
		return ephemeral(e.p.Sprint(msg.PollAlready.With(p.ID, report.PollStatusWord(p.Status))))
	}
	e.log.Info("poll "+string(to), "tenant", p.Tenant, "poll", p.ID)
	t, err := e.svc.TallyOf(ctx, p)
	if err != nil {
		return e.failPoll(req, verb, p.ID, err)
	}
	text := e.p.Sprint(msg.PollClosedNow.With(p.ID))
	if to == polls.StatusCancelled {
		text = e.p.Sprint(msg.PollCancelled.With(p.ID))
	}
	return Response{
		Replies: []Reply{{Visibility: Public, Text: text, Poll: e.pollView(p, t, e.svc.Now())}},
		Updated: []polls.Key{p.Key()},
	}
}

func (e *Engine) reopen(ctx context.Context, req Request, c Reopen) Response {
	p, denied := e.managed(ctx, req, c.Poll, "reopen", msg.VerbReopen)
	if denied != nil {
		return *denied
	}
	changed, p, err := e.svc.Reopen(ctx, req.Tenant, p.ID, c.For)
	var note msg.Message
	if changed && errors.Is(err, polls.ErrRemindersUnscheduled) {
		e.log.Error("poll reopened without its reminders", "tenant", p.Tenant, "poll", p.ID, "err", err)
		note, err = msg.UnscheduledNote.With(p.ID), nil
	}
	if err != nil {
		return e.failPoll(req, "reopen", p.ID, err)
	}
	if !changed {
		return ephemeral(e.p.Sprint(msg.PollAlready.With(p.ID, report.PollStatusWord(polls.StatusOpen))))
	}
	now := e.svc.Now()
	var text msg.Message
	switch {
	case c.For > 0:
		text = msg.ReopenedUntil.With(p.ID, whenMessage(p.ClosesAt, now))
	case !p.ClosesAt.IsZero():
		text = msg.ReopenedKeeps.With(p.ID, whenMessage(p.ClosesAt, now))
	default:
		text = msg.ReopenedNoLimit.With(p.ID)
	}
	resp := Response{Replies: []Reply{{Visibility: Public, Text: e.p.Sprint(text)}}, Updated: []polls.Key{p.Key()}}
	if !note.IsZero() {
		resp.Replies = append(resp.Replies, Reply{Visibility: Ephemeral, Text: e.p.Sprint(note)})
	}
	return resp
}

func (e *Engine) extend(ctx context.Context, req Request, c Extend) Response {
	p, denied := e.managed(ctx, req, c.Poll, "extend", msg.VerbExtend)
	if denied != nil {
		return *denied
	}
	before := p.ClosesAt
	p, err := e.svc.Extend(ctx, req.Tenant, p.ID, c.By)
	var note msg.Message
	if p != nil && errors.Is(err, polls.ErrRemindersUnscheduled) {
		e.log.Error("poll extended without rescheduling its reminders", "tenant", p.Tenant, "poll", p.ID, "err", err)
		note, err = msg.UnscheduledNote.With(p.ID), nil
	}
	if err != nil {
		return e.failPoll(req, "extend", p.ID, err)
	}
	now := e.svc.Now()
	// The service counts from now when there is no deadline to move (or it
	// has passed): say so, rather than let "extended" suggest otherwise.
	closes := whenMessage(p.ClosesAt, now)
	text := msg.Extended.With(p.ID, closes, FormatDuration(c.By))
	switch {
	case before.IsZero():
		text = msg.ExtendedNoLimit.With(p.ID, closes)
	case !before.After(now):
		text = msg.ExtendedPast.With(p.ID, closes)
	}
	resp := Response{
		Replies: []Reply{{Visibility: Public, Text: e.p.Sprint(text)}},
		Updated: []polls.Key{p.Key()},
	}
	if !note.IsZero() {
		resp.Replies = append(resp.Replies, Reply{Visibility: Ephemeral, Text: e.p.Sprint(note)})
	}
	return resp
}

// withNote puts a note (a Message, possibly zero) after a reply's text.
func (e *Engine) withNote(text string, note msg.Message) string {
	if note.IsZero() {
		return text
	}
	return e.sentences(text, e.p.Sprint(note))
}

// userTexts marks each of names (configured: preset names) as user text.
func userTexts(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = UserText(n)
	}
	return out
}
