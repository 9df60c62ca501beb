package boltstore

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/internal/record"
)

// Bucket and key names of the layout in the package documentation.
var (
	bktMeta       = []byte("meta")
	bktTenants    = []byte("tenants")
	bktDeadlines  = []byte("deadlines")
	bktPolls      = []byte("polls")
	bktIndex      = []byte("index")
	bktGroups     = []byte("groups")
	bktHold       = []byte("hold")
	bktDeliveries = []byte("deliveries")
	bktRates      = []byte("rates")
	bktBallots    = []byte("ballots")
	bktTally      = []byte("tally")
	bktLog        = []byte("log")
	bktOps        = []byte("ops")
	keyPoll       = []byte("poll")
	keyRules      = []byte("rules")
	keyAnnounce   = []byte("announce")
	keySchema     = []byte("schema")
)

// errCorrupt marks data the store wrote but cannot read back.
var errCorrupt = errors.New("corrupt store data")

// pollBucket returns the poll's bucket, or nil.
func pollBucket(tx *bolt.Tx, tenant, id string) *bolt.Bucket {
	tb := tx.Bucket(bktTenants).Bucket([]byte(tenant))
	if tb == nil {
		return nil
	}
	ps := tb.Bucket(bktPolls)
	if ps == nil {
		return nil
	}
	return ps.Bucket([]byte(id))
}

// loadPoll returns the poll's bucket and definition, or ErrNotFound.
func loadPoll(tx *bolt.Tx, tenant, id string) (*bolt.Bucket, *polls.Poll, error) {
	pb := pollBucket(tx, tenant, id)
	if pb == nil {
		return nil, nil, polls.ErrNotFound
	}
	p, err := decodePoll(pb.Get(keyPoll))
	return pb, p, err
}

func decodePoll(v []byte) (*polls.Poll, error) {
	if v == nil {
		return nil, fmt.Errorf("%w: poll bucket without a poll", errCorrupt)
	}
	var p polls.Poll
	if err := json.Unmarshal(v, &p); err != nil {
		return nil, fmt.Errorf("%w: poll: %v", errCorrupt, err)
	}
	return &p, nil
}

// putPoll stores the poll's definition and, beside it, its voting rules.
func putPoll(pb *bolt.Bucket, p *polls.Poll) error {
	v, err := json.Marshal(p)
	if err != nil {
		return err
	}
	if err := pb.Put(keyPoll, v); err != nil {
		return err
	}
	return pb.Put(keyRules, rulesOf(p).encode())
}

// rules is what taking a vote needs to know of a poll: whether it takes
// votes, and until when. It is kept in its own small binary value beside
// the poll's JSON, always written together with it (putPoll): every vote
// reads a few bytes instead of decoding the whole definition. It holds
// nothing of the poll's kind: what a ballot adds to the tally comes with
// the ballot (polls.Ballot.Points). The theme count is there to read the
// tally a vote returns (polls.VoteResult.Tally).
type rules struct {
	status   polls.Status
	closesAt time.Time // zero: no deadline
	themes   int       // 0: not recorded (rules written before it was)
}

func rulesOf(p *polls.Poll) rules {
	return rules{status: p.Status, closesAt: p.ClosesAt, themes: len(p.Themes)}
}

// rulesVersion is the first byte of a rules value. Version 1 (schema 1)
// also held the poll's kind, theme count and max choices.
const rulesVersion = 2

// encode lays rules out as: the version, a deadline flag byte and the
// deadline in unix ms (varint), then the status (a uvarint length and the
// bytes), then the theme count (uvarint; absent from rules written before
// it was added, which decode with themes 0).
func (r rules) encode() []byte {
	b := []byte{rulesVersion}
	if r.closesAt.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, r.closesAt.UnixMilli())
	}
	b = binary.AppendUvarint(b, uint64(len(r.status)))
	b = append(b, r.status...)
	return binary.AppendUvarint(b, uint64(r.themes))
}

