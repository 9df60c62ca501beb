package boltstore

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

// writeV1 writes a store file as schema 1 laid it out: ballots as JSON,
// rules of version 1, no listing indexes or meta bucket, held votes one
// per poll.
func writeV1(t *testing.T, path string, ps []*polls.Poll, ballots map[string][]polls.Ballot, tallies map[string]map[string]string) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bolt.Tx) error {
		ts, err := tx.CreateBucket(bktTenants)
		if err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bktDeadlines); err != nil {
			return err
		}
		for _, p := range ps {
			tb, err := ts.CreateBucketIfNotExists([]byte(p.Tenant))
			if err != nil {
				return err
			}
			held, err := tb.CreateBucketIfNotExists([]byte("held"))
			if err != nil {
				return err
			}
			if _, err := held.CreateBucketIfNotExists([]byte("someone")); err != nil {
				return err
			}
			pbs, err := tb.CreateBucketIfNotExists(bktPolls)
			if err != nil {
				return err
			}
			pb, err := pbs.CreateBucket([]byte(p.ID))
			if err != nil {
				return err
			}
			v, _ := json.Marshal(p)
			if err := pb.Put(keyPoll, v); err != nil {
				return err
			}
			// Rules version 1: themes, max choices, no deadline, status, kind.
			r := []byte{1}
			r = binary.AppendUvarint(r, uint64(len(p.Themes)))
			r = binary.AppendUvarint(r, 0)
			r = append(r, 0)
			for _, s := range []string{string(p.Status), string(p.Kind)} {
				r = binary.AppendUvarint(r, uint64(len(s)))
				r = append(r, s...)
			}
			if err := pb.Put(keyRules, r); err != nil {
				return err
			}
			bb, _ := pb.CreateBucket(bktBallots)
			tally, _ := pb.CreateBucket(bktTally)
			if _, err := pb.CreateBucket(bktLog); err != nil {
				return err
			}
			for _, b := range ballots[p.ID] {
				v, _ := json.Marshal(b)
				if err := bb.Put([]byte(b.Voter), v); err != nil {
					return err
				}
			}
			for k, v := range tallies[p.ID] {
				if err := tally.Put([]byte(k), []byte(v)); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrateV1: a file written by schema 1 is migrated when opened: its
// ballots read back with the points their kind gave them, tallies are
// unchanged and take new votes exactly, polls are listed, old held votes
// are gone, and an anonymous poll of schema 1 is refused for votes and
// ballot exports rather than silently re-keyed.
func TestMigrateV1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	ranked := &polls.Poll{ID: "RANK", Tenant: "local", Title: "Ranked", Kind: polls.Ranked, Status: polls.StatusOpen,
		Themes: []polls.Theme{{Label: "A"}, {Label: "B"}, {Label: "C"}}, Channel: "local", OpenedAt: at}
	anon := &polls.Poll{ID: "ANON", Tenant: "local", Title: "Anonymous", Kind: polls.Approval, Status: polls.StatusClosed,
		Themes: []polls.Theme{{Label: "A"}, {Label: "B"}}, Channel: "local", OpenedAt: at.Add(time.Minute), ClosedAt: at.Add(time.Hour),
		Options: polls.Options{Anonymous: true}}
	ranked.Normalize()
	anon.Normalize()
	writeV1(t, path, []*polls.Poll{ranked, anon},
		map[string][]polls.Ballot{
			"RANK": {{Voter: "U1", Group: "government", Choices: []int{2, 0}, CastAt: at}},
			"ANON": {{Voter: "anon-0123", Group: "academia", Choices: []int{1}, CastAt: at}},
		},
		map[string]map[string]string{
			"RANK": {"n|government": "1", "2|government": "2", "0|government": "1"},
			"ANON": {"n|academia": "1", "1|academia": "1"},
		})

	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	b, err := s.Ballot(ctx, "local", "RANK", "U1")
	must(t, err)
	if !slices.Equal(b.Choices, []int{2, 0}) || !slices.Equal(b.Points, []int64{2, 1}) || b.Group != "government" {
		t.Fatalf("migrated ranked ballot: %+v", b)
	}
	// Replacing it moves exactly the points schema 1 added.
	svc := polls.NewService(s, polls.WithPseudonymKey([]byte("a pseudonym key of at least 32 bytes")))
	_, err = svc.Cast(ctx, polls.Voter{Tenant: "local", User: "U1", RoleGroup: "government"}, "RANK", []int{1})
	must(t, err)
	tally, err := s.Tally(ctx, "local", "RANK")
	must(t, err)
	if got := tally.Points["government"]; !slices.Equal(got, []int64{0, 2, 0}) || tally.Ballots["government"] != 1 {
		t.Fatalf("tally after replacing a migrated ballot: %+v", tally)
	}
	page, err := s.Polls(ctx, "local", polls.PollQuery{})
	must(t, err)
	if len(page.Polls) != 2 || page.Polls[0].ID != "ANON" {
		t.Fatalf("migrated polls listed: %+v", page)
	}
	if open, _ := s.Polls(ctx, "local", polls.PollQuery{Status: polls.StatusOpen, Channel: "local"}); len(open.Polls) != 1 || open.Polls[0].ID != "RANK" {
		t.Fatalf("migrated open polls of the channel: %+v", open)
	}
	_, err = svc.Ballots(ctx, "local", "ANON", func(polls.Ballot) error { return nil })
	if !errors.Is(err, polls.ErrLegacyAnonymous) {
		t.Fatalf("ballots of a schema-1 anonymous poll: %v, want ErrLegacyAnonymous", err)
	}
	if _, r, err := svc.Report(ctx, "local", "ANON"); err != nil || r.Ballots != 1 {
		t.Fatalf("report of a schema-1 anonymous poll: %v, %+v", err, r)
	}
	must(t, s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bktTenants).Bucket([]byte("local")).Bucket([]byte("held")) != nil {
			return errors.New("schema-1 held votes kept")
		}
		if v := tx.Bucket(bktMeta).Get(keySchema); string(v) != schemaVersion {
			return errors.New("schema not recorded")
		}
		return nil
	}))
	// A second open finds it current.
	must(t, s.Close())
	s2, err := Open(path)
	must(t, err)
	must(t, s2.Close())
}

