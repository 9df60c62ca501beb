package redisstore

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

// FuzzParseMillis: no stored "at" field makes parseMillis panic; what it
// refuses is errCorrupt; what it accepts is strictly ascending and written
// back by formatMillis as the very text it was read from.
//
//	go test -run '^$' -fuzz=FuzzParseMillis -fuzztime=1m ./storage/redis
func FuzzParseMillis(f *testing.F) {
	for _, s := range []string{"", "1764515045006,1764597845006", "1764597845006", "-10,-7", "2,1", "1,,2", "01", "+1", "1,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := parseMillis(s)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("parseMillis(%q): %v, want errCorrupt", s, err)
			}
			return
		}
		parts := make([]string, len(ms))
		times := make([]time.Time, len(ms))
		for i, n := range ms {
			if i > 0 && n <= ms[i-1] {
				t.Fatalf("parseMillis(%q) = %v: not strictly ascending", s, ms)
			}
			parts[i] = strconv.FormatInt(n, 10)
			times[i] = time.UnixMilli(n)
		}
		if got := strings.Join(parts, ","); got != s {
			t.Fatalf("parseMillis(%q) = %v, which joins to %q", s, ms, got)
		}
		if got := formatMillis(times); got != s {
			t.Fatalf("parseMillis(%q) = %v, which formatMillis writes as %q", s, ms, got)
		}
	})
}
