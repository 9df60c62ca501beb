package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// tallyHeader is the header row of [TallyCSV]. The first five columns are
// the contract (theme, group, supporters, ballots, support); the others repeat per-theme and per-group facts so that a
// spreadsheet can filter and sort without a lookup: whether the group reached
// quorum (and so counts toward the status), the theme's 1-based number in the
// poll, its rank and its status.
var tallyHeader = []string{"theme", "group", "supporters", "ballots", "support", "qualifies", "theme_number", "rank", "status"}

// TallyCSV writes the tally of a report as CSV: one row per theme and
// represented group, themes in poll order, groups in report order. Groups are
// their slugs (what stores hold). Supporters are whole numbers in approval and
// single-choice polls and Borda points with up to 4 decimals in ranked polls;
// support is a fraction with 4 decimals.
func TallyCSV(w io.Writer, p *polls.Poll, r *polls.Report) error {
	if err := matches(p, r); err != nil {
		return fmt.Errorf("export tally csv: %w", err)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(tallyHeader); err != nil {
		return fmt.Errorf("export tally csv: %w", err)
	}
	row := make([]string, len(tallyHeader))
	for i := range p.Themes {
		tr, _ := r.Theme(i)
		for _, gt := range r.Groups {
			gs, ok := groupSupport(tr, gt.Group)
			if !ok {
				gs = polls.GroupSupport{Group: gt.Group, Ballots: gt.Ballots}
			}
			row[0] = tr.Theme
			row[1] = string(gt.Group)
			row[2] = formatSupporters(p.Kind, gs.Supporters)
			row[3] = strconv.FormatInt(gs.Ballots, 10)
			row[4] = strconv.FormatFloat(clean(gs.Support), 'f', 4, 64)
			row[5] = strconv.FormatBool(gt.Qualifies)
			row[6] = strconv.Itoa(i + 1)
			row[7] = strconv.Itoa(tr.Rank)
			row[8] = string(tr.Status)
			if err := cw.Write(escapeRow(row)); err != nil {
				return fmt.Errorf("export tally csv: %w", err)
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export tally csv: %w", err)
	}
	return nil
}

// matches checks that r is a report of p covering every theme, so that an
// export never silently mixes two polls.
func matches(p *polls.Poll, r *polls.Report) error {
	if p == nil || r == nil {
		return fmt.Errorf("no poll or no report")
	}
	if r.Poll.ID != p.ID || r.Poll.Tenant != p.Tenant {
		return fmt.Errorf("report of poll %s/%s given for poll %s/%s", r.Poll.Tenant, r.Poll.ID, p.Tenant, p.ID)
	}
	for i := range p.Themes {
		if _, ok := r.Theme(i); !ok {
			return fmt.Errorf("report of poll %s has no result for theme %d", p.ID, i+1)
		}
	}
	return nil
}

func groupSupport(tr polls.ThemeResult, g polls.Group) (polls.GroupSupport, bool) {
	for _, gs := range tr.Groups {
		if gs.Group == g {
			return gs, true
		}
	}
	return polls.GroupSupport{}, false
}

func formatSupporters(k polls.Kind, v float64) string {
	v = clean(v)
	if k != polls.Ranked {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	}
	s := strconv.FormatFloat(v, 'f', 4, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// clean maps values that would print badly to 0: NaN, infinities and
// negative zero (which would print as "-0", a cell the escaping would then
// turn into text).
func clean(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) || v == 0 {
		return 0
	}
	return v
}

// BallotsCSV streams a poll's ballots as CSV, one row per [BallotsCSV.Write]
// call, through a small fixed buffer. The columns are
//
//	voter, group, cast_at, choices, group_label, then one column per theme
//
// where voter is [polls.Ballot.Voter] as stored: the platform user id, or in
// anonymous polls the pseudonym that replaced it before the ballot was ever
// stored (an export cannot reveal what the store does not hold). group is the
// slug and group_label its label, cast_at is RFC 3339 in UTC, and choices are
// the chosen theme labels joined with "; " — in preference order for ranked
// polls. The theme columns, headed "1. Label", "2. Label", ..., hold 1 or 0
// (approval and single-choice polls, so that a column sum is the theme's
// supporters) or the rank given to the theme, empty when unranked (ranked
// polls).
//
// The header is written with the first row, or by Flush when there is none.
// Call Flush when done; errors are sticky, as with [csv.Writer].
type BallotsCSV struct {
	cw     *csv.Writer
	p      *polls.Poll
	groups *polls.Groups
	row    []string
	wrote  bool // header written
	err    error
}

const ballotFixedColumns = 5

// NewBallotsCSV returns a writer of p's ballots to w. groups names the
// groups; nil means [polls.DefaultGroups].
func NewBallotsCSV(w io.Writer, p *polls.Poll, groups *polls.Groups) *BallotsCSV {
	if groups == nil {
		groups = polls.MustGroups(polls.DefaultGroups)
	}
	return &BallotsCSV{
		cw:     csv.NewWriter(w),
		p:      p,
		groups: groups,
		row:    make([]string, ballotFixedColumns+len(p.Themes)),
	}
}

// Header returns the header row the writer produces for its poll.
func (bw *BallotsCSV) Header() []string {
	h := []string{"voter", "group", "cast_at", "choices", "group_label"}
	for i, t := range bw.p.Themes {
		h = append(h, strconv.Itoa(i+1)+". "+t.Label)
	}
	return h
}

func (bw *BallotsCSV) writeHeader() error {
	if bw.wrote {
		return nil
	}
	bw.wrote = true
	return bw.cw.Write(escapeRow(bw.Header()))
}

// Write writes one ballot. A ballot naming a theme the poll does not have, or
// one theme twice, is an error and writes nothing.
func (bw *BallotsCSV) Write(b polls.Ballot) error {
	if bw.err != nil {
		return bw.err
	}
	if err := bw.writeHeader(); err != nil {
		bw.err = fmt.Errorf("export ballots csv: %w", err)
		return bw.err
	}
	n := len(bw.p.Themes)
	theme := bw.row[ballotFixedColumns:]
	for i := range theme {
		theme[i] = ""
		if bw.p.Kind != polls.Ranked {
			theme[i] = "0"
		}
	}
	labels := make([]string, 0, len(b.Choices))
	for r, c := range b.Choices {
		if c < 0 || c >= n {
			return fmt.Errorf("export ballots csv: ballot of %q: poll %s has no theme %d", b.Voter, bw.p.ID, c+1)
		}
		if theme[c] != "" && theme[c] != "0" {
			return fmt.Errorf("export ballots csv: ballot of %q: theme %d chosen twice", b.Voter, c+1)
		}
		if bw.p.Kind == polls.Ranked {
			theme[c] = strconv.Itoa(r + 1)
		} else {
			theme[c] = "1"
		}
		labels = append(labels, bw.p.Themes[c].Label)
	}
	bw.row[0] = b.Voter
	bw.row[1] = string(b.Group)
	bw.row[2] = ""
	if !b.CastAt.IsZero() {
		bw.row[2] = b.CastAt.UTC().Format(time.RFC3339)
	}
	bw.row[3] = strings.Join(labels, "; ")
	bw.row[4] = bw.groups.Info(b.Group).Label
	if err := bw.cw.Write(escapeRow(bw.row)); err != nil {
		bw.err = fmt.Errorf("export ballots csv: %w", err)
	}
	return bw.err
}

// Flush writes the header if no ballot was written, and any buffered rows.
func (bw *BallotsCSV) Flush() error {
	if bw.err != nil {
		return bw.err
	}
	if err := bw.writeHeader(); err != nil {
		bw.err = fmt.Errorf("export ballots csv: %w", err)
		return bw.err
	}
	bw.cw.Flush()
	if err := bw.cw.Error(); err != nil {
		bw.err = fmt.Errorf("export ballots csv: %w", err)
	}
	return bw.err
}

// EscapeCell neutralises a CSV cell against formula injection: a cell that
// starts with a character a spreadsheet reads as the start of a formula gets
// a leading single quote, which spreadsheets show as text and do not
// evaluate. The full-width forms are included because some spreadsheet
// locales fold them to their ASCII forms before parsing.
func EscapeCell(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	for _, p := range []string{"＝", "＋", "－", "＠"} {
		if strings.HasPrefix(s, p) {
			return "'" + s
		}
	}
	return s
}

// escapeRow escapes row in place and returns it.
func escapeRow(row []string) []string {
	for i, c := range row {
		row[i] = EscapeCell(c)
	}
	return row
}

// TallyWideCSV writes the tally as a table for a spreadsheet: one row per
// theme in rank order, with its rank, number in the poll, label, status and
// score, then one column per represented group (in report order), headed by
// the group's label (from groups; nil: the defaults), holding the group's
// support for the theme as a fraction with 4 decimals. Groups below quorum
// have columns too: their numbers are shown, though no status rests on them
// (the long form, TallyCSV, says which qualify). Supporters and ballots are
// in the long form; this one is what a facilitator sorts and colours.
func TallyWideCSV(w io.Writer, p *polls.Poll, r *polls.Report, groups *polls.Groups) error {
	if err := matches(p, r); err != nil {
		return fmt.Errorf("export wide tally csv: %w", err)
	}
	if groups == nil {
		groups = polls.MustGroups(polls.DefaultGroups)
	}
	header := []string{"rank", "number", "theme", "status", "score"}
	for _, gt := range r.Groups {
		header = append(header, groups.Info(gt.Group).Label)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(escapeRow(header)); err != nil {
		return fmt.Errorf("export wide tally csv: %w", err)
	}
	row := make([]string, len(header))
	for _, tr := range r.Themes {
		row[0] = strconv.Itoa(tr.Rank)
		row[1] = strconv.Itoa(tr.Index + 1)
		row[2] = tr.Theme
		row[3] = string(tr.Status)
		row[4] = strconv.FormatFloat(clean(tr.Score), 'f', 4, 64)
		for i, gt := range r.Groups {
			gs, _ := groupSupport(tr, gt.Group)
			row[5+i] = strconv.FormatFloat(clean(gs.Support), 'f', 4, 64)
		}
		if err := cw.Write(escapeRow(row)); err != nil {
			return fmt.Errorf("export wide tally csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export wide tally csv: %w", err)
	}
	return nil
}
