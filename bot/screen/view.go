package screen

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/polls"
)

// frameView is everything the live part of the page shows, worked out
// from the poll, its report and its timeline. Rendering it is pure: the
// same state gives the same bytes on every replica, so a frame's id (a
// hash of them) says whether a viewer has it, wherever it was rendered.
type frameView struct {
	ID           string
	Status       polls.Status
	StatusText   string
	Deadline     int64  // unix ms, 0 for none; the page counts down to it
	DeadlineText string // what shows before the count-down starts
	// StateLine is the ballots and the rules: "61 ballots from 6 groups
	// · quorum 3 · threshold 50% · judged once 2 groups reach quorum".
	StateLine string
	Groups    []groupView
	Notes     []string
	Gone      bool // the poll no longer exists

	Results bool
	Hidden  string
	Interim bool
	Columns []columnView
	Rows    []rowView
	CellsW  int // the cells' SVG width (one row's height is cellH)
	Legend  legendView

	Timeline *timelineView
	W        *pageWords // the same for every frame of the server's
}

type groupView struct {
	Label, Emoji string
	Ballots      int64
	State        string // ok, short, absent
	Need         string // "quorum reached", "needs 2 more"
}

type columnView struct {
	Label, Note string
	Said        string // label and note, for screen readers
	Short       bool   // below quorum or absent
}

type rowView struct {
	Rank       int
	RankText   string // "3."
	Label      string
	Header     string // rank and label, for screen readers: "3. DNS abuse"
	Grounds    string
	Status     polls.ThemeStatus
	StatusWord string // the badge's: "divided"
	StatusText string // with its qualifier: "divided (marginal)"
	Said       string // status and grounds, for screen readers
	Tags       []string
	Score      string
	Cells      []cellView
}

type cellView struct {
	X, InnerX, TextX  int
	Fill, Ink         string
	Text              string
	Below, Outline    bool
	Triangle          string // path of the below-threshold mark
	Said              string // the cell for screen readers: "5 of 6, 83%"
	Absent, Unqualify bool
}

type legendView struct {
	Stops     []stopView
	Title     string // the scale's, for screen readers
	Threshold string // under its tick
	TickX     int
}

type stopView struct {
	Offset string
	Color  string
}

// Geometry of a row of heatmap cells, in SVG units.
const (
	cellW   = 100
	cellH   = 48
	cellPad = 2
)

