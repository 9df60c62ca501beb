package redisstore

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/pollbot/pollbot/internal/redistest"
	"github.com/pollbot/pollbot/polls"
	"github.com/pollbot/pollbot/storage/storetest"
)

// harness gives the suite stores with the default key prefix on one
// deployment, opened as pollbot opens them; the suite keeps subtests apart
// by tenant. Reopen is a new client over the same data, as a restarted
// pollbot would have.
func harness(url string) storetest.Harness {
	open := func(t *testing.T) polls.Store {
		t.Helper()
		s, err := Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	return storetest.Harness{
		New:    open,
		Reopen: func(t *testing.T, _ polls.Store) polls.Store { return open(t) },
		Dump:   func(t *testing.T, s polls.Store) map[string]string { return dump(t, s.(*Store)) },
	}
}

// dump returns every key under the store's prefix, on every master, with
// its value as text: the key alone, and for hashes, sets, sorted sets and
// streams one entry per field or member.
func dump(t *testing.T, s *Store) map[string]string {
	t.Helper()
	ctx := t.Context()
	out := map[string]string{}
	var mu sync.Mutex
	put := func(k, v string) { mu.Lock(); out[k] = v; mu.Unlock() }
	err := s.forEachKey(ctx, globEscape(s.prefix)+"*", func(ctx context.Context, key string) error {
		typ, err := s.rdb.Type(ctx, key).Result()
		if err != nil {
			return err
		}
		put(key, "")
		switch typ {
		case "string":
			v, _ := s.rdb.Get(ctx, key).Result()
			put(key, v)
		case "hash":
			h, _ := s.rdb.HGetAll(ctx, key).Result()
			for f, v := range h {
				put(key+"/"+f, v)
			}
		case "set":
			m, _ := s.rdb.SMembers(ctx, key).Result()
			for _, v := range m {
				put(key+"/"+v, "")
			}
		case "zset":
			m, _ := s.rdb.ZRange(ctx, key, 0, -1).Result()
			for _, v := range m {
				put(key+"/"+v, "")
			}
		case "stream":
			es, _ := s.rdb.XRange(ctx, key, "-", "+").Result()
			for _, e := range es {
				put(key+"/"+e.ID, fmt.Sprint(e.Values))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConformance(t *testing.T) {
	storetest.Run(t, harness(singleEnv(t).url))
}

func TestConformanceCluster(t *testing.T) {
	storetest.Run(t, harness(clusterEnv(t).url))
}

// TestConformanceSentinel runs the suite on a master found through one
// sentinel: every new client asks the sentinel for the master first.
func TestConformanceSentinel(t *testing.T) {
	storetest.Run(t, harness(redistest.StartSentinel(t, 1).URL))
}
