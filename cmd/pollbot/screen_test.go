package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// runAt runs pollbot in-process with the demo's session ending at now.
func runAt(t *testing.T, now time.Time, environ map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := env{in: strings.NewReader(""), out: &out, err: &errb, getenv: func(k string) string { return environ[k] },
		now: func() time.Time { return now }}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code = run(ctx, args, e)
	return code, out.String(), errb.String()
}

var pollID = regexp.MustCompile(`poll ([0-9A-Z]{4})\b`)

// TestDemoTimelineGolden pins the demo's timeline, as text and as JSON:
// which statuses each theme went through, when, and its score over time,
// in a session replayed on its own clock (here ending at a fixed time).
// The poll id differs per run and is replaced.
func TestDemoTimelineGolden(t *testing.T) {
	dir := t.TempDir()
	end := time.Date(2026, 5, 12, 15, 30, 0, 0, time.UTC)
	code, stdout, stderr := runAt(t, end, map[string]string{"POLLBOT_LOG_LEVEL": "warn"}, "demo", "-out", dir)
	if code != 0 {
		t.Fatalf("demo exited %d\n%s\n%s", code, stdout, stderr)
	}
	m := pollID.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("no poll id in the demo's output:\n%s", stdout)
	}
	id := m[1]
	db := filepath.Join(dir, "demo.db")
	for _, f := range []struct{ format, golden string }{{"text", "demo-timeline.txt"}, {"json", "demo-timeline.json"}} {
		code, out, stderr := runCmd(t, nil, "", "timeline", "-data", db, "-tenant", "demo", "-format", f.format, id)
		if code != 0 {
			t.Fatalf("timeline -format %s: %d %s", f.format, code, stderr)
		}
		got := []byte(strings.ReplaceAll(out, id, "ID"))
		path := filepath.Join("testdata", f.golden)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test -run TestDemoTimelineGolden -update creates it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("the demo's timeline (%s) differs from %s (go test -run TestDemoTimelineGolden -update rewrites it; review the diff):\n%s", f.format, path, got)
		}
	}
	// The chart and the CSV are there too.
	code, out, _ := runCmd(t, nil, "", "timeline", "-data", db, "-tenant", "demo", "-format", "png", id)
	if code != 0 || !strings.HasPrefix(out, "\x89PNG") {
		t.Errorf("timeline -format png: exit %d, %d bytes", code, len(out))
	}
	code, out, _ = runCmd(t, nil, "", "timeline", "-data", db, "-tenant", "demo", "-format", "csv", id)
	if code != 0 || !strings.HasPrefix(out, "rank,theme,at,status,score\n1,Collaboration and cooperation among actors,") {
		t.Errorf("timeline -format csv: exit %d\n%.300s", code, out)
	}
	if code, _, stderr := runCmd(t, nil, "", "timeline", "-data", db, "-tenant", "demo", "-format", "yaml", id); code != 1 || !strings.Contains(stderr, `"yaml" is not text, json, csv, png`) {
		t.Errorf("timeline -format yaml: %d %s", code, stderr)
	}
	if code, _, stderr := runCmd(t, nil, "", "timeline", "-data", db, "-tenant", "demo", "NOPE"); code != 1 || !strings.Contains(stderr, "no poll NOPE") {
		t.Errorf("timeline of a missing poll: %d %s", code, stderr)
	}
}

const testLinkKey = "pollbot-test-link-key-0123456789abcdef"

// TestScreenLink: pollbot screen prints a link that serve, sharing the key,
// accepts; without a key it says what to set; with a public URL the link
// starts with it.
func TestScreenLink(t *testing.T) {
	dir := t.TempDir()
	code, stdout, stderr := runCmd(t, map[string]string{"POLLBOT_LOG_LEVEL": "warn"}, "", "demo", "-out", dir)
	if code != 0 {
		t.Fatalf("demo: %d %s", code, stderr)
	}
	id := pollID.FindStringSubmatch(stdout)[1]
	db := filepath.Join(dir, "demo.db")
	code, _, stderr = runCmd(t, nil, "", "screen", "-data", db, "-tenant", "demo", id)
	if code != 1 || !strings.Contains(stderr, "set POLLBOT_LINK_KEY") {
		t.Errorf("screen without a key: %d %s", code, stderr)
	}
	code, _, stderr = runCmd(t, map[string]string{"POLLBOT_LINK_KEY": "short"}, "", "screen", "-data", db, "-tenant", "demo", id)
	if code != 1 || !strings.Contains(stderr, "at least 32 bytes") {
		t.Errorf("screen with a short key: %d %s", code, stderr)
	}
	code, out, stderr := runCmd(t, map[string]string{"POLLBOT_LINK_KEY": testLinkKey, "POLLBOT_PUBLIC_URL": "https://pollbot.example.org/"}, "", "screen", "-data", db, "-tenant", "demo", id)
	if code != 0 || !regexp.MustCompile(`^https://pollbot\.example\.org/screen/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\n$`).MatchString(out) {
		t.Errorf("screen with a public URL: %d %q %s", code, out, stderr)
	}
	if code, _, stderr := runCmd(t, map[string]string{"POLLBOT_LINK_KEY": testLinkKey, "POLLBOT_PUBLIC_URL": "ftp://x"}, "", "screen", "-data", db, "-tenant", "demo", id); code != 1 || !strings.Contains(stderr, "POLLBOT_PUBLIC_URL") {
		t.Errorf("screen with a bad public URL: %d %s", code, stderr)
	}

	// serve, with the same key, shows the page the link points at.
	addr := freeAddr(t)
	code, out, stderr = runCmd(t, map[string]string{"POLLBOT_LINK_KEY": testLinkKey, "POLLBOT_HTTP_ADDR": addr}, "", "screen", "-data", db, "-tenant", "demo", id)
	if code != 0 || !strings.HasPrefix(out, "http://"+addr+"/screen/") {
		t.Fatalf("screen for a local serve: %d %q %s", code, out, stderr)
	}
	link := strings.TrimSpace(out)
	stop := startServe(t, map[string]string{"POLLBOT_DATA": db, "POLLBOT_HTTP_ADDR": addr, "POLLBOT_LINK_KEY": testLinkKey})
	defer stop()
	resp, body := httpGet(t, link)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "IGF BPF Cybersecurity") || !strings.Contains(body, "How consensus emerged") {
		t.Errorf("serve's page for the link: %d %.300s", resp.StatusCode, body)
	}
	if resp, _ := httpGet(t, link+"x"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an altered link: %d", resp.StatusCode)
	}
	// While serve holds the embedded store, the link is still printed.
	code, out, stderr = runCmd(t, map[string]string{"POLLBOT_LINK_KEY": testLinkKey, "POLLBOT_HTTP_ADDR": addr}, "", "screen", "-data", db, "-tenant", "demo", id)
	if code != 0 || strings.TrimSpace(out) == "" || !strings.Contains(stderr, "in use") {
		t.Errorf("screen while serve holds the store: %d %q %s", code, out, stderr)
	}
}

