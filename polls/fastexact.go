package polls

import "math/bits"

// fastTau makes the two comparisons a status needs (support against the
// threshold, and the Wilson lower bound against it; see threshold) in
// 64- and 128-bit integer arithmetic, for the timeline, which makes them
// millions of times. The numbers are the same as threshold's, so are the
// answers; where a product would not fit, ok is false and the caller asks
// threshold, whose big integers never overflow.
type fastTau struct {
	t, d uint64 // tau = t/d in lowest terms
	// k is 2401·t·(d-t), the constant factor of the Wilson comparison.
	k  uint64
	ok bool // t, d and k fit; false: every call reports !ok
}

// fastLimit bounds the products subtracted in excess, so that their
// difference fits an int64 and its absolute value too.
const fastLimit = 1 << 62

func newFastTau(e *threshold) fastTau {
	if !e.t.IsUint64() || !e.d.IsUint64() || e.d.Sign() <= 0 {
		return fastTau{}
	}
	f := fastTau{t: e.t.Uint64(), d: e.d.Uint64()}
	if f.t > f.d || f.d >= fastLimit {
		return fastTau{}
	}
	hi, tc := bits.Mul64(f.t, f.d-f.t)
	if hi != 0 {
		return fastTau{}
	}
	hi, f.k = bits.Mul64(tc, zSquaredNum)
	f.ok = hi == 0
	return f
}

// excess is X = p·d - t·n·s (see threshold.excess).
func (f fastTau) excess(p, s, n int64) (int64, bool) {
	if !f.ok || p < 0 || s <= 0 || n <= 0 {
		return 0, false
	}
	hi, pd := bits.Mul64(uint64(p), f.d)
	if hi != 0 || pd >= fastLimit {
		return 0, false
	}
	hi, ns := bits.Mul64(uint64(n), uint64(s))
	if hi != 0 {
		return 0, false
	}
	hi, tns := bits.Mul64(f.t, ns)
	if hi != 0 || tns >= fastLimit {
		return 0, false
	}
	return int64(pd) - int64(tns), true
}

// cell reports whether a/n >= tau (above) and whether the Wilson lower
// bound of a/n is >= tau (confident), a = p/s: the comparisons of
// threshold.supportAtLeast and threshold.lowerAtLeast.
func (f fastTau) cell(p, s, n int64) (above, confident, ok bool) {
	x, ok := f.excess(p, s, n)
	if !ok {
		return false, false, false
	}
	if x <= 0 {
		// The lower bound is below tau unless a/n > tau (see wilson).
		return x == 0, false, true
	}
	// 625·X^2 >= 2401·t·(d-t)·n·s^2, in 128 bits.
	xh, xl := bits.Mul64(uint64(x), uint64(x))
	if xh >= 1<<54 { // 625·X^2 would pass 2^128
		return false, false, false
	}
	lh, ll := bits.Mul64(xl, zSquaredDen)
	lh += xh * zSquaredDen
	if uint64(s) >= 1<<32 {
		return false, false, false
	}
	hi, ns2 := bits.Mul64(uint64(n), uint64(s)*uint64(s))
	if hi != 0 {
		return false, false, false
	}
	rh, rl := bits.Mul64(f.k, ns2)
	return true, lh > rh || lh == rh && ll >= rl, true
}
