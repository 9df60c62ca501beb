// This file holds reminders: the --remind option and its configured
// default, the reminder's wording (every sentence of it is here), the
// /poll remind command, and the scheduler's posting of due reminders.

package bot

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// Reminder posts a poll's reminder: the adapter of the poll's platform
// delivers the response's Thread reply under the poll's message (see
// Reply.Thread). It reports whether the reminder was posted: one that was
// not is claimed again, by any replica, once its lease runs out.
type Reminder interface {
	Remind(ctx context.Context, p *polls.Poll, r Response) error
}

// ReminderFunc adapts a function to Reminder.
type ReminderFunc func(ctx context.Context, p *polls.Poll, r Response) error

// Remind calls f.
func (f ReminderFunc) Remind(ctx context.Context, p *polls.Poll, r Response) error {
	return f(ctx, p, r)
}

// SchedulerOption configures a Scheduler.
type SchedulerOption func(*Scheduler)

// WithReminders makes the scheduler post due reminders through r. Without
// it reminders are left in the store, for a scheduler that has it.
func WithReminders(r Reminder) SchedulerOption { return func(s *Scheduler) { s.remind = r } }

// PostReminders claims the reminders that are due (in batches), posts each
// through the scheduler's Reminder and records it posted. A reminder that
// cannot be worded or posted is left to come due again when its lease
// runs out. It returns how many it posted.
func (s *Scheduler) PostReminders(ctx context.Context) (int, error) {
	if s.remind == nil {
		return 0, nil
	}
	posted := 0
	for {
		due, err := s.engine.svc.RemindDue(ctx, s.batch)
		for _, d := range due {
			p := d.Poll
			resp := s.engine.Reminder(ctx, p)
			if resp.Err != nil {
				continue // logged by Reminder; retried after the lease
			}
			if perr := s.remind.Remind(ctx, p, resp); perr != nil {
				s.log.Warn("reminder not posted; it is retried when its lease runs out", "tenant", p.Tenant, "poll", p.ID, "err", perr)
				continue
			}
			posted++
			s.log.Info("reminder posted", "tenant", p.Tenant, "poll", p.ID, "due", d.At)
			if derr := s.engine.svc.ReminderDone(ctx, d); derr != nil {
				s.log.Warn("could not record a reminder as posted; it will be posted again", "tenant", p.Tenant, "poll", p.ID, "err", derr)
			}
		}
		if err != nil || len(due) < s.batch {
			return posted, err
		}
	}
}

// Reminder is the reminder of an open poll, as a Thread reply: time left,
// ballots so far, the groups below quorum and what each needs, and, where
// results are visible, the themes one step from emerging. It never names
// a voter. On failure it carries Err (logged here) and no reply.
func (e *Engine) Reminder(ctx context.Context, p *polls.Poll) Response {
	t, err := e.svc.TallyOf(ctx, p)
	var r *polls.Report
	if err == nil {
		r, err = e.svc.ReportOf(ctx, p, t)
	}
	if err != nil {
		e.log.Error("reminder failed", "tenant", p.Tenant, "poll", p.ID, "err", err)
		return Response{Err: err}
	}
	return Response{Replies: []Reply{{Visibility: Public, Text: e.reminderText(p, r, e.svc.Now()), Thread: p}}}
}

// Bounds of what a reminder names.
const (
	// nearEmergingBallots is how many more supporting ballots, in its one
	// group below the threshold, a divided or low theme may need to be
	// named as one step from emerging.
	nearEmergingBallots = 3
	// nearEmergingThemes is the most themes a reminder names so; the
	// report has the rest.
	nearEmergingThemes = 5
)

// reminderText words a reminder.
func (e *Engine) reminderText(p *polls.Poll, r *polls.Report, now time.Time) string {
	var lines []msg.Message
	title := UserText(p.Title)
	if p.ClosesAt.IsZero() {
		lines = append(lines, msg.ReminderNoDeadline.With(title, p.ID))
	} else {
		lines = append(lines, msg.ReminderCloses.With(title, p.ID, whenMessage(p.ClosesAt, now)))
	}

	if r.Ballots == 0 {
		lines = append(lines, msg.ReminderNoBallots.With())
	} else {
		// r.Groups are the groups with ballots.
		lines = append(lines, msg.ReminderSoFar.With(msg.Ballots.With(r.Ballots), msg.Groups.With(int64(len(r.Groups)))))
	}
	if r.Held > 0 {
		lines = append(lines, msg.ReminderHeld.With(r.Held))
	}

	var below, absent []string
	for _, g := range r.Groups {
		if !g.Qualifies {
			below = append(below, e.p.Sprint(msg.ReminderGroupNeeds.With(e.groupLabel(g.Group), g.Needed)))
		}
	}
	for _, g := range r.Absent {
		absent = append(absent, e.groupLabel(g))
	}
	quorum := msg.Ballots.With(int64(r.Quorum))
	switch {
	case len(below) > 0:
		lines = append(lines, msg.ReminderBelow.With(quorum, e.p.ListStrings(below)))
	case len(absent) == 0 && r.Ballots > 0:
		lines = append(lines, msg.ReminderAllQuorum.With(quorum))
	}
	if len(absent) > 0 {
		lines = append(lines, msg.ReminderAbsent.With(e.p.ListStrings(absent), r.Quorum))
	}

	// Support per theme is a result: a poll that hides its results until
	// it closes gets participation only.
	if p.ResultsVisible() {
		if near := e.nearEmerging(p, r); len(near) > 0 {
			lines = append(lines, msg.ReminderNearHead.With())
			lines = append(lines, near...)
		}
	}
	how := msg.ReminderHowButtons.With(p.ID)
	if p.Kind == polls.Ranked {
		how = msg.ReminderHowRanked.With(p.ID)
	}
	lines = append(lines, how)
	return strings.Join(e.p.Sprints(lines...), "\n")
}

