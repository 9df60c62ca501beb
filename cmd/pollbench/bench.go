package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pollbot/pollbot/cmd/pollbench/reference"
	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/redis/go-redis/v9"
)

// groups are pollbot's six default stakeholder groups; voter u declares
// groups[u%6].
var groups = []string{"government", "private-sector", "civil-society", "technical-community", "academia", "intergovernmental"}

// errInterrupted ends a benchmark whose context was cancelled (Ctrl-C).
var errInterrupted = errors.New("interrupted")

func slackUser(u int) string { return fmt.Sprintf("UB%06d", u) }

func discordUser(u int) string { return fmt.Sprintf("7%017d", u+1) }

// The three servers every click is sent to, in the order a report lists
// them.
const (
	nameVerify    = "verify-only"
	nameReference = "reference"
	namePollbot   = "pollbot"
)

// drainLimit is how long a round waits for its last confirmations before
// it gives up on them: far beyond any -max-drain worth setting.
const drainLimit = 30 * time.Second

// bench runs the whole benchmark: the environment (started or found), the
// verify-only and reference servers, each platform's setup, interleaved
// rounds, memory pass and checks, and the Redis ceiling.
func bench(ctx context.Context, cfg *config, log io.Writer) (*report, error) {
	rep := &report{
		Clients: cfg.Clients, Count: cfg.Count, Duration: cfg.Duration.String(), Rounds: cfg.Rounds, Rate: cfg.Rate,
		Users: cfg.Users, Themes: cfg.Themes, Started: cfg.Start, MaxDrainMs: ms(cfg.MaxDrain),
	}
	var (
		e        *env
		sink     *loadgen.Sink
		target   = cfg.Target
		redisURL = cfg.RedisURL
		err      error
	)
	if cfg.Start {
		if e, err = startEnv(ctx, cfg, log); err != nil {
			return nil, err
		}
		defer e.Close()
		sink, target, redisURL = e.sink, e.target, e.redisURL
		fmt.Fprintf(log, "pollbench: pollbot serve at %s, Redis at %s, sink at %s\n", target, redisURL, sink.URL())
	} else {
		if err := loadgen.CheckLoopback(ctx, target); err != nil {
			return nil, fmt.Errorf("-target: %w", err)
		}
		if redisURL != "" {
			if err := checkRedisURL(ctx, redisURL); err != nil {
				return nil, err
			}
		}
		if sink, err = loadgen.StartSink(ctx, loadgen.SinkConfig{Addr: cfg.SinkAddr}); err != nil {
			return nil, err
		}
		defer sink.Close()
		fmt.Fprintf(log, "pollbench: the sink (fake Slack and Discord APIs) listens at %s.\nStart pollbot serve now, listening at %s, with this environment:\n\n", sink.URL(), target)
		for _, kv := range pollbotEnv(cfg, sink) {
			fmt.Fprintf(log, "  %s\n", kv)
		}
		fmt.Fprintf(log, "  POLLBOT_REDIS_URL=redis://127.0.0.1:PORT/0?pool_size=64   (any loopback Redis; pass it to pollbench as -redis too)\n\npollbench: waiting up to %v for %s/readyz…\n", cfg.Wait, target)
		if err := waitReady(ctx, target, cfg.Wait, nil); err != nil {
			return nil, err
		}
	}
	rep.Target, rep.Redis = target, redactRedis(redisURL)
	sink.SetQuiet(true)

	meter := newCPUMeter()
	if e != nil {
		meter.add(namePollbot, e.pollbot.pid())
		meter.add("redis", e.redis.pid())
	}
	args := []string{"-secret", cfg.Secret, "-discord-public-key", loadgen.PublicKeyHex(cfg.key)}
	verify, err := startChild(ctx, childVerify, args, log)
	if err != nil {
		return nil, err
	}
	defer verify.stop(5 * time.Second)
	meter.add(nameVerify, verify.pid())
	var ref *child
	var rdb *redis.Client
	if redisURL != "" {
		opt, err := redis.ParseURL(redisURL)
		if err != nil {
			return nil, err
		}
		rdb = redis.NewClient(opt)
		defer rdb.Close()
		ref, err = startChild(ctx, childReference, append(args, "-redis", redisURL,
			"-response-url-prefix", sink.SlackResponseURL(), "-discord-api", sink.DiscordAPIURL()), log)
		if err != nil {
			return nil, err
		}
		defer ref.stop(10 * time.Second)
		meter.add(nameReference, ref.pid())
	} else {
		rep.Notes = append(rep.Notes, "no -redis: the reference server, the tally checks and the memory pass need the Redis pollbot uses, and were left out")
	}

	w := &world{cfg: cfg, log: log, sink: sink, pollbot: target, verify: verify.url, rdb: rdb, meter: meter}
	if ref != nil {
		w.reference = ref.url
	}
	for _, p := range cfg.Platforms {
		pr, err := w.platform(ctx, p)
		if pr != nil {
			rep.Platforms = append(rep.Platforms, pr)
		}
		if err != nil {
			return rep, fmt.Errorf("%s: %w", p, err)
		}
	}
	if redisURL != "" && len(rep.Platforms) > 0 && cfg.RedisN > 0 {
		p := rep.Platforms[0]
		rep.Ceiling = redisCeiling(ctx, cfg, redisURL, p.Tenant, p.Poll, log)
	}
	return rep, nil
}

