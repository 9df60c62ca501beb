package report

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/polls"
)

// A poll's timeline (polls.Timeline) in words, as data and as a picture:
// the chat command and `pollbot timeline` print it as text, JSON, CSV or
// PNG (drawn by bot/report/chart), the live screen reads its lines to
// screen readers.

// TimelineFormats are the names `pollbot timeline -format` takes.
var TimelineFormats = []string{"text", "json", "csv", "png"}

// WriteTimeline writes tl in the named format (see TimelineFormats), its
// words in the language of the printer w carries (see WithPrinter).
func WriteTimeline(w io.Writer, format string, tl *polls.Timeline) error {
	p := PrinterOf(w)
	switch format {
	case "text":
		bw := bufio.NewWriter(w)
		h := TimelineHeading(p, tl, nil)
		fmt.Fprintln(bw, h.Title)
		for _, n := range h.Notes {
			fmt.Fprintln(bw, n)
		}
		fmt.Fprintln(bw)
		for _, th := range tl.Themes {
			fmt.Fprintln(bw, TimelineLine(p, tl, th, nil, 0))
		}
		return bw.Flush()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(tl)
	case "csv":
		return timelineCSV(w, tl)
	case "png":
		return chart.TimelinePNG(w, tl, chart.WithPrinter(p))
	}
	return fmt.Errorf("timeline format %q: use %s", format, strings.Join(TimelineFormats, ", "))
}

// Heading is what a timeline's text says before its themes.
type Heading struct {
	// Title: "Timeline of poll K7QX, Theme for 2027: 14:00 to 15:42 UTC,
	// 64 events, 61 ballots."
	Title string
	// Notes say where the timeline starts when the log was trimmed, that
	// an anonymous poll's times are to the hour, and the poll's closes,
	// reopenings and deadline changes.
	Notes []string
}

// TimelineHeading says what tl covers, in p's words (nil: English). label
// wraps the text people wrote (the title) for the output, as Words.Label
// does; nil leaves it as is.
func TimelineHeading(p *msg.Printer, tl *polls.Timeline, label func(string) string) Heading {
	if p == nil {
		p = msg.English()
	}
	if label == nil {
		label = func(s string) string { return s }
	}
	var h Heading
	clock := chart.TimelineClock(p, tl)
	span := msg.TimelineSpan.With(clock(tl.Start), clock(tl.End), msg.TimelineEvents.With(int64(tl.Events)), msg.Ballots.With(tl.Ballots))
	h.Title = p.Sprint(msg.TimelineTitle.With(tl.Poll.ID, label(tl.Poll.Title), span))
	if tl.From == polls.TimelineFromLog {
		h.Notes = append(h.Notes, p.Sprint(msg.TimelineFromLog.With(clock(tl.Start), msg.Ballots.With(tl.StartBallots))))
	}
	if tl.HourTimes {
		h.Notes = append(h.Notes, p.Sprint(msg.TimelineHourTimes.With()))
	}
	for _, m := range tl.Marks {
		h.Notes = append(h.Notes, p.Sprint(markMessage(p, m, clock)))
	}
	return h
}

func markMessage(p *msg.Printer, m polls.Mark, clock func(time.Time) string) msg.Message {
	at := clock(m.At)
	deadline := ""
	if m.Deadline != nil {
		deadline = p.Sprint(msg.WhenBare(*m.Deadline))
	}
	switch {
	case m.Event == polls.EventClose:
		return msg.TimelineClosed.With(at)
	case m.Event == polls.EventCancel:
		return msg.TimelineCancelled.With(at)
	case m.Event == polls.EventReopen && deadline != "":
		return msg.TimelineReopenedUntil.With(at, deadline)
	case m.Event == polls.EventReopen:
		return msg.TimelineReopened.With(at)
	case deadline != "":
		return msg.TimelineDeadlineMoved.With(at, deadline)
	}
	return msg.TimelineDeadlineRemoved.With(at)
}

// TimelineLine is one theme's line, in p's words (nil: English): its rank
// and label, each status it went through with the time it began, and its
// score at the end: "3. DNS abuse: insufficient 14:02, divided 14:20,
// emerging 15:31; score 0.58." label wraps the theme's label as in
// TimelineHeading. most, when positive, bounds the statuses listed: past
// it, the line keeps the first and the latest, and says how many it
// leaves out between (a poll whose votes flip a theme back and forth
// would otherwise make a line too long to read).
func TimelineLine(p *msg.Printer, tl *polls.Timeline, th polls.ThemeTimeline, label func(string) string, most int) string {
	if p == nil {
		p = msg.English()
	}
	if label == nil {
		label = func(s string) string { return s }
	}
	clock := chart.TimelineClock(p, tl)
	changes, omitted := th.Changes, th.Omitted
	if most > 1 && len(changes) > most {
		omitted += len(changes) - most
		changes = append(changes[:1:1], changes[len(changes)-most+1:]...)
	}
	words := make(msg.Names, 0, len(changes)+1)
	for i, c := range changes {
		if i == 1 && omitted > 0 {
			words = append(words, p.Sprint(msg.TimelineOmitted.With(int64(omitted))))
		}
		words = append(words, p.Sprint(msg.TimelineChange.With(StatusWord(c.Status), clock(c.At))))
	}
	return p.Sprint(msg.TimelineLine.With(th.Rank, label(th.Theme), words, strconv.FormatFloat(th.Score, 'f', 2, 64)))
}

// timelineCSV writes one row per point of each theme's score series, with
// the status the theme had then: rank, theme, at (RFC 3339, UTC), status,
// score.
func timelineCSV(w io.Writer, tl *polls.Timeline) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"rank", "theme", "at", "status", "score"}); err != nil {
		return err
	}
	for _, th := range tl.Themes {
		ci := 0
		for _, sp := range th.Scores {
			for ci+1 < len(th.Changes) && !th.Changes[ci+1].At.After(sp.At) {
				ci++
			}
			rec := []string{strconv.Itoa(th.Rank), EscapeCell(th.Theme), sp.At.UTC().Format(time.RFC3339Nano),
				string(th.Changes[ci].Status), strconv.FormatFloat(sp.Score, 'f', 4, 64)}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
