package report

import (
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/polls"
)

// Words says in sentences what a report's statuses rest on: the fields of
// polls.ThemeResult (above, below, to_emerging, to_consensus,
// size_limited, margin, fragile, split) and the report's participation
// (groups below quorum, absent groups, held votes). Every place a report
// appears says them the same way: the chat report and the closing
// announcement (through bot), Markdown, the text report, the live screen.
// The words are the catalog's (bot/msg).
//
// A sentence is one a chair can read aloud, e.g.
//
//	DNS abuse: divided (marginal): Civil society (6/15) alone is below 50%;
//	3 more supporting ballots there would make it emerging.
type Words struct {
	// Groups names the groups; nil means polls.DefaultGroups.
	Groups *polls.Groups
	// Label wraps text people wrote (theme and group labels) for the
	// output: chat marks it as user text, Markdown escapes it. nil leaves
	// it as it is.
	Label func(string) string
	// Printer renders the catalog's messages; nil means English.
	Printer *msg.Printer
}

func (w Words) p() *msg.Printer {
	if w.Printer == nil {
		return msg.English()
	}
	return w.Printer
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
	return w.p().Sprint(msg.Verdict.With(w.label(th.Theme), w.p().Sprint(StatusMessage(th)), w.Grounds(r, th)))
}

// Status is a theme's status with its qualifier, in words: "consensus,
// fragile", "divided (marginal)", "low".
func (w Words) Status(th polls.ThemeResult) string { return w.p().Sprint(StatusMessage(th)) }

var statusWords = map[polls.ThemeStatus]msg.Def0{
	polls.Consensus:    msg.StatusConsensus,
	polls.Emerging:     msg.StatusEmerging,
	polls.Divided:      msg.StatusDivided,
	polls.Low:          msg.StatusLow,
	polls.Insufficient: msg.StatusInsufficient,
}

// StatusWord is a status as a word: "consensus".
func StatusWord(st polls.ThemeStatus) msg.Message {
	d, ok := statusWords[st]
	if !ok {
		d = msg.StatusInsufficient
	}
	return d.With()
}

// StatusMessage is a theme's status with its qualifier.
func StatusMessage(th polls.ThemeResult) msg.Message { return Qualified(StatusWord(th.Status), th) }

// Qualified adds a theme's qualifiers to how its status is shown (a word,
// a badge): "consensus, fragile", "divided (marginal)".
func Qualified(m msg.Message, th polls.ThemeResult) msg.Message {
	if th.Fragile {
		m = msg.StatusFragile.With(m)
	}
	if th.Status == polls.Divided && th.Split != "" {
		split := msg.SplitMarginal.With()
		if th.Split == polls.SplitClear {
			split = msg.SplitClear.With()
		}
		m = msg.StatusSplit.With(m, split)
	}
	return m
}

// Grounds says what the theme's status rests on and what would change it,
// as one or two clauses ending in a full stop.
func (w Words) Grounds(r *polls.Report, th polls.ThemeResult) string {
	p := w.p()
	tau := numfmt.PercentExact(r.Threshold)
	ranked := r.Poll.Kind == polls.Ranked
	withSupport := func(g polls.Group) string {
		return p.Sprint(msg.GroupSupport.With(w.group(g), w.support(th, g, ranked)))
	}
	switch th.Status {
	case polls.Insufficient:
		quorum := msg.Ballots.With(int64(r.Quorum))
		if q := qualifying(r); q > 0 {
			return p.Sprint(msg.GroundsFewQuorum.With(msg.Groups.With(int64(q)), quorum, r.MinGroups))
		}
		return p.Sprint(msg.GroundsNoQuorum.With(quorum, r.MinGroups))

	case polls.Consensus:
		m := th.Margin
		switch {
		case m == nil:
			return p.Sprint(msg.GroundsConfident.With(tau))
		case th.Fragile:
			return p.Sprint(msg.GroundsFragile.With(oneMoreDissent(ranked), withSupport(m.Group), StatusWord(m.To)))
		}
		return p.Sprint(msg.GroundsConfidentUntil.With(tau, moreDissent(ranked, m.Dissents), withSupport(m.Group), StatusWord(m.To)))

	case polls.Emerging:
		var parts []string
		if len(th.ToConsensus) > 0 {
			parts = append(parts, p.Sprint(msg.GroundsConsensusNeeds.With(w.needs(th, th.ToConsensus, ranked, true))))
		}
		if len(th.SizeLimited) > 0 {
			var names []string
			for _, l := range th.SizeLimited {
				names = append(names, w.group(l.Group))
			}
			s := p.Sprint(msg.GroundsTooSmall.With(p.ListStrings(names), len(names)))
			if n := th.SizeLimited[0].BallotsNeeded; n != nil {
				s += " " + p.Sprint(msg.GroundsTakesAtLeast.With(msg.Ballots.With(*n)))
			} else {
				s += " " + p.Sprint(msg.GroundsNoSizeEnough.With(tau))
			}
			parts = append(parts, s)
		}
		if m := th.Margin; m != nil {
			dissents := moreDissent(ranked, m.Dissents)
			if th.Fragile {
				dissents = oneMoreDissent(ranked)
			}
			from := msg.FromGroup.With(withSupport(m.Group))
			if len(th.ToConsensus) == 1 && th.ToConsensus[0].Group == m.Group {
				from = msg.There.With()
			}
			parts = append(parts, p.Sprint(msg.GroundsWouldLower.With(dissents, from, StatusWord(m.To))))
		}
		if len(parts) == 0 {
			return p.Sprint(msg.GroundsAllAbove.With(tau))
		}
		return w.clauses(parts...)

	case polls.Divided, polls.Low:
		var clause string
		switch {
		case th.Status == polls.Low:
			clause = p.Sprint(msg.GroundsNoneReach.With(tau))
		case len(th.Below) == 1:
			clause = p.Sprint(msg.GroundsAloneBelow.With(withSupport(th.Below[0]), tau))
		default:
			var below, above []string
			for _, g := range th.Below {
				below = append(below, withSupport(g))
			}
			for _, g := range th.Above {
				above = append(above, w.group(g))
			}
			clause = p.Sprint(msg.GroundsSomeBelow.With(p.ListStrings(below), tau, p.ListStrings(above), len(above)))
		}
		if len(th.ToEmerging) == 1 {
			n := th.ToEmerging[0]
			if n.Needed == nil {
				return w.clauses(clause, p.Sprint(msg.GroundsCannotReach.With(supportingNoun(ranked), tau)))
			}
			return w.clauses(clause, p.Sprint(msg.GroundsWouldEmerge.With(moreSupport(ranked, *n.Needed), StatusWord(polls.Emerging))))
		}
		return w.clauses(clause, p.Sprint(msg.GroundsEmergingNeeds.With(w.needs(th, th.ToEmerging, ranked, false))))
	}
	return ""
}