// world is what every platform's benchmark shares.
type world struct {
	cfg                        *config
	log                        io.Writer
	sink                       *loadgen.Sink
	pollbot, verify, reference string // base URLs; reference "" when left out
	rdb                        *redis.Client
	meter                      *cpuMeter
}

// clickFn sends voter u's click on the control action of the message msg
// (Discord), due at due.
type clickFn func(ctx context.Context, due time.Time, u int, msg, action string) error

// platform is one platform's side of the benchmark.
type platform struct {
	p      loadgen.Platform
	tenant string
	// setGroup has voter u declare groups[u%6] to pollbot; open has the
	// facilitator open an approval poll of the configured themes titled
	// title.
	setGroup func(ctx context.Context, u int) error
	open     func(ctx context.Context, title string) error
	// clicker returns a client of the server at base URL url; want is the
	// Discord response type a successful click is answered with.
	clicker func(ctx context.Context, url string, want int) (clickFn, error)
}

func (w *world) newPlatform(ctx context.Context, p loadgen.Platform) (*platform, error) {
	cfg := w.cfg
	switch p {
	case loadgen.PlatformSlack:
		sc := loadgen.SlackConfig{BaseURL: w.pollbot, SigningSecret: cfg.Secret, ResponseURL: w.sink.SlackResponseURL()}
		real, err := loadgen.NewSlack(ctx, sc)
		if err != nil {
			return nil, err
		}
		return &platform{
			p: p, tenant: "slack:" + loadgen.DefaultSlackTeam,
			setGroup: func(ctx context.Context, u int) error {
				r, err := real.Command(ctx, slackUser(u), "group "+groups[u%len(groups)])
				if err != nil {
					return err
				}
				return r.Err()
			},
			open: func(ctx context.Context, title string) error {
				text := fmt.Sprintf("%q", title)
				for t := range cfg.Themes {
					text += fmt.Sprintf(` "Theme %d"`, t+1)
				}
				r, err := real.Command(ctx, slackFacilitator, "open "+text+" --quorum 1")
				if err != nil {
					return err
				}
				return r.Err()
			},
			clicker: func(ctx context.Context, url string, _ int) (clickFn, error) {
				sc.BaseURL = url
				c, err := loadgen.NewSlack(ctx, sc)
				if err != nil {
					return nil, err
				}
				return func(ctx context.Context, due time.Time, u int, _, action string) error {
					r, err := c.ClickAt(ctx, due, slackUser(u), action)
					if err != nil {
						return err
					}
					return r.Err()
				}, nil
			},
		}, nil
	case loadgen.PlatformDiscord:
		dc := loadgen.DiscordConfig{BaseURL: w.pollbot, PrivateKey: cfg.key}
		real, err := loadgen.NewDiscord(ctx, dc)
		if err != nil {
			return nil, err
		}
		return &platform{
			p: p, tenant: "discord:" + loadgen.DefaultDiscordGuild,
			setGroup: func(ctx context.Context, u int) error {
				r, err := real.Command(ctx, loadgen.Member{ID: discordUser(u)}, "group", loadgen.StringOpt("group", groups[u%len(groups)]))
				if err != nil {
					return err
				}
				return r.Err(4)
			},
			open: func(ctx context.Context, title string) error {
				var themes []string
				for t := range cfg.Themes {
					themes = append(themes, fmt.Sprintf("Theme %d", t+1))
				}
				r, err := real.Command(ctx, loadgen.Member{ID: discordFacilitator}, "open",
					loadgen.StringOpt("title", title), loadgen.StringOpt("themes", strings.Join(themes, "; ")), loadgen.IntOpt("quorum", 1))
				if err != nil {
					return err
				}
				return r.Err(0)
			},
			clicker: func(ctx context.Context, url string, want int) (clickFn, error) {
				dc.BaseURL = url
				c, err := loadgen.NewDiscord(ctx, dc)
				if err != nil {
					return nil, err
				}
				// A counted vote is answered with the updated poll message
				// (type 7), the verify-only baseline answers PONG (1);
				// anything else is a refusal.
				return func(ctx context.Context, due time.Time, u int, msg, action string) error {
					r, err := c.ClickAt(ctx, due, loadgen.Member{ID: discordUser(u)}, msg, action)
					if err != nil {
						return err
					}
					return r.Err(want)
				}, nil
			},
		}, nil
	}
	return nil, fmt.Errorf("unknown platform %q", p)
}

