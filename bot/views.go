package bot

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/internal/bounded"
	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/polls"
)

// PollView is everything a poll message shows, worded and computed once for
// every adapter: Slack renders it as Block Kit, Discord as an embed with
// components, the shell as text. Like every view, its strings mark the text
// people wrote (titles, labels) with UserText; adapters render them with
// RenderUserText or PlainText.
type PollView struct {
	Key        polls.Key
	ID         string
	Title      string
	Kind       polls.Kind
	KindText   string // how to vote, e.g. "Choose every theme you support (at most 3)."
	Status     polls.Status
	StatusText string // e.g. "Open · closes Wed 25 Nov 10:00 UTC (in 2d)"
	ClosesAt   time.Time
	Anonymous  bool
	// ResultsVisible is false while an open poll hides its results; the
	// themes then carry no counts and HiddenNote says why.
	ResultsVisible bool
	HiddenNote     string
	Ballots        int64
	// Participation lists every configured group with its ballots (zero
	// included, so a missing group is visible), then any unknown group.
	Participation     []GroupCount
	ParticipationText string // "🏛️ Government 3 · 🤝 Civil society 5 · ..."
	Themes            []ThemeLine
	// Controls are the vote buttons of an open poll: one per theme
	// (approval, single) or one "rank" button (ranked).
	Controls []Control
	// Summary is set once the poll is closed: one line per status.
	Summary []string
	Footer  string // e.g. "Poll K7QX · /poll vote K7QX 1 3 · /poll report K7QX"
	// Messages are the chat messages showing the poll, as of the same read
	// as the rest of the view, so a re-render needs one read, not two.
	Messages []polls.MessageRef
	// Memo is where an adapter keeps what it makes of the parts of the
	// view that stay the same from click to click (Title, KindText, the
	// themes' labels, Controls, Footer, HiddenNote), so that a click's
	// answer does not make them again: views of the same poll object
	// with the same definition and status share one. Nil when the view
	// has none; MemoLoad then builds every time.
	Memo *Memo
}

// Memo holds what adapters make of a poll view's unchanging parts, one
// value per key. Each adapter keys its values with a type of its own.
type Memo struct {
	mu sync.RWMutex
	m  map[any]any
}

// MemoLoad returns the value m holds under key, building it with build
// and keeping it first when m holds none. A nil m keeps nothing. The
// value is shared by every view with the same Memo: treat it as
// read-only.
func MemoLoad[T any](m *Memo, key any, build func() T) T {
	if m == nil {
		return build()
	}
	m.mu.RLock()
	v, ok := m.m[key]
	m.mu.RUnlock()
	if ok {
		return v.(T)
	}
	t := build()
	m.mu.Lock()
	defer m.mu.Unlock()
	if v, ok := m.m[key]; ok {
		return v.(T) // built meanwhile by another click
	}
	if m.m == nil {
		m.m = make(map[any]any)
	}
	m.m[key] = t
	return t
}

// GroupCount is a group's number of ballots.
type GroupCount struct {
	Group   polls.Group
	Label   string
	Emoji   string
	Ballots int64
}

// ThemeLine is one theme in a poll message.
type ThemeLine struct {
	Number    int    // 1-based
	Label     string // as the facilitator wrote it, marked with UserText
	Count     float64
	CountText string  // "12 votes", "7.5 points"
	Share     float64 // of all ballots, 0..1
	Bar       string  // a 10-cell bar of Share, "▓▓▓▓░░░░░░"
	Status    polls.ThemeStatus
	Badge     string // "✅ consensus" once closed; empty while open
}

// Control is a button or menu entry; ID is an action id (see Action).
type Control struct {
	ID    string
	Label string
}

// ReportView is the consensus report as chat shows it.
type ReportView struct {
	Key      polls.Key
	Title    string   // "Consensus report: Theme for 2027"
	Subtitle string   // "Poll K7QX · closed · 61 ballots from 6 groups · quorum 3 · threshold 50%"
	Summary  []string // plain sentences per status
	Themes   []ReportThemeLine
	Groups   []GroupCount
	// Participation notes: below-quorum and absent groups, never dropped
	// silently.
	Notes  []string
	Legend string
	Report *polls.Report // the numbers, for adapters that need more
}

