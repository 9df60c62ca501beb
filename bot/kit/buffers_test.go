package kit

import "testing"

// TestBuffers: a buffer given back is handed out again empty, with what
// it grew to; one grown past the bound is not kept.
func TestBuffers(t *testing.T) {
	var b Buffers
	buf := b.Get()
	if len(*buf) != 0 || cap(*buf) != firstBuffer {
		t.Fatalf("new buffer: len %d cap %d", len(*buf), cap(*buf))
	}
	used := append((*buf)[:0], make([]byte, 2*firstBuffer)...)
	b.Put(buf, used)
	got := b.Get()
	// sync.Pool may drop what it holds (a GC between Put and Get): then
	// the buffer is new, never a non-empty one.
	if len(*got) != 0 || (cap(*got) != cap(used) && cap(*got) != firstBuffer) {
		t.Fatalf("buffer again: len %d cap %d, grown to %d", len(*got), cap(*got), cap(used))
	}
	big := b.Get()
	b.Put(big, make([]byte, 0, maxPooledBuffer+1))
	for range 4 {
		if c := cap(*b.Get()); c > maxPooledBuffer {
			t.Fatalf("a buffer of %d bytes was kept, bound %d", c, maxPooledBuffer)
		}
	}
}
