package shell

import (
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"golang.org/x/term"
)

// RunTerminal runs the shell on a terminal with line editing and history,
// until /quit, Ctrl-D on an empty line, two Ctrl-C in a row, or ctx is
// done. Editing is golang.org/x/term's Terminal: Left and Right, Home and
// End (Ctrl-A, Ctrl-E), Alt-Left and Alt-Right by word, Backspace, Ctrl-K,
// Ctrl-U and Ctrl-W to delete, Ctrl-L to clear the screen, and Up and Down
// (Ctrl-P, Ctrl-N) through the last 100 lines. Ctrl-C clears the line
// being typed, as in a shell; pressed again right away it leaves.
//
// tty must already be in raw mode (term.MakeRaw), and the caller restores
// it. size, when not nil, is asked for the terminal's width and height
// before each line, so that a resized window wraps long lines right.
// Everything the shell prints goes through the terminal, so an
// announcement arriving while a line is typed is printed above it and the
// line is redrawn.
//
// Reading the terminal blocks; when ctx is done RunTerminal returns at
// once, and the read under way ends with the next key pressed or when the
// process exits.
func (s *Shell) RunTerminal(ctx context.Context, tty io.ReadWriter, size func() (width, height int, err error)) error {
	keys := newKeyReader(ctx, tty)
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{keys, tty}, "")
	t.History = &history{keys: keys, lines: make([]string, 0, historySize)}
	s.mu.Lock()
	s.out, s.term, s.interactive = t, t, true
	s.mu.Unlock()
	s.say(msg.ShellWelcomeTerminal.With(bot.UserText(strconv.Quote(s.user))))
	for {
		if size != nil {
			if w, h, err := size(); err == nil && w > 0 {
				_ = t.SetSize(w, h)
			}
		}
		t.SetPrompt(s.shown(bot.UserText(s.user)) + "> ")
		line, err := t.ReadLine()
		if keys.takeInterrupt() {
			// Ctrl-C: the line was ended so that it shows as typed, with
			// ^C after it; it is not run.
			if strings.TrimSpace(strings.TrimSuffix(line, "^C")) == "" {
				s.say(msg.ShellPressAgain.With())
			}
			continue
		}
		if err != nil {
			// Ctrl-D, a second Ctrl-C, the terminal gone, or ctx done.
			_, _ = io.WriteString(tty, "\r\n")
			if errors.Is(err, io.EOF) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
		if !s.line(ctx, line, len(line)) {
			return nil
		}
	}
}

// historySize is how many lines Up reaches back.
const historySize = 100

// history is the terminal's history of lines (term.History), newest
// first. It leaves out blank lines, a line repeating the one before it,
// and lines ended by Ctrl-C, which were not run.
type history struct {
	keys  *keyReader
	lines []string // oldest first
}

func (h *history) Add(line string) {
	if h.keys.interrupted() || strings.TrimSpace(line) == "" {
		return
	}
	if n := len(h.lines); n > 0 && h.lines[n-1] == line {
		return
	}
	if len(h.lines) == historySize {
		h.lines = append(h.lines[:0], h.lines[1:]...)
	}
	h.lines = append(h.lines, line)
}

func (h *history) Len() int { return len(h.lines) }

func (h *history) At(i int) string { return h.lines[len(h.lines)-1-i] }

// Bytes of the keys keyReader treats specially.
const (
	ctrlC = 0x03
	ctrlE = 0x05
)

// keyReader reads the terminal for term.Terminal, which leaves on Ctrl-C.
// The first Ctrl-C is turned into End, "^C" and Enter, so that the line
// stays on screen as it was typed, marked, and ends; it is flagged as
// interrupted (takeInterrupt), and RunTerminal does not run it. A Ctrl-C
// right after that one passes through, and the terminal leaves.
//
// The terminal is read in a goroutine so that Read can return when ctx is
// done; that goroutine ends with the read under way.
type keyReader struct {
	ctx    context.Context
	chunks chan []byte
	errc   chan error

	mu        sync.Mutex
	pending   []byte // keys read but not yet returned
	inject    int    // how many of pending's first bytes stand for a Ctrl-C
	lastCtrlC bool   // the last key returned was a Ctrl-C turned into Enter
	interrupt bool   // the line being read was ended by a Ctrl-C
}

func newKeyReader(ctx context.Context, tty io.Reader) *keyReader {
	k := &keyReader{ctx: ctx, chunks: make(chan []byte), errc: make(chan error, 1)}
	go func() {
		for {
			buf := make([]byte, 256)
			n, err := tty.Read(buf)
			if n > 0 {
				select {
				case k.chunks <- buf[:n]:
				case <-ctx.Done():
					return
				}
			}
			if err != nil {
				k.errc <- err
				return
			}
		}
	}()
	return k
}

// Read returns keys as term.Terminal reads them. A Ctrl-C is returned on
// its own, never after other keys in the same Read: the terminal has then
// returned every line typed before it, and the line the Ctrl-C ends is the
// interrupted one.
func (k *keyReader) Read(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for len(k.pending) == 0 {
		k.mu.Unlock()
		var chunk []byte
		var err error
		select {
		case chunk = <-k.chunks:
		case err = <-k.errc:
		case <-k.ctx.Done():
			err = io.EOF
		}
		k.mu.Lock()
		if err != nil {
			return 0, err
		}
		k.pending = append(k.pending, chunk...)
	}
	if k.inject == 0 && k.pending[0] == ctrlC {
		k.pending = k.pending[1:]
		if k.lastCtrlC {
			k.lastCtrlC = false
			p[0] = ctrlC
			return 1, nil
		}
		k.lastCtrlC, k.interrupt = true, true
		k.pending = append([]byte{ctrlE, '^', 'C', '\r'}, k.pending...)
		k.inject = 4
	}
	if k.inject > 0 {
		n := copy(p, k.pending[:k.inject])
		k.pending, k.inject = k.pending[n:], k.inject-n
		return n, nil
	}
	n := 0
	for n < len(p) && n < len(k.pending) && k.pending[n] != ctrlC {
		p[n] = k.pending[n]
		n++
	}
	k.pending = k.pending[n:]
	k.lastCtrlC = false
	return n, nil
}

// interrupted reports whether the line being read was ended by Ctrl-C.
func (k *keyReader) interrupted() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.interrupt
}

// takeInterrupt reports whether the line just read was ended by Ctrl-C,
// and forgets it.
func (k *keyReader) takeInterrupt() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	was := k.interrupt
	k.interrupt = false
	return was
}
