package redisstore

import (
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
	}
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