// viewOf works out the frame of poll p with report r and timeline tl (nil
// when there is none to show).
func (s *Server) viewOf(p *polls.Poll, r *polls.Report, tl *polls.Timeline) *frameView {
	v := &frameView{ID: p.ID, Status: p.Status, W: s.pw}
	switch p.Status {
	case polls.StatusOpen:
		v.StatusText = s.say(msg.ScreenStatusOpen.With())
		if !p.ClosesAt.IsZero() {
			v.Deadline = p.ClosesAt.UnixMilli()
			v.DeadlineText = s.say(msg.ScreenCloses.With(msg.WhenUTC(p.ClosesAt)))
		} else {
			v.DeadlineText = s.say(msg.ScreenNoDeadline.With())
		}
	case polls.StatusClosed:
		v.StatusText = s.say(msg.ScreenStatusClosed.With())
		v.DeadlineText = s.say(msg.ScreenClosedAt.With(msg.WhenUTC(p.ClosedAt)))
	default:
		v.StatusText = s.say(msg.ScreenStatusCancelled.With())
		v.DeadlineText = s.say(msg.ScreenCancelled.With())
	}
	v.StateLine = s.say(msg.ScreenStateLine.With(
		msg.BallotsFromGroups.With(msg.Ballots.With(r.Ballots), msg.Groups.With(int64(len(r.Groups)))),
		msg.ScreenRules.With(r.Quorum, numfmt.PercentExact(r.Threshold), msg.Groups.With(int64(r.MinGroups)))))

	turnout := map[polls.Group]polls.GroupTurnout{}
	for _, g := range r.Groups {
		turnout[g.Group] = g
	}
	// Every configured group, then any other that voted (say, one since
	// removed from the configuration).
	var order []polls.Group
	for _, g := range s.groups.All() {
		order = append(order, g.ID)
	}
	for _, g := range r.Groups {
		if !s.groups.Known(g.Group) {
			order = append(order, g.Group)
		}
	}
	for _, g := range order {
		info := s.groups.Info(g)
		gv := groupView{Label: info.Label, Emoji: info.Emoji}
		t, ok := turnout[g]
		switch {
		case !ok:
			gv.State, gv.Need = "absent", s.say(msg.ScreenNeeds.With(r.Quorum))
		case t.Qualifies:
			gv.Ballots, gv.State, gv.Need = t.Ballots, "ok", s.say(msg.ScreenQuorumReached.With())
		default:
			gv.Ballots, gv.State, gv.Need = t.Ballots, "short", s.say(msg.ScreenNeedsMore.With(int(t.Needed)))
		}
		v.Groups = append(v.Groups, gv)
	}
	v.Notes = s.words().Participation(r)

	if !p.ResultsVisible() {
		v.Hidden = s.say(msg.ScreenResultsHidden.With())
		return v
	}
	v.Results = true
	v.Interim = p.Status == polls.StatusOpen
	s.heatmap(v, p, r, order, turnout)
	if tl != nil {
		v.Timeline = s.timelineOf(tl)
	}
	return v
}

// heatmap fills in the columns (every group in order) and a row per
// theme in rank order.
func (s *Server) heatmap(v *frameView, p *polls.Poll, r *polls.Report, order []polls.Group, turnout map[polls.Group]polls.GroupTurnout) {
	ranked := p.Kind == polls.Ranked
	for _, g := range order {
		cv := columnView{Label: s.groups.Info(g).Label}
		t, ok := turnout[g]
		switch {
		case !ok:
			cv.Note, cv.Short = s.say(msg.ChartColumnAbsent.With()), true
		case !t.Qualifies:
			cv.Note, cv.Short = s.say(msg.ChartColumnBelow.With(t.Ballots)), true
		default:
			cv.Note = s.say(msg.ChartColumn.With(t.Ballots))
		}
		cv.Said = s.say(msg.ScreenTableGroup.With(cv.Label, cv.Note))
		v.Columns = append(v.Columns, cv)
	}
	v.CellsW = len(order) * cellW
	tau := r.Threshold
	words := s.words()
	for _, th := range r.Themes {
		row := rowView{
			Rank: th.Rank, RankText: s.say(msg.ScreenRank.With(th.Rank)), Label: th.Theme, Grounds: s.grounds(r, th),
			Status: th.Status, StatusWord: s.say(report.StatusWord(th.Status)), StatusText: words.Status(th),
			Score: s.say(msg.ScreenScore.With("–")),
		}
		if r.Ballots > 0 {
			row.Score = s.say(msg.ScreenScore.With(strconv.FormatFloat(finite(th.Score), 'f', 2, 64)))
		}
		if th.Fragile {
			row.Tags = append(row.Tags, s.say(msg.ChartTagFragile.With()))
		}
		if th.Status == polls.Divided && th.Split == polls.SplitMarginal {
			row.Tags = append(row.Tags, s.say(msg.ChartTagMarginal.With()))
		}
		row.Header = s.say(msg.ScreenTableRank.With(th.Rank, th.Theme))
		row.Said = s.say(msg.ScreenTableGrounds.With(row.StatusText, row.Grounds))
		for i, g := range order {
			x := i * cellW
			c := cellView{X: x + cellPad, InnerX: x + cellPad + 3, TextX: x + cellW/2}
			gs, ok := supportOf(th, g)
			if !ok {
				c.Absent = true
				c.Fill, c.Ink, c.Text, c.Said = css(chart.AbsentColor()), css(chart.InkOn(chart.AbsentColor())), "–", s.say(msg.ChartColumnAbsent.With())
				row.Cells = append(row.Cells, c)
				continue
			}
			fill := chart.CellColor(gs.Support, tau)
			if !gs.Qualifies {
				fill = chart.FadeBelowQuorum(fill)
				c.Unqualify = true
			}
			c.Fill, c.Ink = css(fill), css(chart.InkOn(fill))
			c.Text = numfmt.Percent(gs.Support)
			// The report decides above and below exactly for the groups
			// that count; the others are compared here, for display only,
			// as the chart does.
			c.Below = finite(gs.Support) < tau
			if gs.Qualifies {
				c.Below = slices.Contains(th.Below, g)
			}
			c.Said = s.say(msg.ScreenCell.With(report.CountMessage(gs.Supporters, gs.Ballots, ranked), c.Text))
			if c.Below {
				c.Said = s.say(msg.ScreenCellBelow.With(c.Said))
				c.TextX += 10
				c.Triangle = triangle(float64(x+cellW/2)-34, cellH/2)
			}
			if !gs.Qualifies {
				c.Said = s.say(msg.ScreenCellUncount.With(c.Said))
			}
			c.Outline = th.Fragile && th.Margin != nil && th.Margin.Group == g
			row.Cells = append(row.Cells, c)
		}
		v.Rows = append(v.Rows, row)
	}
	for _, st := range chart.ScaleStops(tau) {
		v.Legend.Stops = append(v.Legend.Stops, stopView{Offset: strconv.FormatFloat(st.Support*100, 'f', 2, 64) + "%", Color: css(st.Color)})
	}
	v.Legend.Title = s.say(msg.ScreenScaleTitle.With(numfmt.PercentExact(tau)))
	v.Legend.Threshold = s.say(msg.ScreenScaleThreshold.With(numfmt.PercentExact(tau)))
	v.Legend.TickX = int(math.Round(clamp01(tau) * legendW))
}

