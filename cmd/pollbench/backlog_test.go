package main

import (
	"strings"
	"testing"
	"time"
)

// series makes the counts of a 2 s round at 5,000 votes/s, one per
// window, with outstanding(t) votes unconfirmed at t.
func series(outstanding func(t time.Duration) int64) []backlogSample {
	var s []backlogSample
	for at := backlogWindow; at <= 2*time.Second; at += backlogWindow {
		acked := int64(5000 * at.Seconds())
		s = append(s, backlogSample{At: at, Acked: acked, Confirmed: acked - outstanding(at)})
	}
	return s
}

func TestJudgeRound(t *testing.T) {
	const rate = 5000.0
	for _, tc := range []struct {
		name    string
		counts  func(time.Duration) int64
		drain   time.Duration
		drained bool
		grew    bool
		slow    bool
	}{
		// Little's law: 5,000/s × 2 ms, with jitter.
		{"steady", func(t time.Duration) int64 { return 10 + int64(t/backlogWindow)%7 }, 3 * time.Millisecond, true, false, false},
		// Deliveries at 90% of acknowledgements: 500 more a second.
		{"growing", func(t time.Duration) int64 { return int64(500 * t.Seconds()) }, 900 * time.Millisecond, true, true, false},
		// 1% of the rate: a trend, but too slow to matter.
		{"creeping", func(t time.Duration) int64 { return 10 + int64(50*t.Seconds()) }, 5 * time.Millisecond, true, false, false},
		// One burst of noise at the end of the round is not a trend.
		{"burst", func(t time.Duration) int64 {
			if t == 2*time.Second {
				return 2000
			}
			return 10
		}, 400 * time.Millisecond, true, false, false},
		// A backlog that grew early and then held is not growing at the end,
		// but still drained too slowly.
		{"slow drain", func(t time.Duration) int64 { return min(int64(100000*t.Seconds()), 8000) }, 1600 * time.Millisecond, true, false, true},
		{"never drained", func(time.Duration) int64 { return 10 }, 30 * time.Second, false, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := judgeRound(series(tc.counts), rate, tc.drain, tc.drained, time.Second)
			if r.Grew != tc.grew || r.SlowDrain != tc.slow {
				t.Errorf("grew %v (slope %.0f/s, rise %.0f over %d windows), slow drain %v; want %v, %v", r.Grew, r.Slope, r.Rise, r.Windows, r.SlowDrain, tc.grew, tc.slow)
			}
		})
	}
	// Too few windows for a trend: only the drain can tell.
	short := series(func(t time.Duration) int64 { return int64(5000 * t.Seconds()) })[:4]
	if r := judgeRound(short, rate, 10*time.Millisecond, true, time.Second); r.Grew || r.Windows >= minWindows {
		t.Errorf("a trend from %d windows: %+v", r.Windows, r)
	}
	if r := judgeRound(series(func(time.Duration) int64 { return 10 }), rate, 0, true, time.Second); r.Peak != 10 {
		t.Errorf("peak %d", r.Peak)
	}
}

func TestJudge(t *testing.T) {
	ok := roundBacklog{Drained: true, Peak: 12, Drain: 3 * time.Millisecond}
	grew := roundBacklog{Drained: true, Grew: true, Slope: 900, Peak: 1800, Drain: 400 * time.Millisecond}
	slow := roundBacklog{Drained: true, SlowDrain: true, Peak: 9000, Drain: 1800 * time.Millisecond}
	lost := roundBacklog{SlowDrain: true, Peak: 50, Drain: 30 * time.Second}
	for _, tc := range []struct {
		name   string
		rounds []roundBacklog
		behind bool
		why    string
	}{
		{"keeps up", []roundBacklog{ok, ok, ok}, false, ""},
		{"one noisy round", []roundBacklog{ok, grew, ok}, false, ""},
		{"most rounds grow", []roundBacklog{grew, ok, grew}, true, "grew in 2 of 3 rounds"},
		{"one slow drain", []roundBacklog{ok, ok, slow, ok}, true, "took up to 1.8s after the last acknowledgement to catch up (bound 1s), in 1 of 4 rounds"},
		{"never confirmed", []roundBacklog{ok, lost}, true, "never confirmed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := judge(tc.rounds, time.Second)
			if v.Behind != tc.behind || !strings.Contains(v.Why, tc.why) {
				t.Errorf("behind %v (%q), want %v (%q)", v.Behind, v.Why, tc.behind, tc.why)
			}
			if v.Rounds != len(tc.rounds) || v.Peak == 0 {
				t.Errorf("verdict %+v", v)
			}
		})
	}
}
