package bot

import (
	"testing"
	"time"
)

func TestSeen(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	d := NewSeen(time.Minute, 3)
	if !d.First("a", now) || d.First("a", now) {
		t.Fatal("a second delivery of a was not caught")
	}
	for range 2 {
		if !d.First("", now) {
			t.Error("empty keys must never be deduplicated")
		}
	}
	if !d.First("a", now.Add(2*time.Minute)) {
		t.Error("a was remembered past its TTL")
	}
	// The size bound evicts the oldest keys.
	for _, k := range []string{"b", "c", "d", "e"} {
		d.First(k, now.Add(2*time.Minute))
	}
	if len(d.keys) > 3 || len(d.order) > 3 {
		t.Errorf("cache holds %d keys (%d in order), bound is 3", len(d.keys), len(d.order))
	}
	if d.First("e", now.Add(2*time.Minute)) {
		t.Error("the newest key was evicted")
	}
}
