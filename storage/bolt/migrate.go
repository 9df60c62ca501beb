package boltstore

import (
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/storage/internal/record"
)

// schemaVersion is the layout this package reads and writes. Version 1
// (before pollbot knew no kind in its stores) kept ballots as JSON, rules
// with the poll's kind, no listing indexes, and one held vote per poll in
// tenants/<t>/held/. Version 2 wrote a ballot's cast time in decimal;
// version 3 writes record.Time's base 62 and reads both, so going from 2
// to 3 converts nothing: the version keeps an older pollbot, which cannot
// read base 62, from opening the file.
const schemaVersion = "3"

// migrate brings the file to schemaVersion, in the transaction Open runs it
// in: all of it is migrated, or none. It is a no-op on a current file.
//
// From version 1: every poll's rules are rewritten, its listing index
// entries made, and its ballots converted from JSON to records, with the
// points its kind gives them (as the version 1 code computed them, so
// tallies are unchanged). The old held votes are dropped: they lived at
// most 15 minutes, under keys the new code cannot derive. Anonymous polls
// opened by version 1 keep their ballots but have no key fingerprint, and
// the domain refuses votes and ballot exports in them (polls.ErrLegacyAnonymous):
// their voter keys were shared across polls, and re-keying them would need
// the user ids they hide.
func (s *Store) migrate(tx *bolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bktMeta)
	if err != nil {
		return err
	}
	switch v := string(meta.Get(keySchema)); v {
	case schemaVersion:
		return nil
	case "2":
		// Nothing to convert (see schemaVersion).
		return meta.Put(keySchema, []byte(schemaVersion))
	case "":
	default:
		return fmt.Errorf("store layout %q is newer than this pollbot knows (%s): upgrade pollbot", v, schemaVersion)
	}
	for _, name := range [][]byte{bktTenants, bktDeadlines} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	tenants := tx.Bucket(bktTenants)
	err = tenants.ForEachBucket(func(t []byte) error {
		tb := tenants.Bucket(t)
		if tb.Bucket([]byte("held")) != nil {
			if err := tb.DeleteBucket([]byte("held")); err != nil {
				return err
			}
		}
		ps := tb.Bucket(bktPolls)
		if ps == nil {
			return nil
		}
		return ps.ForEachBucket(func(id []byte) error {
			if err := migratePoll(tx, ps.Bucket(id)); err != nil {
				return fmt.Errorf("migrate poll %s/%s: %w", t, id, err)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	return meta.Put(keySchema, []byte(schemaVersion))
}

func migratePoll(tx *bolt.Tx, pb *bolt.Bucket) error {
	p, err := decodePoll(pb.Get(keyPoll))
	if err != nil {
		return err
	}
	if err := putPoll(pb, p); err != nil {
		return err
	}
	if err := setIndexes(tx, p, "", p.Status); err != nil {
		return err
	}
	bb := pb.Bucket(bktBallots)
	if bb == nil {
		return nil
	}
	type kv struct{ k, v []byte }
	var converted []kv
	err = bb.ForEach(func(k, v []byte) error {
		if !record.Legacy(v) {
			return nil
		}
		_, rec, err := record.FromLegacy(p.Kind, len(p.Themes), v)
		if err != nil {
			return err
		}
		converted = append(converted, kv{append([]byte(nil), k...), []byte(rec)})
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range converted {
		if err := bb.Put(c.k, c.v); err != nil {
			return err
		}
	}
	return nil
}
