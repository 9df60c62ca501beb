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

// reminderText words a reminder. Every sentence of a reminder is here.
func (e *Engine) reminderText(p *polls.Poll, r *polls.Report, now time.Time) string {
	var lines []string
	title := "“" + UserText(p.Title) + "”"
	if p.ClosesAt.IsZero() {
		lines = append(lines, fmt.Sprintf("⏰ Reminder: %s (poll %s) is open, with no deadline.", title, p.ID))
	} else {
		lines = append(lines, fmt.Sprintf("⏰ Reminder: %s (poll %s) closes %s.", title, p.ID, when(p.ClosesAt, now)))
	}

	if r.Ballots == 0 {
		lines = append(lines, "No ballots yet.")
	} else {
		// r.Groups are the groups with ballots.
		lines = append(lines, fmt.Sprintf("%s so far, from %s.", plural(r.Ballots, "ballot"), plural(int64(len(r.Groups)), "group")))
	}
	switch {
	case r.Held == 1:
		lines = append(lines, "1 more vote waits for its voter to pick a stakeholder group (/poll group); it counts once they do.")
	case r.Held > 1:
		lines = append(lines, fmt.Sprintf("%d more votes wait for their voters to pick a stakeholder group (/poll group); they count once they do.", r.Held))
	}

	var below, absent []string
	for _, g := range r.Groups {
		if !g.Qualifies {
			below = append(below, fmt.Sprintf("%s needs %d more", e.groupLabel(g.Group), g.Needed))
		}
	}
	for _, g := range r.Absent {
		absent = append(absent, e.groupLabel(g))
	}
	switch {
	case len(below) > 0:
		lines = append(lines, fmt.Sprintf("Groups below quorum (%s to count): %s.", plural(int64(r.Quorum), "ballot"), andList(below)))
	case len(absent) == 0 && r.Ballots > 0:
		lines = append(lines, fmt.Sprintf("Every group has reached the quorum of %s.", plural(int64(r.Quorum), "ballot")))
	}
	if len(absent) > 0 {
		lines = append(lines, fmt.Sprintf("No ballots yet from %s (%d each to count).", andList(absent), r.Quorum))
	}

	// Support per theme is a result: a poll that hides its results until
	// it closes gets participation only.
	if p.ResultsVisible() {
		if near := e.nearEmerging(p, r); len(near) > 0 {
			lines = append(lines, "One step from emerging:")
			lines = append(lines, near...)
		}
	}
	how := "Vote with the buttons on the poll, or with /poll vote " + p.ID + " and theme numbers."
	if p.Kind == polls.Ranked {
		how = "Vote with /poll vote " + p.ID + " and theme numbers, most wanted first."
	}
	lines = append(lines, how)
	return strings.Join(lines, "\n")
}

// nearEmerging words the themes one step from emerging (see
// polls.ThemeResult.NearEmerging), fewest ballots needed first, then by
// rank.
func (e *Engine) nearEmerging(p *polls.Poll, r *polls.Report) []string {
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
	var out []string
	for i, n := range all {
		if i == nearEmergingThemes {
			out = append(out, fmt.Sprintf("• and %d more: see /poll report %s.", len(all)-i, p.ID))
			break
		}
		what := plural(*n.need.Needed, "more supporting ballot")
		if p.Kind == polls.Ranked {
			what = plural(*n.need.Needed, "more ballot") + " ranking it first"
		}
		out = append(out, fmt.Sprintf("• %s: %s from %s would make it emerging.", UserText(n.theme), what, e.groupLabel(n.need.Group)))
	}
	return out
}

func (e *Engine) groupLabel(g polls.Group) string { return UserText(e.groups.Info(g).Label) }

// andList joins "a", "b", "c" as "a, b and c".
func andList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// remindsPerHour bounds the reminders facilitators post by hand in one
// poll: each is a message in the channel.
const remindsPerHour = 3