// pollInfo is a benchmark poll: its id, the message its clicks name
// (Discord), and the vote action of each theme.
type pollInfo struct {
	id      string
	message string
	actions []string
}

// openPollbotPoll has the facilitator open a poll in pollbot and learns
// its id and vote actions from the message pollbot posts, found by its
// title.
func (w *world) openPollbotPoll(ctx context.Context, pl *platform, what string) (*pollInfo, error) {
	title := fmt.Sprintf("pollbench %s %s %s", what, pl.p, time.Now().UTC().Format("15:04:05.000"))
	if err := pl.open(ctx, title); err != nil {
		return nil, fmt.Errorf("opening the poll: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	m, err := w.sink.WaitMessage(wctx, pl.p, func(m loadgen.Message) bool {
		return strings.Contains(m.Text, title) && len(m.Polls()) > 0
	})
	cancel()
	if err != nil {
		return nil, fmt.Errorf("the poll message never reached the sink: %w", err)
	}
	info := &pollInfo{id: m.Polls()[0], message: m.ID, actions: make([]string, w.cfg.Themes)}
	for _, a := range m.ActionIDs {
		if id, t, ok := loadgen.ParseVoteAction(a); ok && id == info.id && t < w.cfg.Themes {
			info.actions[t] = a
		}
	}
	for t, a := range info.actions {
		if a == "" {
			return nil, fmt.Errorf("poll %s's message has no vote button for theme %d: %v", info.id, t+1, m.ActionIDs)
		}
	}
	return info, nil
}

