package bounded

import (
	"sync"
	"testing"
)

// TestMap: a value is built once and then found; the map never holds
// more than its bound; concurrent use is safe (go test -race).
func TestMap(t *testing.T) {
	var m Map[int, string]
	builds := 0
	for range 3 {
		if v := m.Load(1, 4, func() string { builds++; return "one" }); v != "one" {
			t.Fatalf("Load = %q", v)
		}
	}
	if builds != 1 {
		t.Errorf("built %d times, want once", builds)
	}
	for i := range 100 {
		m.Put(i, "x", 4)
		if m.Len() > 4 {
			t.Fatalf("holds %d keys, bound 4", m.Len())
		}
	}
	if _, ok := m.Get(99); !ok {
		t.Error("the last key put is not found")
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1000 {
				m.Load(g*1000+i, 64, func() string { return "v" })
			}
		})
	}
	wg.Wait()
}
