// Package faulttest is pollbot's fault suite: Go tests that run the real
// thing, a `pollbot serve` binary and redis-server processes, break it the
// way production breaks, and check what users were told against what the
// store holds afterwards. There is no code here outside the tests; `go
// test ./...` runs them (CI sets POLLBOT_TEST_REDIS=required; without it
// they skip when redis-server is missing, and with -short).
//
// TestMain builds pollbot once. Every scenario starts its own Redis and
// pollbot processes on free loopback ports (never 6379), in Slack HTTP
// mode and Discord HTTP interactions mode, with JSON logs that a failing
// test prints (with any panic, fatal error or race report found in them,
// which fails the test), and kills them when it ends. Each scenario has a
// deadline of its own; the suite takes about 80 s on two cores.
//
// Environment:
//
//	POLLBOT_FAULTTEST_BIN=path   test that pollbot binary instead of building one
//	                             (a release build; an older commit's, to see a check fail)
//	POLLBOT_FAULTTEST_RACE=1     build pollbot with the race detector (with go test -race)
//	POLLBOT_FAULTTEST_LOGS=1     print every pollbot's log, not only a failing test's
//
// The tests open the module's Go sources, so that go test's result cache
// is invalidated by a change to pollbot (which is not part of the test
// binary) as it is by a change to the tests.
//
// The platforms are internal/loadgen: signed Slack clicks and slash
// commands, signed Discord interactions, and its Sink as Slack's Web API
// and Discord's REST API (poll messages, edits, the announcements of polls
// closed at their deadline). Each Slack click's response_url is unique, and
// leads to an answer log here that records every private answer to it and
// when it arrived: "acknowledged to a user" is an answer that says the vote
// counted ("Your ballot in poll …"), and it lists the voter's ballot.
//
// Loads are built so that the truth is knowable: in approval polls (where a
// click toggles a theme) each voter clicks each theme at most once, so
// every click adds its theme; in single-choice polls a click replaces the
// ballot. A voter's clicks are sequential, each waiting for its answer. The
// checks, after every scenario, read the store with the pollbot binary
// (`pollbot export -ballots`, `pollbot report`, `pollbot list`):
//
//   - a counted answer to a click on a theme lists that theme (a click
//     applied twice would have toggled it off again);
//   - every theme a voter was told counted is in their stored ballot, and
//     nothing they never clicked is; without a fault, the ballot is exactly
//     what they were last told;
//   - the tally (what reports and poll messages show) agrees with the
//     ballots, theme by group;
//   - each due poll is closed, announced exactly once, and its message
//     re-rendered closed.
//
// The scenarios:
//
//   - TestRedisKilledDuringVotes: Redis with appendfsync always is killed
//     (SIGKILL) during a load of clicks and restarted from its AOF, once
//     after two seconds down and four times at once (inside go-redis's retry
//     window). Every counted vote must survive; every click is answered.
//   - TestRedisUnreachable: Redis killed (connections refused), and Redis
//     frozen (SIGSTOP: connections accepted, nothing answered). Slack and
//     Discord clicks and a slash command are answered "try again" within
//     3 s, /readyz says 503 within 3 s and /healthz 200, nothing panics;
//     when Redis is back pollbot resumes by itself (/readyz 200, clicks
//     count) and a poll that fell due during the outage is closed and
//     announced once.
//   - TestRedisReplyLost: a proxy between pollbot and Redis loses the reply
//     to a vote's toggle script after it ran; go-redis sends it again. The
//     click must count once.
//   - TestTwoReplicas: two pollbot processes on one Redis and on a 3-node
//     Redis Cluster, Slack and Discord clicks alternating between them on
//     polls that reach their deadline under load, plus several themes
//     clicked at once per voter through both. Exact tallies; clicks count
//     only before the deadline; each due poll announced exactly once.
//   - TestPollbotKilledMidLoad: pollbot killed (SIGKILL) mid-load and
//     restarted on the same address; failed deliveries are redelivered as
//     Slack does (same payload, X-Slack-Retry-Num). No vote lost or counted
//     twice; a poll due while pollbot was down and one due after the
//     restart are each closed, announced once and shown closed.
//   - TestPollbotKilledMidClick: pollbot killed while its vote's toggle
//     script has run and it waits for the reply (a proxy holds it); the
//     redelivered click must not be applied again.
//   - TestPollbotStoppedWhileAnnouncing: pollbot stopped (SIGKILL, SIGTERM)
//     while its scheduler posts the announcement of a poll it just closed
//     (Slack is made slow to answer that call); after a restart the poll
//     must still be announced, once, and shown closed.
//   - TestRedisDownWhenPollPosted: Redis goes down just as pollbot posts a
//     new poll's message, before it records where the message is; once
//     Redis is back, the message must still follow the votes and the close.
//
// Bad input at every entry point (oversized bodies, invalid UTF-8, deep
// JSON, huge labels) is tested elsewhere.
package faulttest
