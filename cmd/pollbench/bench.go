package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

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

// bench runs the whole benchmark: the environment (started or found), each
// platform's setup, baseline and load, and the Redis ceiling.
func bench(ctx context.Context, cfg *config, log io.Writer) (*report, error) {
	rep := &report{
		Clients: cfg.Clients, Count: cfg.Count, Duration: cfg.Duration.String(),
		Users: cfg.Users, Themes: cfg.Themes, Started: cfg.Start,
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
	meter := newCPUMeter(e)
	for _, p := range cfg.Platforms {
		pr, err := benchPlatform(ctx, cfg, p, target, sink, redisURL, meter, log)
		if pr != nil {
			rep.Platforms = append(rep.Platforms, pr)
		}
		if err != nil {
			return rep, fmt.Errorf("%s: %w", p, err)
		}
	}
	if redisURL != "" && len(rep.Platforms) > 0 {
		p := rep.Platforms[0]
		rep.Ceiling = redisCeiling(ctx, cfg, redisURL, p.Tenant, p.Poll, log)
	}
	return rep, nil
}

// platformBench is what one platform needs: how to set a voter's group,
// open the poll as the facilitator, click, and where the baseline is.
type platformBench struct {
	platform loadgen.Platform
	tenant   string
	setGroup func(ctx context.Context, u int) error
	open     func(ctx context.Context, title string) error
	// click sends voter u's click on the vote action of theme t to the
	// pollbot or the baseline client.
	click    func(ctx context.Context, baseline bool, u, t int) error
	baseline *loadgen.Server
}

func newPlatformBench(ctx context.Context, cfg *config, p loadgen.Platform, target string, sink *loadgen.Sink, poll *pollInfo) (*platformBench, error) {
	switch p {
	case loadgen.PlatformSlack:
		base, err := loadgen.Serve("", loadgen.SlackBaseline(cfg.Secret))
		if err != nil {
			return nil, err
		}
		sc := loadgen.SlackConfig{SigningSecret: cfg.Secret, ResponseURL: sink.SlackResponseURL()}
		sc.BaseURL = target
		real, err := loadgen.NewSlack(ctx, sc)
		if err != nil {
			base.Close()
			return nil, err
		}
		sc.BaseURL = base.URL
		verify, err := loadgen.NewSlack(ctx, sc)
		if err != nil {
			base.Close()
			return nil, err
		}
		return &platformBench{
			platform: p, tenant: "slack:" + loadgen.DefaultSlackTeam, baseline: base,
			setGroup: func(ctx context.Context, u int) error {
				r, err := real.Command(ctx, slackUser(u), "group "+groups[u%len(groups)])
				if err != nil {
					return err
				}
				return r.Err()
			},
			open: func(ctx context.Context, title string) error {
				text := strconv.Quote(title)
				for t := range cfg.Themes {
					text += fmt.Sprintf(` "Theme %d"`, t+1)
				}
				r, err := real.Command(ctx, slackFacilitator, "open "+text+" --quorum 1")
				if err != nil {
					return err
				}
				return r.Err()
			},
			click: func(ctx context.Context, baseline bool, u, t int) error {
				c := real
				if baseline {
					c = verify
				}
				r, err := c.Click(ctx, slackUser(u), poll.actions[t])
				if err != nil {
					return err
				}
				return r.Err()
			},
		}, nil
	case loadgen.PlatformDiscord:
		base, err := loadgen.Serve("", loadgen.DiscordBaseline(cfg.key.Public().(ed25519.PublicKey)))
		if err != nil {
			return nil, err
		}
		dc := loadgen.DiscordConfig{PrivateKey: cfg.key}
		dc.BaseURL = target
		real, err := loadgen.NewDiscord(ctx, dc)
		if err != nil {
			base.Close()
			return nil, err
		}
		dc.BaseURL = base.URL
		verify, err := loadgen.NewDiscord(ctx, dc)
		if err != nil {
			base.Close()
			return nil, err
		}
		return &platformBench{
			platform: p, tenant: "discord:" + loadgen.DefaultDiscordGuild, baseline: base,
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
			click: func(ctx context.Context, baseline bool, u, t int) error {
				if baseline {
					r, err := verify.Click(ctx, loadgen.Member{ID: discordUser(u)}, poll.message, poll.actions[t])
					if err != nil {
						return err
					}
					return r.Err(1)
				}
				// A counted vote is answered with the updated poll
				// message (type 7); anything else is a refusal.
				r, err := real.Click(ctx, loadgen.Member{ID: discordUser(u)}, poll.message, poll.actions[t])
				if err != nil {
					return err
				}
				return r.Err(7)
			},
		}, nil
	}
	return nil, fmt.Errorf("unknown platform %q", p)
}

// pollInfo is the benchmark poll as learned from its posted message.
type pollInfo struct {
	id      string
	message string   // the poll message's id (Discord clicks name it)
	actions []string // vote action id of each theme
}

// benchPlatform sets up voters and a poll on one platform, then runs the
// baseline and the load and checks the outcome.
func benchPlatform(ctx context.Context, cfg *config, p loadgen.Platform, target string, sink *loadgen.Sink, redisURL string, meter *cpuMeter, log io.Writer) (*platformReport, error) {
	poll := &pollInfo{}
	pb, err := newPlatformBench(ctx, cfg, p, target, sink, poll)
	if err != nil {
		return nil, err
	}
	defer pb.baseline.Close()
	pr := &platformReport{Platform: string(p), Tenant: pb.tenant}

	// Voters declare their groups, so every click counts at once.
	fmt.Fprintf(log, "pollbench: %s: %d voters declare their groups…\n", p, cfg.Users)
	res, err := loadgen.Run(ctx, loadgen.RunConfig{Target: target, Clients: min(cfg.Clients, cfg.Users), Count: int64(cfg.Users)},
		func(ctx context.Context, _ int, i int64, _ time.Time) error { return pb.setGroup(ctx, int(i)) })
	if err != nil {
		return pr, err
	}
	if res.OK != int64(cfg.Users) {
		return pr, fmt.Errorf("declaring groups: %d of %d failed: %v", res.Ops-res.OK, res.Ops, res.Errors)
	}

	// The facilitator opens the poll; its id and vote action ids come
	// from the message pollbot posts, found by its title.
	title := fmt.Sprintf("pollbench %s %s", p, time.Now().UTC().Format("15:04:05.000"))
	if err := pb.open(ctx, title); err != nil {
		return pr, fmt.Errorf("opening the poll: %w", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	m, err := sink.WaitMessage(wctx, p, func(m loadgen.Message) bool {
		return strings.Contains(m.Text, title) && len(m.Polls()) > 0
	})
	cancel()
	if err != nil {
		return pr, fmt.Errorf("the poll message never reached the sink: %w", err)
	}
	poll.id, poll.message = m.Polls()[0], m.ID
	poll.actions = make([]string, cfg.Themes)
	for _, a := range m.ActionIDs {
		if id, t, ok := loadgen.ParseVoteAction(a); ok && id == poll.id && t < cfg.Themes {
			poll.actions[t] = a
		}
	}
	for t, a := range poll.actions {
		if a == "" {
			return pr, fmt.Errorf("poll %s's message has no vote button for theme %d: %v", poll.id, t+1, m.ActionIDs)
		}
	}
	pr.Poll = poll.id
	fmt.Fprintf(log, "pollbench: %s: poll %s open with %d themes\n", p, poll.id, cfg.Themes)

	rc := loadgen.RunConfig{Clients: cfg.Clients, Count: cfg.Count, Duration: cfg.Duration}
	// Voter and theme of click i: consecutive clicks come from different
	// voters, and each voter cycles through the themes.
	who := func(i int64) (u, t int) {
		return int(i % int64(cfg.Users)), int((i / int64(cfg.Users)) % int64(cfg.Themes))
	}

	fmt.Fprintf(log, "pollbench: %s: verify-only baseline…\n", p)
	rc.Target = pb.baseline.URL
	base, err := loadgen.Run(ctx, rc, func(ctx context.Context, _ int, i int64, _ time.Time) error {
		u, t := who(i)
		return pb.click(ctx, true, u, t)
	})
	if err != nil {
		return pr, err
	}
	pr.Baseline = newRunReport(base, nil)
	if err := ctx.Err(); err != nil {
		return pr, errInterrupted
	}

	// The sink only counts during the load: what it is told is not ours
	// to measure.
	sink.SetQuiet(true)
	defer sink.SetQuiet(false)
	before := sink.ConfirmationTotal(p)
	clicks := make([]atomic.Int32, cfg.Users*cfg.Themes) // successful clicks per voter and theme
	fmt.Fprintf(log, "pollbench: %s: vote clicks…\n", p)
	rc.Target = target
	cpu0, calls0 := meter.sample(), sink.Calls()
	votes, err := loadgen.Run(ctx, rc, func(ctx context.Context, _ int, i int64, _ time.Time) error {
		u, t := who(i)
		err := pb.click(ctx, false, u, t)
		if err == nil {
			clicks[u*cfg.Themes+t].Add(1)
		}
		return err
	})
	if err != nil {
		return pr, err
	}
	cpu1 := meter.sample()
	pr.Votes = newRunReport(votes, cpuUse(cpu0, cpu1, votes.Elapsed))
	if base.PerSec > 0 {
		pr.Ratio = votes.PerSec / base.PerSec
	}
	if err := ctx.Err(); err != nil {
		return pr, errInterrupted
	}

	// Every acknowledged vote is confirmed to its voter.
	pr.ConfirmExpected = votes.OK
	wctx, cancel = context.WithTimeout(ctx, 30*time.Second)
	werr := sink.WaitConfirmations(wctx, p, before+votes.OK)
	cancel()
	pr.Confirmed = sink.ConfirmationTotal(p) - before
	pr.APICalls = map[string]int64{}
	for k, n := range sink.Calls() {
		// The other platform's coalescer may still be finishing its
		// last edit; it is not this run's.
		if d := n - calls0[k]; d > 0 && strings.HasPrefix(k, string(p)+" ") {
			pr.APICalls[k] = d
		}
	}
	if werr != nil {
		pr.Problems = append(pr.Problems, fmt.Sprintf("only %d of %d acknowledged votes were confirmed within 30 s", pr.Confirmed, votes.OK))
	}

	if redisURL != "" {
		check := func() error { return checkTally(ctx, redisURL, pb.tenant, poll.id, cfg, clicks) }
		// Acknowledged is stored: the tally must be exact at once.
		if err := check(); err != nil {
			pr.Problems = append(pr.Problems, "tally: "+err.Error())
		} else {
			pr.TallyChecked = true
		}
	}
	return pr, nil
}

// checkTally compares the poll's tally in Redis with the one the
// acknowledged clicks imply. Toggles commute, so whatever order concurrent
// clicks were applied in, a voter supports a theme exactly when they
// clicked it an odd number of times; and every click changed the tally
// once, so its version is the number of clicks.
func checkTally(ctx context.Context, redisURL, tenant, poll string, cfg *config, clicks []atomic.Int32) error {
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
				voted = true
			}
		}
		if voted {
			want["n|"+g]++
		}
	}
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	// The key layout of storage/redis (package documentation).
	got, err := c.HGetAll(ctx, "pollbot:{"+tenant+"/"+poll+"}:tally").Result()
	if err != nil {
		return err
	}
	var diffs []string
	for f, n := range want {
		if got[f] != strconv.FormatInt(n, 10) {
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
		return fmt.Errorf("differs from the acknowledged clicks: %s", strings.Join(diffs, "; "))
	}
	return nil
}

// cpuUse turns two samples into cores used over elapsed.
func cpuUse(a, b map[string]time.Duration, elapsed time.Duration) map[string]float64 {
	if elapsed <= 0 {
		return nil
	}
	out := map[string]float64{}
	for name, t1 := range b {
		if t0, ok := a[name]; ok {
			out[name] = (t1 - t0).Seconds() / elapsed.Seconds()
		}
	}
	return out
}
