package redistest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// MasterName is the name the sentinels monitor the master under.
const MasterName = "pollbot"

// Sentinel is a master redis-server, its replicas, and the Sentinel
// processes that monitor them.
type Sentinel struct {
	Master    *Server   // the master the sentinels were started on
	Replicas  []*Server // started with --replicaof Master
	Sentinels []*Server // redis-server --sentinel; their URL is empty
	Addrs     []string  // host:port of every sentinel
	URL       string    // redis+sentinel://addr1,addr2,.../pollbot
}

// SentinelOption configures StartSentinel and NewSentinel.
type SentinelOption func(*sentinelConfig)

type sentinelConfig struct {
	replicas int
}

// WithReplicas starts n replicas of the master (default none) before the
// sentinels, so that each sentinel knows them from its first look at the
// master, and Failover has a replica to promote.
func WithReplicas(n int) SentinelOption { return func(c *sentinelConfig) { c.replicas = n } }

// Sentinel timings: short enough for a test, long enough that a loaded
// machine does not trigger a failover nobody asked for.
const (
	sentinelDownAfter       = 5 * time.Second
	sentinelFailoverTimeout = 5 * time.Second
)

// StartSentinel starts a master (persistence off), any replicas the options
// ask for, and sentinels (at least 1) monitoring the master as MasterName
// with quorum 1. It returns once every sentinel names the master and lists
// every replica as healthy. Everything is stopped when the test ends.
func StartSentinel(tb testing.TB, sentinels int, opts ...SentinelOption) *Sentinel {
	tb.Helper()
	s, err := NewSentinel(tb.TempDir(), sentinels, opts...)
	Check(tb, err)
	tb.Cleanup(s.Stop)
	return s
}

// NewSentinel is StartSentinel outside a test: the processes run in
// subdirectories of dir, and the caller stops them with Stop.
func NewSentinel(dir string, sentinels int, opts ...SentinelOption) (s *Sentinel, err error) {
	if sentinels < 1 {
		return nil, fmt.Errorf("redistest: Sentinel needs at least 1 sentinel, not %d", sentinels)
	}
	var cfg sentinelConfig
	for _, o := range opts {
		o(&cfg)
	}
	bin, err := lookup("redis-server")
	if err != nil {
		return nil, err
	}
	// Sentinel rewrites its configuration file, and needs its full path.
	if dir, err = filepath.Abs(dir); err != nil {
		return nil, err
	}
	s = &Sentinel{}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	// Diskless replication without the default 5 s wait for more replicas;
	// on every node, as any of them may become the master.
	const noSyncDelay = "--repl-diskless-sync-delay"
	if s.Master, err = NewServer(filepath.Join(dir, "master"), noSyncDelay, "0"); err != nil {
		return nil, err
	}
	host, port, _ := net.SplitHostPort(s.Master.Addr)
	for i := range cfg.replicas {
		r, err := NewServer(filepath.Join(dir, "replica"+strconv.Itoa(i)),
			noSyncDelay, "0", "--replicaof", host, port)
		if err != nil {
			return nil, err
		}
		s.Replicas = append(s.Replicas, r)
	}
	// Every replica in sync before the sentinels look at the master, so
	// that their first INFO lists them all.
	if err := s.waitReplicasOnline(); err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	for i := range sentinels {
		sn, err := startSentinelProcess(bin, filepath.Join(dir, "sentinel"+strconv.Itoa(i)), s.Master.Addr)
		if err != nil {
			return nil, err
		}
		s.Sentinels = append(s.Sentinels, sn)
		s.Addrs = append(s.Addrs, sn.Addr)
	}
	s.URL = "redis+sentinel://" + strings.Join(s.Addrs, ",") + "/" + MasterName
	if err := s.waitMonitoring(s.Master.Addr); err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	return s, nil
}

// Stop stops the sentinels first, so that they do not react to the rest
// going away, then the replicas and the master.
func (s *Sentinel) Stop() {
	for _, sn := range s.Sentinels {
		sn.Stop()
	}
	for _, r := range s.Replicas {
		r.Stop()
	}
	if s.Master != nil {
		s.Master.Stop()
	}
}

