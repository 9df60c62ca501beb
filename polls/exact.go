package polls

import (
	"math"
	"math/big"
	"strconv"
)

// Exact arithmetic behind a report's verdicts. Floating-point numbers are
// for display only: every comparison that decides a status, a rank or a
// "needed" count is made on integers, so that two themes or a group and
// the threshold that are mathematically equal are never told apart by
// rounding noise.
//
// A group's support for a theme is a = P/s, where P is the integer the
// tally keeps and s the scale: 1 for approval and single polls, m-1 for
// ranked polls of m themes (Borda points scaled to integers, see Points).
// The threshold tau is the fraction t/d, and the Wilson z = 1.96 is 49/25,
// so z^2 = 2401/625.

const (
	zSquaredNum = 2401 // z^2 = (49/25)^2 = 2401/625
	zSquaredDen = 625
)

// maxExtra bounds every count of extra ballots a report states; past it a
// count is reported as impossible. 2^53-1 is the largest integer that every
// JSON reader holds exactly, and far more ballots than any poll will see:
// only thresholds a hair away from 0 or 1 ask for more.
const maxExtra int64 = 1<<53 - 1

// threshold is tau as an exact fraction, with scratch space for the
// comparisons (a report is computed by one goroutine).
type threshold struct {
	t, d *big.Int // tau = t/d in lowest terms
	dmt  *big.Int // d - t: 1 - tau = dmt/d
	zk   *big.Int // 2401·t·(d-t): z^2·tau·(1-tau) = zk / (625·d^2)

	x, y, u *big.Int
}

// newThreshold converts tau to a fraction. tau reaches the poll as the
// decimal a facilitator typed ("0.8", "75%") and is stored and shown as
// the shortest decimal that reads back as the same float64, so that
// decimal is the fraction: 0.8 is 4/5, and a group of 4 out of 5 meets a
// threshold of 0.8. (The float64 nearest 0.8 is a little more than 4/5;
// taken literally it would put that group below.) NaN and infinities,
// which validation refuses, read as 1.
func newThreshold(tau float64) *threshold {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(tau, 'g', -1, 64))
	if !ok {
		r = big.NewRat(1, 1)
	}
	e := &threshold{
		t: new(big.Int).Set(r.Num()), d: new(big.Int).Set(r.Denom()),
		x: new(big.Int), y: new(big.Int), u: new(big.Int),
	}
	e.dmt = new(big.Int).Sub(e.d, e.t)
	e.zk = new(big.Int).Mul(e.t, e.dmt)
	e.zk.Mul(e.zk, big.NewInt(zSquaredNum))
	return e
}

// reachable reports whether tau < 1, so that enough extra supporting
// ballots can lift any group to it.
func (e *threshold) reachable() bool { return e.dmt.Sign() > 0 }

// excess sets e.x to X = s·d·(a - tau·n) = P·d - t·n·s and returns its
// sign: a/n >= tau exactly when X >= 0.
func (e *threshold) excess(p, s, n int64) int {
	e.x.SetInt64(p)
	e.x.Mul(e.x, e.d)
	e.y.SetInt64(n)
	e.y.Mul(e.y, e.u.SetInt64(s))
	e.y.Mul(e.y, e.t)
	e.x.Sub(e.x, e.y)
	return e.x.Sign()
}

