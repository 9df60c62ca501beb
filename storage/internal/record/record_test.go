package record

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

func TestRoundTrip(t *testing.T) {
	at := time.Date(2026, 12, 1, 15, 4, 5, 6e6, time.UTC)
	for _, b := range []polls.Ballot{
		{Group: "civil-society", Choices: []int{0, 2, 4}, Points: []int64{1, 1, 1}, CastAt: at},
		{Group: "academia", Choices: []int{3, 0, 1}, Points: []int64{4, 3, 2}, CastAt: at},
		{Group: "government", Choices: []int{1}, Points: []int64{0}},
	} {
		rec, err := Encode(b)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode("v", rec)
		if err != nil {
			t.Fatalf("Decode(%q): %v", rec, err)
		}
		if got.Voter != "v" || got.Group != b.Group || !slices.Equal(got.Choices, b.Choices) ||
			!slices.Equal(got.Points, b.Points) || !got.CastAt.Equal(b.CastAt) {
			t.Errorf("%q decodes to %+v, want %+v", rec, got, b)
		}
	}
	if rec, _ := Encode(polls.Ballot{Group: "g", Choices: []int{2, 5}, Points: []int64{1, 1}, CastAt: at}); rec != "g|VcYzfqQ|2,5|" {
		t.Errorf("one point each is written as empty points: %q", rec)
	}
}

func TestEncodeRefuses(t *testing.T) {
	for _, b := range []polls.Ballot{
		{Group: "a|b", Choices: []int{1}, Points: []int64{1}},
		{Group: "g", Choices: []int{1, 2}, Points: []int64{1}},
		{Group: "g", Choices: []int{-1}, Points: []int64{1}},
	} {
		if rec, err := Encode(b); err == nil {
			t.Errorf("Encode(%+v) = %q, want an error", b, rec)
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, rec := range []string{"", "g|1|2", "g|x-y|1|", "g|?|1|", "g|-|1|", "g|zzzzzzzzzzzz|1|", "g|1|1,a|", "g|1|1,2|3", "g|1|1|2|3", `{"voter":"v"}`} {
		if b, err := Decode("v", rec); !errors.Is(err, ErrCorrupt) {
			t.Errorf("Decode(%q) = %+v, %v; want ErrCorrupt", rec, b, err)
		}
	}
}

// TestCastTime: a cast time is written in base 62 and read in both its
// forms, base 62 and the decimal milliseconds records held before it.
func TestCastTime(t *testing.T) {
	at := time.Date(2026, 12, 1, 15, 4, 5, 6e6, time.UTC)
	for _, c := range []struct {
		rec  string
		want time.Time
	}{
		{"g|VcYzfqQ|0|", at},
		{"g|1796137445006|0|", at}, // decimal, as before base 62
		{"g|100000000|0|", time.UnixMilli(100000000).UTC()},
		{"g|0|0|", time.UnixMilli(0).UTC()},
		{"g|z|0|", time.UnixMilli(61).UTC()},
		{"g|-10|0|", time.UnixMilli(-62).UTC()},
		{"g|AzL8n0Y58m7|0|", time.UnixMilli(math.MaxInt64).UTC()},
	} {
		b, err := Decode("v", c.rec)
		if err != nil || !b.CastAt.Equal(c.want) {
			t.Errorf("Decode(%q) cast at %v, %v; want %v", c.rec, b.CastAt, err, c.want)
		}
	}
	for _, ms := range []int64{0, 1, 61, 62, -1, -62, 1796137445006, math.MaxInt64, math.MinInt64 + 1} {
		tm := time.UnixMilli(ms)
		rec, err := Encode(polls.Ballot{Group: "g", Choices: []int{0}, Points: []int64{1}, CastAt: tm})
		if err != nil {
			t.Fatal(err)
		}
		if b, err := Decode("v", rec); err != nil || !b.CastAt.Equal(tm) {
			t.Errorf("%d ms: %q decodes to %v, %v", ms, rec, b.CastAt, err)
		}
	}
	// From 1972 to 2081 a cast time takes seven characters; in decimal it
	// took thirteen.
	for _, y := range []int{1972, 2026, 2081} {
		if s := Time(time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC)); len(s) != 7 {
			t.Errorf("%d: %q", y, s)
		}
	}
}

func TestFromLegacy(t *testing.T) {
	for _, c := range []struct {
		kind   polls.Kind
		json   string
		choice []int
		points []int64
	}{
		{polls.Approval, `{"voter":"U1","group":"academia","choices":[0,3],"cast_at":"2026-11-01T10:00:00Z"}`, []int{0, 3}, []int64{1, 1}},
		{polls.Ranked, `{"voter":"U1","group":"academia","choices":[3,1,0],"cast_at":"2026-11-01T10:00:00Z"}`, []int{3, 1, 0}, []int64{3, 2, 1}},
	} {
		if !Legacy([]byte(c.json)) {
			t.Fatalf("%s is not legacy", c.json)
		}
		voter, rec, err := FromLegacy(c.kind, 4, []byte(c.json))
		if err != nil {
			t.Fatal(err)
		}
		b, err := Decode(voter, rec)
		if err != nil || voter != "U1" || !slices.Equal(b.Choices, c.choice) || !slices.Equal(b.Points, c.points) ||
			!b.CastAt.Equal(time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)) {
			t.Errorf("%s: %q -> %+v, %v", c.kind, rec, b, err)
		}
	}
}

