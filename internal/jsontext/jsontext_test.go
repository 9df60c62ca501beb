package jsontext_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/pollbot/pollbot/internal/jsontext"
)

// FuzzAppendString: whatever the string, the output is JSON that decodes
// to what encoding/json's encoding of it decodes to.
//
//	go test -run '^$' -fuzz='^FuzzAppendString$' -fuzztime=1m ./internal/jsontext
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote \" back \\ slash", "\n\r\t\b\f\x00\x1f\x7f", "\u2028\u2029", "\xff\xfe invalid", "حوكمة 👨‍👩‍👧", "<a href='x'>&amp;</a>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := jsontext.AppendString([]byte("prefix"), s)
		if string(out[:6]) != "prefix" {
			t.Fatalf("AppendString overwrote its destination: %q", out)
		}
		var got string
		if err := json.Unmarshal(out[6:], &got); err != nil {
			t.Fatalf("AppendString(%q) = %s, not JSON: %v", s, out[6:], err)
		}
		want, _ := json.Marshal(s)
		var wantS string
		if err := json.Unmarshal(want, &wantS); err != nil {
			t.Fatal(err)
		}
		if got != wantS {
			t.Fatalf("AppendString(%q) decodes to %q, encoding/json's to %q", s, got, wantS)
		}
		if !utf8.Valid(out) {
			t.Fatalf("AppendString(%q) wrote invalid UTF-8: %q", s, out)
		}
	})
}
