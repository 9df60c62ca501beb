package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestPprofLoopbackOnly: profiles are served only when asked for, and only
// on a loopback address.
func TestPprofLoopbackOnly(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "example.com:6060", "6060"} {
		if stop, err := servePprof(addr, log); err == nil {
			stop()
			t.Errorf("POLLBOT_PPROF_ADDR=%s accepted", addr)
		} else if !strings.Contains(err.Error(), "POLLBOT_PPROF_ADDR") {
			t.Errorf("error %q does not name POLLBOT_PPROF_ADDR", err)
		}
	}
	stop, err := servePprof("", log)
	if err != nil {
		t.Fatal(err)
	}
	stop()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stop, err = servePprof(addr, log)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Errorf("HTTP %d %.200s", resp.StatusCode, body)
	}
}
