package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// Request says who is asking, from where. Adapters fill it from the
// platform's payload.
type Request struct {
	Platform string // "slack", "discord", "shell"
	Tenant   string // "slack:T123", "discord:456", "local"
	User     string // platform user id
	Channel  string
	// Roles are the user's platform roles (Discord roles, Slack user
	// groups), which configured principals such as
	// "discord-role:Moderators" refer to.
	Roles []Role
	// DirectMessage is set when the request comes from a direct message
	// with the bot rather than a channel.
	DirectMessage bool
	// Delivery identifies the platform's delivery of the request (a
	// signed request's signature, an interaction id, a Socket Mode
	// trigger or action id), so that a request delivered or replayed
	// twice, to any replica, acts once: the engine records it in the
	// store (see Engine.Handle).
	Delivery string
}

func (r Request) voter(roleGroup polls.Group) polls.Voter {
	return polls.Voter{Tenant: r.Tenant, User: r.User, RoleGroup: roleGroup, Delivery: r.Delivery}
}

// Visibility says who sees a reply.
type Visibility int

const (
	Ephemeral Visibility = iota // only the person who asked
	Public                      // everyone in the channel
)

// Reply is one message for the adapter to deliver. At most one of Poll,
// Report, List is set; Text may accompany any of them.
type Reply struct {
	Visibility Visibility
	Text       string
	Poll       *PollView
	Report     *ReportView
	List       *ListView
	Picker     *GroupPicker
	Files      []File
}

// File is an attachment: an export or a chart.
type File struct {
	Name  string // "K7QX-tally.csv"
	Title string
	MIME  string
	Data  []byte
}

// Response is what the engine answers to a command or a click.
type Response struct {
	Replies []Reply
	// Opened is set when a poll was opened: the adapter posts the public
	// Poll reply and records where with Engine.SetMessage.
	Opened *polls.Poll
	// Updated lists polls whose messages should be re-rendered.
	Updated []polls.Key
	// Err is the error the replies report, for logs and metrics; nil on
	// success. Users never see Err's text for internal errors.
	Err error
	// Duplicate is set when the request's delivery was acted on before
	// (a platform's redelivery, or a replay of a captured request): the
	// engine did nothing, and the adapter acknowledges without a word, so
	// that a replay learns nothing either.
	Duplicate bool
}

// ChartFunc renders a report as a PNG.
type ChartFunc func(w io.Writer, r *polls.Report, groups *polls.Groups) error

// Engine runs /poll commands against a polls.Service. It is safe for
// concurrent use.
type Engine struct {
	svc    *polls.Service
	cfg    Config
	groups *polls.Groups
	log    *slog.Logger
	chart  ChartFunc
	// metrics receives vote outcomes and command latencies.
	metrics Metrics
	// charts caches rendered charts by tally version.
	charts chartCache
}

// EngineOption configures an Engine.
type EngineOption func(*Engine)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) EngineOption { return func(e *Engine) { e.log = l } }

// WithChart makes reports carry a PNG chart.
func WithChart(f ChartFunc) EngineOption { return func(e *Engine) { e.chart = f } }

// New returns an engine. The service's groups should be cfg.GroupList().
func New(svc *polls.Service, cfg Config, opts ...EngineOption) *Engine {
	e := &Engine{
		svc:    svc,
		cfg:    cfg,
		groups: svc.Groups(),
		log:    slog.New(slog.DiscardHandler),

		metrics: discardMetrics{},
	}
	for _, o := range opts {
		o(e)
	}
	return e
}

// Groups returns the configured stakeholder groups.
func (e *Engine) Groups() *polls.Groups { return e.groups }

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

// HandleText parses text (what follows /poll) and runs it.
func (e *Engine) HandleText(ctx context.Context, req Request, text string) Response {
	cmd, err := Parse(text)
	if err != nil {
		resp := e.fail(req, "parse", err)
		e.metrics.Command(platformOf(req), "invalid", 0, true)
		return resp
	}
	return e.Handle(ctx, req, cmd)
}

