package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of masters without replicas.
type Cluster struct {
	Nodes []*Server
	Addrs []string // host:port of every master
	URL   string   // redis+cluster://addr1,addr2,...
}

// StartCluster starts masters (at least 3) cluster-enabled redis-server
// processes, joins them with `redis-cli --cluster create`, and waits until
// every node reports cluster_state:ok. It is stopped when the test ends.
func StartCluster(tb testing.TB, masters int) *Cluster {
	tb.Helper()
	c, err := NewCluster(tb.TempDir(), masters)
	Check(tb, err)
	tb.Cleanup(c.Stop)
	return c
}

// NewCluster is StartCluster outside a test: the nodes run in
// subdirectories of dir, and the caller stops them with Stop.
func NewCluster(dir string, masters int) (c *Cluster, err error) {
	if masters < 3 {
		return nil, fmt.Errorf("redistest: a Redis Cluster needs at least 3 masters, not %d", masters)
	}
	bin, err := lookup("redis-server")
	if err != nil {
		return nil, err
	}
	cli, err := lookup("redis-cli")
	if err != nil {
		return nil, err
	}
	c = &Cluster{}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	for i := range masters {
		s, err := startClusterNode(bin, filepath.Join(dir, "node"+strconv.Itoa(i)))
		if err != nil {
			return nil, err
		}
		c.Nodes = append(c.Nodes, s)
		c.Addrs = append(c.Addrs, s.Addr)
	}
	c.URL = "redis+cluster://" + strings.Join(c.Addrs, ",")

	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("redistest: redis-cli --cluster create: %w\n%s", err, out)
	}
	if err := c.waitOK(); err != nil {
		return nil, fmt.Errorf("redistest: %w", err)
	}
	return c, nil
}

// Stop stops every node.
func (c *Cluster) Stop() {
	for _, s := range c.Nodes {
		s.Stop()
	}
}

func startClusterNode(bin, dir string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var last error
	for range 5 {
		port, err := freePort(true)
		if err != nil {
			return nil, err
		}
		s := newServer(bin, dir, port, []string{
			"--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "5000",
		})
		if last = s.start(); last == nil {
			return s, nil
		}
		_ = os.Remove(filepath.Join(dir, "nodes.conf"))
	}
	return nil, fmt.Errorf("redistest: start cluster node: %w", last)
}

// waitOK polls CLUSTER INFO on every node until all say cluster_state:ok
// and know every other node: only then does any node a client asks for the
// slot map give a complete one.
func (c *Cluster) waitOK() error {
	deadline := time.Now().Add(startTimeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var pending []string
		for _, addr := range c.Addrs {
			info, err := Do(addr, "CLUSTER", "INFO")
			if err != nil || !strings.Contains(info, "cluster_state:ok") ||
				!strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(c.Addrs))+"\r\n") {
				pending = append(pending, addr)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster not ok within %v on %s", startTimeout, strings.Join(pending, ", "))
		}
		<-tick.C
	}
}