// remind is /poll remind ID: a reminder now, under the poll's message.
func (e *Engine) remind(ctx context.Context, req Request, c Remind) Response {
	p, denied := e.managed(ctx, req, c.Poll, "send a reminder for")
	if denied != nil {
		return *denied
	}
	if p.Status != polls.StatusOpen {
		return ephemeral(fmt.Sprintf("Poll %s is %s; reminders are for open polls.", p.ID, p.Status))
	}
	ok, err := e.svc.Allow(ctx, p.Tenant, "remind:"+p.ID, remindsPerHour, time.Hour)
	if err != nil {
		e.log.Warn("reminder rate limit unavailable; reminding anyway", "tenant", p.Tenant, "poll", p.ID, "err", err)
	} else if !ok {
		return ephemeral(fmt.Sprintf("%d reminders of poll %s were posted in the last hour, the most there may be; scroll up to see them.", remindsPerHour, p.ID))
	}
	resp := e.Reminder(ctx, p)
	if resp.Err != nil {
		return e.failPoll(req, "remind", p.ID, resp.Err)
	}
	resp.Replies = append(resp.Replies, Reply{Visibility: Ephemeral, Text: fmt.Sprintf("Reminder posted under poll %s.", p.ID)})
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

// remindersNote tells the facilitator when a new poll's reminders come,
// or "" for none.
func remindersNote(p *polls.Poll) string {
	if p == nil || len(p.Remind) == 0 {
		return ""
	}
	parts := make([]string, len(p.Remind))
	for i, d := range p.Remind {
		parts[i] = FormatDuration(d)
	}
	return fmt.Sprintf(" Reminders will be posted under the poll %s before its deadline (/poll remind %s posts one now).", andList(parts), p.ID)
}

// unscheduledNote is added to a reply whose poll change was made but
// whose reminders could not be scheduled.
func unscheduledNote(p *polls.Poll) string {
	return fmt.Sprintf(" Its reminders could not be scheduled just now; /poll remind %s posts one by hand.", p.ID)
}

// ParseReminders reads a --remind value: durations before the deadline
// (see ParseDuration), separated by commas or spaces, such as "24h,1h";
// or "none" for no reminders (an empty, non-nil list). Each is at least a
// minute, none is given twice, and there are at most polls.MaxReminders.
// They come back longest first. Errors are *UsageError.
func ParseReminders(s string) ([]time.Duration, error) {
	d, problem := parseReminders(s)
	if problem != "" {
		return nil, valueError("%s", problem)
	}
	return d, nil
}

func parseReminders(s string) ([]time.Duration, string) {
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' })
	if len(parts) == 1 && slices.Contains([]string{"none", "off", "no"}, strings.ToLower(parts[0])) {
		return []time.Duration{}, ""
	}
	if len(parts) == 0 {
		return nil, fmt.Sprintf("--remind needs durations before the deadline, like 24h,1h (or none), not %q", excerpt(s, 40))
	}
	if len(parts) > polls.MaxReminders {
		return nil, fmt.Sprintf("--remind takes at most %d reminders, not %d", polls.MaxReminders, len(parts))
	}
	out := make([]time.Duration, 0, len(parts))
	for _, part := range parts {
		d, problem := parseDuration(part)
		switch {
		case problem != "":
			return nil, "--remind: " + problem
		case d < polls.MinRemindBefore:
			return nil, fmt.Sprintf("--remind %s: a reminder comes at least a minute before the deadline", FormatDuration(d))
		case slices.Contains(out, d):
			return nil, fmt.Sprintf("--remind lists %s twice", FormatDuration(d))
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b time.Duration) int { return cmp.Compare(b, a) })
	return out, ""
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
		return fmt.Errorf("line %d: %s", n.Line, strings.TrimPrefix(err.(*UsageError).Problem, "--remind"))
	}
	*d = ds
	return nil
}

// remindHelp is the page of /poll help remind.
func remindHelp() string {
	return `Usage: ` + Usage("remind") + `

Post a reminder now, under the poll's message: how long until the deadline, how many ballots so far, which stakeholder groups are below quorum and how many more ballots each needs, and (when results are shown while the poll is open) which themes are one step from emerging: the one group below the threshold would lift them with at most ` + fmt.Sprint(nearEmergingBallots) + ` more supporting ballots. A reminder never names a voter. Facilitators and the poll's creator; at most ` + fmt.Sprint(remindsPerHour) + ` an hour.

Reminders can also come by themselves: open a poll with --remind 24h,1h (durations before its deadline, at most ` + fmt.Sprint(polls.MaxReminders) + `, each at least a minute) and each is posted once at its time. Extending or reopening the poll moves them to the new deadline; reminders whose time has passed are skipped, not posted late. A workspace may configure a default (--remind none turns it off for one poll).

Example:
  /poll open "Theme for 2027" "DNSSEC" "DNS abuse" --closes 3d --remind 24h,1h
  /poll remind K7QX
`
}

// remindErrText words the domain's reminder errors; ok is false for other
// codes.
func remindErrText(code polls.Code, p params) (string, bool) {
	dur := func(k string) string {
		d, _ := p.m[k].(time.Duration)
		return FormatDuration(d)
	}
	left, _ := p.m["Left"].(time.Duration)
	switch code {
	case polls.CodeRemindCount:
		return fmt.Sprintf("a poll has at most %d reminders, not %d", p.n("Max"), p.n("Given")), true
	case polls.CodeRemindRange:
		return fmt.Sprintf("a reminder comes from %s to %s before the deadline, not %s", dur("Min"), dur("Max"), dur("Given")), true
	case polls.CodeRemindTwice:
		return fmt.Sprintf("the reminder %s before the deadline is given twice", dur("Given")), true
	case polls.CodeRemindNoDeadline:
		return "reminders come before a deadline: add one, e.g. --closes 48h", true
	case polls.CodeRemindTooEarly:
		return fmt.Sprintf("a reminder %s before the deadline would come before now: the poll closes in %s", dur("Given"), humanDuration(left)), true
	}
	return "", false
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
