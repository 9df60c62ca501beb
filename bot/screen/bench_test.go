package screen_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// The viewers of BenchmarkViewers run in a child process (this test
// binary, running TestViewerClients), so that the benchmark's process
// holds the server alone and its memory and CPU are the server's.
const clientsEnv = "POLLBOT_SCREEN_BENCH_CLIENTS" // "<stream URL> <viewers>"

// TestViewerClients is the child of BenchmarkViewers: it opens the
// viewers' streams, says "ready" when all are open, reads frames until its
// standard input closes, then prints the frames each viewer received
// (least, most) and exits. Without the environment variable it does
// nothing.
func TestViewerClients(t *testing.T) {
	spec := os.Getenv(clientsEnv)
	if spec == "" {
		t.Skip("the child process of BenchmarkViewers")
	}
	raw, nStr, _ := strings.Cut(spec, " ")
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(nStr)
	frames := make([]atomic.Int64, n)
	var conns []net.Conn
	var opened sync.WaitGroup
	for i := range n {
		c, err := net.Dial("tcp", u.Host)
		if err != nil {
			t.Fatalf("viewer %d: %v", i, err)
		}
		conns = append(conns, c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\n\r\n", u.RequestURI(), u.Host)
		opened.Add(1)
		go func() {
			r := bufio.NewReaderSize(c, 4096)
			first := true
			for {
				line, err := r.ReadSlice('\n')
				if err != nil && err != bufio.ErrBufferFull {
					return
				}
				if first {
					first = false
					opened.Done()
				}
				if bytes.HasPrefix(line, []byte("event: frame")) {
					frames[i].Add(1)
				}
			}
		}()
	}
	opened.Wait()
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	least, most := int64(1<<62), int64(0)
	for i := range frames {
		least, most = min(least, frames[i].Load()), max(most, frames[i].Load())
	}
	fmt.Printf("frames %d %d\n", least, most)
	for _, c := range conns {
		c.Close()
	}
}

// cpu is the process's CPU time so far.
func cpu() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// heap is the memory the Go runtime holds for the heap and the stacks
// in use, after a collection.
func heap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse + m.StackInuse
}

// voteEvery is how often each of the benchmark's clients votes: 50 of
// them make 500 votes a second, far more than a room casts, at the same
// rate whether viewers watch or not, so that the difference in CPU between
// the two is the viewers'.
const voteEvery = 100 * time.Millisecond

// voteFor runs voters clients casting ballots for d, each every
// voteEvery, and returns how many votes they cast.
func (e *env) voteFor(p *polls.Poll, voters int, d time.Duration) int64 {
	var cast atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(d)
	for v := range voters {
		wg.Go(func() {
			voter := polls.Voter{Tenant: p.Tenant, User: fmt.Sprint("bench-", v)}
			if _, _, err := e.svc.SetGroup(context.Background(), voter, []string{"government", "civil-society", "academia", "private-sector", "technical-community"}[v%5]); err != nil {
				e.t.Error(err)
				return
			}
			tick := time.NewTicker(voteEvery)
			defer tick.Stop()
			for i := 0; time.Now().Before(stop); i++ {
				<-tick.C
				m := len(p.Themes)
				choices := []int{i % m, (i + 1 + v%(m-1)) % m}[:1+i%2]
				if _, err := e.svc.Cast(context.Background(), voter, p.ID, choices); err != nil {
					e.t.Error(err)
					return
				}
				cast.Add(1)
			}
		})
	}
	wg.Wait()
	return cast.Load()
}

// BenchmarkViewers holds 1,000 viewers of one poll's screen (a poll of ten
// themes) on one server while 50 clients vote, and reports what a viewer costs the server: its
// memory (heap and stacks, after a collection, with the viewers connected
// against before) and its CPU time per second of voting (with the viewers
// against the same voting without them, measured in the same run). The
// viewers run in a child process. Run it with -benchtime 1x:
//
//	go test ./bot/screen -run '^$' -bench Viewers -benchtime 1x
func BenchmarkViewers(b *testing.B) {
	for b.Loop() {
		runViewers(b, 1000, 50, 5*time.Second)
	}
}

