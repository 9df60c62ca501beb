package bot

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

func TestParseReminders(t *testing.T) {
	h, d := time.Hour, 24*time.Hour
	for _, c := range []struct {
		in      string
		want    []time.Duration
		problem string
	}{
		{"24h,1h", []time.Duration{d, h}, ""},
		{"1h, 24h", []time.Duration{d, h}, ""},
		{"1h 1d", []time.Duration{d, h}, ""},
		{"1h;90m", []time.Duration{90 * time.Minute, h}, ""},
		{"2d,1d,12h,1h,1m", []time.Duration{2 * d, d, 12 * h, h, time.Minute}, ""},
		{"none", []time.Duration{}, ""},
		{"Off", []time.Duration{}, ""},
		{"", nil, "--remind needs durations before the deadline"},
		{" , ", nil, "--remind needs durations before the deadline"},
		{"1h,1h", nil, "--remind lists 1h twice"},
		{"1d,24h", nil, "--remind lists 1d twice"},
		{"59s", nil, "a reminder comes at least a minute before the deadline"},
		{"1h,2h,3h,4h,5h,6h", nil, "at most 5 reminders, not 6"},
		{"1h,soon", nil, `--remind: "soon" is not a duration`},
		{"400d", nil, "longer than 366 days"},
		{"none,1h", nil, `--remind: "none" is not a duration`},
	} {
		got, err := ParseReminders(c.in)
		var ue *UsageError
		switch {
		case c.problem == "" && (err != nil || !reflect.DeepEqual(got, c.want)):
			t.Errorf("ParseReminders(%q) = %v, %v; want %v", c.in, got, err, c.want)
		case c.problem != "" && (!errors.As(err, &ue) || !strings.Contains(english(ue.Problem), c.problem)):
			t.Errorf("ParseReminders(%q) = %v, %v; want a problem with %q", c.in, got, err, c.problem)
		}
	}
}

// TestRemindRoundTrips: --remind is written back as it is read, and the
// command reads back the same.
func TestRemindRoundTrips(t *testing.T) {
	for in, want := range map[string]string{
		`open "T" "A" --closes 2d --remind 24h,1h`:    `open "T" "A" --closes 2d --remind 1d,1h`,
		`preset igf-main-themes --remind="1h 30m"`:    `preset igf-main-themes --remind 1h,30m`,
		`open "T" "A" --remind none`:                  `open "T" "A" --remind none`,
		`open "T" "A" —remind 90m`:                    `open "T" "A" --remind 1h30m`,
		`open "T" "A" --remind 1h --remind 2h`:        "",
		`remind k7qx`:                                 `remind K7QX`,
		`remind`:                                      "",
		`remind K7QX now`:                             "",
		`open "T" "A" --closes 2d --remind 1.5h,25m`:  `open "T" "A" --closes 2d --remind 1h30m,25m`,
		`open "T" "A" --closes 2d --remind "1h, 25m"`: `open "T" "A" --closes 2d --remind 1h,25m`,
	} {
		cmd, err := Parse(in)
		if want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %v, want an error", in, cmd)
			}
			continue
		}
		if err != nil || cmd.String() != want {
			t.Errorf("Parse(%q) = %v, %v; want %q", in, cmd, err, want)
			continue
		}
		if again, err := Parse(cmd.String()); err != nil || !reflect.DeepEqual(again, cmd) {
			t.Errorf("Parse(%q) = %#v, %v; want %#v", cmd.String(), again, err, cmd)
		}
	}
}

// FuzzReminders checks ParseReminders on arbitrary text: it never
// panics, fails only with a *UsageError naming a problem, and what it
// accepts is at most polls.MaxReminders distinct whole seconds of at least
// a minute and at most 366 days, longest first, that formatReminders
// writes as text ParseReminders reads back the same (none included), and
// that the domain's validation accepts.
//
//	go test -run '^$' -fuzz=FuzzReminders -fuzztime=1m ./bot
func FuzzReminders(f *testing.F) {
	for _, s := range []string{"24h,1h", "1h 1d", "none", "", "1h,1h", "59s", "1.5h;30m", "1w,2d,1d,12h,1h", "7h,6h,5h,4h,3h,2h", "400d", "0h", "+1h", ",,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ds, err := ParseReminders(s)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) || ue.Problem.IsZero() {
				t.Fatalf("ParseReminders(%q): %v, want a *UsageError with a problem", s, err)
			}
			return
		}
		if ds == nil || len(ds) > polls.MaxReminders {
			t.Fatalf("ParseReminders(%q) = %#v", s, ds)
		}
		for i, d := range ds {
			if d < polls.MinRemindBefore || d > maxDuration || d%time.Second != 0 || i > 0 && d >= ds[i-1] {
				t.Fatalf("ParseReminders(%q) = %v: %v out of range or order", s, ds, d)
			}
		}
		text := formatReminders(ds)
		again, err := ParseReminders(text)
		if err != nil || !slices.Equal(again, ds) || (len(ds) == 0) != (again != nil && len(again) == 0) {
			t.Fatalf("ParseReminders(%q) = %v, but ParseReminders(%q) = %v, %v", s, ds, text, again, err)
		}
		p := &polls.Poll{Title: "T", Themes: []polls.Theme{{Label: "A"}}, Options: polls.Options{Remind: ds}}
		p.Normalize()
		if err := p.Validate(); err != nil {
			t.Fatalf("ParseReminders(%q) = %v, which the domain refuses: %v", s, ds, err)
		}
	})
}