func decodeRules(b []byte) (rules, error) {
	var r rules
	bad := fmt.Errorf("%w: poll rules %x", errCorrupt, b)
	if len(b) < 2 || b[0] != rulesVersion {
		return r, bad
	}
	hasDeadline := b[1] == 1
	b = b[2:]
	if hasDeadline {
		ms, n := binary.Varint(b)
		if n <= 0 {
			return r, bad
		}
		b = b[n:]
		r.closesAt = time.UnixMilli(ms).UTC()
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return r, bad
	}
	r.status = polls.Status(b[k : k+int(n)])
	if b = b[k+int(n):]; len(b) > 0 {
		themes, k := binary.Uvarint(b)
		if k <= 0 || themes > 1<<16 {
			return r, bad
		}
		r.themes = int(themes)
	}
	return r, nil
}

// loadRules returns the poll's bucket and voting rules, or ErrNotFound.
func loadRules(tx *bolt.Tx, tenant, id string) (*bolt.Bucket, rules, error) {
	pb := pollBucket(tx, tenant, id)
	if pb == nil {
		return nil, rules{}, polls.ErrNotFound
	}
	r, err := decodeRules(pb.Get(keyRules))
	return pb, r, err
}

// checkVotable returns why a vote cannot be taken now, if it cannot.
func (r rules) checkVotable(now time.Time) error {
	switch {
	case r.status == polls.StatusCancelled:
		return polls.ErrCancelled
	case r.status != polls.StatusOpen:
		return polls.ErrClosed
	case !r.closesAt.IsZero() && !now.Before(r.closesAt):
		return polls.ErrPastDeadline
	}
	return nil
}

// stamp normalises a time to what the store keeps: UTC, millisecond
// precision (the precision of the Redis store and of the deadline index).
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}

// msKey is a millisecond time with its sign bit flipped, big-endian, so
// that byte order is time order (before 1970 included).
func msKey(at time.Time) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(at.UnixMilli())^(1<<63))
}

func parseMS(b []byte) int64 { return int64(binary.BigEndian.Uint64(b) ^ (1 << 63)) }

// deadlineKey orders the index by deadline: msKey, then "<tenant>/<id>" to
// make it unique.
func deadlineKey(at time.Time, k polls.Key) []byte {
	return append(msKey(at), k.String()...)
}

// parseDeadlineKey splits a deadline index key. Poll ids never contain '/',
// so the last one separates tenant and id.
func parseDeadlineKey(key []byte) (ms int64, k polls.Key, err error) {
	if len(key) < 8 {
		return 0, k, fmt.Errorf("%w: deadline key %q", errCorrupt, key)
	}
	ms = parseMS(key[:8])
	rest := string(key[8:])
	i := strings.LastIndexByte(rest, '/')
	if i < 0 {
		return 0, k, fmt.Errorf("%w: deadline key %q", errCorrupt, key)
	}
	return ms, polls.Key{Tenant: rest[:i], ID: rest[i+1:]}, nil
}

// indexTime is a poll's time in the deadline index, zero for no entry: the
// deadline of an open poll, or the lease of the announcement a closed poll
// owes.
func indexTime(p *polls.Poll, lease time.Time) time.Time {
	switch p.Status {
	case polls.StatusOpen:
		return p.ClosesAt
	case polls.StatusClosed:
		return lease
	}
	return time.Time{}
}

// setDeadlineIndex moves a poll's entry in the deadline index from old to
// now (zero: no entry).
func setDeadlineIndex(tx *bolt.Tx, k polls.Key, old, now time.Time) error {
	idx := tx.Bucket(bktDeadlines)
	if !old.IsZero() {
		if err := idx.Delete(deadlineKey(old, k)); err != nil {
			return err
		}
	}
	if !now.IsZero() {
		return idx.Put(deadlineKey(now, k), nil)
	}
	return nil
}

// The listing indexes of a tenant are buckets under tenants/<t>/index/,
// each keyed by msKey(opened at) + poll id, so that a cursor walks polls
// newest first from the end: "all", "status:<status>", "channel:<channel>"
// and "channel:<channel>:status:<status>". A poll is in exactly the status
// indexes of its status.

func indexNames(p *polls.Poll, status polls.Status) []string {
	return []string{
		"all",
		"status:" + string(status),
		"channel:" + p.Channel,
		"channel:" + p.Channel + ":status:" + string(status),
	}
}

