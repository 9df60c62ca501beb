package main

import (
	"bufio"
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
	"testing"
	"time"

	"github.com/pollbot/pollbot/internal/loadgen"
)

// TestSlowUnsignedClients runs a real `pollbot serve` (Slack HTTP mode, the
// embedded store) and opens hundreds of unsigned connections that never
// finish their request, as a slowloris attacker would: requests declaring
// a 1 MiB body and sending 4 KiB of it, headers left unfinished, silent
// connections, and kept-alive connections left idle. The server's memory
// must stay bounded by what was sent, not by what was declared; every such
// connection must be closed by the server's timeouts; and requests beyond
// the in-flight bound must be answered 503 at once.
//
// The timeouts are shortened through the environment (an older pollbot,
// which knows none of these settings, ignores them and fails the checks
// rather than refusing to start).
func TestSlowUnsignedClients(t *testing.T) {
	if testing.Short() {
		t.Skip("builds pollbot and runs it against 400 connections; skipped with -short")
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("reads the server's RSS from /proc")
	}
	const (
		readHeaderTimeout = time.Second
		readTimeout       = 3 * time.Second
		idleTimeout       = 2 * time.Second
		maxInFlight       = 256 // the default
		// grace is how late after its timeout a connection may be closed
		// on a busy two-core machine.
		grace = 3 * time.Second
		// maxGrowth bounds the server's RSS growth under the attack. Each
		// connection may cost a goroutine, its buffers and the first few
		// KiB of a body, some 30 KiB: about 12 MiB for 400; a server that
		// allocates the declared 1 MiB per body grows by hundreds.
		maxGrowth = 64 << 20
	)
	kinds := []struct {
		name string
		n    int
		// send is what the connection writes, then it writes nothing more.
		send []byte
		// closeBy is how long after it was opened the server must have
		// closed it.
		closeBy time.Duration
	}{
		{"body declared 1 MiB, 4 KiB sent", 300, slowBody(), readTimeout + grace},
		{"header unfinished after 4 KiB", 60, []byte("POST /slack/events HTTP/1.1\r\nHost: pollbot\r\nX-Pad: " + strings.Repeat("a", 4000)), readHeaderTimeout + grace},
		{"silent", 20, nil, readHeaderTimeout + grace},
		{"idle after a request", 20, []byte("GET /healthz HTTP/1.1\r\nHost: pollbot\r\n\r\n"), idleTimeout + grace},
	}

	// HTTP mode mounts the Slack endpoints, which read bodies before
	// checking their signature; nothing here is signed, so Slack's API is
	// called only by serve's start-up check of the token, answered by the
	// fake Slack.
	sink, err := loadgen.StartSink(context.Background(), loadgen.SinkConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sink.Close() })
	srv := startServeProcess(t, map[string]string{
		"SLACK_BOT_TOKEN":                  "xoxb-slowclients-test",
		"SLACK_SIGNING_SECRET":             "slowclients-test",
		"SLACK_API_URL":                    sink.SlackAPIURL(),
		"POLLBOT_HTTP_READ_HEADER_TIMEOUT": readHeaderTimeout.String(),
		"POLLBOT_HTTP_READ_TIMEOUT":        readTimeout.String(),
		"POLLBOT_HTTP_IDLE_TIMEOUT":        idleTimeout.String(),
		"POLLBOT_HTTP_WRITE_TIMEOUT":       "5s",
		"POLLBOT_HTTP_MAX_IN_FLIGHT":       strconv.Itoa(maxInFlight),
	})

	// The baseline: the server after it has answered requests of every
	// kind the attack makes, so that what grows is the attack's cost.
	client := &http.Client{Timeout: 5 * time.Second}
	for range 5 {
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if code := srv.get(t, client, path); code != http.StatusOK {
				t.Fatalf("%s = %d before the attack", path, code)
			}
		}
		resp, err := client.Post(srv.url+"/slack/events", "application/json", strings.NewReader(`{"type":"url_verification"}`))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unsigned event = %d, want 401", resp.StatusCode)
		}
	}
	client.CloseIdleConnections()
	base, baseHeap := srv.rss(t), srv.heapSys(t, client)

	ctx, stopSampling := context.WithCancel(context.Background())
	peakc := make(chan int64, 1)
	go func() { peakc <- srv.peakRSS(ctx, 20*time.Millisecond) }()
	defer stopSampling()

	var (
		wg    sync.WaitGroup
		conns []*slowConn
	)
	start := time.Now()
	for _, k := range kinds {
		for range k.n {
			c, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatalf("dial after %d connections: %v", len(conns), err)
			}
			sc := &slowConn{kind: k.name, closeBy: k.closeBy, opened: time.Now(), conn: c}
			conns = append(conns, sc)
			if _, err := c.Write(k.send); err != nil {
				t.Fatalf("%s: write: %v", k.name, err)
			}
			// However the server behaves, the connection is given up a
			// little after it should have been closed, ending the reader.
			_ = c.SetReadDeadline(sc.opened.Add(k.closeBy + grace))
			wg.Go(sc.read)
		}
	}
	opening := time.Since(start)
	t.Logf("opened %d connections in %v", len(conns), opening.Round(time.Millisecond))
	// While the slow bodies hold every slot, the health checks are still
	// answered (they are exempt from the bound) and any other request is
	// refused at once.
	for _, path := range []string{"/healthz", "/readyz"} {
		if code := srv.get(t, client, path); code != http.StatusOK {
			t.Errorf("%s during the attack = %d, want 200", path, code)
		}
	}
	// The server takes the slots as it reads the slow requests' headers,
	// which on a busy machine may lag the writes a little: ask until the
	// bound shows, as long as the slow bodies must still be holding it.
	for {
		code := srv.get(t, client, "/metrics")
		if code == http.StatusServiceUnavailable {
			break
		}
		if time.Since(start) > readTimeout/2 {
			t.Errorf("/metrics with every slot held = %d, want 503", code)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	stopSampling()
	peak := <-peakc
	t.Logf("RSS: %.1f MiB before, %.1f MiB at the peak with %d slow connections (growth %.1f MiB)",
		mib(base), mib(peak), len(conns), mib(peak-base))
	if peak-base > maxGrowth {
		t.Errorf("RSS grew by %.1f MiB under %d slow unsigned connections, want under %.0f MiB", mib(peak-base), len(conns), mib(maxGrowth))
	}
	// RSS alone can miss a buffer allocated from the declared length: the
	// kernel maps a fresh allocation's pages only when they are written,
	// and only the 4 KiB sent are (unless transparent huge pages are on,
	// or the heap reuses dirty memory, as it does in a server that has run
	// a while). The heap's high-water mark, which the server reports
	// itself, counts the allocation wherever its pages are.
	heap := srv.heapSys(t, client)
	t.Logf("Go heap reserved: %.1f MiB before, %.1f MiB after (growth %.1f MiB)", mib(baseHeap), mib(heap), mib(heap-baseHeap))
	if heap-baseHeap > maxGrowth {
		t.Errorf("the Go heap grew by %.1f MiB under %d slow unsigned connections, want under %.0f MiB", mib(heap-baseHeap), len(conns), mib(maxGrowth))
	}

	type tally struct{ open, late, rejected, slowReject int }
	byKind := map[string]*tally{}
	for _, c := range conns {
		tl := byKind[c.kind]
		if tl == nil {
			tl = &tally{}
			byKind[c.kind] = tl
		}
		switch {
		case !c.closed:
			tl.open++
		case c.closedAfter > c.closeBy:
			tl.late++
		}
		if c.status == http.StatusServiceUnavailable {
			tl.rejected++
			if c.retryAfter == "" || c.answeredAfter > time.Second {
				tl.slowReject++
			}
		}
	}
	for _, k := range kinds {
		tl := byKind[k.name]
		t.Logf("%s: %d connections, %d answered 503, %d still open, %d closed late", k.name, k.n, tl.rejected, tl.open, tl.late)
		if tl.open > 0 || tl.late > 0 {
			t.Errorf("%s: %d of %d connections still open %v after they were opened, %d more closed after %v; want every one closed by the server's timeouts",
				k.name, tl.open, k.n, k.closeBy+grace, tl.late, k.closeBy)
		}
		if tl.slowReject > 0 {
			t.Errorf("%s: %d answers 503 came without Retry-After or after more than 1 s", k.name, tl.slowReject)
		}
	}
	// 300 requests waited for their bodies at once; beyond the bound they
	// were refused at once (unless opening them took so long that the
	// first ones' read timeouts had freed slots for the last).
	body := byKind[kinds[0].name]
	if want := kinds[0].n - maxInFlight; body.rejected == 0 || (opening < readTimeout && body.rejected < want) {
		t.Errorf("%d of %d requests waiting for their bodies at once were answered 503; want the %d beyond the bound of %d in flight", body.rejected, kinds[0].n, want, maxInFlight)
	}

	// The server is still well, and refuses headers over its cap.
	if code := srv.get(t, client, "/healthz"); code != http.StatusOK {
		t.Errorf("/healthz after the attack = %d", code)
	}
	req, err := http.NewRequest(http.MethodPost, srv.url+"/slack/events", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Pad", strings.Repeat("a", 40<<10))
	if resp, err := client.Do(req); err != nil {
		t.Errorf("40 KiB of headers: %v", err)
	} else {
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("40 KiB of headers = %d, want 431 (the cap is 16 KiB)", resp.StatusCode)
		}
	}
}

// slowBody is the start of a request that declares a body of 1 MiB (the
// limit, so it is not refused up front) and sends 4 KiB of it.
func slowBody() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST /slack/events HTTP/1.1\r\nHost: pollbot\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 1<<20)
	b.WriteString(`{"type":"event_callback","event":{"text":"`)
	b.WriteString(strings.Repeat("x", 4096))
	return b.Bytes()
}

