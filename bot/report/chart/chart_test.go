package chart_test

import (
	"bytes"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/internal/typeset/typesettest"
	"github.com/pollbot/pollbot/polls"
)

// outDir keeps the rendered charts for a person to look at:
// go test ./bot/report/chart -out /tmp
var outDir = flag.String("out", "", "write the rendered charts to this directory")

var igfThemes = []string{
	"Data governance & trust",
	"Meaningful access and digital inclusion for the next billion users in rural area",
	"Privacy and encryption",
	"AI governance",
	"Cyber norms",
	"Environmental impact of digital technologies",
	"Internet fragmentation",
	"Child online safety",
	"Digital public infrastructure",
	"Human rights online",
	"Open standards",
	"Misinformation and platform accountability",
	"Multilingual Internet and universal acceptance",
	"Digital trade",
	"Capacity building",
	"Quantum-safe cryptography",
	"Satellite broadband regulation",
	"Gender and the digital divide",
	"Interoperable digital identity",
	"Content moderation transparency",
	"DNS abuse",
	"Youth participation",
	"Net neutrality",
	"Resilience of submarine cables",
	"Supercalifragilisticexpialidociousinternetgovernanceframeworkwithoutspaces!!",
}

// report builds a report over the first `themes` IGF themes with the given
// ballots per group; support follows a fixed pattern so charts are
// reproducible and cover the whole colour scale.
func report(t testing.TB, themes int, ballots map[polls.Group]int64) (*polls.Report, *polls.Groups) {
	t.Helper()
	p := &polls.Poll{
		ID: "K7QX", Tenant: "local", Title: "IGF 2026 working group: which theme for the main session?",
		Kind: polls.Approval, Status: polls.StatusClosed,
		OpenedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		ClosedAt: time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC),
	}
	for _, l := range igfThemes[:themes] {
		p.Themes = append(p.Themes, polls.Theme{Label: l})
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tally := polls.Tally{Ballots: ballots, Points: map[polls.Group][]int64{}}
	gi := 0
	for _, g := range polls.DefaultGroups {
		n, ok := ballots[g.ID]
		if !ok {
			continue
		}
		pts := make([]int64, themes)
		for th := range pts {
			// A spread of support: theme 0 high everywhere, later themes
			// varying by group.
			frac := float64((th*37+gi*53)%101) / 100
			if th == 0 {
				frac = 1
			}
			pts[th] = int64(frac*float64(n) + 0.5)
		}
		tally.Points[g.ID] = pts
		gi++
	}
	groups := polls.MustGroups(polls.DefaultGroups)
	return polls.ComputeReport(p, tally, groups), groups
}

