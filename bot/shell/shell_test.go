package shell_test

import (
	"bufio"
	"bytes"
	"context"
	"flag"
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
// store, with an injected clock and poll ids.
func newShell(t *testing.T, out *bytes.Buffer) (*shell.Shell, *testClock) {
	t.Helper()
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
	eng := bot.New(svc, cfg)
	var sh *shell.Shell
	sched := bot.NewScheduler(eng, bot.AnnouncerFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) {
		sh.Announce(ctx, p, r)
	}), time.Hour, bot.WithReminders(bot.ReminderFunc(func(ctx context.Context, p *polls.Poll, r bot.Response) error {
		return sh.Remind(ctx, p, r)
	})))
	sh = shell.New(eng, out, shell.WithScheduler(sched))
	return sh, clock
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
			var out bytes.Buffer
			sh, clock := newShell(t, &out)
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
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./bot/shell -update to create it)", err)
			}
			if got := out.String(); got != string(want) {
				t.Errorf("transcript differs from %s (go test ./bot/shell -update rewrites it):\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
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
