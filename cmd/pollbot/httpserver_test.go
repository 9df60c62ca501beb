package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/metrics"
)

// TestInFlightBound: beyond the bound a request is answered 503 at once,
// with Retry-After and the connection closed; the health checks are served
// whatever the load; a finished request frees its slot.
func TestInFlightBound(t *testing.T) {
	const bound = 3
	release := make(chan struct{})
	entered := make(chan struct{}, bound)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /slack/events", func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {})
	l := defaultHTTPLimits
	l.MaxInFlight = bound
	m := metrics.New("test", slog.New(slog.DiscardHandler))
	h := newHTTPServer(l, mux, m).Handler

	var wg sync.WaitGroup
	for range bound {
		wg.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/slack/events", nil))
		})
	}
	for range bound {
		<-entered
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/slack/events", strings.NewReader("token=x")))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" || w.Header().Get("Connection") != "close" {
		t.Errorf("request beyond the bound: %d, Retry-After %q, Connection %q; want 503, a Retry-After, close",
			w.Code, w.Header().Get("Retry-After"), w.Header().Get("Connection"))
	}
	for _, path := range []string{"/healthz", "/readyz"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, path, nil))
		if w.Code != http.StatusOK {
			t.Errorf("%s with every slot taken = %d, want 200", path, w.Code)
		}
	}
	close(release)
	wg.Wait()
	// The slots are free again: a request is served (and the bound does
	// not hold it back).
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/slack/events", nil))
	}()
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("a request after the slots were freed was not served")
	}
	<-done

	// The refusal is counted under the route it was meant for.
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if want := `pollbot_http_requests_total{code="503",route="POST /slack/events"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

// TestWriteDeadlineExtends: a handler that answers for longer than the
// write timeout (a stream) can push its own deadline forward through the
// server's wrappers; one that does not is cut off.
func TestWriteDeadlineExtends(t *testing.T) {
	const writeTimeout = 200 * time.Millisecond
	mux := http.NewServeMux()
	for _, extend := range []bool{true, false} {
		path := "/stream"
		if !extend {
			path = "/cut"
		}
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, r *http.Request) {
			if extend {
				if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(10 * writeTimeout)); err != nil {
					t.Errorf("SetWriteDeadline through the server's wrappers: %v", err)
				}
			}
			// Stands for a stream that outlasts the write timeout.
			time.Sleep(2 * writeTimeout)
			io.WriteString(w, "data: still here\n\n")
		})
	}
	l := defaultHTTPLimits
	l.WriteTimeout = writeTimeout
	srv := newHTTPServer(l, mux, metrics.New("test", slog.New(slog.DiscardHandler)))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-served
	})
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path string) (string, error) {
		resp, err := client.Get("http://" + ln.Addr().String() + path)
		if err != nil {
			return "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return string(body), err
	}
	if body, err := get("/stream"); err != nil || body != "data: still here\n\n" {
		t.Errorf("a handler that extended its write deadline: %q, %v", body, err)
	}
	if body, err := get("/cut"); err == nil {
		t.Errorf("a handler that outlasted the write timeout was answered %q; want the connection cut", body)
	}
}

// TestHTTPLimitSettings: the limits come from flags, else the environment
// (POLLBOT_HTTP_…), else the defaults; a bad or zero value stops serve with
// a line naming it.
func TestHTTPLimitSettings(t *testing.T) {
	parse := func(environ map[string]string, args ...string) (httpLimits, error) {
		e := env{err: io.Discard, getenv: func(k string) string { return environ[k] }}
		fs := newFlags("serve", "", e, "")
		l := defaultHTTPLimits
		l.register(fs)
		if err := fs.parse(args); err != nil {
			return l, err
		}
		return l, l.fromEnv(fs, e)
	}
	l, err := parse(map[string]string{"POLLBOT_HTTP_READ_TIMEOUT": "2s", "POLLBOT_HTTP_MAX_IN_FLIGHT": "9", "POLLBOT_HTTP_IDLE_TIMEOUT": "7s"},
		"-http-max-in-flight", "12", "-http-write-timeout=3s", "-http-max-header-bytes", "8192")
	want := defaultHTTPLimits
	want.ReadTimeout, want.MaxInFlight, want.IdleTimeout, want.WriteTimeout, want.MaxHeaderBytes = 2*time.Second, 12, 7*time.Second, 3*time.Second, 8192
	if err != nil || l != want {
		t.Errorf("limits = %+v, %v; want %+v", l, err, want)
	}

	for _, tc := range []struct {
		name    string
		environ map[string]string
		args    []string
		want    string
	}{
		{"not a duration", map[string]string{"POLLBOT_HTTP_READ_HEADER_TIMEOUT": "soon"}, nil, `POLLBOT_HTTP_READ_HEADER_TIMEOUT: "soon" is not a duration`},
		{"not a number", map[string]string{"POLLBOT_HTTP_MAX_HEADER_BYTES": "16k"}, nil, `POLLBOT_HTTP_MAX_HEADER_BYTES: "16k" is not a whole number`},
		{"zero timeout", nil, []string{"-http-idle-timeout", "0"}, "-http-idle-timeout (POLLBOT_HTTP_IDLE_TIMEOUT): 0s is not a positive duration"},
		{"zero bound", map[string]string{"POLLBOT_HTTP_MAX_IN_FLIGHT": "0"}, nil, "-http-max-in-flight (POLLBOT_HTTP_MAX_IN_FLIGHT): 0 is not a positive whole number"},
		{"negative", nil, []string{"-http-write-timeout=-1s"}, "is not a positive duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			environ := map[string]string{"POLLBOT_DATA": t.TempDir() + "/pollbot.db", "POLLBOT_HTTP_ADDR": "127.0.0.1:0"}
			for k, v := range tc.environ {
				environ[k] = v
			}
			code, _, stderr := runCmd(t, environ, "", append([]string{"serve"}, tc.args...)...)
			if code != 1 || !strings.Contains(stderr, tc.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("exit %d, want 1 and one line with %q:\n%s", code, tc.want, stderr)
			}
		})
	}
}
