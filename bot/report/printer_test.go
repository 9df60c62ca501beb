package report_test

import (
	"bytes"
	"testing"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
)

// TestFormatsSpeakTheWritersLanguage: the formats that write words (the
// Markdown report, the chart) write them in the language of the printer
// their writer carries, and in English without one.
func TestFormatsSpeakTheWritersLanguage(t *testing.T) {
	p, r := approvalReport()
	for _, name := range []string{"md", "png"} {
		f, ok := report.Find(name, false)
		if !ok {
			t.Fatalf("no format %s", name)
		}
		var plain, english, pseudo bytes.Buffer
		for _, w := range []struct {
			buf *bytes.Buffer
			p   *msg.Printer
		}{{&plain, nil}, {&english, msg.English()}, {&pseudo, msg.Pseudo()}} {
			out := report.WithPrinter(w.buf, w.p)
			if w.p == nil {
				out = w.buf
			}
			if err := f.WriteReport(out, p, r, fixtureGroups()); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		if !bytes.Equal(plain.Bytes(), english.Bytes()) {
			t.Errorf("%s: a writer without a printer does not get English", name)
		}
		if bytes.Equal(english.Bytes(), pseudo.Bytes()) {
			t.Errorf("%s: the pseudo printer's words are not written", name)
		}
	}
}
