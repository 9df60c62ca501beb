package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// runCmd runs pollbot in-process with the given environment.
func runCmd(t *testing.T, environ map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{
		in: strings.NewReader(stdin), out: &out, err: &errb,
		getenv: func(k string) string { return environ[k] },
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code = run(ctx, args, e)
	return code, out.String(), errb.String()
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCmd(t, nil, "", c.name, "-h")
			if code != 0 {
				t.Fatalf("pollbot %s -h exited %d", c.name, code)
			}
			if !strings.Contains(stderr, "Usage: pollbot "+c.name) {
				t.Errorf("pollbot %s -h printed no usage:\n%s", c.name, stderr)
			}
		})
	}
	if code, out, _ := runCmd(t, nil, "", "help"); code != 0 || !strings.Contains(out, "demo") {
		t.Errorf("pollbot help = %d:\n%s", code, out)
	}
	if code, _, stderr := runCmd(t, nil, "", "frobnicate"); code != 2 || !strings.Contains(stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command = %d:\n%s", code, stderr)
	}
}

// TestDemo runs the demo as a newcomer would and checks what it wrote: the
// consensus statuses its script is designed to show.
func TestDemo(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, map[string]string{"POLLBOT_LOG_LEVEL": "warn"}, "", "demo", "-out", dir)
	if code != 0 {
		t.Fatalf("demo exited %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, f := range []string{"report.md", "report.json", "tally.csv", "tally-wide.csv", "ballots.csv", "chart.png", "demo.db"} {
		st, err := os.Stat(filepath.Join(dir, f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	for _, want := range []string{"61/61 ballots cast", "Consensus across groups: Collaboration and cooperation among actors", "Divided, clearly: Privacy", "Divided within noise (marginal): DNS abuse",
		"DNS abuse — ⚖️ divided (marginal)\n   Civil society (6/15) alone is below 50%; 3 more supporting ballots there would make it emerging.",
		"Collaboration and cooperation among actors — ✅ consensus, fragile\n   One more dissenting ballot from Academia (6/6) would make it emerging.",
		"Groups below the quorum of 3", "Intergovernmental needs 1 more ballot to count."} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var rep polls.Report
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Ballots != 61 || rep.Poll.Status != polls.StatusClosed {
		t.Errorf("report: %d ballots, status %s; want 61, closed", rep.Ballots, rep.Poll.Status)
	}
	status := map[string]polls.ThemeStatus{}
	for _, th := range rep.Themes {
		status[th.Theme] = th.Status
	}
	for theme, want := range map[string]polls.ThemeStatus{
		"Collaboration and cooperation among actors": polls.Consensus,
		"Education and awareness":                    polls.Emerging,
		"Privacy":                                    polls.Divided,
		"Critical success factors in cybersecurity":  polls.Low,
	} {
		if status[theme] != want {
			t.Errorf("%s: %s, want %s", theme, status[theme], want)
		}
	}
	if !slices.Equal(rep.UnderRepresented, []polls.Group{"intergovernmental"}) {
		t.Errorf("under-represented = %v", rep.UnderRepresented)
	}

	// The store-reading commands find the demo's poll.
	db := filepath.Join(dir, "demo.db")
	code, out, stderr := runCmd(t, nil, "", "list", "-data", db, "-tenant", "demo", "-format", "json")
	if code != 0 {
		t.Fatalf("list: %d %s", code, stderr)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("list json: %v\n%s", err, out)
	}
	var keys []string
	for k := range list[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := []string{"ballots", "closed_at", "closes_at", "id", "kind", "opened_at", "status", "tenant", "title"}; !slices.Equal(keys, want) {
		t.Errorf("list json keys = %v, want %v", keys, want)
	}
	id := list[0]["id"].(string)
	for _, args := range [][]string{
		{"report", "-data", db, "-tenant", "demo", id},
		{"report", "-data", db, "-tenant", "demo", "-format", "md", id},
		{"report", "-data", db, "-tenant", "demo", "-format", "json", id},
		{"report", "-data", db, "-tenant", "demo", "-format", "png", id},
		{"export", "-data", db, "-tenant", "demo", id},
		{"export", "-data", db, "-tenant", "demo", "-ballots", id},
		{"export", "-data", db, "-tenant", "demo", "-ballots", "-format", "json", id},
	} {
		code, out, stderr := runCmd(t, nil, "", args...)
		if code != 0 || len(out) < 100 {
			t.Errorf("pollbot %s: exit %d, %d bytes\n%s", strings.Join(args, " "), code, len(out), stderr)
		}
	}
	if code, _, stderr := runCmd(t, nil, "", "report", "-data", db, "-tenant", "demo", "NOPE"); code != 1 || !strings.Contains(stderr, "no poll NOPE") {
		t.Errorf("report of a missing poll: %d %s", code, stderr)
	}
}

func TestShellPiped(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pollbot.db")
	script := "/poll open \"Theme\" \"DNSSEC\" \"Privacy\"\n/poll list\n/quit\n"
	code, out, stderr := runCmd(t, nil, script, "shell", "-data", db)
	if code != 0 {
		t.Fatalf("shell exited %d: %s", code, stderr)
	}
	if !strings.Contains(out, "you> /poll open") || !strings.Contains(out, "Open polls:") {
		t.Errorf("shell transcript:\n%s", out)
	}
	if stderr != "" {
		t.Errorf("shell wrote to stderr: %s", stderr)
	}
}

func TestBadSettings(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("groupz: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"facilitators", map[string]string{"POLLBOT_FACILITATORS": "nobody"}, "POLLBOT_FACILITATORS"},
		{"config file", map[string]string{"POLLBOT_CONFIG": bad}, "POLLBOT_CONFIG"},
		{"missing config", map[string]string{"POLLBOT_CONFIG": filepath.Join(dir, "none.yaml")}, "POLLBOT_CONFIG"},
		{"log level", map[string]string{"POLLBOT_LOG_LEVEL": "loud"}, "POLLBOT_LOG_LEVEL"},
		{"redis url", map[string]string{"POLLBOT_REDIS_URL": "http://example"}, "POLLBOT_REDIS_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["POLLBOT_DATA"] = filepath.Join(dir, tt.name+".db")
			code, _, stderr := runCmd(t, tt.env, "", "list")
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 1 || len(lines) != 1 || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, want 1 and one line naming %s:\n%s", code, tt.want, stderr)
			}
		})
	}
}

func TestFlagsAfterArguments(t *testing.T) {
	dir := t.TempDir()
	if code, _, stderr := runCmd(t, nil, "", "demo", "-out", dir); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	db := filepath.Join(dir, "demo.db")
	_, out, _ := runCmd(t, nil, "", "list", "-data", db, "-tenant", "demo", "-format", "json")
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 1 {
		t.Fatalf("list: %v %s", err, out)
	}
	id := list[0]["id"].(string)
	// README writes the flags after the id.
	code, out, stderr := runCmd(t, nil, "", "report", id, "--format", "json", "--data", db, "--tenant", "demo")
	if code != 0 || !strings.HasPrefix(out, "{") {
		t.Fatalf("report ID --format json: exit %d, %.80q, %s", code, out, stderr)
	}
	code, out, _ = runCmd(t, nil, "", "export", "--data", db, id, "--tenant=demo", "--ballots")
	if code != 0 || !strings.HasPrefix(out, "voter,group") {
		t.Errorf("export with interspersed flags: exit %d, %.80q", code, out)
	}
	if code, _, stderr := runCmd(t, nil, "", "report", id, "extra", "--data", db); code != 2 || !strings.Contains(stderr, "exactly one") {
		t.Errorf("two ids: exit %d %s", code, stderr)
	}
}

// TestPseudonymKey: the key comes from the environment or a file, never a
// flag; one shorter than 32 bytes is refused at start-up with a hint; an
// anonymous poll opened under one key is refused under another.
func TestPseudonymKey(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "pollbot.db")
	good := "a pseudonym key that is long enough for HMAC"
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(good+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	shell := func(environ map[string]string, input string) (int, string, string) {
		environ["POLLBOT_DATA"] = data
		return runCmd(t, environ, input, "shell")
	}
	code, _, stderr := shell(map[string]string{"POLLBOT_PSEUDONYM_KEY": "too short"}, "/quit\n")
	if code == 0 || !strings.Contains(stderr, "needs at least 32") || !strings.Contains(stderr, "openssl rand") {
		t.Errorf("a short key: exit %d, %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, nil, "", "shell", "-pseudonym-key", good); code != 2 || !strings.Contains(stderr, "pseudonym-key") {
		t.Errorf("the key as a flag: exit %d, %q; want a usage error", code, stderr)
	}
	code, out, stderr := shell(map[string]string{"POLLBOT_PSEUDONYM_KEY_FILE": keyFile}, `/poll open "Secret" "A" "B" --anonymous`+"\n/quit\n")
	if code != 0 || !strings.Contains(out, "is open") {
		t.Fatalf("opening an anonymous poll with the key from a file: exit %d\n%s\n%s", code, out, stderr)
	}
	id := regexpID.FindString(out)
	other := "another pseudonym key, long enough for HMAC"
	code, out, _ = shell(map[string]string{"POLLBOT_PSEUDONYM_KEY": other}, "/as ana academia\n/poll vote "+id+" 1\n/quit\n")
	if code != 0 || !strings.Contains(out, "opened under another pseudonym key") {
		t.Errorf("a vote under another key: %q", out)
	}
	code, out, _ = shell(map[string]string{}, "/as ana academia\n/poll vote "+id+" 1\n/quit\n")
	if code != 0 || !strings.Contains(out, "has no pseudonym key") {
		t.Errorf("a vote with no key: %q", out)
	}
}

// regexpID finds the first poll id a shell transcript names.
var regexpID = regexp.MustCompile(`\b[2-9A-HJ-NP-Z]{4}\b`)
