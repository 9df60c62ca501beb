package boltstore

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/pollbot/pollbot/polls"
)

// Bucket and key names of the layout in the package documentation.
var (
	bktTenants   = []byte("tenants")
	bktDeadlines = []byte("deadlines")
	bktPolls     = []byte("polls")
	bktGroups    = []byte("groups")
	bktHeld      = []byte("held")
	bktBallots   = []byte("ballots")
	bktTally     = []byte("tally")
	bktLog       = []byte("log")
	bktOps       = []byte("ops")
	keyPoll      = []byte("poll")
	keyRules     = []byte("rules")
	keyAnnounce  = []byte("announce")
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

// rules is what taking a vote needs to know of a poll. It is kept in its
// own small binary value beside the poll's JSON, always written together
// with it (putPoll): every cast and click reads a few bytes instead of
// decoding the whole definition, which was half the CPU time of a cast.
type rules struct {
	status     polls.Status
	kind       polls.Kind
	themes     int
	maxChoices int       // 0: no limit
	closesAt   time.Time // zero: no deadline
}

func rulesOf(p *polls.Poll) rules {
	r := rules{status: p.Status, kind: p.Kind, themes: len(p.Themes), maxChoices: p.MaxChoices, closesAt: p.ClosesAt}
	if p.Kind == polls.Single {
		r.maxChoices = 1
	}
	return r
}

// encode lays rules out as: version 1, themes, max choices (uvarints), a
// deadline flag byte and the deadline in unix ms (varint), then status and
// kind (each a uvarint length and the bytes).
func (r rules) encode() []byte {
	b := []byte{1}
	b = binary.AppendUvarint(b, uint64(r.themes))
	b = binary.AppendUvarint(b, uint64(r.maxChoices))
	if r.closesAt.IsZero() {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendVarint(b, r.closesAt.UnixMilli())
	}
	for _, s := range []string{string(r.status), string(r.kind)} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

func decodeRules(b []byte) (rules, error) {
	var r rules
	bad := fmt.Errorf("%w: poll rules %x", errCorrupt, b)
	if len(b) == 0 || b[0] != 1 {
		return r, bad
	}
	b = b[1:]
	uv := func() uint64 {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			b = nil
			return 0
		}
		b = b[n:]
		return v
	}
	r.themes, r.maxChoices = int(uv()), int(uv())
	if len(b) == 0 {
		return r, bad
	}
	hasDeadline := b[0] == 1
	b = b[1:]
	if hasDeadline {
		ms, n := binary.Varint(b)
		if n <= 0 {
			return r, bad
		}
		b = b[n:]
		r.closesAt = time.UnixMilli(ms).UTC()
	}
	var strs [2]string
	for i := range strs {
		n := uv()
		if b == nil || uint64(len(b)) < n {
			return r, bad
		}
		strs[i], b = string(b[:n]), b[n:]
	}
	r.status, r.kind = polls.Status(strs[0]), polls.Kind(strs[1])
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

// checkChoices guards the tally against choices outside the poll. Callers
// validate ballots with polls.CheckBallot first; this only keeps a caller's
// bug from corrupting stored counts.
func (r rules) checkChoices(choices []int) error {
	if len(choices) == 0 {
		return polls.ErrNoChoices
	}
	for _, c := range choices {
		if c < 0 || c >= r.themes {
			return polls.ErrUnknownTheme
		}
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

// deadlineKey orders the index by deadline: the millisecond time with its
// sign bit flipped, big-endian, so that byte order is time order (before
// 1970 included), then "<tenant>/<id>" to make it unique.
func deadlineKey(at time.Time, k polls.Key) []byte {
	key := make([]byte, 8, 8+len(k.Tenant)+1+len(k.ID))
	binary.BigEndian.PutUint64(key, uint64(at.UnixMilli())^(1<<63))
	return append(key, k.String()...)
}

// parseDeadlineKey splits a deadline index key. Poll ids never contain '/',
// so the last one separates tenant and id.
func parseDeadlineKey(key []byte) (ms int64, k polls.Key, err error) {
	if len(key) < 8 {
		return 0, k, fmt.Errorf("%w: deadline key %q", errCorrupt, key)
	}
	ms = int64(binary.BigEndian.Uint64(key[:8]) ^ (1 << 63))
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

// addTally adds (sign +1) or removes (sign -1) a ballot's contribution to
// the poll's tally bucket, as polls.Tally.Add does in memory. Counters that
// reach zero are deleted, so the bucket holds only what counts.
func addTally(pb *bolt.Bucket, r rules, b polls.Ballot, sign int64) error {
	tb := pb.Bucket(bktTally)
	if err := incr(tb, polls.TallyBallotsField(b.Group), sign); err != nil {
		return err
	}
	for _, tp := range polls.Points(r.kind, r.themes, b.Choices) {
		if tp.Points == 0 {
			continue
		}
		if err := incr(tb, polls.TallyField(tp.Theme, b.Group), sign*tp.Points); err != nil {
			return err
		}
	}
	return nil
}

func incr(b *bolt.Bucket, field string, d int64) error {
	key := []byte(field)
	var n int64
	if v := b.Get(key); v != nil {
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return fmt.Errorf("%w: tally %s: %v", errCorrupt, field, err)
		}
	}
	n += d
	if n == 0 {
		return b.Delete(key)
	}
	return b.Put(key, strconv.AppendInt(nil, n, 10))
}

// event is one audit log entry. Voters are whatever key the ballot has: a
// pseudonym in anonymous polls.
type event struct {
	Event    string       `json:"event"` // cast, retract, close, cancel, reopen, deadline
	Voter    string       `json:"voter,omitempty"`
	Group    polls.Group  `json:"group,omitempty"`
	Choices  []int        `json:"choices,omitempty"`
	ClosesAt time.Time    `json:"closes_at,omitzero"`
	Status   polls.Status `json:"status,omitempty"`
	At       time.Time    `json:"at"`
}

func logEvent(pb *bolt.Bucket, e event) error {
	lb := pb.Bucket(bktLog)
	seq, err := lb.NextSequence()
	if err != nil {
		return err
	}
	v, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return lb.Put(binary.BigEndian.AppendUint64(nil, seq), v)
}

func getBallot(pb *bolt.Bucket, voter string) (*polls.Ballot, error) {
	v := pb.Bucket(bktBallots).Get([]byte(voter))
	if v == nil {
		return nil, nil
	}
	var b polls.Ballot
	if err := json.Unmarshal(v, &b); err != nil {
		return nil, fmt.Errorf("%w: ballot: %v", errCorrupt, err)
	}
	return &b, nil
}

func putBallot(pb *bolt.Bucket, b polls.Ballot) error {
	v, err := json.Marshal(b)
	if err != nil {
		return err
	}
	return pb.Bucket(bktBallots).Put([]byte(b.Voter), v)
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
