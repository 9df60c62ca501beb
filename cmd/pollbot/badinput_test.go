package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestBadPollIDArgs: report and export refuse a poll id that cannot be
// one (huge, invalid UTF-8, control characters) with a short message, and
// never echo it back in full.
func TestBadPollIDArgs(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pollbot.db")
	// report and export read a store that exists; the shell makes one.
	if code, _, stderr := runCmd(t, nil, "/quit\n", "shell", "-data", db); code != 0 {
		t.Fatalf("shell: exit %d: %s", code, stderr)
	}
	for name, id := range map[string]string{
		"100,000 characters": strings.Repeat("K", 100_000),
		"invalid UTF-8":      "K7\xff\xfe",
		"terminal escape":    "K7QX\x1b[2J",
		"NUL":                "K7QX\x00",
	} {
		for _, args := range [][]string{
			{"report", "-data", db, id},
			{"report", "-data", db, "-format", "json", id},
			{"export", "-data", db, id},
			{"export", "-data", db, "-ballots", id},
			{"timeline", "-data", db, id},
		} {
			code, stdout, stderr := runCmd(t, nil, "", args...)
			if code != 1 || stdout != "" {
				t.Errorf("%s %s: exit %d, stdout %.80q; want 1 and nothing", args[0], name, code, stdout)
			}
			if !strings.Contains(stderr, "is not a poll id (ids look like K7QX)") {
				t.Errorf("%s %s: stderr %.200q", args[0], name, stderr)
			}
			if len(stderr) > 300 || strings.ContainsAny(stderr, "\x00\x1b") {
				t.Errorf("%s %s: stderr echoes the id: %.300q", args[0], name, stderr)
			}
		}
	}
}