// slowConn is one connection of the attack and what the server did with it.
type slowConn struct {
	kind    string
	closeBy time.Duration
	opened  time.Time
	conn    net.Conn

	// Set by read.
	status        int // of the first answer, if any
	retryAfter    string
	answeredAfter time.Duration
	closed        bool // the server closed it (EOF or reset) before the read deadline
	closedAfter   time.Duration
}

// read reads the server's answers until the server closes the connection or
// the read deadline passes, then closes it.
func (c *slowConn) read() {
	defer c.conn.Close()
	br := bufio.NewReader(c.conn)
	if resp, err := http.ReadResponse(br, nil); err == nil {
		c.status, c.retryAfter, c.answeredAfter = resp.StatusCode, resp.Header.Get("Retry-After"), time.Since(c.opened)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	_, err := io.Copy(io.Discard, br)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return
	}
	c.closed, c.closedAfter = true, time.Since(c.opened)
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

// serveProcess is a `pollbot serve` child process.
type serveProcess struct {
	addr, url string
	pid       int
	logs      *syncBuffer
}

// startServeProcess builds pollbot, starts `pollbot serve` on a free
// loopback port with the embedded store in a temporary directory and
// environ (and nothing else of the test's environment, so no Redis or chat
// platform of the developer's is reached), and waits for /healthz. The
// process is stopped when the test ends, and its log printed if it failed.
func startServeProcess(t *testing.T, environ map[string]string) *serveProcess {
	t.Helper()
	dir := t.TempDir()
	bin := buildPollbot(t, dir)
	addr := freeAddr(t)
	p := &serveProcess{addr: addr, url: "http://" + addr, logs: &syncBuffer{}}
	vars := []string{
		"POLLBOT_DATA=" + filepath.Join(dir, "pollbot.db"),
		"POLLBOT_HTTP_ADDR=" + addr,
		"POLLBOT_LOG_FORMAT=json",
		"POLLBOT_LOG_LEVEL=warn",
	}
	for k, v := range environ {
		vars = append(vars, k+"="+v)
	}
	cmd := exec.Command(bin, "serve", "-deadline-interval", "1m")
	cmd.Dir, cmd.Env = dir, vars
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.pid = cmd.Process.Pid
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("pollbot serve log:\n%s", p.logs.String())
		}
	})
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := client.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-exited:
			t.Fatalf("pollbot serve exited before answering /healthz:\n%s", p.logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("pollbot serve: no /healthz within 15 s: %v\n%s", err, p.logs.String())
		}
	}
}

