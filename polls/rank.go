package polls

import (
	"math/big"
	"unicode"
	"unicode/utf8"
)

// Themes rank by score, then equal, then overall, then label, each compared
// exactly: two themes whose numbers are mathematically equal fall to the
// next key, never to floating-point noise in the displayed floats.

// rankKeys holds, per theme, the numerators of the exact score, equal and
// overall. Within one poll every theme has the same represented groups
// and the same n_g, so each key has one denominator shared by all themes
// and comparing numerators compares the keys:
//
//	score^|G| = prod_g (p_tg+s)/(s·(n_g+2))  (since a+1 = (p+s)/s)
//	          -> numerator prod_g (p_tg + s), a positive integer
//	equal     = (1/|G|) sum_g p_tg/(s·n_g)  = sum_g p_tg·(L/n_g) / (|G|·s·L)
//	          -> numerator sum_g p_tg·(L/n_g), L the least common multiple of the n_g
//	overall   = sum_g p_tg / (s·sum_g n_g)  -> numerator sum_g p_tg
//
// The score itself is a |G|-th root, which preserves order.
type rankKeys struct {
	score, equal, overall []*big.Int
	weight                []*big.Int // L/n_g per represented group
	u                     *big.Int
}

func newRankKeys(themes int, present []Group, ballots map[Group]int64) *rankKeys {
	k := &rankKeys{
		score: make([]*big.Int, themes), equal: make([]*big.Int, themes), overall: make([]*big.Int, themes),
		weight: make([]*big.Int, len(present)), u: new(big.Int),
	}
	for i := range themes {
		k.score[i], k.equal[i], k.overall[i] = big.NewInt(1), new(big.Int), new(big.Int)
	}
	lcm := big.NewInt(1)
	for _, g := range present {
		n := big.NewInt(ballots[g])
		gcd := new(big.Int).GCD(nil, nil, lcm, n)
		lcm.Mul(lcm, n.Quo(n, gcd))
	}
	for j, g := range present {
		k.weight[j] = new(big.Int).Quo(lcm, big.NewInt(ballots[g]))
	}
	return k
}

// add counts group j's points for theme i.
func (k *rankKeys) add(i, j int, p, s int64) {
	k.score[i].Mul(k.score[i], k.u.SetInt64(p+s))
	k.equal[i].Add(k.equal[i], k.u.Mul(k.u.SetInt64(p), k.weight[j]))
	k.overall[i].Add(k.overall[i], k.u.SetInt64(p))
}

// compare orders themes i and j by the keys, higher first.
func (k *rankKeys) compare(i, j int) int {
	if c := k.score[j].Cmp(k.score[i]); c != 0 {
		return c
	}
	if c := k.equal[j].Cmp(k.equal[i]); c != 0 {
		return c
	}
	return k.overall[j].Cmp(k.overall[i])
}

// compareLabels orders theme labels case-insensitively, then byte-wise so
// that the order is total. Each rune is folded to one canonical member of
// its Unicode simple case-folding orbit (the runes strings.EqualFold treats
// as equal: k, K and the Kelvin sign K; s, S and the long s ſ), so labels
// that differ only in case compare equal before the byte-wise tie-break.
// Labels are NFC already (polls are normalized at creation).
func compareLabels(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		ra, na := utf8.DecodeRuneInString(a[i:])
		rb, nb := utf8.DecodeRuneInString(b[j:])
		if fa, fb := foldRune(ra), foldRune(rb); fa != fb {
			if fa < fb {
				return -1
			}
			return 1
		}
		i, j = i+na, j+nb
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// foldRune maps r to the lower case of the smallest rune in its simple
// case-folding orbit: the same rune for every member of the orbit, and
// for ASCII simply the lower-case letter.
func foldRune(r rune) rune {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return r
	}
	least := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		least = min(least, f)
	}
	return unicode.ToLower(least)
}
