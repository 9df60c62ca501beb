package bot

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/report"
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

var badges = map[polls.ThemeStatus]string{
	polls.Consensus:    "✅ consensus",
	polls.Emerging:     "🌱 emerging",
	polls.Divided:      "⚖️ divided",
	polls.Low:          "⬇️ low support",
	polls.Insufficient: "❔ insufficient data",
}

// Badge returns the emoji and word for a theme status.
func Badge(s polls.ThemeStatus) string { return badges[s] }

// Bar draws share (0..1) as a bar of width cells.
func Bar(share float64, width int) string {
	if math.IsNaN(share) || share < 0 {
		share = 0
	}
	if share > 1 {
		share = 1
	}
	full := int(math.Round(share * float64(width)))
	return strings.Repeat("▓", full) + strings.Repeat("░", width-full)
}

// Percent formats a share as a whole percentage, the one way every output
// does (numfmt.Percent): 5/8 is 63%.
func Percent(share float64) string { return numfmt.Percent(share) }

func (e *Engine) kindText(p *polls.Poll) string {
	switch p.Kind {
	case polls.Single:
		return "Choose one theme."
	case polls.Ranked:
		return "Rank the themes in your order of preference (first = most wanted)."
	}
	if p.MaxChoices > 0 {
		return fmt.Sprintf("Choose every theme you support (at most %d).", p.MaxChoices)
	}
	return "Choose every theme you support."
}

// when formats a time for people, in UTC, with the distance from now.
func when(t, now time.Time) string {
	s := t.UTC().Format("Mon 2 Jan 15:04 UTC")
	d := t.Sub(now)
	switch {
	case d > 0:
		return s + " (in " + humanDuration(d) + ")"
	case d < 0:
		return s + " (" + humanDuration(-d) + " ago)"
	}
	return s
}

