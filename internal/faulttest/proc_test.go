package faulttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serveProc is a `pollbot serve` child process. Its HTTP address stays the
// same across restarts, as a restarted pod behind a Service would.
type serveProc struct {
	name string
	addr string // 127.0.0.1:port
	url  string // http://addr
	env  []string
	args []string
	logs *logBuffer

	mu    sync.Mutex
	cmd   *exec.Cmd
	done  chan struct{}
	runs  int
	exits []string // how earlier runs ended
}

// startTimeout bounds how long pollbot may take to answer /healthz.
const startTimeout = 15 * time.Second

// startServe starts `pollbot serve args...` with env (POLLBOT_HTTP_ADDR is
// added: a free loopback port) and waits until /healthz answers. The
// process is killed when the test ends, and its log is printed if the test
// failed.
func startServe(t *testing.T, name string, env []string, args ...string) *serveProc {
	t.Helper()
	p := &serveProc{name: name, env: env, args: args, logs: newLogBuffer()}
	t.Cleanup(func() {
		if p.exitedByItself() {
			t.Errorf("%s exited by itself", name)
		}
		p.Kill()
		if panics := p.logs.panics(); panics != "" {
			t.Errorf("%s panicked or raced:\n%s", name, panics)
		}
		if t.Failed() || os.Getenv(envLogs) == "1" {
			t.Logf("--- log of %s (%d runs; earlier exits: %v), last %d bytes:\n%s", name, p.runs, p.exits, logTail, p.logs.tail(logTail))
		}
	})
	var err error
	for range 5 {
		p.addr, err = freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		p.url = "http://" + p.addr
		if err = p.start(); err == nil {
			return p
		}
		if !strings.Contains(p.logs.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("start %s: %v\n%s", name, err, p.logs.tail(logTail))
	return nil
}

// envLogs, set to 1, prints every pollbot's log at the end of its test,
// failed or not.
const envLogs = "POLLBOT_FAULTTEST_LOGS"

// logTail is how much of a process log a failing test prints.
const logTail = 48 << 10

func freeAddr() (string, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", err
		}
		addr := l.Addr().String()
		l.Close()
		if _, port, _ := net.SplitHostPort(addr); port != "6379" && port != "26379" {
			return addr, nil
		}
	}
	return "", errors.New("no free loopback port")
}

func (p *serveProc) start() error {
	cmd := exec.Command(pollbotBin, append([]string{"serve"}, p.args...)...)
	cmd.Env = append(append([]string{}, p.env...), "POLLBOT_HTTP_ADDR="+p.addr)
	fmt.Fprintf(p.logs, "=== faulttest: start %s (run %d) on %s\n", p.name, p.runs+1, p.addr)
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		err := cmd.Wait()
		fmt.Fprintf(p.logs, "=== faulttest: %s exited: %v\n", p.name, err)
		close(done)
	}()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.runs++
	p.mu.Unlock()
	if err := p.waitHealthy(done); err != nil {
		p.Kill()
		return err
	}
	return nil
}

func (p *serveProc) waitHealthy(exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(startTimeout)
	for {
		resp, err := client.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("%s exited before answering /healthz", p.name)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: no /healthz within %v: %v", p.name, startTimeout, err)
		}
	}
}

// Kill ends the process with SIGKILL, as a crash or an OOM kill would, and
// waits for it to exit. Killing a process that is not running does nothing.
func (p *serveProc) Kill() { p.end(syscall.SIGKILL) }

// Terminate sends SIGTERM (a graceful shutdown) and waits for the exit,
// killing the process if it takes more than 15 s.
func (p *serveProc) Terminate() { p.end(syscall.SIGTERM) }

func (p *serveProc) end(sig syscall.Signal) {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
	p.mu.Lock()
	p.exits = append(p.exits, cmd.ProcessState.String())
	p.mu.Unlock()
}

// Restart starts the process again on the same address (killing it first
// if it still runs) and waits for /healthz. It may be called from any
// goroutine.
func (p *serveProc) Restart() error {
	p.Kill()
	deadline := time.Now().Add(startTimeout)
	for {
		err := p.start()
		if err == nil {
			return nil
		}
		// The port was the process's a moment ago; a slow release is the
		// one failure worth retrying.
		if time.Now().After(deadline) || !strings.Contains(p.logs.String(), "address already in use") {
			return fmt.Errorf("restart %s: %w", p.name, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// exitedByItself reports whether the process of the current run ended
// without being killed or stopped by the test.
func (p *serveProc) exitedByItself() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// get fetches path and returns its status and how long the answer took.
func (p *serveProc) get(ctx context.Context, path string) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url+path, nil)
	if err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, time.Since(t0), err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, time.Since(t0), nil
}

// logBuffer keeps what a process writes: all of it up to logMax/2, then
// the most recent logMax/2 bytes or so. It also remembers lines that reveal
// a panic, a fatal runtime error or a data race, wherever they are.
type logBuffer struct {
	mu      sync.Mutex
	head    bytes.Buffer
	chunks  [][]byte // what came after head, oldest first
	size    int      // bytes in chunks
	dropped int64
	partial []byte // an unfinished line, for the scan
	alarms  []string
}

const logMax = 8 << 20

func newLogBuffer() *logBuffer { return &logBuffer{} }

func (b *logBuffer) Write(p []byte) (int, error) {
	n := len(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scan(p)
	if room := logMax/2 - b.head.Len(); room > 0 {
		k := min(room, len(p))
		b.head.Write(p[:k])
		p = p[k:]
	}
	if len(p) > 0 {
		b.chunks = append(b.chunks, append([]byte(nil), p...))
		b.size += len(p)
		for b.size > logMax/2 && len(b.chunks) > 1 {
			b.size -= len(b.chunks[0])
			b.dropped += int64(len(b.chunks[0]))
			b.chunks = b.chunks[1:]
		}
	}
	return n, nil
}

// alarmPrefixes start the lines of a Go panic, a fatal runtime error and a
// race report.
var alarmPrefixes = []string{"panic: ", "fatal error: ", "WARNING: DATA RACE", "SIGSEGV", "SIGABRT"}

func (b *logBuffer) scan(p []byte) {
	data := append(b.partial, p...)
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			break
		}
		line := string(data[:i])
		data = data[i+1:]
		for _, a := range alarmPrefixes {
			if strings.HasPrefix(line, a) && len(b.alarms) < 20 {
				b.alarms = append(b.alarms, line)
			}
		}
	}
	b.partial = append([]byte(nil), data...)
	if len(b.partial) > 4096 {
		b.partial = b.partial[len(b.partial)-4096:]
	}
}

func (b *logBuffer) panics() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.alarms, "\n")
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.head.String()
	if b.dropped > 0 {
		s += "\n[… " + strconv.FormatInt(b.dropped, 10) + " bytes dropped …]\n"
	}
	var sb strings.Builder
	sb.WriteString(s)
	for _, c := range b.chunks {
		sb.Write(c)
	}
	return sb.String()
}

// tail returns the last n bytes of the log.
func (b *logBuffer) tail(n int) string {
	s := b.String()
	if len(s) > n {
		return "[…]" + s[len(s)-n:]
	}
	return s
}

// count returns how many log lines contain sub.
func (b *logBuffer) count(sub string) int {
	return strings.Count(b.String(), sub)
}

// envBase is the part of a child's environment taken from ours: only what
// a Go program needs to run, so a developer's POLLBOT_ or SLACK_ settings
// never leak into the processes under test.
func envBase() []string {
	var out []string
	for _, k := range []string{"PATH", "HOME", "TMPDIR", "GORACE"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}