// nearEmerging words the themes one step from emerging (see
// polls.ThemeResult.NearEmerging), fewest ballots needed first, then by
// rank.
func (e *Engine) nearEmerging(p *polls.Poll, r *polls.Report) []msg.Message {
	type near struct {
		theme string
		need  polls.GroupNeed
		rank  int
	}
	var all []near
	for _, t := range r.Themes {
		if n, ok := t.NearEmerging(nearEmergingBallots); ok {
			all = append(all, near{t.Theme, n, t.Rank})
		}
	}
	slices.SortStableFunc(all, func(a, b near) int {
		if *a.need.Needed != *b.need.Needed {
			return int(*a.need.Needed - *b.need.Needed)
		}
		return a.rank - b.rank
	})
	var out []msg.Message
	for i, n := range all {
		if i == nearEmergingThemes {
			out = append(out, msg.ReminderNearMore.With(len(all)-i, p.ID))
			break
		}
		what := msg.MoreSupporting.With(*n.need.Needed)
		if p.Kind == polls.Ranked {
			what = msg.MoreFirst.With(*n.need.Needed)
		}
		out = append(out, msg.ReminderNear.With(UserText(n.theme), what, e.groupLabel(n.need.Group)))
	}
	return out
}

func (e *Engine) groupLabel(g polls.Group) string { return UserText(e.groups.Info(g).Label) }

// remindsPerHour bounds the reminders facilitators post by hand in one
// poll: each is a message in the channel.
const remindsPerHour = 3

// remind is /poll remind ID: a reminder now, under the poll's message.
func (e *Engine) remind(ctx context.Context, req Request, c Remind) Response {
	p, denied := e.managed(ctx, req, c.Poll, "remind", msg.VerbRemind)
	if denied != nil {
		return *denied
	}
	if p.Status != polls.StatusOpen {
		return ephemeral(e.p.Sprint(msg.ReminderNotOpen.With(p.ID, report.PollStatusWord(p.Status))))
	}
	ok, err := e.svc.Allow(ctx, p.Tenant, "remind:"+p.ID, remindsPerHour, time.Hour)
	if err != nil {
		e.log.Warn("reminder rate limit unavailable; reminding anyway", "tenant", p.Tenant, "poll", p.ID, "err", err)
	} else if !ok {
		return ephemeral(e.p.Sprint(msg.ReminderRateLimited.With(remindsPerHour, p.ID)))
	}
	resp := e.Reminder(ctx, p)
	if resp.Err != nil {
		return e.failPoll(req, "remind", p.ID, resp.Err)
	}
	resp.Replies = append(resp.Replies, Reply{Visibility: Ephemeral, Text: e.p.Sprint(msg.ReminderPosted.With(p.ID))})
	return resp
}

// remindersFor is the poll's reminder offsets: those given with --remind
// (checked against the deadline by the service, which refuses any that
// cannot fit), else the configured default, of which only those that fit
// before the deadline are kept (a poll closing in 2h skips a default 24h
// reminder rather than being refused).
func (e *Engine) remindersFor(opts OpenOptions, closes, now time.Time) []time.Duration {
	if opts.Remind != nil {
		return opts.Remind
	}
	if closes.IsZero() {
		return nil
	}
	var out []time.Duration
	for _, d := range e.cfg.Defaults.Remind {
		if d < closes.Sub(now) {
			out = append(out, d)
		}
	}
	return out
}

// remindersNote tells the facilitator when a new poll's reminders come;
// zero for none.
func remindersNote(pr *msg.Printer, p *polls.Poll) msg.Message {
	if p == nil || len(p.Remind) == 0 {
		return msg.Message{}
	}
	parts := make([]string, len(p.Remind))
	for i, d := range p.Remind {
		parts[i] = FormatDuration(d)
	}
	return msg.RemindersNote.With(pr.ListStrings(parts), p.ID)
}

