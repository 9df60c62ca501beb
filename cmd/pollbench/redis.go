package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/pollbot/pollbot/polls"
	redisstore "github.com/pollbot/pollbot/storage/redis"
	"github.com/redis/go-redis/v9"
)

// checkRedisURL refuses a Redis that is not on loopback: the ceiling
// writes keys, and the tally check reads them.
func checkRedisURL(ctx context.Context, raw string) error {
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return fmt.Errorf("-redis: %w (a single-node redis:// URL)", err)
	}
	if err := loadgen.CheckLoopback(ctx, opt.Addr); err != nil {
		return fmt.Errorf("-redis: %w", err)
	}
	return nil
}

// redactRedis drops a password from a Redis URL for the report.
func redactRedis(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxx")
	}
	return u.String()
}

// redisCeiling measures with redis-benchmark what Redis alone does with
// the vote path's script: EVALSHA of the toggle script on a copy of the
// benchmark poll, voters drawn from -users, from -clients connections;
// and plain HSET, its baseline. The copy and the HSET key are deleted
// afterwards; pollbot never sees them (they are in no index).
func redisCeiling(ctx context.Context, cfg *config, redisURL, tenant, poll string, log io.Writer) *ceilingReport {
	cr := &ceilingReport{Clients: cfg.Clients, Requests: cfg.RedisN}
	bin, err := exec.LookPath("redis-benchmark")
	if err != nil {
		cr.Skipped = "redis-benchmark not on PATH (Debian/Ubuntu: apt-get install redis-tools)"
		return cr
	}
	if err := ceiling(ctx, cfg, bin, redisURL, tenant, poll, cr, log); err != nil {
		cr.Error = err.Error()
	}
	return cr
}

func ceiling(ctx context.Context, cfg *config, bin, redisURL, tenant, poll string, cr *ceilingReport, log io.Writer) error {
	opt, err := redis.ParseURL(redisURL)
	if err != nil {
		return err
	}
	st, err := redisstore.Open(ctx, redisURL)
	if err != nil {
		return err
	}
	defer st.Close()
	c := st.Client()

	src, _, err := st.ToggleArgs(tenant, poll, polls.Ballot{Voter: "x"}, polls.Flip{Choice: 0, Points: 1}, "")
	if err != nil {
		return err
	}
	benchPoll := poll + "-bench"
	// redis-benchmark replaces each __rand_int__ with its own number below
	// -r: in the voter id (and, independently, in the ballot JSON, which
	// the script only stores). A click's op (its delivery, remembered to
	// apply a redelivery once) is unique in pollbot; three numbers make the
	// benchmark's ops collide too rarely to matter (about 1 in 10^9 with
	// the default -users).
	keys, argv, err := st.ToggleArgs(tenant, benchPoll, polls.Ballot{Voter: "v__rand_int__", Group: polls.Group(groups[2]), CastAt: time.Now()}, polls.Flip{Choice: 0, Points: 1}, "op")
	if err != nil {
		return err
	}
	if len(keys) != 7 || len(argv) < 8 {
		return fmt.Errorf("the toggle script takes %d keys and %d arguments; pollbench knows 7 and at least 8", len(keys), len(argv))
	}
	// The delivery's field in its bucket's hashes (argv[7]): the
	// generations' hashes are the same for every op here (one bucket),
	// and the run leaves them behind with the rest of the poll's keys.
	argv[7] = "__rand_int____rand_int____rand_int__"
	hsetKey := "pollbench:{" + tenant + "/" + benchPoll + "}:hset"
	cleanup := func() {
		c.Del(context.WithoutCancel(ctx), append(keys[:6:6], hsetKey)...)
	}
	cleanup()
	defer cleanup()
	def, err := c.HGetAll(ctx, src[0]).Result()
	if err != nil || len(def) == 0 {
		return fmt.Errorf("reading poll %s from Redis: %v (found %d fields)", poll, err, len(def))
	}
	if err := c.HSet(ctx, keys[0], def).Err(); err != nil {
		return err
	}
	sha, err := st.LoadToggleScript(ctx)
	if err != nil {
		return err
	}

	host, port, err := net.SplitHostPort(opt.Addr)
	if err != nil {
		return err
	}
	common := []string{"-h", host, "-p", port, "-c", strconv.Itoa(cfg.Clients), "-n", strconv.Itoa(cfg.RedisN),
		"-r", strconv.Itoa(cfg.Users), "--dbnum", strconv.Itoa(opt.DB), "--csv"}
	if opt.Password != "" {
		common = append(common, "--no-auth-warning", "-a", opt.Password)
		if opt.Username != "" {
			common = append(common, "--user", opt.Username)
		}
	}
	fmt.Fprintf(log, "pollbench: redis-benchmark: the toggle script, %d requests from %d clients…\n", cfg.RedisN, cfg.Clients)
	toggle := append(append([]string{"EVALSHA", sha, strconv.Itoa(len(keys))}, keys...), argv...)
	if cr.Toggle, err = redisBenchmark(ctx, bin, append(common, toggle...)); err != nil {
		return fmt.Errorf("toggle script: %w", err)
	}
	// The script answers refusals with error replies, which
	// redis-benchmark counts as requests: check it really voted.
	if n, err := c.HLen(ctx, keys[1]).Result(); err != nil || n == 0 {
		return fmt.Errorf("the toggle script stored no ballot (%v): the numbers are of refusals", err)
	}
	cr.Command = fmt.Sprintf("EVALSHA <toggle script> %d %s v__rand_int__ …", len(keys), strings.Join(keys, " "))
	fmt.Fprintf(log, "pollbench: redis-benchmark: HSET…\n")
	if cr.HSET, err = redisBenchmark(ctx, bin, append(common, "HSET", hsetKey, "f__rand_int__", "v")); err != nil {
		return fmt.Errorf("HSET: %w", err)
	}
	if cr.HSET.PerSec > 0 {
		cr.Ratio = cr.Toggle.PerSec / cr.HSET.PerSec
	}
	return nil
}

// redisBenchmark runs redis-benchmark with --csv and parses its result
// line, under the header "test","rps","avg_latency_ms","min_latency_ms",
// "p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms".
func redisBenchmark(ctx context.Context, bin string, args []string) (*benchLine, error) {
	ctx, cancel := context.WithTimeout(ctx, loadgen.MaxDuration)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	setParentDeathSignal(cmd)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut.String()+out.String()))
	}
	// The test name (first column) is the command as given, quotes
	// unescaped, so the numbers are read from the end of the line.
	var fields []string
	for _, line := range strings.Split(out.String(), "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, `"`) || strings.HasPrefix(line, `"test","rps"`) {
			continue
		}
		fields = strings.Split(strings.Trim(line, `"`), `","`)
	}
	if len(fields) < 8 {
		return nil, errors.New("unexpected output: " + strings.TrimSpace(out.String()))
	}
	fields = fields[len(fields)-7:] // rps, avg, min, p50, p95, p99, max
	num := make([]float64, len(fields))
	for i, f := range fields {
		var err error
		if num[i], err = strconv.ParseFloat(f, 64); err != nil {
			return nil, fmt.Errorf("unexpected output %q: %w", out.String(), err)
		}
	}
	return &benchLine{PerSec: num[0], P50ms: num[3], P95ms: num[4], P99ms: num[5], MaxMs: num[6]}, nil
}