// ReportThemeLine is one theme of the report.
type ReportThemeLine struct {
	Rank   int
	Label  string
	Status polls.ThemeStatus
	Badge  string // "✅ consensus"
	// Numbers: "score 0.82 · equal 78% · overall 80% · spread 25 pts"
	Numbers string
	Groups  []GroupBar
	// Grounds says what the status rests on and what would change it, as
	// a sentence: "Civil society (6/15) alone is below 50%; …".
	Grounds string
}

// GroupBar is one group's support for one theme.
type GroupBar struct {
	Group     polls.Group
	Label     string
	Emoji     string
	Support   float64
	Percent   string // "83%"
	Bar       string
	Count     string // "5/6" (or "4.5/6" points)
	Qualifies bool
}

// ListView is a list of polls.
type ListView struct {
	Title string
	Lines []string
	Empty string
}

// GroupPicker asks a participant to pick their stakeholder group.
type GroupPicker struct {
	Prompt  string
	Options []Control
}

var badges = map[polls.ThemeStatus]msg.Def0{
	polls.Consensus:    msg.BadgeConsensus,
	polls.Emerging:     msg.BadgeEmerging,
	polls.Divided:      msg.BadgeDivided,
	polls.Low:          msg.BadgeLow,
	polls.Insufficient: msg.BadgeInsufficient,
}

// Badge is the emoji and word of a theme status: "✅ consensus".
func Badge(s polls.ThemeStatus) msg.Message {
	d, ok := badges[s]
	if !ok {
		return msg.Message{}
	}
	return d.With()
}

// Bar draws share (0..1) as a bar of width cells.
func Bar(share float64, width int) string {
	if math.IsNaN(share) || share < 0 {
		share = 0
	}
	if share > 1 {
		share = 1
	}
	full := int(math.Round(share * float64(width)))
	if width == viewBarWidth {
		return viewBars[full]
	}
	return drawBar(full, width)
}

func drawBar(full, width int) string {
	return strings.Repeat("▓", full) + strings.Repeat("░", width-full)
}

// viewBarWidth is the width of the bars poll messages and reports draw;
// viewBars holds all of them, so that a click's answer draws none.
const viewBarWidth = 10

var viewBars = func() (b [viewBarWidth + 1]string) {
	for full := range b {
		b[full] = drawBar(full, viewBarWidth)
	}
	return b
}()

// Percent formats a share as a whole percentage, the one way every output
// does (numfmt.Percent): 5/8 is 63%.
func Percent(share float64) string { return numfmt.Percent(share) }

func (e *Engine) kindText(p *polls.Poll) string {
	var m msg.Message
	switch {
	case p.Kind == polls.Single:
		m = msg.HowSingle.With()
	case p.Kind == polls.Ranked:
		m = msg.HowRanked.With()
	case p.MaxChoices > 0:
		m = msg.HowApprovalMax.With(p.MaxChoices)
	default:
		m = msg.HowApproval.With()
	}
	s := e.p.Sprint(m)
	if p.Anonymous {
		s = e.sentences(s, e.p.Sprint(msg.HowAnonymous.With()))
	}
	return s
}

// sentences puts a sentence after another.
func (e *Engine) sentences(first, next string) string {
	return e.p.Sprint(msg.SentenceJoin.With(first, next))
}

// dateTime is a time for people, in UTC: "Wed 25 Nov 10:00 UTC".
func dateTime(t time.Time) msg.Message {
	t = t.UTC()
	return msg.DateTime.With(msg.Weekdays[t.Weekday()].With(), t.Day(), msg.Months[t.Month()-1].With(), t.Format("15:04"))
}

// timeUTC is a time as a timestamp people read: "2026-11-25 10:00 UTC".
func timeUTC(t time.Time) msg.Message {
	t = t.UTC()
	return msg.TimeUTC.With(t.Format("2006-01-02"), t.Format("15:04"))
}

