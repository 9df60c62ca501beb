package redistest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"
)

// pingWithin sends PING over a fresh connection and waits at most d for
// the answer.
func pingWithin(addr string, d time.Duration) (string, error) {
	conn, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(d))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

func TestPauseResume(t *testing.T) {
	s := StartServer(t)
	t.Cleanup(func() { _ = s.Resume() })
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if got, err := pingWithin(s.Addr, 300*time.Millisecond); err == nil {
		t.Fatalf("a paused server answered PING: %q", got)
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if got, err := pingWithin(s.Addr, 5*time.Second); err != nil || got != "+PONG" {
		t.Fatalf("PING after Resume: %q, %v", got, err)
	}
	s.Kill()
	if err := s.Pause(); err == nil {
		t.Error("Pause of a killed server succeeded")
	}
}