// buildPollbot builds this package's pollbot into dir. It is built without
// the race detector even under go test -race: the memory measured is the
// released binary's.
func buildPollbot(t *testing.T, dir string) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("the go command is not on PATH; it builds the pollbot under test")
	}
	bin := filepath.Join(dir, "pollbot")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/pollbot/pollbot/cmd/pollbot")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func (p *serveProcess) get(t *testing.T, client *http.Client, path string) int {
	t.Helper()
	resp, err := client.Get(p.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// heapSys is the process's go_memstats_heap_sys_bytes: the address space
// its Go heap has reserved, which estimates the largest the heap has been.
func (p *serveProcess) heapSys(t *testing.T, client *http.Client) int64 {
	t.Helper()
	resp, err := client.Get(p.url + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %d %v", resp.StatusCode, err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "go_memstats_heap_sys_bytes "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				t.Fatalf("go_memstats_heap_sys_bytes %q: %v", rest, err)
			}
			return int64(f)
		}
	}
	t.Fatal("/metrics has no go_memstats_heap_sys_bytes")
	return 0
}

// rss is the process's resident set size in bytes.
func (p *serveProcess) rss(t *testing.T) int64 {
	t.Helper()
	n, err := readRSS(p.pid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// peakRSS samples the process's RSS every interval until ctx ends and
// returns the largest.
func (p *serveProcess) peakRSS(ctx context.Context, interval time.Duration) int64 {
	var peak int64
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if n, err := readRSS(p.pid); err == nil {
			peak = max(peak, n)
		}
		select {
		case <-ctx.Done():
			return peak
		case <-tick.C:
		}
	}
}

func readRSS(pid int) (int64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmRSS %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmRSS in /proc status")
}