// humanDuration rounds a duration to its two largest units: "2d 3h",
// "47m", "30s".
func humanDuration(d time.Duration) string {
	d = d.Round(time.Second)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	s := d / time.Second
	switch {
	case days > 0 && h > 0:
		return fmt.Sprintf("%dd %dh", days, h)
	case days > 0:
		return fmt.Sprintf("%dd", days)
	case h > 0 && m > 0:
		return fmt.Sprintf("%dh %dm", h, m)
	case h > 0:
		return fmt.Sprintf("%dh", h)
	case m > 0:
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%ds", s)
}

func (e *Engine) statusText(p *polls.Poll, now time.Time) string {
	switch p.Status {
	case polls.StatusOpen:
		s := "Open"
		if !p.ClosesAt.IsZero() {
			s += " · closes " + when(p.ClosesAt, now)
		} else {
			s += " · no deadline"
		}
		return s
	case polls.StatusClosed:
		return "Closed " + p.ClosedAt.UTC().Format("Mon 2 Jan 15:04 UTC")
	}
	return "Cancelled"
}

func (e *Engine) participation(t polls.Tally) ([]GroupCount, string) {
	var out []GroupCount
	for _, g := range e.groups.All() {
		out = append(out, GroupCount{Group: g.ID, Label: UserText(g.Label), Emoji: UserText(g.Emoji), Ballots: t.Ballots[g.ID]})
	}
	for g, n := range t.Ballots {
		if !e.groups.Known(g) {
			info := e.groups.Info(g)
			out = append(out, GroupCount{Group: g, Label: UserText(info.Label), Emoji: UserText(info.Emoji), Ballots: n})
		}
	}
	parts := make([]string, 0, len(out))
	for _, c := range out {
		parts = append(parts, UserText(strings.TrimSpace(PlainText(c.Emoji)+" "+PlainText(c.Label)))+" "+fmt.Sprint(c.Ballots))
	}
	return out, strings.Join(parts, " · ")
}

// PollView builds the view of a poll's message from its tally.
func (e *Engine) pollView(p *polls.Poll, t polls.Tally, now time.Time) *PollView {
	v := &PollView{
		Key: p.Key(), ID: p.ID, Title: UserText(p.Title), Kind: p.Kind,
		KindText: e.kindText(p), Status: p.Status, StatusText: e.statusText(p, now),
		ClosesAt: p.ClosesAt, Anonymous: p.Anonymous,
		ResultsVisible: p.ResultsVisible(), Ballots: t.Total(),
		Messages: p.Messages,
	}
	if p.Anonymous {
		v.KindText += " Anonymous: ballots are stored under a pseudonym."
	}
	v.Participation, v.ParticipationText = e.participation(t)
	var rep *polls.Report
	if p.Status != polls.StatusOpen {
		rep = polls.ComputeReport(p, t, e.groups)
	}
	for i, th := range p.Themes {
		line := ThemeLine{Number: i + 1, Label: UserText(th.Label)}
		if v.ResultsVisible {
			var sum float64
			for g := range t.Ballots {
				sum += t.Support(p, g, i)
			}
			line.Count = sum
			if total := v.Ballots; total > 0 {
				line.Share = sum / float64(total)
			}
			line.CountText = countText(p.Kind, sum)
			line.Bar = Bar(line.Share, 10)
		}
		if rep != nil {
			if tr, ok := rep.Theme(i); ok {
				line.Status, line.Badge = tr.Status, qualifiedBadge(tr)
			}
		}
		v.Themes = append(v.Themes, line)
	}
	if !v.ResultsVisible {
		v.HiddenNote = "Results are hidden until the poll closes."
	}
	if p.Status == polls.StatusOpen {
		if p.Kind == polls.Ranked {
			v.Controls = []Control{{ID: RankAction(p.ID), Label: "Rank the themes"}}
		} else {
			for i, th := range p.Themes {
				v.Controls = append(v.Controls, Control{ID: VoteAction(p.ID, i), Label: fmt.Sprintf("%d. %s", i+1, UserText(th.Label))})
			}
		}
		example := "1"
		switch {
		case p.Kind == polls.Ranked:
			example = "2 1"
		case p.Kind == polls.Approval && len(p.Themes) >= 3 && p.MaxChoices != 1:
			example = "1 3"
		}
		v.Footer = fmt.Sprintf("Poll %s · vote by text: /poll vote %s %s · your group: /poll group", p.ID, p.ID, example)
	} else {
		v.Footer = fmt.Sprintf("Poll %s · full report: /poll report %s", p.ID, p.ID)
	}
	if rep != nil && p.Status == polls.StatusClosed {
		v.Summary = e.closedSummary(rep)
	}
	return v
}

func countText(k polls.Kind, n float64) string {
	if k == polls.Ranked {
		return fmt.Sprintf("%s points", numfmt.Number(n))
	}
	if n == 1 {
		return "1 vote"
	}
	return fmt.Sprintf("%s votes", numfmt.Number(n))
}

// summaryLines says in plain words which themes reached which status,
// best first.
func summaryLines(r *polls.Report) []string {
	if r.Ballots == 0 {
		return []string{"No ballots were cast."}
	}
	by := map[string][]string{}
	for _, t := range r.Themes {
		key := string(t.Status)
		if t.Status == polls.Divided {
			key += string(t.Split)
		}
		name := UserText(t.Theme)
		if t.Fragile {
			name += " (fragile)"
		}
		by[key] = append(by[key], name)
	}
	var out []string
	add := func(key, lead string) {
		if names := by[key]; len(names) > 0 {
			out = append(out, lead+strings.Join(names, ", ")+".")
		}
	}
	if len(by[string(polls.Consensus)]) == 0 && len(by[string(polls.Insufficient)]) == 0 {
		out = append(out, "No theme has consensus across groups.")
	}
	add(string(polls.Consensus), "Consensus across groups: ")
	add(string(polls.Emerging), "Emerging (every group at or above the threshold, not yet with confidence): ")
	add(string(polls.Divided)+string(polls.SplitClear), "Divided, clearly: ")
	add(string(polls.Divided)+string(polls.SplitMarginal), "Divided within noise (marginal): ")
	add(string(polls.Low), "Low support: ")
	add(string(polls.Insufficient), "Not enough groups reached quorum to judge: ")
	return out
}

// closedSummary is what a closed poll's message says under its themes:
// the headline, then per theme in rank order what its status rests on,
// then what participation lacked.
func (e *Engine) closedSummary(r *polls.Report) []string {
	out := summaryLines(r)
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
		out = append(out, strings.Join(insufficient, ", ")+": insufficient: "+grounds)
	}
	return append(out, w.Participation(r)...)
}