// whenMessage is a time for people, in UTC, with the distance from now:
// "Wed 25 Nov 10:00 UTC (in 2d)".
func whenMessage(t, now time.Time) msg.Message {
	s := dateTime(t)
	d := t.Sub(now)
	switch {
	case d > 0:
		return msg.WhenIn.With(s, humanDuration(d))
	case d < 0:
		return msg.WhenAgo.With(s, humanDuration(-d))
	}
	return s
}

// humanDuration rounds a duration to its two largest units: "2d 3h",
// "47m", "30s".
func humanDuration(d time.Duration) msg.Message {
	d = d.Round(time.Second)
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	h := int64(d / time.Hour)
	d -= time.Duration(h) * time.Hour
	m := int64(d / time.Minute)
	d -= time.Duration(m) * time.Minute
	s := int64(d / time.Second)
	switch {
	case days > 0 && h > 0:
		return msg.DurationDaysHours.With(days, h)
	case days > 0:
		return msg.DurationDays.With(days)
	case h > 0 && m > 0:
		return msg.DurationHoursMinutes.With(h, m)
	case h > 0:
		return msg.DurationHours.With(h)
	case m > 0:
		return msg.DurationMinutes.With(m)
	}
	return msg.DurationSeconds.With(s)
}

func (e *Engine) statusText(p *polls.Poll, now time.Time) string {
	var m msg.Message
	switch p.Status {
	case polls.StatusOpen:
		m = msg.StatusOpenNoDeadline.With()
		if !p.ClosesAt.IsZero() {
			m = msg.StatusOpenCloses.With(whenMessage(p.ClosesAt, now))
		}
	case polls.StatusClosed:
		m = msg.StatusClosedAt.With(dateTime(p.ClosedAt))
	default:
		m = msg.StatusCancelled.With()
	}
	return e.p.Sprint(m)
}

func (e *Engine) participation(t polls.Tally) ([]GroupCount, string) {
	names := e.fixed
	out := make([]GroupCount, 0, len(names.counts)+1)
	var partsBuf [8]string // joined below, not kept: the default groups' without an allocation
	parts := partsBuf[:0]
	for i, c := range names.counts {
		c.Ballots = t.Ballots[c.Group]
		out = append(out, c)
		parts = append(parts, e.groupCounts.get(groupCountKey{group: i, n: c.Ballots}, func() string {
			return e.p.Sprint(msg.ParticipationGroup.With(names.names[i], c.Ballots))
		}))
	}
	for g, n := range t.Ballots {
		if !e.groups.Known(g) {
			info := e.groups.Info(g)
			c := GroupCount{Group: g, Label: UserText(info.Label), Emoji: UserText(info.Emoji), Ballots: n}
			out = append(out, c)
			parts = append(parts, e.p.Sprint(msg.ParticipationGroup.With(groupName(c), n)))
		}
	}
	return out, strings.Join(parts, names.dot)
}

// groupName is how a participation line names a group: "🏛️ Government".
func groupName(c GroupCount) string {
	return UserText(strings.TrimSpace(PlainText(c.Emoji) + " " + PlainText(c.Label)))
}

// engineWords are the words views repeat, worded once per engine (the
// groups and the printer never change): the engine's groups as the
// participation line shows them.
type engineWords struct {
	counts []GroupCount // Ballots zero
	names  []string
	dot    string
}

func (e *Engine) wordFixed() *engineWords {
	g := &engineWords{dot: e.p.Sprint(msg.Dot.With())}
	for _, info := range e.groups.All() {
		c := GroupCount{Group: info.ID, Label: UserText(info.Label), Emoji: UserText(info.Emoji)}
		g.counts = append(g.counts, c)
		g.names = append(g.names, groupName(c))
	}
	return g
}

