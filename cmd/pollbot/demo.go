package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/polls"
)

// demoGroups are the demo's participants per group: intergovernmental
// organisations send two people, below the default quorum of 3, so the
// report shows how an under-represented group is listed, not dropped.
var demoGroups = []struct {
	group polls.Group
	n     int
}{
	{"government", 12}, {"private-sector", 14}, {"civil-society", 15},
	{"technical-community", 12}, {"academia", 6}, {"intergovernmental", 2},
}

// demoSupport is how many of each group support each theme of the preset
// igf-bpf-cybersecurity-2016, in demoGroups order. The numbers are made up
// but shaped like a real working group: near-unanimity on collaboration,
// a theme the technical community loves and others do not (DNSSEC),
// one civil society champions and industry resists (privacy).
var demoSupport = [][]int{
	{4, 4, 2, 11, 3, 0},    // DNSSEC
	{7, 8, 6, 7, 3, 1},     // DNS abuse
	{3, 3, 2, 2, 1, 0},     // Critical success factors in cybersecurity
	{6, 9, 12, 11, 5, 1},   // Responsible disclosure
	{4, 6, 3, 5, 2, 1},     // Tools for prevention
	{4, 3, 14, 7, 5, 0},    // Privacy
	{3, 5, 2, 10, 2, 1},    // BCP38 (DDoS mitigation)
	{11, 5, 2, 3, 2, 2},    // Enforcement
	{11, 12, 14, 8, 6, 2},  // Education and awareness
	{12, 14, 15, 12, 6, 2}, // Collaboration and cooperation among actors
}

func runDemo(ctx context.Context, args []string, e env) error {
	fs := newFlags("demo", "[-out DIR] [-seed N] [-data FILE] [-live [-live-addr ADDR] [-live-duration D]]", e, `Runs a scripted multistakeholder poll end to end: opens the IGF preset
igf-bpf-cybersecurity-2016, casts ballots from 61 participants in six stakeholder groups,
closes the poll, prints the consensus report and writes its exports (report.md,
report.json, tally.csv, tally-wide.csv, ballots.csv, ballots.json, chart.png) to DIR.
The poll is stored under tenant "demo": in Redis when POLLBOT_REDIS_URL is set, else in
an embedded store, DIR/demo.db unless -data names another file (POLLBOT_DATA is not
used, so a demo never lands in the store you serve from).

The ballots are those of a session of about 80 minutes that ended just now, replayed at once;
pollbot timeline shows how consensus emerged in it. With -live, the demo serves the poll's live
screen on -live-addr, prints its link, and casts the ballots over -live-duration in real time,
so that you watch consensus emerge; the screen stays up until you stop the demo (Ctrl-C).`)
	out := fs.String("out", "pollbot-demo", "output `directory`")
	seed := fs.Uint64("seed", 2016, "random `seed` for who votes for what")
	live := fs.Bool("live", false, "serve the live screen and cast the ballots in real time")
	liveAddr := fs.String("live-addr", "127.0.0.1:8080", "with -live, the `address` to serve the live screen on")
	liveFor := fs.Duration("live-duration", time.Minute, "with -live, how long the ballots take to arrive")
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *live && *liveFor <= 0 {
		return fmt.Errorf("-live-duration: %v is not a positive duration", *liveFor)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("-out: %w", err)
	}
	dataFlag := false
	fs.Visit(func(f *flag.Flag) { dataFlag = dataFlag || f.Name == "data" })
	if fs.cfg.RedisURL == "" && !dataFlag {
		fs.cfg.Data = filepath.Join(*out, "demo.db")
	}
	d := &demo{out: e.out, rng: rand.New(rand.NewPCG(*seed, 0x1f)), pace: rand.New(rand.NewPCG(*seed, 0x2f))}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	var screened <-chan error
	if *live {
		a, links, done, err := localScreen(ctx, fs.cfg, e, *liveAddr, appOption{})
		if err != nil {
			return err
		}
		d.app, d.links, d.liveFor, screened = a, links, *liveFor, done
	} else {
		// A session that ended just now, on a clock of its own.
		now := time.Now
		if e.now != nil {
			now = e.now
		}
		d.clock = &sessionClock{t: now().UTC().Truncate(time.Second).Add(-demoSession)}
		a, err := fs.cfg.openApp(ctx, e, appOption{clock: d.clock.now})
		if err != nil {
			return err
		}
		d.app = a
	}
	if fs.cfg.RedisURL == "" {
		d.dataPath = fs.cfg.Data
	}
	err := d.run(ctx, *out)
	if errors.Is(err, context.Canceled) {
		err = nil // stopped by the person watching
	}
	if *live && err == nil && ctx.Err() == nil {
		d.say("\nThe live screen stays up at %s until you stop the demo (Ctrl-C).", d.links.Base)
		<-ctx.Done()
	}
	stop()
	if screened != nil {
		// The screen stops reading the store before it closes.
		if serr := <-screened; err == nil {
			err = serr
		}
	}
	d.app.Close()
	return err
}