// startServe runs pollbot serve in-process until the returned func stops
// it, waiting until it answers.
func startServe(t *testing.T, environ map[string]string) (stop func()) {
	t.Helper()
	var logs syncBuffer
	e := env{in: strings.NewReader(""), out: io.Discard, err: &logs, getenv: func(k string) string { return environ[k] }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve"}, e) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get("http://" + environ["POLLBOT_HTTP_ADDR"] + "/healthz")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve never answered; logs:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("serve exited %d:\n%s", code, logs.String())
			}
		case <-time.After(15 * time.Second):
			t.Errorf("serve did not stop; logs:\n%s", logs.String())
		}
	}
}

func httpGet(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestShellScreen: pollbot shell -screen serves the live screen of the
// shell's polls and prints each one's link when it opens.
func TestShellScreen(t *testing.T) {
	db := filepath.Join(t.TempDir(), "pollbot.db")
	in, feed := io.Pipe()
	var out syncBuffer
	e := env{in: in, out: &out, err: &out, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"shell", "-data", db, "-screen", "127.0.0.1:0"}, e) }()
	io.WriteString(feed, "/poll open \"Theme for 2027\" \"DNSSEC\" \"Privacy\"\n")
	linkRe := regexp.MustCompile(`Live screen of poll ([0-9A-Z]{4}): (http://127\.0\.0\.1:\d+/screen/\S+)`)
	var m []string
	for deadline := time.Now().Add(10 * time.Second); m == nil; {
		m = linkRe.FindStringSubmatch(out.String())
		if time.Now().After(deadline) {
			t.Fatalf("no link printed:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, body := httpGet(t, m[2])
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Theme for 2027") {
		t.Errorf("the shell's screen: %d %.300s", resp.StatusCode, body)
	}
	io.WriteString(feed, "/as alice government\n/poll vote "+m[1]+" 1\n")
	for deadline := time.Now().Add(10 * time.Second); ; {
		if _, body := httpGet(t, m[2]); strings.Contains(body, "1 ballot from 1 group") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the vote never showed on the screen")
		}
		time.Sleep(50 * time.Millisecond)
	}
	io.WriteString(feed, "/quit\n")
	feed.Close()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("shell exited %d:\n%s", code, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("shell did not stop")
	}
	if !strings.HasPrefix(out.String(), "Live screens at http://127.0.0.1:") {
		t.Errorf("the shell does not say where the screens are:\n%.300s", out.String())
	}
}

// TestDemoLive: pollbot demo -live serves the screen, prints its link and
// casts the ballots over the given time; the page shows them arriving, and
// the demo stops when asked.
func TestDemoLive(t *testing.T) {
	var out syncBuffer
	e := env{in: strings.NewReader(""), out: &out, err: &out, getenv: func(k string) string {
		return map[string]string{"POLLBOT_LOG_LEVEL": "warn"}[k]
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-out", t.TempDir(), "-live", "-live-addr", "127.0.0.1:0", "-live-duration", "3s"}, e)
	}()
	linkRe := regexp.MustCompile(`Live screen, to open in a browser: (http://127\.0\.0\.1:\d+/screen/\S+)`)
	var link string
	for deadline := time.Now().Add(10 * time.Second); link == ""; {
		if m := linkRe.FindStringSubmatch(out.String()); m != nil {
			link = m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no link printed:\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	seen := map[string]bool{}
	ballots := regexp.MustCompile(`(\d+) ballots? from`)
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "stays up"); {
		if _, body := httpGet(t, link); ballots.MatchString(body) {
			seen[ballots.FindStringSubmatch(body)[1]] = true
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo did not finish:\n%s", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(seen) < 3 {
		t.Errorf("the screen showed the ballots at %d moments (%v), want them arriving over time", len(seen), seen)
	}
	for deadline := time.Now().Add(5 * time.Second); ; {
		_, body := httpGet(t, link)
		if strings.Contains(body, "61 ballots from 6 groups") && strings.Contains(body, ">Closed<") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the replay the screen shows:\n%s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("demo -live exited %d:\n%s", code, out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("demo -live did not stop")
	}
}
