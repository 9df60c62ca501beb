package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// TestDemoReportGolden pins the demo's JSON report, every number and every
// field of what each status rests on, so that a change to the consensus
// formulas or to the report's contract shows up as a reviewed diff. The
// poll id and the times differ per run and are replaced.
func TestDemoReportGolden(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, map[string]string{"POLLBOT_LOG_LEVEL": "warn"}, "", "demo", "-out", dir)
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	data = regexp.MustCompile(`"id": "[0-9A-Z]+"`).ReplaceAll(data, []byte(`"id": "ID"`))
	data = regexp.MustCompile(`"(opened_at|closed_at)": "[^"]+"`).ReplaceAll(data, []byte(`"$1": "TIME"`))
	path := filepath.Join("testdata", "demo-report.json")
	if *update {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run TestDemoReportGolden -update creates it)", err)
	}
	if !bytes.Equal(data, want) {
		t.Errorf("the demo's report.json differs from %s (go test -run TestDemoReportGolden -update rewrites it; review the diff):\n%s", path, data)
	}
}