// legendW is the width of the colour scale's SVG.
const legendW = 600

func supportOf(th polls.ThemeResult, g polls.Group) (polls.GroupSupport, bool) {
	for _, gs := range th.Groups {
		if gs.Group == g {
			return gs, true
		}
	}
	return polls.GroupSupport{}, false
}

// triangle is the path of a downward triangle centred on (cx, cy): the
// mark of a cell below the threshold, as the chart draws it.
func triangle(cx, cy float64) string {
	const w, h = 16.0, 13.0
	return fmt.Sprintf("M%.1f %.1fL%.1f %.1fL%.1f %.1fZ", cx-w/2, cy-h/2, cx+w/2, cy-h/2, cx, cy+h/2)
}

// timelineView is the timeline as the screen draws it: a row per theme
// whose time axis is banded in its status's colour, the score over it.
type timelineView struct {
	Title string
	Notes []string
	Rows  []tlRowView
	Ticks []tickView
	Marks []tickView
}

type tlRowView struct {
	Rank       int
	RankText   string
	Label      string
	Bands      []bandView
	Points     string // the score's polyline
	Status     polls.ThemeStatus
	StatusWord string
	Score      string
	Said       string // the theme's line, for screen readers
}

type bandView struct {
	X, W       int
	Fill, Edge string
	Outline    bool
}

type tickView struct {
	X      int
	Label  string
	Anchor string
}

// Geometry of a timeline row, in SVG units: the row is stretched to the
// page's width, its height fixed.
const (
	tlW     = 1000
	tlH     = 60
	tlTop   = 6 // room above a score of 1
	tlGrain = 4 // the resolution of bands and score points: some 4 px on a projector
)