// PollView builds the view of a poll's message from its tally.
func (e *Engine) pollView(p *polls.Poll, t polls.Tally, now time.Time) *PollView {
	sv := e.views.get(p, e.staticView)
	v := &PollView{
		Key: p.Key(), ID: p.ID, Title: sv.title, Kind: p.Kind,
		KindText: sv.kindText, Status: p.Status, StatusText: e.statusText(p, now),
		ClosesAt: p.ClosesAt, Anonymous: p.Anonymous,
		ResultsVisible: p.ResultsVisible(), Ballots: t.Total(),
		Messages: p.Messages, Footer: sv.footer,
		Controls: slices.Clone(sv.controls), Memo: &sv.memo,
	}
	if !v.ResultsVisible {
		v.HiddenNote = sv.hiddenNote
	}
	v.Participation, v.ParticipationText = e.participation(t)
	var rep *polls.Report
	if p.Status != polls.StatusOpen {
		rep = polls.ComputeReport(p, t, e.groups)
	}
	v.Themes = make([]ThemeLine, 0, len(p.Themes))
	var buf [polls.MaxThemes]float64
	var support []float64
	if v.ResultsVisible {
		support = t.AppendSupport(buf[:0], p)
	}
	for i := range p.Themes {
		line := ThemeLine{Number: i + 1, Label: sv.labels[i]}
		if v.ResultsVisible {
			sum := support[i]
			line.Count = sum
			if total := v.Ballots; total > 0 {
				line.Share = sum / float64(total)
			}
			line.CountText = e.counts.get(countKey{ranked: p.Kind == polls.Ranked, n: sum}, func() string {
				return e.p.Sprint(countMessage(p.Kind, sum))
			})
			line.Bar = Bar(line.Share, viewBarWidth)
		}
		if rep != nil {
			if tr, ok := rep.Theme(i); ok {
				line.Status, line.Badge = tr.Status, e.p.Sprint(qualifiedBadge(tr))
			}
		}
		v.Themes = append(v.Themes, line)
	}
	if rep != nil && p.Status == polls.StatusClosed {
		v.Summary = e.closedSummary(rep)
	}
	return v
}

// staticView is the part of a poll's view that follows from its
// definition and status alone, not from its tally or the clock: what a
// click's answer would otherwise word again for every click (Discord's
// answer carries the whole message). from holds the fields it was built
// from, so that a poll object changed in place is never shown stale.
type staticView struct {
	from       staticKey
	title      string
	kindText   string
	labels     []string
	controls   []Control
	hiddenNote string // shown while the results are hidden
	footer     string
	memo       Memo // adapters' renderings of the above
}

type staticKey struct {
	id, title  string
	status     polls.Status
	kind       polls.Kind
	maxChoices int
	anonymous  bool
	themes     int
}

func staticKeyOf(p *polls.Poll) staticKey {
	return staticKey{id: p.ID, title: p.Title, status: p.Status, kind: p.Kind, maxChoices: p.MaxChoices, anonymous: p.Anonymous, themes: len(p.Themes)}
}

func (e *Engine) staticView(p *polls.Poll) *staticView {
	sv := &staticView{
		from: staticKeyOf(p), title: UserText(p.Title), kindText: e.kindText(p),
		hiddenNote: e.p.Sprint(msg.HiddenNote.With()),
	}
	for _, th := range p.Themes {
		sv.labels = append(sv.labels, UserText(th.Label))
	}
	if p.Status == polls.StatusOpen {
		if p.Kind == polls.Ranked {
			sv.controls = []Control{{ID: RankAction(p.ID), Label: e.p.Sprint(msg.RankControl.With())}}
		} else {
			for i, label := range sv.labels {
				sv.controls = append(sv.controls, Control{ID: VoteAction(p.ID, i), Label: e.p.Sprint(msg.Numbered.With(i+1, label))})
			}
		}
		example := "1"
		switch {
		case p.Kind == polls.Ranked:
			example = "2 1"
		case p.Kind == polls.Approval && len(p.Themes) >= 3 && p.MaxChoices != 1:
			example = "1 3"
		}
		sv.footer = e.p.Sprint(msg.FooterOpen.With(p.ID, example))
	} else {
		sv.footer = e.p.Sprint(msg.FooterClosed.With(p.ID))
	}
	return sv
}

// viewCache keeps the staticView of each poll object the vote path shows.
// The service hands out one *polls.Poll per open poll until it reads the
// poll again (polls.WithPollCache, 5 s by default), so clicks on a busy
// poll find its words here; a poll read for any other reason is a new
// object, and a miss. The map is emptied when it reaches viewCacheMax
// entries, which bounds it, and the poll objects it keeps alive, however
// many polls there are.
type viewCache struct {
	bounded.Map[*polls.Poll, *staticView]
}

