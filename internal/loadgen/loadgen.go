// Package loadgen drives a running `pollbot serve` in HTTP mode with
// correctly signed Slack and Discord requests, and plays the platforms'
// side of the conversation: a fake Slack Web API and Discord REST API that
// pollbot is pointed at, which records what pollbot sends back. It is used
// by cmd/pollbench (throughput and latency) and by the fault suite (who was
// told their vote counted).
//
// The pieces:
//
//   - Slack (NewSlack) signs and sends slash commands and block_actions
//     clicks to /slack/commands and /slack/interactions.
//   - Discord (NewDiscord) signs and sends APPLICATION_COMMAND and
//     MESSAGE_COMPONENT interactions to /discord/interactions.
//   - Sink (StartSink) is the fake platform APIs on one loopback HTTP
//     server: pollbot's SLACK_API_URL and DISCORD_API_URL point at it, and
//     the response_url and interaction tokens the clients send lead back to
//     it. It counts calls per endpoint, the confirmations each user
//     received, and keeps the poll messages pollbot posted and edited.
//   - Run runs an operation from N concurrent clients for a count or a
//     duration, closed loop or at a fixed offered rate (open loop), and
//     reports throughput, latency percentiles and errors by kind.
//   - SlackBaseline and DiscordBaseline are handlers that only verify the
//     signature, the ceiling a vote click is compared with in the same run.
//
// The API at a glance:
//
//	CheckLoopback(ctx, url) error                 ErrorKind(err) string
//	NewSlack(ctx, SlackConfig) (*Slack, error)
//	  .Command(ctx, user, text) (Reply, error)      a slash command: /poll <text>
//	  .Click(ctx, user, actionID) (Reply, error)    a block_actions button click
//	  .ClickAt(ctx, due, user, actionID)            one due at due (open loop)
//	  .PostInteraction(ctx, payloadJSON) (Reply, error)
//	  .AppendClickPayload(dst, user, actionID) []byte
//	SignSlack(header, secret, body, at)
//	NewDiscord(ctx, DiscordConfig) (*Discord, error)
//	  .Command(ctx, Member, sub, ...CommandOption) (DiscordReply, error)
//	  .Click(ctx, Member, messageID, customID) (DiscordReply, error)
//	  .ClickAt(ctx, due, Member, messageID, customID)
//	  .Select(ctx, Member, messageID, customID, values...) (DiscordReply, error)
//	  .Ping(ctx) (DiscordReply, error)   .Post(ctx, body) (DiscordReply, error)
//	  .AppendClick(dst, Member, messageID, customID) []byte
//	SignDiscord(header, key, body, at)   KeyFromSeed(hex)   PublicKeyHex(key)
//	StringOpt, IntOpt, BoolOpt, NumberOpt, UserOpt (name, value) CommandOption
//	StartSink(ctx, SinkConfig) (*Sink, error)
//	  .URL() .SlackAPIURL() .SlackResponseURL() .DiscordAPIURL() .Env()
//	  .Confirmation(platform, user) .Confirmations(platform) .ConfirmationTotal(platform)
//	  .WaitConfirmations(ctx, platform, n) .TakeConfirmationLags(platform) *Histogram
//	  .Messages(platform) .WaitMessage(ctx, platform, match)
//	  .Calls() .SetQuiet(bool) .Reset() .Close()
//	Message.Polls()   ParseVoteAction(id) (poll, theme, ok)
//	Run(ctx, RunConfig, Op) (*Result, error)      Histogram .Record .Merge .Quantile .Max .Count
//	SlackBaseline(secret) http.Handler   DiscordBaseline(publicKey) http.Handler
//	Serve(addr, handler) (*Server, error)
//
// Everything is loopback only: the clients, the sink, Run and Serve refuse
// addresses that do not resolve to 127.0.0.0/8 or ::1 exclusively, so a
// mistyped flag cannot turn a benchmark into traffic against a real
// deployment, or Slack and Discord themselves.
//
// Request bodies of clicks are built by appending to a byte slice from a
// fixed template rather than by marshalling maps, so the generator spends
// its CPU time (which it shares with pollbot on one machine) on as little
// as possible. Every body is still valid JSON that slack-go and discordgo
// decode; the tests check that with their decoders and verifiers.
package loadgen

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"time"
)

// Platform names a chat platform, as in pollbot's tenants ("slack:T1").
type Platform string

const (
	PlatformSlack   Platform = "slack"
	PlatformDiscord Platform = "discord"
)

// Bounds on a run. A load generator that can be told to run forever or
// send billions of requests is one typo away from filling a disk with
// Redis data; these are far above any useful benchmark.
const (
	MaxCount    = 10_000_000
	MaxDuration = 10 * time.Minute
)

