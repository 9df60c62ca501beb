package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
)

// report is everything a run measured; -json prints it as is.
type report struct {
	Target    string            `json:"target"`
	Redis     string            `json:"redis,omitempty"`
	Started   bool              `json:"started"` // -start: pollbench ran pollbot, Redis and the sink
	Clients   int               `json:"clients"`
	Count     int64             `json:"count,omitempty"`
	Duration  string            `json:"duration,omitempty"`
	Users     int               `json:"users"`
	Themes    int               `json:"themes"`
	Platforms []*platformReport `json:"platforms"`
	Ceiling   *ceilingReport    `json:"redis_ceiling,omitempty"`
}

type platformReport struct {
	Platform string     `json:"platform"`
	Tenant   string     `json:"tenant"`
	Poll     string     `json:"poll"`
	Votes    *runReport `json:"votes"`
	Baseline *runReport `json:"baseline"`
	// Ratio is votes/s over the baseline's requests/s.
	Ratio           float64 `json:"ratio"`
	ConfirmExpected int64   `json:"confirmations_expected"`
	Confirmed       int64   `json:"confirmations"`
	TallyChecked    bool    `json:"tally_checked"` // the tally in Redis equals what the acknowledged clicks imply
	// APICalls counts the calls pollbot made to this platform's API at
	// the sink during the votes (and until the last confirmation), by
	// endpoint.
	APICalls map[string]int64 `json:"api_calls,omitempty"`
	Problems []string         `json:"problems,omitempty"`
}

type runReport struct {
	Ops     int64              `json:"requests"`
	OK      int64              `json:"ok"`
	Seconds float64            `json:"seconds"`
	PerSec  float64            `json:"per_sec"`
	P50ms   float64            `json:"p50_ms"`
	P95ms   float64            `json:"p95_ms"`
	P99ms   float64            `json:"p99_ms"`
	MaxMs   float64            `json:"max_ms"`
	Errors  map[string]int64   `json:"errors"`
	CPU     map[string]float64 `json:"cpu_cores,omitempty"` // CPU time per process over the run's length
}

type ceilingReport struct {
	Skipped  string     `json:"skipped,omitempty"`
	Error    string     `json:"error,omitempty"`
	Clients  int        `json:"clients"`
	Requests int        `json:"requests"`
	Command  string     `json:"command,omitempty"`
	Toggle   *benchLine `json:"toggle_script,omitempty"`
	HSET     *benchLine `json:"hset,omitempty"`
	Ratio    float64    `json:"ratio,omitempty"`
}

