package kit

import "sync"

// Buffers is a pool of byte buffers for what a click's handling builds
// and is done with before it returns: the signed message an Ed25519
// signature is checked against, an answer encoded before it is written,
// a payload unescaped before it is decoded (nothing decoded may keep its
// bytes). Its zero value is ready to use.
type Buffers struct{ p sync.Pool }

// firstBuffer is a new buffer's capacity: a click's body and answer fit.
const firstBuffer = 4 << 10

// maxPooledBuffer bounds the buffers kept: a rare large one (a modal's
// state, a long report) is left to the collector.
const maxPooledBuffer = 64 << 10

// Get returns an empty buffer; give it back with Put.
func (b *Buffers) Get() *[]byte {
	if buf, ok := b.p.Get().(*[]byte); ok {
		return buf
	}
	s := make([]byte, 0, firstBuffer)
	return &s
}

// Put gives buf back, holding used, what was appended to it (which may
// have grown it), unless used grew past maxPooledBuffer. Neither may be
// used after.
func (b *Buffers) Put(buf *[]byte, used []byte) {
	if cap(used) > maxPooledBuffer {
		return
	}
	*buf = used[:0]
	b.p.Put(buf)
}
