package kit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// countingReader serves data, then err (io.EOF when nil), counting the
// bytes read.
type countingReader struct {
	data []byte
	err  error
	n    int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		return 0, io.EOF
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	c.n += n
	return n, nil
}

func TestReadBody(t *testing.T) {
	const limit = 1000
	tests := []struct {
		name     string
		body     []byte
		err      error // after body; nil: EOF
		declared int64 // Content-Length; -1 unknown
		code     int   // 0: read
		maxRead  int
	}{
		{"empty", nil, nil, 0, 0, 0},
		{"small", []byte("token=x"), nil, 7, 0, 7},
		{"exactly the limit", bytes.Repeat([]byte("a"), limit), nil, limit, 0, limit},
		{"exactly the limit, length unknown", bytes.Repeat([]byte("a"), limit), nil, -1, 0, limit},
		{"declared over the limit", bytes.Repeat([]byte("a"), limit+1), nil, limit + 1, http.StatusRequestEntityTooLarge, 0},
		{"over the limit, length unknown", bytes.Repeat([]byte("a"), 10*limit), nil, -1, http.StatusRequestEntityTooLarge, limit + 1},
		{"declared the limit, sent more", bytes.Repeat([]byte("a"), 10*limit), nil, limit, http.StatusRequestEntityTooLarge, limit + 1},
		{"cut off", []byte("token="), io.ErrUnexpectedEOF, limit, http.StatusBadRequest, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &countingReader{data: tt.body, err: tt.err}
			r := httptest.NewRequest(http.MethodPost, "/slack/events", src)
			r.ContentLength = tt.declared
			w := httptest.NewRecorder()
			body, ok := ReadBody(w, r, limit)
			if src.n > tt.maxRead {
				t.Errorf("read %d bytes, want at most %d", src.n, tt.maxRead)
			}
			if tt.code == 0 {
				if !ok || !bytes.Equal(body, tt.body) {
					t.Errorf("ReadBody = %d bytes, %v; want the %d-byte body", len(body), ok, len(tt.body))
				}
				if w.Code != http.StatusOK || w.Body.Len() != 0 {
					t.Errorf("answered %d %q to a body it read", w.Code, w.Body)
				}
				return
			}
			if ok || body != nil {
				t.Errorf("ReadBody = %d bytes, %v; want none, false", len(body), ok)
			}
			if w.Code != tt.code {
				t.Errorf("HTTP %d %q, want %d", w.Code, w.Body, tt.code)
			}
			if tt.code == http.StatusRequestEntityTooLarge {
				if want := fmt.Sprintf("at most %d bytes", limit); !strings.Contains(w.Body.String(), want) {
					t.Errorf("413 %q does not name the limit (%q)", w.Body, want)
				}
				if w.Header().Get("Connection") != "close" {
					t.Error("413 does not close the connection; the server would drain the rest of the body")
				}
			}
		})
	}
}

// TestReadBodyMemoryFollowsWhatArrives: a request that declares the 1 MiB
// limit and sends 10 bytes costs a few KiB, not the megabyte it declared,
// whether its body ends or the client hangs up.
func TestReadBodyMemoryFollowsWhatArrives(t *testing.T) {
	for _, cutOff := range []bool{false, true} {
		t.Run(fmt.Sprintf("cut off %v", cutOff), func(t *testing.T) {
			const runs = 100
			reqs := make([]*http.Request, runs)
			recs := make([]*httptest.ResponseRecorder, runs)
			for i := range reqs {
				src := &countingReader{data: []byte("token=abcd")}
				if cutOff {
					src.err = io.ErrUnexpectedEOF
				}
				reqs[i] = httptest.NewRequest(http.MethodPost, "/slack/events", src)
				reqs[i].ContentLength = MaxBody
				recs[i] = httptest.NewRecorder()
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			for i := range reqs {
				body, ok := ReadBody(recs[i], reqs[i], MaxBody)
				if ok != !cutOff || (ok && string(body) != "token=abcd") {
					t.Fatalf("ReadBody = %q, %v", body, ok)
				}
			}
			runtime.ReadMemStats(&after)
			perCall := (after.TotalAlloc - before.TotalAlloc) / runs
			t.Logf("%d bytes allocated per call", perCall)
			if perCall > 16<<10 {
				t.Errorf("a request declaring %d bytes and sending 10 allocated %d bytes, want a few KiB", MaxBody, perCall)
			}
		})
	}
}

// TestReadUpToGrowsWithTheBody: the buffer starts at a few KiB and at most
// doubles what arrived, never past limit+1.
func TestReadUpToGrowsWithTheBody(t *testing.T) {
	const limit = MaxBody
	for _, n := range []int{0, 10, firstRead - 1, firstRead, firstRead + 1, 100_000, limit - 1, limit} {
		buf, err := readUpTo(&countingReader{data: bytes.Repeat([]byte("x"), n)}, limit, -1)
		if err != nil || len(buf) != n {
			t.Errorf("%d bytes: read %d, %v", n, len(buf), err)
			continue
		}
		if want := min(max(firstRead, 2*n), limit+1); cap(buf) > want {
			t.Errorf("%d bytes: buffer of %d, want at most %d", n, cap(buf), want)
		}
	}
	src := &countingReader{data: bytes.Repeat([]byte("x"), 3*limit)}
	if _, err := readUpTo(src, limit, -1); !errors.Is(err, errTooLarge) || src.n != limit+1 {
		t.Errorf("3 MiB: %v after %d bytes, want errTooLarge after %d", err, src.n, limit+1)
	}
}

// TestReadUpToKnownLength: a body that says its small length is read into
// a buffer of that length and one byte, which finds its end; a body that
// says less than it sends is still read whole, and one that says more
// than firstRead starts at firstRead as any other.
func TestReadUpToKnownLength(t *testing.T) {
	for _, tc := range []struct {
		n, length, wantCap int
	}{{1200, 1200, 1201}, {0, 0, 1}, {5000, 100, 0}, {100, 5000, firstRead}, {100, 200, 201}} {
		buf, err := readUpTo(&countingReader{data: bytes.Repeat([]byte("x"), tc.n)}, MaxBody, int64(tc.length))
		if err != nil || len(buf) != tc.n {
			t.Errorf("%d bytes saying %d: read %d, %v", tc.n, tc.length, len(buf), err)
			continue
		}
		if tc.wantCap > 0 && cap(buf) != tc.wantCap {
			t.Errorf("%d bytes saying %d: buffer of %d, want %d", tc.n, tc.length, cap(buf), tc.wantCap)
		}
	}
}
