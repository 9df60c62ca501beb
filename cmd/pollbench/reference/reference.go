// Package reference is pollbench's yardstick for pollbot's vote path: a
// small server that does only the work a vote click cannot do without, so
// that pollbot is measured against what the machine allows rather than
// against a server that does nothing at all (the verify-only baseline).
// pollbench runs it as a process of its own beside pollbot, against the
// same Redis and the same fake platform APIs (the sink), and sends both the
// same clicks.
//
// For a Slack block_actions click (POST /slack/interactions) or a Discord
// button click (POST /discord/interactions) it does, in order, the work a
// user or the platform can observe pollbot doing:
//
//  1. Read the body (at most 1 MiB) and verify it: Slack's v0 signature
//     (HMAC-SHA256 of "v0:<timestamp>:<body>" with the signing secret),
//     Discord's Ed25519 signature of "<timestamp><body>" with the
//     application's public key; a timestamp more than 5 minutes off is
//     refused, as pollbot refuses it. PING is answered with PONG.
//  2. Parse the form (Slack's payload field) and decode only the fields a
//     vote needs into a small struct: team or guild, user, the control's
//     id, and where to confirm (response_url; interaction token and
//     application id).
//  3. Run one Lua script (see voteScript) that reads the voter's
//     stakeholder group, toggles the theme in a compact ballot (the group
//     and a bit mask of themes), keeps the tally per theme and group in
//     pollbot's layout plus per-theme totals, and returns what the answer
//     needs. One round trip.
//  4. Answer: Slack with an empty 200; Discord with the poll's message
//     re-rendered from the counts the script returned, as a type 7
//     (update message) interaction response. The parts of a poll's message
//     that no vote changes (title, buttons, footer) are rendered once per
//     poll.
//  5. Confirm the ballot to the voter on a keep-alive HTTP client, after
//     the answer: Slack with the ephemeral message pollbot posts to the
//     click's response_url, the same JSON; Discord with one ephemeral
//     follow-up (execute webhook). At most Config.MaxConfirming
//     confirmations are in flight; a click that finds them all busy waits
//     for one before its connection serves another request, so deliveries
//     keep up with acknowledgements or slow them down, never fall behind
//     without bound.
//
// What it leaves out, and pollbot must do, is what the ratio of their
// throughputs prices:
//
//   - Deadline and status. The reference's polls are always open. pollbot
//     checks in the vote's atomic step that the poll is open and before
//     its deadline by the server's clock (Redis TIME).
//   - Dedupe across replicas. pollbot records every delivery (Slack's
//     action timestamp, Discord's interaction id) in the store with an
//     expiry, so a retry or a replay counts once whichever replica it
//     reaches; the reference counts every verified request.
//   - The audit log. pollbot appends every vote, with its tally change, to
//     the poll's stream (the timeline and the verifiable record read it).
//   - Metrics and logs: Prometheus counters and latency histograms per
//     command, structured logs with secrets redacted.
//   - Coalesced message edits. pollbot re-renders every message that shows
//     a poll (chat.update, PATCH) at most once per 2 s per poll and always
//     the final state; the reference edits nothing beyond Discord's type 7
//     answer, and Slack's poll message never changes.
//   - Held votes. A voter without a group is refused here; pollbot keeps
//     the vote in the store and asks the voter to pick a group.
//   - Group resolution. pollbot resolves a voter's group from a
//     facilitator's assignment, platform roles (Slack user groups, Discord
//     roles, with their lookups cached) and the voter's own declaration,
//     in that order; the reference reads one hash.
//   - Anonymity: pollbot keys an anonymous poll's ballots by an HMAC per
//     poll and refuses votes under another key.
//   - Poll kinds (single, ranked, max choices), channel scope, the poll's
//     definition read and checked for each vote (the reference keeps a
//     poll in memory after its first click: its polls never change), every
//     command other than a vote click.
//   - User text. pollbot escapes labels for Slack mrkdwn and Discord
//     Markdown, and keeps messages within the platforms' limits with
//     degraded layouts.
//   - Trust bounds beyond the body limit and the server timeouts: the
//     bound on requests in flight (503), the platforms' rate limits
//     (Retry-After), retries of failed deliveries.
//   - Redis Cluster placement. The reference keeps a tenant's groups and
//     polls in one hash slot ({tenant}), so that its one script may read
//     the voter's group; pollbot gives each poll a slot of its own, so a
//     tenant's polls spread over a cluster.
//
// It is a benchmark tool: it posts confirmations only under the URLs it
// is configured with (the sink on loopback), never wherever a request
// says.
package reference

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Config configures a Server.
type Config struct {
	// Redis holds the groups, polls, ballots and tallies (see the key
	// layout in Keys).
	Redis redis.UniversalClient
	// SlackSigningSecret verifies Slack requests; empty turns Slack off
	// (its endpoint answers 404).
	SlackSigningSecret string
	// DiscordPublicKey verifies Discord interactions; nil turns Discord
	// off.
	DiscordPublicKey ed25519.PublicKey
	// ResponseURLPrefix is the only prefix a Slack response_url may have:
	// a click naming any other is refused (400) before it is counted.
	// Required with Slack.
	ResponseURLPrefix string
	// DiscordAPIURL is the base URL of Discord's REST API, ending in "/":
	// follow-ups are posted to <DiscordAPIURL>webhooks/<app>/<token>.
	// Required with Discord.
	DiscordAPIURL string
	// HTTPClient posts the confirmations (default: a keep-alive client
	// with MaxConfirming idle connections per host and a 15 s timeout).
	HTTPClient *http.Client
	// MaxConfirming bounds the confirmations in flight (default 256).
	MaxConfirming int
	// Now is the clock for the signatures' 5-minute window (default
	// time.Now).
	Now func() time.Time
	// Logger receives failed confirmations (default: discard).
	Logger *slog.Logger
}