// MasterAddr returns the master's address as the first sentinel names it.
func (s *Sentinel) MasterAddr() (string, error) {
	reply, err := Do(s.Addrs[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MasterName)
	if err != nil {
		return "", fmt.Errorf("redistest: SENTINEL GET-MASTER-ADDR-BY-NAME on %s: %w", s.Addrs[0], err)
	}
	host, port, ok := strings.Cut(reply, "\n")
	if !ok {
		return "", fmt.Errorf("redistest: SENTINEL GET-MASTER-ADDR-BY-NAME on %s: %q", s.Addrs[0], reply)
	}
	return net.JoinHostPort(host, port), nil
}

// Failover promotes a replica with SENTINEL FAILOVER on the first sentinel
// and returns the new master once it serves as one and every sentinel has
// switched to it (and told its subscribers, as go-redis's failover client). Before that it waits until every replica has caught up with the
// master, so that no write the master acknowledged is lost. The old master
// keeps running; Sentinel turns it into a replica of the new one some
// seconds later (after its next INFO, up to 10 s).
func (s *Sentinel) Failover() (*Server, error) {
	old, err := s.MasterAddr()
	if err != nil {
		return nil, err
	}
	if err := s.waitCaughtUp(old); err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	if _, err := Do(s.Addrs[0], "SENTINEL", "FAILOVER", MasterName); err != nil {
		return nil, fmt.Errorf("redistest: SENTINEL FAILOVER %s: %w", MasterName, err)
	}
	var promoted *Server
	err = poll(startTimeout, func() error {
		addr, err := s.MasterAddr()
		if err != nil {
			return err
		}
		if addr == old {
			return errors.New("the sentinel still names the old master " + old)
		}
		promoted = s.server(addr)
		if promoted == nil {
			return fmt.Errorf("the sentinel names %s, none of ours", addr)
		}
		if info, err := Do(addr, "INFO", "replication"); err != nil || infoField(info, "role") != "master" {
			return fmt.Errorf("%s is not a master yet: %v", addr, err)
		}
		return s.checkMonitoring(addr)
	})
	if err != nil {
		return nil, fmt.Errorf("redistest: failover from %s: %w", old, err)
	}
	return promoted, nil
}

// servers returns the master the sentinels were started on and the replicas.
func (s *Sentinel) servers() []*Server {
	return append([]*Server{s.Master}, s.Replicas...)
}

// server returns the server at addr, or nil.
func (s *Sentinel) server(addr string) *Server {
	for _, srv := range s.servers() {
		if srv.Addr == addr {
			return srv
		}
	}
	return nil
}

func startSentinelProcess(bin, dir, masterAddr string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	conf := filepath.Join(dir, "sentinel.conf")
	host, mport, err := net.SplitHostPort(masterAddr)
	if err != nil {
		return nil, err
	}
	var last error
	for range 5 {
		port, err := freePort(false)
		if err != nil {
			return nil, err
		}
		// Written afresh for each port: a sentinel that started rewrote it.
		text := strings.Join([]string{
			"port " + strconv.Itoa(port),
			"bind 127.0.0.1",
			"dir " + quoteConf(dir),
			`logfile "redis.log"`,
			"daemonize no",
			"sentinel resolve-hostnames no",
			fmt.Sprintf("sentinel monitor %s %s %s 1", MasterName, host, mport),
			fmt.Sprintf("sentinel down-after-milliseconds %s %d", MasterName, sentinelDownAfter.Milliseconds()),
			fmt.Sprintf("sentinel failover-timeout %s %d", MasterName, sentinelFailoverTimeout.Milliseconds()),
		}, "\n") + "\n"
		if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
			return nil, err
		}
		s := &Server{
			Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			Dir:  dir,
			bin:  bin,
			args: []string{conf, "--sentinel"},
		}
		if last = s.start(); last == nil {
			return s, nil
		}
	}
	return nil, fmt.Errorf("redistest: start sentinel: %w", last)
}

