// Package redisstore is the Redis implementation of polls.Store: polls,
// ballots, the running tally, the audit log, groups, held votes and the
// deadline index, on a go-redis v9 UniversalClient (a single node, a
// Sentinel-managed master, or a Redis Cluster).
//
// # Keys
//
// With the default prefix "pollbot:" (see WithPrefix):
//
//	pollbot:schema                      string: the layout version, "3" (see Migrate)
//	pollbot:{<tenant>/<poll>}:poll      hash: "def" (the poll's JSON) plus the fields scripts and
//	                                    indexes read: status, closes_ms, closes_at, closed_at,
//	                                    opened_ms, channel, messages, announce_ms
//	pollbot:{<tenant>/<poll>}:ballots   hash: voter -> ballot record (storage/internal/record)
//	pollbot:{<tenant>/<poll>}:tally     hash: polls.TallyField / polls.TallyBallotsField -> integer,
//	                                    "v" -> the tally's version
//	pollbot:{<tenant>/<poll>}:log       stream: the audit log, at most about WithLogMax entries
//	                                    (e: c|r|close|cancel|reopen|deadline, left out of a
//	                                    toggle's (t), u: voter, g: group,
//	                                    d: the tally's change, without the groups when all are g
//	                                    (see expandDelta), c: a new deadline, t: unix ms, left out
//	                                    of a vote's when within a second of the entry id's time)
//	pollbot:{<tenant>/<poll>}:changes   shard channel (not a key): each change of the poll, published
//	                                    by the script that makes it (see Watch)
//	pollbot:{<tenant>/<poll>}:dv<g><b> hash: 8 bytes of a vote's delivery id -> an integer token,
//	                                    generation g (0, 1) of bucket b (0-f), kept for one to two
//	                                    polls.DeliveryTTL (see voteScript, voteDeliveryKeys)
//	pollbot:{<tenant>/<poll>}:d:<16 bytes>  string: a vote's delivery as recorded before the
//	                                    buckets; still honoured, never written
//	pollbot:{<tenant>/<poll>}:remind    hash: the poll's reminder schedule (see remind.go)
//	pollbot:{<tenant>}:polls            zset: poll ids by open time (unix ms)
//	pollbot:{<tenant>}:status:<status>  zset: the same, of one status
//	pollbot:{<tenant>}:channel:<ch>     zset: the same, of one channel
//	pollbot:{<tenant>}:chstatus:<status>:<ch>   zset: of one channel and status
//	pollbot:{<tenant>}:groups           hash: user -> polls.Membership JSON
//	pollbot:{<tenant>}:hold:<holder>    hash: held votes (see holdScript)
//	pollbot:{<tenant>}:held             zset: held votes of every holder by expiry, to count them per poll
//	pollbot:{<tenant>}:dlv:<key>        string: a request's delivery, for polls.DeliveryTTL
//	pollbot:{<tenant>}:rate:<key>       string: a rate limit's count in its window
//	pollbot:deadlines                   zset: "<tenant>/<poll>" by closes-at (unix ms)
//	pollbot:reminders                   zset: "<tenant>/<poll>" by its next reminder (unix ms, see remind.go)
//	pollbot:open                        set: "<tenant>/<poll>" of every open poll (the open-polls metric)
//
// Every key of one poll shares the hash tag {<tenant>/<poll>}, so the Lua
// scripts that vote, close and reopen see all of a poll's keys in one slot,
// also on Redis Cluster. Those scripts check the poll's status and deadline
// themselves, against the server clock (TIME), so a ballot is accepted or
// refused in the same atomic step that stores it. No script knows a poll
// kind (see voteScript).
//
// Off a Cluster, the vote script also reads the tenant's groups hash, to
// check the voter's membership in the vote's own step (memberVoteScript,
// polls.MembershipVoter): the one script that spans two slots, never run
// on a Cluster. It gets the raw user id as an argument, also for an
// anonymous poll; no key or record of the poll holds it, and with effects
// replication a script's arguments reach neither replicas nor the AOF.
//
// The listing, deadline and open-poll indexes live in other slots, so they
// are updated after the poll's script, and then re-read from the poll until
// the two agree (see syncIndexes). A crash in between leaves an entry that
// the next change of the poll, or polls.Service.CloseDue, repairs; voting
// never depends on an index.
//
// # URLs
//
// Open selects the mode from the URL:
//
//	redis://[[user]:password@]host[:port][/db][?option=value...]
//	rediss://...                            single node (TLS); options as redis.ParseURL
//	unix://[[user]:password@]/path/to/redis.sock[?db=N]
//	redis+cluster://[[user]:password@]host1:port1,host2:port2[?option=value...]
//	rediss+cluster://...                    Redis Cluster (TLS); seed nodes, options as redis.ParseClusterURL
//	redis+sentinel://[[user]:password@]host1:port1,host2:port2/mastername[/db][?option=value...]
//	rediss+sentinel://...                   master found through Sentinel (TLS)
//
// In a Sentinel URL the user and password are the master's; sentinels that
// need their own credentials take sentinel_username and sentinel_password
// options. Other options are those of redis.ParseFailoverURL. Ports
// default to 6379 (26379 for sentinels). With TLS and several hosts, each
// connection verifies the certificate of the host it dials.
//
// The scripts need Redis 5 or later (streams; effects replication, so a
// script may read TIME before it writes).
package redisstore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/internal/bounded"
	"github.com/pollbot/pollbot/polls"
	"github.com/redis/go-redis/v9"
)