// Handle runs a command.
func (e *Engine) Handle(ctx context.Context, req Request, cmd Command) (resp Response) {
	name := "unknown"
	if cmd != nil {
		name = cmd.Name()
	}
	defer e.timeCommand(req, name)(&resp)
	if !isVote(cmd) && !e.first(ctx, req) {
		return Response{Duplicate: true}
	}
	spec := (*Spec)(nil)
	if cmd != nil {
		spec = Lookup(cmd.Name())
	}
	switch {
	case spec == nil || spec.handle == nil:
		resp = e.fail(req, "command", fmt.Errorf("unhandled command %T", cmd))
	case spec.Access == Facilitators && !e.IsFacilitator(req):
		resp = e.fail(req, spec.Name, fmt.Errorf("%w: only facilitators can %s", ErrForbidden, facilitatorVerb[spec.Name]))
	default:
		resp = spec.handle(e, ctx, req, cmd)
	}
	if resp.Err != nil && cmd != nil {
		e.annotate(&resp, cmd.Name())
	}
	return resp
}

// facilitatorVerb says what facilitators-only commands do, for the
// refusal.
var facilitatorVerb = map[string]string{"assign": "assign stakeholder groups"}

// Act runs a click on a control.
func (e *Engine) Act(ctx context.Context, req Request, a Action) (resp Response) {
	defer e.timeCommand(req, "click:"+string(a.Kind))(&resp)
	if a.Kind != ActVote && !e.first(ctx, req) {
		return Response{Duplicate: true}
	}
	switch a.Kind {
	case ActVote:
		res, err := e.svc.Click(ctx, req.voter(e.RoleGroup(req)), a.Poll, a.Theme)
		e.countVote(req, res, err)
		if err != nil {
			return e.failPoll(req, "vote", a.Poll, err)
		}
		return e.castResponse(res)
	case ActGroup:
		return e.group(ctx, req, Group{Group: string(a.Group)})
	case ActRank:
		v, err := e.PollView(ctx, polls.Key{Tenant: req.Tenant, ID: a.Poll})
		if err != nil {
			return e.failPoll(req, "rank", a.Poll, err)
		}
		return Response{Replies: []Reply{{Visibility: Ephemeral, Poll: v,
			Text: fmt.Sprintf("Rank the themes of poll %s: /poll vote %s followed by theme numbers, most wanted first.", v.ID, v.ID)}}}
	}
	return e.fail(req, "action", fmt.Errorf("%w", ErrBadAction))
}

// PollView returns the current view of a poll's message.
func (e *Engine) PollView(ctx context.Context, k polls.Key) (*PollView, error) {
	p, t, err := e.svc.Tally(ctx, k.Tenant, k.ID)
	if err != nil {
		return nil, err
	}
	return e.pollView(p, t, e.svc.Now()), nil
}

// VoteView is PollView for answering a vote with the poll's message
// (Discord's type-7 update): it reads only the tally, taking the poll
// from the cache the vote just used. Edits made later use PollView.
func (e *Engine) VoteView(ctx context.Context, k polls.Key) (*PollView, error) {
	p, t, err := e.svc.TallyAfterVote(ctx, k.Tenant, k.ID)
	if err != nil {
		return nil, err
	}
	return e.pollView(p, t, e.svc.Now()), nil
}

// SetMessage records the chat message an adapter posted for a poll, so
// that later changes re-render it. A message left unrecorded would never
// change again, so a store failure is retried with backoff until ctx is
// done; run it where waiting is fine (after the acknowledgement). retried
// reports that it took more than one attempt: the poll may have changed
// meanwhile, so re-render it. Domain errors (the poll is gone) are not
// retried.
func (e *Engine) SetMessage(ctx context.Context, k polls.Key, ref polls.MessageRef) (retried bool, err error) {
	delay := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		err = e.svc.SetMessage(ctx, k.Tenant, k.ID, ref)
		var de *polls.Error
		if err == nil || errors.Is(err, polls.ErrNotFound) || errors.As(err, &de) {
			return attempt > 0, err
		}
		if attempt == 0 {
			e.log.Warn("recording a poll message failed; retrying until it is recorded", "tenant", k.Tenant, "poll", k.ID, "err", err)
		}
		select {
		case <-ctx.Done():
			return attempt > 0, err
		case <-time.After(delay):
		}
		delay = min(2*delay, 5*time.Second)
	}
}

