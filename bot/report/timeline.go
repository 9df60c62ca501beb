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

// WriteTimeline writes tl in the named format (see TimelineFormats).
func WriteTimeline(w io.Writer, format string, tl *polls.Timeline) error {
	switch format {
	case "text":
		bw := bufio.NewWriter(w)
		h := TimelineHeading(tl, nil)
		fmt.Fprintln(bw, h.Title)
		for _, n := range h.Notes {
			fmt.Fprintln(bw, n)
		}
		fmt.Fprintln(bw)
		for _, th := range tl.Themes {
			fmt.Fprintln(bw, TimelineLine(tl, th, nil, 0))
		}
		return bw.Flush()
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(tl)
	case "csv":
		return timelineCSV(w, tl)
	case "png":
		return chart.TimelinePNG(w, tl)
	}
	return fmt.Errorf("timeline format %q: use %s", format, strings.Join(TimelineFormats, ", "))
}

// Heading is what a timeline's text says before its themes.
type Heading struct {
	// Title: "Timeline of poll K7QX, Theme for 2027: 14:00 to 15:42 UTC,
	// 64 events, 61 ballots."
	Title string
	// Notes say where the timeline starts when the log was trimmed, and
	// that an anonymous poll's times are to the hour.
	Notes []string
}

// TimelineHeading says what tl covers. label wraps the text people wrote
// (the title) for the output, as Words.Label does; nil leaves it as is.
func TimelineHeading(tl *polls.Timeline, label func(string) string) Heading {
	var h Heading
	if label == nil {
		label = func(s string) string { return s }
	}
	clock := chart.TimelineClock(tl)
	h.Title = fmt.Sprintf("Timeline of poll %s, %s: %s to %s UTC, %s, %s.",
		tl.Poll.ID, label(tl.Poll.Title), clock(tl.Start), clock(tl.End),
		count(int64(tl.Events), "event", "events"), count(tl.Ballots, "ballot", "ballots"))
	if tl.From == polls.TimelineFromLog {
		h.Notes = append(h.Notes, fmt.Sprintf("The poll's audit log keeps its latest events only: the timeline starts at the oldest kept, %s, when %s had been cast.",
			clock(tl.Start), count(tl.StartBallots, "ballot", "ballots")))
	}
	if tl.HourTimes {
		h.Notes = append(h.Notes, "An anonymous poll: times are to the hour, so that no change can be tied to one person's vote.")
	}
	for _, m := range tl.Marks {
		h.Notes = append(h.Notes, markText(m, clock))
	}
	return h
}

func markText(m polls.Mark, clock func(time.Time) string) string {
	switch m.Event {
	case polls.EventClose:
		return "Closed " + clock(m.At) + "."
	case polls.EventCancel:
		return "Cancelled " + clock(m.At) + "."
	case polls.EventReopen:
		if m.Deadline != nil {
			return fmt.Sprintf("Reopened %s, to close %s UTC.", clock(m.At), m.Deadline.UTC().Format("Mon 2 Jan 15:04"))
		}
		return "Reopened " + clock(m.At) + "."
	case polls.EventDeadline:
		if m.Deadline != nil {
			return fmt.Sprintf("Deadline moved %s, to %s UTC.", clock(m.At), m.Deadline.UTC().Format("Mon 2 Jan 15:04"))
		}
		return "Deadline removed " + clock(m.At) + "."
	}
	return string(m.Event) + " " + clock(m.At) + "."
}

// TimelineLine is one theme's line: its rank and label, each status it
// went through with the time it began, and its score at the end:
// "3. DNS abuse: insufficient 14:02, divided 14:20, emerging 15:31; score
// 0.58." label wraps the theme's label as in TimelineHeading. most, when
// positive, bounds the statuses listed: past it, the line keeps the first
// and the latest, and says how many it leaves out between (a poll whose
// votes flip a theme back and forth would otherwise make a line too long
// to read).
func TimelineLine(tl *polls.Timeline, th polls.ThemeTimeline, label func(string) string, most int) string {
	if label == nil {
		label = func(s string) string { return s }
	}
	clock := chart.TimelineClock(tl)
	changes, omitted := th.Changes, th.Omitted
	if most > 1 && len(changes) > most {
		omitted += len(changes) - most
		changes = append(changes[:1:1], changes[len(changes)-most+1:]...)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d. %s: ", th.Rank, label(th.Theme))
	for i, c := range changes {
		if i > 0 {
			b.WriteString(", ")
		}
		if i == 1 && omitted > 0 {
			fmt.Fprintf(&b, "(%s left out), ", count(int64(omitted), "change", "changes"))
		}
		b.WriteString(StatusText(c.Status))
		b.WriteByte(' ')
		b.WriteString(clock(c.At))
	}
	fmt.Fprintf(&b, "; score %s.", strconv.FormatFloat(th.Score, 'f', 2, 64))
	return b.String()
}

// StatusText is a status word in English: "consensus".
func StatusText(st polls.ThemeStatus) string { return msg.English().Sprint(StatusWord(st)) }

func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
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