// demoSession is about how long the replayed session lasted: the
// participants arrive some 45 to 105 seconds apart.
const demoSession = 80 * time.Minute

// sessionClock is the replayed session's clock: it moves only when the
// script moves it.
type sessionClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sessionClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *sessionClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type demo struct {
	*app
	out      io.Writer
	rng      *rand.Rand
	pace     *rand.Rand // when each participant arrives; apart from rng, so that who votes what stays the same
	dataPath string     // the embedded store file; empty on Redis
	clock    *sessionClock
	// links and liveFor are set with -live: the ballots arrive in real
	// time over liveFor, watched on the live screen.
	links   *link.Maker
	liveFor time.Duration
}

// arrive waits for the next of n participants: on the session's clock,
// 45 to 105 seconds; live, an even share of liveFor (less if the demo is
// stopped).
func (d *demo) arrive(ctx context.Context, n int) {
	if d.clock != nil {
		d.clock.add(45*time.Second + time.Duration(d.pace.IntN(61))*time.Second)
		return
	}
	t := time.NewTimer(d.liveFor / time.Duration(n))
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

const demoTenant = "demo"

func (d *demo) req(user string) bot.Request {
	return bot.Request{Platform: "demo", Tenant: demoTenant, User: user, Channel: "bpf-cybersecurity"}
}

func (d *demo) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

// do runs a command and fails on any error reply: the demo must show a
// working bot, not hide a broken one.
func (d *demo) do(ctx context.Context, user string, c bot.Command) (bot.Response, error) {
	r := d.engine.Handle(ctx, d.req(user), c)
	if r.Err != nil {
		return r, fmt.Errorf("%s: %s: %w", user, c, r.Err)
	}
	return r, nil
}

type participant struct {
	user    string
	group   polls.Group
	choices []string // theme numbers
}

func (d *demo) run(ctx context.Context, dir string) error {
	const facilitator = "facilitator"
	d.say("pollbot demo: an IGF Best Practice Forum chooses its cybersecurity theme")
	r, err := d.do(ctx, facilitator, bot.Preset{Preset: "igf-bpf-cybersecurity-2016", Opts: bot.OpenOptions{Closes: bot.Deadline{In: 48 * time.Hour}}})
	if err != nil {
		return err
	}
	p := r.Opened
	d.say("→ Opened poll %s, %q, with %d candidate themes (closes in 48h).", p.ID, p.Title, len(p.Themes))
	if d.links != nil {
		u, err := d.links.ScreenURL(p)
		if err != nil {
			return err
		}
		d.say("→ Live screen, to open in a browser: %s\n  The ballots arrive over the next %s: watch consensus emerge.", u, d.liveFor)
	} else {
		d.say("→ The ballots of a session of about 80 minutes that ended just now, replayed at once.")
	}

	// Who supports what: for each group and theme, a seeded choice of
	// exactly demoSupport[t][g] of the group's participants.
	var people []participant
	for gi, g := range demoGroups {
		members := make([]participant, g.n)
		for i := range members {
			members[i] = participant{user: fmt.Sprintf("%s-%02d", g.group, i+1), group: g.group}
		}
		for t := range demoSupport {
			for _, i := range d.rng.Perm(g.n)[:demoSupport[t][gi]] {
				members[i].choices = append(members[i].choices, strconv.Itoa(t+1))
			}
		}
		people = append(people, members...)
	}
	d.say("→ %d participants from %d stakeholder groups vote…", len(people), len(demoGroups))

	// A few vote before saying who they are: their votes are held and
	// counted once they pick a group. A few change their minds.
	order := d.rng.Perm(len(people))
	heldFirst := map[int]bool{order[0]: true, order[1]: true, order[2]: true}
	changed := map[int]bool{order[3]: true, order[4]: true, order[5]: true, order[6]: true, order[7]: true}
	held := 0
	arrivals := len(order) + 2 // the observer and the close arrive too
	for n, i := range order {
		d.arrive(ctx, arrivals)
		if err := ctx.Err(); err != nil {
			return err
		}
		pt := people[i]
		if heldFirst[i] {
			r, err := d.do(ctx, pt.user, bot.Vote{Poll: p.ID, Themes: pt.choices})
			if err != nil {
				return err
			}
			if len(r.Replies) > 0 && r.Replies[0].Picker != nil {
				held++
			}
			if _, err := d.do(ctx, pt.user, bot.Group{Group: string(pt.group)}); err != nil {
				return err
			}
		} else {
			if _, err := d.do(ctx, pt.user, bot.Group{Group: string(pt.group)}); err != nil {
				return err
			}
			if changed[i] {
				if _, err := d.do(ctx, pt.user, bot.Vote{Poll: p.ID, Themes: []string{"3"}}); err != nil {
					return err
				}
			}
			if _, err := d.do(ctx, pt.user, bot.Vote{Poll: p.ID, Themes: pt.choices}); err != nil {
				return err
			}
		}
		if (n+1)%20 == 0 || n+1 == len(order) {
			d.say("  %d/%d ballots cast", n+1, len(order))
		}
	}
	// Someone drops in and out again.
	d.arrive(ctx, arrivals)
	if _, err := d.do(ctx, "observer-01", bot.Group{Group: "academia"}); err != nil {
		return err
	}
	if _, err := d.do(ctx, "observer-01", bot.Vote{Poll: p.ID, Themes: []string{"Privacy"}}); err != nil {
		return err
	}
	if _, err := d.do(ctx, "observer-01", bot.Unvote{Poll: p.ID}); err != nil {
		return err
	}
	d.say("→ %d voted before naming their group (held, then counted), %d changed their minds, 1 withdrew.", held, len(changed))

	d.arrive(ctx, arrivals)
	if _, err := d.do(ctx, facilitator, bot.Close{Poll: p.ID}); err != nil {
		return err
	}
	d.say("→ The facilitator closes the poll.\n")
	// The report is printed from its view (the chart is drawn once, for
	// chart.png) and then written out.
	p, rep, err := d.svc.Report(ctx, demoTenant, p.ID)
	if err != nil {
		return err
	}
	fmt.Fprint(d.out, bot.RenderText(bot.Reply{Report: d.engine.ReportView(p, rep)}))
	return d.write(ctx, dir, p, rep)
}

func (d *demo) write(ctx context.Context, dir string, p *polls.Poll, rep *polls.Report) error {
	svc := d.svc
	id := p.ID
	type file struct {
		name  string
		write func(w io.Writer) error
	}
	var files []file
	for _, f := range report.Formats(false) {
		files = append(files, file{f.File(""), func(w io.Writer) error { return f.WriteReportAs(w, p, rep, d.engine.Groups(), "") }})
	}
	for _, f := range report.Formats(true) {
		files = append(files, file{f.File(""), func(w io.Writer) error {
			return f.WriteBallots(w, p, d.engine.Groups(), func(fn func(polls.Ballot) error) error {
				_, err := svc.Ballots(ctx, demoTenant, p.ID, fn)
				return err
			})
		}})
	}
	d.say("\n→ Wrote:")
	for _, f := range files {
		var buf bytes.Buffer
		if err := f.write(&buf); err != nil {
			return fmt.Errorf("%s: %w", f.name, err)
		}
		path := filepath.Join(dir, f.name)
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return err
		}
		d.say("  %-28s %s", path, size(int64(buf.Len())))
	}
	where := "-data " + d.dataPath
	if d.dataPath == "" {
		where = "-redis-url URL"
		d.say("  %-28s %s", "the poll, in Redis", "tenant "+demoTenant)
	} else if st, err := os.Stat(d.dataPath); err == nil {
		d.say("  %-28s %s (the embedded store, tenant %s)", d.dataPath, size(st.Size()), demoTenant)
	}
	d.say("\nExplore it: pollbot report %s -tenant %s %s   ·   how consensus emerged: pollbot timeline %s -tenant %s %s", where, demoTenant, id, where, demoTenant, id)
	d.say("Watch it live: pollbot demo -live   ·   try it yourself: pollbot shell")
	return nil
}

func size(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	return fmt.Sprintf("%.1f KB", float64(n)/1024)
}
