package boltstore

import (
	"errors"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

// FuzzDecodeRules: no stored value makes decodeRules panic; what it
// refuses is errCorrupt; what it accepts encodes to a value that decodes
// to the same rules. Rules written before the theme count was added (no
// trailing count) decode with themes 0.
//
//	go test -run '^$' -fuzz=FuzzDecodeRules -fuzztime=1m ./storage/bolt
func FuzzDecodeRules(f *testing.F) {
	for _, r := range []rules{
		{status: polls.StatusOpen, themes: 3},
		{status: polls.StatusClosed, closesAt: time.UnixMilli(1764601445006).UTC(), themes: 25},
		{status: polls.StatusCancelled},
	} {
		f.Add(r.encode())
	}
	f.Add([]byte{2, 0, 4, 'o', 'p', 'e', 'n'})       // written before the theme count
	f.Add([]byte{2, 0, 4, 'o', 'p', 'e', 'n', 0x80}) // a truncated count
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeRules(b)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("decodeRules(%x): %v, want errCorrupt", b, err)
			}
			return
		}
		again, err := decodeRules(r.encode())
		if err != nil || again != r {
			t.Fatalf("decodeRules(%x) = %+v, which encodes to rules %+v (%v)", b, r, again, err)
		}
	})
}

// TestVoteTallyOldRules: a poll whose rules were written before they held
// the theme count (an existing database) still has its tally returned by
// a vote, read with the theme count of the poll's definition.
func TestVoteTallyOldRules(t *testing.T) {
	s := openTemp(t)
	ctx := t.Context()
	p := testPoll("local", "OLDR")
	must(t, s.CreatePoll(ctx, p))
	must(t, s.db.Update(func(tx *bolt.Tx) error {
		pb := pollBucket(tx, "local", p.ID)
		old := rules{status: p.Status, closesAt: p.ClosesAt}.encode()
		return pb.Put(keyRules, old[:len(old)-1]) // without the trailing count
	}))
	r, err := s.Toggle(ctx, "local", p.ID, polls.Ballot{Voter: "U1", Group: "academia", CastAt: time.Now()}, polls.Flip{Choice: 1, Points: 1}, "")
	must(t, err)
	if r.Tally == nil || r.Tally.Ballots["academia"] != 1 || len(r.Tally.Points["academia"]) != len(p.Themes) || r.Tally.Points["academia"][1] != 1 {
		t.Fatalf("tally returned: %+v", r.Tally)
	}
}