// queryIndex is the index a PollQuery reads.
func queryIndex(q polls.PollQuery) string {
	switch {
	case q.Channel != "" && q.Status != "":
		return "channel:" + q.Channel + ":status:" + string(q.Status)
	case q.Channel != "":
		return "channel:" + q.Channel
	case q.Status != "":
		return "status:" + string(q.Status)
	}
	return "all"
}

func indexKey(p *polls.Poll) []byte { return append(msKey(p.OpenedAt), p.ID...) }

// setIndexes moves a poll's listing entries from status from (empty: none)
// to status to (empty: none).
func setIndexes(tx *bolt.Tx, p *polls.Poll, from, to polls.Status) error {
	if from == to {
		return nil
	}
	ib, err := tenantBucket(tx, p.Tenant, bktIndex, true)
	if err != nil {
		return err
	}
	key := indexKey(p)
	if from != "" {
		for i, name := range indexNames(p, from) {
			if to != "" && (i == 0 || i == 2) {
				continue // "all" and "channel:" do not depend on the status
			}
			if b := ib.Bucket([]byte(name)); b != nil {
				if err := b.Delete(key); err != nil {
					return err
				}
			}
		}
	}
	if to == "" {
		return nil
	}
	for _, name := range indexNames(p, to) {
		b, err := ib.CreateBucketIfNotExists([]byte(name))
		if err != nil {
			return err
		}
		if err := b.Put(key, nil); err != nil {
			return err
		}
	}
	return nil
}

// getLease returns the lease of the announcement the poll owes (its
// announce key: unix ms, 8 bytes big-endian); zero if it owes none.
func getLease(pb *bolt.Bucket) (time.Time, error) {
	v := pb.Get(keyAnnounce)
	if v == nil {
		return time.Time{}, nil
	}
	if len(v) != 8 {
		return time.Time{}, fmt.Errorf("%w: announcement lease %x", errCorrupt, v)
	}
	return time.UnixMilli(int64(binary.BigEndian.Uint64(v))).UTC(), nil
}

// putLease stores the lease of the poll's owed announcement, or deletes it
// (zero).
func putLease(pb *bolt.Bucket, lease time.Time) error {
	if lease.IsZero() {
		return pb.Delete(keyAnnounce)
	}
	return pb.Put(keyAnnounce, binary.BigEndian.AppendUint64(nil, uint64(lease.UnixMilli())))
}

// applyDelta applies a change to the poll's tally bucket, as
// polls.Tally.Add does in memory, and adds one to its version. Counters
// that reach zero are deleted, so the bucket holds only what counts.
func applyDelta(pb *bolt.Bucket, d record.Delta) (version int64, err error) {
	tb := pb.Bucket(bktTally)
	for _, f := range d.Fields {
		if n := d.By[f]; n != 0 {
			if _, err := incr(tb, f, n); err != nil {
				return 0, err
			}
		}
	}
	return incr(tb, polls.TallyVersionField, 1)
}

func incr(b *bolt.Bucket, field string, d int64) (int64, error) {
	key := []byte(field)
	var n int64
	if v := b.Get(key); v != nil {
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return 0, fmt.Errorf("%w: tally %s: %v", errCorrupt, field, err)
		}
	}
	n += d
	if n == 0 {
		return 0, b.Delete(key)
	}
	return n, b.Put(key, strconv.AppendInt(nil, n, 10))
}

func tallyVersion(pb *bolt.Bucket) int64 {
	n, _ := strconv.ParseInt(string(pb.Bucket(bktTally).Get([]byte(polls.TallyVersionField))), 10, 64)
	return n
}

// event is one audit log entry, in the form both stores keep (the Redis
// store's stream fields have the same names): e is the event (vote events
// c, t, r for cast, toggle and retract; close, cancel, reopen, deadline),
// u the voter (a pseudonym in anonymous polls), g the group, d the tally's
// change (record.Delta.String), t the time in unix ms. Vote events carry
// the change to the tally, so that the report at any point of the log can
// be recomputed from the log alone, even once its oldest entries are
// trimmed (see DefaultLogMax).
type event struct {
	E string `json:"e"`
	U string `json:"u,omitempty"`
	G string `json:"g,omitempty"`
	D string `json:"d,omitempty"`
	C int64  `json:"c,omitempty"` // deadline events: the new deadline, unix ms (0: none)
	T int64  `json:"t"`
}

