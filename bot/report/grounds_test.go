package report_test

import (
	"strings"
	"testing"

	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// demoPoll is the poll `pollbot demo` closes: the preset's ten themes and
// the supporters per group of cmd/pollbot/demo.go.
func demoPoll() (*polls.Poll, polls.Tally) {
	labels := []string{"DNSSEC", "DNS abuse", "Critical success factors in cybersecurity",
		"Responsible disclosure", "Tools for prevention", "Privacy", "BCP38 (DDoS mitigation)",
		"Enforcement", "Education and awareness", "Collaboration and cooperation among actors"}
	support := [][]int64{
		{4, 4, 2, 11, 3, 0}, {7, 8, 6, 7, 3, 1}, {3, 3, 2, 2, 1, 0}, {6, 9, 12, 11, 5, 1},
		{4, 6, 3, 5, 2, 1}, {4, 3, 14, 7, 5, 0}, {3, 5, 2, 10, 2, 1}, {11, 5, 2, 3, 2, 2},
		{11, 12, 14, 8, 6, 2}, {12, 14, 15, 12, 6, 2},
	}
	groups := []polls.Group{"government", "private-sector", "civil-society", "technical-community", "academia", "intergovernmental"}
	sizes := []int64{12, 14, 15, 12, 6, 2}
	p := &polls.Poll{ID: "DEMO", Tenant: "demo", Title: "IGF BPF Cybersecurity", Kind: polls.Approval, Status: polls.StatusClosed, OpenedAt: opened, ClosedAt: closed}
	for _, l := range labels {
		p.Themes = append(p.Themes, polls.Theme{Label: l})
	}
	p.Normalize()
	t := polls.NewTally()
	for gi, g := range groups {
		t.Ballots[g] = sizes[gi]
		t.Points[g] = make([]int64, len(labels))
		for ti := range labels {
			t.Points[g][ti] = support[ti][gi]
		}
	}
	return p, t
}

// TestVerdictsOfTheDemo checks the sentence a chair reads out for every
// theme of the demo. Each number was worked out by hand from section 4.1
// (and is checked by polls' own tests): e.g. Civil society's 6/15 on DNS
// abuse needs k = 3 for (6+k)/(15+k) >= 1/2; Academia's 6/6 on
// Collaboration loses its confidence at 6/7.
func TestVerdictsOfTheDemo(t *testing.T) {
	p, tl := demoPoll()
	r := polls.ComputeReport(p, tl, nil)
	w := report.Words{}
	want := map[string]string{
		"Collaboration and cooperation among actors": "Collaboration and cooperation among actors: consensus, fragile: one more dissenting ballot from Academia (6/6) would make it emerging.",
		"Education and awareness":                    "Education and awareness: emerging: consensus needs 4 more supporting ballots in Technical community (8/12); 5 more dissenting ballots there would make it divided.",
		"Responsible disclosure":                     "Responsible disclosure: emerging, fragile: consensus needs 9 more supporting ballots in Government (6/12), 5 in Private sector (9/14) and 2 in Academia (5/6); one more dissenting ballot from Government (6/12) would make it divided.",
		"DNS abuse":                                  "DNS abuse: divided (marginal): Civil society (6/15) alone is below 50%; 3 more supporting ballots there would make it emerging.",
		"Privacy":                                    "Privacy: divided (clear): Government (4/12) and Private sector (3/14) are below 50%, while Civil society, Technical community and Academia are at or above it; emerging needs 4 more supporting ballots in Government and 8 in Private sector.",
		"Enforcement":                                "Enforcement: divided (clear): Private sector (5/14), Civil society (2/15), Technical community (3/12) and Academia (2/6) are below 50%, while Government is at or above it; emerging needs 4 more supporting ballots in Private sector, 11 in Civil society, 6 in Technical community and 2 in Academia.",
		"Tools for prevention":                       "Tools for prevention: low: no group that counts reaches 50%; emerging needs 4 more supporting ballots in Government, 2 in Private sector, 9 in Civil society, 2 in Technical community and 2 in Academia.",
		"DNSSEC":                                     "DNSSEC: divided (clear): Government (4/12), Private sector (4/14) and Civil society (2/15) are below 50%, while Technical community and Academia are at or above it; emerging needs 4 more supporting ballots in Government, 6 in Private sector and 11 in Civil society.",
	}
	for _, th := range r.Themes {
		w, ok := want[th.Theme]
		if !ok {
			continue
		}
		if got := (report.Words{}).Verdict(r, th); got != w {
			t.Errorf("got  %s\nwant %s", got, w)
		}
	}
	if got, want := w.Participation(r), []string{"Intergovernmental needs 1 more ballot to count."}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("participation: got %q, want %q", got, want)
	}
}

