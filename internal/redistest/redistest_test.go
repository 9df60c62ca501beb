package redistest

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
)

func TestStartServer(t *testing.T) {
	s := StartServer(t)
	if _, port, _ := net.SplitHostPort(s.Addr); port == "6379" {
		t.Fatalf("server on the default port: %s", s.Addr)
	}
	if s.URL != "redis://"+s.Addr+"/0" {
		t.Errorf("URL = %q", s.URL)
	}
	for param, want := range map[string]string{"save": "", "appendonly": "no", "dir": s.Dir} {
		got, err := Do(s.Addr, "CONFIG", "GET", param)
		if err != nil {
			t.Fatal(err)
		}
		if got != param+"\n"+want {
			t.Errorf("CONFIG GET %s = %q, want %q", param, got, want)
		}
	}
}

func TestServerArgsOverride(t *testing.T) {
	s := StartServer(t, "--appendonly", "yes", "--maxmemory", "64mb")
	for param, want := range map[string]string{"appendonly": "yes", "maxmemory": fmt.Sprint(64 << 20), "save": ""} {
		got, err := Do(s.Addr, "CONFIG", "GET", param)
		if err != nil {
			t.Fatal(err)
		}
		if got != param+"\n"+want {
			t.Errorf("CONFIG GET %s = %q, want %q", param, got, want)
		}
	}
}

func TestKillRestart(t *testing.T) {
	s := StartServer(t, "--appendonly", "yes", "--appendfsync", "always")
	if _, err := Do(s.Addr, "SET", "k", "kept"); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if _, err := Do(s.Addr, "PING"); err == nil {
		t.Fatal("PING answered after Kill")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	got, err := Do(s.Addr, "GET", "k")
	if err != nil || got != "kept" {
		t.Errorf("GET k after restart = %q, %v; want kept (from the AOF)", got, err)
	}
	if err := s.Restart(); err != nil { // a running server is killed first
		t.Fatal(err)
	}
	if _, err := Do(s.Addr, "PING"); err != nil {
		t.Errorf("PING after second restart: %v", err)
	}
}

func TestStartCluster(t *testing.T) {
	c := StartCluster(t, 3)
	if len(c.Addrs) != 3 || c.URL != "redis+cluster://"+strings.Join(c.Addrs, ",") {
		t.Fatalf("Addrs %v, URL %q", c.Addrs, c.URL)
	}
	for _, a := range c.Addrs {
		info, err := Do(a, "CLUSTER", "INFO")
		if err != nil || !strings.Contains(info, "cluster_state:ok") {
			t.Errorf("CLUSTER INFO on %s: %v\n%s", a, err, info)
		}
	}
	// A key is served by its slot's master only.
	moved := 0
	for _, a := range c.Addrs {
		if _, err := Do(a, "SET", "some-key", "v"); err != nil && strings.HasPrefix(err.Error(), "MOVED") {
			moved++
		}
	}
	if moved != 2 {
		t.Errorf("%d of 3 masters redirected SET, want 2", moved)
	}
}

func TestStartSentinel(t *testing.T) {
	s := StartSentinel(t, 3)
	if len(s.Addrs) != 3 || s.URL != "redis+sentinel://"+strings.Join(s.Addrs, ",")+"/pollbot" {
		t.Fatalf("Addrs %v, URL %q", s.Addrs, s.URL)
	}
	master := strings.Replace(s.Master.Addr, ":", "\n", 1)
	for _, a := range append([]string{s.Master.Addr}, s.Addrs...) {
		if _, port, _ := net.SplitHostPort(a); port == "6379" || port == "26379" {
			t.Errorf("a default port: %s", a)
		}
	}
	for _, a := range s.Addrs {
		got, err := Do(a, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", "pollbot")
		if err != nil || got != master {
			t.Errorf("sentinel %s names master %q, %v; want %q", a, got, err, master)
		}
	}
	if got, err := Do(s.Master.Addr, "CONFIG", "GET", "save"); err != nil || got != "save\n" {
		t.Errorf("master CONFIG GET save = %q, %v; want persistence off", got, err)
	}
}

func TestSentinelFailover(t *testing.T) {
	s := StartSentinel(t, 1, WithReplicas(1))
	replica := s.Replicas[0]
	if _, err := Do(s.Master.Addr, "SET", "k", "before"); err != nil {
		t.Fatal(err)
	}
	if _, err := Do(replica.Addr, "SET", "k", "x"); err == nil || !strings.HasPrefix(err.Error(), "READONLY") {
		t.Fatalf("SET on the replica: %v, want READONLY", err)
	}
	promoted, err := s.Failover()
	if err != nil {
		t.Fatal(err)
	}
	if promoted != replica {
		t.Fatalf("promoted %s, want the replica %s", promoted.Addr, replica.Addr)
	}
	if addr, err := s.MasterAddr(); err != nil || addr != replica.Addr {
		t.Errorf("MasterAddr = %s, %v; want %s", addr, err, replica.Addr)
	}
	// Failover waited for the replica to catch up: nothing is lost.
	if got, err := Do(replica.Addr, "GET", "k"); err != nil || got != "before" {
		t.Errorf("GET k on the new master = %q, %v; want before", got, err)
	}
	if _, err := Do(replica.Addr, "SET", "k", "after"); err != nil {
		t.Errorf("SET on the new master: %v", err)
	}
}

// recorder is a testing.TB that records Skip and Fatal instead of ending
// the test.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Skipf(f string, args ...any)  { r.skipped = fmt.Sprintf(f, args...) }
func (r *recorder) Fatalf(f string, args ...any) { r.failed = fmt.Sprintf(f, args...) }
func (r *recorder) Fatal(args ...any)            { r.failed = fmt.Sprint(args...) }

func TestMissingRedis(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := NewServer(t.TempDir())
	if !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("NewServer without redis-server: %v, want ErrNotInstalled", err)
	}
	if _, err := NewCluster(t.TempDir(), 3); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("NewCluster without redis-server: %v, want ErrNotInstalled", err)
	}
	if _, err := NewSentinel(t.TempDir(), 1); !errors.Is(err, ErrNotInstalled) {
		t.Fatalf("NewSentinel without redis-server: %v, want ErrNotInstalled", err)
	}

	t.Setenv(EnvRequire, "")
	r := &recorder{TB: t}
	Check(r, err)
	if !strings.Contains(r.skipped, "redis-server not found") || r.failed != "" {
		t.Errorf("without redis-server: skipped %q, failed %q; want a skip", r.skipped, r.failed)
	}

	t.Setenv(EnvRequire, "required")
	r = &recorder{TB: t}
	Check(r, err)
	if !strings.Contains(r.failed, "redis-server not found") || r.skipped != "" {
		t.Errorf("with %s=required: skipped %q, failed %q; want a failure", EnvRequire, r.skipped, r.failed)
	}

	r = &recorder{TB: t}
	Check(r, errors.New("port trouble"))
	if r.failed != "port trouble" {
		t.Errorf("other errors: failed %q, want the error", r.failed)
	}
}