// DefaultLogMax is how many entries a poll's audit log keeps (both
// stores): the oldest go first. It bounds a poll's log at a few megabytes
// whatever happens to it.
const DefaultLogMax = 100_000

// logEvent appends an event to the poll's log and, every 256 events,
// trims the log to max entries.
func logEvent(pb *bolt.Bucket, e event, max int64) error {
	lb := pb.Bucket(bktLog)
	seq, err := lb.NextSequence()
	if err != nil {
		return err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := lb.Put(binary.BigEndian.AppendUint64(nil, seq), v); err != nil {
		return err
	}
	if max <= 0 || seq%256 != 0 || seq <= uint64(max) {
		return nil
	}
	// Keys are sequence numbers: everything below seq-max+1 goes.
	first := binary.BigEndian.AppendUint64(nil, seq-uint64(max)+1)
	c := lb.Cursor()
	for k, _ := c.First(); k != nil && bytes.Compare(k, first) < 0; k, _ = c.First() {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func getBallot(pb *bolt.Bucket, voter string) (*polls.Ballot, error) {
	v := pb.Bucket(bktBallots).Get([]byte(voter))
	if v == nil {
		return nil, nil
	}
	b, err := record.Decode(voter, string(v))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errCorrupt, err)
	}
	return &b, nil
}

func putBallot(pb *bolt.Bucket, b polls.Ballot) error {
	rec, err := record.Encode(b)
	if err != nil {
		return err
	}
	return pb.Bucket(bktBallots).Put([]byte(b.Voter), []byte(rec))
}

// tenantBucket returns the tenant's sub-bucket name, creating it (and the
// tenant) when create is set; nil if it does not exist.
func tenantBucket(tx *bolt.Tx, tenant string, name []byte, create bool) (*bolt.Bucket, error) {
	if tenant == "" {
		return nil, errors.New("empty tenant")
	}
	ts := tx.Bucket(bktTenants)
	if !create {
		tb := ts.Bucket([]byte(tenant))
		if tb == nil {
			return nil, nil
		}
		return tb.Bucket(name), nil
	}
	tb, err := ts.CreateBucketIfNotExists([]byte(tenant))
	if err != nil {
		return nil, err
	}
	return tb.CreateBucketIfNotExists(name)
}

// expiring is a record that lives until its expiry: 8 bytes of unix ms
// (big-endian), then the value.
func expiring(exp time.Time, v []byte) []byte {
	return append(binary.BigEndian.AppendUint64(nil, uint64(ceilMilli(exp))), v...)
}

// alive splits an expiring record, reporting whether it is unexpired.
func alive(rec []byte, now time.Time) ([]byte, bool) {
	if len(rec) < 8 {
		return nil, false
	}
	return rec[8:], int64(binary.BigEndian.Uint64(rec[:8])) > now.UnixMilli()
}

// ceilMilli is t in unix milliseconds, rounded up so that a record is never
// dropped before its time.
func ceilMilli(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.After(time.UnixMilli(ms)) {
		ms++
	}
	return ms
}

// sweep deletes up to 512 expired records of b, from a place that moves
// with the key just written, every 64th time it is called for b (counted
// by b's sequence): the expired share of a bucket stays small at any rate
// of writes, and no write pays for a whole scan.
func sweep(b *bolt.Bucket, from []byte, now time.Time) error {
	if n, err := b.NextSequence(); err != nil || n%64 != 0 {
		return err
	}
	c := b.Cursor()
	k, v := c.Seek(from)
	for range 512 {
		if k == nil {
			if k, v = c.First(); k == nil {
				break
			}
		}
		if _, ok := alive(v, now); !ok {
			if err := c.Delete(); err != nil {
				return err
			}
			k, v = c.Seek(k) // after Delete, Seek finds the next key
			continue
		}
		k, v = c.Next()
	}
	return nil
}
