package polls

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventKind names an entry of a poll's audit log, in the short form the
// stores keep.
type EventKind string

const (
	EventCast     EventKind = "c"        // a ballot cast (or replaced) whole
	EventToggle   EventKind = "t"        // one choice flipped by a click
	EventRetract  EventKind = "r"        // a ballot taken back
	EventClose    EventKind = "close"    // the poll closed, by hand or at its deadline
	EventCancel   EventKind = "cancel"   // the poll cancelled
	EventReopen   EventKind = "reopen"   // a closed poll opened again
	EventDeadline EventKind = "deadline" // an open poll's deadline changed
)

// IsVote reports whether the event changed a ballot (and so the tally).
func (k EventKind) IsVote() bool { return k == EventCast || k == EventToggle || k == EventRetract }

// Event is one entry of a poll's audit log. Vote events carry the change
// they made to the tally, so that the report at any point of the log can
// be recomputed from the log and the tally alone, even once the log's
// oldest entries have been dropped by its bound.
type Event struct {
	// Pos is the event's position in the log: opaque, increasing along
	// the log. Passing it to LogReader.ReadLog reads what follows it.
	Pos  string
	Kind EventKind
	// Voter is a vote event's voter (a pseudonym in anonymous polls).
	Voter string
	// Group is a vote event's group: the ballot's after the vote, or
	// before it for a retraction.
	Group Group
	// Delta is a vote event's change to the tally in its flat-map form:
	// "<field>:<n>,..." with TallyField and TallyBallotsField names (see
	// ParseDelta).
	Delta string
	// Deadline is the new deadline of reopen and deadline events (zero:
	// none).
	Deadline time.Time
	At       time.Time
}

// Change is one entry of a tally delta: a group's ballots (Theme < 0) or a
// group's points for a theme change by N.
type Change struct {
	Theme int // 0-based; -1 for the group's ballot count
	Group Group
	N     int64
}

// ErrBadDelta marks a tally delta that is not of the form ParseDelta reads.
var ErrBadDelta = errors.New("malformed tally delta")

// maxDeltaFields bounds the entries of one delta: a ballot moving from one
// group to another touches each group's count and every theme at most
// once, so 2*(MaxThemes+1) is the most a store writes.
const maxDeltaFields = 2 * (MaxThemes + 1)

// ParseDelta reads a tally delta ("0|government:1,n|government:1"), calling
// fn for each entry in order. Themes must be below themes. An empty delta
// has no entries.
func ParseDelta(s string, themes int, fn func(Change)) error {
	if s == "" {
		return nil
	}
	for n := 0; s != ""; n++ {
		if n == maxDeltaFields {
			return fmt.Errorf("%w: more than %d entries", ErrBadDelta, maxDeltaFields)
		}
		entry := s
		if i := strings.IndexByte(s, ','); i >= 0 {
			entry, s = s[:i], s[i+1:]
			if s == "" {
				return fmt.Errorf("%w: trailing comma", ErrBadDelta)
			}
		} else {
			s = ""
		}
		c, err := parseChange(entry, themes)
		if err != nil {
			return err
		}
		fn(c)
	}
	return nil
}

func parseChange(entry string, themes int) (Change, error) {
	colon := strings.LastIndexByte(entry, ':')
	if colon < 0 {
		return Change{}, fmt.Errorf("%w: entry %q has no count", ErrBadDelta, clipText(entry))
	}
	field, num := entry[:colon], entry[colon+1:]
	head, g, ok := strings.Cut(field, "|")
	if !ok || g == "" || strings.ContainsAny(g, "|,:") {
		return Change{}, fmt.Errorf("%w: field %q", ErrBadDelta, clipText(field))
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n == 0 {
		return Change{}, fmt.Errorf("%w: count %q", ErrBadDelta, clipText(num))
	}
	c := Change{Theme: -1, Group: Group(g), N: n}
	if head != "n" {
		i, err := strconv.Atoi(head)
		if err != nil || i < 0 || i >= themes || strconv.Itoa(i) != head {
			return Change{}, fmt.Errorf("%w: theme %q", ErrBadDelta, clipText(head))
		}
		c.Theme = i
	}
	return c, nil
}

func clipText(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