func runViewers(b *testing.B, viewers, voters int, voting time.Duration) {
	e := newEnv(b)
	// The demo's ten themes, so that frames are the size of a real
	// poll's.
	p := e.open("IGF BPF Cybersecurity: which theme should we work on?", polls.Options{},
		"DNSSEC", "DNS abuse", "Critical success factors in cybersecurity", "Responsible disclosure", "Tools for prevention",
		"Privacy", "BCP38 (DDoS mitigation)", "Enforcement", "Education and awareness", "Collaboration and cooperation among actors")
	link := e.url(p)

	// Voting without viewers: the baseline of CPU.
	cpu0 := cpu()
	votes0 := e.voteFor(p, voters, voting)
	cpuAlone := cpu() - cpu0

	before := heap()
	child := exec.Command(os.Args[0], "-test.run=^TestViewerClients$", "-test.v")
	child.Env = append(os.Environ(), clientsEnv+"="+link+"/events "+strconv.Itoa(viewers))
	stdin, _ := child.StdinPipe()
	stdout, _ := child.StdoutPipe()
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		b.Fatal(err)
	}
	defer child.Process.Kill()
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "ready" {
	}
	for deadline := time.Now().Add(30 * time.Second); e.screen.Stats().Viewers < int64(viewers); {
		if time.Now().After(deadline) {
			b.Fatalf("%d viewers connected, want %d", e.screen.Stats().Viewers, viewers)
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(time.Second) // the first frames written
	held := heap()
	rss := rssBytes()

	cpu1 := cpu()
	votes1 := e.voteFor(p, voters, voting)
	cpuWatched := cpu() - cpu1
	time.Sleep(time.Second) // the last frame delivered
	stdin.Close()
	var least, most int64
	for lines.Scan() {
		if _, err := fmt.Sscanf(lines.Text(), "frames %d %d", &least, &most); err == nil {
			break
		}
	}
	_ = child.Wait()

	perViewer := float64(held-before) / float64(viewers)
	cpuPerViewer := (cpuWatched.Seconds()/voting.Seconds() - cpuAlone.Seconds()/voting.Seconds()) / float64(viewers)
	b.ReportMetric(perViewer, "heap-B/viewer")
	b.ReportMetric(float64(rss)/float64(viewers), "rss-B/viewer")
	b.ReportMetric(cpuPerViewer*1e6, "cpu-µs/viewer/s")
	b.ReportMetric(float64(votes0)/voting.Seconds(), "votes/s-alone")
	b.ReportMetric(float64(votes1)/voting.Seconds(), "votes/s-watched")
	b.ReportMetric(float64(least), "frames-min/viewer")
	b.ReportMetric(float64(len(e.frameSize(link))), "frame-B")
	b.Logf("frames of %.1f KiB; %d viewers: %.1f KiB heap each (%.1f MiB in all), process RSS %.1f MiB; CPU %.0f ms/s voting alone, %.0f ms/s watched: %.1f µs/s per viewer; %d votes/s alone, %d watched; frames per viewer %d to %d in %v",
		float64(len(e.frameSize(link)))/1024, viewers, perViewer/1024, float64(held-before)/(1<<20), float64(rss)/(1<<20),
		1000*cpuAlone.Seconds()/voting.Seconds(), 1000*cpuWatched.Seconds()/voting.Seconds(), cpuPerViewer*1e6,
		int(float64(votes0)/voting.Seconds()), int(float64(votes1)/voting.Seconds()), least, most, voting)
	if most > int64(2*voting/time.Second)+4 {
		b.Errorf("a viewer got %d frames in %v: more than two a second", most, voting)
	}
	if least < 2 {
		b.Errorf("a viewer got %d frames while votes arrived", least)
	}
}

// rssBytes is the process's resident memory (Linux; 0 elsewhere).
func rssBytes() int64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// frameSize returns the page's live part as the stream sends it.
func (e *env) frameSize(link string) []byte {
	resp, err := http.Get(link)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	start, end := bytes.Index(body, []byte(`<main id="live">`)), bytes.Index(body, []byte(`</main>`))
	if start < 0 || end < start {
		e.t.Fatal("no live part in the page")
	}
	return body[start:end]
}
