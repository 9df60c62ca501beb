package faulttest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/pollbot/pollbot/internal/redistest"
)

// Identities of the fake workspace and guild.
const (
	signingSecret      = "faulttest-signing-secret"
	slackFacilitator   = "UFACILITATOR"
	discordFacilitator = "400000000000000001"
	slackTenant        = "slack:" + loadgen.DefaultSlackTeam
	discordTenant      = "discord:" + loadgen.DefaultDiscordGuild
)

// groupIDs are the default stakeholder groups voters are spread over.
var groupIDs = []string{"government", "private-sector", "civil-society", "technical-community", "academia", "intergovernmental"}

// ackBound is the time Slack and Discord give an app to answer: a click
// must be acknowledged, and its private answer arrive, within it.
const ackBound = 3 * time.Second

// harness is one scenario's fake platforms and clients: the loadgen Sink
// (Slack Web API and Discord REST), the response_url answer log, the keys,
// and the scenario's deadline.
type harness struct {
	t       *testing.T
	ctx     context.Context
	sink    *loadgen.Sink
	answers *answerLog
	dkey    ed25519.PrivateKey
	gen     *loadgen.Slack // builds click payloads
	client  *http.Client

	// slackAPIURL overrides the sink's Slack Web API URL (a holding proxy).
	slackAPIURL string
	// serveArgs are more flags for every `pollbot serve` the scenario
	// starts (and restarts).
	serveArgs []string

	mu      sync.Mutex
	slacks  map[*serveProc]*loadgen.Slack
	discord map[*serveProc]*loadgen.Discord
}

// newHarness starts the fakes for a scenario that must end within budget.
func newHarness(t *testing.T, budget time.Duration) *harness {
	t.Helper()
	needSuite(t)
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	t.Cleanup(cancel)
	sink, err := loadgen.StartSink(ctx, loadgen.SinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sink.Close() })
	answers := startAnswerLog(t)
	_, dkey, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := loadgen.NewSlack(ctx, loadgen.SlackConfig{BaseURL: answers.url, SigningSecret: signingSecret, ResponseURL: answers.ResponseURL()})
	if err != nil {
		t.Fatal(err)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	return &harness{
		t: t, ctx: ctx, sink: sink, answers: answers, dkey: dkey, gen: gen,
		client: &http.Client{Transport: tr, Timeout: 20 * time.Second},
		slacks: map[*serveProc]*loadgen.Slack{}, discord: map[*serveProc]*loadgen.Discord{},
	}
}

// env is the environment of a `pollbot serve` on redisURL: Slack HTTP
// mode and Discord HTTP interactions mode against the fakes, JSON logs.
func (h *harness) env(redisURL string) []string {
	slackAPI := h.sink.SlackAPIURL()
	if h.slackAPIURL != "" {
		slackAPI = h.slackAPIURL
	}
	return append(envBase(),
		"POLLBOT_REDIS_URL="+redisURL,
		"SLACK_BOT_TOKEN="+loadgen.DefaultSlackBotToken,
		"SLACK_SIGNING_SECRET="+signingSecret,
		"SLACK_API_URL="+slackAPI,
		"DISCORD_BOT_TOKEN="+loadgen.DefaultDiscordBotToken,
		"DISCORD_APP_ID="+loadgen.DefaultDiscordApp,
		"DISCORD_PUBLIC_KEY="+loadgen.PublicKeyHex(h.dkey),
		"DISCORD_API_URL="+h.sink.DiscordAPIURL(),
		"POLLBOT_FACILITATORS=slack:"+slackFacilitator+",discord:"+discordFacilitator,
		"POLLBOT_LOG_FORMAT=json",
	)
}

// serve starts a pollbot on redisURL with a fast deadline scheduler.
func (h *harness) serve(name, redisURL string) *serveProc {
	h.t.Helper()
	p := startServe(h.t, name, h.env(redisURL), append([]string{"-deadline-interval", "100ms"}, h.serveArgs...)...)
	// Made now, on the test's goroutine (they fail the test on an error),
	// and taken from the cache by the load's goroutines.
	h.slack(p)
	h.discordClient(p)
	return p
}