func TestToggleAndMove(t *testing.T) {
	old := &polls.Ballot{Voter: "v", Group: "academia", Choices: []int{1, 4}, Points: []int64{1, 1}}
	b := polls.Ballot{Voter: "v", Group: "government"}
	nb, err := Toggle(old, b, polls.Flip{Choice: 2, Points: 1})
	if err != nil || !slices.Equal(nb.Choices, []int{1, 2, 4}) || nb.Group != "government" {
		t.Fatalf("Toggle on: %+v %v", nb, err)
	}
	if _, err := Toggle(old, b, polls.Flip{Choice: 2, Points: 1, Max: 2}); !errors.Is(err, polls.ErrTooManyChoices) {
		t.Errorf("Toggle past max: %v", err)
	}
	if nb, err := Toggle(&polls.Ballot{Choices: []int{3}, Points: []int64{1}}, b, polls.Flip{Choice: 3, Points: 1}); nb != nil || err != nil {
		t.Errorf("Toggle of the last choice: %+v %v, want deleted", nb, err)
	}
	d := Move(old, nb)
	if got := d.String(); got != "n|academia:-1,1|academia:-1,4|academia:-1,n|government:1,1|government:1,2|government:1,4|government:1" {
		t.Errorf("Move = %s", got)
	}
	if got := Move(old, old).String(); got != "" {
		t.Errorf("Move to the same ballot = %q, want no change", got)
	}
}

// FuzzDecode: no record makes Decode panic, and whatever it accepts
// encodes back to a record that decodes to the same ballot.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{"civil-society|1764601445006|0,2,4|", "civil-society|VcYzfqQ|0|", "g|-AzL8n0Y58m7|1|", "academia|1|3,0,1|4,3,2", "g||1|", "", "|||", "g|1|1,2|3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rec string) {
		b, err := Decode("v", rec)
		want, wantErr := decodeBySplit("v", rec)
		if (err == nil) != (wantErr == nil) || err == nil && !reflect.DeepEqual(b, want) {
			t.Fatalf("%q: decoded %+v, %v; by strings.Split %+v, %v", rec, b, err, want, wantErr)
		}
		if err != nil {
			return
		}
		again, err := Encode(b)
		if err != nil {
			return // e.g. negative choices, which Encode refuses
		}
		b2, err := Decode("v", again)
		if err != nil || b2.Group != b.Group || !slices.Equal(b2.Choices, b.Choices) || !slices.Equal(b2.Points, b.Points) || !b2.CastAt.Equal(b.CastAt) {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", rec, b, again, b2, err)
		}
	})
}

// decodeBySplit is Decode as it was written with strings.Split, before
// the vote path's allocations were counted: FuzzDecode holds Decode to it.
func decodeBySplit(voter, rec string) (polls.Ballot, error) {
	parts := strings.Split(rec, "|")
	if len(parts) != 4 {
		return polls.Ballot{}, fmt.Errorf("%w: %q", ErrCorrupt, clip(rec))
	}
	b := polls.Ballot{Voter: voter, Group: polls.Group(parts[0])}
	if parts[1] != "" {
		ms, ok := parseTime(parts[1])
		if !ok {
			return polls.Ballot{}, fmt.Errorf("%w: cast time %q", ErrCorrupt, clip(parts[1]))
		}
		b.CastAt = time.UnixMilli(ms).UTC()
	}
	var err error
	if b.Choices, err = intsBySplit(parts[2]); err != nil {
		return polls.Ballot{}, err
	}
	if parts[3] == "" {
		b.Points = make([]int64, len(b.Choices))
		for i := range b.Points {
			b.Points[i] = 1
		}
		return b, nil
	}
	pts, err := intsBySplit(parts[3])
	if err != nil || len(pts) != len(b.Choices) {
		return polls.Ballot{}, fmt.Errorf("%w: points %q for choices %q", ErrCorrupt, parts[3], parts[2])
	}
	b.Points = make([]int64, len(pts))
	for i, p := range pts {
		b.Points[i] = int64(p)
	}
	return b, nil
}
func intsBySplit(s string) ([]int, error) {
	if s == "" {
		return nil, nil
	}
	fields := strings.Split(s, ",")
	out := make([]int, len(fields))
	for i, f := range fields {
		n, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("%w: number %q", ErrCorrupt, clip(f))
		}
		out[i] = n
	}
	return out, nil
}
