package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

func TestGolden(t *testing.T) {
	ap, ar := approvalReport()
	rp, rr, rballots := rankedReport()
	approvalBallots := []polls.Ballot{
		{Voter: "U01", Group: "government", Choices: []int{0, 1, 3}, CastAt: opened.Add(time.Hour)},
		{Voter: "U02", Group: "civil-society", Choices: []int{2}, CastAt: opened.Add(2 * time.Hour)},
		{Voter: "U03", Group: "youth", Choices: []int{4, 5}, CastAt: opened.Add(3 * time.Hour)},
	}
	cases := []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"approval.tally.csv", func(b *bytes.Buffer) error { return report.TallyCSV(b, ap, ar) }},
		{"approval.ballots.csv", func(b *bytes.Buffer) error { return writeBallots(b, ap, fixtureGroups(), approvalBallots) }},
		{"approval.tally-wide.csv", func(b *bytes.Buffer) error { return report.TallyWideCSV(b, ap, ar, fixtureGroups()) }},
		{"approval.json", func(b *bytes.Buffer) error { return report.ReportJSON(b, ar, fixtureGroups()) }},
		{"approval.md", func(b *bytes.Buffer) error { return report.Markdown(b, ap, ar, fixtureGroups()) }},
		{"ranked.tally.csv", func(b *bytes.Buffer) error { return report.TallyCSV(b, rp, rr) }},
		{"ranked.ballots.csv", func(b *bytes.Buffer) error { return writeBallots(b, rp, nil, rballots) }},
		{"ranked.tally-wide.csv", func(b *bytes.Buffer) error { return report.TallyWideCSV(b, rp, rr, nil) }},
		{"ranked.json", func(b *bytes.Buffer) error { return report.JSON(b, rr) }},
		{"ranked.md", func(b *bytes.Buffer) error { return report.Markdown(b, rp, rr, nil) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.write(&b); err != nil {
				t.Fatal(err)
			}
			golden(t, c.name, b.Bytes())
		})
	}
}

