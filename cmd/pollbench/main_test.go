package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/pollbot/pollbot/internal/redistest"
)

func TestFlagsRefuseOutOfBounds(t *testing.T) {
	for _, args := range [][]string{
		{"-n", "10000001"},
		{"-duration", "11m"},
		{"-platform", "teams"},
		{"-themes", "21"},
		{"-themes", "1"},
		{"-clients", "0"},
		{"-users", "0"},
		{"-discord-key-seed", "abcd"},
		{"-secret", ""},
		{"stray"},
	} {
		var stderr bytes.Buffer
		if _, err := parseFlags(args, &stderr); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	c, err := parseFlags(nil, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	if c.Duration != 10*time.Second || c.Clients != 50 || len(c.Platforms) != 2 || c.SinkAddr != "127.0.0.1:8090" || len(c.key) == 0 {
		t.Errorf("defaults %+v", c)
	}
}

func TestRefusesNonLoopback(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, args := range [][]string{
		{"-target", "http://192.0.2.1:8080", "-n", "1"},
		{"-redis", "redis://192.0.2.1:6379/0", "-n", "1"},
		{"-sink", "0.0.0.0:0", "-n", "1", "-target", "http://127.0.0.1:1", "-wait", "1s"},
	} {
		var out, log bytes.Buffer
		err := run(ctx, args, &out, &log)
		if !errors.Is(err, loadgen.ErrNotLoopback) {
			t.Errorf("run(%q) = %v, want ErrNotLoopback", args, err)
		}
	}
}

// TestStartEndToEnd runs the self-contained mode briefly: redis-server,
// the sink and a freshly built pollbot serve, both platforms, and checks
// that every click was acknowledged, confirmed and tallied.
func TestStartEndToEnd(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		redistest.Check(t, fmt.Errorf("redis-server %w", redistest.ErrNotInstalled))
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not on PATH: cannot build pollbot")
	}
	// The build gets its own time: on a cold cache, with the rest of the
	// suite building beside it, it can take longer than the run.
	buildCtx, cancelBuild := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancelBuild()
	bin, err := buildPollbot(buildCtx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	var out, log bytes.Buffer
	args := []string{"-start", "-pollbot", bin, "-platform", "both", "-clients", "8", "-n", "500", "-users", "60", "-themes", "5", "-redis-n", "2000", "-json"}
	if err := run(ctx, args, &out, &log); err != nil {
		t.Fatalf("pollbench %s: %v\nreport:\n%s\nlog:\n%s", strings.Join(args, " "), err, out.String(), log.String())
	}
	var rep report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	if !rep.Started || len(rep.Platforms) != 2 {
		t.Fatalf("report %s", out.String())
	}
	for _, p := range rep.Platforms {
		for name, r := range map[string]*runReport{"votes": p.Votes, "baseline": p.Baseline} {
			if r == nil || r.Ops != 500 || r.OK != 500 || len(r.Errors) != 0 || r.PerSec <= 0 ||
				r.P50ms <= 0 || r.P99ms < r.P50ms || r.MaxMs < r.P99ms {
				t.Errorf("%s %s: %+v", p.Platform, name, r)
			}
		}
		if p.Confirmed != 500 || p.ConfirmExpected != 500 || !p.TallyChecked || len(p.Problems) > 0 || p.Ratio <= 0 || p.Poll == "" {
			t.Errorf("%s: %+v", p.Platform, p)
		}
	}
	if c := rep.Ceiling; c != nil && c.Skipped == "" {
		if c.Error != "" || c.Toggle == nil || c.Toggle.PerSec <= 0 || c.HSET == nil || c.HSET.PerSec <= 0 {
			t.Errorf("redis ceiling %+v", c)
		}
	}
}
