package redistest

import (
	"errors"
	"syscall"
)

// errNotRunning is returned by Pause and Resume when the server has been
// killed or stopped.
var errNotRunning = errors.New("redistest: redis-server is not running")

// Pause freezes the server with SIGSTOP, as a Redis stalled by the machine
// (swapping, a stuck disk, a paused VM) is: its port still accepts
// connections and takes in commands, but nothing answers until Resume.
// Commands sent meanwhile run when it resumes. Resume a paused server
// before the test ends: Stop would wait for it in vain before killing it.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume lets a paused server run again (SIGCONT). Resuming a server that
// is not paused does nothing.
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil || s.cmd.Process == nil {
		return errNotRunning
	}
	select {
	case <-s.done:
		return errNotRunning
	default:
	}
	return s.cmd.Process.Signal(sig)
}