func (s *Server) timelineOf(tl *polls.Timeline) *timelineView {
	start, end := chart.TimelineSpan(tl)
	span := float64(end.Sub(start))
	x := func(t time.Time) int {
		f := float64(t.Sub(start)) / span
		return int(math.Round(math.Min(math.Max(f, 0), 1) * tlW))
	}
	clock := chart.TimelineClock(s.p, tl)
	h := report.TimelineHeading(s.p, tl, nil)
	tv := &timelineView{Title: h.Title, Notes: h.Notes}
	for _, th := range tl.Themes {
		row := tlRowView{Rank: th.Rank, RankText: s.say(msg.ScreenRank.With(th.Rank)), Label: th.Theme,
			Status: th.Status, StatusWord: s.say(report.StatusWord(th.Status)),
			Score: strconv.FormatFloat(finite(th.Score), 'f', 2, 64), Said: report.TimelineLine(s.p, tl, th, nil, 12)}
		// One band per status held, each from a multiple of tlGrain: a
		// theme whose status flapped many times within one grain shows
		// the last, so a row costs at most tlW/tlGrain bands whatever the
		// poll's history.
		type start struct {
			x  int
			st polls.ThemeStatus
		}
		var starts []start
		for _, c := range th.Changes {
			x0 := x(c.At) / tlGrain * tlGrain
			switch {
			case len(starts) > 0 && starts[len(starts)-1].x == x0:
				starts[len(starts)-1].st = c.Status
			default:
				starts = append(starts, start{x0, c.Status})
			}
			if n := len(starts); n > 1 && starts[n-1].st == starts[n-2].st {
				starts = starts[:n-1]
			}
		}
		for i, b := range starts {
			// The last status holds until the last event (the axis runs
			// on past it only for a timeline shorter than a second).
			x1 := max(x(tl.End), b.x)
			if i+1 < len(starts) {
				x1 = starts[i+1].x
			}
			fill, _, edge := chart.StatusColors(b.st)
			if x1 > b.x {
				row.Bands = append(row.Bands, bandView{X: b.x, W: x1 - b.x, Fill: css(fill), Edge: css(edge), Outline: edge != fill})
			}
		}
		// The score, one point per grain (the last in it), after the
		// first.
		var pts []string
		lastX := -1
		for i, sp := range th.Scores {
			px := x(sp.At)
			if i > 0 {
				px = px / tlGrain * tlGrain
			}
			y := float64(tlH) - 3 - finite(sp.Score)*float64(tlH-3-tlTop)
			pt := fmt.Sprintf("%d,%.1f", px, y)
			if px == lastX && i > 1 {
				pts[len(pts)-1] = pt
				continue
			}
			pts = append(pts, pt)
			lastX = px
		}
		row.Points = strings.Join(pts, " ")
		tv.Rows = append(tv.Rows, row)
	}
	tv.Ticks = []tickView{{X: 0, Label: clock(start), Anchor: "start"}}
	for i := 1; i <= 3; i++ {
		t := start.Add(end.Sub(start) * time.Duration(i) / 4)
		tv.Ticks = append(tv.Ticks, tickView{X: x(t), Label: clock(t), Anchor: "middle"})
	}
	tv.Ticks = append(tv.Ticks, tickView{X: tlW, Label: clock(end), Anchor: "end"})
	for _, m := range tl.Marks {
		tv.Marks = append(tv.Marks, tickView{X: x(m.At), Label: s.say(chart.MarkWord(m.Event)), Anchor: "middle"})
	}
	return tv
}

func css(c color.Color) string { return chart.Hex(c) }

// say renders m in the server's language.
func (s *Server) say(m msg.Message) string { return s.p.Sprint(m) }

// words says what the report's statuses rest on in the server's
// language.
func (s *Server) words() report.Words { return report.Words{Groups: s.groups, Printer: s.p} }

