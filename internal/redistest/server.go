// Package redistest runs throwaway redis-server processes for tests: a
// single node (StartServer), a Redis Cluster of masters (StartCluster), or
// a master with optional replicas watched by Sentinel (StartSentinel), each
// on free loopback ports in the test's temporary directory, stopped when the
// test ends.
//
// Tests that need Redis skip when redis-server is not on PATH, unless the
// environment says POLLBOT_TEST_REDIS=required (CI), in which case they fail.
// The helpers never use the default ports 6379 and 26379, so a Redis or
// Sentinel already running on the machine is left alone.
//
// NewServer, NewCluster and NewSentinel do the same outside a test, for a deployment
// that all of a package's tests share (started on first use, stopped from
// TestMain); Check turns their error into the skip or the failure.
package redistest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EnvRequire is the environment variable that turns a missing redis-server
// from a skip into a failure when set to "required".
const EnvRequire = "POLLBOT_TEST_REDIS"

// ErrNotInstalled is returned by NewServer, NewCluster and NewSentinel when
// redis-server or redis-cli is not on PATH.
var ErrNotInstalled = errors.New("not found on PATH")

// startTimeout bounds how long a server may take to answer PING, and a
// cluster to agree that all slots are served.
const startTimeout = 20 * time.Second

// The default ports of Redis and of Sentinel are never used: a developer's
// own Redis may be listening there.
const (
	defaultPort         = 6379
	defaultSentinelPort = 26379
)

func isDefaultPort(port int) bool { return port == defaultPort || port == defaultSentinelPort }

// Server is a redis-server process.
type Server struct {
	Addr string // host:port on 127.0.0.1
	URL  string // redis://Addr/0
	Dir  string // working directory: dump, AOF, log

	bin  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// StartServer starts redis-server on a free loopback port and waits until it
// answers PING. Persistence is off (--save "" --appendonly no) unless args
// set --save or --appendonly themselves. The server is stopped when the
// test ends.
func StartServer(tb testing.TB, args ...string) *Server {
	tb.Helper()
	s, err := NewServer(tb.TempDir(), args...)
	Check(tb, err)
	tb.Cleanup(s.Stop)
	return s
}

// NewServer is StartServer outside a test: the server runs in dir, and the
// caller stops it with Stop.
func NewServer(dir string, args ...string) (*Server, error) {
	bin, err := lookup("redis-server")
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var last error
	// A port found free can be taken before redis-server binds it; a few
	// attempts make that race harmless.
	for range 5 {
		port, err := freePort(false)
		if err != nil {
			return nil, err
		}
		s := newServer(bin, dir, port, args)
		if last = s.start(); last == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("redistest: start redis-server: %w", last)
}

// Check ends the test when err (from NewServer, NewCluster or NewSentinel)
// is not nil:
// with a skip when Redis is not installed (a failure if EnvRequire says it
// is required), with a failure otherwise.
func Check(tb testing.TB, err error) {
	tb.Helper()
	switch {
	case err == nil:
	case errors.Is(err, ErrNotInstalled) && os.Getenv(EnvRequire) != "required":
		tb.Skipf("%v (install Redis to run this test; set %s=required to make its absence a failure)", err, EnvRequire)
	case errors.Is(err, ErrNotInstalled):
		tb.Fatalf("%v, and %s=required", err, EnvRequire)
	default:
		tb.Fatal(err)
	}
}

func lookup(name string) (string, error) {
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("redistest: %s %w", name, ErrNotInstalled)
	}
	return p, nil
}

func newServer(bin, dir string, port int, args []string) *Server {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return &Server{
		Addr: addr,
		URL:  "redis://" + addr + "/0",
		Dir:  dir,
		bin:  bin,
		args: serverArgs(dir, port, args),
	}
}

// serverArgs puts the test defaults before the caller's args. Redis applies
// arguments in order, so a caller's --save or --appendonly would win anyway;
// leaving ours out when overridden keeps the command line readable.
func serverArgs(dir string, port int, extra []string) []string {
	a := []string{
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--dir", dir,
		"--logfile", "redis.log",
		"--daemonize", "no",
	}
	if !slices.Contains(extra, "--save") {
		a = append(a, "--save", "")
	}
	if !slices.Contains(extra, "--appendonly") {
		a = append(a, "--appendonly", "no")
	}
	return append(a, extra...)
}

func (s *Server) start() error {
	cmd := exec.Command(s.bin, s.args...)
	cmd.Dir = s.Dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	if err := waitPing(s.Addr, done); err != nil {
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("%w\n%s%s", err, out.String(), s.logTail())
	}
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return nil
}

// logTail returns the end of the server log, for failure messages.
func (s *Server) logTail() string {
	b, err := os.ReadFile(filepath.Join(s.Dir, "redis.log"))
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Kill ends the server with SIGKILL, as a crash would, and waits for it to
// exit. Whatever it had not persisted is lost.
func (s *Server) Kill() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Restart starts the server again on the same port, directory and
// arguments (killing it first if it still runs), and waits for PING.
func (s *Server) Restart() error {
	s.Kill()
	var err error
	// The port was ours a moment ago; retrying covers a slow release.
	deadline := time.Now().Add(startTimeout)
	for {
		if err = s.start(); err == nil || time.Now().After(deadline) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("redistest: restart redis-server on %s: %w", s.Addr, err)
	}
	return nil
}

// Stop shuts the server down gracefully (SIGTERM), then forcibly if it
// lingers. StartServer's servers are stopped when their test ends.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// waitPing polls addr with PING until it answers PONG, the process exits,
// or startTimeout passes.
func waitPing(addr string, exited <-chan struct{}) error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var err error
	for {
		if err = ping(addr); err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("redis-server exited before answering PING")
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no PONG from %s within %v: %w", addr, startTimeout, err)
		}
	}
}

func ping(addr string) error {
	reply, err := Do(addr, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("PING: %q", reply)
	}
	return nil
}

// freePort returns a loopback TCP port nobody listens on. With bus set it
// also checks port+10000, the Redis Cluster bus port, and keeps both in
// range; ports then come from 20000-54999 rather than from the kernel.
func freePort(bus bool) (int, error) {
	if !bus {
		for range 20 {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return 0, err
			}
			port := l.Addr().(*net.TCPAddr).Port
			l.Close()
			if !isDefaultPort(port) {
				return port, nil
			}
		}
		return 0, errors.New("no free port")
	}
	for range 200 {
		port := 20000 + rand.IntN(35000)
		if isDefaultPort(port) || isDefaultPort(port+10000) {
			continue
		}
		a, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		b, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000)))
		a.Close()
		if err != nil {
			continue
		}
		b.Close()
		return port, nil
	}
	return 0, errors.New("no free pair of ports for a cluster node")
}
