// Package boltstore is pollbot's embedded store: [polls.Store] on one bbolt
// file (default ./pollbot.db), so a single pollbot needs no server.
//
// The package owns the file layout below and the transactions over it. Every
// store operation is one bbolt transaction, so each has the atomicity the
// polls.Store contract asks for (a cast checks the poll, replaces the ballot
// and moves the tally in one step) without any lock of its own:
//
//	meta/schema                             layout version ("3"; see migrate)
//	tenants/<t>/polls/<id>/poll             the poll (JSON polls.Poll)
//	tenants/<t>/polls/<id>/rules            what a vote checks of it (binary; see rules)
//	tenants/<t>/polls/<id>/announce         lease of the announcement it owes, unix ms (8 bytes, big-endian; see CloseAtDeadline)
//	tenants/<t>/polls/<id>/remind           its reminder schedule (binary; see remind.go)
//	tenants/<t>/polls/<id>/ballots/         voter -> ballot record (storage/internal/record)
//	tenants/<t>/polls/<id>/tally/           "<theme>|<group>", "n|<group>", "v" -> decimal count
//	tenants/<t>/polls/<id>/log/             sequence (8 bytes, big-endian) -> event (JSON; see event)
//	tenants/<t>/polls/<id>/ops/             hash of a vote's delivery -> expiry (see expiring)
//	tenants/<t>/index/<name>/               opened-at ms + id -> "" (listing indexes; see setIndexes)
//	tenants/<t>/groups/                     user -> membership (JSON)
//	tenants/<t>/hold/<holder>/              "<poll>|<slot>" -> held vote (expiring JSON)
//	tenants/<t>/deliveries/                 hash of a request's delivery -> expiry
//	tenants/<t>/rates/                      hash of a limit's key -> window end and count
//	deadlines/                              closes-at or lease ms (8 bytes, see deadlineKey) + "<tenant>/<id>" -> ""
//	reminders/                              next reminder or lease ms, as deadlines/ (see remind.go)
//
// The store knows no poll kind: ballots carry the points they add to the
// tally (polls.Ballot.Points), and a vote moves the tally by the
// difference between the old ballot and the new (record.Move).
//
// The tally uses the field names of polls.TallyField, the same flat form the
// Redis store keeps, and is read back with polls.ParseTally. The deadline
// index holds open polls with a deadline (at the deadline) and closed polls
// that owe the announcement of their close (at its lease) only, so
// DueDeadlines is a cursor scan from the start that stops at the first
// later key. A poll's audit log keeps its last DefaultLogMax events.
//
// Writes go through bbolt's Batch: concurrent writers (many voters clicking
// at once) share one commit and so one fsync, while each operation still
// runs whole inside one transaction. A writer that is alone commits at once
// instead of waiting for companions. With 50 concurrent voters that is
// several times the rate of one fsynced commit per cast (BenchmarkCast).
//
// bbolt holds an exclusive lock on its file: a second process opening the
// same file waits for [WithTimeout] and then fails with [ErrInUse].
package boltstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"github.com/pollbot/pollbot/polls"
)

// DefaultPath is where pollbot keeps its store when POLLBOT_DATA is unset.
const DefaultPath = "./pollbot.db"

// DefaultTimeout is how long Open waits for another process to release the
// file before it gives up with ErrInUse.
const DefaultTimeout = time.Second

// ErrInUse is returned by Open when another process holds the file.
var ErrInUse = errors.New("store is in use by another pollbot process")

var _ polls.Store = (*Store)(nil)
var _ polls.Pinger = (*Store)(nil)
var _ polls.OpenCounter = (*Store)(nil)

// Store is a polls.Store on a bbolt file. It is safe for concurrent use.
type Store struct {
	db   *bolt.DB
	path string
	now  func() time.Time

	// writers counts write operations under way, so that one alone skips
	// the batch delay (see update).
	writers atomic.Int64
	// unbatched makes every write its own commit (benchmarks compare).
	unbatched bool
	// chunk is how many ballots Ballots reads per read transaction.
	chunk int
	// logMax bounds each poll's audit log (see logEvent).
	logMax int64
	// watchers are told of each poll's changes (see Watch).
	watchers watchers
}

// Option configures Open.
type Option func(*config)

type config struct {
	now        func() time.Time
	timeout    time.Duration
	batchDelay time.Duration
	logMax     int64
	mustExist  bool
}

// WithLogMax sets how many events each poll's audit log keeps (default
// DefaultLogMax; 0 or less: the default).
func WithLogMax(n int64) Option { return func(c *config) { c.logMax = n } }

// MustExist makes Open refuse to create the file (the error wraps
// fs.ErrNotExist): a command that only reads (list, report, export)
// must not leave an empty store behind a mistyped path.
func MustExist() Option { return func(c *config) { c.mustExist = true } }

// WithClock sets the clock that decides whether a poll's deadline has passed
// and when held votes expire (default time.Now).
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithTimeout sets how long Open waits for the file lock held by another
// process (default DefaultTimeout). Values of zero or less mean the default:
// the store never waits forever.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithBatchDelay sets how long a write waits for other concurrent writes to
// share its commit (default 2ms, bbolt's own is 10ms; negative: the
// default). It only applies when writes overlap; a lone write commits at
// once. With 50 concurrent writers, 2ms gathers each commit's full batch;
// longer only adds latency.
func WithBatchDelay(d time.Duration) Option { return func(c *config) { c.batchDelay = d } }

// Open opens (creating if needed) the store file at path.
func Open(path string, opts ...Option) (*Store, error) {
	c := config{now: time.Now, timeout: DefaultTimeout, batchDelay: 2 * time.Millisecond, logMax: DefaultLogMax}
	for _, o := range opts {
		o(&c)
	}
	if c.timeout <= 0 {
		c.timeout = DefaultTimeout
	}
	if c.logMax <= 0 {
		c.logMax = DefaultLogMax
	}
	if c.mustExist {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      c.timeout,
		FreelistType: bolt.FreelistMapType,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (gave up waiting %s for its lock)", path, ErrInUse, c.timeout)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if c.batchDelay >= 0 {
		db.MaxBatchDelay = c.batchDelay
	}
	s := &Store{db: db, path: path, now: c.now, chunk: 1000, logMax: c.logMax}
	if err := db.Update(s.migrate); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// Path returns the file the store was opened on.
func (s *Store) Path() string { return s.path }

// Close releases the file.
func (s *Store) Close() error { return s.db.Close() }

// Ping reports whether the store can serve reads.
func (s *Store) Ping(ctx context.Context) error {
	return s.view(ctx, func(*bolt.Tx) error { return nil })
}

func (s *Store) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(fn)
}

// update runs fn in a write transaction. When other writes are under way it
// joins bbolt's batch, so that they share one commit (one fsync); bbolt may
// then call fn more than once, so fn must set its results afresh on each
// call. A lone write goes straight to Update: waiting for a batch that no
// one else will join would only add latency.
func (s *Store) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer s.writers.Add(-1)
	if s.writers.Add(1) == 1 || s.unbatched {
		return s.db.Update(fn)
	}
	return s.db.Batch(fn)
}

// wrap prefixes a non-nil error with the operation, keeping it matchable
// with errors.Is.
func wrap(err *error, format string, args ...any) {
	if *err != nil {
		*err = fmt.Errorf("boltstore: %s: %w", fmt.Sprintf(format, args...), *err)
	}
}