func writeBallots(w *bytes.Buffer, p *polls.Poll, groups *polls.Groups, bs []polls.Ballot) error {
	bw := report.NewBallotsCSV(w, p, groups)
	for _, b := range bs {
		if err := bw.Write(b); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func TestTallyCSVRows(t *testing.T) {
	p, r := approvalReport()
	var b bytes.Buffer
	if err := report.TallyCSV(&b, p, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rows[0][:5], []string{"theme", "group", "supporters", "ballots", "support"}; !slices.Equal(got, want) {
		t.Errorf("header starts %q, want %q", got, want)
	}
	if got, want := len(rows)-1, len(p.Themes)*len(r.Groups); got != want {
		t.Fatalf("%d rows, want themes x represented groups = %d", got, want)
	}
	// Themes in poll order, groups in report order.
	for i, row := range rows[1:] {
		th, g := i/len(r.Groups), i%len(r.Groups)
		if row[0] != report.EscapeCell(p.Themes[th].Label) || row[1] != string(r.Groups[g].Group) {
			t.Errorf("row %d is %s/%s, want %s/%s", i+1, row[0], row[1], p.Themes[th].Label, r.Groups[g].Group)
		}
	}
}

// TestTallyWideCSV: one row per theme in rank order, each with its number
// in the poll, and one column per represented group headed by its label,
// holding the same support as the long form.
func TestTallyWideCSV(t *testing.T) {
	p, r := approvalReport()
	var wide, long bytes.Buffer
	if err := report.TallyWideCSV(&wide, p, r, fixtureGroups()); err != nil {
		t.Fatal(err)
	}
	if err := report.TallyCSV(&long, p, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&wide).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"rank", "number", "theme", "status", "score"}
	for _, g := range r.Groups {
		want = append(want, fixtureGroups().Info(g.Group).Label)
	}
	if !slices.Equal(rows[0], want) {
		t.Fatalf("header %q, want %q", rows[0], want)
	}
	if len(rows)-1 != len(p.Themes) {
		t.Fatalf("%d rows, want one per theme (%d)", len(rows)-1, len(p.Themes))
	}
	support := map[[2]string]string{} // theme label, group id -> support
	longRows, _ := csv.NewReader(&long).ReadAll()
	for _, row := range longRows[1:] {
		support[[2]string{row[0], row[1]}] = row[4]
	}
	for i, row := range rows[1:] {
		th := r.Themes[i]
		if row[0] != fmt.Sprint(i+1) || row[0] != fmt.Sprint(th.Rank) || row[1] != fmt.Sprint(th.Index+1) ||
			row[2] != report.EscapeCell(p.Themes[th.Index].Label) || row[3] != string(th.Status) {
			t.Errorf("row %d = %q; want rank %d, number %d, %q, %s", i+1, row[:4], th.Rank, th.Index+1, p.Themes[th.Index].Label, th.Status)
		}
		for j, g := range r.Groups {
			if got, want := row[5+j], support[[2]string{row[2], string(g.Group)}]; got != want {
				t.Errorf("%s, %s: wide %s, long %s", row[2], g.Group, got, want)
			}
		}
	}
}

// TestJSONNumbersAndLabels: every theme of the JSON report carries its
// number in the poll and every group its configured label, in the report's
// groups and in each theme's.
func TestJSONNumbersAndLabels(t *testing.T) {
	p, r := approvalReport()
	groups := polls.MustGroups([]polls.GroupInfo{
		{ID: "government", Label: "Governments"}, {ID: "private-sector", Label: "Business"},
		{ID: "civil-society", Label: "Civil society"}, {ID: "technical-community", Label: "Technical"},
		{ID: "academia", Label: "Academia"}, {ID: "intergovernmental", Label: "IGOs"},
	})
	var b bytes.Buffer
	if err := report.ReportJSON(&b, r, groups); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Groups []struct{ Group, Label string } `json:"groups"`
		Themes []struct {
			Theme  string                          `json:"theme"`
			Number int                             `json:"number"`
			Rank   int                             `json:"rank"`
			Groups []struct{ Group, Label string } `json:"groups"`
		} `json:"themes"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Groups) != len(r.Groups) || len(doc.Themes) != len(p.Themes) {
		t.Fatalf("%d groups, %d themes", len(doc.Groups), len(doc.Themes))
	}
	for _, g := range doc.Groups {
		if g.Label != groups.Info(polls.Group(g.Group)).Label {
			t.Errorf("group %s labelled %q", g.Group, g.Label)
		}
	}
	for _, th := range doc.Themes {
		if th.Number < 1 || th.Number > len(p.Themes) || p.Themes[th.Number-1].Label != th.Theme {
			t.Errorf("theme %q has number %d", th.Theme, th.Number)
		}
		for _, g := range th.Groups {
			if g.Label != groups.Info(polls.Group(g.Group)).Label {
				t.Errorf("theme %q: group %s labelled %q", th.Theme, g.Group, g.Label)
			}
		}
	}
	// The numbers are positions, not ranks: in the ranked fixture, theme 4
	// ranks second.
	_, rr, _ := rankedReport()
	b.Reset()
	if err := report.JSON(&b, rr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "\"number\": 4,\n      \"theme\": \"Open standards\",\n      \"rank\": 2,") {
		t.Errorf("ranked report: theme 4, ranked 2nd, lacks its number:\n%s", b.String())
	}
}

func TestTallyCSVWrongReport(t *testing.T) {
	p, _ := approvalReport()
	_, rr, _ := rankedReport()
	if err := report.TallyCSV(&bytes.Buffer{}, p, rr); err == nil {
		t.Error("TallyCSV accepted the report of another poll")
	}
	if err := report.TallyWideCSV(&bytes.Buffer{}, p, rr, nil); err == nil {
		t.Error("TallyWideCSV accepted the report of another poll")
	}
	if err := report.Markdown(&bytes.Buffer{}, p, rr, nil); err == nil {
		t.Error("Markdown accepted the report of another poll")
	}
}

func TestEscapeCell(t *testing.T) {
	for in, want := range map[string]string{
		`=HYPERLINK("http://evil.example","click")`: `'=HYPERLINK("http://evil.example","click")`,
		"+1":          "'+1",
		"-2":          "'-2",
		"@x":          "'@x",
		"\tcmd":       "'\tcmd",
		"\rcmd":       "'\rcmd",
		"＝1+1":        "'＝1+1",
		"":            "",
		"Privacy":     "Privacy",
		"a=b":         "a=b",
		"1. =SUM(A1)": "1. =SUM(A1)",
		"0.5000":      "0.5000",
	} {
		if got := report.EscapeCell(in); got != want {
			t.Errorf("EscapeCell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFormulaInjection feeds formula-like labels and voters through every
// CSV export and checks that no cell a spreadsheet reads starts a formula.
func TestFormulaInjection(t *testing.T) {
	hostile := []string{`=HYPERLINK("http://evil.example","click")`, "+1", "-2", "@x", "\t=1"}
	p := &polls.Poll{ID: "EVIL", Tenant: "local", Title: "=1+1", Kind: polls.Approval, Status: polls.StatusOpen, OpenedAt: opened}
	for _, l := range hostile {
		p.Themes = append(p.Themes, polls.Theme{Label: l})
	}
	tally := polls.NewTally()
	var ballots []polls.Ballot
	for i, voter := range hostile {
		b := polls.Ballot{Voter: voter, Group: "government", Choices: []int{i}, CastAt: opened}
		tally.Add(p, b, +1)
		ballots = append(ballots, b)
	}
	r := polls.ComputeReport(p, tally, nil)

	var tb, wb, bb bytes.Buffer
	if err := report.TallyCSV(&tb, p, r); err != nil {
		t.Fatal(err)
	}
	hostileGroups := polls.MustGroups([]polls.GroupInfo{{ID: "government", Label: "=cmd|' /C calc'!A0"}})
	if err := report.TallyWideCSV(&wb, p, r, hostileGroups); err != nil {
		t.Fatal(err)
	}
	if err := writeBallots(&bb, p, nil, ballots); err != nil {
		t.Fatal(err)
	}
	ballotsOut := bb.String()
	for name, out := range map[string]string{"tally": tb.String(), "wide tally": wb.String(), "ballots": ballotsOut} {
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen := 0
		for _, row := range rows {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("%s: cell %q starts a formula", name, cell)
				}
				if strings.HasPrefix(cell, "'") {
					seen++
				}
			}
		}
		if seen == 0 {
			t.Errorf("%s: no cell was escaped", name)
		}
	}
	// The voters survive, quoted, in the first column.
	rows, _ := csv.NewReader(strings.NewReader(ballotsOut)).ReadAll()
	for i, voter := range hostile {
		if got := rows[i+1][0]; got != "'"+voter {
			t.Errorf("voter cell %q, want %q", got, "'"+voter)
		}
	}
}

// countingWriter records every write that reaches it, so a test can tell
// whether rows leave the exporter before Flush.
type countingWriter struct {
	writes   int
	bytes    int
	maxWrite int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.bytes += len(p)
	w.maxWrite = max(w.maxWrite, len(p))
	return len(p), nil
}

func TestBallotsCSVStreams(t *testing.T) {
	p := approvalPoll()
	w := &countingWriter{}
	bw := report.NewBallotsCSV(w, p, nil)
	const n = 5000
	for i := range n {
		b := polls.Ballot{Voter: fmt.Sprintf("U%06d", i), Group: "civil-society", Choices: []int{i % 6, (i + 1) % 6}, CastAt: opened}
		slices.Sort(b.Choices)
		if err := bw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	before := w.writes
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	// Rows reach the writer while ballots are still being written, in
	// chunks of a fixed small size, not all at once at the end.
	if before < 10 {
		t.Errorf("only %d writes before Flush: the exporter buffers the ballots", before)
	}
	if w.maxWrite > 64<<10 {
		t.Errorf("largest write %d bytes: rows are not streamed through a small buffer", w.maxWrite)
	}
	if w.writes == before {
		t.Error("Flush wrote nothing: the last rows stayed buffered")
	}
	if w.bytes < n*30 {
		t.Errorf("%d bytes written for %d ballots", w.bytes, n)
	}
}

func TestBallotsCSVEmptyAndInvalid(t *testing.T) {
	p := approvalPoll()
	var b bytes.Buffer
	bw := report.NewBallotsCSV(&b, p, nil)
	if err := bw.Write(polls.Ballot{Voter: "U1", Group: "government", Choices: []int{9}}); err == nil {
		t.Error("a ballot for theme 10 of a 6-theme poll was written")
	}
	if err := bw.Write(polls.Ballot{Voter: "U1", Group: "government", Choices: []int{1, 1}}); err == nil {
		t.Error("a ballot choosing a theme twice was written")
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || !slices.Equal(rows[0][:4], []string{"voter", "group", "cast_at", "choices"}) {
		t.Errorf("got rows %q, want the header alone", rows)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriteErrors(t *testing.T) {
	p, r := approvalReport()
	for name, err := range map[string]error{
		"tally":    report.TallyCSV(failWriter{}, p, r),
		"json":     report.JSON(failWriter{}, r),
		"markdown": report.Markdown(failWriter{}, p, r, nil),
		"ballots":  writeBallots2(failWriter{}, p),
	} {
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error %v, want the writer's", name, err)
		}
	}
}

func writeBallots2(w failWriter, p *polls.Poll) error {
	bw := report.NewBallotsCSV(w, p, nil)
	if err := bw.Write(polls.Ballot{Voter: "U1", Group: "government", Choices: []int{0}}); err != nil {
		return err
	}
	return bw.Flush()
}

// TestJSONShape checks the document key by key against the report's
// external contract (docs/ARCHITECTURE.md, "The consensus formulas").
func TestJSONShape(t *testing.T) {
	_, r := approvalReport()
	var b bytes.Buffer
	if err := report.JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "{\n  \"poll\": {\n    \"id\"") {
		t.Errorf("not indented by two spaces:\n%.60s", b.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	hasKeys(t, "report", doc, "poll", "quorum", "threshold", "groups", "themes")
	poll := doc["poll"].(map[string]any)
	hasKeys(t, "poll", poll, "id", "tenant", "title", "kind", "status", "opened_at", "closed_at")
	for _, k := range []string{"opened_at", "closed_at"} {
		s, _ := poll[k].(string)
		if _, err := time.Parse(time.RFC3339, s); err != nil || !strings.HasSuffix(s, "Z") {
			t.Errorf("poll.%s = %q, want RFC 3339 in UTC", k, s)
		}
	}
	if poll["opened_at"] != "2026-03-02T08:00:00Z" {
		t.Errorf("opened_at = %v, want the UTC form of 09:00 CET", poll["opened_at"])
	}
	if doc["quorum"] != 3.0 || doc["threshold"] != 0.5 {
		t.Errorf("quorum %v, threshold %v", doc["quorum"], doc["threshold"])
	}
	groups := doc["groups"].([]any)
	if len(groups) != 6 {
		t.Errorf("%d groups, want 6 represented", len(groups))
	}
	for _, g := range groups {
		hasKeys(t, "groups[]", g.(map[string]any), "group", "ballots", "qualifies")
	}
	themes := doc["themes"].([]any)
	if len(themes) != 6 {
		t.Fatalf("%d themes, want 6", len(themes))
	}
	for i, th := range themes {
		tm := th.(map[string]any)
		hasKeys(t, "themes[]", tm, "theme", "rank", "status", "score", "equal", "overall", "spread", "groups")
		if tm["rank"] != float64(i+1) {
			t.Errorf("themes[%d].rank = %v: themes are not in rank order", i, tm["rank"])
		}
		for _, g := range tm["groups"].([]any) {
			hasKeys(t, "themes[].groups[]", g.(map[string]any), "group", "supporters", "ballots", "support", "lower")
		}
	}
}

func hasKeys(t *testing.T, where string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s has no %q (keys %v)", where, k, sortedKeys(m))
		}
	}
}

func sortedKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func TestJSONEmptyAndNonFinite(t *testing.T) {
	p := approvalPoll()
	r := polls.ComputeReport(p, polls.NewTally(), nil)
	var b bytes.Buffer
	if err := report.JSON(&b, r); err != nil {
		t.Fatal(err)
	}
	// closed_at and margin are the only nulls: an open poll has not
	// closed, and a theme that is neither consensus nor emerging has no
	// margin.
	nulls := strings.NewReplacer(`"closed_at": null`, "", `"margin": null`, "")
	if strings.Contains(nulls.Replace(b.String()), "null") {
		t.Errorf("an empty report has null arrays:\n%s", b.String())
	}
	// A hand-built report with nil slices still gets arrays.
	b.Reset()
	if err := report.JSON(&b, &polls.Report{Poll: polls.ReportPoll{ID: "X"}, Themes: []polls.ThemeResult{{Theme: "t"}}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(nulls.Replace(b.String()), "null") {
		t.Errorf("nil slices encode as null:\n%s", b.String())
	}

	_, bad := approvalReport()
	bad.Themes[2].Groups[1].Support = math.NaN()
	if err := report.JSON(&bytes.Buffer{}, bad); err == nil || !strings.Contains(err.Error(), "support") {
		t.Errorf("NaN support: error %v", err)
	}
}

// TestMarkdownEscaping checks that a hostile label cannot add table cells or
// markup: every table row has as many unescaped pipes as its header.
func TestMarkdownEscaping(t *testing.T) {
	p, r := approvalReport()
	var b bytes.Buffer
	if err := report.Markdown(&b, p, r, fixtureGroups()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.Contains(out, `Cyber norms \| \*draft\* \[v2\] \<b>\_x\_\`+"`y\\`") {
		t.Errorf("label not escaped:\n%s", out)
	}
	var cols int
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			cols = 0
			continue
		}
		n := unescapedPipes(line)
		if cols == 0 {
			cols = n
		} else if n != cols {
			t.Errorf("row has %d cells, its table %d: %s", n, cols, line)
		}
	}
}

func unescapedPipes(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestMarkdownSummary(t *testing.T) {
	p, r := approvalReport()
	var b bytes.Buffer
	if err := report.Markdown(&b, p, r, fixtureGroups()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"Consensus across groups: Data governance & trust (fragile).",
		"Divided: Privacy and encryption (marginal: Civil society 100% vs Technical community 20%)",
		"## What each theme needs",
		"- **AI governance**: divided (marginal): Technical community (1/5) alone is below 50%; 3 more supporting ballots there would make it emerging.",
		"- Academia needs 1 more ballot to count.",
		"![Consensus chart: support per group and theme, with each theme's status](K7QX-chart.png)",
		"Absent (no ballots): Youth.",
		"Under-represented (below quorum): Academia, Intergovernmental.",
		"## How to read this",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("Markdown lacks %q", want)
		}
	}

	empty := polls.ComputeReport(p, polls.NewTally(), nil)
	b.Reset()
	if err := report.Markdown(&b, p, empty, nil); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "No ballots have been cast yet") || strings.Contains(b.String(), "## What each theme needs") {
		t.Errorf("empty report:\n%s", b.String())
	}
}

// TestMarkdownLinksStayText: no title, theme or group label becomes a link,
// an image, HTML or an entity in the Markdown report, whichever renderer a
// working group pastes it into: not by Markdown's own syntax, and not by
// the autolinks GitHub-flavoured renderers add (URLs, www., e-mail).
func TestMarkdownLinksStayText(t *testing.T) {
	themes := []string{
		"[click me](https://evil.example)",
		"![img](https://evil.example/i.png)",
		"see https://evil.example/x now",
		"<https://evil.example>",
		"www.evil.example",
		"mail me@evil.example",
		"&#x202E;reversed",
		`<a href="https://evil.example">x</a>`,
	}
	p := &polls.Poll{
		ID: "LNKS", Tenant: "local", Title: "[title](https://evil.example) &amp; www.evil.example",
		Kind: polls.Approval, Status: polls.StatusClosed, Creator: "you", OpenedAt: opened, ClosedAt: closed,
	}
	for _, l := range themes {
		p.Themes = append(p.Themes, polls.Theme{Label: l})
	}
	p.Normalize()
	groups := polls.MustGroups([]polls.GroupInfo{
		{ID: "government", Label: "[Gov](https://evil.example)"},
		{ID: "civil-society", Label: "Civil society"},
	})
	tally := polls.Tally{
		Ballots: map[polls.Group]int64{"government": 3, "civil-society": 3},
		Points: map[polls.Group][]int64{
			"government":    {3, 2, 1, 0, 3, 2, 1, 0},
			"civil-society": {0, 1, 2, 3, 0, 1, 2, 3},
		},
	}
	var b bytes.Buffer
	if err := report.Markdown(&b, p, polls.ComputeReport(p, tally, groups), groups); err != nil {
		t.Fatal(err)
	}
	// The one link pollbot writes itself: the chart, named by pollbot.
	chartLink := "![Consensus chart: support per group and theme, with each theme's status](LNKS-chart.png)\n"
	full := b.String()
	i := strings.Index(full, chartLink)
	if i < 0 {
		t.Fatalf("no chart link in:\n%s", full)
	}
	out := full[:i] + full[i+len(chartLink):]
	for _, want := range []string{
		`\[click me\](https\://evil.example)`,
		`!\[img\](https\://evil.example/i.png)`,
		`see https\://evil.example/x now`,
		`\<https\://evil.example>`,
		`www\.evil.example`,
		`mail me\@evil.example`,
		`\&#x202E;reversed`,
		`\<a href="https\://evil.example">x\</a>`,
		`# Consensus report: \[title\](https\://evil.example) \&amp; www\.evil.example`,
		`\[Gov\](https\://evil.example)`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("want %s in:\n%s", want, out)
		}
	}
	// Each of these starts a link, an image, HTML or an entity unless a
	// backslash precedes it.
	for _, live := range []string{"](", "://", "www.evil", "me@", "&#", "&amp;", "<a ", "<https"} {
		for i := 0; ; {
			j := strings.Index(out[i:], live)
			if j < 0 {
				break
			}
			if i+j == 0 || out[i+j-1] != '\\' {
				t.Errorf("%q is live at %q", live, out[max(0, i+j-30):i+j+len(live)])
			}
			i += j + len(live)
		}
	}
}