// openReferencePoll creates a poll of the configured themes in the
// reference server's Redis.
func (w *world) openReferencePoll(ctx context.Context, pl *platform, what string) (*pollInfo, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := fmt.Sprintf("R%X", b)
	themes := make([]string, w.cfg.Themes)
	for t := range themes {
		themes[t] = fmt.Sprintf("Theme %d", t+1)
	}
	title := fmt.Sprintf("pollbench %s %s", what, pl.p)
	if err := reference.CreatePoll(ctx, w.rdb, reference.Poll{Tenant: pl.tenant, ID: id, Title: title, Themes: themes}); err != nil {
		return nil, err
	}
	info := &pollInfo{id: id, message: "900000000000000000", actions: make([]string, len(themes))}
	for t := range themes {
		info.actions[t] = fmt.Sprintf("pollbot:vote:%s:%d", id, t+1)
	}
	return info, nil
}

// server is one of the three servers a platform's clicks go to, and what
// its rounds measured.
type server struct {
	name     string
	url      string
	confirms bool // pollbot and the reference confirm each vote; verify-only does not
	click    clickFn
	poll     *pollInfo
	// tallyKey holds its tally in Redis ("" for verify-only); totals says
	// the tally also keeps totals over groups (the reference).
	tallyKey string
	totals   bool
	// fresh opens a new poll for the memory pass, and names the hash of
	// its ballots.
	fresh func(ctx context.Context) (poll *pollInfo, ballotsKey string, err error)

	clicks []atomic.Int32 // successful clicks per voter and theme
	next   int64          // sequence number of its next click
	agg    aggregate
}

// pollbotKey is the key layout of storage/redis (package documentation).
func pollbotKey(tenant, poll, what string) string {
	return "pollbot:{" + tenant + "/" + poll + "}:" + what
}

