package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pollbot/pollbot/bot/msg"
)

// RenderText renders a reply as plain text, in English: the shell's
// output, and the fallback text of chat notifications. It is
// deterministic. User text is shown as it was written (see PlainText); a
// surface that gives characters meaning must escape the result as a
// whole.
func RenderText(r Reply) string { return RenderTextIn(msg.English(), r) }

// RenderTextIn is RenderText with the words of p (the engine's: see
// Engine.Printer) for the few the text layout adds to the views.
func RenderTextIn(p *msg.Printer, r Reply) string { return PlainText(renderText(p, r)) }

// RenderTextMarked is RenderTextIn with the marks of user text kept (see
// UserText): for a surface that escapes people's text itself, or a test
// that tells the catalog's words from the text people wrote.
func RenderTextMarked(p *msg.Printer, r Reply) string { return renderText(p, r) }

func renderText(p *msg.Printer, r Reply) string {
	var b strings.Builder
	if r.Text != "" {
		b.WriteString(r.Text)
		b.WriteString("\n")
	}
	if r.Poll != nil {
		writePollText(p, &b, r.Poll)
	}
	if r.Report != nil {
		writeReportText(p, &b, r.Report)
	}
	if r.List != nil {
		b.WriteString(p.Sprint(msg.Heading.With(r.List.Title)) + "\n")
		for _, l := range r.List.Lines {
			b.WriteString("  " + l + "\n")
		}
		if r.List.Empty != "" {
			b.WriteString("  " + r.List.Empty + "\n")
		}
	}
	if r.Picker != nil {
		b.WriteString(p.Sprint(msg.SentenceJoin.With(r.Picker.Prompt, p.Sprint(msg.PickerAnswer.With()))) + "\n")
		for _, o := range r.Picker.Options {
			a, _ := ParseAction(o.ID)
			fmt.Fprintf(&b, "  %-20s %s\n", a.Group, o.Label)
		}
	}
	for _, f := range r.Files {
		if isText(f.MIME) {
			fmt.Fprintf(&b, "%s\n%s", p.Sprint(msg.FileBegin.With(f.Name)), f.Data)
			if len(f.Data) > 0 && f.Data[len(f.Data)-1] != '\n' {
				b.WriteString("\n")
			}
			b.WriteString(p.Sprint(msg.FileEnd.With(f.Name)) + "\n")
		} else {
			b.WriteString(p.Sprint(msg.FileAttached.With(f.Name, f.MIME)) + "\n")
		}
	}
	return b.String()
}

func isText(mime string) bool {
	return strings.HasPrefix(mime, "text/") || mime == "application/json"
}

func writePollText(p *msg.Printer, b *strings.Builder, v *PollView) {
	fmt.Fprintf(b, "┌ %s\n", p.Sprint(msg.PollHeading.With(v.ID, v.Title)))
	fmt.Fprintf(b, "│ %s%s%s\n", v.StatusText, p.Sprint(msg.Dot.With()), v.KindText)
	for _, t := range v.Themes {
		switch {
		case t.Badge != "":
			fmt.Fprintf(b, "│ %2d. %s %-10s %s — %s\n", t.Number, t.Bar, t.CountText, t.Label, t.Badge)
		case v.ResultsVisible:
			fmt.Fprintf(b, "│ %2d. %s %-10s %s\n", t.Number, t.Bar, t.CountText, t.Label)
		default:
			fmt.Fprintf(b, "│ %2d. %s\n", t.Number, t.Label)
		}
	}
	if v.HiddenNote != "" {
		fmt.Fprintf(b, "│ %s\n", v.HiddenNote)
	}
	fmt.Fprintf(b, "│ %s\n", p.Sprint(msg.BallotsLine.With(v.Ballots, v.ParticipationText)))
	for _, s := range v.Summary {
		fmt.Fprintf(b, "│ %s\n", s)
	}
	fmt.Fprintf(b, "└ %s\n", v.Footer)
}

func writeReportText(p *msg.Printer, b *strings.Builder, v *ReportView) {
	fmt.Fprintf(b, "%s\n%s\n\n", v.Title, v.Subtitle)
	for _, s := range v.Summary {
		b.WriteString(s + "\n")
	}
	width := 0
	for _, t := range v.Themes {
		for _, g := range t.Groups {
			width = max(width, utf8.RuneCountInString(PlainText(g.Label)))
		}
	}
	for _, t := range v.Themes {
		fmt.Fprintf(b, "\n#%d %s — %s\n   %s\n   %s\n", t.Rank, t.Label, t.Badge, t.Grounds, t.Numbers)
		for _, g := range t.Groups {
			note := ""
			if !g.Qualifies {
				note = "  " + p.Sprint(msg.BelowQuorum.With())
			}
			pad := strings.Repeat(" ", width-utf8.RuneCountInString(PlainText(g.Label)))
			fmt.Fprintf(b, "   %s %s%s %s %4s  %s%s\n", g.Emoji, g.Label, pad, g.Bar, g.Percent, g.Count, note)
		}
	}
	if len(v.Notes) > 0 {
		b.WriteString("\n")
		for _, n := range v.Notes {
			b.WriteString(n + "\n")
		}
	}
	b.WriteString("\n" + v.Legend + "\n")
}
