package report

import (
	"fmt"
	"strings"

	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/polls"
)

// Words says in sentences what a report's statuses rest on: the fields of
// polls.ThemeResult (above, below, to_emerging, to_consensus,
// size_limited, margin, fragile, split) and the report's participation
// (groups below quorum, absent groups, held votes). Every place a report
// appears says them the same way: the chat report and the closing
// announcement (through bot), Markdown, the text report, the live screen.
//
// A sentence is one a chair can read aloud, e.g.
//
//	DNS abuse: divided (marginal): Civil society alone is below 50% (6/15);
//	3 more supporting ballots there would make it emerging.
type Words struct {
	// Groups names the groups; nil means polls.DefaultGroups.
	Groups *polls.Groups
	// Label wraps text people wrote (theme and group labels) for the
	// output: chat marks it as user text, Markdown escapes it. nil leaves
	// it as it is.
	Label func(string) string
}

func (w Words) label(s string) string {
	if w.Label == nil {
		return s
	}
	return w.Label(s)
}

func (w Words) groups() *polls.Groups {
	if w.Groups == nil {
		return polls.MustGroups(polls.DefaultGroups)
	}
	return w.Groups
}

func (w Words) group(g polls.Group) string { return w.label(w.groups().Info(g).Label) }

// Verdict is the whole sentence of one theme: its label, its status with
// its qualifier, and its grounds.
func (w Words) Verdict(r *polls.Report, th polls.ThemeResult) string {
	return w.label(th.Theme) + ": " + Status(th) + ": " + w.Grounds(r, th)
}

// Status is a theme's status with its qualifier: "consensus, fragile",
// "divided (marginal)", "low".
func Status(th polls.ThemeResult) string {
	s := string(th.Status)
	if th.Fragile {
		s += ", fragile"
	}
	if th.Status == polls.Divided && th.Split != "" {
		s += " (" + string(th.Split) + ")"
	}
	return s
}

// Grounds says what the theme's status rests on and what would change it,
// as one or two clauses ending in a full stop.
func (w Words) Grounds(r *polls.Report, th polls.ThemeResult) string {
	tau := numfmt.PercentExact(r.Threshold)
	ranked := r.Poll.Kind == polls.Ranked
	switch th.Status {
	case polls.Insufficient:
		q := qualifying(r)
		if q == 0 {
			return fmt.Sprintf("no group reached the quorum of %s, and judging takes %d.",
				countOf(int64(r.Quorum), "ballot", "ballots"), r.MinGroups)
		}
		return fmt.Sprintf("only %s reached the quorum of %s, and judging takes %d.",
			countOf(int64(q), "group", "groups"), countOf(int64(r.Quorum), "ballot", "ballots"), r.MinGroups)

	case polls.Consensus:
		s := fmt.Sprintf("every group that counts is at or above %s with 95%% confidence", tau)
		if m := th.Margin; m != nil {
			if th.Fragile {
				return fmt.Sprintf("one more %s from %s (%s) would make it %s.",
					dissent(ranked, 1), w.group(m.Group), w.support(th, m.Group, ranked), m.To)
			}
			s += fmt.Sprintf("; it would take %s from %s (%s) to make it %s",
				more(m.Dissents, dissent(ranked, m.Dissents)), w.group(m.Group), w.support(th, m.Group, ranked), m.To)
		}
		return s + "."

	case polls.Emerging:
		var parts []string
		if len(th.ToConsensus) > 0 {
			parts = append(parts, "consensus needs "+w.needs(th, th.ToConsensus, ranked, true))
		}
		if len(th.SizeLimited) > 0 {
			var names []string
			for _, l := range th.SizeLimited {
				names = append(names, w.group(l.Group))
			}
			s := fmt.Sprintf("%s %s too small for consensus even if unanimous", list(names), verb(len(names), "is", "are"))
			if n := th.SizeLimited[0].BallotsNeeded; n != nil {
				s += fmt.Sprintf(" (that takes at least %s)", countOf(*n, "ballot", "ballots"))
			} else {
				s += fmt.Sprintf(" (no group size is enough at %s)", tau)
			}
			parts = append(parts, s)
		}
		if m := th.Margin; m != nil {
			n := more(m.Dissents, dissent(ranked, m.Dissents))
			if th.Fragile {
				n = "one more " + dissent(ranked, 1)
			}
			from := fmt.Sprintf("from %s (%s)", w.group(m.Group), w.support(th, m.Group, ranked))
			if len(th.ToConsensus) == 1 && th.ToConsensus[0].Group == m.Group {
				from = "there"
			}
			parts = append(parts, fmt.Sprintf("%s %s would make it %s", n, from, m.To))
		}
		if len(parts) == 0 {
			return fmt.Sprintf("every group that counts is at or above %s.", tau)
		}
		return strings.Join(parts, "; ") + "."

	case polls.Divided, polls.Low:
		var below []string
		for _, g := range th.Below {
			below = append(below, fmt.Sprintf("%s (%s)", w.group(g), w.support(th, g, ranked)))
		}
		var s string
		switch {
		case th.Status == polls.Low:
			s = fmt.Sprintf("no group that counts reaches %s", tau)
		case len(th.Below) == 1:
			s = fmt.Sprintf("%s alone is below %s", below[0], tau)
		default:
			var above []string
			for _, g := range th.Above {
				above = append(above, w.group(g))
			}
			s = fmt.Sprintf("%s %s below %s, while %s %s at or above it",
				list(below), verb(len(below), "is", "are"), tau, list(above), verb(len(above), "is", "are"))
		}
		if len(th.ToEmerging) == 1 {
			n := th.ToEmerging[0]
			if n.Needed == nil {
				return s + fmt.Sprintf("; no number of %s there can bring it to %s.", supporting(ranked, 2), tau)
			}
			return s + fmt.Sprintf("; %s there would make it emerging.", more(*n.Needed, supporting(ranked, *n.Needed)))
		}
		return s + "; emerging needs " + w.needs(th, th.ToEmerging, ranked, false) + "."
	}
	return ""
}

