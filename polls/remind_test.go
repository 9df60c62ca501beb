package polls

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReminderOptions(t *testing.T) {
	h, d := time.Hour, 24*time.Hour
	tests := []struct {
		name   string
		remind []time.Duration
		want   []time.Duration // after Normalize
		code   Code            // from Validate
	}{
		{"none", nil, nil, ""},
		{"longest first", []time.Duration{h, d, 30 * time.Minute}, []time.Duration{d, h, 30 * time.Minute}, ""},
		{"a minute", []time.Duration{time.Minute}, []time.Duration{time.Minute}, ""},
		{"the most", []time.Duration{1 * h, 2 * h, 3 * h, 4 * h, 5 * h}, []time.Duration{5 * h, 4 * h, 3 * h, 2 * h, 1 * h}, ""},
		{"too many", []time.Duration{1 * h, 2 * h, 3 * h, 4 * h, 5 * h, 6 * h}, nil, CodeRemindCount},
		{"under a minute", []time.Duration{59 * time.Second}, nil, CodeRemindRange},
		{"negative", []time.Duration{-h}, nil, CodeRemindRange},
		{"over a year", []time.Duration{MaxAhead + time.Second}, nil, CodeRemindRange},
		{"twice", []time.Duration{h, d, h}, nil, CodeRemindTwice},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := approvalPoll("A", "B")
			p.Remind = slices.Clone(tc.remind)
			p.Normalize()
			err := p.Validate()
			var de *Error
			switch {
			case tc.code == "" && err != nil:
				t.Fatalf("Validate: %v", err)
			case tc.code != "" && (!errors.As(err, &de) || de.Code != tc.code || !errors.Is(err, ErrInvalidOption)):
				t.Fatalf("Validate = %v, want %s", err, tc.code)
			case tc.code == "" && !slices.Equal(p.Remind, tc.want):
				t.Fatalf("Normalize: Remind %v, want %v", p.Remind, tc.want)
			}
		})
	}
}

func TestRemindersFit(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	p := approvalPoll("A")
	p.Remind = []time.Duration{24 * time.Hour, time.Hour}
	var de *Error
	if err := p.checkRemindersFit(now); !errors.As(err, &de) || de.Code != CodeRemindNoDeadline {
		t.Fatalf("without a deadline: %v, want %s", err, CodeRemindNoDeadline)
	}
	p.ClosesAt = now.Add(24 * time.Hour)
	err := p.checkRemindersFit(now)
	if !errors.As(err, &de) || de.Code != CodeRemindTooEarly || de.Params["Given"] != 24*time.Hour || de.Params["Left"] != 24*time.Hour {
		t.Fatalf("a 24h reminder 24h before the deadline: %v, want %s with Given and Left 24h", err, CodeRemindTooEarly)
	}
	p.ClosesAt = now.Add(24*time.Hour + time.Millisecond)
	if err := p.checkRemindersFit(now); err != nil {
		t.Fatalf("both fit: %v", err)
	}
	p.Remind = nil
	p.ClosesAt = time.Time{}
	if err := p.checkRemindersFit(now); err != nil {
		t.Fatalf("no reminders, no deadline: %v", err)
	}
}

func TestReminderTimes(t *testing.T) {
	closes := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	p := approvalPoll("A")
	p.ClosesAt = closes
	p.Remind = []time.Duration{48 * time.Hour, 24 * time.Hour, time.Hour}
	at := func(now time.Time) []time.Time { return p.ReminderTimes(now) }
	want := []time.Time{closes.Add(-48 * time.Hour), closes.Add(-24 * time.Hour), closes.Add(-time.Hour)}
	if got := at(closes.Add(-72 * time.Hour)); !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("three days before: %v, want %v", got, want)
	}
	// A reminder falling exactly now has passed: it is not posted late.
	if got := at(closes.Add(-24 * time.Hour)); !slices.EqualFunc(got, want[2:], time.Time.Equal) {
		t.Fatalf("at the 24h reminder: %v, want %v", got, want[2:])
	}
	if got := at(closes.Add(-time.Hour)); len(got) != 0 {
		t.Fatalf("at the last reminder: %v, want none", got)
	}
	p.Status = StatusClosed
	if got := at(closes.Add(-72 * time.Hour)); len(got) != 0 {
		t.Fatalf("closed poll: %v, want none", got)
	}
	p.Status, p.ClosesAt = StatusOpen, time.Time{}
	if got := at(closes.Add(-72 * time.Hour)); len(got) != 0 {
		t.Fatalf("no deadline: %v, want none", got)
	}
}

// TestRemindStoredCompatibly: a poll stored before reminders existed has
// none; the offsets round-trip through the stored JSON.
func TestRemindStoredCompatibly(t *testing.T) {
	var old Poll
	if err := json.Unmarshal([]byte(`{"id":"OLD1","title":"T","themes":[{"label":"A"}],"quorum":3,"threshold":0.5}`), &old); err != nil {
		t.Fatal(err)
	}
	if old.Remind != nil || old.ReminderTimes(time.Now()) != nil {
		t.Fatalf("stored poll without remind: %v", old.Remind)
	}
	data, err := json.Marshal(Poll{Options: Options{Remind: []time.Duration{24 * time.Hour, time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"remind":[86400000000000,60000000000]`) {
		t.Fatalf("remind missing from %s", data)
	}
	var back Poll
	if err := json.Unmarshal(data, &back); err != nil || !slices.Equal(back.Remind, []time.Duration{24 * time.Hour, time.Minute}) {
		t.Fatalf("round trip: %v, %v", back.Remind, err)
	}
	if data, _ := json.Marshal(Poll{}); strings.Contains(string(data), "remind") {
		t.Fatalf("a poll without reminders stores the key: %s", data)
	}
}

// TestNearEmerging: a divided (or low) theme is one step from emerging
// when its only qualifying group below the threshold needs at most the
// given number of supporting ballots; not when two groups are below, when
// the one below needs more, or for other statuses.
func TestNearEmerging(t *testing.T) {
	p := approvalPoll("One short", "Two below", "Far", "Emerging", "Low alone")
	p.MinGroups = 2
	// Quorum 3, threshold 0.5. gov 10 ballots, civ 10, tech 4.
	tally := tallyOf(p, map[Group]gc{
		gov:  {10, []int64{9, 2, 9, 9, 1}},
		civ:  {10, []int64{4, 2, 1, 8, 1}},
		tech: {4, []int64{3, 3, 4, 3, 1}},
	})
	r := ComputeReport(p, tally, nil)
	check := func(label string, ok bool, g Group, n int64) {
		t.Helper()
		th, _ := r.Theme(slices.IndexFunc(p.Themes, func(x Theme) bool { return x.Label == label }))
		got, gotOK := th.NearEmerging(3)
		if gotOK != ok || ok && (got.Group != g || *got.Needed != n) {
			t.Errorf("%s (%s, to_emerging %s): NearEmerging = %+v %v, want %s %d %v", label, th.Status, show(th.ToEmerging), got, gotOK, g, n, ok)
		}
	}
	check("One short", true, civ, 2) // civ 4/10: (4+2)/(10+2) = 1/2
	check("Two below", false, "", 0) // gov and civ both below
	check("Far", false, "", 0)       // civ 1/10 needs 8
	check("Emerging", false, "", 0)  // not divided
	check("Low alone", false, "", 0) // three groups below
	th, _ := r.Theme(2)
	if n, ok := th.NearEmerging(8); !ok || *n.Needed != 8 {
		t.Errorf("Far with a bound of 8: %+v %v", n, ok)
	}
}