// ClosedAnnouncement is the public message for a poll the deadline
// scheduler closed.
func (e *Engine) ClosedAnnouncement(ctx context.Context, p *polls.Poll) Response {
	t, err := e.svc.TallyOf(ctx, p)
	if err != nil {
		return e.fail(Request{Tenant: p.Tenant}, "announce", err)
	}
	return Response{
		Replies: []Reply{{Visibility: Public, Text: fmt.Sprintf("Poll %s reached its deadline and is closed.", p.ID), Poll: e.pollView(p, t, e.svc.Now())}},
		Updated: []polls.Key{p.Key()},
	}
}

func ephemeral(text string) Response {
	return Response{Replies: []Reply{{Visibility: Ephemeral, Text: text}}}
}

// Errors of the engine itself.
var (
	ErrForbidden = errors.New("not allowed")
	ErrNoPreset  = errors.New("unknown preset")
)

// fail turns an error into an ephemeral reply for the sender. Domain and
// usage errors are shown as they are worded; anything else is logged and
// replaced by a generic apology, never the driver's text.
func (e *Engine) fail(req Request, op string, err error) Response {
	return e.failPoll(req, op, "", err)
}

// failPoll is fail for an operation on a poll, whose id an internal error's
// log line then carries.
func (e *Engine) failPoll(req Request, op, poll string, err error) Response {
	var (
		ue *UsageError
		de *polls.Error
	)
	var text string
	switch {
	case errors.As(err, &ue):
		// A problem quotes what was typed: all of it is user text.
		text = UserText(sentence(ue.Problem))
		if ue.Usage != "" {
			text += "\nUsage: " + ue.Usage
		}
	case errors.As(err, &de):
		// The domain's parameters that people wrote (titles, labels,
		// what was typed) are marked as user text (see domainText).
		text = sentence(domainText(de, e.groups))
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrNoPreset), errors.Is(err, ErrBadAction):
		text = sentence(err.Error())
	case errors.Is(err, polls.ErrNoBallot):
		text = "You have no ballot in that poll."
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.log.Warn("request ran out of time; the store may be slow or unreachable", logAttrs(req, op, poll, err)...)
		text = "pollbot took too long to answer, so your request may not have been saved. Please try again; a vote is never counted twice."
	default:
		e.log.Error("request failed", logAttrs(req, op, poll, err)...)
		text = "Sorry, pollbot could not reach its store just now. Please try again in a moment; a vote is never counted twice."
	}
	text = capitalize(text)
	return Response{Replies: []Reply{{Visibility: Ephemeral, Text: text}}, Err: err}
}

// logAttrs are what a failure's log line says of the request: never the
// user, who may be voting in an anonymous poll.
func logAttrs(req Request, op, poll string, err error) []any {
	attrs := []any{"op", op, "tenant", req.Tenant, "platform", req.Platform}
	if poll != "" {
		attrs = append(attrs, "poll", poll)
	}
	return append(attrs, "err", err)
}

// usageErrs are domain errors about what was typed: the reply shows the
// usage line with them.
var usageErrs = []error{
	polls.ErrEmptyTitle, polls.ErrTitleTooLong, polls.ErrNoThemes, polls.ErrTooManyThemes,
	polls.ErrEmptyTheme, polls.ErrThemeTooLong, polls.ErrDuplicateTheme, polls.ErrUnknownKind,
	polls.ErrRankedTooFew, polls.ErrInvalidOption, polls.ErrUnknownTheme, polls.ErrNoChoices,
	polls.ErrTooManyChoices, polls.ErrRepeatedChoice, polls.ErrUnknownGroup, polls.ErrInvalidDeadline,
	polls.ErrVotingNotByClick,
}

func (e *Engine) annotate(resp *Response, name string) {
	var ue *UsageError
	if errors.As(resp.Err, &ue) || len(resp.Replies) == 0 {
		return
	}
	for _, k := range usageErrs {
		if errors.Is(resp.Err, k) {
			if u := Usage(name); u != "" {
				resp.Replies[0].Text += "\nUsage: " + u
			}
			return
		}
	}
}

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
	return kind, closes, o
}

