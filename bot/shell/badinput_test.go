package shell_test

import (
	"bytes"
	"context"
	"runtime"
	"strings"
	"testing"
)

// endlessLine is a reader of one line of n 'a's, then rest; it never holds
// the line in memory.
type endlessLine struct {
	n    int
	rest *strings.Reader
}

func (r *endlessLine) Read(p []byte) (int, error) {
	if r.n == 0 {
		return r.rest.Read(p)
	}
	k := min(len(p), r.n)
	for i := range k {
		p[i] = 'a'
	}
	r.n -= k
	return k, nil
}

// TestHugeLine: a 10 MB line is refused as too long and the shell goes on
// to the next line, in bounded memory; before, it stopped with "token too
// long".
func TestHugeLine(t *testing.T) {
	var out bytes.Buffer
	sh, _ := newShell(t, &out)
	in := &endlessLine{n: 10 << 20, rest: strings.NewReader("\n/whoami\r\nopen \"T\" \"A\x00\" \"B\"\nopen \"T\" \"A\u202e\" \"B\"\n/poll list")}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	if err := sh.Run(context.Background(), in); err != nil {
		t.Fatalf("Run: %v", err)
	}
	runtime.ReadMemStats(&after)
	if n := after.TotalAlloc - before.TotalAlloc; n > 4<<20 {
		t.Errorf("a 10 MB line allocated %d bytes, want < 4 MiB", n)
	}
	got := out.String()
	for _, want := range []string{
		"you> " + strings.Repeat("a", 60) + "… (10485760 bytes in all)\n",
		"pollbot (only you): The command is too long: at most 100 words and 10000 bytes.",
		"you> /whoami\nYou are you, a facilitator.",
		"Theme 1 contains a control character (U+0000), which chat cannot show; remove it.",
		"Theme 1 contains a text-direction control (U+202E)",
		"you> /poll list\npollbot (only you): Open polls:\n  No open polls.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q:\n%.2000s", want, got)
		}
	}
	if len(got) > 4000 {
		t.Errorf("the transcript is %d bytes: the huge line was echoed", len(got))
	}
}

// TestLongLines: lines around the limits, and line endings, in a script.
func TestLongLines(t *testing.T) {
	var out bytes.Buffer
	sh, _ := newShell(t, &out)
	script := strings.Join([]string{
		`open "T" "` + strings.Repeat("x", 9000) + `"`,   // a command, refused by the domain
		`open "T" "` + strings.Repeat("x", 70_000) + `"`, // over the shell's line buffer
		"/as " + strings.Repeat("u", 100),
		"/whoami",
	}, "\r\n")
	if err := sh.Run(context.Background(), strings.NewReader(script)); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"Theme 1 is 9000 characters; at most 80.",
		"… (70011 bytes in all)\npollbot (only you): The command is too long: at most 100 words and 10000 bytes; a poll has at most 25 themes, each at most 80 characters.",
		"That user name is 100 bytes long; /as takes a user name of at most 64.",
		"You are you, a facilitator.",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("transcript lacks %q:\n%.3000s", want, got)
		}
	}
	if strings.Contains(got, "\r") {
		t.Error("a \\r of a CRLF line ending reached the transcript")
	}
}