const viewCacheMax = 4096 // as many polls as the service's open-poll cache keeps

func (c *viewCache) get(p *polls.Poll, build func(*polls.Poll) *staticView) *staticView {
	if sv, ok := c.Get(p); ok && sv.from == staticKeyOf(p) {
		return sv
	}
	sv := build(p)
	c.Put(p, sv, viewCacheMax)
	return sv
}

// wordsCache keeps the words every click's answer shows again (a
// theme's "12 votes", a group's "🏛️ Government 3", a ballot's
// confirmation, see ballotKey), so that the printer words each once, not
// once per click: there are only as many as there are distinct counts
// and ballots. It is emptied when it reaches
// wordsCacheMax entries. The printer and the groups never change, so an
// entry never goes stale.
type wordsCache[K comparable] struct{ bounded.Map[K, string] }

const wordsCacheMax = 1 << 14

func (c *wordsCache[K]) get(k K, word func() string) string { return c.Load(k, wordsCacheMax, word) }

// countKey is a theme's count as a poll message words it.
type countKey struct {
	ranked bool
	n      float64
}

// groupCountKey is a configured group's ballots in the participation
// line: the group's index in engineWords.counts.
type groupCountKey struct {
	group int
	n     int64
}

// countMessage is a theme's votes, or in a ranked poll its points.
func countMessage(k polls.Kind, n float64) msg.Message {
	if k == polls.Ranked {
		return msg.CountPoints.With(numfmt.Number(n))
	}
	return msg.CountVotes.With(numfmt.Number(n))
}

// summaryLines says in plain words which themes reached which status,
// best first.
func (e *Engine) summaryLines(r *polls.Report) []string {
	if r.Ballots == 0 {
		return []string{e.p.Sprint(msg.SummaryNoBallots.With())}
	}
	by := map[string][]string{}
	for _, t := range r.Themes {
		key := string(t.Status)
		if t.Status == polls.Divided {
			key += string(t.Split)
		}
		name := UserText(t.Theme)
		if t.Fragile {
			name = e.p.Sprint(msg.ThemeFragile.With(name))
		}
		by[key] = append(by[key], name)
	}
	var out []string
	add := func(key string, lead msg.Def1[string]) {
		if names := by[key]; len(names) > 0 {
			out = append(out, e.p.Sprint(lead.With(e.p.Join(names))))
		}
	}
	if len(by[string(polls.Consensus)]) == 0 && len(by[string(polls.Insufficient)]) == 0 {
		out = append(out, e.p.Sprint(msg.SummaryNoConsensus.With()))
	}
	add(string(polls.Consensus), msg.SummaryConsensus)
	add(string(polls.Emerging), msg.SummaryEmerging)
	add(string(polls.Divided)+string(polls.SplitClear), msg.SummaryDividedClear)
	add(string(polls.Divided)+string(polls.SplitMarginal), msg.SummaryDividedMarginal)
	add(string(polls.Low), msg.SummaryLow)
	add(string(polls.Insufficient), msg.SummaryInsufficient)
	return out
}

// closedSummary is what a closed poll's message says under its themes:
// the headline, then per theme in rank order what its status rests on,
// then what participation lacked.
func (e *Engine) closedSummary(r *polls.Report) []string {
	out := e.summaryLines(r)
	if r.Ballots == 0 {
		return out
	}
	out = out[:1]
	w := e.words()
	// Whether a group qualifies does not depend on the theme: every
	// insufficient theme rests on the same grounds, said once.
	var insufficient []string
	var grounds string
	for _, t := range r.Themes {
		if t.Status == polls.Insufficient {
			insufficient = append(insufficient, UserText(t.Theme))
			grounds = w.Grounds(r, t)
			continue
		}
		out = append(out, w.Verdict(r, t))
	}
	if len(insufficient) > 0 {
		out = append(out, e.p.Sprint(msg.Verdict.With(e.p.Join(insufficient), e.p.Sprint(msg.StatusInsufficient.With()), grounds)))
	}
	return append(out, w.Participation(r)...)
}

