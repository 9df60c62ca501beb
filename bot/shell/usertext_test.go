package shell_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestUserTextAsWritten: the shell prints titles, labels and echoed input
// exactly as they were written, and the engine's marks of user text never
// reach the terminal.
func TestUserTextAsWritten(t *testing.T) {
	var out bytes.Buffer
	sh, _ := newShell(t, &out)
	ctx := context.Background()
	for _, line := range []string{
		`/poll open "<!channel> [t](https://evil.example)" "**bold** @everyone" "<@1> ||x||" --quorum 1`,
		`/poll group academia`,
		`/poll vote SNTT 1 2`,
		`/poll vote SNTT "[y](https://evil.example)"`,
		`/poll preset "*p*"`,
		`/poll list`,
		`/poll close SNTT`,
		`/poll report SNTT`,
		"/as \uE000x\uE001",
	} {
		sh.Line(ctx, line)
	}
	got := out.String()
	if strings.ContainsAny(got, "\uE000\uE001") {
		t.Errorf("a user text mark reached the shell:\n%q", got)
	}
	for _, want := range []string{
		"Poll SNTT: <!channel> [t](https://evil.example)",
		"Your ballot in poll SNTT: **bold** @everyone; <@1> ||x||. Counted for Academia.",
		`Poll SNTT has no theme "[y](https://evil.example)"`,
		`Unknown preset "*p*"`,
		"Consensus report: <!channel> [t](https://evil.example)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("want %q in:\n%s", want, got)
		}
	}
}