// Server serves vote clicks. It is safe for concurrent use.
type Server struct {
	cfg    Config
	rdb    redis.UniversalClient
	client *http.Client
	now    func() time.Time
	log    *slog.Logger

	polls sync.Map  // tenant + "/" + poll id -> *poll
	macs  sync.Pool // hash.Hash: HMAC-SHA256 keyed with the Slack secret

	slots chan struct{} // one per confirmation in flight
	wg    sync.WaitGroup
	bufs  sync.Pool // *[]byte: answers and confirmation bodies
}

// maxBody bounds a request body, as pollbot bounds it.
const maxBody = 1 << 20

// window is how far a signed timestamp may be from the server's clock.
const window = 5 * time.Minute

// New returns a server for cfg.
func New(cfg Config) (*Server, error) {
	switch {
	case cfg.Redis == nil:
		return nil, errors.New("reference: no Redis client")
	case cfg.SlackSigningSecret == "" && cfg.DiscordPublicKey == nil:
		return nil, errors.New("reference: neither a Slack signing secret nor a Discord public key")
	case cfg.SlackSigningSecret != "" && cfg.ResponseURLPrefix == "":
		return nil, errors.New("reference: Slack needs the response_url prefix confirmations may go to")
	case cfg.DiscordPublicKey != nil && len(cfg.DiscordPublicKey) != ed25519.PublicKeySize:
		return nil, errors.New("reference: the Discord public key is not an Ed25519 public key")
	case cfg.DiscordPublicKey != nil && !strings.HasSuffix(cfg.DiscordAPIURL, "/"):
		return nil, errors.New("reference: Discord needs its API base URL, ending in /")
	}
	if cfg.MaxConfirming <= 0 {
		cfg.MaxConfirming = 256
	}
	s := &Server{
		cfg:    cfg,
		rdb:    cfg.Redis,
		client: cfg.HTTPClient,
		now:    cfg.Now,
		log:    cfg.Logger,
		slots:  make(chan struct{}, cfg.MaxConfirming),
	}
	if s.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 2 * cfg.MaxConfirming
		tr.MaxIdleConnsPerHost = cfg.MaxConfirming
		tr.DisableCompression = true
		s.client = &http.Client{Transport: tr, Timeout: 15 * time.Second}
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.bufs.New = func() any { b := make([]byte, 0, 2048); return &b }
	return s, nil
}

// Handler serves POST /slack/interactions, POST /discord/interactions and
// GET /readyz (200 once Redis answers PING).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if s.cfg.SlackSigningSecret != "" {
		mux.HandleFunc("POST /slack/interactions", s.serveSlack)
	}
	if s.cfg.DiscordPublicKey != nil {
		mux.HandleFunc("POST /discord/interactions", s.serveDiscord)
	}
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := s.rdb.Ping(r.Context()).Err(); err != nil {
			http.Error(w, "redis: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	})
	return mux
}

// Wait returns when every confirmation started has been delivered (or has
// failed). Call it after the HTTP server has stopped taking requests.
func (s *Server) Wait() { s.wg.Wait() }

// readBody reads a request body whole, to maxBody; a longer body is 413.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "unreadable request body", http.StatusBadRequest)
		}
		return nil, false
	}
	return body, true
}

func (s *Server) buf() *[]byte { return s.bufs.Get().(*[]byte) }

func (s *Server) putBuf(b *[]byte) {
	if cap(*b) <= 64<<10 {
		*b = (*b)[:0]
		s.bufs.Put(b)
	}
}

// confirm posts body (JSON, in a pooled buffer it takes over) to url after
// the answer, waiting first for a free slot when MaxConfirming are in
// flight.
func (s *Server) confirm(url string, body *[]byte) {
	s.slots <- struct{}{}
	s.wg.Add(1)
	go func() {
		defer func() {
			s.putBuf(body)
			<-s.slots
			s.wg.Done()
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := s.post(ctx, url, *body); err != nil {
			s.log.Warn("reference: confirmation failed", "err", err)
		}
	}()
}

func (s *Server) post(ctx context.Context, url string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header["Content-Type"] = []string{"application/json"}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
