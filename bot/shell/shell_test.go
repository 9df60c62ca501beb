package shell_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/shell"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testClock is a settable clock shared by the service and the store.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// seededIDs returns poll ids that are random-looking but the same every run.
func seededIDs() func() string {
	rng := rand.New(rand.NewPCG(1, 2))
	const alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
	return func() string {
		b := make([]byte, 4)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
}

// newShell wires a shell as `pollbot shell` does, over a fresh embedded
// store, with an injected clock and poll ids. Files are saved in a
// temporary folder, which transcripts show as pollbot-files (see
// filesFolder).
func newShell(t *testing.T, out *bytes.Buffer) (*shell.Shell, *testClock) {
	sh, clock, _ := newShellFiles(t, out)
	return sh, clock
}

// newShellFiles is newShell that also returns the folder files are saved
// in.
func newShellFiles(t *testing.T, out *bytes.Buffer) (*shell.Shell, *testClock, string) {
	t.Helper()
	return newShellWith(t, out, nil, nil)
}

// newShellWith is newShellFiles with more options for the engine and the
// shell.
func newShellWith(t *testing.T, out *bytes.Buffer, engOpts []bot.EngineOption, shOpts []shell.Option) (*shell.Shell, *testClock, string) {
	t.Helper()
	files := filepath.Join(t.TempDir(), shell.DefaultFiles)
	clock := &testClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"), boltstore.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := bot.Config{Facilitators: []string{"shell:" + shell.DefaultUser}}
	svc := polls.NewService(st,
		polls.WithClock(clock.Now), polls.WithIDs(seededIDs()),
		polls.WithGroups(cfg.GroupList()), polls.WithPseudonymKey([]byte("test pseudonym key")))
	eng := bot.New(svc, cfg, engOpts...)
	var sh *shell.Shell
	sched := bot.NewScheduler(eng, bot.AnnouncerFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) {
		sh.Announce(ctx, p, r)
	}), time.Hour, bot.WithReminders(bot.ReminderFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) error {
		return sh.Remind(ctx, p, r)
	})))
	sh = shell.New(eng, out, append([]shell.Option{shell.WithScheduler(sched), shell.WithFiles(files)}, shOpts...)...)
	return sh, clock, files
}

// TestSessions replays each testdata/*.txt session and compares the
// transcript with testdata/*.golden. A line "#clock +DURATION" moves the
// clock forward before the next line.
func TestSessions(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no sessions in testdata: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".txt")
		t.Run(name, func(t *testing.T) {
			transcript := replay(t, in, nil, nil)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(transcript), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./bot/shell -update to create it)", err)
			}
			if got := transcript; got != string(want) {
				t.Errorf("transcript differs from %s (go test ./bot/shell -update rewrites it):\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

// replay runs the session in file in (see TestSessions) on a new shell
// with the given options and returns its transcript, with the folder
// files are saved in shown as pollbot-files.
func replay(t *testing.T, in string, engOpts []bot.EngineOption, shOpts []shell.Option) string {
	t.Helper()
	var out bytes.Buffer
	sh, clock, files := newShellWith(t, &out, engOpts, shOpts)
	f, err := os.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx := context.Background()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if d, ok := strings.CutPrefix(line, "#clock +"); ok {
			dur, err := time.ParseDuration(strings.TrimSpace(d))
			if err != nil {
				t.Fatalf("%s: bad #clock line %q", in, line)
			}
			clock.Advance(dur)
		}
		if !sh.Line(ctx, line) {
			break
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(out.String(), files, shell.DefaultFiles)
}

// lineDiff shows the first differing lines with some context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n  want: " + wl + "\n  got:  " + gl
		}
	}
	return "(same lines, different line endings)"
}