func TestPNG(t *testing.T) {
	six := map[polls.Group]int64{
		"government": 12, "private-sector": 9, "civil-society": 15,
		"technical-community": 8, "academia": 2, "intergovernmental": 1,
	}
	cases := []struct {
		name    string
		themes  int
		ballots map[polls.Group]int64
	}{
		{"10x6", 10, six},
		{"25x6", 25, six},
		{"1group", 5, map[polls.Group]int64{"civil-society": 7}},
		{"empty", 4, map[polls.Group]int64{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, groups := report(t, c.themes, c.ballots)
			var b bytes.Buffer
			if err := chart.PNG(&b, r, groups); err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(b.Bytes()))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			w, h := chart.Size(r, groups)
			if got := img.Bounds().Size(); got.X != w || got.Y != h {
				t.Errorf("image is %dx%d, Size says %dx%d", got.X, got.Y, w, h)
			}
			if w != chart.DefaultWidth {
				t.Errorf("width %d, want %d", w, chart.DefaultWidth)
			}
			// Height grows with the themes (a row of at least 64 px, 90
			// for a three-line label) and stays within a chat client's
			// reach.
			if min, max := 64*c.themes+300, 90*c.themes+900; h < min || h > max {
				t.Errorf("height %d for %d themes, want %d..%d", h, c.themes, min, max)
			}
			if *outDir != "" {
				path := filepath.Join(*outDir, "chart-"+c.name+".png")
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// mixedReport has every status: the chart of docs/chart-example.png.
func mixedReport(t *testing.T) (*polls.Report, *polls.Groups) {
	t.Helper()
	p := &polls.Poll{
		ID: "K7QX", Tenant: "local", Title: "IGF 2026 MAG working group: theme of the main session",
		Kind: polls.Approval, Status: polls.StatusClosed,
		OpenedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		ClosedAt: time.Date(2026, 3, 4, 17, 0, 0, 0, time.UTC),
		Themes: []polls.Theme{
			{Label: "Meaningful access"},
			{Label: "Data governance & trust"},
			{Label: "Privacy and encryption"},
			{Label: "AI governance"},
			{Label: "Cyber norms"},
			{Label: "Environmental impact of digital technologies and e-waste"},
			{Label: "Internet fragmentation"},
			{Label: "🧒 Child online safety"},
		},
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tally := polls.Tally{
		Ballots: map[polls.Group]int64{
			"government": 12, "private-sector": 9, "civil-society": 15,
			"technical-community": 10, "academia": 6, "intergovernmental": 2,
		},
		Points: map[polls.Group][]int64{
			"government":          {11, 10, 5, 8, 9, 3, 7, 6},
			"private-sector":      {8, 7, 2, 7, 3, 2, 6, 4},
			"civil-society":       {14, 12, 14, 9, 4, 6, 5, 7},
			"technical-community": {9, 8, 8, 6, 7, 3, 9, 2},
			"academia":            {6, 5, 5, 4, 2, 2, 3, 1},
			"intergovernmental":   {2, 1, 0, 2, 2, 0, 1, 1},
		},
	}
	groups := polls.MustGroups(polls.DefaultGroups)
	return polls.ComputeReport(p, tally, groups), groups
}

func TestPNGMixed(t *testing.T) {
	r, groups := mixedReport(t)
	seen := map[polls.ThemeStatus]bool{}
	for _, th := range r.Themes {
		seen[th.Status] = true
	}
	for _, st := range []polls.ThemeStatus{polls.Consensus, polls.Emerging, polls.Divided, polls.Low} {
		if !seen[st] {
			t.Errorf("fixture has no %s theme", st)
		}
	}
	var b bytes.Buffer
	if err := chart.PNG(&b, r, groups); err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b.Bytes())); err != nil {
		t.Fatal(err)
	}
	if *outDir != "" {
		if err := os.WriteFile(filepath.Join(*outDir, "chart-mixed.png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// groundsReport is a poll still open, with every mark the chart has: a
// consensus and an emerging theme that one dissenting ballot would lower
// (fragile), a divided theme split within noise (marginal) and one split
// clearly, a low one, a group below quorum, a configured group with no
// ballot (Academia) and votes held for a group pick.
func groundsReport(t *testing.T) (*polls.Report, *polls.Groups) {
	t.Helper()
	p := &polls.Poll{
		ID: "R4MD", Tenant: "local", Title: "Cybersecurity BPF 2026: which themes should the working group take up?",
		Kind: polls.Approval, Status: polls.StatusOpen,
		OpenedAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC),
		Themes: []polls.Theme{
			{Label: "Collaboration and cooperation among actors"},
			{Label: "Education and awareness"},
			{Label: "Responsible disclosure"},
			{Label: "DNS abuse"},
			{Label: "Privacy"},
			{Label: "Tools for prevention"},
		},
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tally := polls.Tally{
		Ballots: map[polls.Group]int64{
			"government": 12, "private-sector": 9, "civil-society": 15,
			"technical-community": 6, "intergovernmental": 2,
		},
		Points: map[polls.Group][]int64{
			"government":          {11, 6, 8, 7, 2, 3},
			"private-sector":      {9, 8, 6, 5, 2, 3},
			"civil-society":       {14, 13, 10, 6, 14, 5},
			"technical-community": {6, 4, 4, 4, 5, 2},
			"intergovernmental":   {2, 1, 1, 1, 0, 1},
		},
	}
	groups := polls.MustGroups(polls.DefaultGroups)
	r := polls.ComputeReport(p, tally, groups)
	r.Held = 3
	return r, groups
}

// TestPNGGrounds draws groundsReport and compares it with
// testdata/golden/grounds.png (regenerate with -update, and look at it:
// "INTERIM" under the title; Academia an empty hatched column saying "no
// ballots"; Intergovernmental faded; triangles in exactly the cells below
// 50%; "fragile" beside the first two statuses with Technical community's
// and Government's cells outlined; "marginal" beside DNS abuse only; a
// legend entry for each of these).
func TestPNGGrounds(t *testing.T) {
	r, groups := groundsReport(t)
	want := map[string]struct {
		status  polls.ThemeStatus
		fragile bool
		split   polls.Split
	}{
		"Collaboration and cooperation among actors": {polls.Consensus, true, ""},
		"Education and awareness":                    {polls.Emerging, true, ""},
		"Responsible disclosure":                     {polls.Emerging, false, ""},
		"DNS abuse":                                  {polls.Divided, false, polls.SplitMarginal},
		"Privacy":                                    {polls.Divided, false, polls.SplitClear},
		"Tools for prevention":                       {polls.Low, false, ""},
	}
	for _, th := range r.Themes {
		w := want[th.Theme]
		if th.Status != w.status || th.Fragile != w.fragile || th.Split != w.split {
			t.Errorf("fixture: %s is %s fragile=%v split=%q, want %s fragile=%v split=%q",
				th.Theme, th.Status, th.Fragile, th.Split, w.status, w.fragile, w.split)
		}
	}
	if len(r.Absent) != 1 || len(r.UnderRepresented) != 1 {
		t.Errorf("fixture: absent %v, under-represented %v", r.Absent, r.UnderRepresented)
	}
	golden(t, "grounds", r, groups)
}

// TestPNGEmptyOpen draws a poll just opened: no ballot yet, every
// configured group an empty column, and the interim banner.
func TestPNGEmptyOpen(t *testing.T) {
	p := &polls.Poll{
		ID: "E2PT", Tenant: "local", Title: "Pick the themes for the 2026 session",
		Kind: polls.Approval, Status: polls.StatusOpen,
		Themes: []polls.Theme{{Label: "DNS abuse"}, {Label: "Privacy"}, {Label: "Responsible disclosure"}},
	}
	p.Normalize()
	groups := polls.MustGroups(polls.DefaultGroups)
	r := polls.ComputeReport(p, polls.Tally{Ballots: map[polls.Group]int64{}, Points: map[polls.Group][]int64{}}, groups)
	golden(t, "empty-open", r, groups)
}

// golden renders r, checks the image against Size, compares it with
// testdata/golden/<name>.png and, with -out, keeps a copy.
func golden(t *testing.T, name string, r *polls.Report, groups *polls.Groups) {
	t.Helper()
	var b bytes.Buffer
	if err := chart.PNG(&b, r, groups); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if w, h := chart.Size(r, groups); img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Errorf("image is %v, Size says %dx%d", img.Bounds().Size(), w, h)
	}
	typesettest.Golden(t, filepath.Join("testdata", "golden", name+".png"), img)
	if *outDir != "" {
		if err := os.WriteFile(filepath.Join(*outDir, "chart-"+name+".png"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPNGScripts draws a poll whose title, themes and group labels are in
// every script the chart must draw, and compares it with
// testdata/golden/scripts.png (regenerate with -update, and look at it:
// Arabic joined and right to left, Hebrew right to left, the family emoji
// one glyph, boxes only in the last theme).
func TestPNGScripts(t *testing.T) {
	themes := []string{
		"حوكمة الإنترنت",
		"ממשל האינטרנט",
		"互联网治理",
		"網際網路治理",
		"インターネットガバナンス",
		"Управление Интернетом",
		"Διακυβέρνηση του Διαδικτύου",
		"Égalité numérique et accès en zones rurales : año, señal, ¿qué?",
		"👨‍👩‍👧‍👦 Family online safety 🇺🇳 👍🏽",
		"منتدى حوكمة الإنترنت 2026: 3 مواضيع رئيسية و 45% من المشاركين",
		// Unassigned, beyond the CJK subset, private use: drawn as boxes.
		"Missing: \u0378 \U00020000 \uE123",
	}
	list := []polls.GroupInfo{
		{ID: "gov", Label: "Gouvernements"},
		{ID: "private", Label: "القطاع الخاص"},
		{ID: "civil", Label: "民间社会"},
		{ID: "tech", Label: "Техническое сообщество"},
		{ID: "academia", Label: "🎓 Académie"},
	}
	ballots := map[polls.Group]int64{"gov": 12, "private": 9, "civil": 15, "tech": 8, "academia": 2}
	p := &polls.Poll{
		ID: "U7NX", Tenant: "local", Title: "حوكمة الإنترنت 2026 · 互联网治理 · Internet governance 🌐",
		Kind: polls.Approval, Status: polls.StatusClosed,
	}
	for _, l := range themes {
		p.Themes = append(p.Themes, polls.Theme{Label: l})
	}
	p.Normalize()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	tally := polls.Tally{Ballots: ballots, Points: map[polls.Group][]int64{}}
	for gi, g := range list {
		n := ballots[g.ID]
		pts := make([]int64, len(themes))
		for th := range pts {
			pts[th] = int64(float64((th*37+gi*53)%101)/100*float64(n) + 0.5)
		}
		tally.Points[g.ID] = pts
	}
	groups := polls.MustGroups(list)
	golden(t, "scripts", polls.ComputeReport(p, tally, groups), groups)
}

func TestPNGScale(t *testing.T) {
	r, groups := report(t, 3, map[polls.Group]int64{"government": 4, "academia": 3})
	var b bytes.Buffer
	if err := chart.PNG(&b, r, groups, chart.WithScale(1.5)); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	w, h := chart.Size(r, groups, chart.WithScale(1.5))
	if got := img.Bounds().Size(); got.X != w || got.Y != h || w != 3*chart.DefaultWidth/2 {
		t.Errorf("image %v, Size %dx%d, want width %d", got, w, h, 3*chart.DefaultWidth/2)
	}
}

func TestPNGManyGroupsWidens(t *testing.T) {
	var list []polls.GroupInfo
	ballots := map[polls.Group]int64{}
	for i := range 14 {
		id := polls.Group(fmt.Sprintf("g%02d", i))
		list = append(list, polls.GroupInfo{ID: id, Label: strings.Repeat("Group ", 1+i%3) + fmt.Sprint(i)})
		ballots[id] = 3
	}
	groups := polls.MustGroups(list)
	p := &polls.Poll{ID: "WIDE", Tenant: "local", Title: "Many groups", Status: polls.StatusOpen, Themes: []polls.Theme{{Label: "One"}, {Label: "Two"}}}
	p.Normalize()
	r := polls.ComputeReport(p, polls.Tally{Ballots: ballots, Points: map[polls.Group][]int64{}}, groups)
	var b bytes.Buffer
	if err := chart.PNG(&b, r, groups); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&b)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() <= chart.DefaultWidth {
		t.Errorf("14 groups fit in %d px: cells would be too narrow to read", img.Bounds().Dx())
	}
	if *outDir != "" {
		var b bytes.Buffer
		_ = chart.PNG(&b, r, groups)
		_ = os.WriteFile(filepath.Join(*outDir, "chart-wide.png"), b.Bytes(), 0o644)
	}
}

// TestPNGConcurrent renders from several goroutines: the fonts and glyph
// outlines are shared, and -race must find nothing.
func TestPNGConcurrent(t *testing.T) {
	r, groups := report(t, 3, map[polls.Group]int64{"government": 4, "academia": 3})
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- chart.PNG(io.Discard, r, groups) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestPNGErrors(t *testing.T) {
	if err := chart.PNG(&bytes.Buffer{}, nil, nil); err == nil {
		t.Error("nil report: no error")
	}
	r, groups := report(t, 2, map[polls.Group]int64{"government": 3})
	if err := chart.PNG(&bytes.Buffer{}, r, groups, chart.WithWidth(10)); err == nil {
		t.Error("10 px width: no error")
	}
}

func BenchmarkPNG25x6(b *testing.B) {
	r, groups := report(b, 25, map[polls.Group]int64{
		"government": 12, "private-sector": 9, "civil-society": 15,
		"technical-community": 8, "academia": 2, "intergovernmental": 1,
	})
	for b.Loop() {
		if err := chart.PNG(io.Discard, r, groups); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPNGThresholds draws the mixed report's groups against a threshold of
// 1 (unanimity: no range above the threshold, the scale's neutral at its
// end) and as a ranked poll (fractional support). With -out, look at them.
func TestPNGThresholds(t *testing.T) {
	for _, c := range []struct {
		name      string
		threshold float64
		kind      polls.Kind
	}{
		{"tau100", 1, polls.Approval},
		{"ranked", 0.5, polls.Ranked},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, groups := mixedReport(t)
			p := &polls.Poll{ID: "T1", Tenant: "local", Title: "Threshold " + c.name, Kind: c.kind, Status: polls.StatusClosed}
			p.Threshold = c.threshold
			for _, th := range r.Themes {
				p.Themes = append(p.Themes, polls.Theme{Label: th.Theme})
			}
			p.Normalize()
			if err := p.Validate(); err != nil {
				t.Fatal(err)
			}
			scale := int64(1) // ranked: Borda points, m-1 for a first place
			if c.kind == polls.Ranked {
				scale = int64(len(p.Themes) - 1)
			}
			tally := polls.Tally{Ballots: map[polls.Group]int64{}, Points: map[polls.Group][]int64{}}
			for gi, g := range r.Groups {
				tally.Ballots[g.Group] = g.Ballots
				pts := make([]int64, len(p.Themes))
				for th := range pts {
					pts[th] = (int64(th*37+gi*53) % 101) * g.Ballots * scale / 100
				}
				tally.Points[g.Group] = pts
			}
			rep := polls.ComputeReport(p, tally, groups)
			var b bytes.Buffer
			if err := chart.PNG(&b, rep, groups); err != nil {
				t.Fatal(err)
			}
			if _, err := png.Decode(bytes.NewReader(b.Bytes())); err != nil {
				t.Fatal(err)
			}
			if *outDir != "" {
				if err := os.WriteFile(filepath.Join(*outDir, "chart-"+c.name+".png"), b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
