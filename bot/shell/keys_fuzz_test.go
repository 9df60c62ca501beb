package shell

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
)

// chunks is a terminal that delivers data in chunks of n bytes, then ends.
type chunks struct {
	data []byte
	n    int
}

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := min(c.n, len(c.data), len(p))
	copy(p, c.data[:k])
	c.data = c.data[k:]
	return k, nil
}

// FuzzKeyReader checks the Ctrl-C handling of the keys read from a
// terminal, however they are chunked and however small the reads: every
// key passes through unchanged, except that a Ctrl-C becomes End, "^C" and
// Enter (the line stays on screen, marked, and ends) unless it follows one
// so turned, which passes through (the terminal then leaves); and such an
// ending starts a read of its own, so that the line it ends is the one
// flagged as interrupted.
//
//	go test -run '^$' -fuzz=FuzzKeyReader ./bot/shell
func FuzzKeyReader(f *testing.F) {
	f.Add([]byte("/poll list\r"), uint8(3), uint8(5))
	f.Add([]byte("/whoami\r/poll open \"T\" \"A\"\x03\x03"), uint8(64), uint8(2))
	f.Add([]byte("\x03a\x03\x03\x03\x1b[A\r"), uint8(1), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, chunk, read uint8) {
		if len(in) > 4096 {
			return
		}
		var want []byte
		var starts []int // where each Ctrl-C's ending starts in want
		last := false
		for _, b := range in {
			switch {
			case b == ctrlC && last:
				want = append(want, ctrlC)
				last = false
			case b == ctrlC:
				starts = append(starts, len(want))
				want = append(want, ctrlE, '^', 'C', '\r')
				last = true
			default:
				want = append(want, b)
				last = false
			}
		}
		k := newKeyReader(context.Background(), &chunks{data: in, n: int(chunk)%16 + 1})
		var got []byte
		buf := make([]byte, int(read)%8+1)
		for {
			n, err := k.Read(buf)
			if n > 0 {
				at := len(got)
				for _, s := range starts {
					if s > at && s < at+n {
						t.Fatalf("the Ctrl-C ending at %d shares a read with keys before it (read %d..%d)", s, at, at+n)
					}
				}
				got = append(got, buf[:n]...)
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Fatal("a read returned nothing and no error")
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("keys %q read as %q, want %q", in, got, want)
		}
	})
}
