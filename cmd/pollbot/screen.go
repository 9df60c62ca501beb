package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/bot/screen"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

// linkKey reads the key that signs live screen links from
// POLLBOT_LINK_KEY or the file POLLBOT_LINK_KEY_FILE names (nil when
// neither is set), and refuses one too short.
func (c config) linkKey() ([]byte, error) {
	var key []byte
	switch {
	case c.LinkKey != "" && c.LinkKeyFile != "":
		return nil, errors.New("set POLLBOT_LINK_KEY or POLLBOT_LINK_KEY_FILE, not both")
	case c.LinkKey != "":
		key = []byte(c.LinkKey)
	case c.LinkKeyFile != "":
		data, err := os.ReadFile(c.LinkKeyFile)
		if err != nil {
			return nil, fmt.Errorf("POLLBOT_LINK_KEY_FILE: %w", err)
		}
		key = bytes.TrimSpace(data)
	default:
		return nil, nil
	}
	if len(key) < link.MinKey {
		return nil, fmt.Errorf("POLLBOT_LINK_KEY: %w (it has %d); generate one with: openssl rand -base64 48", link.ErrKey, len(key))
	}
	return key, nil
}

// publicURL checks POLLBOT_PUBLIC_URL: an http or https URL with a host,
// no query or fragment; "" when unset.
func (c config) publicURL() (string, error) {
	if c.PublicURL == "" {
		return "", nil
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("POLLBOT_PUBLIC_URL: %q is not an http(s) URL such as https://pollbot.example.org", c.PublicURL)
	}
	return strings.TrimRight(c.PublicURL, "/"), nil
}

// screenLinks is what makes the links to live screens: given, or from the
// configuration (nil when it sets no public URL or no link key; an error
// when it sets one of them wrongly).
func (c config) screenLinks(given *link.Maker) (*link.Maker, error) {
	if given != nil {
		return given, nil
	}
	base, err := c.publicURL()
	if err != nil {
		return nil, err
	}
	key, err := c.linkKey()
	if err != nil || key == nil || base == "" {
		return nil, err
	}
	signer, err := link.NewSigner(key)
	if err != nil {
		return nil, err
	}
	return &link.Maker{Base: base, Signer: signer}, nil
}

// localLinks makes links for a screen this process serves itself at addr
// (the shell's, the live demo's): the configured key, or a fresh random
// one, which is enough since this process is the only one that checks
// them.
func (c config) localLinks(addr net.Addr) (*link.Maker, error) {
	key, err := c.linkKey()
	if err != nil {
		return nil, err
	}
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
	}
	signer, err := link.NewSigner(key)
	if err != nil {
		return nil, err
	}
	return &link.Maker{Base: "http://" + addr.String(), Signer: signer}, nil
}

// newScreen returns the live screen server of a, checking links with
// signer.
func newScreen(a *app, signer *link.Signer) (*screen.Server, error) {
	w, ok := a.store.(polls.Watcher)
	if !ok {
		return nil, fmt.Errorf("the store (%T) cannot watch polls", a.store)
	}
	return screen.New(a.svc, w, signer,
		screen.WithLogger(a.log),
		// The screen speaks the engine's language.
		screen.WithPrinter(a.engine.Printer()),
		// The sentence beside each theme is the chat report's.
		screen.WithGrounds(func(r *polls.Report, th polls.ThemeResult) string { return bot.PlainText(a.engine.Grounds(r, th)) }))
}

// serveScreen mounts the live screen on serve's mux when a link key is
// set, and returns what the HTTP server must treat as streams; it logs
// what to set otherwise.
func serveScreen(a *app, c config, mux *http.ServeMux) (*screen.Server, error) {
	key, err := c.linkKey()
	if err != nil {
		return nil, err
	}
	if key == nil {
		a.log.Info("live screen off: set POLLBOT_LINK_KEY (and POLLBOT_PUBLIC_URL, for /poll screen to hand out links) to serve it")
		return nil, nil
	}
	signer, err := link.NewSigner(key)
	if err != nil {
		return nil, err
	}
	scr, err := newScreen(a, signer)
	if err != nil {
		return nil, err
	}
	scr.Mount(mux)
	if a.links == nil {
		a.log.Info("live screen served, but /poll screen cannot hand out links: set POLLBOT_PUBLIC_URL")
	}
	return scr, nil
}

