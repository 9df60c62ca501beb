package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
)

// report is everything a run measured; -json prints it as is.
type report struct {
	Target     string            `json:"target"`
	Redis      string            `json:"redis,omitempty"`
	Started    bool              `json:"started"` // -start: pollbench ran pollbot, Redis and the sink
	Clients    int               `json:"clients"`
	Count      int64             `json:"count,omitempty"`
	Duration   string            `json:"duration,omitempty"`
	Rounds     int               `json:"rounds"`
	Rate       float64           `json:"rate,omitempty"` // open loop: clicks offered per second
	MaxDrainMs float64           `json:"max_drain_ms"`
	Users      int               `json:"users"`
	Themes     int               `json:"themes"`
	Notes      []string          `json:"notes,omitempty"`
	Platforms  []*platformReport `json:"platforms"`
	Ceiling    *ceilingReport    `json:"redis_ceiling,omitempty"`
}

type platformReport struct {
	Platform      string          `json:"platform"`
	Tenant        string          `json:"tenant"`
	Poll          string          `json:"poll"`                     // pollbot's
	ReferencePoll string          `json:"reference_poll,omitempty"` // the reference server's
	Servers       []*serverReport `json:"servers"`                  // verify-only, reference, pollbot
	Ratios        *ratios         `json:"ratios,omitempty"`
}

// ratios compare the servers of one platform, measured in the same
// interleaved rounds. Throughput ratios are of closed-loop runs only: at a
// fixed offered rate every server that keeps up does the same votes/s.
type ratios struct {
	PollbotOverReference float64   `json:"pollbot_over_reference,omitempty"`        // votes/s
	RoundsPollbot        []float64 `json:"pollbot_over_reference_rounds,omitempty"` // the same, round by round
	ReferenceOverVerify  float64   `json:"reference_over_verify,omitempty"`
	PollbotOverVerify    float64   `json:"pollbot_over_verify,omitempty"`
	ServerCPU            float64   `json:"server_cpu_pollbot_over_reference,omitempty"` // CPU per vote
	RedisCPU             float64   `json:"redis_cpu_pollbot_over_reference,omitempty"`
	RedisMemory          float64   `json:"redis_memory_pollbot_over_reference,omitempty"` // bytes per ballot
}

// serverReport is what one server's rounds measured together.
type serverReport struct {
	Server      string    `json:"server"`
	Requests    int64     `json:"requests"`
	OK          int64     `json:"ok"`
	Seconds     float64   `json:"seconds"`
	PerSec      float64   `json:"per_sec"`
	RoundPerSec []float64 `json:"round_per_sec"`
	// Acknowledgement latency: from when a click was due (sent, in
	// closed loop; its scheduled time, open loop) to its answer.
	AckP50ms float64 `json:"ack_p50_ms"`
	AckP95ms float64 `json:"ack_p95_ms"`
	AckP99ms float64 `json:"ack_p99_ms"`
	AckMaxMs float64 `json:"ack_max_ms"`
	// LateP99ms is, open loop, how late the generator sent the clicks:
	// near 0 while it keeps the schedule.
	LateP99ms     float64        `json:"late_p99_ms,omitempty"`
	Confirmations *confirmReport `json:"confirmations,omitempty"`
	// CPUPerVoteUs is CPU time per successful request, in microseconds,
	// of "server" (its own process), "redis" and "pollbench" (generator
	// and sink), over its rounds and their drains.
	CPUPerVoteUs map[string]float64 `json:"cpu_us_per_vote,omitempty"`
	// CPUCores is the same as cores busy over its rounds.
	CPUCores map[string]float64 `json:"cpu_cores,omitempty"`
	// RedisBytesPerBallot is the memory pass: the data Redis holds grew by
	// so much per ballot when every voter clicked once in a fresh poll.
	RedisBytesPerBallot float64           `json:"redis_bytes_per_ballot,omitempty"`
	MemoryBallots       int64             `json:"memory_ballots,omitempty"`
	TallyChecked        bool              `json:"tally_checked,omitempty"` // the tally in Redis equals what the acknowledged clicks imply
	APICalls            map[string]int64  `json:"api_calls,omitempty"`     // calls to the platform's API at the sink during its rounds
	Errors              map[string]int64  `json:"errors"`
	ErrorSamples        map[string]string `json:"error_samples,omitempty"` // one message of each kind
	Problems            []string          `json:"problems,omitempty"`
}

