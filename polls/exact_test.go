package polls

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

func TestThresholdIsTheDecimal(t *testing.T) {
	tests := []struct {
		tau  float64
		want *big.Rat
	}{
		{0.5, big.NewRat(1, 2)},
		{0.8, big.NewRat(4, 5)},
		{0.1, big.NewRat(1, 10)},
		{0.75, big.NewRat(3, 4)},
		{1, big.NewRat(1, 1)},
		{1e-5, big.NewRat(1, 100000)},
		{2.0 / 3, big.NewRat(3333333333333333, 5000000000000000)}, // 0.6666666666666666
	}
	for _, tt := range tests {
		e := newThreshold(tt.tau)
		if got := new(big.Rat).SetFrac(e.t, e.d); got.Cmp(tt.want) != 0 {
			t.Errorf("threshold %v = %v, want %v", tt.tau, got, tt.want)
		}
	}
	// Why not the float64 itself: the float64 nearest 0.8 exceeds 4/5, and
	// would put a group of 4 out of 5 below a threshold of 0.8.
	if new(big.Rat).SetFloat64(0.8).Cmp(big.NewRat(4, 5)) <= 0 {
		t.Error("float64(0.8) is not above 4/5 after all")
	}
	if e := newThreshold(0.8); !e.supportAtLeast(4, 1, 5) {
		t.Error("4/5 is below a threshold of 0.8")
	}
	if e := newThreshold(math.NaN()); e.reachable() {
		t.Error("a NaN threshold is reachable")
	}
}

// wilsonBig evaluates the Wilson score interval of a/n (a = p/s) with 400
// bits of precision straight from its formula.
func wilsonBig(p, s, n int64) (lo, hi *big.Float) {
	const prec = 400
	f := func(x *big.Rat) *big.Float { return new(big.Float).SetPrec(prec).SetRat(x) }
	z := f(big.NewRat(49, 25))
	z2 := new(big.Float).Mul(z, z)
	nf := f(big.NewRat(n, 1))
	ph := f(big.NewRat(p, s*n))
	// centre = ph + z^2/(2n); margin = z·sqrt(ph(1-ph)/n + z^2/(4n^2)); div = 1 + z^2/n
	twoN := new(big.Float).Mul(nf, f(big.NewRat(2, 1)))
	centre := new(big.Float).Add(ph, new(big.Float).Quo(z2, twoN))
	oneMinus := new(big.Float).Sub(f(big.NewRat(1, 1)), ph)
	v := new(big.Float).Quo(new(big.Float).Mul(ph, oneMinus), nf)
	v.Add(v, new(big.Float).Quo(z2, new(big.Float).Mul(twoN, twoN)))
	margin := new(big.Float).Mul(z, new(big.Float).Sqrt(v))
	div := new(big.Float).Add(f(big.NewRat(1, 1)), new(big.Float).Quo(z2, nf))
	lo = new(big.Float).Quo(new(big.Float).Sub(centre, margin), div)
	hi = new(big.Float).Quo(new(big.Float).Add(centre, margin), div)
	return lo, hi
}

// cmpBig compares x with the rational r, calling values within 2^-300 of
// each other equal (the exact boundaries, such as 1299/2500 at 1/2).
func cmpBig(x *big.Float, r *big.Rat) int {
	d := new(big.Float).Sub(x, new(big.Float).SetPrec(400).SetRat(r))
	if d.Abs(d).Cmp(new(big.Float).SetMantExp(big.NewFloat(1), -300)) < 0 {
		return 0
	}
	return x.Cmp(new(big.Float).SetPrec(400).SetRat(r))
}

func tauRat(e *threshold) *big.Rat { return new(big.Rat).SetFrac(e.t, e.d) }

var testThresholds = []float64{0.5, 0.6, 2.0 / 3, 0.75, 0.8, 0.9, 0.95, 0.99, 0.1, 0.34, 0.55, 1, 0.05}

