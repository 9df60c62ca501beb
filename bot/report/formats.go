package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/polls"
)

// Format is one file form of a poll's results: the one place a format is
// defined. The chat engine's /poll export (and its choices on Discord and
// in the usage line), pollbot report and export, and the demo all take
// their formats from Formats.
type Format struct {
	Name string // as people choose it: "csv"
	Ext  string // ".csv"
	MIME string
	// Stem names the file: <poll id>-<stem><ext> in chat, <stem><ext> in
	// the demo's folder ("tally", "report", "ballots", "chart").
	Stem string
	// Title says in a few words what the file holds, for menus.
	Title msg.Message
	// Ballots formats export every ballot, not the report: facilitators
	// only, and in anonymous polls voters are pseudonyms.
	Ballots bool
	// Exactly one of report and ballots is set.
	report  func(w io.Writer, p *polls.Poll, r *polls.Report, g *polls.Groups, id string) error
	ballots func(w io.Writer, p *polls.Poll, g *polls.Groups) BallotWriter
}

// BallotWriter streams ballots into a file form: Write each, then Flush.
type BallotWriter interface {
	Write(polls.Ballot) error
	Flush() error
}

// formats are the file forms, report formats first, in the order menus
// list them.
var formats = []Format{
	{Name: "csv", Ext: ".csv", MIME: "text/csv", Stem: "tally", Title: msg.FormatTallyCSV.With(),
		report: func(w io.Writer, p *polls.Poll, r *polls.Report, _ *polls.Groups, _ string) error {
			return TallyCSV(w, p, r)
		}},
	{Name: "wide", Ext: ".csv", MIME: "text/csv", Stem: "tally-wide", Title: msg.FormatTallyWide.With(),
		report: func(w io.Writer, p *polls.Poll, r *polls.Report, g *polls.Groups, _ string) error {
			return TallyWideCSV(w, p, r, g)
		}},
	{Name: "json", Ext: ".json", MIME: "application/json", Stem: "report", Title: msg.FormatReportJSON.With(),
		report: func(w io.Writer, _ *polls.Poll, r *polls.Report, g *polls.Groups, _ string) error {
			return ReportJSON(w, r, g)
		}},
	{Name: "md", Ext: ".md", MIME: "text/markdown", Stem: "report", Title: msg.FormatReportMD.With(),
		report: func(w io.Writer, p *polls.Poll, r *polls.Report, g *polls.Groups, id string) error {
			return MarkdownLinking(w, p, r, g, ChartFile(id))
		}},
	{Name: "png", Ext: ".png", MIME: "image/png", Stem: chartStem, Title: msg.FormatChartPNG.With(),
		report: func(w io.Writer, _ *polls.Poll, r *polls.Report, g *polls.Groups, _ string) error {
			return chart.PNG(w, r, g, chart.WithPrinter(PrinterOf(w)))
		}},
	{Name: "csv", Ext: ".csv", MIME: "text/csv", Stem: "ballots", Ballots: true, Title: msg.FormatBallotsCSV.With(),
		ballots: func(w io.Writer, p *polls.Poll, g *polls.Groups) BallotWriter { return NewBallotsCSV(w, p, g) }},
	{Name: "json", Ext: ".json", MIME: "application/json", Stem: "ballots", Ballots: true, Title: msg.FormatBallotsJSON.With(),
		ballots: func(w io.Writer, p *polls.Poll, _ *polls.Groups) BallotWriter { return NewBallotsJSON(w, p) }},
}

// Formats returns the report formats (ballots false) or the ballots
// formats (ballots true).
func Formats(ballots bool) []Format {
	var out []Format
	for _, f := range formats {
		if f.Ballots == ballots {
			out = append(out, f)
		}
	}
	return out
}

// Names returns the names of Formats(ballots).
func Names(ballots bool) []string {
	var out []string
	for _, f := range Formats(ballots) {
		out = append(out, f.Name)
	}
	return out
}

// Find returns the report format (ballots false) or ballots format
// (ballots true) of that name, any case.
func Find(name string, ballots bool) (Format, bool) {
	for _, f := range Formats(ballots) {
		if strings.EqualFold(f.Name, name) {
			return f, true
		}
	}
	return Format{}, false
}

// File is the file name of the format for poll id ("" for the demo's
// bare names).
func (f Format) File(id string) string {
	if id == "" {
		return f.Stem + f.Ext
	}
	return id + "-" + f.Stem + f.Ext
}

// WriteReport writes the report in this format, as one of the files
// named for poll p (see File); it fails for a ballots format.
func (f Format) WriteReport(w io.Writer, p *polls.Poll, r *polls.Report, g *polls.Groups) error {
	return f.WriteReportAs(w, p, r, g, p.ID)
}

// WriteReportAs is WriteReport for a set of files named with id (see
// File; "" for the demo's bare names): the Markdown report links the
// chart by the name File gives it.
func (f Format) WriteReportAs(w io.Writer, p *polls.Poll, r *polls.Report, g *polls.Groups, id string) error {
	if f.report == nil {
		return fmt.Errorf("%s (%s) is a ballots format", f.Name, f.Stem)
	}
	return f.report(w, p, r, g, id)
}

// chartStem is the stem of the chart's file, which the Markdown report
// links.
const chartStem = "chart"

// ChartFile is the file name of the chart among the files named with id
// (see File).
func ChartFile(id string) string {
	return Format{Stem: chartStem, Ext: ".png"}.File(id)
}

// WriteBallots streams ballots in this format: each is called with the
// writer's Write for every ballot (a store's Ballots, through the
// service). It fails for a report format.
func (f Format) WriteBallots(w io.Writer, p *polls.Poll, g *polls.Groups, each func(fn func(polls.Ballot) error) error) error {
	if f.ballots == nil {
		return fmt.Errorf("%s (%s) is a report format", f.Name, f.Stem)
	}
	bw := f.ballots(w, p, g)
	if err := each(bw.Write); err != nil {
		return err
	}
	return bw.Flush()
}

// BallotsJSON streams a poll's ballots as a JSON array, one ballot a line,
// themes by label.
type BallotsJSON struct {
	w     io.Writer
	p     *polls.Poll
	first bool
}

// NewBallotsJSON returns a writer of p's ballots as JSON.
func NewBallotsJSON(w io.Writer, p *polls.Poll) *BallotsJSON {
	return &BallotsJSON{w: w, p: p, first: true}
}

// Write writes one ballot.
func (bw *BallotsJSON) Write(b polls.Ballot) error {
	type row struct {
		Voter   string      `json:"voter"`
		Group   polls.Group `json:"group"`
		CastAt  time.Time   `json:"cast_at"`
		Choices []string    `json:"choices"`
	}
	r := row{Voter: b.Voter, Group: b.Group, CastAt: b.CastAt.UTC()}
	for _, c := range b.Choices {
		if c >= 0 && c < len(bw.p.Themes) {
			r.Choices = append(r.Choices, bw.p.Themes[c].Label)
		}
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sep := ",\n"
	if bw.first {
		sep, bw.first = "[\n", false
	}
	if _, err := io.WriteString(bw.w, sep); err != nil {
		return err
	}
	_, err = bw.w.Write(data)
	return err
}

// Flush ends the array.
func (bw *BallotsJSON) Flush() error {
	if bw.first {
		_, err := io.WriteString(bw.w, "[\n]\n")
		return err
	}
	_, err := io.WriteString(bw.w, "\n]\n")
	return err
}