// Identifiers the clients use unless configured otherwise. The Discord ids
// are snowflakes (digits), as pollbot's configuration checks require.
const (
	DefaultSlackTeam      = "TLOADGEN"
	DefaultSlackChannel   = "CLOADGEN"
	DefaultDiscordApp     = "100000000000000001"
	DefaultDiscordGuild   = "200000000000000002"
	DefaultDiscordChannel = "300000000000000003"
	// DefaultSlackBotToken and DefaultDiscordBotToken are the tokens
	// pollbot is started with against a sink; the sink accepts any token
	// but checks that one is sent.
	DefaultSlackBotToken   = "xoxb-loadgen"
	DefaultDiscordBotToken = "loadgen-bot-token"
)

// ErrNotLoopback is returned when an address resolves to anything but
// loopback addresses.
var ErrNotLoopback = errors.New("loadgen: target is not a loopback address (only 127.0.0.0/8 and ::1 are allowed)")

// ErrBounds is returned by Run for a count, duration or client number out
// of bounds.
var ErrBounds = errors.New("loadgen: run out of bounds")

// Reply is pollbot's HTTP answer to a Slack request.
type Reply struct {
	Status int
	Body   []byte // the acknowledgement: empty, or an ephemeral message as JSON
}

// Err returns a *StatusError unless the status is 200.
func (r Reply) Err() error { return statusErr(r.Status, r.Body) }

// DiscordReply is pollbot's HTTP answer to a Discord interaction: the
// status and the interaction response's type and the parts of its data a
// caller checks. Body holds the whole response.
type DiscordReply struct {
	Status  int
	Type    int    // 1 pong, 4 message, 5 deferred message, 6 deferred update, 7 update message, 9 modal
	Content string // data.content
	Flags   int    // data.flags; 64 is ephemeral
	Body    []byte
}

// Err returns a *StatusError unless the status is 200, and an
// *UnexpectedTypeError when want is not 0 and the response type differs.
func (r DiscordReply) Err(want int) error {
	if err := statusErr(r.Status, r.Body); err != nil {
		return err
	}
	if want != 0 && r.Type != want {
		return &UnexpectedTypeError{Got: r.Type, Want: want, Content: r.Content}
	}
	return nil
}

// StatusError is an HTTP status other than 200. Its kind (ErrorKind) is
// "HTTP <code>".
type StatusError struct {
	Code int
	Body string // at most 200 bytes of the body
}

// UnexpectedTypeError is a Discord interaction answered with another
// response type than expected (a refusal answered as a message where an
// update was due, say). Its kind is "discord type <got>".
type UnexpectedTypeError struct {
	Got, Want int
	Content   string
}

// SlackConfig configures a Slack client.
type SlackConfig struct {
	// BaseURL is pollbot's (or a baseline's) base URL, such as
	// http://127.0.0.1:8080; paths /slack/commands and /slack/interactions
	// are appended. It must resolve to loopback only.
	BaseURL string
	// SigningSecret is pollbot's SLACK_SIGNING_SECRET.
	SigningSecret string
	// ResponseURL is the prefix of the response_url sent with each request;
	// "/<user>/<n>" is appended. Sink.SlackResponseURL gives the sink's, so
	// confirmations are counted per user. Empty: the requests carry a
	// response_url on BaseURL's host that nothing answers.
	ResponseURL string
	// TeamID and ChannelID default to DefaultSlackTeam and
	// DefaultSlackChannel.
	TeamID, ChannelID string
	// HTTPClient defaults to a client keeping up to 512 idle connections
	// to the target with a 30 s timeout.
	HTTPClient *http.Client
	// Now defaults to time.Now; it dates the signatures.
	Now func() time.Time
}

// DiscordConfig configures a Discord client.
type DiscordConfig struct {
	// BaseURL is pollbot's (or a baseline's) base URL; the path
	// /discord/interactions is appended. It must resolve to loopback only.
	BaseURL string
	// PrivateKey signs the interactions; pollbot's DISCORD_PUBLIC_KEY must
	// be its public half (see KeyFromSeed and PublicKeyHex).
	PrivateKey ed25519.PrivateKey
	// AppID, GuildID and ChannelID default to DefaultDiscordApp,
	// DefaultDiscordGuild and DefaultDiscordChannel. AppID must be
	// pollbot's DISCORD_APP_ID: follow-ups are sent to webhooks/<AppID>/.
	AppID, GuildID, ChannelID string
	// HTTPClient and Now as in SlackConfig.
	HTTPClient *http.Client
	Now        func() time.Time
}