// ReportView builds the chat view of a report (no chart, no permission
// check): for the command line, which prints it as text.
func (e *Engine) ReportView(p *polls.Poll, r *polls.Report) *ReportView {
	v := &ReportView{
		Key:    p.Key(),
		Title:  "Consensus report: " + UserText(p.Title),
		Report: r,
	}
	status := string(p.Status)
	if p.Status == polls.StatusOpen {
		status = "open (interim)"
	}
	v.Subtitle = fmt.Sprintf("Poll %s · %s · %s from %s · quorum %d · threshold %s · judged with at least %s",
		p.ID, status, plural(r.Ballots, "ballot"), plural(int64(len(r.Groups)), "group"), r.Quorum,
		numfmt.PercentExact(r.Threshold), plural(int64(r.MinGroups), "group"))
	v.Summary = summaryLines(r)
	for _, g := range r.Groups {
		info := e.groups.Info(g.Group)
		v.Groups = append(v.Groups, GroupCount{Group: g.Group, Label: UserText(info.Label), Emoji: UserText(info.Emoji), Ballots: g.Ballots})
	}
	w := e.words()
	ranked := r.Poll.Kind == polls.Ranked
	for _, t := range r.Themes {
		line := ReportThemeLine{
			Rank: t.Rank, Label: UserText(t.Theme), Status: t.Status, Badge: qualifiedBadge(t),
			Numbers: fmt.Sprintf("score %.2f · equal %s · overall %s · spread %s",
				t.Score, Percent(t.Equal), Percent(t.Overall), numfmt.Points(t.Spread)),
			Grounds: e.Grounds(r, t),
		}
		for _, g := range t.Groups {
			info := e.groups.Info(g.Group)
			line.Groups = append(line.Groups, GroupBar{
				Group: g.Group, Label: UserText(info.Label), Emoji: UserText(info.Emoji),
				Support: g.Support, Percent: Percent(g.Support), Bar: Bar(g.Support, 10),
				Count: report.Count(g.Supporters, g.Ballots, ranked), Qualifies: g.Qualifies,
			})
		}
		v.Themes = append(v.Themes, line)
	}
	if len(r.UnderRepresented) > 0 {
		v.Notes = append(v.Notes, fmt.Sprintf("Groups below the quorum of %d are shown but not counted for status.", r.Quorum))
	}
	v.Notes = append(v.Notes, w.Participation(r)...)
	v.Legend = "consensus: every group that reached quorum supports it, with 95% confidence · emerging: every such group is at or above the threshold, not yet with confidence · divided: some groups above, some below (clear: beyond what the groups' sizes leave to chance; marginal: within it) · fragile: one more dissenting ballot lowers the status · score: geometric mean of smoothed support across groups."
	return v
}

// qualifiedBadge is a theme's badge with its qualifier: "✅ consensus,
// fragile", "⚖️ divided (marginal)".
func qualifiedBadge(t polls.ThemeResult) string {
	b := Badge(t.Status)
	if t.Fragile {
		b += ", fragile"
	}
	if t.Status == polls.Divided && t.Split != "" {
		b += " (" + string(t.Split) + ")"
	}
	return b
}

// words says what statuses rest on, with labels marked as user text.
func (e *Engine) words() report.Words {
	return report.Words{Groups: e.groups, Label: UserText}
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