func (h *harness) slack(p *serveProc) *loadgen.Slack {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.slacks[p]; c != nil {
		return c
	}
	c, err := loadgen.NewSlack(h.ctx, loadgen.SlackConfig{BaseURL: p.url, SigningSecret: signingSecret, ResponseURL: h.answers.ResponseURL(), HTTPClient: h.client})
	if err != nil {
		h.t.Fatal(err)
	}
	h.slacks[p] = c
	return c
}

func (h *harness) discordClient(p *serveProc) *loadgen.Discord {
	h.mu.Lock()
	defer h.mu.Unlock()
	if c := h.discord[p]; c != nil {
		return c
	}
	c, err := loadgen.NewDiscord(h.ctx, loadgen.DiscordConfig{BaseURL: p.url, PrivateKey: h.dkey, HTTPClient: h.client})
	if err != nil {
		h.t.Fatal(err)
	}
	h.discord[p] = c
	return c
}

// command sends the slash command "/poll text" and returns the private
// acknowledgement's text; it fails the test on an error (so it is called
// from the test's goroutine only).
func (h *harness) command(p *serveProc, user, text string) string {
	h.t.Helper()
	ack, err := h.tryCommand(p, user, text)
	if err != nil {
		h.t.Fatal(err)
	}
	return ack
}

// tryCommand is command returning its error, for any goroutine.
func (h *harness) tryCommand(p *serveProc, user, text string) (string, error) {
	r, err := h.slack(p).Command(h.ctx, user, text)
	if err == nil {
		err = r.Err()
	}
	if err != nil {
		return "", fmt.Errorf("/poll %s as %s: %w", text, user, err)
	}
	var m struct {
		Text string `json:"text"`
	}
	if len(r.Body) > 0 {
		if err := json.Unmarshal(r.Body, &m); err != nil {
			return "", fmt.Errorf("/poll %s: acknowledgement %q: %w", text, r.Body, err)
		}
	}
	return m.Text, nil
}

// poll is a poll the suite opened.
type poll struct {
	ID       string
	Platform loadgen.Platform
	Tenant   string
	Kind     string
	Themes   []string
	Message  string // the poll message's id (Slack ts, Discord message id)
}

var openedRE = regexp.MustCompile(`Poll ([A-Z0-9]+) is open`)

func themes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("T%02d", i+1)
	}
	return out
}

// openSlack opens a poll in Slack as the facilitator, with n themes
// T01..Tn and opts (such as "--kind single --closes 5s"), and waits until
// its message is posted.
func (h *harness) openSlack(p *serveProc, title string, n int, opts string) *poll {
	h.t.Helper()
	ts := themes(n)
	text := fmt.Sprintf("open %q", title)
	for _, th := range ts {
		text += fmt.Sprintf(" %q", th)
	}
	ack := h.command(p, slackFacilitator, strings.TrimSpace(text+" "+opts))
	m := openedRE.FindStringSubmatch(ack)
	if m == nil {
		h.t.Fatalf("open %s: acknowledged with %q", title, ack)
	}
	pl := &poll{ID: m[1], Platform: loadgen.PlatformSlack, Tenant: slackTenant, Kind: kindOf(opts), Themes: ts}
	pl.Message = h.waitPollMessage(pl).ID
	return pl
}

func kindOf(opts string) string {
	if strings.Contains(opts, "--kind single") {
		return "single"
	}
	return "approval"
}

// openDiscord opens a poll in Discord as the facilitator.
func (h *harness) openDiscord(p *serveProc, title string, n int, kind, closes string) *poll {
	h.t.Helper()
	ts := themes(n)
	opts := []loadgen.CommandOption{loadgen.StringOpt("title", title), loadgen.StringOpt("themes", strings.Join(ts, ";")), loadgen.StringOpt("kind", kind)}
	if closes != "" {
		opts = append(opts, loadgen.StringOpt("closes", closes))
	}
	r, err := h.discordClient(p).Command(h.ctx, loadgen.Member{ID: discordFacilitator}, "open", opts...)
	if err == nil {
		err = r.Err(0)
	}
	if err != nil {
		h.t.Fatalf("discord open %s: %v", title, err)
	}
	m := openedRE.FindStringSubmatch(r.Content)
	if m == nil {
		h.t.Fatalf("discord open %s: answered %q", title, r.Body)
	}
	pl := &poll{ID: m[1], Platform: loadgen.PlatformDiscord, Tenant: discordTenant, Kind: kind, Themes: ts}
	pl.Message = h.waitPollMessage(pl).ID
	return pl
}

