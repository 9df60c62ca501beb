package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/pollbot/pollbot/cmd/pollbench/reference"
	"github.com/pollbot/pollbot/internal/loadgen"
	"github.com/redis/go-redis/v9"
)

// The verify-only baseline and the reference server run as processes of
// their own, as pollbot does, so that each server's CPU time is its own
// and none shares a process with the generator. pollbench starts them by
// running its own executable again with childEnv set; the child serves
// until SIGTERM and prints its base URL on the first line of its standard
// output once it listens.
const childEnv = "POLLBENCH_CHILD"

// Kinds of child server.
const (
	childVerify    = "verify"
	childReference = "reference"
)

// isChild reports whether this process was started as a child server.
func isChild() bool { return os.Getenv(childEnv) != "" }

// childMain is the child's main: serve, and return the exit code.
func childMain(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serveChild(ctx, os.Getenv(childEnv), args, stdout); err != nil {
		fmt.Fprintf(stderr, "pollbench %s server: %v\n", os.Getenv(childEnv), err)
		return 1
	}
	return 0
}

func serveChild(ctx context.Context, kind string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("pollbench child", flag.ContinueOnError)
	secret := fs.String("secret", "", "Slack signing secret")
	pub := fs.String("discord-public-key", "", "Discord public key, hex")
	redisURL := fs.String("redis", "", "reference: Redis URL")
	responsePrefix := fs.String("response-url-prefix", "", "reference: the Slack response_url prefix to confirm to")
	discordAPI := fs.String("discord-api", "", "reference: Discord API base URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	key, err := hex.DecodeString(*pub)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return errors.New("-discord-public-key: want 64 hex characters")
	}
	var h http.Handler
	var wait func()
	switch kind {
	case childVerify:
		mux := http.NewServeMux()
		slack, discord := loadgen.SlackBaseline(*secret), loadgen.DiscordBaseline(ed25519.PublicKey(key))
		mux.Handle("/slack/", slack)
		mux.Handle("/discord/", discord)
		mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok\n") })
		h = mux
	case childReference:
		if err := loadgen.CheckLoopback(ctx, *responsePrefix); err != nil {
			return fmt.Errorf("-response-url-prefix: %w", err)
		}
		if err := loadgen.CheckLoopback(ctx, *discordAPI); err != nil {
			return fmt.Errorf("-discord-api: %w", err)
		}
		opt, err := redis.ParseURL(*redisURL)
		if err != nil {
			return fmt.Errorf("-redis: %w", err)
		}
		if err := loadgen.CheckLoopback(ctx, opt.Addr); err != nil {
			return fmt.Errorf("-redis: %w", err)
		}
		opt.PoolSize = 64 // as pollbench configures pollbot's
		rdb := redis.NewClient(opt)
		defer rdb.Close()
		srv, err := reference.New(reference.Config{
			Redis: rdb, SlackSigningSecret: *secret, DiscordPublicKey: ed25519.PublicKey(key),
			ResponseURLPrefix: *responsePrefix, DiscordAPIURL: *discordAPI,
			Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		})
		if err != nil {
			return err
		}
		h, wait = srv.Handler(), srv.Wait
	default:
		return fmt.Errorf("unknown kind %q", kind)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// pollbot's server timeouts and header bound.
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 16 << 10}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	fmt.Fprintf(stdout, "http://%s\n", ln.Addr())
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	if wait != nil {
		wait()
	}
	return err
}

// child is a child server pollbench started.
type child struct {
	*proc
	url string
}

// startChild starts a child server of kind and waits until it listens and
// answers /readyz.
func startChild(ctx context.Context, kind string, args []string, log io.Writer) (*child, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("starting the %s server: %w", kind, err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(cleanEnviron(), childEnv+"="+kind)
	cmd.Stderr = log
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	p, err := startProc(kind, cmd)
	if err != nil {
		return nil, err
	}
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
		_, _ = io.Copy(io.Discard, out)
	}()
	var url string
	select {
	case url = <-line:
	case <-time.After(30 * time.Second):
	case <-ctx.Done():
	}
	c := &child{proc: p, url: url}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		c.stop(time.Second)
		return nil, fmt.Errorf("the %s server did not start (it said %q)", kind, url)
	}
	if err := waitReady(ctx, url, 30*time.Second, p); err != nil {
		c.stop(time.Second)
		return nil, fmt.Errorf("the %s server: %w", kind, err)
	}
	return c, nil
}