// quoteConf quotes s for a Redis configuration file.
func quoteConf(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// waitReplicasOnline polls every replica until its link to the master is up.
func (s *Sentinel) waitReplicasOnline() error {
	return poll(startTimeout, func() error {
		for _, r := range s.Replicas {
			info, err := Do(r.Addr, "INFO", "replication")
			if err != nil {
				return err
			}
			if infoField(info, "master_link_status") != "up" {
				return fmt.Errorf("replica %s not in sync with %s", r.Addr, s.Master.Addr)
			}
		}
		return nil
	})
}

// waitMonitoring polls every sentinel until checkMonitoring is satisfied.
func (s *Sentinel) waitMonitoring(master string) error {
	return poll(startTimeout, func() error { return s.checkMonitoring(master) })
}

// checkMonitoring reports whether every sentinel names master, has it on
// record as the master (no failover in progress), and, while
// that is the master they were started on, lists every replica as healthy
// (a replica of master, connected, its INFO read): only such a replica can
// be promoted. After a failover the old master becomes a replica only
// later, so then only the master's address is checked.
func (s *Sentinel) checkMonitoring(master string) error {
	host, port, err := net.SplitHostPort(master)
	if err != nil {
		return err
	}
	for _, addr := range s.Addrs {
		got, err := Do(addr, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MasterName)
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", addr, err)
		}
		if got != host+"\n"+port {
			return fmt.Errorf("sentinel %s names master %q, want %s", addr, got, master)
		}
		// During a failover, the sentinel names the promoted replica
		// before it has switched its own record to it and told its
		// subscribers (+switch-master).
		reply, err := Do(addr, "SENTINEL", "MASTER", MasterName)
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", addr, err)
		}
		if m := parseInstances(reply); len(m) != 1 || m[0]["ip"] != host || m[0]["port"] != port || m[0]["flags"] != "master" {
			return fmt.Errorf("sentinel %s: master %s not settled: %q", addr, master, reply)
		}
		if master != s.Master.Addr {
			continue
		}
		reply, err = Do(addr, "SENTINEL", "REPLICAS", MasterName)
		if err != nil {
			return fmt.Errorf("sentinel %s: %w", addr, err)
		}
		healthy := map[string]bool{}
		for _, r := range parseInstances(reply) {
			if r["flags"] == "slave" && r["master-link-status"] == "ok" &&
				r["master-host"]+":"+r["master-port"] == master {
				healthy[r["ip"]+":"+r["port"]] = true
			}
		}
		for _, r := range s.Replicas {
			if !healthy[r.Addr] {
				return fmt.Errorf("sentinel %s does not list %s as a healthy replica of %s", addr, r.Addr, master)
			}
		}
	}
	return nil
}

// parseInstances reads SENTINEL MASTER or REPLICAS as Do returns them:
// every instance's field-value pairs one per line, each instance starting
// with "name".
func parseInstances(reply string) []map[string]string {
	var out []map[string]string
	lines := strings.Split(reply, "\n")
	for i := 0; i+1 < len(lines); i += 2 {
		if lines[i] == "name" {
			out = append(out, map[string]string{})
		}
		if len(out) > 0 {
			out[len(out)-1][lines[i]] = lines[i+1]
		}
	}
	return out
}

// waitCaughtUp polls until every replica of master has applied all the
// replication stream master had produced when it was called.
func (s *Sentinel) waitCaughtUp(master string) error {
	info, err := Do(master, "INFO", "replication")
	if err != nil {
		return err
	}
	target, err := strconv.ParseInt(infoField(info, "master_repl_offset"), 10, 64)
	if err != nil {
		return fmt.Errorf("master_repl_offset of %s: %w", master, err)
	}
	host, port, err := net.SplitHostPort(master)
	if err != nil {
		return err
	}
	return poll(startTimeout, func() error {
		for _, r := range s.servers() {
			if r.Addr == master {
				continue
			}
			info, err := Do(r.Addr, "INFO", "replication")
			if err != nil {
				return err
			}
			if infoField(info, "master_host") != host || infoField(info, "master_port") != port {
				continue // not a replica of master
			}
			off, _ := strconv.ParseInt(infoField(info, "slave_repl_offset"), 10, 64)
			if off < target {
				return fmt.Errorf("replica %s at offset %d, master %s at %d", r.Addr, off, master, target)
			}
		}
		return nil
	})
}

// infoField returns a field of an INFO reply.
func infoField(info, name string) string {
	for line := range strings.SplitSeq(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// poll calls check every 10 ms until it returns nil, or returns its last
// error once timeout has passed.
func poll(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not within %v: %w", timeout, err)
		}
		<-tick.C
	}
}