func (h *harness) waitPollMessage(pl *poll) loadgen.Message {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	m, err := h.sink.WaitMessage(ctx, pl.Platform, func(m loadgen.Message) bool { return slices.Contains(m.Polls(), pl.ID) })
	if err != nil {
		h.t.Fatalf("poll %s was not posted: %v", pl.ID, err)
	}
	return m
}

// slackUsers returns n user ids with prefix.
func slackUsers(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("U%s%03d", prefix, i)
	}
	return out
}

// discordMembers returns n member ids (snowflakes).
func discordMembers(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strconv.FormatInt(500000000000000000+int64(i), 10)
	}
	return out
}

// declareGroups has every Slack user declare a group (spread over the
// groups), through the given processes in turn.
func (h *harness) declareGroups(procs []*serveProc, users []string) {
	h.t.Helper()
	h.parallel(len(users), 8, func(i int) error {
		text, err := h.tryCommand(procs[i%len(procs)], users[i], "group "+groupIDs[i%3])
		if err != nil {
			return err
		}
		if !strings.Contains(text, "Your stakeholder group is now") {
			return fmt.Errorf("group of %s: %q", users[i], text)
		}
		return nil
	})
}

// declareDiscordGroups does the same for Discord members.
func (h *harness) declareDiscordGroups(procs []*serveProc, members []string) {
	h.t.Helper()
	h.parallel(len(members), 4, func(i int) error {
		r, err := h.discordClient(procs[i%len(procs)]).Command(h.ctx, loadgen.Member{ID: members[i]}, "group", loadgen.StringOpt("group", groupIDs[i%3]))
		if err == nil {
			err = r.Err(4)
		}
		if err != nil {
			return fmt.Errorf("discord group of %s: %w", members[i], err)
		}
		if !strings.Contains(r.Content, "Your stakeholder group is now") {
			return fmt.Errorf("discord group of %s: %q", members[i], r.Content)
		}
		return nil
	})
}