// Store keeps polls in Redis. It is safe for concurrent use, and any number
// of processes may share the same Redis.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
	logMax int64
	// pubsub is whether the server has sharded pub/sub (see Watch).
	pubsub pubsubMode
	// clustered is whether the client is a Redis Cluster's, where no
	// script may touch keys of two slots (see ChecksMembership).
	clustered bool
	// logMaxArg is logMax boxed once for the vote scripts; voteKeys
	// keeps the keys they take (see voteCommand).
	logMaxArg any
	voteKeys  bounded.Map[pollRef, *voteKeys]
}

var (
	_ polls.Store           = (*Store)(nil)
	_ polls.Pinger          = (*Store)(nil)
	_ polls.OpenCounter     = (*Store)(nil)
	_ polls.MembershipVoter = (*Store)(nil)
)

// Option configures a Store.
type Option func(*Store)

// DefaultPrefix starts every key the store writes.
const DefaultPrefix = "pollbot:"

// WithPrefix sets the key prefix (default "pollbot:"), so that several
// deployments, or tests, can share one Redis. It must not contain '{' or
// '}', which would move the hash tags.
func WithPrefix(prefix string) Option { return func(s *Store) { s.prefix = prefix } }

// WithLogMax sets the approximate number of entries each poll's audit
// stream keeps (default DefaultLogMax; XADD MAXLEN ~, so a little more).
func WithLogMax(n int64) Option { return func(s *Store) { s.logMax = n } }

// DefaultLogMax is how many events a poll's audit log keeps by default: a
// bound of a few megabytes per poll whatever happens to it, far more than
// any working group's poll needs.
const DefaultLogMax = 100_000

// New returns a store on client. The store owns the client from then on:
// Close closes it.
func New(client redis.UniversalClient, opts ...Option) *Store {
	_, clustered := client.(*redis.ClusterClient)
	s := &Store{rdb: client, prefix: DefaultPrefix, logMax: DefaultLogMax, clustered: clustered}
	for _, o := range opts {
		o(s)
	}
	if strings.ContainsAny(s.prefix, "{}") {
		panic(fmt.Sprintf("redisstore: key prefix %q contains a brace", s.prefix))
	}
	s.logMaxArg = s.logMax
	return s
}

// Open connects to the Redis named by url (see the package documentation
// for the forms), checks that it answers, and migrates its data to the
// current layout if it holds an older one (see Migrate).
func Open(ctx context.Context, url string, opts ...Option) (*Store, error) {
	client, err := NewClient(url)
	if err != nil {
		return nil, err
	}
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis %s: %w", redactURL(url), err)
	}
	s := New(client, opts...)
	if err := s.Migrate(ctx); err != nil {
		_ = client.Close()
		return nil, err
	}
	return s, nil
}

// Client returns the underlying client.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// Close closes the client.
func (s *Store) Close() error { return s.rdb.Close() }

// Ping reports whether Redis answers (for /readyz). On a cluster it asks
// one node; a cluster that has lost a slot still fails the operations
// that need it.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis ping: %w", err)
	}
	return nil
}

// Keys of one poll.
type pollKeys struct {
	poll, ballots, tally, log string
}

func (s *Store) keys(tenant, id string) pollKeys {
	base := s.pollBase(tenant, id)
	return pollKeys{poll: base + "poll", ballots: base + "ballots", tally: base + "tally", log: base + "log"}
}

// pollBase starts the name of every key of one poll: the prefix and the
// poll's hash tag, so that all of them share a cluster slot.
func (s *Store) pollBase(tenant, id string) string {
	return s.prefix + "{" + tenant + "/" + id + "}:"
}

// deliveryName bounds a delivery key's size in a key name whatever a
// caller passes (the service passes keyed hashes already).
func deliveryName(key string) string {
	if len(key) <= 64 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:16])
}

// deliveryBuckets is how many hashes each generation of a poll's vote
// deliveries is spread over (by a byte of the delivery's id), so that
// each stays a listpack (hash-max-listpack-entries, 128 by default) up to
// about 2,000 clicks per poll in DeliveryTTL.
const deliveryBuckets = 16

// voteDeliveryKeys returns where the vote script looks for and records a
// vote's delivery, all in the poll's slot: the two generations' hashes of
// the delivery's bucket (see voteScript), then the string key a record
// had before the buckets, and the field naming the delivery in a hash.
//
// Every click records one delivery, so the record is kept small: a field
// of 8 bytes of the delivery's id (the service passes a hex hash of 16
// bytes; anything else is hashed to 16) and an integer token (newToken),
// in a hash of at most about 128 of them, where Redis packs both with a
// few bytes of overhead instead of a key of its own with an expiry.
// Another byte of the id picks the bucket, so two deliveries are taken
// for one only when 68 bits of their ids agree. docs/ARCHITECTURE.md
// ("Redis key layout") has the measurements.
func (s *Store) voteDeliveryKeys(tenant, id, key string) (keys []string, field string) {
	dv0, dv1, old, field := s.voteKeysOf(tenant, id).delivery(key)
	return []string{dv0.(string), dv1.(string), old}, field
}

