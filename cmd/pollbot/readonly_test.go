package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// runBinary runs the pollbot binary bin in dir with only the given
// environment (no POLLBOT_ variable leaks in from the test's own), and
// returns its exit code and output.
func runBinary(t *testing.T, bin, dir string, environ []string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"HOME=" + dir, "PATH=" + os.Getenv("PATH")}, environ...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatalf("pollbot %s: %v", strings.Join(args, " "), err)
	}
	return code, out.String(), errb.String()
}

// dirEntries lists the names in dir.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestReadOnlyCommands runs the built binary as a newcomer would, in an
// empty folder: list, report and export against a store that does not
// exist say which file they looked for and how to point at another, in one
// line, and create nothing. Against a store that exists, a poll that is
// not there is reported with the tenant and store that were read.
func TestReadOnlyCommands(t *testing.T) {
	bin := buildPollbot(t, t.TempDir())
	dir := t.TempDir()
	missing := [][]string{
		{"list"}, {"list", "-format", "json"}, {"report", "K7QX"}, {"report", "-format", "json", "K7QX"},
		{"export", "K7QX"}, {"export", "-ballots", "K7QX"}, {"timeline", "K7QX"},
	}
	for _, args := range missing {
		code, stdout, stderr := runBinary(t, bin, dir, nil, "", args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 1 || stdout != "" || len(lines) != 1 {
			t.Errorf("pollbot %s: exit %d, want 1 and one line on stderr:\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		for _, want := range []string{"pollbot " + args[0] + ": no store at ./pollbot.db", "-data FILE", "POLLBOT_DATA", "POLLBOT_REDIS_URL"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("pollbot %s: %q lacks %q", strings.Join(args, " "), stderr, want)
			}
		}
	}
	_, _, stderr := runBinary(t, bin, dir, nil, "", "list", "-data", "elsewhere/polls.db")
	if !strings.Contains(stderr, "no store at elsewhere/polls.db") {
		t.Errorf("list -data elsewhere/polls.db: %s", stderr)
	}
	_, _, stderr = runBinary(t, bin, dir, []string{"POLLBOT_DATA=from-env.db"}, "", "report", "K7QX")
	if !strings.Contains(stderr, "no store at from-env.db") {
		t.Errorf("report with POLLBOT_DATA=from-env.db: %s", stderr)
	}
	if names := dirEntries(t, dir); len(names) != 0 {
		t.Fatalf("read-only commands created %v", names)
	}

	// A store that exists: the shell makes one.
	code, _, stderr := runBinary(t, bin, dir, nil, `/poll open "Theme" "DNSSEC" "Privacy"`+"\n", "shell")
	if code != 0 || !slices.Equal(dirEntries(t, dir), []string{"pollbot.db"}) {
		t.Fatalf("shell: exit %d, folder %v\n%s", code, dirEntries(t, dir), stderr)
	}
	code, stdout, _ := runBinary(t, bin, dir, nil, "", "list", "-format", "json")
	id := regexpID.FindString(strings.TrimPrefix(stdout, "["))
	if code != 0 || id == "" {
		t.Fatalf("list: exit %d\n%s", code, stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "nope"}, "no poll NOPE in tenant local of ./pollbot.db"},
		{[]string{"export", "-ballots", "NOPE"}, "no poll NOPE in tenant local of ./pollbot.db"},
		{[]string{"timeline", "NOPE"}, "no poll NOPE in tenant local of ./pollbot.db"},
		{[]string{"report", "-tenant", "slack:T012AB", id}, "no poll " + id + " in tenant slack:T012AB of ./pollbot.db"},
		{[]string{"export", "-tenant", "discord:42", id}, "no poll " + id + " in tenant discord:42 of ./pollbot.db"},
	} {
		code, _, stderr := runBinary(t, bin, dir, nil, "", tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) || !strings.Contains(stderr, "-tenant: slack:TEAM_ID") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("pollbot %s: exit %d, want one line with %q:\n%s", strings.Join(tc.args, " "), code, tc.want, stderr)
		}
	}
	code, stdout, _ = runBinary(t, bin, dir, nil, "", "list", "-tenant", "discord:42")
	if code != 0 || !strings.HasPrefix(stdout, "No polls in tenant discord:42 of ./pollbot.db.") {
		t.Errorf("list of an empty tenant: exit %d: %s", code, stdout)
	}
	code, stdout, _ = runBinary(t, bin, dir, nil, "", "report", id)
	if code != 0 || !strings.Contains(stdout, "DNSSEC") {
		t.Errorf("report %s: exit %d\n%s", id, code, stdout)
	}
}

// TestDemoData: the demo's store is DIR/demo.db, or the file -data names;
// POLLBOT_DATA (the store one serves from) is never used; and the demo's
// "Wrote:" lists the store with the exports.
func TestDemoData(t *testing.T) {
	bin := buildPollbot(t, t.TempDir())
	dir := t.TempDir()
	env := []string{"POLLBOT_DATA=serving.db"}
	code, stdout, stderr := runBinary(t, bin, dir, env, "", "demo", "-out", "first")
	if code != 0 {
		t.Fatalf("demo: exit %d\n%s", code, stderr)
	}
	wrote := stdout[strings.Index(stdout, "→ Wrote:"):]
	for _, f := range []string{"tally.csv", "tally-wide.csv", "report.json", "report.md", "chart.png", "ballots.csv", "demo.db"} {
		if !strings.Contains(wrote, filepath.Join("first", f)) {
			t.Errorf("Wrote: lacks first/%s:\n%s", f, wrote)
		}
		if _, err := os.Stat(filepath.Join(dir, "first", f)); err != nil {
			t.Error(err)
		}
	}
	if !strings.Contains(stdout, "pollbot report -data first/demo.db -tenant demo") {
		t.Errorf("the demo's last line does not say how to read its store:\n%s", wrote)
	}

	code, stdout, stderr = runBinary(t, bin, dir, env, "", "demo", "-out", "second", "-data", "chosen.db")
	if code != 0 {
		t.Fatalf("demo -data chosen.db: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "chosen.db") || !strings.Contains(stdout, "pollbot report -data chosen.db -tenant demo") {
		t.Errorf("demo -data chosen.db does not list its store:\n%s", stdout)
	}
	if _, err := os.Stat(filepath.Join(dir, "second", "demo.db")); err == nil {
		t.Error("demo -data chosen.db also wrote second/demo.db")
	}
	if names := dirEntries(t, dir); !slices.Equal(names, []string{"chosen.db", "first", "second"}) {
		t.Errorf("folder after two demos: %v (POLLBOT_DATA's serving.db must not appear)", names)
	}
	code, stdout, _ = runBinary(t, bin, dir, nil, "", "list", "-data", "chosen.db", "-tenant", "demo")
	if code != 0 || !strings.Contains(stdout, "IGF BPF Cybersecurity") {
		t.Errorf("list of the demo's chosen store: exit %d\n%s", code, stdout)
	}
}