func TestQuitStopsReading(t *testing.T) {
	var out bytes.Buffer
	sh, _ := newShell(t, &out)
	err := sh.Run(context.Background(), strings.NewReader("/whoami\n/quit\n/poll list\n"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "polls") {
		t.Errorf("read past /quit:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "You are you, a facilitator.") {
		t.Errorf("whoami missing:\n%s", out.String())
	}
}

// TestFilesSaved: a reply's files are saved in the files folder, made on
// the first save, with the bytes the engine produced; the transcript says
// where, shows a short text file, and says so when a file cannot be saved.
func TestFilesSaved(t *testing.T) {
	dir := t.TempDir()
	files := filepath.Join(dir, "out", "files")
	clock := &testClock{t: time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)}
	st, err := boltstore.Open(filepath.Join(dir, "pollbot.db"), boltstore.WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := bot.Config{Facilitators: []string{"shell:" + shell.DefaultUser}}
	svc := polls.NewService(st, polls.WithClock(clock.Now), polls.WithIDs(seededIDs()), polls.WithGroups(cfg.GroupList()))
	chart := []byte("\x89PNG\r\n\x1a\nnot really a chart")
	eng := bot.New(svc, cfg, bot.WithChart(func(w io.Writer, _ *polls.Report, _ *polls.Groups) error {
		_, err := w.Write(chart)
		return err
	}))
	var out bytes.Buffer
	sh := shell.New(eng, &out, shell.WithFiles(files))
	ctx := context.Background()
	for _, line := range []string{`/poll open "T" "DNSSEC" "Privacy"`, "/poll group academia", "/poll vote SNTT 1", "/poll report SNTT", "/poll export SNTT", "/poll export SNTT json"} {
		sh.Line(ctx, line)
	}
	transcript := out.String()
	for name, want := range map[string][]byte{"SNTT-chart.png": chart} {
		got, err := os.ReadFile(filepath.Join(files, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %v, %q", name, err, got)
		}
	}
	for _, want := range []string{
		"Saved " + filepath.Join(files, "SNTT-chart.png") + " (" + strconv.Itoa(len(chart)) + " B).",
		"--- SNTT-tally.csv ---\ntheme,group,supporters",
		"--- end of SNTT-tally.csv ---\nSaved " + filepath.Join(files, "SNTT-tally.csv"),
		"Export of poll SNTT: SNTT-report.json.\nSaved " + filepath.Join(files, "SNTT-report.json"),
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("transcript lacks %q:\n%s", want, transcript)
		}
	}
	if strings.Contains(transcript, "attached") || strings.Contains(transcript, `"poll": {`) {
		t.Errorf("a binary file or a long text file is shown rather than saved:\n%s", transcript)
	}
	data, err := os.ReadFile(filepath.Join(files, "SNTT-report.json"))
	if err != nil || !strings.Contains(string(data), `"number": 1`) {
		t.Errorf("SNTT-report.json: %v\n%.200s", err, data)
	}

	// A folder that cannot be made: the reply says so, and still comes.
	out.Reset()
	blocked := filepath.Join(dir, "blocked")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	sh = shell.New(eng, &out, shell.WithFiles(blocked))
	sh.Line(ctx, "/poll export SNTT md")
	if !strings.Contains(out.String(), "Export of poll SNTT") || !strings.Contains(out.String(), "Could not save SNTT-report.md: mkdir "+blocked) {
		t.Errorf("saving into a file:\n%s", out.String())
	}
}

// TestTerminal runs the shell's line editor over an in-memory terminal:
// keys arrive in chunks as a terminal delivers them. A Ctrl-C typed right
// after a whole line in the same chunk clears only the line after it;
// Up recalls lines but not the cleared one; two Ctrl-C in a row leave.
func TestTerminal(t *testing.T) {
	var out syncBuffer
	sh, _ := newShell(t, &bytes.Buffer{})
	keys, typist := io.Pipe()
	defer typist.Close()
	done := make(chan error, 1)
	go func() {
		done <- sh.RunTerminal(context.Background(), struct {
			io.Reader
			io.Writer
		}{keys, &out}, func() (int, int, error) { return 120, 40, nil })
	}()
	wait := func(want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for !strings.Contains(out.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no %q in:\n%q", want, out.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	send := func(k string) {
		t.Helper()
		if _, err := typist.Write([]byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	wait("you> ")
	send("/as ana academia\r/poll open \"T\" \"A\" \"B\"\x03")
	wait("You are now ana.")
	wait("ana> /poll open \"T\" \"A\" \"B\"^C\r\n")
	send("\x1b[A\r") // Up: the /as line, not the cleared one
	wait("^C\r\nana> /as ana academia\r\nYou are now ana.")
	if strings.Contains(out.String(), "is open") {
		t.Errorf("the line Ctrl-C cleared ran:\n%q", out.String())
	}
	send("\x03")
	wait("Press Ctrl-C again or Ctrl-D to leave")
	send("\x03")
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a second Ctrl-C did not leave")
	}
}

// syncBuffer is a bytes.Buffer safe for the terminal and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