// parallel runs f(0..n-1) on up to width goroutines and fails the test
// with the first error.
func (h *harness) parallel(n, width int, f func(i int) error) {
	h.t.Helper()
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for range width {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || h.ctx.Err() != nil {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		h.t.Fatal(first)
	}
	if err := h.ctx.Err(); err != nil {
		h.t.Fatalf("scenario deadline: %v", err)
	}
}

// outcome is what a click's answer says.
type outcome int

const (
	noAnswer   outcome = iota // nothing came back
	counted                   // the vote counted: the answer shows the ballot
	refused                   // the poll is closed or past its deadline
	tryAgain                  // pollbot could not reach its store: try again
	unexpected                // anything else
)

func (o outcome) String() string {
	return [...]string{"no answer", "counted", "refused", "try again", "unexpected"}[o]
}

// classify reads a private answer to a vote.
func classify(text string) outcome {
	switch {
	case strings.HasPrefix(text, "Your ballot in poll "), strings.HasPrefix(text, "You no longer have a ballot in poll "):
		return counted
	case strings.Contains(text, "try again") || strings.Contains(text, "Try again"):
		return tryAgain
	case strings.Contains(text, " is closed"), strings.Contains(text, " closed at "), strings.Contains(text, "past its deadline"):
		return refused
	}
	return unexpected
}

// ballotLabels returns the themes a "Your ballot in poll …" answer lists.
func ballotLabels(text string) []string {
	if strings.HasPrefix(text, "You no longer have a ballot") {
		return []string{}
	}
	_, rest, ok := strings.Cut(text, ": ")
	if !ok {
		return nil
	}
	list, _, ok := strings.Cut(rest, ". Counted for ")
	if !ok {
		return nil
	}
	return strings.Split(list, "; ")
}

// vote is one click by a voter and what came of it.
type vote struct {
	Platform loadgen.Platform
	User     string
	Poll     *poll
	Theme    int // 0-based
	Seq      int // order among the user's clicks in this poll's load
	Outcome  outcome
	Text     string   // the private answer (Slack) or the interaction response's content (Discord)
	Ballot   []string // themes a counted Slack answer lists
	Sent     time.Time
	AckAfter time.Duration // until the HTTP response
	Answered time.Duration // until the private answer (Slack) or the response (Discord)
	Attempts int           // deliveries sent
	Failures []string      // deliveries that failed in transport or status
}

func (v *vote) Label() string { return v.Poll.Themes[v.Theme] }

// slackClick is one click as Slack delivers it: its payload (the same on
// every redelivery) and the key of its response_url.
type slackClick struct {
	user, action string
	payload      []byte
	key          string
}

func (h *harness) newSlackClick(user string, pl *poll, theme int) slackClick {
	action := fmt.Sprintf("pollbot:vote:%s:%d", pl.ID, theme+1)
	js := h.gen.AppendClickPayload(nil, user, action)
	var p struct {
		ResponseURL string `json:"response_url"`
	}
	if err := json.Unmarshal(js, &p); err != nil {
		h.t.Errorf("click payload: %v", err) // not Fatal: load goroutines click
	}
	return slackClick{user: user, action: action, payload: js, key: h.answers.keyOf(p.ResponseURL)}
}

// deliver posts the click to /slack/interactions of p, signed; retry > 0
// marks it as Slack's retry number retry.
func (h *harness) deliver(ctx context.Context, p *serveProc, c slackClick, retry int) (int, error) {
	body := []byte("payload=" + url.QueryEscape(string(c.payload)))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+"/slack/interactions", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	loadgen.SignSlack(req.Header, signingSecret, body, time.Now())
	if retry > 0 {
		req.Header.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		req.Header.Set("X-Slack-Retry-Reason", "http_error")
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, _ = buf.ReadFrom(resp.Body)
	return resp.StatusCode, nil
}

// clickPolicy says how a Slack click is sent and waited for.
type clickPolicy struct {
	// redeliver, when set, re-sends a delivery that failed (transport error
	// or a status other than 200) as Slack's retry, until it is taken or
	// redeliverFor has passed.
	redeliver    bool
	redeliverFor time.Duration
	// answerWait bounds the wait for the private answer (default 10 s; 2 s
	// after a failed delivery, whose redelivery may be dropped as a
	// duplicate).
	answerWait time.Duration
}

// clickSlack clicks theme of pl as user through p, and waits for the
// answer.
func (h *harness) clickSlack(ctx context.Context, p func() *serveProc, user string, pl *poll, theme int, pol clickPolicy) *vote {
	c := h.newSlackClick(user, pl, theme)
	v := &vote{Platform: loadgen.PlatformSlack, User: user, Poll: pl, Theme: theme, Sent: time.Now()}
	deadline := v.Sent.Add(pol.redeliverFor)
	for {
		status, err := h.deliver(ctx, p(), c, v.Attempts)
		v.Attempts++
		if err == nil && status == http.StatusOK {
			v.AckAfter = time.Since(v.Sent)
			break
		}
		if err != nil {
			v.Failures = append(v.Failures, loadgen.ErrorKind(err))
		} else {
			v.Failures = append(v.Failures, "HTTP "+strconv.Itoa(status))
		}
		if !pol.redeliver || time.Now().After(deadline) || ctx.Err() != nil {
			return v
		}
		select {
		case <-ctx.Done():
			return v
		case <-time.After(100 * time.Millisecond):
		}
	}
	wait := pol.answerWait
	if wait == 0 {
		wait = 10 * time.Second
	}
	if len(v.Failures) > 0 {
		wait = min(wait, 2*time.Second)
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	a, err := h.answers.wait(wctx, c.key)
	if err != nil {
		return v
	}
	v.Answered = a.At.Sub(v.Sent)
	v.Text = a.Text
	v.Outcome = classify(a.Text)
	if v.Outcome == counted {
		v.Ballot = ballotLabels(a.Text)
	}
	return v
}

// clickDiscord clicks theme of pl (a Discord poll) as member through p.
// The interaction's own response says whether the vote counted: type 7
// (the poll message, updated) when it did, a private message otherwise.
func (h *harness) clickDiscord(ctx context.Context, p *serveProc, member string, pl *poll, theme int) *vote {
	v := &vote{Platform: loadgen.PlatformDiscord, User: member, Poll: pl, Theme: theme, Sent: time.Now(), Attempts: 1}
	r, err := h.discordClient(p).Click(ctx, loadgen.Member{ID: member}, pl.Message, fmt.Sprintf("pollbot:vote:%s:%d", pl.ID, theme+1))
	v.AckAfter = time.Since(v.Sent)
	v.Answered = v.AckAfter
	switch {
	case err != nil:
		v.Failures = append(v.Failures, loadgen.ErrorKind(err))
	case r.Status != http.StatusOK:
		v.Failures = append(v.Failures, "HTTP "+strconv.Itoa(r.Status))
	case r.Type == 7:
		v.Outcome = counted
	case r.Type == 4:
		v.Text = r.Content
		v.Outcome = classify(r.Content)
		if r.Flags&64 == 0 {
			v.Outcome = unexpected
			v.Text = "(not ephemeral) " + v.Text
		}
	default:
		v.Outcome = unexpected
		v.Text = fmt.Sprintf("response type %d: %s", r.Type, r.Body)
	}
	return v
}

// step is one planned click.
type step struct {
	poll  *poll
	theme int
}

// plan is the clicks one voter makes, in order.
type plan struct {
	user  string
	steps []step
}

// approvalSteps returns a click on every theme of pl, in random order:
// each (user, theme) once, so that every click adds its theme.
func approvalSteps(r *rand.Rand, pl *poll) []step {
	out := make([]step, len(pl.Themes))
	for i, th := range r.Perm(len(pl.Themes)) {
		out[i] = step{pl, th}
	}
	return out
}

// singleSteps returns n clicks on random themes of a single-choice poll.
func singleSteps(r *rand.Rand, pl *poll, n int) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = step{pl, r.IntN(len(pl.Themes))}
	}
	return out
}

// interleave merges step lists in random order, keeping each list's order.
func interleave(r *rand.Rand, lists ...[]step) []step {
	var out []step
	idx := make([]int, len(lists))
	for {
		var open []int
		for i, l := range lists {
			if idx[i] < len(l) {
				open = append(open, i)
			}
		}
		if len(open) == 0 {
			return out
		}
		i := open[r.IntN(len(open))]
		out = append(out, lists[i][idx[i]])
		idx[i]++
	}
}

// load runs plans: workers goroutines each own some voters and click for
// them one click at a time, in turn, each click waiting for its answer
// (so a voter's answers are in the order of their clicks). target picks
// the process of the n-th click of a worker. done counts finished clicks.
type load struct {
	h       *harness
	plans   []plan
	workers int
	target  func(worker, n int) *serveProc
	policy  clickPolicy
	pause   time.Duration // between a worker's clicks
	done    atomic.Int64
	stop    atomic.Bool

	mu    sync.Mutex
	votes []*vote
}

func (l *load) run(ctx context.Context) {
	var wg sync.WaitGroup
	for w := range l.workers {
		wg.Go(func() {
			var mine []*plan
			for i := w; i < len(l.plans); i += l.workers {
				mine = append(mine, &l.plans[i])
			}
			seq := map[string]int{}
			n := 0
			for progress := true; progress && !l.stop.Load() && ctx.Err() == nil; {
				progress = false
				for _, p := range mine {
					if len(p.steps) == 0 || l.stop.Load() || ctx.Err() != nil {
						continue
					}
					s := p.steps[0]
					p.steps = p.steps[1:]
					progress = true
					k := n
					v := l.h.clickSlack(ctx, func() *serveProc { return l.target(w, k) }, p.user, s.poll, s.theme, l.policy)
					n++
					v.Seq = seq[p.user+"/"+s.poll.ID]
					seq[p.user+"/"+s.poll.ID]++
					l.mu.Lock()
					l.votes = append(l.votes, v)
					l.mu.Unlock()
					l.done.Add(1)
					if l.pause > 0 {
						select {
						case <-ctx.Done():
						case <-time.After(l.pause):
						}
					}
				}
			}
		})
	}
	wg.Wait()
}

// total is the number of clicks planned.
func totalSteps(plans []plan) int64 {
	var n int64
	for _, p := range plans {
		n += int64(len(p.steps))
	}
	return n
}

// stored is a poll as the store has it after a scenario, read with the
// pollbot binary (`pollbot export -ballots` and `pollbot report`).
type stored struct {
	Status  string
	Ballots map[string]storedBallot // voter -> ballot
	// Tally is the report's supporters of each theme by group, and
	// GroupBallots its ballots by group: both come from the tally hash.
	Tally        map[string]map[string]float64
	GroupBallots map[string]int64
	Total        int64
}

type storedBallot struct {
	Group   string
	Choices []string
}

// pollbotRun runs the pollbot binary with args against redisURL.
func (h *harness) pollbotRun(redisURL string, args ...string) []byte {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, pollbotBin, args...)
	cmd.Env = append(envBase(), "POLLBOT_REDIS_URL="+redisURL, "POLLBOT_LOG_FORMAT=json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("pollbot %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// readPoll reads a poll's ballots and report from the store.
func (h *harness) readPoll(redisURL string, pl *poll) stored {
	h.t.Helper()
	var ballots []struct {
		Voter   string   `json:"voter"`
		Group   string   `json:"group"`
		Choices []string `json:"choices"`
	}
	out := h.pollbotRun(redisURL, "export", pl.ID, "-format", "json", "-ballots", "-tenant", pl.Tenant)
	if err := json.Unmarshal(out, &ballots); err != nil {
		h.t.Fatalf("pollbot export -ballots %s: %v\n%s", pl.ID, err, out)
	}
	var rep struct {
		Poll struct {
			Status string `json:"status"`
		} `json:"poll"`
		Ballots int64 `json:"ballots"`
		Groups  []struct {
			Group   string `json:"group"`
			Ballots int64  `json:"ballots"`
		} `json:"groups"`
		Themes []struct {
			Theme  string `json:"theme"`
			Groups []struct {
				Group      string  `json:"group"`
				Supporters float64 `json:"supporters"`
			} `json:"groups"`
		} `json:"themes"`
	}
	out = h.pollbotRun(redisURL, "report", pl.ID, "-format", "json", "-tenant", pl.Tenant)
	if err := json.Unmarshal(out, &rep); err != nil {
		h.t.Fatalf("pollbot report %s: %v\n%s", pl.ID, err, out)
	}
	s := stored{Status: rep.Poll.Status, Ballots: map[string]storedBallot{}, Tally: map[string]map[string]float64{}, GroupBallots: map[string]int64{}, Total: rep.Ballots}
	for _, b := range ballots {
		if _, dup := s.Ballots[b.Voter]; dup {
			h.t.Errorf("poll %s: two ballots of voter %s", pl.ID, b.Voter)
		}
		s.Ballots[b.Voter] = storedBallot{Group: b.Group, Choices: b.Choices}
	}
	for _, g := range rep.Groups {
		if g.Ballots != 0 {
			s.GroupBallots[g.Group] = g.Ballots
		}
	}
	for _, th := range rep.Themes {
		for _, g := range th.Groups {
			if g.Supporters != 0 {
				if s.Tally[th.Theme] == nil {
					s.Tally[th.Theme] = map[string]float64{}
				}
				s.Tally[th.Theme][g.Group] = g.Supporters
			}
		}
	}
	return s
}

// checkTally checks that the poll's tally (what reports and poll messages
// show) agrees with its ballots: supporters of each theme per group and
// ballots per group.
func checkTally(t *testing.T, pl *poll, s stored) {
	t.Helper()
	want := map[string]map[string]float64{}
	wantN := map[string]int64{}
	for _, b := range s.Ballots {
		wantN[b.Group]++
		for _, c := range b.Choices {
			if want[c] == nil {
				want[c] = map[string]float64{}
			}
			want[c][b.Group]++
		}
	}
	if fmt.Sprint(want) != fmt.Sprint(s.Tally) {
		t.Errorf("poll %s: the tally disagrees with the ballots:\n tally   %v\n ballots %v", pl.ID, s.Tally, want)
	}
	if fmt.Sprint(wantN) != fmt.Sprint(s.GroupBallots) || s.Total != int64(len(s.Ballots)) {
		t.Errorf("poll %s: ballots per group in the tally %v (total %d), in the ballots %v (total %d)", pl.ID, s.GroupBallots, s.Total, wantN, len(s.Ballots))
	}
}

// checkVotes checks one poll's stored ballots against the clicks and their
// answers. With exact, every click that was not counted must have changed
// nothing (no fault could have applied it silently), so each ballot is
// exactly what its voter was told. Votes must be in each user's click
// order.
//
// Approval polls (each theme clicked at most once per voter, so every
// click adds its theme): a counted answer lists the clicked theme (a click
// applied twice would have removed it again); the stored ballot holds every
// theme whose click counted and only themes that were clicked.
//
// Single-choice polls: a counted answer lists just the clicked theme; the
// stored ballot is the last counted click's theme, or a later click's that
// got no clear answer.
func checkVotes(t *testing.T, pl *poll, votes []*vote, s stored, exact bool) (problems int) {
	t.Helper()
	report := func(format string, args ...any) {
		problems++
		if problems <= 25 {
			t.Errorf("poll %s: "+format, append([]any{pl.ID}, args...)...)
		}
	}
	byUser := map[string][]*vote{}
	for _, v := range votes {
		if v.Poll == pl {
			byUser[v.User] = append(byUser[v.User], v)
		}
	}
	for user, vs := range byUser {
		sort.Slice(vs, func(i, j int) bool { return vs[i].Seq < vs[j].Seq })
		b, has := s.Ballots[user]
		if pl.Kind == "approval" {
			acked, tried := map[string]bool{}, map[string]bool{}
			for _, v := range vs {
				if v.Outcome != refused {
					tried[v.Label()] = true
				}
				if v.Outcome != counted {
					continue
				}
				acked[v.Label()] = true
				if v.Ballot != nil && !slices.Contains(v.Ballot, v.Label()) {
					report("%s clicked %s once and was told %q: the click was applied twice (or not at all)", user, v.Label(), v.Text)
				}
			}
			got := map[string]bool{}
			for _, c := range b.Choices {
				got[c] = true
			}
			for th := range acked {
				if !got[th] {
					report("%s was told their vote for %s counted, but the stored ballot is %v", user, th, b.Choices)
				}
			}
			for th := range got {
				if !tried[th] {
					report("%s's stored ballot %v holds %s, which they never clicked", user, b.Choices, th)
				}
				if exact && !acked[th] {
					report("%s's stored ballot %v holds %s, whose click was not counted", user, b.Choices, th)
				}
			}
			continue
		}
		last := -1
		for i, v := range vs {
			if v.Outcome == counted {
				last = i
				if v.Ballot != nil && (len(v.Ballot) != 1 || v.Ballot[0] != v.Label()) {
					report("%s chose %s and was told %q", user, v.Label(), v.Text)
				}
			}
		}
		allowed := map[string]bool{}
		if last >= 0 {
			allowed[vs[last].Label()] = true
		}
		if !exact {
			for _, v := range vs[last+1:] {
				if v.Outcome != refused {
					allowed[v.Label()] = true
				}
			}
		}
		switch {
		case !has && last >= 0:
			report("%s was told their vote for %s counted, but they have no stored ballot", user, vs[last].Label())
		case has && (len(b.Choices) != 1 || !allowed[b.Choices[0]]):
			report("%s's stored ballot is %v; allowed: %v (clicks: %s)", user, b.Choices, keys(allowed), describe(vs))
		}
	}
	for voter := range s.Ballots {
		if _, ok := byUser[voter]; !ok {
			report("a ballot of %s, who never clicked", voter)
		}
	}
	return problems
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func describe(vs []*vote) string {
	var parts []string
	for _, v := range vs {
		parts = append(parts, fmt.Sprintf("%s:%s", v.Label(), v.Outcome))
	}
	return strings.Join(parts, " ")
}

// outcomes counts votes by outcome, and says how many deliveries failed.
func outcomes(votes []*vote) string {
	n := map[outcome]int{}
	failed := 0
	var slowest time.Duration
	for _, v := range votes {
		n[v.Outcome]++
		if len(v.Failures) > 0 {
			failed++
		}
		slowest = max(slowest, v.Answered)
	}
	var parts []string
	for o := noAnswer; o <= unexpected; o++ {
		if n[o] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", o, n[o]))
		}
	}
	return fmt.Sprintf("%d clicks: %s; %d with a failed delivery; slowest answer %v", len(votes), strings.Join(parts, ", "), failed, slowest.Round(time.Millisecond))
}

// announcements counts the messages announcing that poll pl reached its
// deadline (the scheduler's post in the poll's channel).
func (h *harness) announcements(pl *poll) int {
	phrase := "Poll " + pl.ID + " reached its deadline and is closed"
	n := 0
	for _, m := range h.sink.Messages(pl.Platform) {
		if strings.Contains(m.Text, phrase) {
			n++
		}
	}
	return n
}

// waitMessageRecorded waits until the store holds the reference to the
// poll's message (pollbot records it right after posting), reading the
// poll's hash on the single Redis at addr (the key layout of
// docs/ARCHITECTURE.md, section 2).
func (h *harness) waitMessageRecorded(addr string, pl *poll) {
	h.t.Helper()
	key := "pollbot:{" + pl.Tenant + "/" + pl.ID + "}:poll"
	if !h.waitUntil(5*time.Second, func() bool {
		v, err := redistest.Do(addr, "HGET", key, "messages")
		return err == nil && strings.Contains(v, pl.Message)
	}) {
		h.t.Fatalf("the message of poll %s was not recorded in the store within 5 s", pl.ID)
	}
}

// checkShownClosed checks that the poll's message was re-rendered closed
// (no vote buttons, "Closed …"), waiting up to d for the coalesced edit.
func (h *harness) checkShownClosed(pl *poll, d time.Duration) {
	h.t.Helper()
	var last loadgen.Message
	shown := func() bool {
		for _, m := range h.sink.Messages(pl.Platform) {
			if m.ID == pl.Message {
				last = m
				return strings.Contains(m.Text, "Closed ") && !slices.ContainsFunc(m.ActionIDs, func(id string) bool { return strings.HasPrefix(id, "pollbot:vote:") })
			}
		}
		return false
	}
	if !h.waitUntil(d, shown) {
		h.t.Errorf("the message of poll %s still shows it open (%d edits, last at %v); want it re-rendered closed", pl.ID, last.Edits, last.Edited.Format("15:04:05.000"))
	}
}

// waitUntil polls cond every 20 ms until it holds or d has passed.
func (h *harness) waitUntil(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(h.ctx, d)
	defer cancel()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitReady waits until p's /readyz answers want, and fails the test if it
// does not within d.
func (h *harness) waitReady(p *serveProc, want int, d time.Duration) {
	h.t.Helper()
	var last string
	ok := h.waitUntil(d, func() bool {
		code, took, err := p.get(h.ctx, "/readyz")
		last = fmt.Sprintf("%d after %v (err %v)", code, took.Round(time.Millisecond), err)
		return err == nil && code == want
	})
	if !ok {
		h.t.Fatalf("%s /readyz did not answer %d within %v; last: %s", p.name, want, d, last)
	}
}

// closesAt returns the deadlines of a tenant's polls, as the store has
// them (`pollbot list -format json`).
func (h *harness) closesAt(redisURL, tenant string) map[string]time.Time {
	h.t.Helper()
	var list []struct {
		ID       string     `json:"id"`
		ClosesAt *time.Time `json:"closes_at"`
	}
	out := h.pollbotRun(redisURL, "list", "-format", "json", "-status", "all", "-tenant", tenant)
	if err := json.Unmarshal(out, &list); err != nil {
		h.t.Fatalf("pollbot list: %v\n%s", err, out)
	}
	m := map[string]time.Time{}
	for _, p := range list {
		if p.ClosesAt != nil {
			m[p.ID] = *p.ClosesAt
		}
	}
	return m
}
