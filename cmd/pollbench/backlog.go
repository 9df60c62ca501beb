package main

import (
	"fmt"
	"strings"
	"time"
)

// Whether deliveries keep up with acknowledgements.
//
// A server confirms a vote after acknowledging it, so at any moment some
// acknowledged votes are not confirmed yet. For a server whose deliveries
// keep up, that count (the backlog) hovers around the acknowledgement rate
// times the confirmation lag (Little's law) and the last confirmations
// arrive soon after the last acknowledgement. A server whose deliveries
// fall behind accumulates them: the backlog grows through the round, and
// takes long to drain once the clicks stop. pollbench counts the backlog
// at the end of every backlogWindow of each round, and after the round
// until it drains, and judges:
//
//   - A round's backlog grows when the least-squares line through its
//     counts (leaving out the first tenth of the round, where the count
//     rises from zero as the load starts) climbs by at least growthPerSec
//     of the round's acknowledgement rate per second (the backlog, in
//     seconds of acknowledgements, grows by 5% of the time that passes),
//     and by at least minRise in all: 50 ms of acknowledgements, and no
//     fewer than 20 votes. A round needs minWindows counts for a trend.
//   - A round drains too slowly when its last confirmation arrives more
//     than the drain bound (-max-drain) after its last acknowledgement.
//
// A server falls behind when any of its rounds drained too slowly, or
// when most of its rounds grew: one round that grows may be a burst of
// noise from the shared machine, most rounds are a trend.
const (
	backlogWindow = 50 * time.Millisecond
	growthPerSec  = 0.05
	minRiseTime   = 50 * time.Millisecond
	minRiseVotes  = 20
	minWindows    = 5
)

// backlogSample is one count: at, since the round started, so many votes
// acknowledged and so many confirmed.
type backlogSample struct {
	At        time.Duration
	Acked     int64
	Confirmed int64
}

func (s backlogSample) outstanding() int64 { return s.Acked - s.Confirmed }

// roundBacklog is the judgement of one round.
type roundBacklog struct {
	Windows   int           // counts the trend was fitted to
	Slope     float64       // votes per second the backlog grew by (fitted)
	Rise      float64       // votes the fitted line rose by over the round
	Peak      int64         // the largest count, during the round or its drain
	Drain     time.Duration // last acknowledgement to last confirmation
	Drained   bool          // every acknowledged vote was confirmed
	Grew      bool
	SlowDrain bool
}

// judgeRound judges a round's counts, taken during the load (samples),
// given its acknowledgement rate and how its drain went.
func judgeRound(samples []backlogSample, ackRate float64, drain time.Duration, drained bool, maxDrain time.Duration) roundBacklog {
	r := roundBacklog{Drain: drain, Drained: drained, SlowDrain: !drained || drain > maxDrain}
	for _, s := range samples {
		r.Peak = max(r.Peak, s.outstanding())
	}
	if len(samples) == 0 {
		return r
	}
	skip := samples[len(samples)-1].At / 10
	var fit []backlogSample
	for _, s := range samples {
		if s.At >= skip {
			fit = append(fit, s)
		}
	}
	r.Windows = len(fit)
	if len(fit) < minWindows {
		return r
	}
	r.Slope = slope(fit)
	r.Rise = r.Slope * (fit[len(fit)-1].At - fit[0].At).Seconds()
	minRise := max(float64(minRiseVotes), ackRate*minRiseTime.Seconds())
	r.Grew = ackRate > 0 && r.Slope >= growthPerSec*ackRate && r.Rise >= minRise
	return r
}

// slope is the least-squares slope of the outstanding counts over time,
// per second.
func slope(s []backlogSample) float64 {
	n := float64(len(s))
	var sx, sy, sxx, sxy float64
	for _, p := range s {
		x, y := p.At.Seconds(), float64(p.outstanding())
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

// backlogVerdict is the judgement of one server over all its rounds.
type backlogVerdict struct {
	Rounds     int           `json:"rounds"`
	Grew       int           `json:"rounds_growing"`
	SlowDrains int           `json:"rounds_draining_slowly"`
	Peak       int64         `json:"peak"` // the largest backlog seen, in votes
	MaxDrain   time.Duration `json:"-"`    // the slowest drain
	MaxDrainMs float64       `json:"max_drain_ms"`
	Behind     bool          `json:"behind"`
	Why        string        `json:"why,omitempty"`
}

// judge judges a server from its rounds.
func judge(rounds []roundBacklog, maxDrain time.Duration) backlogVerdict {
	v := backlogVerdict{Rounds: len(rounds)}
	undrained := 0
	var worst roundBacklog
	for _, r := range rounds {
		v.Peak = max(v.Peak, r.Peak)
		v.MaxDrain = max(v.MaxDrain, r.Drain)
		if r.Grew {
			v.Grew++
			if r.Slope > worst.Slope {
				worst = r
			}
		}
		if r.SlowDrain {
			v.SlowDrains++
		}
		if !r.Drained {
			undrained++
		}
	}
	v.MaxDrainMs = ms(v.MaxDrain)
	var why []string
	if 2*v.Grew > len(rounds) {
		why = append(why, fmt.Sprintf("the backlog of unconfirmed votes grew in %d of %d rounds (by up to %.0f votes/s, to %d)", v.Grew, len(rounds), worst.Slope, v.Peak))
	}
	switch {
	case undrained > 0:
		why = append(why, fmt.Sprintf("in %d of %d rounds some acknowledged votes were never confirmed (after waiting %v)", undrained, len(rounds), v.MaxDrain.Round(time.Millisecond)))
	case v.SlowDrains > 0:
		why = append(why, fmt.Sprintf("confirmations took up to %v after the last acknowledgement to catch up (bound %v), in %d of %d rounds",
			v.MaxDrain.Round(time.Millisecond), maxDrain, v.SlowDrains, len(rounds)))
	}
	v.Behind = len(why) > 0
	v.Why = strings.Join(why, "; ")
	return v
}