// wilson compares a/n with tau under the Wilson score test. It returns the
// sign of a - tau·n, and how (a - tau·n)^2 compares with z^2·tau·(1-tau)·n.
//
// The Wilson interval [lo, hi] of a/n is the set of p0 for which the score
// test does not reject, (a/n - p0)^2 <= z^2·p0·(1-p0)/n: the closed
// interval between the two roots of that quadratic, which contains a/n.
// So tau <= lo exactly when tau lies below a/n and outside the open
// interval: a/n > tau and (a/n - tau)^2 >= z^2·tau·(1-tau)/n. The strict
// a/n > tau matters at tau = 1 only: a unanimous group gives 0 >= 0, yet
// its lo = n/(n+z^2) is below 1. Likewise hi < tau exactly when a/n < tau
// and (a/n - tau)^2 > z^2·tau·(1-tau)/n (at equality hi = tau).
// Multiplying by n^2·s^2·d^2 clears every denominator:
//
//	(a/n - tau)^2 >= z^2·tau·(1-tau)/n  <=>  625·X^2 >= 2401·t·(d-t)·n·s^2
//
// with X = P·d - t·n·s.
func (e *threshold) wilson(p, s, n int64) (sign, cmp int) {
	sign = e.excess(p, s, n)
	e.x.Mul(e.x, e.x)
	e.x.Mul(e.x, e.u.SetInt64(zSquaredDen))
	e.y.SetInt64(s)
	e.y.Mul(e.y, e.y)
	e.y.Mul(e.y, e.u.SetInt64(n))
	e.y.Mul(e.y, e.zk)
	return sign, e.x.Cmp(e.y)
}

// lowerAtLeast reports whether the Wilson lower bound of a/n is at least
// tau, a = p/s.
func (e *threshold) lowerAtLeast(p, s, n int64) bool {
	sign, cmp := e.wilson(p, s, n)
	return sign > 0 && cmp >= 0
}

// upperBelow reports whether the Wilson upper bound of a/n is below tau.
func (e *threshold) upperBelow(p, s, n int64) bool {
	sign, cmp := e.wilson(p, s, n)
	return sign < 0 && cmp > 0
}

// supportAtLeast reports whether a/n >= tau.
func (e *threshold) supportAtLeast(p, s, n int64) bool { return e.excess(p, s, n) >= 0 }

// toReach returns the fewest extra supporting ballots that lift a/n to
// tau: the least k >= 0 with (a+k)/(n+k) >= tau. Each supporting ballot
// adds s to p (a whole point; in ranked polls, the theme ranked first).
// (a+k)/(n+k) >= tau  <=>  X + k·s·(d-t) >= 0, so k = ceil(-X / (s·(d-t))).
// It is impossible when tau = 1 and the group is not unanimous.
func (e *threshold) toReach(p, s, n int64) (int64, bool) {
	if e.excess(p, s, n) >= 0 {
		return 0, true
	}
	if !e.reachable() {
		return 0, false
	}
	e.y.SetInt64(s)
	e.y.Mul(e.y, e.dmt)
	e.x.Neg(e.x)
	return ceilDiv(e.x, e.y, e.u)
}

// dissentsBelow returns the fewest extra opposing ballots that take a
// group at or above tau below it: the least d >= 0 with a/(n+d) < tau.
// a/(n+d) < tau  <=>  X - d·t·s < 0, so d = floor(X / (t·s)) + 1.
func (e *threshold) dissentsBelow(p, s, n int64) (int64, bool) {
	if e.excess(p, s, n) < 0 {
		return 0, true
	}
	if e.t.Sign() <= 0 {
		return 0, false
	}
	e.y.SetInt64(s)
	e.y.Mul(e.y, e.t)
	e.x.Quo(e.x, e.y) // X >= 0: truncation is floor
	e.x.Add(e.x, e.u.SetInt64(1))
	if !e.x.IsInt64() || e.x.Int64() > maxExtra {
		return 0, false
	}
	return e.x.Int64(), true
}

// unanimousEnough returns the least group size n' at which a unanimous
// group's Wilson lower bound, n'/(n'+z^2), reaches tau:
// n'·(1-tau) >= z^2·tau  <=>  625·n'·(d-t) >= 2401·t, so
// n' = ceil(2401·t / (625·(d-t))). It is impossible when tau = 1.
func (e *threshold) unanimousEnough() (int64, bool) {
	if !e.reachable() {
		return 0, false
	}
	e.x.Mul(e.t, e.u.SetInt64(zSquaredNum))
	e.y.Mul(e.dmt, e.u.SetInt64(zSquaredDen))
	n, ok := ceilDiv(e.x, e.y, e.u)
	return max(n, 1), ok
}