func (e *Engine) open(ctx context.Context, req Request, title string, themes []string, opts OpenOptions) Response {
	now := e.svc.Now()
	kind, closes, o := e.optionsFor(opts, now)
	p, err := e.svc.Open(ctx, polls.OpenRequest{
		Tenant: req.Tenant, Title: title, Themes: themes, Kind: kind,
		Creator: req.User, Channel: req.Channel, ClosesAt: closes, Options: o,
	})
	if err != nil {
		return e.fail(req, "open", err)
	}
	e.log.Info("poll opened", "tenant", p.Tenant, "poll", p.ID, "themes", len(p.Themes), "kind", p.Kind)
	view := e.pollView(p, polls.NewTally(), now)
	return Response{
		Opened: p,
		Replies: []Reply{
			{Visibility: Public, Poll: view},
			{Visibility: Ephemeral, Text: fmt.Sprintf("Poll %s is open. You can close it with /poll close %s, extend it with /poll extend %s 24h, and see the report with /poll report %s.", p.ID, p.ID, p.ID, p.ID)},
		},
	}
}

func (e *Engine) preset(ctx context.Context, req Request, c Preset) Response {
	def, ok := e.cfg.preset(c.Preset)
	if !ok {
		return e.fail(req, "preset", fmt.Errorf("%w %s. Presets: %s.\nUsage: %s", ErrNoPreset, UserText(strconv.Quote(c.Preset)), UserText(strings.Join(e.cfg.PresetNames(), ", ")), Usage("preset")))
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
		return Response{Replies: []Reply{e.pickerReply(fmt.Sprintf(
			"Before your vote in poll %s counts, pick your stakeholder group. Your vote is kept and counted as soon as you pick.", p.ID))}}
	}
	return Response{
		Replies: []Reply{{Visibility: Ephemeral, Text: e.ballotText(p, res.Ballot, res.Previous != nil)}},
		Updated: []polls.Key{p.Key()},
	}
}

func (e *Engine) pickerReply(text string) Reply {
	pk := &GroupPicker{Prompt: "Which stakeholder group are you part of?"}
	for _, g := range e.groups.All() {
		pk.Options = append(pk.Options, Control{ID: GroupAction(g.ID), Label: UserText(strings.TrimSpace(g.Emoji + " " + g.Label))})
	}
	return Reply{Visibility: Ephemeral, Text: text, Picker: pk}
}

// ballotText describes the voter's current ballot.
func (e *Engine) ballotText(p *polls.Poll, b polls.Ballot, replaced bool) string {
	if len(b.Choices) == 0 {
		return fmt.Sprintf("You no longer have a ballot in poll %s.", p.ID)
	}
	labels := make([]string, len(b.Choices))
	for i, c := range b.Choices {
		if p.Kind == polls.Ranked {
			labels[i] = fmt.Sprintf("%d. %s", i+1, UserText(p.Themes[c].Label))
		} else {
			labels[i] = UserText(p.Themes[c].Label)
		}
	}
	what := "Your ballot in poll %s: %s."
	if p.Kind == polls.Ranked {
		what = "Your ranking in poll %s: %s."
	}
	s := fmt.Sprintf(what, p.ID, strings.Join(labels, "; "))
	s += " Counted for " + UserText(e.groups.Info(b.Group).Label) + "."
	if replaced {
		s += " (It replaces your previous ballot.)"
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
		resp := ephemeral(fmt.Sprintf("Your ballot in poll %s was removed.", p.ID))
		resp.Updated = []polls.Key{p.Key()}
		return resp
	case r.Held > 0:
		return ephemeral(fmt.Sprintf("Your vote in poll %s, kept until you picked a stakeholder group, was withdrawn; nothing will be counted.", p.ID))
	}
	return ephemeral(fmt.Sprintf("You had no ballot in poll %s.", p.ID))
}

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
	g, outcomes, err := e.svc.SetGroup(ctx, v, c.Group)
	if err != nil {
		return e.fail(req, "group", err)
	}
	e.countHeld(req, outcomes)
	text := fmt.Sprintf("Your stakeholder group is now %s.", UserText(e.groups.Info(g).Label))
	if rg := e.RoleGroup(req); rg != "" && rg != g {
		text = fmt.Sprintf("Saved %s, but your role maps you to %s, which takes precedence.", UserText(e.groups.Info(g).Label), UserText(e.groups.Info(rg).Label))
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
	g, outcomes, err := e.svc.Assign(ctx, req.Tenant, user, c.Group)
	if err != nil {
		return e.fail(req, "assign", err)
	}
	e.countHeld(req, outcomes)
	resp := e.withOutcomes(fmt.Sprintf("%s is now in %s (assigned).", UserText(user), UserText(e.groups.Info(g).Label)), nil)
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
	changed, p, err := e.svc.Reopen(ctx, req.Tenant, p.ID, e.cfg.Defaults.closes())
	if err != nil {
		return e.failPoll(req, "reopen", p.ID, err)
	}
	if !changed {
		return ephemeral(fmt.Sprintf("Poll %s is already open.", p.ID))
	}
	text := fmt.Sprintf("Poll %s is open again.", p.ID)
	if !p.ClosesAt.IsZero() {
		text += " It closes " + when(p.ClosesAt, e.svc.Now()) + "."
	}
	return Response{Replies: []Reply{{Visibility: Public, Text: text}}, Updated: []polls.Key{p.Key()}}
}