// confirmReport is how the confirmations of a server's votes went.
type confirmReport struct {
	Acknowledged int64 `json:"acknowledged"`
	Confirmed    int64 `json:"confirmed"`
	// Refused counts acknowledged clicks whose confirmation confirmed no
	// ballot (Slack acknowledges every click with 200; a vote the server
	// then could not record is told in the confirmation), Refusal the text
	// of the last.
	Refused int64  `json:"refused,omitempty"`
	Refusal string `json:"refusal,omitempty"`
	// Lag: from when a click was due until its confirmation reached the
	// sink.
	P50ms   float64        `json:"p50_ms"`
	P99ms   float64        `json:"p99_ms"`
	MaxMs   float64        `json:"max_ms"`
	Backlog backlogVerdict `json:"backlog"`
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

// aggregate sums a server's rounds.
type aggregate struct {
	ops, ok          int64
	elapsed          time.Duration
	lat, late, lags  loadgen.Histogram
	open             bool
	errors           map[string]int64
	errorSamples     map[string]string
	cpu              map[string]time.Duration
	acked, confirmed int64
	refused          int64
	refusal          string
	backlog          []roundBacklog
	perSec           []float64
	calls            map[string]int64
	memBallots       int64
	memBytes         int64
	tallyChecked     bool
	problems         []string
}

func (a *aggregate) add(r *roundResult) {
	if a.errors == nil {
		a.errors, a.cpu, a.calls = map[string]int64{}, map[string]time.Duration{}, map[string]int64{}
		a.errorSamples = map[string]string{}
	}
	a.ops += r.run.Ops
	a.ok += r.run.OK
	a.elapsed += r.run.Elapsed
	a.lat.Merge(r.run.Latency)
	a.late.Merge(r.run.Late)
	a.open = a.open || r.run.Late != nil
	a.lags.Merge(r.lags)
	for k, v := range r.run.Errors {
		a.errors[k] += v
	}
	for k, v := range r.run.ErrorSamples {
		if _, ok := a.errorSamples[k]; !ok {
			a.errorSamples[k] = v
		}
	}
	if r.refused > 0 {
		a.refused += r.refused
		a.refusal = r.refusal
	}
	for k, v := range r.cpu {
		a.cpu[k] += v
	}
	for k, v := range r.calls {
		a.calls[k] += v
	}
	a.acked += r.acked
	a.confirmed += r.confirmed
	a.backlog = append(a.backlog, r.backlog)
	a.perSec = append(a.perSec, r.run.PerSec)
}

func (s *server) report(cfg *config) *serverReport {
	a := &s.agg
	r := &serverReport{
		Server: s.name, Requests: a.ops, OK: a.ok, Seconds: a.elapsed.Seconds(), RoundPerSec: a.perSec,
		AckP50ms: ms(a.lat.Quantile(0.50)), AckP95ms: ms(a.lat.Quantile(0.95)), AckP99ms: ms(a.lat.Quantile(0.99)), AckMaxMs: ms(a.lat.Max()),
		Errors: a.errors, Problems: a.problems, TallyChecked: a.tallyChecked,
	}
	if len(a.errorSamples) > 0 {
		r.ErrorSamples = a.errorSamples
	}
	if r.Errors == nil {
		r.Errors = map[string]int64{}
	}
	if a.elapsed > 0 {
		r.PerSec = float64(a.ok) / a.elapsed.Seconds()
	}
	if a.open {
		r.LateP99ms = ms(a.late.Quantile(0.99))
	}
	if s.confirms {
		r.Confirmations = &confirmReport{
			Acknowledged: a.acked, Confirmed: a.confirmed, Refused: a.refused, Refusal: a.refusal,
			P50ms: ms(a.lags.Quantile(0.50)), P99ms: ms(a.lags.Quantile(0.99)), MaxMs: ms(a.lags.Max()),
			Backlog: judge(a.backlog, cfg.MaxDrain),
		}
	}
	if a.ok > 0 && len(a.cpu) > 0 {
		r.CPUPerVoteUs, r.CPUCores = map[string]float64{}, map[string]float64{}
		for name, d := range a.cpu {
			key := name
			if name == s.name {
				key = "server"
			}
			r.CPUPerVoteUs[key] = float64(d.Microseconds()) / float64(a.ok)
			if a.elapsed > 0 {
				r.CPUCores[key] = d.Seconds() / a.elapsed.Seconds()
			}
		}
	}
	if a.memBallots > 0 {
		r.RedisBytesPerBallot = float64(a.memBytes) / float64(a.memBallots)
		r.MemoryBallots = a.memBallots
	}
	if len(a.calls) > 0 {
		r.APICalls = a.calls
	}
	return r
}

func (p *platformReport) server(name string) *serverReport {
	for _, s := range p.Servers {
		if s.Server == name {
			return s
		}
	}
	return nil
}

// ratios fills p.Ratios from its servers.
func (p *platformReport) ratios() {
	v, ref, pb := p.server(nameVerify), p.server(nameReference), p.server(namePollbot)
	div := func(a, b float64) float64 {
		if b <= 0 || a <= 0 {
			return 0
		}
		return a / b
	}
	r := &ratios{}
	closed := pb != nil && pb.LateP99ms == 0 && pb.Confirmations != nil
	if closed && v != nil {
		r.PollbotOverVerify = div(pb.PerSec, v.PerSec)
	}
	if ref != nil && pb != nil {
		if closed {
			r.PollbotOverReference = div(pb.PerSec, ref.PerSec)
			r.ReferenceOverVerify = div(ref.PerSec, v.PerSec)
			for i := range min(len(pb.RoundPerSec), len(ref.RoundPerSec)) {
				r.RoundsPollbot = append(r.RoundsPollbot, div(pb.RoundPerSec[i], ref.RoundPerSec[i]))
			}
		}
		r.ServerCPU = div(pb.CPUPerVoteUs["server"], ref.CPUPerVoteUs["server"])
		r.RedisCPU = div(pb.CPUPerVoteUs["redis"], ref.CPUPerVoteUs["redis"])
		r.RedisMemory = div(pb.RedisBytesPerBallot, ref.RedisBytesPerBallot)
	}
	p.Ratios = r
}

// verdict is nil when every request succeeded, every acknowledged vote
// was confirmed without deliveries falling behind, and every check passed.
func (r *report) verdict() error {
	var bad []string
	for _, p := range r.Platforms {
		for _, s := range p.Servers {
			name := p.Platform + " " + s.Server
			if s.OK != s.Requests {
				bad = append(bad, fmt.Sprintf("%s: %d of %d requests failed", name, s.Requests-s.OK, s.Requests))
			}
			if c := s.Confirmations; c != nil {
				if c.Confirmed != c.Acknowledged {
					bad = append(bad, fmt.Sprintf("%s: %d confirmations for %d acknowledged votes", name, c.Confirmed, c.Acknowledged))
				}
				if c.Refused > 0 {
					bad = append(bad, fmt.Sprintf("%s: %d acknowledged clicks were refused in their confirmation (the last: %q)", name, c.Refused, c.Refusal))
				}
				if c.Backlog.Behind {
					bad = append(bad, fmt.Sprintf("%s: deliveries fell behind acknowledgements: %s", name, c.Backlog.Why))
				}
			}
			for _, pr := range s.Problems {
				bad = append(bad, name+": "+pr)
			}
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
	mode := fmt.Sprintf("closed loop, %d clients", r.Clients)
	if r.Rate > 0 {
		mode = fmt.Sprintf("open loop at %s clicks/s offered, at most %d in flight", number(r.Rate), r.Clients)
	}
	fmt.Fprintf(&b, "pollbench: %s · %s per server in %d interleaved rounds · %d voters in %d groups · %d themes\n", mode, length, r.Rounds, r.Users, len(groups), r.Themes)
	fmt.Fprintf(&b, "  pollbot %s", r.Target)
	if r.Redis != "" {
		fmt.Fprintf(&b, " · Redis %s", r.Redis)
	}
	b.WriteString("\n")
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	for _, p := range r.Platforms {
		p.write(&b, r)
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

func (p *platformReport) write(b *strings.Builder, r *report) {
	fmt.Fprintf(b, "\n%s (tenant %s · pollbot poll %s", p.Platform, p.Tenant, p.Poll)
	if p.ReferencePoll != "" {
		fmt.Fprintf(b, " · reference poll %s", p.ReferencePoll)
	}
	b.WriteString(")\n")
	late := r.Rate > 0
	head := fmt.Sprintf("  %-12s %9s %9s %9s %9s %9s", "", "votes/s", "ack p50", "ack p99", "conf p50", "conf p99")
	if late {
		head += fmt.Sprintf(" %9s", "late p99")
	}
	head += fmt.Sprintf("  %s\n", "CPU µs/vote: server · Redis · pollbench   Redis B/ballot")
	b.WriteString(head)
	for _, s := range p.Servers {
		confP50, confP99 := "—", "—"
		if c := s.Confirmations; c != nil && c.Confirmed > 0 {
			confP50, confP99 = msText(c.P50ms), msText(c.P99ms)
		}
		fmt.Fprintf(b, "  %-12s %9s %9s %9s %9s %9s", s.Server, number(s.PerSec), msText(s.AckP50ms), msText(s.AckP99ms), confP50, confP99)
		if late {
			fmt.Fprintf(b, " %9s", msText(s.LateP99ms))
		}
		cpu := func(k string) string {
			if v, ok := s.CPUPerVoteUs[k]; ok {
				return fmt.Sprintf("%.0f", v)
			}
			return "—"
		}
		mem := "—"
		if s.RedisBytesPerBallot > 0 {
			mem = fmt.Sprintf("%.0f", s.RedisBytesPerBallot)
		}
		fmt.Fprintf(b, "  %24s · %5s · %9s   %14s\n", cpu("server"), cpu("redis"), cpu("pollbench"), mem)
	}
	if q := p.Ratios; q != nil {
		var parts []string
		if q.PollbotOverReference > 0 {
			part := fmt.Sprintf("pollbot ÷ reference %.2f", q.PollbotOverReference)
			if len(q.RoundsPollbot) > 1 {
				part += fmt.Sprintf(" (rounds %.2f–%.2f)", slices.Min(q.RoundsPollbot), slices.Max(q.RoundsPollbot))
			}
			parts = append(parts, part)
		}
		if q.ReferenceOverVerify > 0 {
			parts = append(parts, fmt.Sprintf("reference ÷ verify-only %.2f", q.ReferenceOverVerify))
		}
		if q.PollbotOverVerify > 0 {
			parts = append(parts, fmt.Sprintf("pollbot ÷ verify-only %.2f", q.PollbotOverVerify))
		}
		if len(parts) > 0 {
			fmt.Fprintf(b, "  votes/s      %s\n", strings.Join(parts, " · "))
		}
		parts = parts[:0]
		for _, x := range []struct {
			what string
			v    float64
		}{{"server CPU/vote", q.ServerCPU}, {"Redis CPU/vote", q.RedisCPU}, {"Redis memory/ballot", q.RedisMemory}} {
			if x.v > 0 {
				parts = append(parts, fmt.Sprintf("%s %.2f×", x.what, x.v))
			}
		}
		if len(parts) > 0 {
			fmt.Fprintf(b, "  pollbot ÷ reference: %s\n", strings.Join(parts, " · "))
		}
	}
	for _, s := range p.Servers {
		c := s.Confirmations
		if c == nil {
			continue
		}
		fmt.Fprintf(b, "  %-12s confirmed %s of %s acknowledged votes", s.Server, number(float64(c.Confirmed)), number(float64(c.Acknowledged)))
		if s.TallyChecked {
			b.WriteString("; the tally in Redis matches the clicks")
		}
		b.WriteString("\n")
		bl := c.Backlog
		if bl.Behind {
			fmt.Fprintf(b, "  %-12s BACKLOG: deliveries fell behind: %s\n", "", bl.Why)
		} else {
			fmt.Fprintf(b, "  %-12s deliveries keep up: at most %d votes unconfirmed, drained within %s of the last acknowledgement (bound %s)\n",
				"", bl.Peak, msText(bl.MaxDrainMs), msText(r.MaxDrainMs))
		}
		if len(s.APICalls) > 0 {
			fmt.Fprintf(b, "  %-12s API calls: %s\n", "", callsLine(s.APICalls))
		}
	}
	for _, s := range p.Servers {
		if r.Rate > 0 && (s.PerSec < 0.95*r.Rate || s.LateP99ms > 10) {
			fmt.Fprintf(b, "  %-12s behind the schedule: %s of %s clicks/s answered; clicks went out up to %s late (p99), at most %d in flight\n",
				s.Server, number(s.PerSec), number(r.Rate), msText(s.LateP99ms), r.Clients)
		}
	}
	for _, s := range p.Servers {
		if len(s.Errors) > 0 {
			fmt.Fprintf(b, "  %-12s ERRORS %s\n", s.Server, errorsLine(s.Errors))
			for _, k := range slices.Sorted(maps.Keys(s.ErrorSamples)) {
				fmt.Fprintf(b, "  %-12s   e.g. %s\n", "", s.ErrorSamples[k])
			}
		}
		if c := s.Confirmations; c != nil && c.Refused > 0 {
			fmt.Fprintf(b, "  %-12s REFUSED %s acknowledged clicks in their confirmation, the last: %q\n", s.Server, number(float64(c.Refused)), c.Refusal)
		}
		for _, pr := range s.Problems {
			fmt.Fprintf(b, "  %-12s PROBLEM %s\n", s.Server, pr)
		}
	}
}

func msText(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.2f ms", v)
}

// number formats a count with thousands separators.
func number(v float64) string {
	s := fmt.Sprintf("%.0f", v)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (l *benchLine) line() string {
	return fmt.Sprintf("%9.0f req/s    p50 %6.2f ms  p95 %6.2f ms  p99 %6.2f ms  max %7.2f ms", l.PerSec, l.P50ms, l.P95ms, l.P99ms, l.MaxMs)
}

func errorsLine(errs map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, errs[k]))
	}
	return strings.Join(parts, ", ")
}

func callsLine(calls map[string]int64) string {
	var parts []string
	for _, n := range slices.Sorted(maps.Keys(calls)) {
		parts = append(parts, fmt.Sprintf("%s %d", n, calls[n]))
	}
	return strings.Join(parts, " · ")
}
