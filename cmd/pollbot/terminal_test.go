//go:build linux || darwin

package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/term"
)

// ptyShell is the built pollbot shell running on a pseudo-terminal, as a
// person at a terminal runs it.
type ptyShell struct {
	t      *testing.T
	cmd    *exec.Cmd
	ptmx   *os.File // the terminal's side a person types on
	tty    *os.File // the side pollbot runs on, kept to read its modes
	before *term.State
	mu     sync.Mutex
	out    bytes.Buffer
	seen   int // how much of out waitFor has consumed
	done   chan error
}

func startPTYShell(t *testing.T, bin, dir string, args ...string) *ptyShell {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 160}); err != nil {
		t.Fatal(err)
	}
	before, err := term.GetState(int(tty.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"shell"}, args...)...)
	cmd.Dir = dir
	cmd.Env = []string{"HOME=" + dir, "TERM=xterm"}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &ptyShell{t: t, cmd: cmd, ptmx: ptmx, tty: tty, before: before, done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			s.mu.Lock()
			s.out.Write(buf[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		ptmx.Close()
		tty.Close()
	})
	s.waitFor("you> ")
	return s
}

// typeKeys sends keys as typed, a few at a time.
func (s *ptyShell) typeKeys(keys string) {
	s.t.Helper()
	if _, err := s.ptmx.WriteString(keys); err != nil {
		s.t.Fatal(err)
	}
	// A person does not type faster than the terminal echoes; pausing
	// keeps one keystroke from arriving in the middle of another's echo.
	time.Sleep(50 * time.Millisecond)
}

// waitFor waits until the output after what was waited for before
// contains want, and returns that output up to and including it.
func (s *ptyShell) waitFor(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s.mu.Lock()
		rest := s.out.String()[s.seen:]
		if i := strings.Index(rest, want); i >= 0 {
			s.seen += i + len(want)
			s.mu.Unlock()
			return rest[:i+len(want)]
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			s.t.Fatalf("no %q in the terminal within 15 s; it shows, since the last match:\n%q", want, rest)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exited waits for the shell to leave and checks that it left the
// terminal as it found it.
func (s *ptyShell) exited() {
	s.t.Helper()
	select {
	case err := <-s.done:
		var exit *exec.ExitError
		if errors.As(err, &exit) || err != nil {
			s.t.Fatalf("shell exited with %v\n%s", err, s.transcript())
		}
	case <-time.After(5 * time.Second):
		s.t.Fatalf("the shell did not leave within 5 s\n%s", s.transcript())
	}
	after, err := term.GetState(int(s.tty.Fd()))
	if err != nil {
		s.t.Fatal(err)
	}
	if !reflect.DeepEqual(after, s.before) {
		s.t.Errorf("the terminal was left in another mode than it was found in (raw mode not restored)")
	}
}

func (s *ptyShell) transcript() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

// openedID is the id of the poll that text says is open.
func openedID(text string) string {
	m := regexp.MustCompile(`Poll ([2-9A-HJ-NP-Z]{4}) is open\.`).FindStringSubmatch(text)
	if m == nil {
		return ""
	}
	return m[1]
}

const (
	keyUp    = "\x1b[A"
	keyLeft  = "\x1b[D"
	keyCtrlA = "\x01"
	keyCtrlC = "\x03"
	keyCtrlD = "\x04"
	keyCtrlE = "\x05"
	keyEnter = "\r"
)

// TestShellTerminal drives the built pollbot shell through a
// pseudo-terminal: lines are edited (Ctrl-A, Ctrl-E, arrows) and recalled
// (Up); Ctrl-C clears a line without running it, and a second Ctrl-C
// leaves, as Ctrl-D does; files that come with replies are saved in the
// -files folder and their path printed; the terminal is restored on
// leaving.
func TestShellTerminal(t *testing.T) {
	bin := buildPollbot(t, t.TempDir())
	dir := t.TempDir()
	files := filepath.Join(dir, "exports")
	s := startPTYShell(t, bin, dir, "-files", files)

	s.typeKeys(`/poll open "Terminal" "DNSSEC" "Privacy"` + keyEnter)
	id := openedID(s.waitFor(" is open."))
	if id == "" {
		t.Fatalf("no poll id:\n%s", s.transcript())
	}
	// Up recalls the last line: a second poll opens.
	s.typeKeys(keyUp)
	s.typeKeys(keyEnter)
	second := openedID(s.waitFor(" is open."))
	if second == "" || second == id {
		t.Fatalf("Up, Enter did not run the line again (%q):\n%s", second, s.transcript())
	}

	// Ctrl-A and Ctrl-E move to the ends of the line, Left inside it.
	s.typeKeys("oll lst")
	s.typeKeys(keyCtrlA)
	s.typeKeys("/p")
	s.typeKeys(keyCtrlE)
	s.typeKeys(keyLeft + keyLeft)
	s.typeKeys("i")
	s.typeKeys(keyCtrlE)
	s.typeKeys(" all" + keyEnter)
	list := s.waitFor(second + " · Terminal")
	if !strings.Contains(list, "Polls:") {
		t.Errorf("the edited line did not run as /poll list all:\n%q", list)
	}

	// Ctrl-C clears a line: the poll is not cancelled.
	s.typeKeys("/poll cancel " + id)
	s.typeKeys(keyCtrlC)
	s.waitFor("^C")
	s.typeKeys("/whoami" + keyEnter)
	if out := s.waitFor("You are you, a facilitator."); strings.Contains(out, "cancelled") {
		t.Errorf("Ctrl-C ran the line:\n%q", out)
	}
	// Up skips the line Ctrl-C cleared.
	s.typeKeys(keyUp + keyUp + keyEnter)
	s.waitFor("Polls:")

	// Files: an export and a report's chart are saved; their paths are
	// printed.
	s.typeKeys("/poll export " + id + keyEnter)
	s.waitFor("Saved " + filepath.Join(files, id+"-tally.csv"))
	s.typeKeys("/poll report " + id + keyEnter)
	s.waitFor("Saved " + filepath.Join(files, id+"-chart.png"))
	if png, err := os.ReadFile(filepath.Join(files, id+"-chart.png")); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("chart: %v, %.8q", err, png)
	}
	if csv, err := os.ReadFile(filepath.Join(files, id+"-tally.csv")); err != nil || !strings.HasPrefix(string(csv), "theme,group,") {
		t.Errorf("tally: %v, %.40q", err, csv)
	}

	// Ctrl-C on an empty line says how to leave; a second one leaves.
	s.typeKeys(keyCtrlC)
	s.waitFor("Press Ctrl-C again or Ctrl-D to leave")
	s.typeKeys(keyCtrlC)
	s.exited()

	// The polls are stored: the cancelled line never ran.
	code, out, _ := runBinary(t, bin, dir, nil, "", "list", "-status", "open")
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, second) {
		t.Errorf("after the session: exit %d\n%s", code, out)
	}

	// Ctrl-D on an empty line leaves at once.
	s = startPTYShell(t, bin, dir)
	s.typeKeys("x/poll li")
	s.typeKeys(keyCtrlA + keyCtrlD) // on a line with text, Ctrl-D deletes
	s.typeKeys(keyCtrlE + "st" + keyEnter)
	s.waitFor("Open polls:")
	s.typeKeys(keyCtrlD)
	s.exited()
}