// ParseReminders reads a --remind value: durations before the deadline
// (see ParseDuration), separated by commas or spaces, such as "24h,1h";
// or "none" for no reminders (an empty, non-nil list). Each is at least a
// minute, none is given twice, and there are at most polls.MaxReminders.
// They come back longest first. Errors are *UsageError.
func ParseReminders(s string) ([]time.Duration, error) {
	d, problem := parseReminders(s)
	if !problem.IsZero() {
		return nil, valueError(problem)
	}
	return d, nil
}

func parseReminders(s string) ([]time.Duration, msg.Message) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' })
	if len(parts) == 1 && slices.Contains([]string{"none", "off", "no"}, strings.ToLower(parts[0])) {
		return []time.Duration{}, noProblem
	}
	if len(parts) == 0 {
		return nil, msg.ParseRemindValue.With(typed(s, 40))
	}
	if len(parts) > polls.MaxReminders {
		return nil, msg.ParseRemindCount.With(polls.MaxReminders, len(parts))
	}
	out := make([]time.Duration, 0, len(parts))
	for _, part := range parts {
		d, problem := parseDuration(part)
		switch {
		case !problem.IsZero():
			return nil, msg.ParseOptionProblem.With("remind", problem)
		case d < polls.MinRemindBefore:
			return nil, msg.ParseRemindTooClose.With(FormatDuration(d))
		case slices.Contains(out, d):
			return nil, msg.ParseRemindTwice.With(FormatDuration(d))
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return out, noProblem
}

// formatReminders writes offsets as --remind reads them: "1d,1h", or
// "none" for an empty list.
func formatReminders(ds []time.Duration) string {
	if len(ds) == 0 {
		return "none"
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = FormatDuration(d)
	}
	return strings.Join(parts, ",")
}

// Durations is the configured default of --remind: in YAML a list
// ([24h, 1h]) or the text --remind takes ("24h,1h").
type Durations []time.Duration

// UnmarshalYAML reads a list of durations or a --remind value.
func (d *Durations) UnmarshalYAML(n *yaml.Node) error {
	text := n.Value
	switch n.Kind {
	case yaml.ScalarNode:
	case yaml.SequenceNode:
		parts := make([]string, 0, len(n.Content))
		for _, c := range n.Content {
			if c.Kind != yaml.ScalarNode {
				return fmt.Errorf("line %d: a list of durations like [24h, 1h]", c.Line)
			}
			parts = append(parts, c.Value)
		}
		text = strings.Join(parts, ",")
		if len(parts) == 0 {
			text = "none"
		}
	default:
		return fmt.Errorf("line %d: durations like [24h, 1h] or 24h,1h", n.Line)
	}
	ds, err := ParseReminders(text)
	if err != nil {
		// The operator's configuration, not a chat reply: in English.
		return fmt.Errorf("line %d: %s", n.Line, strings.TrimPrefix(err.Error(), "--remind"))
	}
	*d = ds
	return nil
}

// remindErrMessage words the domain's errors about reminders.
func remindErrMessage(code polls.Code, p params) (msg.Message, bool) {
	dur := func(k string) string {
		d, _ := p.m[k].(time.Duration)
		return FormatDuration(d)
	}
	left, _ := p.m["Left"].(time.Duration)
	switch code {
	case polls.CodeRemindCount:
		return msg.ErrRemindCount.With(p.n("Max"), p.n("Given")), true
	case polls.CodeRemindRange:
		return msg.ErrRemindRange.With(dur("Min"), dur("Max"), dur("Given")), true
	case polls.CodeRemindTwice:
		return msg.ErrRemindTwice.With(dur("Given")), true
	case polls.CodeRemindNoDeadline:
		return msg.ErrRemindNoDeadline.With(), true
	case polls.CodeRemindTooEarly:
		return msg.ErrRemindTooEarly.With(dur("Given"), humanDuration(left)), true
	}
	return msg.Message{}, false
}

// ThreadOf is where a Thread reply of p goes on a platform: the poll's
// channel and its message there (Slack ts, Discord message id), or the
// platform's first message of the poll in another channel; message is ""
// when the poll has no message on the platform, and the reply goes to the
// poll's channel alone.
func ThreadOf(p *polls.Poll, platform string) (channel, message string) {
	first := -1
	for i, m := range p.Messages {
		if m.Platform != platform || m.Message == "" {
			continue
		}
		if m.Channel == p.Channel {
			return m.Channel, m.Message
		}
		if first < 0 {
			first = i
		}
	}
	if first >= 0 {
		return p.Messages[first].Channel, p.Messages[first].Message
	}
	return p.Channel, ""
}