// TestWilsonExactMatchesFormula: the integer tests agree with the Wilson
// bounds computed from their formula at high precision.
func TestWilsonExactMatchesFormula(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 1))
	cases := [][3]int64{{1299, 1, 2500}, {1298, 1, 2500}, {1201, 1, 2500}, {1200, 1, 2500}, {6, 1, 6}, {6, 1, 7}, {5, 1, 5}}
	for range 20000 {
		n := 1 + rng.Int64N(50)
		if rng.IntN(4) == 0 {
			n = 1 + rng.Int64N(100000)
		}
		s := int64(1 + rng.IntN(4))
		cases = append(cases, [3]int64{rng.Int64N(n*s + 1), s, n})
	}
	for i, c := range cases {
		tau := 0.5
		if i >= 7 {
			tau = testThresholds[rng.IntN(len(testThresholds))]
		}
		e := newThreshold(tau)
		lo, hi := wilsonBig(c[0], c[1], c[2])
		tr := tauRat(e)
		if got, want := e.lowerAtLeast(c[0], c[1], c[2]), cmpBig(lo, tr) >= 0; got != want {
			t.Fatalf("%d/%d points of %d ballots at %v: lower %s, lowerAtLeast %v", c[0], c[1], c[2], tau, lo.Text('g', 20), got)
		}
		if got, want := e.upperBelow(c[0], c[1], c[2]), cmpBig(hi, tr) < 0; got != want {
			t.Fatalf("%d/%d points of %d ballots at %v: upper %s, upperBelow %v", c[0], c[1], c[2], tau, hi.Text('g', 20), got)
		}
		if got, want := e.supportAtLeast(c[0], c[1], c[2]), big.NewRat(c[0], c[1]*c[2]).Cmp(tr) >= 0; got != want {
			t.Fatalf("%d/%d points of %d ballots at %v: supportAtLeast %v", c[0], c[1], c[2], tau, got)
		}
	}
}

func TestLeastTrue(t *testing.T) {
	for _, want := range []int64{1, 2, 3, 17, 1000, 1 << 40, maxExtra} {
		pred := func(k int64) bool { return k >= want }
		for _, guess := range []float64{math.NaN(), math.Inf(-1), -5, 0, 1, 2, float64(want) - 1, float64(want), float64(want) + 1, 1e6, 1e30, math.Inf(1)} {
			calls := 0
			got, ok := leastTrue(1, maxExtra, guess, func(k int64) bool { calls++; return pred(k) })
			if !ok || got != want {
				t.Errorf("want %d, guess %v: got %d, %v", want, guess, got, ok)
			}
			if calls > 130 {
				t.Errorf("want %d, guess %v: %d calls", want, guess, calls)
			}
		}
	}
	if _, ok := leastTrue(1, maxExtra, 3, func(int64) bool { return false }); ok {
		t.Error("found a value where none holds")
	}
}

// TestCountsPastTheCap: counts beyond 2^53-1 ballots are reported as
// impossible rather than as a wrong number.
func TestCountsPastTheCap(t *testing.T) {
	// tau = 1 - 2^-52: a group of 0/1000 needs about 1000·2^52 supporters.
	p := approvalPoll("A")
	p.Threshold = 1 - 0x1p-52
	r := ComputeReport(p, tallyOf(p, map[Group]gc{gov: {1000, []int64{0}}, civ: {1000, []int64{1000}}}), nil)
	th := r.Themes[0]
	if th.Status != Divided || len(th.ToEmerging) != 1 || th.ToEmerging[0].Needed != nil {
		t.Errorf("got %s %s, want divided with needed null", th.Status, show(th.ToEmerging))
	}
	// A threshold a hair above 0: no count of dissents below 2^53 takes
	// 1000 supporters under it.
	p.Threshold = 1e-300
	r = ComputeReport(p, tallyOf(p, map[Group]gc{gov: {1000, []int64{1000}}, civ: {1000, []int64{1000}}}), nil)
	th = r.Themes[0]
	if th.Status != Consensus || th.Margin != nil || th.Fragile {
		t.Errorf("got %s, margin %s; want consensus with no margin", th.Status, show(th.Margin))
	}
}