func TestVerdictsAtTheEdges(t *testing.T) {
	poll := func(kind polls.Kind, threshold float64, labels ...string) *polls.Poll {
		p := &polls.Poll{ID: "EDGE", Tenant: "t", Title: "Edges", Kind: kind, Status: polls.StatusOpen, Options: polls.Options{Threshold: threshold}}
		for _, l := range labels {
			p.Themes = append(p.Themes, polls.Theme{Label: l})
		}
		p.Normalize()
		return p
	}
	tally := func(p *polls.Poll, rows map[polls.Group][2]int64) polls.Tally {
		t := polls.NewTally()
		for g, r := range rows {
			t.Ballots[g] = r[0]
			t.Points[g] = make([]int64, len(p.Themes))
			t.Points[g][0] = r[1]
		}
		return t
	}
	label := func(s string) string { return "«" + s + "»" }
	tests := []struct {
		name string
		p    *polls.Poll
		rows map[polls.Group][2]int64
		held int64
		want string
		part []string
	}{
		{
			name: "one group at quorum cannot be judged",
			p:    poll(polls.Approval, 0, "Theme"),
			rows: map[polls.Group][2]int64{"government": {3, 3}, "academia": {1, 1}},
			want: "«Theme»: insufficient: only 1 group reached the quorum of 3 ballots, and judging takes 2.",
			part: []string{"«Academia» needs 2 more ballots to count.",
				"No ballots from «Private sector», «Civil society», «Technical community» and «Intergovernmental»; each needs 3 ballots to count."},
		},
		{
			name: "unanimous groups of 3 are too small for consensus",
			p:    poll(polls.Approval, 0, "Theme"),
			rows: map[polls.Group][2]int64{"government": {3, 3}, "civil-society": {3, 3}},
			held: 2,
			want: "«Theme»: emerging: consensus needs 1 more supporting ballot in «Government» (3/3) and 1 in «Civil society» (3/3); «Government» and «Civil society» are too small for consensus even if unanimous (that takes at least 4 ballots); 4 more dissenting ballots from «Government» (3/3) would make it divided.",
			part: []string{"No ballots from «Private sector», «Technical community», «Academia» and «Intergovernmental»; each needs 3 ballots to count.",
				"2 votes are waiting for their voters to pick a stakeholder group: not counted until they are."},
		},
		{
			name: "a threshold of 100% asks for unanimity",
			p:    poll(polls.Approval, 1, "Theme"),
			rows: map[polls.Group][2]int64{"government": {5, 5}, "civil-society": {5, 4}},
			want: "«Theme»: divided (marginal): «Civil society» (4/5) alone is below 100%; no number of supporting ballots there can bring it to 100%.",
		},
		{
			name: "ranked polls count points and first places",
			p:    poll(polls.Ranked, 0, "First", "Second", "Third"),
			// Points are scaled by 2 in a 3-theme ranked poll: 5 is 2.5.
			rows: map[polls.Group][2]int64{"government": {4, 5}, "civil-society": {4, 3}},
			want: "«First»: divided (marginal): «Civil society» (1.5 of 4 points) alone is below 50%; 1 more ballot ranking it first there would make it emerging.",
		},
		{
			name: "ranked consensus names ballots ranking it last",
			p:    poll(polls.Ranked, 0, "First", "Second", "Third"),
			rows: map[polls.Group][2]int64{"government": {10, 19}, "civil-society": {10, 20}},
			want: "«First»: consensus: every group that counts is at or above 50% with 95% confidence; it would take 3 more ballots ranking it last from «Government» (9.5 of 10 points) to make it emerging.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := polls.ComputeReport(tt.p, tally(tt.p, tt.rows), nil)
			r.Held = tt.held
			th, _ := r.Theme(0)
			w := report.Words{Label: label}
			if got := w.Verdict(r, th); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if tt.part != nil {
				if got := w.Participation(r); strings.Join(got, "\n") != strings.Join(tt.part, "\n") {
					t.Errorf("participation:\ngot  %q\nwant %q", got, tt.part)
				}
			}
		})
	}
}

// TestChartFileIsTheChartsFile: the Markdown report links the chart by the
// name its own format gives the file.
func TestChartFileIsTheChartsFile(t *testing.T) {
	f, ok := report.Find("png", false)
	if !ok {
		t.Fatal("no png format")
	}
	for _, id := range []string{"", "K7QX"} {
		if got, want := report.ChartFile(id), f.File(id); got != want {
			t.Errorf("ChartFile(%q) = %q, the png format writes %q", id, got, want)
		}
	}
}