// toConfident returns the fewest extra supporting ballots that lift the
// Wilson lower bound of a/n to tau: the least k >= 0 with
// lower((a+k)/(n+k)) >= tau. The test is monotone in k: with
// D = a - tau·n and c = 1 - tau, it asks (D + k·c)/sqrt(n+k) >= z·sqrt(tau·c)
// with D + k·c > 0; the numerator grows with k, and the derivative of the
// ratio has the sign of c·(2n+k) - D >= c·n >= 0 because a <= n. So a
// search finds the least k. It is impossible when tau = 1.
func (e *threshold) toConfident(p, s, n int64) (int64, bool) {
	if e.lowerAtLeast(p, s, n) {
		return 0, true
	}
	if !e.reachable() {
		return 0, false
	}
	// Start from the float solution of (D + k·c)^2 = z^2·tau·c·(n+k),
	// the larger root; the exact test decides.
	a, nf, tau := float64(p)/float64(s), float64(n), e.float()
	c := 1 - tau
	dd := a - tau*nf
	z2tc := WilsonZ * WilsonZ * tau * c
	qa, qb, qc := c*c, 2*dd*c-z2tc, dd*dd-z2tc*nf
	guess := (-qb + math.Sqrt(qb*qb-4*qa*qc)) / (2 * qa)
	return leastTrue(1, maxExtra, guess, func(k int64) bool {
		return e.lowerAtLeast(p+k*s, s, n+k)
	})
}

// dissentsUnconfident returns the fewest extra opposing ballots that take
// the Wilson lower bound of a/n below tau: the least d >= 0 with
// lower(a/(n+d)) < tau. Monotone in d: a - tau·(n+d) falls as d grows, and
// while it is positive so does its ratio to sqrt(n+d).
func (e *threshold) dissentsUnconfident(p, s, n int64) (int64, bool) {
	if !e.lowerAtLeast(p, s, n) {
		return 0, true
	}
	// Start from the float solution of (a - tau·N)^2 = z^2·tau·(1-tau)·N
	// for N = n+d, the smaller root.
	a, tau := float64(p)/float64(s), e.float()
	z2tc := WilsonZ * WilsonZ * tau * (1 - tau)
	qa, qb := tau*tau, -(2*a*tau + z2tc)
	guess := (-qb-math.Sqrt(qb*qb-4*qa*a*a))/(2*qa) - float64(n)
	return leastTrue(1, maxExtra, guess, func(d int64) bool {
		return !e.lowerAtLeast(p, s, n+d)
	})
}

func (e *threshold) float() float64 {
	f, _ := new(big.Rat).SetFrac(e.t, e.d).Float64()
	return f
}

// ceilDiv returns ceil(x/y) for x >= 0, y > 0 when it is at most maxExtra.
// It overwrites x; u is scratch.
func ceilDiv(x, y, u *big.Int) (int64, bool) {
	x.Add(x, y)
	x.Sub(x, u.SetInt64(1))
	x.Quo(x, y)
	if !x.IsInt64() || x.Int64() > maxExtra {
		return 0, false
	}
	return x.Int64(), true
}

// leastTrue returns the least k in [lo, hi] for which pred holds, pred
// being false and then true as k grows. It starts at guess (clamped; any
// value, NaN included, is safe) and gallops away from it, then bisects, so
// a good guess costs a few calls of pred and a bad one about 2·log2 of the
// distance.
func leastTrue(lo, hi int64, guess float64, pred func(int64) bool) (int64, bool) {
	g := lo
	switch {
	case guess >= float64(hi):
		g = hi
	case guess > float64(lo):
		g = int64(math.Ceil(guess))
	}
	var f, t int64 // pred(f) false or f = lo-1; pred(t) true
	if pred(g) {
		t, f = g, lo-1
		for step := int64(1); t-step >= lo; step *= 2 {
			if !pred(t - step) {
				f = t - step
				break
			}
			t -= step
		}
	} else {
		f = g
		for step := int64(1); ; step *= 2 {
			if f >= hi {
				return 0, false
			}
			c := hi
			if step < hi-f {
				c = f + step
			}
			if pred(c) {
				t = c
				break
			}
			f = c
		}
	}
	for t-f > 1 {
		m := f + (t-f)/2
		if pred(m) {
			t = m
		} else {
			f = m
		}
	}
	return t, true
}
