package report

import (
	"io"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// WithPrinter returns w carrying p: a format that writes words (Markdown,
// the chart) writes them with p, where it would otherwise write English. The format
// registry's writers take a plain io.Writer, so the printer travels with
// it: /poll export, which writes through the registry, gets its report in
// the engine's language.
func WithPrinter(w io.Writer, p *msg.Printer) io.Writer { return printing{w, p} }

type printing struct {
	io.Writer
	p *msg.Printer
}

// PrinterOf is the printer w carries (see WithPrinter), or English: for
// a writer of words that is handed a plain io.Writer, such as a chart
// function.
func PrinterOf(w io.Writer) *msg.Printer {
	if pw, ok := w.(printing); ok && pw.p != nil {
		return pw.p
	}
	return msg.English()
}

var kindWords = map[polls.Kind]msg.Def0{
	polls.Approval: msg.KindApproval,
	polls.Single:   msg.KindSingle,
	polls.Ranked:   msg.KindRanked,
}

// KindWord is a poll kind as a word: "a ranked poll".
func KindWord(k polls.Kind) msg.Message {
	if d, ok := kindWords[k]; ok {
		return d.With()
	}
	return msg.Unworded.With(string(k))
}

var pollStatusWords = map[polls.Status]msg.Def0{
	polls.StatusOpen:      msg.PollStatusOpen,
	polls.StatusClosed:    msg.PollStatusClosed,
	polls.StatusCancelled: msg.PollStatusCancelled,
}

// PollStatusWord is a poll's status as a word: "poll K7QX is closed".
func PollStatusWord(s polls.Status) msg.Message {
	if d, ok := pollStatusWords[s]; ok {
		return d.With()
	}
	return msg.Unworded.With(string(s))
}
