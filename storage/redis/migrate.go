package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/internal/record"
	"github.com/redis/go-redis/v9"
)

// schemaVersion is the layout this package reads and writes. Version 1
// (before pollbot knew no kind in its stores) kept ballots as JSON, had no
// status or channel indexes, and held votes one per poll under
// {<tenant>}:held:<holder>. Version 2 wrote a ballot's cast time in
// decimal and every audit entry in full; version 3 writes the shorter forms
// of record.Time and the vote script (docs/ARCHITECTURE.md, "Redis key
// layout") and reads both, so going from 2 to 3 converts nothing: the
// version is there to keep an older pollbot, which cannot read the new
// forms, from opening the data.
const schemaVersion = "3"

// Migrate brings the data under the store's prefix to schemaVersion. Open
// calls it; it is a single GET on current data. One process migrates,
// under a lock; others starting meanwhile wait for it (at most
// migrateWait). It is safe to run again after a failure: each step checks
// what is already done.
//
// From version 1: every poll gets its open time and channel as fields and
// its status and channel index entries, and its ballots are converted from
// JSON to records with the points its kind gives them (as version 1's
// scripts computed them, so tallies are unchanged; a ballot changed
// meanwhile is left for the next run). The old held votes are deleted:
// they lived at most 15 minutes, under keys the new code cannot derive.
// Anonymous polls opened by version 1 keep their ballots but have no key
// fingerprint, and the domain refuses votes and ballot exports in them
// (polls.ErrLegacyAnonymous).
//
// Stop every older pollbot before starting this one: a version 1 process
// reads records as JSON and fails, a version 2 one fails on base-62 cast
// times and short audit entries.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer wrap(&err, "migrate", "*", "*")
	v, err := s.schema(ctx)
	if err != nil || v == schemaVersion {
		return err
	}
	if v == "2" {
		// Nothing to convert (see schemaVersion).
		return s.rdb.Set(ctx, s.schemaKey(), schemaVersion, 0).Err()
	}
	if v != "" {
		return fmt.Errorf("data layout %q under %q is newer than this pollbot knows (%s): upgrade pollbot", v, s.prefix, schemaVersion)
	}
	var tok [8]byte
	_, _ = rand.Read(tok[:])
	lock := s.prefix + "migrating"
	got, err := s.rdb.SetNX(ctx, lock, hex.EncodeToString(tok[:]), migrateWait).Result()
	if err != nil {
		return err
	}
	if !got {
		return s.awaitMigration(ctx)
	}
	defer s.rdb.Del(context.WithoutCancel(ctx), lock)
	if err := s.forEachKey(ctx, globEscape(s.prefix)+"{*}:polls", s.migrateTenant); err != nil {
		return err
	}
	return s.rdb.Set(ctx, s.schemaKey(), schemaVersion, 0).Err()
}

// migrateWait bounds a migration, and how long another process waits for
// one.
const migrateWait = 10 * time.Minute

func (s *Store) schema(ctx context.Context) (string, error) {
	v, err := s.rdb.Get(ctx, s.schemaKey()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	return v, err
}

func (s *Store) awaitMigration(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, migrateWait)
	defer cancel()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for another pollbot to migrate the data: %w", ctx.Err())
		case <-t.C:
		}
		if v, err := s.schema(ctx); err != nil || v == schemaVersion {
			return err
		}
	}
}

// forEachKey calls fn with every key matching pattern, on every master of
// a cluster.
func (s *Store) forEachKey(ctx context.Context, pattern string, fn func(ctx context.Context, key string) error) error {
	scan := func(ctx context.Context, c redis.Cmdable) error {
		it := c.Scan(ctx, 0, pattern, 1000).Iterator()
		for it.Next(ctx) {
			if err := fn(ctx, it.Val()); err != nil {
				return err
			}
		}
		return it.Err()
	}
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		return cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error { return scan(ctx, c) })
	}
	return scan(ctx, s.rdb)
}

// migrateTenant migrates the polls of one tenant index key.
func (s *Store) migrateTenant(ctx context.Context, key string) error {
	rest, ok := strings.CutPrefix(key, s.prefix+"{")
	tenant, ok2 := strings.CutSuffix(rest, "}:polls")
	if !ok || !ok2 || tenant == "" {
		return nil
	}
	ids, err := s.rdb.ZRange(ctx, key, 0, -1).Result()
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := s.migratePoll(ctx, tenant, id); err != nil {
			return fmt.Errorf("poll %s/%s: %w", tenant, id, err)
		}
	}
	return s.forEachKey(ctx, globEscape(s.tenantKey(tenant, "held:"))+"*", func(ctx context.Context, k string) error {
		return s.rdb.Del(ctx, k).Err()
	})
}

func (s *Store) migratePoll(ctx context.Context, tenant, id string) error {
	k := s.keys(tenant, id)
	h, err := s.rdb.HGetAll(ctx, k.poll).Result()
	if err != nil {
		return err
	}
	p, err := decodePoll(h)
	if errors.Is(err, polls.ErrNotFound) {
		return s.rdb.ZRem(ctx, s.pollsKey(tenant), id).Err()
	}
	if err != nil {
		return err
	}
	opened := p.OpenedAt.UnixMilli()
	if err := s.rdb.HSet(ctx, k.poll, fOpenedMS, opened, fChannel, p.Channel).Err(); err != nil {
		return err
	}
	if err := s.rdb.ZAdd(ctx, s.channelKey(tenant, p.Channel), redis.Z{Score: float64(opened), Member: id}).Err(); err != nil {
		return err
	}
	if err := s.syncIndexes(ctx, tenant, id, unknownEntry); err != nil {
		return err
	}
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, k.ballots, cursor, "", scanCount).Result()
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if !record.Legacy([]byte(kv[i+1])) {
				continue
			}
			_, rec, err := record.FromLegacy(p.Kind, len(p.Themes), []byte(kv[i+1]))
			if err != nil {
				return fmt.Errorf("ballot of %q: %w", kv[i], err)
			}
			if err := migrateBallotScript.Run(ctx, s.rdb, []string{k.ballots}, kv[i], kv[i+1], rec).Err(); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}

// globEscape escapes the characters SCAN's MATCH gives meaning.
func globEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`, "]", `\]`).Replace(s)
}
