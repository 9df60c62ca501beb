package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/polls"
)

// pollJSON is one entry of `pollbot list --format json`, a documented
// external shape.
type pollJSON struct {
	ID       string       `json:"id"`
	Tenant   string       `json:"tenant"`
	Title    string       `json:"title"`
	Kind     polls.Kind   `json:"kind"`
	Status   polls.Status `json:"status"`
	OpenedAt time.Time    `json:"opened_at"`
	ClosesAt *time.Time   `json:"closes_at"`
	ClosedAt *time.Time   `json:"closed_at"`
	Ballots  int64        `json:"ballots"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func runList(ctx context.Context, args []string, e env) error {
	fs := newFlags("list", "[-format text|json] [-status open|closed|cancelled|all]", e, "Lists the polls of a tenant, newest first.")
	fs.tenantFlag()
	format := fs.String("format", "text", "output `format`: text or json")
	status := fs.String("status", "all", "which polls: open, closed, cancelled or all")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("-format: %q is not text or json", *format)
	}
	var st polls.Status
	switch *status {
	case "all":
	case "open", "closed", "cancelled":
		st = polls.Status(*status)
	default:
		return fmt.Errorf("-status: %q is not open, closed, cancelled or all", *status)
	}
	a, err := fs.cfg.openReader(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	var ps []*polls.Poll
	for q := (polls.PollQuery{Status: st, Limit: polls.MaxPageSize}); ; {
		page, err := a.svc.List(ctx, fs.cfg.Tenant, q)
		if err != nil {
			return err
		}
		ps = append(ps, page.Polls...)
		q.Offset += len(page.Polls)
		if len(page.Polls) == 0 || q.Offset >= page.Total {
			break
		}
	}
	out := make([]pollJSON, 0, len(ps))
	for _, p := range ps {
		t, err := a.store.Tally(ctx, p.Tenant, p.ID)
		if err != nil {
			return err
		}
		out = append(out, pollJSON{
			ID: p.ID, Tenant: p.Tenant, Title: p.Title, Kind: p.Kind, Status: p.Status,
			OpenedAt: p.OpenedAt.UTC(), ClosesAt: timePtr(p.ClosesAt), ClosedAt: timePtr(p.ClosedAt), Ballots: t.Total(),
		})
	}
	if *format == "json" {
		enc := json.NewEncoder(e.out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		which := "No polls"
		if st != "" {
			which = "No " + string(st) + " polls"
		}
		fmt.Fprintf(e.out, "%s in tenant %s of %s. %s.\n", which, fs.cfg.Tenant, fs.cfg.where(), otherTenants)
		return nil
	}
	w := bufio.NewWriter(e.out)
	fmt.Fprintf(w, "%-6s %-9s %-9s %7s  %-20s %s\n", "ID", "STATUS", "KIND", "BALLOTS", "OPENED", "TITLE")
	for _, p := range out {
		fmt.Fprintf(w, "%-6s %-9s %-9s %7d  %-20s %s\n", p.ID, p.Status, p.Kind, p.Ballots, p.OpenedAt.Format("2006-01-02 15:04 UTC"), p.Title)
	}
	return w.Flush()
}

func runReport(ctx context.Context, args []string, e env) error {
	names := "text|" + strings.Join(report.Names(false), "|")
	fs := newFlags("report", "[-format "+names+"] ID", e, "Prints a poll's consensus report (png writes the chart to standard output).")
	fs.tenantFlag()
	format := fs.String("format", "text", "output `format`: "+strings.ReplaceAll(names, "|", ", "))
	if err := fs.parse(args); err != nil {
		return err
	}
	id, err := oneArg(fs, "poll ID")
	if err != nil {
		return err
	}
	f, ok := report.Find(*format, false)
	if !ok && *format != "text" {
		return fmt.Errorf("-format: %q is not %s", *format, strings.ReplaceAll(names, "|", ", "))
	}
	a, err := fs.cfg.openReader(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	p, r, err := a.svc.Report(ctx, fs.cfg.Tenant, id)
	if err != nil {
		return fs.cfg.pollErr(id, err)
	}
	if ok {
		w := bufio.NewWriter(e.out)
		if err := f.WriteReport(w, p, r, a.engine.Groups()); err != nil {
			return err
		}
		return w.Flush()
	}
	// The operator reads every poll from the command line, hidden results
	// included, and a terminal has no use for the chart.
	_, err = fmt.Fprint(e.out, bot.RenderText(bot.Reply{Report: a.engine.ReportView(p, r)}))
	return err
}

func runExport(ctx context.Context, args []string, e env) error {
	fs := newFlags("export", "[-format "+strings.Join(report.Names(false), "|")+"] [-ballots] ID", e,
		"Writes a poll's results (or, with -ballots, every ballot) to standard output, as the chat command does.")
	fs.tenantFlag()
	format := fs.String("format", "csv", "output `format`: "+strings.Join(report.Names(false), ", ")+"; with -ballots "+strings.Join(report.Names(true), " or "))
	ballots := fs.Bool("ballots", false, "export ballots (voter, group, time, choices) instead of the results")
	if err := fs.parse(args); err != nil {
		return err
	}
	id, err := oneArg(fs, "poll ID")
	if err != nil {
		return err
	}
	f, ok := report.Find(*format, *ballots)
	if !ok {
		return fmt.Errorf("-format: %q is not %s", *format, strings.Join(report.Names(*ballots), ", "))
	}
	a, err := fs.cfg.openReader(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	w := bufio.NewWriterSize(e.out, 64*1024)
	if f.Ballots {
		p, err := a.svc.Poll(ctx, fs.cfg.Tenant, id)
		if err != nil {
			return fs.cfg.pollErr(id, err)
		}
		err = f.WriteBallots(w, p, a.engine.Groups(), func(fn func(polls.Ballot) error) error {
			_, err := a.svc.Ballots(ctx, p.Tenant, p.ID, fn)
			return err
		})
		if err != nil {
			return err
		}
		return w.Flush()
	}
	p, r, err := a.svc.Report(ctx, fs.cfg.Tenant, id)
	if err != nil {
		return fs.cfg.pollErr(id, err)
	}
	if err := f.WriteReport(w, p, r, a.engine.Groups()); err != nil {
		return err
	}
	return w.Flush()
}

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

func runVersion(_ context.Context, args []string, e env) error {
	fs := newFlags("version", "", e, "Prints the version.")
	if err := fs.parse(args); err != nil {
		return err
	}
	v := buildVersion()
	goVersion := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = " " + info.GoVersion
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				v += " " + s.Value[:min(12, len(s.Value))]
			}
		}
	}
	fmt.Fprintf(e.out, "pollbot %s%s\n", strings.TrimSpace(v), goVersion)
	return nil
}

// buildVersion is the version set at link time (-X main.version=...), else
// the module version go install recorded, else "devel".
func buildVersion() string {
	v := version
	if info, ok := debug.ReadBuildInfo(); v == "" && ok {
		v = info.Main.Version
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	return v
}
