// Package record is the stored form of a ballot, shared by the stores so
// that both keep the same bytes (and the Redis scripts read them):
//
//	<group>|<cast at>|<choices>|<points>
//
// The cast time is unix milliseconds in base 62 (0-9, A-Z, a-z; seven
// digits from 1972 to 2081, eight until the year 8900; "-" before a
// negative one; empty for none). Records written before base 62 hold
// decimal milliseconds, nine or more digits for any time after
// 1970-01-02, and are still read: a cast time of nine or more decimal
// digits is decimal, anything else base 62. Seven digits instead of
// thirteen keep most ballots in jemalloc's 32-byte size class, not the
// 48-byte one (docs/ARCHITECTURE.md, "Redis memory per ballot").
//
// choices and points are comma-separated decimal integers, points parallel
// to choices; empty points means one point for every choice (approval and
// single-choice ballots, the common case, so it costs nothing). The voter
// is not part of the record: it is the key the record is stored under.
// Group slugs hold no '|' (polls.NewGroups), so the form splits at '|'.
//
// A ballot of three approved themes takes about 40 bytes, where its JSON
// took about 100.
package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// ErrCorrupt marks a record that is not of the form above.
var ErrCorrupt = errors.New("corrupt ballot record")

// Encode returns the record of b (its voter aside).
func Encode(b polls.Ballot) (string, error) {
	if strings.ContainsRune(string(b.Group), '|') {
		return "", fmt.Errorf("group %q holds a '|'", b.Group)
	}
	if len(b.Points) != len(b.Choices) {
		return "", fmt.Errorf("%d points for %d choices", len(b.Points), len(b.Choices))
	}
	var sb strings.Builder
	sb.Grow(len(b.Group) + 16 + 4*len(b.Choices))
	sb.WriteString(string(b.Group))
	sb.WriteByte('|')
	if !b.CastAt.IsZero() {
		sb.WriteString(Time(b.CastAt))
	}
	sb.WriteByte('|')
	ones := true
	for i, c := range b.Choices {
		if c < 0 {
			return "", fmt.Errorf("choice %d: %w", c, polls.ErrUnknownTheme)
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(strconv.Itoa(c))
		ones = ones && b.Points[i] == 1
	}
	sb.WriteByte('|')
	if !ones {
		for i, p := range b.Points {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(strconv.FormatInt(p, 10))
		}
	}
	return sb.String(), nil
}

// Decode reads the record of voter's ballot.
func Decode(voter, rec string) (polls.Ballot, error) {
	// Four fields split by hand, not by strings.Split: a vote decodes
	// two records, and the slice of parts was their largest allocation.
	if strings.Count(rec, "|") != 3 {
		return polls.Ballot{}, fmt.Errorf("%w: %q", ErrCorrupt, clip(rec))
	}
	var parts [4]string
	rest := rec
	for i := range 3 {
		parts[i], rest, _ = strings.Cut(rest, "|")
	}
	parts[3] = rest
	b := polls.Ballot{Voter: voter, Group: polls.Group(parts[0])}
	if parts[1] != "" {
		ms, ok := parseTime(parts[1])
		if !ok {
			return polls.Ballot{}, fmt.Errorf("%w: cast time %q", ErrCorrupt, clip(parts[1]))
		}
		b.CastAt = time.UnixMilli(ms).UTC()
	}
	var err error
	if b.Choices, err = ints(parts[2]); err != nil {
		return polls.Ballot{}, err
	}
	if parts[3] == "" {
		b.Points = make([]int64, len(b.Choices))
		for i := range b.Points {
			b.Points[i] = 1
		}
		return b, nil
	}
	pts, err := ints(parts[3])
	if err != nil || len(pts) != len(b.Choices) {
		return polls.Ballot{}, fmt.Errorf("%w: points %q for choices %q", ErrCorrupt, parts[3], parts[2])
	}
	b.Points = make([]int64, len(pts))
	for i, p := range pts {
		b.Points[i] = int64(p)
	}
	return b, nil
}

// digits62 are the digits of base 62, in order.
const digits62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Time returns the record's form of a cast time: its unix milliseconds
// in base 62.
func Time(t time.Time) string {
	ms := t.UnixMilli()
	var buf [12]byte
	i := len(buf)
	u := uint64(ms)
	if ms < 0 {
		u = -u
	}
	for {
		i--
		buf[i] = digits62[u%62]
		u /= 62
		if u == 0 {
			break
		}
	}
	if ms < 0 {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// parseTime reads a record's cast time: decimal milliseconds when it is
// nine or more decimal digits (records from before base 62), base 62
// otherwise.
func parseTime(s string) (int64, bool) {
	if len(s) >= 9 && strings.Trim(s, "0123456789") == "" {
		ms, err := strconv.ParseInt(s, 10, 64)
		return ms, err == nil
	}
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	if s == "" {
		return 0, false
	}
	var u int64
	for i := 0; i < len(s); i++ {
		d := int64(strings.IndexByte(digits62, s[i]))
		if d < 0 || u > (math.MaxInt64-d)/62 {
			return 0, false
		}
		u = u*62 + d
	}
	if neg {
		u = -u
	}
	return u, true
}

func ints(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	out := make([]int, strings.Count(s, ",")+1)
	for i := range out {
		var f string
		f, s, _ = strings.Cut(s, ",")
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%w: number %q", ErrCorrupt, clip(f))
		}
		out[i] = n
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// Legacy reports whether rec is a ballot stored before this form: JSON.
func Legacy(rec []byte) bool { return len(rec) > 0 && rec[0] == '{' }

// FromLegacy converts a ballot stored as JSON (schema 1) to a record,
// computing its points with the poll's kind, as the stores then did in
// their own code.
func FromLegacy(kind polls.Kind, themes int, data []byte) (voter, rec string, err error) {
	var b polls.Ballot
	if err := json.Unmarshal(data, &b); err != nil {
		return "", "", fmt.Errorf("%w: legacy ballot: %v", ErrCorrupt, err)
	}
	b.Points = polls.Points(kind, themes, b.Choices)
	rec, err = Encode(b)
	return b.Voter, rec, err
}

// Delta is a change to a tally: flat-map field (polls.TallyField,
// polls.TallyBallotsField) to the amount it changes by, in the order the
// fields were first touched.
type Delta struct {
	Fields []string
	By     map[string]int64
}

func (d *Delta) add(field string, n int64) {
	if d.By == nil {
		d.By = map[string]int64{}
	}
	if _, ok := d.By[field]; !ok {
		d.Fields = append(d.Fields, field)
	}
	d.By[field] += n
}

// Move returns the change to the tally of replacing ballot old (nil: none)
// by ballot b (nil: none), fields that cancel out left at zero.
func Move(old, b *polls.Ballot) Delta {
	var d Delta
	if old != nil {
		d.add(polls.TallyBallotsField(old.Group), -1)
		for i, c := range old.Choices {
			d.add(polls.TallyField(c, old.Group), -old.Points[i])
		}
	}
	if b != nil {
		d.add(polls.TallyBallotsField(b.Group), 1)
		for i, c := range b.Choices {
			d.add(polls.TallyField(c, b.Group), b.Points[i])
		}
	}
	return d
}

// String is the delta as the audit log keeps it: "field:n,field:n", zero
// changes left out.
func (d Delta) String() string {
	var sb strings.Builder
	for _, f := range d.Fields {
		n := d.By[f]
		if n == 0 {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(f)
		sb.WriteByte(':')
		sb.WriteString(strconv.FormatInt(n, 10))
	}
	return sb.String()
}

// Toggle flips choice in ballot old (nil: none) as polls.BallotStore's
// Toggle does, for a ballot of b's voter, group and cast time. It returns
// the new ballot (nil when its last choice went) or polls.ErrTooManyChoices.
func Toggle(old *polls.Ballot, b polls.Ballot, f polls.Flip) (*polls.Ballot, error) {
	nb := polls.Ballot{Voter: b.Voter, Group: b.Group, CastAt: b.CastAt}
	found := false
	if old != nil {
		for i, c := range old.Choices {
			if c == f.Choice {
				found = true
				continue
			}
			nb.Choices = append(nb.Choices, c)
			nb.Points = append(nb.Points, old.Points[i])
		}
	}
	if !found {
		pos := len(nb.Choices)
		for i, c := range nb.Choices {
			if c > f.Choice {
				pos = i
				break
			}
		}
		nb.Choices = append(nb.Choices[:pos], append([]int{f.Choice}, nb.Choices[pos:]...)...)
		nb.Points = append(nb.Points[:pos], append([]int64{f.Points}, nb.Points[pos:]...)...)
		if f.Max > 0 && len(nb.Choices) > f.Max {
			return nil, polls.ErrTooManyChoices
		}
	}
	if len(nb.Choices) == 0 {
		return nil, nil
	}
	return &nb, nil
}
