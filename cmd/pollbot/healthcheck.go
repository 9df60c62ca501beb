package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// runHealthcheck asks a running `pollbot serve` whether it is up. Container
// images without a shell or curl (distroless, scratch) run it as their
// HEALTHCHECK, so it is built into the binary.
func runHealthcheck(ctx context.Context, args []string, e env) error {
	// Not newFlags: the store and log flags mean nothing here, and listing
	// them under -h would suggest otherwise.
	fs := &flagSet{FlagSet: flag.NewFlagSet("pollbot healthcheck", flag.ContinueOnError)}
	fs.SetOutput(e.err)
	addr := e.getenv("POLLBOT_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	// The default follows POLLBOT_HTTP_ADDR, so an image or unit that moves
	// serve to another port needs no second setting for its health check.
	def, defErr := healthURL(addr)
	target := fs.String("url", def, "`URL` that must answer 200 OK; the default is /healthz at the address serve listens on (env POLLBOT_HTTP_ADDR)")
	timeout := fs.Duration("timeout", 2*time.Second, "how long to wait for the answer")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: pollbot healthcheck [-url URL] [-timeout 2s]\n\n%s\n\nFlags:\n",
			"Exits 0 when URL answers 200 OK within the timeout; otherwise prints why and exits 1.\nFor container health checks: the image has no curl or wget.")
		fs.PrintDefaults()
	}
	if err := fs.parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *target == "" {
		return fmt.Errorf("POLLBOT_HTTP_ADDR: %w; give -url", defErr)
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("-url: %q is not an http(s) URL", *target)
	}
	if *timeout <= 0 {
		return fmt.Errorf("-timeout: %s is not a positive duration", *timeout)
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return err
	}
	client := &http.Client{
		// Straight to the target: a proxy from HTTP_PROXY would be checking
		// itself, and a redirect means the URL is not the health endpoint.
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("%s: no answer within %s", u, *timeout)
		}
		return fmt.Errorf("%s: %w", u, unwrapURLError(err))
	}
	defer resp.Body.Close()
	// A little of the body says why (/readyz answers "store unreachable").
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode != http.StatusOK {
		msg := strings.Join(strings.Fields(string(body)), " ")
		if msg != "" {
			msg = ": " + msg
		}
		return fmt.Errorf("%s answered %s%s", u, resp.Status, msg)
	}
	fmt.Fprintf(e.out, "%s: %s\n", u, resp.Status)
	return nil
}

// healthURL turns a listen address into the URL of its /healthz. A wildcard
// host (":8080", "0.0.0.0:8080", "[::]:8080") is reached over loopback, which
// is where a health check runs: inside the container or on the host.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "", fmt.Errorf("%q is not HOST:PORT", addr)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

// unwrapURLError drops the `Get "URL":` prefix the caller already gives.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