type benchLine struct {
	PerSec float64 `json:"per_sec"`
	P50ms  float64 `json:"p50_ms"`
	P95ms  float64 `json:"p95_ms"`
	P99ms  float64 `json:"p99_ms"`
	MaxMs  float64 `json:"max_ms"`
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func newRunReport(r *loadgen.Result, cpu map[string]float64) *runReport {
	return &runReport{
		Ops: r.Ops, OK: r.OK, Seconds: r.Elapsed.Seconds(), PerSec: r.PerSec,
		P50ms: ms(r.P50), P95ms: ms(r.P95), P99ms: ms(r.P99), MaxMs: ms(r.Max),
		Errors: r.Errors, CPU: cpu,
	}
}

// verdict is nil when every request succeeded and every acknowledged vote
// was confirmed (and, where checked, tallied).
func (r *report) verdict() error {
	var bad []string
	for _, p := range r.Platforms {
		for _, run := range []struct {
			name string
			r    *runReport
		}{{"votes", p.Votes}, {"baseline", p.Baseline}} {
			if run.r != nil && run.r.OK != run.r.Ops {
				bad = append(bad, fmt.Sprintf("%s %s: %d of %d requests failed", p.Platform, run.name, run.r.Ops-run.r.OK, run.r.Ops))
			}
		}
		if p.Votes != nil && p.Confirmed != p.ConfirmExpected {
			bad = append(bad, fmt.Sprintf("%s: %d confirmations for %d acknowledged votes", p.Platform, p.Confirmed, p.ConfirmExpected))
		}
		for _, pr := range p.Problems {
			bad = append(bad, p.Platform+": "+pr)
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

func (r *report) write(w io.Writer, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	var b strings.Builder
	length := r.Duration
	if r.Count > 0 {
		length = fmt.Sprintf("%d clicks", r.Count)
		if r.Duration != "" && r.Duration != "0s" {
			length += " or " + r.Duration
		}
	}
	fmt.Fprintf(&b, "pollbench: %d clients · %s per run · %d voters in %d groups · %d themes · pollbot %s", r.Clients, length, r.Users, len(groups), r.Themes, r.Target)
	if r.Redis != "" {
		fmt.Fprintf(&b, " · Redis %s", r.Redis)
	}
	b.WriteString("\n")
	for _, p := range r.Platforms {
		fmt.Fprintf(&b, "\n%s (poll %s, tenant %s)\n", p.Platform, p.Poll, p.Tenant)
		if p.Votes != nil {
			fmt.Fprintf(&b, "  votes      %s\n", p.Votes.line("votes/s"))
		}
		if p.Baseline != nil {
			fmt.Fprintf(&b, "  baseline   %s   (verify-only)\n", p.Baseline.line("req/s"))
		}
		if p.Votes != nil && p.Baseline != nil {
			fmt.Fprintf(&b, "  ratio      %.1f%% of the baseline\n", 100*p.Ratio)
			via := "response_url posts"
			if p.Platform == string(loadgen.PlatformDiscord) {
				via = "interaction follow-ups"
			}
			fmt.Fprintf(&b, "  confirmed  %d of %d acknowledged votes (%s at the sink)", p.Confirmed, p.ConfirmExpected, via)
			if p.TallyChecked {
				b.WriteString("; the tally in Redis matches the clicks")
			}
			b.WriteString("\n")
			if len(p.APICalls) > 0 {
				fmt.Fprintf(&b, "  API calls  %s\n", callsLine(p.APICalls))
			}
			if len(p.Votes.CPU) > 0 {
				fmt.Fprintf(&b, "  CPU        %s (cores, during the votes)\n", cpuLine(p.Votes.CPU))
			}
		}
		for _, pr := range p.Problems {
			fmt.Fprintf(&b, "  PROBLEM    %s\n", pr)
		}
	}
	if c := r.Ceiling; c != nil {
		fmt.Fprintf(&b, "\nRedis ceiling (redis-benchmark, %d clients, %d requests each)\n", c.Clients, c.Requests)
		switch {
		case c.Skipped != "":
			fmt.Fprintf(&b, "  skipped: %s\n", c.Skipped)
		case c.Error != "":
			fmt.Fprintf(&b, "  failed: %s\n", c.Error)
		default:
			fmt.Fprintf(&b, "  toggle script  %s\n", c.Toggle.line())
			fmt.Fprintf(&b, "  HSET           %s\n", c.HSET.line())
			fmt.Fprintf(&b, "  ratio          %.1f%% of HSET\n", 100*c.Ratio)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *runReport) line(unit string) string {
	errs := "no errors"
	if len(r.Errors) > 0 {
		var parts []string
		for k, v := range r.Errors {
			parts = append(parts, fmt.Sprintf("%s ×%d", k, v))
		}
		slices.Sort(parts)
		errs = "ERRORS " + strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%9.0f %-7s  p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  max %7.2f ms  %d of %d ok in %.1fs, %s",
		r.PerSec, unit, r.P50ms, r.P95ms, r.P99ms, r.MaxMs, r.OK, r.Ops, r.Seconds, errs)
}

func (l *benchLine) line() string {
	return fmt.Sprintf("%9.0f req/s    p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  max %7.2f ms", l.PerSec, l.P50ms, l.P95ms, l.P99ms, l.MaxMs)
}

func cpuLine(cpu map[string]float64) string {
	names := make([]string, 0, len(cpu))
	for n := range cpu {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %.2f", n, cpu[n]))
	}
	return strings.Join(parts, " · ")
}

func callsLine(calls map[string]int64) string {
	names := make([]string, 0, len(calls))
	for n := range calls {
		names = append(names, n)
	}
	slices.Sort(names)
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s %d", n, calls[n]))
	}
	return strings.Join(parts, " · ")
}