// platform runs one platform: voters and polls, interleaved rounds, the
// memory pass and the checks.
func (w *world) platform(ctx context.Context, p loadgen.Platform) (*platformReport, error) {
	cfg := w.cfg
	pl, err := w.newPlatform(ctx, p)
	if err != nil {
		return nil, err
	}
	pr := &platformReport{Platform: string(p), Tenant: pl.tenant}

	// Voters declare their groups, so every click counts at once.
	fmt.Fprintf(w.log, "pollbench: %s: %d voters declare their groups…\n", p, cfg.Users)
	res, err := loadgen.Run(ctx, loadgen.RunConfig{Target: w.pollbot, Clients: min(cfg.Clients, cfg.Users), Count: int64(cfg.Users)},
		func(ctx context.Context, _ int, i int64, _ time.Time) error { return pl.setGroup(ctx, int(i)) })
	if err != nil {
		return pr, err
	}
	if res.OK != int64(cfg.Users) {
		return pr, fmt.Errorf("declaring groups: %d of %d failed: %v", res.Ops-res.OK, res.Ops, res.Errors)
	}
	pb, err := w.openPollbotPoll(ctx, pl, "load")
	if err != nil {
		return pr, err
	}
	pr.Poll = pb.id

	var servers []*server
	add := func(name, url string, want int, poll *pollInfo) (*server, error) {
		click, err := pl.clicker(ctx, url, want)
		if err != nil {
			return nil, err
		}
		s := &server{name: name, url: url, click: click, poll: poll, clicks: make([]atomic.Int32, cfg.Users*cfg.Themes)}
		servers = append(servers, s)
		return s, nil
	}
	if _, err := add(nameVerify, w.verify, 1, pb); err != nil {
		return pr, err
	}
	if w.reference != "" {
		users := make(map[string]string, cfg.Users)
		for u := range cfg.Users {
			user := slackUser(u)
			if p == loadgen.PlatformDiscord {
				user = discordUser(u)
			}
			users[user] = groups[u%len(groups)]
		}
		if err := reference.SetGroups(ctx, w.rdb, pl.tenant, users); err != nil {
			return pr, err
		}
		rp, err := w.openReferencePoll(ctx, pl, "load")
		if err != nil {
			return pr, err
		}
		pr.ReferencePoll = rp.id
		s, err := add(nameReference, w.reference, 7, rp)
		if err != nil {
			return pr, err
		}
		s.confirms, s.totals, s.tallyKey = true, true, reference.TallyKey(pl.tenant, rp.id)
		s.fresh = func(ctx context.Context) (*pollInfo, string, error) {
			poll, err := w.openReferencePoll(ctx, pl, "memory")
			if err != nil {
				return nil, "", err
			}
			return poll, reference.BallotsKey(pl.tenant, poll.id), nil
		}
	}
	s, err := add(namePollbot, w.pollbot, 7, pb)
	if err != nil {
		return pr, err
	}
	s.confirms = true
	if w.rdb != nil {
		s.tallyKey = pollbotKey(pl.tenant, pb.id, "tally")
		s.fresh = func(ctx context.Context) (*pollInfo, string, error) {
			poll, err := w.openPollbotPoll(ctx, pl, "memory")
			if err != nil {
				return nil, "", err
			}
			return poll, pollbotKey(pl.tenant, poll.id, "ballots"), nil
		}
	}
	fmt.Fprintf(w.log, "pollbench: %s: pollbot poll %s, reference poll %s, %d themes\n", p, pb.id, pr.ReferencePoll, cfg.Themes)

	// Interleaved rounds: each round gives every server its share of the
	// load in turn, the order rotating, so that whatever else the machine
	// does falls on all of them alike.
	for r := range cfg.Rounds {
		for k := range servers {
			s := servers[(r+k)%len(servers)]
			fmt.Fprintf(w.log, "pollbench: %s: round %d of %d: %s…\n", p, r+1, cfg.Rounds, s.name)
			rr, err := w.round(ctx, pl, s, cfg.roundConfig(r, s.url))
			if rr != nil {
				s.agg.add(rr)
			}
			if err == nil && ctx.Err() != nil {
				err = errInterrupted
			}
			if err != nil {
				for _, s := range servers {
					pr.Servers = append(pr.Servers, s.report(cfg))
				}
				return pr, err
			}
		}
	}

	// The sink cannot tell who called it: what only pollbot calls (its
	// coalesced edits of poll messages) is pollbot's, even when it
	// landed in another server's round.
	if pb := servers[len(servers)-1]; pb.name == namePollbot {
		for _, s := range servers[:len(servers)-1] {
			for k, n := range s.agg.calls {
				if !confirmationCall(k) {
					pb.agg.calls[k] += n
					delete(s.agg.calls, k)
				}
			}
		}
	}

	// Memory: every voter clicks once in a fresh poll of each server that
	// stores votes.
	for _, s := range servers {
		if s.fresh == nil {
			continue
		}
		fmt.Fprintf(w.log, "pollbench: %s: memory pass: %s…\n", p, s.name)
		if err := w.memoryPass(ctx, pl, s); err != nil {
			s.agg.problems = append(s.agg.problems, "memory pass: "+err.Error())
		}
	}

	// Acknowledged is stored: each tally must be exact at once.
	for _, s := range servers {
		if s.tallyKey == "" {
			continue
		}
		if err := checkTally(ctx, w.rdb, s.tallyKey, cfg, s.clicks, s.totals); err != nil {
			s.agg.problems = append(s.agg.problems, "tally: "+err.Error())
		} else {
			s.agg.tallyChecked = true
		}
	}
	for _, s := range servers {
		pr.Servers = append(pr.Servers, s.report(cfg))
	}
	pr.ratios()
	return pr, nil
}

// confirmationCall is a sink endpoint that confirms a vote.
func confirmationCall(endpoint string) bool {
	return endpoint == "slack response_url" || endpoint == "discord follow-up"
}

// roundConfig is the load of round r against url: its share of -n or
// -duration, at -rate when set.
func (c *config) roundConfig(r int, url string) loadgen.RunConfig {
	rc := loadgen.RunConfig{Target: url, Clients: c.Clients, Rate: c.Rate}
	if c.Count > 0 {
		rc.Count = c.Count / int64(c.Rounds)
		if int64(r) < c.Count%int64(c.Rounds) {
			rc.Count++
		}
	}
	if c.Duration > 0 {
		rc.Duration = c.Duration / time.Duration(c.Rounds)
	}
	return rc
}

