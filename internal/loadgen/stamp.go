package loadgen

import (
	"strconv"
	"time"
)

// A click carries the moment it was due, so that the sink can tell how
// long its confirmation took without a table shared with the generator:
// Slack clicks in their response_url (".../<user>/<n>.<stamp>"), Discord
// clicks in their interaction token ("lg-<user>-<n>.<stamp>"). Either way
// the stamp follows the click's number after a dot, so whatever tells a
// click by its number (the last path segment, the token) tells it still. A stamp is
// nanoseconds since this package was loaded, on the monotonic clock, so it
// means something only to the process that made it: the sink and the
// clients must share one, as they do in pollbench.
var epoch = time.Now()

// stampOf is t as a stamp; never negative.
func stampOf(t time.Time) int64 { return max(int64(t.Sub(epoch)), 0) }

// appendStamp appends the decimal stamp of t.
func appendStamp(dst []byte, t time.Time) []byte { return strconv.AppendInt(dst, stampOf(t), 10) }

// stampAge is how long ago the stamp s was made; ok is false when s is
// not a stamp (not decimal digits) or lies in the future.
func stampAge(s string, now time.Time) (time.Duration, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false
	}
	age := now.Sub(epoch) - time.Duration(n)
	if age < 0 {
		return 0, false
	}
	return age, true
}
