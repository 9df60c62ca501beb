package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthcheck(t *testing.T) {
	block := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "store unreachable", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/healthz", http.StatusFound)
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	defer close(block)

	// A port nothing listens on: taken, then released.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/healthz"
	ln.Close()

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string // substring; empty: stderr must be empty
	}{
		{"200 ok", []string{"-url", srv.URL + "/healthz"}, 0, ""},
		{"503 fails", []string{"-url", srv.URL + "/readyz"}, 1, "503 Service Unavailable: store unreachable"},
		{"404 fails", []string{"-url", srv.URL + "/nowhere"}, 1, "404 Not Found"},
		{"redirect fails", []string{"-url", srv.URL + "/moved"}, 1, "302 Found"},
		{"unreachable fails", []string{"-url", closed}, 1, "connection refused"},
		{"slow fails", []string{"-url", srv.URL + "/slow", "-timeout", "200ms"}, 1, "no answer within 200ms"},
		{"not a URL", []string{"-url", "localhost:8080/healthz"}, 1, "not an http(s) URL"},
		{"stray argument", []string{srv.URL}, 2, "Usage: pollbot healthcheck"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			code, stdout, stderr := runCmd(t, nil, "", append([]string{"healthcheck"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if tc.stderr == "" && stderr != "" || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.stderr)
			}
			if code == 0 && !strings.Contains(stdout, "200 OK") {
				t.Errorf("stdout = %q, want the status", stdout)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s", d)
			}
		})
	}
}

// TestHealthcheckDefaultURL checks that the default target follows
// POLLBOT_HTTP_ADDR, the variable serve listens on.
func TestHealthcheckDefaultURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "ok")
	}))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	for _, addr := range []string{":" + port, "0.0.0.0:" + port, "127.0.0.1:" + port} {
		code, stdout, stderr := runCmd(t, map[string]string{"POLLBOT_HTTP_ADDR": addr}, "", "healthcheck")
		if code != 0 {
			t.Errorf("POLLBOT_HTTP_ADDR=%s: exit %d: %s%s", addr, code, stdout, stderr)
		}
	}
	code, _, stderr := runCmd(t, map[string]string{"POLLBOT_HTTP_ADDR": "8080"}, "", "healthcheck")
	if code != 1 || !strings.Contains(stderr, "POLLBOT_HTTP_ADDR") || !strings.Contains(stderr, "-url") {
		t.Errorf("POLLBOT_HTTP_ADDR=8080: exit %d: %s", code, stderr)
	}
}

func TestHealthcheckURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":           "http://127.0.0.1:8080/healthz",
		"0.0.0.0:9000":    "http://127.0.0.1:9000/healthz",
		"[::]:8080":       "http://[::1]:8080/healthz",
		"10.0.0.5:8080":   "http://10.0.0.5:8080/healthz",
		"localhost:8080":  "http://localhost:8080/healthz",
		"[fd00::2]:80":    "http://[fd00::2]:80/healthz",
		"127.0.0.1:31337": "http://127.0.0.1:31337/healthz",
	} {
		if got, err := healthURL(addr); got != want || err != nil {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
	for _, addr := range []string{"8080", "", "host:"} {
		if got, err := healthURL(addr); err == nil {
			t.Errorf("healthURL(%q) = %q, want an error", addr, got)
		}
	}
}