// ReportView builds the chat view of a report (no chart, no permission
// check): for the command line, which prints it as text.
func (e *Engine) ReportView(p *polls.Poll, r *polls.Report) *ReportView {
	v := &ReportView{
		Key:    p.Key(),
		Title:  e.p.Sprint(msg.ReportTitle.With(UserText(p.Title))),
		Report: r,
	}
	status := report.PollStatusWord(p.Status)
	if p.Status == polls.StatusOpen {
		status = msg.ReportInterim.With()
	}
	v.Subtitle = e.p.Sprint(msg.ReportSubtitle.With(p.ID, status,
		msg.BallotsFromGroups.With(msg.Ballots.With(r.Ballots), msg.Groups.With(int64(len(r.Groups)))),
		msg.ReportRules.With(r.Quorum, numfmt.PercentExact(r.Threshold), msg.Groups.With(int64(r.MinGroups)))))
	v.Summary = e.summaryLines(r)
	for _, g := range r.Groups {
		info := e.groups.Info(g.Group)
		v.Groups = append(v.Groups, GroupCount{Group: g.Group, Label: UserText(info.Label), Emoji: UserText(info.Emoji), Ballots: g.Ballots})
	}
	w := e.words()
	ranked := r.Poll.Kind == polls.Ranked
	for _, t := range r.Themes {
		line := ReportThemeLine{
			Rank: t.Rank, Label: UserText(t.Theme), Status: t.Status, Badge: e.p.Sprint(qualifiedBadge(t)),
			Numbers: e.p.Sprint(msg.ReportNumbers.With(numfmt.Score(t.Score), Percent(t.Equal), Percent(t.Overall),
				msg.Points.With(numfmt.PercentagePoints(t.Spread)))),
			Grounds: e.Grounds(r, t),
		}
		for _, g := range t.Groups {
			info := e.groups.Info(g.Group)
			line.Groups = append(line.Groups, GroupBar{
				Group: g.Group, Label: UserText(info.Label), Emoji: UserText(info.Emoji),
				Support: g.Support, Percent: Percent(g.Support), Bar: Bar(g.Support, viewBarWidth),
				Count: e.p.Sprint(report.CountMessage(g.Supporters, g.Ballots, ranked)), Qualifies: g.Qualifies,
			})
		}
		v.Themes = append(v.Themes, line)
	}
	if len(r.UnderRepresented) > 0 {
		v.Notes = append(v.Notes, e.p.Sprint(msg.QuorumNote.With(r.Quorum)))
	}
	v.Notes = append(v.Notes, w.Participation(r)...)
	v.Legend = e.p.Sprint(msg.ReportLegend.With())
	return v
}

// qualifiedBadge is a theme's badge with its qualifier: "✅ consensus,
// fragile", "⚖️ divided (marginal)".
func qualifiedBadge(t polls.ThemeResult) msg.Message { return report.Qualified(Badge(t.Status), t) }

// words says what statuses rest on, with labels marked as user text.
func (e *Engine) words() report.Words {
	return report.Words{Groups: e.groups, Label: UserText, Printer: e.p}
}

// Grounds is the sentence that says what a theme's status rests on and
// what would change it, without the theme's label: "Civil society (6/15)
// alone is below 50%; 3 more supporting ballots there would make it
// emerging." The chat report, the closing announcement and the live screen
// show it beside the theme. Labels in it are marked with UserText.
func (e *Engine) Grounds(r *polls.Report, th polls.ThemeResult) string {
	s := e.words().Grounds(r, th)
	if strings.HasPrefix(s, userOpenMark) {
		return s // a group's label, as its writer wrote it
	}
	return capitalize(s)
}

// Verdict is the whole sentence of a theme, its label and status first:
// "DNS abuse: divided (marginal): Civil society (6/15) alone is below
// 50%; …".
func (e *Engine) Verdict(r *polls.Report, th polls.ThemeResult) string {
	return e.words().Verdict(r, th)
}