// TestMigrateV2: a file of schema 2, whose ballots hold decimal cast
// times, opens as schema 3 with nothing converted, its ballots read as
// before and new ones written in base 62; a file newer than this pollbot
// knows is refused.
func TestMigrateV2(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	s, err := Open(path)
	must(t, err)
	ctx := context.Background()
	p := testPoll("local", "OLDT")
	must(t, s.CreatePoll(ctx, p))
	at := time.Date(2026, 12, 1, 15, 4, 5, 6e6, time.UTC)
	must(t, s.db.Update(func(tx *bolt.Tx) error {
		if err := pollBucket(tx, "local", "OLDT").Bucket(bktBallots).Put([]byte("U1"), []byte("government|1796137445006|0|")); err != nil {
			return err
		}
		return tx.Bucket(bktMeta).Put(keySchema, []byte("2"))
	}))
	must(t, s.Close())

	s, err = Open(path)
	must(t, err)
	if b, err := s.Ballot(ctx, "local", "OLDT", "U1"); err != nil || !b.CastAt.Equal(at) || b.Group != "government" {
		t.Fatalf("schema-2 ballot read as %+v, %v", b, err)
	}
	must(t, s.db.Update(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bktMeta).Get(keySchema); string(v) != schemaVersion || schemaVersion != "3" {
			return fmt.Errorf("schema %q after opening a schema-2 file", v)
		}
		return tx.Bucket(bktMeta).Put(keySchema, []byte("4"))
	}))
	must(t, s.Close())
	if s, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer than this pollbot knows") {
		if err == nil {
			s.Close()
		}
		t.Fatalf("a schema-4 file opened: %v", err)
	}
}