// roundResult is what one round of one server measured.
type roundResult struct {
	run       *loadgen.Result
	cpu       map[string]time.Duration // CPU time per process over the round and its drain
	lags      *loadgen.Histogram
	backlog   roundBacklog
	acked     int64
	confirmed int64
	refused   int64            // confirmations that confirmed no ballot
	refusal   string           // the text of the last
	calls     map[string]int64 // calls to the platform's API at the sink
}

// round runs one round of load against s and waits for its
// confirmations, counting the backlog as it goes.
func (w *world) round(ctx context.Context, pl *platform, s *server, rc loadgen.RunConfig) (*roundResult, error) {
	cfg := w.cfg
	procs := []string{s.name, "redis", "pollbench"}
	w.sink.TakeConfirmationLags(pl.p) // nothing of an earlier round is this one's
	conf0, calls0 := w.sink.ConfirmationTotal(pl.p), w.sink.Calls()
	refused0, _ := w.sink.Refusals(pl.p)
	cpu0 := w.meter.sample(procs...)
	var acked atomic.Int64
	base := s.next
	// Voter and theme of click i: consecutive clicks come from different
	// voters, and each voter cycles through the themes.
	op := func(ctx context.Context, _ int, i int64, due time.Time) error {
		k := base + i
		u, t := int(k%int64(cfg.Users)), int((k/int64(cfg.Users))%int64(cfg.Themes))
		err := s.click(ctx, due, u, s.poll.message, s.poll.actions[t])
		if err == nil {
			s.clicks[u*cfg.Themes+t].Add(1)
			acked.Add(1)
		}
		return err
	}
	var samples []backlogSample
	stop := make(chan struct{})
	done := make(chan struct{})
	start := time.Now()
	count := func() backlogSample {
		return backlogSample{At: time.Since(start), Acked: acked.Load(), Confirmed: w.sink.ConfirmationTotal(pl.p) - conf0}
	}
	go func() {
		defer close(done)
		t := time.NewTicker(backlogWindow)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				samples = append(samples, count())
			}
		}
	}()
	res, err := loadgen.Run(ctx, rc, op)
	close(stop)
	<-done
	if err != nil {
		return nil, err
	}
	s.next += res.Ops
	rr := &roundResult{run: res, acked: acked.Load()}
	samples = append(samples, count())
	drained, drain := true, time.Duration(0)
	if s.confirms {
		end := time.Now()
		wctx, cancel := context.WithTimeout(ctx, drainLimit)
		drained = w.sink.WaitConfirmations(wctx, pl.p, conf0+rr.acked) == nil
		cancel()
		drain = time.Since(end)
		rate := 0.0
		if res.Elapsed > 0 {
			rate = float64(rr.acked) / res.Elapsed.Seconds()
		}
		rr.backlog = judgeRound(samples, rate, drain, drained, cfg.MaxDrain)
	}
	rr.confirmed = w.sink.ConfirmationTotal(pl.p) - conf0
	if n, last := w.sink.Refusals(pl.p); n > refused0 {
		rr.refused, rr.refusal = n-refused0, last
	}
	rr.cpu = cpuDelta(cpu0, w.meter.sample(procs...))
	rr.lags = w.sink.TakeConfirmationLags(pl.p)
	rr.calls = map[string]int64{}
	for k, n := range w.sink.Calls() {
		if d := n - calls0[k]; d > 0 && strings.HasPrefix(k, string(pl.p)+" ") {
			rr.calls[k] = d
		}
	}
	if ctx.Err() != nil {
		return rr, nil
	}
	if !drained {
		return rr, fmt.Errorf("%s: only %d of %d acknowledged votes were confirmed within %v of the round's end: deliveries fell behind",
			s.name, rr.confirmed, rr.acked, drainLimit)
	}
	return rr, nil
}