// clauses joins clauses into one sentence: "a; b; c."
func (w Words) clauses(parts ...string) string {
	p := w.p()
	s := parts[0]
	for _, next := range parts[1:] {
		s = p.Sprint(msg.ClauseJoin.With(s, next))
	}
	return p.Sprint(msg.Clauses.With(s))
}

// needs says "4 more supporting ballots in Technical community" or, for
// several groups, "9 more supporting ballots in Government, 5 in Private
// sector and 2 in Academia"; groups no number of ballots can lift are
// said apart. withCount adds each group's present support.
func (w Words) needs(th polls.ThemeResult, ns []polls.GroupNeed, ranked, withCount bool) string {
	p := w.p()
	var parts, never []string
	for _, n := range ns {
		name := w.group(n.Group)
		if withCount {
			name = p.Sprint(msg.GroupSupport.With(name, w.support(th, n.Group, ranked)))
		}
		if n.Needed == nil {
			never = append(never, name)
			continue
		}
		if len(parts) == 0 {
			parts = append(parts, p.Sprint(msg.NeedFirst.With(moreSupport(ranked, *n.Needed), name)))
		} else {
			parts = append(parts, p.Sprint(msg.NeedRest.With(*n.Needed, name)))
		}
	}
	s := p.ListStrings(parts)
	if len(never) > 0 {
		nv := p.Sprint(msg.NeedNever.With(supportingNoun(ranked), p.ListStrings(never)))
		if s == "" {
			return nv
		}
		s = p.Sprint(msg.NeedsAnd.With(s, nv))
	}
	return s
}

// support is a group's support for a theme as a count: "6/15", or in a
// ranked poll "4.5 of 6 points".
func (w Words) support(th polls.ThemeResult, g polls.Group, ranked bool) string {
	for _, gs := range th.Groups {
		if gs.Group == g {
			return w.p().Sprint(CountMessage(gs.Supporters, gs.Ballots, ranked))
		}
	}
	return "–"
}

// CountMessage is a group's support as a count: "6/15" (supporting
// ballots of all its ballots), or in a ranked poll "4.5 of 6 points"
// (Borda points of the most its ballots could give).
func CountMessage(supporters float64, ballots int64, ranked bool) msg.Message {
	if ranked {
		return msg.SupportPoints.With(numfmt.Number(supporters), ballots)
	}
	return msg.SupportCount.With(numfmt.Number(supporters), ballots)
}

// Participation says what the report's participation rests on: each
// group below quorum and what it needs to count, the configured groups
// with no ballot, and the votes held while their voters pick a group.
func (w Words) Participation(r *polls.Report) []string {
	p := w.p()
	var out []string
	for _, g := range r.Groups {
		if !g.Qualifies && g.Needed > 0 {
			out = append(out, p.Sprint(msg.ParticipationNeeds.With(w.group(g.Group), msg.MoreBallots.With(g.Needed))))
		}
	}
	if len(r.Absent) > 0 {
		var names []string
		for _, g := range r.Absent {
			names = append(names, w.group(g))
		}
		out = append(out, p.Sprint(msg.ParticipationAbsent.With(p.ListStrings(names), msg.Ballots.With(int64(r.Quorum)), len(names))))
	}
	if r.Held > 0 {
		out = append(out, p.Sprint(msg.ParticipationHeld.With(r.Held)))
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

// Supporting ballots add support: in a ranked poll a ballot adds a whole
// point only by ranking the theme first. Dissenting ballots oppose: in a
// ranked poll, ballots that give the theme no point (last or unranked).
func moreSupport(ranked bool, n int64) msg.Message {
	if ranked {
		return msg.MoreFirst.With(n)
	}
	return msg.MoreSupporting.With(n)
}

func supportingNoun(ranked bool) msg.Message {
	if ranked {
		return msg.NounFirst.With()
	}
	return msg.NounSupporting.With()
}

func moreDissent(ranked bool, n int64) msg.Message {
	if ranked {
		return msg.MoreLast.With(n)
	}
	return msg.MoreDissenting.With(n)
}

func oneMoreDissent(ranked bool) msg.Message {
	if ranked {
		return msg.OneMoreLast.With()
	}
	return msg.OneMoreDissenting.With()
}
