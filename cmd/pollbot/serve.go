package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/screen"
	"github.com/pollbot/pollbot/internal/metrics"
	"github.com/pollbot/pollbot/polls"
)

func runServe(ctx context.Context, args []string, e env) error {
	fs := newFlags("serve", "", e, "Runs every configured chat adapter, the deadline scheduler, and HTTP: /healthz, /readyz,\n/metrics (Prometheus) and the adapters' HTTP-mode endpoints.")
	var addr string
	fs.StringVar(&addr, "http-addr", envOr(e, "POLLBOT_HTTP_ADDR", ":8080"), "HTTP listen `address` (env POLLBOT_HTTP_ADDR)")
	var tick time.Duration
	fs.DurationVar(&tick, "deadline-interval", 5*time.Second, "how often to close polls whose deadline passed and post due reminders")
	var retry time.Duration
	fs.DurationVar(&retry, "announce-retry", polls.DefaultAnnounceLease, "how long a poll closed at its deadline may go unannounced, or a due reminder\nunposted (its process died while posting it), before any pollbot posts it;\nlonger than a slow post, which is otherwise posted twice")
	limits := defaultHTTPLimits
	limits.register(fs)
	if err := fs.parse(args); err != nil {
		return err
	}
	if err := limits.fromEnv(fs, e); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	log, err := fs.cfg.logger(e.err)
	if err != nil {
		return err
	}
	m := metrics.New(buildVersion(), log)
	if retry <= 0 {
		fmt.Fprintln(fs.Output(), "pollbot serve: -announce-retry must be positive")
		return errUsage
	}
	a, err := fs.cfg.openApp(ctx, e, appOption{metrics: m, announceLease: retry})
	if err != nil {
		return err
	}
	defer a.Close()

	adapters, err := openAdapters(e, a.engine, a.log)
	if err != nil {
		return err
	}
	if err := checkAdapters(ctx, adapters, a.log); err != nil {
		return err
	}
	mux := healthMux(a.store)
	mux.Handle("GET /metrics", m.Handler())
	var names []string
	for _, ad := range adapters {
		ad.Mount(mux)
		m.AddCoalescer(ad.platform, ad.Coalescer().Stats)
		m.AddPool(ad.platform, ad.Deferred())
		names = append(names, ad.platform)
	}
	if len(adapters) == 0 {
		a.log.Warn("no chat adapter configured: set SLACK_BOT_TOKEN or DISCORD_BOT_TOKEN (see README); serving health endpoints and deadlines only")
	}
	scr, err := serveScreen(a, fs.cfg, mux)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("POLLBOT_HTTP_ADDR %s: %w", addr, err)
	}
	stopPprof, err := servePprof(e.getenv("POLLBOT_PPROF_ADDR"), a.log)
	if err != nil {
		_ = ln.Close()
		return err
	}
	defer stopPprof()
	srv := newHTTPServer(limits, mux, m, screen.IsStream)
	if scr != nil {
		// Viewers' streams last until they leave: end them when serve
		// shuts down, rather than wait for them.
		srv.RegisterOnShutdown(scr.Close)
	}
	rt := router{adapters: adapters, log: a.log}
	sched := bot.NewScheduler(a.engine, rt, tick, bot.WithReminders(rt))

	// The adapters and the scheduler stop only after the HTTP server has
	// drained, so work deferred by the last requests is delivered; the
	// adapters only after the scheduler, so the poll messages of its last
	// announcements are re-rendered (the adapters' coalescers render what is
	// pending when they stop).
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	schedCtx, stopSched := context.WithCancel(runCtx)
	defer stopSched()
	var wg, schedWG sync.WaitGroup
	errc := make(chan error, 1+len(adapters))
	schedWG.Go(func() { _ = sched.Run(schedCtx) })
	for _, ad := range adapters {
		wg.Go(func() {
			if err := ad.Run(runCtx); err != nil {
				errc <- fmt.Errorf("%s: %w", ad.platform, err)
			}
		})
	}
	go func() { errc <- srv.Serve(ln) }()
	a.log.Info("pollbot serving", "http", ln.Addr().String(), "adapters", names)

	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	a.log.Info("shutting down")
	shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	_ = srv.Shutdown(shutdownCtx)
	if scr != nil {
		scr.Close() // its hubs read the store, which closes after this
	}
	stopSched()
	schedWG.Wait()
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// checker is an adapter that can check its credentials before serving
// (Slack's auth.test).
type checker interface {
	Check(ctx context.Context) (team, user string, err error)
}

// checkTimeout bounds the start-up check of each adapter's credentials.
const checkTimeout = 20 * time.Second

// checkAdapters checks each adapter's credentials at start-up, so that a
// token the platform refuses, or a platform that cannot be reached, stops
// serve with one line saying which, before it serves anything.
func checkAdapters(ctx context.Context, adapters []namedAdapter, log *slog.Logger) error {
	for _, ad := range adapters {
		c, ok := ad.chatAdapter.(checker)
		if !ok {
			continue
		}
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		team, user, err := c.Check(cctx)
		cancel()
		if err != nil {
			return err
		}
		log.Info(ad.platform+": bot token accepted", "team", team, "bot", user)
	}
	return nil
}

func envOr(e env, k, def string) string {
	if v := e.getenv(k); v != "" {
		return v
	}
	return def
}

// healthMux serves /healthz (the process is up) and /readyz (the store
// answers).
func healthMux(st polls.Pinger) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := st.Ping(ctx); err != nil {
			http.Error(w, "store unreachable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	return mux
}