func voteDeliveryName(key string) string {
	if len(key) == 32 {
		if b, err := hex.DecodeString(key); err == nil {
			return string(b)
		}
	}
	sum := sha256.Sum256([]byte(key))
	return string(sum[:16])
}

func (s *Store) tenantKey(tenant, suffix string) string {
	return s.prefix + "{" + tenant + "}:" + suffix
}

func (s *Store) pollsKey(tenant string) string  { return s.tenantKey(tenant, "polls") }
func (s *Store) groupsKey(tenant string) string { return s.tenantKey(tenant, "groups") }
func (s *Store) holdKey(tenant, holder string) string {
	return s.tenantKey(tenant, "hold:"+holder)
}
func (s *Store) heldIndexKey(tenant string) string { return s.tenantKey(tenant, "held") }
func (s *Store) channelKey(tenant, channel string) string {
	return s.tenantKey(tenant, "channel:"+channel)
}
func (s *Store) statusKey(tenant string, st polls.Status) string {
	return s.tenantKey(tenant, "status:"+string(st))
}
func (s *Store) chStatusKey(tenant, channel string, st polls.Status) string {
	return s.tenantKey(tenant, "chstatus:"+string(st)+":"+channel)
}

// queryKey is the index a PollQuery reads.
func (s *Store) queryKey(tenant string, q polls.PollQuery) string {
	switch {
	case q.Channel != "" && q.Status != "":
		return s.chStatusKey(tenant, q.Channel, q.Status)
	case q.Channel != "":
		return s.channelKey(tenant, q.Channel)
	case q.Status != "":
		return s.statusKey(tenant, q.Status)
	}
	return s.pollsKey(tenant)
}
func (s *Store) schemaKey() string    { return s.prefix + "schema" }
func (s *Store) deadlinesKey() string { return s.prefix + "deadlines" }

func (s *Store) openKey() string { return s.prefix + "open" }

func deadlineMember(tenant, id string) string { return tenant + "/" + id }

// parseDeadlineMember splits "<tenant>/<poll>" at the last slash: poll ids
// never contain one, tenants might.
func parseDeadlineMember(m string) (polls.Key, bool) {
	i := strings.LastIndexByte(m, '/')
	if i < 0 {
		return polls.Key{}, false
	}
	return polls.Key{Tenant: m[:i], ID: m[i+1:]}, true
}

// Error codes the scripts reply with ("POLLBOT_CLOSED poll is closed"),
// and the sentinel each stands for.
var scriptErrors = map[string]error{
	"POLLBOT_NOT_FOUND":        polls.ErrNotFound,
	"POLLBOT_EXISTS":           polls.ErrExists,
	"POLLBOT_CLOSED":           polls.ErrClosed,
	"POLLBOT_CANCELLED":        polls.ErrCancelled,
	"POLLBOT_PAST_DEADLINE":    polls.ErrPastDeadline,
	"POLLBOT_NOT_OPEN":         polls.ErrNotOpen,
	"POLLBOT_TOO_MANY_CHOICES": polls.ErrTooManyChoices,
	"POLLBOT_UNKNOWN_THEME":    polls.ErrUnknownTheme,
	"POLLBOT_CORRUPT":          errCorrupt,
}

// mapErr turns a script's error reply into its polls sentinel, so callers
// can errors.Is it; other errors pass through. Redis 7 prefixes a
// one-word error_reply with "ERR ", so that prefix is ignored.
func mapErr(err error) error {
	var re redis.Error
	if err == nil || !errors.As(err, &re) {
		return err
	}
	msg := strings.TrimPrefix(re.Error(), "ERR ")
	code, _, _ := strings.Cut(msg, " ")
	if sentinel, ok := scriptErrors[code]; ok {
		return sentinel
	}
	return err
}

// isScriptErr reports whether err is a refusal by a script (the poll's
// state), as opposed to a failure to reach Redis.
func isScriptErr(err error) bool {
	for _, e := range scriptErrors {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// errCorrupt marks data a script could not read.
var errCorrupt = errors.New("corrupt store data")

// wrap names the operation and what it was on in an error. User ids are
// never passed as id: error text ends up in logs, and a log line must not
// tie a voter to an anonymous poll.
func wrap(err *error, op, tenant, id string) {
	switch {
	case *err == nil:
	case id == "":
		*err = fmt.Errorf("redis %s in %s: %w", op, tenant, *err)
	default:
		*err = fmt.Errorf("redis %s %s/%s: %w", op, tenant, id, *err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// stamp is the form every stored time takes: UTC, millisecond precision,
// the unit of the deadline index and of the scripts' clock (and the form
// storage/bolt keeps, so both stores give back the same times).
func stamp(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Millisecond)
}
