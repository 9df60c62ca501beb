package bot

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// Metrics receives what the engine measures. It is called on every vote and
// command, so implementations must be cheap and safe for concurrent use.
// internal/metrics implements it with Prometheus; the default discards.
type Metrics interface {
	// Vote records one vote's outcome on a platform: OutcomeCast,
	// OutcomeHeld, or the reason it was refused (see VoteOutcome).
	Vote(platform, outcome string)
	// Command records how long the engine took to answer a command or a
	// click ("open", "vote", "click:vote", "invalid", ...), and whether the
	// answer was an error.
	Command(platform, command string, d time.Duration, failed bool)
}

// WithMetrics sets where the engine reports votes and command latencies.
func WithMetrics(m Metrics) EngineOption { return func(e *Engine) { e.metrics = m } }

type discardMetrics struct{}

func (discardMetrics) Vote(string, string)                         {}
func (discardMetrics) Command(string, string, time.Duration, bool) {}

// Vote outcomes that are not refusals.
const (
	OutcomeCast = "cast" // stored and counted
	OutcomeHeld = "held" // kept until the voter picks a group
)

// voteReasons name refusals in metrics: a bounded set of label values, so a
// dashboard can tell a closed poll from a store outage.
var voteReasons = []struct {
	err    error
	reason string
}{
	{polls.ErrNotFound, "unknown_poll"},
	{polls.ErrClosed, "closed"},
	{polls.ErrCancelled, "cancelled"},
	{polls.ErrPastDeadline, "past_deadline"},
	{polls.ErrNotOpen, "closed"},
	{polls.ErrUnknownTheme, "unknown_theme"},
	{polls.ErrTooManyChoices, "too_many_choices"},
	{polls.ErrRepeatedChoice, "invalid_ballot"},
	{polls.ErrNoChoices, "invalid_ballot"},
	{polls.ErrInvalidOption, "invalid_ballot"},
	{polls.ErrUnknownGroup, "unknown_group"},
	{ErrBadAction, "bad_action"},
	{ErrForbidden, "forbidden"},
}

// VoteOutcome names the outcome of a vote that returned err: OutcomeCast
// for nil, a refusal reason for the domain's errors, "timeout" when the
// request ran out of time and "store_error" for anything else.
func VoteOutcome(err error) string {
	if err == nil {
		return OutcomeCast
	}
	var ue *UsageError
	if errors.As(err, &ue) {
		return "invalid_ballot"
	}
	for _, r := range voteReasons {
		if errors.Is(err, r.err) {
			return r.reason
		}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return "timeout"
	}
	return "store_error"
}

// platformOf is the metrics label of a request's platform.
func platformOf(req Request) string {
	if req.Platform != "" {
		return req.Platform
	}
	p, _, _ := strings.Cut(req.Tenant, ":")
	return p
}

// countVote reports a vote's outcome: held when res says so, else by err.
func (e *Engine) countVote(req Request, res polls.CastResult, err error) {
	outcome := VoteOutcome(err)
	if err == nil && res.Held {
		outcome = OutcomeHeld
	}
	e.metrics.Vote(platformOf(req), outcome)
}

// timeCommand reports a command's latency when the returned func runs.
func (e *Engine) timeCommand(req Request, name string) func(resp *Response) {
	start := time.Now()
	return func(resp *Response) {
		e.metrics.Command(platformOf(req), name, time.Since(start), resp.Err != nil)
	}
}
