package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
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
	// Thread, when set, makes a public reply an answer under the poll's
	// own message, in the poll's channel wherever the request came from
	// (Slack: a reply in the message's thread; Discord: a reply to the
	// message), or a message in the poll's channel when the poll has no
	// message on the platform. A Thread reply that cannot be posted ends
	// the delivery: the adapter tells the sender so, and delivers none
	// of the replies after it.
	Thread *polls.Poll
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
	// vote is, after a vote the store accepted, the poll and its tally as
	// the vote left it (see VoteView); nil otherwise.
	vote *afterVote
}

// SoleConfirmation reports whether r's replies are one text reply to the
// person who acted alone, without files or a picker: a vote's
// confirmation, which an adapter delivers with one HTTP call and can
// bound by its client's timeout.
func (r Response) SoleConfirmation() bool {
	if len(r.Replies) != 1 {
		return false
	}
	rp := r.Replies[0]
	return len(rp.Files) == 0 && rp.Picker == nil && rp.Visibility == Ephemeral
}

// afterVote is a vote's poll and the tally the store returned with it,
// read in the vote's own atomic step (polls.VoteResult.Tally).
type afterVote struct {
	poll  *polls.Poll
	tally polls.Tally
}

// withVote keeps the poll and tally a vote returned for VoteView.
func (r Response) withVote(p *polls.Poll, t *polls.Tally) Response {
	if p != nil && t != nil {
		r.vote = &afterVote{poll: p, tally: *t}
	}
	return r
}

// ChartFunc renders a report as a PNG. The engine's writer carries its
// printer (see report.PrinterOf), in whose language the chart's words go.
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
	// p words every reply and view the engine builds.
	p *msg.Printer
	// links makes /poll screen's links; nil when the deployment has no
	// public URL or link key.
	links ScreenLinks
	// views, fixed, counts, groupCounts and ballots keep what poll views
	// and ballot confirmations word the same way every time (see
	// viewCache, engineWords, wordsCache).
	views       viewCache
	fixed       *engineWords
	counts      wordsCache[countKey]
	groupCounts wordsCache[groupCountKey]
	ballots     wordsCache[ballotKey]
}

// EngineOption configures an Engine.
type EngineOption func(*Engine)

// WithLogger sets the logger (default: discard).
func WithLogger(l *slog.Logger) EngineOption { return func(e *Engine) { e.log = l } }

// WithChart makes reports carry a PNG chart.
func WithChart(f ChartFunc) EngineOption { return func(e *Engine) { e.chart = f } }

// WithPrinter sets the language of everything the engine says: replies,
// views, errors and the reports it exports (default: msg.English()).
func WithPrinter(p *msg.Printer) EngineOption { return func(e *Engine) { e.p = p } }

// New returns an engine. The service's groups should be cfg.GroupList().
func New(svc *polls.Service, cfg Config, opts ...EngineOption) *Engine {
	e := &Engine{
		svc:    svc,
		cfg:    cfg,
		groups: svc.Groups(),
		log:    slog.New(slog.DiscardHandler),
		p:      msg.English(),

		metrics: discardMetrics{},
	}
	for _, o := range opts {
		o(e)
	}
	e.fixed = e.wordFixed()
	return e
}

// Groups returns the configured stakeholder groups.
func (e *Engine) Groups() *polls.Groups { return e.groups }

// Printer returns the printer the engine words its replies with, for
// adapters that word their own controls and notes in the same language.
func (e *Engine) Printer() *msg.Printer { return e.p }

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
		resp = e.fail(req, spec.Name, forbidden(msg.ErrFacilitatorsOnly.With(facilitatorVerb[spec.Name].With())))
	default:
		resp = spec.handle(e, ctx, req, cmd)
	}
	if resp.Err != nil && cmd != nil {
		e.annotate(&resp, cmd.Name())
	}
	return resp
}

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
		return Response{Replies: []Reply{{Visibility: Ephemeral, Poll: v, Text: e.p.Sprint(msg.RankByText.With(v.ID))}}}
	}
	return e.fail(req, "action", &wordedError{kind: ErrBadAction, m: msg.ErrUnknownControl.With()})
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
// (Discord's type-7 update), given the vote's response (one that Updated
// the poll). It renders the tally the vote returned, read in the vote's
// own atomic step, with the poll the vote used: no store read. A vote
// whose store returned no tally reads only the tally, taking the poll from
// the cache the vote just used. Edits made later use PollView.
func (e *Engine) VoteView(ctx context.Context, resp Response) (*PollView, error) {
	if len(resp.Updated) == 0 {
		return nil, errors.New("vote view of a response that updated no poll")
	}
	k := resp.Updated[0]
	if v := resp.vote; v != nil && v.poll.Key() == k {
		return e.pollView(v.poll, v.tally, e.svc.Now()), nil
	}
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
		Replies: []Reply{{Visibility: Public, Text: e.p.Sprint(msg.DeadlineClosed.With(p.ID)), Poll: e.pollView(p, t, e.svc.Now())}},
		Updated: []polls.Key{p.Key()},
	}
}

func ephemeral(text string) Response {
	return Response{Replies: []Reply{{Visibility: Ephemeral, Text: text}}}
}