// memoryPass measures the Redis memory a ballot costs s: every voter
// clicks the first theme of a fresh poll once, and the data Redis holds
// grows by so much per ballot stored.
func (w *world) memoryPass(ctx context.Context, pl *platform, s *server) error {
	cfg := w.cfg
	poll, ballots, err := s.fresh(ctx)
	if err != nil {
		return err
	}
	conf0 := w.sink.ConfirmationTotal(pl.p)
	before, err := settledMemory(ctx, w.rdb)
	if err != nil {
		return err
	}
	res, err := loadgen.Run(ctx, loadgen.RunConfig{Target: s.url, Clients: min(cfg.Clients, cfg.Users), Count: int64(cfg.Users)},
		func(ctx context.Context, _ int, i int64, due time.Time) error {
			return s.click(ctx, due, int(i), poll.message, poll.actions[0])
		})
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, drainLimit)
	werr := w.sink.WaitConfirmations(wctx, pl.p, conf0+res.OK)
	cancel()
	w.sink.TakeConfirmationLags(pl.p)
	if werr != nil {
		return werr
	}
	after, err := settledMemory(ctx, w.rdb)
	if err != nil {
		return err
	}
	n, err := w.rdb.HLen(ctx, ballots).Result()
	if err != nil {
		return err
	}
	if n == 0 || res.OK != int64(cfg.Users) {
		return fmt.Errorf("%d ballots stored from %d clicks (%d failed: %v)", n, res.Ops, res.Ops-res.OK, res.Errors)
	}
	s.agg.memBallots = n
	s.agg.memBytes = after - before
	return nil
}

// checkTally compares a tally in Redis with the one the acknowledged
// clicks imply. Toggles commute, so whatever order concurrent clicks were
// applied in, a voter supports a theme exactly when they clicked it an odd
// number of times; and every click changed the tally once, so its version
// "v" is the number of clicks. With totals the tally also holds the
// reference's sums over groups ("<theme>|*", "n|*"). Fields at "0" count
// as absent.
func checkTally(ctx context.Context, rdb *redis.Client, key string, cfg *config, clicks []atomic.Int32, totals bool) error {
	want := map[string]int64{}
	for i := range clicks {
		want["v"] += int64(clicks[i].Load())
	}
	for u := range cfg.Users {
		g := groups[u%len(groups)]
		voted := false
		for t := range cfg.Themes {
			if clicks[u*cfg.Themes+t].Load()%2 == 1 {
				want[fmt.Sprintf("%d|%s", t, g)]++
				if totals {
					want[fmt.Sprintf("%d|*", t)]++
				}
				voted = true
			}
		}
		if voted {
			want["n|"+g]++
			if totals {
				want["n|*"]++
			}
		}
	}
	got, err := rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return err
	}
	var diffs []string
	for f, n := range want {
		if got[f] != fmt.Sprint(n) {
			diffs = append(diffs, fmt.Sprintf("%s: Redis %q, clicks imply %d", f, got[f], n))
		}
	}
	for f, v := range got {
		if _, ok := want[f]; !ok && v != "0" {
			diffs = append(diffs, fmt.Sprintf("%s: Redis %q, clicks imply none", f, v))
		}
	}
	if len(diffs) > 0 {
		if len(diffs) > 5 {
			diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
		}
		return fmt.Errorf("%s differs from the acknowledged clicks: %s", key, strings.Join(diffs, "; "))
	}
	return nil
}

// cpuDelta is the CPU time each process used between two samples.
func cpuDelta(a, b map[string]time.Duration) map[string]time.Duration {
	out := map[string]time.Duration{}
	for name, t1 := range b {
		if t0, ok := a[name]; ok {
			out[name] = t1 - t0
		}
	}
	return out
}