func (e *Engine) extend(ctx context.Context, req Request, c Extend) Response {
	p, denied := e.managed(ctx, req, c.Poll, "extend")
	if denied != nil {
		return *denied
	}
	p, err := e.svc.Extend(ctx, req.Tenant, p.ID, c.By)
	if err != nil {
		return e.failPoll(req, "extend", p.ID, err)
	}
	return Response{
		Replies: []Reply{{Visibility: Public, Text: fmt.Sprintf("Poll %s now closes %s.", p.ID, when(p.ClosesAt, e.svc.Now()))}},
		Updated: []polls.Key{p.Key()},
	}
}

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
	resp := e.fail(req, op, fmt.Errorf("%w: poll %s hides its results until it closes", ErrForbidden, p.ID))
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
			return ephemeral(fmt.Sprintf("The report of poll %s was posted %d times in the last minute; scroll up to see it, or ask again in a minute.", p.ID, reportsPerMinute))
		}
	}
	resp := e.ReportResponse(p, r)
	if vis == Ephemeral {
		resp.Replies[0].Visibility = Ephemeral
		resp.Replies[0].Text = "Results are hidden from participants until the poll closes; only you see this."
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
			err := e.chart(&buf, r, e.groups)
			return buf.Bytes(), err
		})
		if err != nil {
			e.log.Error("chart failed", "tenant", p.Tenant, "poll", p.ID, "err", err)
		} else {
			reply.Files = append(reply.Files, File{Name: p.ID + "-chart.png", Title: "Consensus chart: " + UserText(p.Title), MIME: "image/png", Data: png})
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
		return e.fail(req, "export", &UsageError{Problem: fmt.Sprintf("ballots export as %s, not %s", orList(report.Names(true)), name), Usage: Usage("export")})
	}
	var (
		buf bytes.Buffer
		p   *polls.Poll
		err error
	)
	if f.Ballots {
		var denied *Response
		if p, denied = e.managed(ctx, req, c.Poll, "export the ballots of"); denied != nil {
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
		err = f.WriteReport(&buf, p, r, e.groups)
	}
	if err != nil {
		return e.failPoll(req, "export", p.ID, err)
	}
	file := f.File(p.ID)
	return Response{Replies: []Reply{{
		Visibility: Ephemeral,
		Text:       fmt.Sprintf("Export of poll %s: %s.", p.ID, file),
		Files:      []File{{Name: file, Title: UserText(p.Title), MIME: f.MIME, Data: buf.Bytes()}},
	}}}
}

// capitalize upper-cases the first letter: domain error details are
// phrases ("poll K7QX is closed"); a reply is a sentence. A leading mark of
// user text is kept in front of it.
func capitalize(s string) string {
	if rest, ok := strings.CutPrefix(s, userOpenMark); ok {
		return userOpenMark + capitalize(rest)
	}
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?…") {
		return s
	}
	return s + "."
}

// plural formats a count with its noun: "1 ballot", "2 ballots".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