// Member is the guild member a Discord interaction comes from.
type Member struct {
	ID    string   // a snowflake: digits only
	Roles []string // role ids; nil is no roles
}

// CommandOption is one typed option of a /poll subcommand.
type CommandOption struct {
	Name  string
	Type  int // 3 string, 4 integer, 5 boolean, 6 user, 10 number
	Value any
}

// SinkConfig configures a Sink.
type SinkConfig struct {
	// Addr is the loopback address to listen on; empty picks a free port
	// on 127.0.0.1.
	Addr string
	// Quiet makes the sink count only: calls per endpoint and
	// confirmations per user, without reading any body or keeping texts.
	// Poll messages are still kept (there are few), so poll ids can be
	// learned in quiet mode too.
	Quiet bool
	// DiscordRoles answers GET guilds/{guild}/roles: guild id -> role id ->
	// role name. Guilds not listed have no roles.
	DiscordRoles map[string]map[string]string
	// SlackBotToken, when set, is the only bot token the Slack Web API
	// takes: a call with another is answered invalid_auth, as Slack
	// answers a revoked or mistyped token. Empty: any token.
	SlackBotToken string
}

// Confirmation is what one user was told privately: by Slack response_url
// posts, or Discord interaction follow-ups.
type Confirmation struct {
	Count int64
	Last  string // the text of the last one (Slack "text", Discord "content"); empty in quiet mode
}

// Message is a message pollbot posted in a channel with its bot token
// (Slack chat.postMessage, Discord POST channels/{id}/messages), as last
// posted or edited.
type Message struct {
	Platform Platform
	Channel  string
	ID       string // Slack ts, Discord message id
	// Text is the message's text and structure as pollbot last sent them:
	// Slack "text" and "blocks"; Discord "content", "embeds" and
	// "components" (raw JSON, joined by newlines).
	Text string
	// ActionIDs are the Slack action_id or Discord custom_id values of the
	// message's controls and select options, in order of appearance.
	ActionIDs []string
	Edits     int       // chat.update calls or PATCHes of this message
	Posted    time.Time // zero for a message the sink only saw edited (posted before a Reset or a restart)
	Edited    time.Time // zero until edited
}

// RunConfig says how much load Run generates.
type RunConfig struct {
	// Target is the base URL the operation sends to. Run refuses to start
	// unless it resolves to loopback addresses only.
	Target string
	// Clients is the number of concurrent clients (1 to 10,000): in open
	// loop, the most operations in flight at once.
	Clients int
	// Count is the total number of operations; Duration how long clients
	// keep starting new ones. At least one must be set (Count ≤ MaxCount,
	// Duration ≤ MaxDuration); with both, the run stops at whichever comes
	// first. Operations under way when the time is up finish and count.
	Count    int64
	Duration time.Duration
	// Rate, when above 0 (at most MaxRate), makes the run open loop:
	// operation i is due at start + i/Rate seconds whatever became of the
	// ones before it, and its latency counts from when it was due, not
	// from when a client got to it. A server that stalls then shows its
	// queue in the latencies instead of slowing the load down (no
	// coordinated omission). An operation due while all Clients are busy
	// waits for one, and the wait counts. With Duration, the last
	// operation is due before Duration has passed.
	Rate float64
}

// Op is one operation of a run: i is its sequence number from 0, client
// the number of the client running it (0 ≤ client < Clients), due the
// moment it was due: when the client started it in closed loop, its time
// on the schedule in open loop. Its latency counts from due. It returns
// nil on success; the error's kind (ErrorKind) is counted otherwise.
type Op func(ctx context.Context, client int, i int64, due time.Time) error

// Result is what a run measured. Latencies are of every completed
// operation, failed ones included, from when it was due until it ended,
// measured with a histogram whose buckets are within 1% of the values they
// hold; Max is exact.
type Result struct {
	Ops     int64 // operations completed
	OK      int64 // of which succeeded
	Elapsed time.Duration
	// PerSec is successful operations per second of Elapsed.
	PerSec             float64
	P50, P95, P99, Max time.Duration
	// Latency holds every latency, for merging runs (Histogram.Merge).
	Latency *Histogram
	// Rate is the offered rate of an open-loop run (0: closed loop), and
	// Late how long after it was due each of its operations was started:
	// near zero while the clients keep the schedule.
	Rate float64
	Late *Histogram
	// Errors counts failures by kind: "HTTP 500", "discord type 4",
	// "timeout", "connection refused", "connection reset", "transport";
	// ErrorSamples holds the message of one failure of each kind.
	Errors       map[string]int64
	ErrorSamples map[string]string
}
