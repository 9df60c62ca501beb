package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/redis/go-redis/v9"
)

// Identities of the benchmark. The facilitators open the polls; pollbot
// must list them in POLLBOT_FACILITATORS.
const (
	slackFacilitator   = "UBENCHFAC"
	discordFacilitator = "600000000000000001"
)

// errNoRedis is -start without redis-server on PATH.
var errNoRedis = errors.New("redis-server not found on PATH (Debian/Ubuntu: apt-get install redis-server redis-tools)")

// proc is a child process pollbench started and must stop.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

func startProc(name string, cmd *exec.Cmd) (*proc, error) {
	setParentDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end (SIGTERM), and kills it if it has not
// after grace.
func (p *proc) stop(grace time.Duration) {
	if p == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// env is what -start runs: Redis, the sink and pollbot serve, in a
// temporary directory removed by Close.
type env struct {
	dir      string
	redis    *proc
	redisURL string // without options: for pollbench's own connections
	sink     *loadgen.Sink
	pollbot  *proc
	logPath  string
	target   string
}

// startEnv starts everything; on error, whatever was started is stopped.
func startEnv(ctx context.Context, cfg *config, log io.Writer) (e *env, err error) {
	dir, err := os.MkdirTemp("", "pollbench-")
	if err != nil {
		return nil, err
	}
	e = &env{dir: dir}
	defer func() {
		if err != nil {
			e.Close()
			e = nil
		}
	}()
	bin := cfg.Pollbot
	if bin == "" {
		fmt.Fprintln(log, "pollbench: building pollbot…")
		if bin, err = buildPollbot(ctx, dir); err != nil {
			return e, err
		}
	}
	if e.redis, e.redisURL, err = startRedis(ctx, filepath.Join(dir, "redis"), cfg.AOF); err != nil {
		return e, err
	}
	if e.sink, err = loadgen.StartSink(ctx, loadgen.SinkConfig{Addr: cfg.SinkAddr}); err != nil {
		return e, err
	}
	port, err := freePort()
	if err != nil {
		return e, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	e.target = "http://" + addr
	level := "warn"
	if cfg.Verbose {
		level = "info"
	}
	vars := append(pollbotEnv(cfg, e.sink),
		// A connection per concurrent request, as the README advises for
		// heavy load (go-redis' default is 10 per CPU).
		"POLLBOT_REDIS_URL="+e.redisURL+"?pool_size=64",
		"POLLBOT_HTTP_ADDR="+addr,
		"POLLBOT_DATA="+filepath.Join(dir, "pollbot.db"),
		"POLLBOT_LOG_LEVEL="+level,
	)
	e.logPath = filepath.Join(dir, "pollbot.log")
	logFile, err := os.Create(e.logPath)
	if err != nil {
		return e, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = append(cleanEnviron(), vars...)
	var out io.Writer = logFile
	if cfg.Verbose {
		out = io.MultiWriter(logFile, log)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if e.pollbot, err = startProc("pollbot", cmd); err != nil {
		return e, err
	}
	if err := waitReady(ctx, e.target, 30*time.Second, e.pollbot); err != nil {
		return e, fmt.Errorf("%w\npollbot's log:\n%s", err, e.logTail())
	}
	return e, nil
}

// pollbotEnv is the environment pollbot serve needs to be driven by
// pollbench: HTTP mode on both platforms, APIs at the sink.
func pollbotEnv(cfg *config, sink *loadgen.Sink) []string {
	return append(sink.Env(),
		"SLACK_BOT_TOKEN="+loadgen.DefaultSlackBotToken,
		"SLACK_SIGNING_SECRET="+cfg.Secret,
		"DISCORD_BOT_TOKEN="+loadgen.DefaultDiscordBotToken,
		"DISCORD_APP_ID="+loadgen.DefaultDiscordApp,
		"DISCORD_GUILD_ID="+loadgen.DefaultDiscordGuild,
		"DISCORD_PUBLIC_KEY="+loadgen.PublicKeyHex(cfg.key),
		"POLLBOT_FACILITATORS=slack:"+slackFacilitator+",discord:"+discordFacilitator,
		"POLLBOT_PPROF_ADDR="+cfg.Pprof,
	)
}

// cleanEnviron is pollbench's environment without pollbot's settings: a
// developer's real tokens or Redis must not leak into the benchmark's
// pollbot.
func cleanEnviron() []string {
	var out []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "POLLBOT_") || strings.HasPrefix(k, "SLACK_") || strings.HasPrefix(k, "DISCORD_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func (e *env) logTail() string {
	b, _ := os.ReadFile(e.logPath)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Close stops pollbot (letting it drain), the sink and Redis, and removes
// the directory.
func (e *env) Close() {
	if e == nil {
		return
	}
	e.pollbot.stop(15 * time.Second)
	if e.sink != nil {
		_ = e.sink.Close()
	}
	e.redis.stop(10 * time.Second)
	_ = os.RemoveAll(e.dir)
}

func buildPollbot(ctx context.Context, dir string) (string, error) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("go not found on PATH to build pollbot; pass -pollbot BINARY")
	}
	bin := filepath.Join(dir, "pollbot")
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, "github.com/pollbot/pollbot/cmd/pollbot")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/pollbot: %w\n%s", err, out.String())
	}
	return bin, nil
}

// freePort returns a loopback port nobody listens on, never Redis' default
// 6379, where a developer's own Redis may run.
func freePort() (int, error) {
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port != 6379 {
			return port, nil
		}
	}
	return 0, errors.New("no free port")
}

// startRedis starts a throwaway redis-server on a free loopback port in
// dir: no snapshots, and no append-only file unless aof.
func startRedis(ctx context.Context, dir string, aof bool) (*proc, string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, "", errNoRedis
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	var last error
	// A port found free can be taken before redis-server binds it.
	for range 5 {
		port, err := freePort()
		if err != nil {
			return nil, "", err
		}
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--logfile", "redis.log", "--daemonize", "no", "--save", "", "--appendonly", "no"}
		if aof {
			args = append(args, "--appendonly", "yes", "--appendfsync", "everysec")
		}
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		p, err := startProc("redis-server", cmd)
		if err != nil {
			return nil, "", err
		}
		url := "redis://127.0.0.1:" + strconv.Itoa(port) + "/0"
		if last = waitPing(ctx, url, p); last == nil {
			return p, url, nil
		}
		p.stop(time.Second)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
	return nil, "", fmt.Errorf("redis-server did not start: %w\n%s", last, log)
}

func waitPing(ctx context.Context, url string, p *proc) error {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err = c.Ping(pctx).Err()
		cancel()
		switch {
		case err == nil:
			return nil
		case p.exited():
			return errors.New("redis-server exited")
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return fmt.Errorf("no PONG within 10s: %w", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitReady polls target's /readyz until it answers 200 or wait passes (or
// p, when given, exits).
func waitReady(ctx context.Context, target string, wait time.Duration, p *proc) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(wait)
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("HTTP %d %s", resp.StatusCode, bytes.TrimSpace(body))
		} else {
			last = err.Error()
		}
		switch {
		case p != nil && p.exited():
			return fmt.Errorf("%s exited before it was ready (%s)", p.name, last)
		case ctx.Err() != nil:
			return ctx.Err()
		case time.Now().After(deadline):
			return fmt.Errorf("%s/readyz not ready after %v: %s", target, wait, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// cpuMeter reads the CPU time of named processes: the servers and Redis
// pollbench started, and pollbench itself ("pollbench", always there).
type cpuMeter struct {
	mu    sync.Mutex
	procs map[string]int // name -> pid; 0 is pollbench
}

func newCPUMeter() *cpuMeter {
	return &cpuMeter{procs: map[string]int{"pollbench": 0}}
}

func (m *cpuMeter) add(name string, pid int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.procs[name] = pid
}

// sample returns the CPU time so far of each named process pollbench
// knows; processes it does not know or whose time cannot be read (not
// Linux) are left out.
func (m *cpuMeter) sample(names ...string) map[string]time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]time.Duration{}
	for _, name := range names {
		pid, ok := m.procs[name]
		if !ok {
			continue
		}
		if d, ok := cpuTime(pid); ok {
			out[name] = d
		}
	}
	return out
}