// needs says "4 more supporting ballots in Technical community" or, for
// several groups, "9 more supporting ballots in Government, 5 in Private
// sector and 2 in Academia"; groups no number of ballots can lift are
// said apart. withCount adds each group's present support.
func (w Words) needs(th polls.ThemeResult, ns []polls.GroupNeed, ranked, withCount bool) string {
	var parts, never []string
	for _, n := range ns {
		name := w.group(n.Group)
		if withCount {
			name += " (" + w.support(th, n.Group, ranked) + ")"
		}
		if n.Needed == nil {
			never = append(never, name)
			continue
		}
		if len(parts) == 0 {
			parts = append(parts, more(*n.Needed, supporting(ranked, *n.Needed))+" in "+name)
		} else {
			parts = append(parts, fmt.Sprintf("%d in %s", *n.Needed, name))
		}
	}
	s := list(parts)
	if len(never) > 0 {
		if s != "" {
			s += ", and "
		}
		s += fmt.Sprintf("more than any number of %s in %s", supporting(ranked, 2), list(never))
	}
	return s
}

// support is a group's support for a theme as a count: "6/15", or in a
// ranked poll "4.5 of 6 points".
func (w Words) support(th polls.ThemeResult, g polls.Group, ranked bool) string {
	for _, gs := range th.Groups {
		if gs.Group == g {
			return Count(gs.Supporters, gs.Ballots, ranked)
		}
	}
	return "–"
}

// Count is a group's support as a count: "6/15" (supporting ballots of
// all its ballots), or in a ranked poll "4.5 of 6 points" (Borda points of
// the most its ballots could give).
func Count(supporters float64, ballots int64, ranked bool) string {
	if ranked {
		return numfmt.Number(supporters) + " of " + countOf(ballots, "point", "points")
	}
	return numfmt.Number(supporters) + "/" + fmt.Sprint(ballots)
}

// Participation says what the report's participation rests on: each
// group below quorum and what it needs to count, the configured groups
// with no ballot, and the votes held while their voters pick a group.
func (w Words) Participation(r *polls.Report) []string {
	var out []string
	for _, g := range r.Groups {
		if !g.Qualifies && g.Needed > 0 {
			out = append(out, fmt.Sprintf("%s needs %s to count.", w.group(g.Group), more(g.Needed, nounFor(g.Needed, "ballot", "ballots"))))
		}
	}
	if len(r.Absent) > 0 {
		var names []string
		for _, g := range r.Absent {
			names = append(names, w.group(g))
		}
		out = append(out, fmt.Sprintf("No ballots from %s; %s to count.", list(names),
			verb(len(names), "it needs ", "each needs ")+countOf(int64(r.Quorum), "ballot", "ballots")))
	}
	if r.Held > 0 {
		out = append(out, fmt.Sprintf("%s waiting for %s to pick a stakeholder group: not counted until %s.",
			countOf(r.Held, "vote is", "votes are"), verb(int(r.Held), "its voter", "their voters"), verb(int(r.Held), "it is", "they are")))
	}
	return out
}

// qualifying is how many groups reach quorum.
func qualifying(r *polls.Report) int {
	n := 0
	for _, g := range r.Groups {
		if g.Qualifies {
			n++
		}
	}
	return n
}

// supporting names the ballots that add support: in a ranked poll a
// ballot adds a whole point only by ranking the theme first.
func supporting(ranked bool, n int64) string {
	if ranked {
		return nounFor(n, "ballot ranking it first", "ballots ranking it first")
	}
	return nounFor(n, "supporting ballot", "supporting ballots")
}

// dissent names the ballots that oppose: in a ranked poll, ballots that
// give the theme no point (last or unranked).
func dissent(ranked bool, n int64) string {
	if ranked {
		return nounFor(n, "ballot ranking it last", "ballots ranking it last")
	}
	return nounFor(n, "dissenting ballot", "dissenting ballots")
}

func more(n int64, noun string) string { return fmt.Sprintf("%d more %s", n, noun) }

func nounFor(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func countOf(n int64, one, many string) string { return fmt.Sprintf("%d %s", n, nounFor(n, one, many)) }

// list joins names as English does: "A", "A and B", "A, B and C".
func list(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}
