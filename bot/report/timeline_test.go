package report_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// meeting is the timeline of a short meeting: two groups agree on one
// theme, split on another; the poll is closed and reopened.
func meeting(t *testing.T, anonymous bool) *polls.Timeline {
	t.Helper()
	p := &polls.Poll{ID: "K7QX", Tenant: "local", Title: "=Theme for 2027", Kind: polls.Approval, Status: polls.StatusOpen,
		Themes: []polls.Theme{{Label: "Collaboration"}, {Label: "-Privacy"}}, Options: polls.Options{Anonymous: anonymous},
		OpenedAt: time.Date(2026, 5, 12, 14, 0, 0, 0, time.UTC)}
	p.Normalize()
	b := polls.NewTimelineBuilder(p, nil)
	tally := polls.NewTally()
	at := p.OpenedAt
	n := 0
	add := func(e polls.Event) {
		n++
		e.Pos = fmt.Sprint(n)
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	cast := func(g polls.Group, choices ...int) {
		at = at.Add(4 * time.Minute)
		ballot := polls.NewBallot(p, "", g, choices, at)
		tally.Add(p, ballot, +1)
		d := polls.TallyBallotsField(g) + ":1"
		for _, c := range choices {
			d += "," + polls.TallyField(c, g) + ":1"
		}
		add(polls.Event{Kind: polls.EventCast, Group: g, Delta: d, At: at})
	}
	for range 3 {
		cast("government", 0, 1)
		cast("civil-society", 0)
	}
	add(polls.Event{Kind: polls.EventClose, At: at.Add(time.Minute)})
	reopen := at.Add(2 * time.Minute)
	deadline := reopen.Add(24 * time.Hour)
	add(polls.Event{Kind: polls.EventReopen, At: reopen, Deadline: deadline})
	tl, err := b.Finish(polls.LogTail{Tally: tally})
	if err != nil {
		t.Fatal(err)
	}
	return tl
}

func TestTimelineText(t *testing.T) {
	var buf bytes.Buffer
	if err := report.WriteTimeline(&buf, "text", meeting(t, false)); err != nil {
		t.Fatal(err)
	}
	// Under an hour: times to the second. Both groups reach the quorum
	// of 3 at the sixth ballot.
	want := `Timeline of poll K7QX, =Theme for 2027: 14:00:00 to 14:26:00 UTC, 8 events, 6 ballots.
Closed 14:25:00.
Reopened 14:26:00, to close Wed 13 May 14:26 UTC.

1. Collaboration: insufficient 14:00:00, emerging 14:24:00; score 0.80.
2. -Privacy: insufficient 14:00:00, divided 14:24:00; score 0.40.
`
	if got := buf.String(); got != want {
		t.Errorf("text:\n%s\nwant:\n%s", got, want)
	}
	buf.Reset()
	if err := report.WriteTimeline(&buf, "text", meeting(t, true)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "times are to the hour") || !strings.Contains(buf.String(), "insufficient 14:00, emerging 14:00") {
		t.Errorf("anonymous timeline:\n%s", buf.String())
	}
	if err := report.WriteTimeline(&buf, "yaml", meeting(t, false)); err == nil {
		t.Error("no error for an unknown format")
	}
}

func TestTimelineCSVAndJSON(t *testing.T) {
	tl := meeting(t, false)
	var buf bytes.Buffer
	if err := report.WriteTimeline(&buf, "csv", tl); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != "rank,theme,at,status,score" {
		t.Errorf("header %v", rows[0])
	}
	var privacy [][]string
	for _, r := range rows[1:] {
		if r[1] == "'-Privacy" { // escaped against formula injection
			privacy = append(privacy, r)
		}
	}
	if len(privacy) < 2 || privacy[0][3] != "insufficient" || privacy[len(privacy)-1][3] != "divided" {
		t.Errorf("-Privacy rows %v", privacy)
	}
	buf.Reset()
	if err := report.WriteTimeline(&buf, "json", tl); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"poll", "from", "start", "start_ballots", "end", "events", "ballots", "hour_times", "marks", "themes"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	buf.Reset()
	if err := report.WriteTimeline(&buf, "png", tl); err != nil || !bytes.HasPrefix(buf.Bytes(), []byte("\x89PNG")) {
		t.Errorf("png: %v", err)
	}
}