// pageWords are the words of the page and its frames that no poll
// decides: headings, captions, keys, and the script's.
type pageWords struct {
	Brand                                        string
	StateLabel, Participation, Results, Interim  string
	HeadTheme, HeadStatus                        string
	Caption, TableTheme, TableStatus, TableScore string
	ScaleNote, StatusesNote                      string
	Timeline, UTC, KeyBefore, KeyAfter, Marks    string
	Statuses                                     []badgeView // every status, in the timeline's key
	Script                                       scriptWords
}

type badgeView struct {
	Status polls.ThemeStatus
	Word   string
}

// scriptWords are the words screen.js shows, as templates it fills (see
// msg.ScreenClosesIn); the page holds them as JSON.
type scriptWords struct {
	ClosesIn     string `json:"closesIn"`
	LeftDays     string `json:"leftDays"`
	LeftHours    string `json:"leftHours"`
	LeftMinutes  string `json:"leftMinutes"`
	DeadlineNow  string `json:"deadlineReached"`
	Live         string `json:"live"`
	Updated      string `json:"updated"`
	Reconnecting string `json:"reconnecting"`
	Disconnected string `json:"disconnected"`
	CannotUpdate string `json:"cannotUpdate"`
}

// keyMark is where the timeline's key puts the statuses' badges.
const keyMark = "\x00"

func (s *Server) pageWords() *pageWords {
	key := strings.SplitN(s.say(msg.ScreenTimelineKey.With(keyMark)), keyMark, 2)
	if len(key) < 2 {
		// A catalog whose key has no place for the badges: they go
		// after it.
		key = append(key, "")
	}
	w := &pageWords{
		Brand:      s.say(msg.ScreenBrand.With()),
		StateLabel: s.say(msg.ScreenStateLabel.With()), Participation: s.say(msg.ScreenParticipation.With()),
		Results: s.say(msg.ScreenResults.With()), Interim: s.say(msg.ScreenInterim.With()),
		HeadTheme: s.say(msg.ChartHeadTheme.With()), HeadStatus: s.say(msg.ScreenHeadStatus.With()),
		Caption: s.say(msg.ScreenTableCaption.With()), TableTheme: s.say(msg.ScreenTableTheme.With()),
		TableStatus: s.say(msg.ScreenTableStatus.With()), TableScore: s.say(msg.ScreenTableScore.With()),
		ScaleNote: s.say(msg.ScreenScaleNote.With()), StatusesNote: s.say(msg.ScreenStatusesNote.With()),
		Timeline: s.say(msg.ScreenTimeline.With()), UTC: s.say(msg.ScreenTimelineUTC.With()),
		KeyBefore: key[0], KeyAfter: key[1], Marks: s.say(msg.ScreenTimelineMarks.With()),
		Script: scriptWords{
			ClosesIn:     s.say(msg.ScreenClosesIn.With("{left}")),
			LeftDays:     s.say(msg.ScreenLeftDays.With("{d}", "{h}", "{m}")),
			LeftHours:    s.say(msg.ScreenLeftHours.With("{h}", "{m}", "{s}")),
			LeftMinutes:  s.say(msg.ScreenLeftMinutes.With("{m}", "{s}")),
			DeadlineNow:  s.say(msg.ScreenDeadlineNow.With()),
			Live:         s.say(msg.ScreenLive.With()),
			Updated:      s.say(msg.ScreenUpdated.With("{time}")),
			Reconnecting: s.say(msg.ScreenReconnecting.With()),
			Disconnected: s.say(msg.ScreenDisconnected.With()),
			CannotUpdate: s.say(msg.ScreenCannotUpdate.With()),
		},
	}
	for _, st := range []polls.ThemeStatus{polls.Consensus, polls.Emerging, polls.Divided, polls.Low, polls.Insufficient} {
		w.Statuses = append(w.Statuses, badgeView{Status: st, Word: s.say(report.StatusWord(st))})
	}
	return w
}

func finite(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func clamp01(v float64) float64 { return math.Min(math.Max(finite(v), 0), 1) }