// localScreen serves the live screen for the shell and the live demo on
// addr, until ctx is done. It returns the links' maker; the caller waits on
// the returned channel for the server to stop.
func localScreen(ctx context.Context, c config, e env, addr string, o appOption) (*app, *link.Maker, <-chan error, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("-screen %s: %w", addr, err)
	}
	links, err := c.localLinks(ln.Addr())
	if err != nil {
		ln.Close()
		return nil, nil, nil, err
	}
	o.links = links
	a, err := c.openApp(ctx, e, o)
	if err != nil {
		ln.Close()
		return nil, nil, nil, err
	}
	scr, err := newScreen(a, links.Signer)
	if err != nil {
		ln.Close()
		a.Close()
		return nil, nil, nil, err
	}
	mux := http.NewServeMux()
	scr.Mount(mux)
	srv := newHTTPServer(defaultHTTPLimits, mux, nil, screen.IsStream)
	srv.RegisterOnShutdown(scr.Close)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	done := make(chan error, 1)
	go func() {
		// Stopped when ctx is done: the streams end, the hubs stop
		// reading the store, and only then is done told, so that the
		// caller may close the store.
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
		scr.Close()
		err := <-served
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	return a, links, done, nil
}

func runScreen(ctx context.Context, args []string, e env) error {
	fs := newFlags("screen", "ID", e, `Prints the read-only link to a poll's live screen, served by pollbot serve at
POLLBOT_PUBLIC_URL (default: http://localhost and the port of POLLBOT_HTTP_ADDR) and signed
with POLLBOT_LINK_KEY, which serve must share. The link works until 7 days after the poll closes.`)
	fs.tenantFlag()
	httpAddr := fs.String("http-addr", envOr(e, "POLLBOT_HTTP_ADDR", ":8080"), "serve's listen `address`, for the link when POLLBOT_PUBLIC_URL is unset (env POLLBOT_HTTP_ADDR)")
	if err := fs.parse(args); err != nil {
		return err
	}
	id, err := oneArg(fs, "poll ID")
	if err != nil {
		return err
	}
	base, err := fs.cfg.publicURL()
	if err != nil {
		return err
	}
	if base == "" {
		if base, err = localURL(*httpAddr); err != nil {
			return err
		}
	}
	key, err := fs.cfg.linkKey()
	if err != nil {
		return err
	}
	if key == nil {
		return errors.New("set POLLBOT_LINK_KEY (at least 32 bytes, such as the output of openssl rand -base64 48) here and for pollbot serve, which checks the links")
	}
	signer, err := link.NewSigner(key)
	if err != nil {
		return err
	}
	maker := &link.Maker{Base: base, Signer: signer}
	a, err := fs.cfg.openApp(ctx, e, appOption{links: maker, readOnly: true})
	var p *polls.Poll
	switch {
	case errors.Is(err, boltstore.ErrInUse):
		// The serve that shows the screen holds the file: the link needs
		// only the poll's id, and the page checks the poll.
		p = &polls.Poll{ID: polls.NormalizeID(id), Tenant: fs.cfg.Tenant, Status: polls.StatusOpen}
		fmt.Fprintf(e.err, "pollbot screen: the store is in use by a running pollbot; the link is made without checking poll %s.\n", p.ID)
	case err != nil:
		return err
	default:
		defer a.Close()
		if p, err = a.svc.Poll(ctx, fs.cfg.Tenant, id); err != nil {
			return fs.cfg.pollErr(id, err)
		}
	}
	u, err := maker.ScreenURL(p)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(e.out, u)
	return err
}

// localURL is the URL of serve's listen address from this machine:
// "http://localhost:8080" for ":8080".
func localURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("POLLBOT_HTTP_ADDR %q: %w", addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port), nil
}

func runTimeline(ctx context.Context, args []string, e env) error {
	formats := strings.Join(report.TimelineFormats, "|")
	fs := newFlags("timeline", "[-format "+formats+"] ID", e, `Prints how a poll's consensus emerged: the report recomputed as ballots arrived, as each
theme's statuses with the times each began (text), every point (json, csv), or the chart (png,
to standard output).`)
	fs.tenantFlag()
	format := fs.String("format", "text", "output `format`: "+strings.ReplaceAll(formats, "|", ", "))
	if err := fs.parse(args); err != nil {
		return err
	}
	id, err := oneArg(fs, "poll ID")
	if err != nil {
		return err
	}
	known := false
	for _, f := range report.TimelineFormats {
		known = known || f == *format
	}
	if !known {
		return fmt.Errorf("-format: %q is not %s", *format, strings.ReplaceAll(formats, "|", ", "))
	}
	// Opened as the other commands that only read (report, export)
	// open the store: never a new file.
	a, err := fs.cfg.openReader(ctx, e)
	if err != nil {
		return err
	}
	defer a.Close()
	p, err := a.svc.Poll(ctx, fs.cfg.Tenant, id)
	if err != nil {
		return fs.cfg.pollErr(id, err)
	}
	// The operator reads every poll from the command line, hidden results
	// included, as with report.
	tl, err := a.svc.Timeline(ctx, p)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(e.out)
	if err := report.WriteTimeline(w, *format, tl); err != nil {
		return err
	}
	return w.Flush()
}
