package polls

import (
	"cmp"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
)

func themeOrder(r *Report) []string {
	var out []string
	for _, th := range r.Themes {
		out = append(out, th.Theme)
	}
	return out
}

// TestReportRankingExactTies: themes whose scores are mathematically equal
// are ordered by the next key. The float geometric means of these themes
// differ in their last bits, and sorting on them put the wrong theme first.
func TestReportRankingExactTies(t *testing.T) {
	tests := []struct {
		name   string
		labels []string
		groups map[Group]gc
		want   []string
	}{
		{
			// Both products are (2·3·2)/6^3 = (1·3·4)/6^3 = 12/216, yet the
			// floats are 0.38157141418444396 and 0.3815714141844439. Equal
			// decides: 4/12 against 5/12.
			name:   "equal scores fall to equal",
			labels: []string{"Concentrated", "Broad"},
			groups: map[Group]gc{
				"government": {4, []int64{1, 0}}, "civil-society": {4, []int64{2, 2}}, "academia": {4, []int64{1, 3}},
			},
			want: []string{"Broad", "Concentrated"},
		},
		{
			// Score 12/125 (floats 0.4 and 0.39999999999999997), equal 4/9
			// and overall 4/9 for both: the label decides.
			name:   "equal everything falls to the label",
			labels: []string{"Beta", "Alpha"},
			groups: map[Group]gc{
				"government": {3, []int64{0, 1}}, "civil-society": {3, []int64{1, 3}}, "academia": {3, []int64{3, 0}},
			},
			want: []string{"Alpha", "Beta"},
		},
		{
			// Equal 1/2 for both (1/2+1/2 and 1/4+3/4), products 4·4 and
			// 2·6 over the same denominator: sharing beats concentrating.
			name:   "score before equal",
			labels: []string{"Lopsided", "Shared"},
			groups: map[Group]gc{
				"government": {6, []int64{1, 3}}, "civil-society": {2, []int64{2, 1}},
			},
			want: []string{"Shared", "Lopsided"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := approvalPoll(tt.labels...)
			r := ComputeReport(p, tallyOf(p, tt.groups), nil)
			if got := themeOrder(r); !slices.Equal(got, tt.want) {
				t.Errorf("order = %v, want %v (scores %v, %v)", got, tt.want, r.Themes[0].Score, r.Themes[1].Score)
			}
		})
	}
}

func TestCompareLabels(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"apple", "Banana", -1},
		{"Banana", "apple", 1},
		{"DNSSEC", "dnssec", -1}, // equal folded, then bytes: 'D' < 'd'
		{"dnssec", "DNSSEC", 1},
		{"DNS", "DNS abuse", -1},
		{"_x", "a", -1},       // ASCII folds to lower case, as before: '_' < 'a'
		{"ſtudy", "Study", 1}, // long s folds with s; then bytes
		{"ſtudy", "Sz", -1},
		{"\u212Aelvin", "kelvin", 1}, // Kelvin sign folds with k
		{"\u212Aelvin", "Kz", -1},
		{"Σ", "ς", -1}, // final sigma folds with sigma
		{"ς", "σa", -1},
		{"Straße", "Strasse", 1}, // simple folding keeps ß
		{"é", "f", 1},            // code point order, not a locale's
		{"same", "same", 0},
		{"", "a", -1},
	}
	for _, tt := range tests {
		t.Run(tt.a+"|"+tt.b, func(t *testing.T) {
			if got := compareLabels(tt.a, tt.b); got != tt.want {
				t.Errorf("compareLabels(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := compareLabels(tt.b, tt.a); got != -tt.want {
				t.Errorf("compareLabels(%q, %q) = %d, want %d", tt.b, tt.a, got, -tt.want)
			}
			if folded := compareFoldedOnly(tt.a, tt.b) == 0; folded != strings.EqualFold(tt.a, tt.b) {
				t.Errorf("fold of %q and %q: equal %v, strings.EqualFold says %v", tt.a, tt.b, folded, !folded)
			}
		})
	}
}

// compareFoldedOnly compares the folded runes only.
func compareFoldedOnly(a, b string) int {
	var fa, fb []rune
	for _, r := range a {
		fa = append(fa, foldRune(r))
	}
	for _, r := range b {
		fb = append(fb, foldRune(r))
	}
	return slices.Compare(fa, fb)
}

// TestFoldRuneOrbits: every rune of a simple case-folding orbit folds to
// the same rune, so the order never separates labels that differ in case.
func TestFoldRuneOrbits(t *testing.T) {
	for r := rune(0); r <= 0x1FFFF; r++ {
		f := foldRune(r)
		for o := unicode.SimpleFold(r); o != r; o = unicode.SimpleFold(o) {
			if foldRune(o) != f {
				t.Fatalf("U+%04X folds to U+%04X but U+%04X, in its orbit, to U+%04X", r, f, o, foldRune(o))
			}
		}
	}
}

// TestRankingMatchesExactRationals compares the report's order with a
// straightforward sort on big.Rat values of score^|G| (the product),
// equal and overall, then the label, over random polls made to tie often.
func TestRankingMatchesExactRationals(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 2027))
	groupIDs := []Group{"government", "private-sector", "civil-society", "technical-community", "academia", "intergovernmental"}
	var tiedScores, floatWrong int
	for c := range 3000 {
		m := 2 + rng.IntN(8)
		labels := make([]string, m)
		for i := range labels {
			// Distinct letters in mixed case, so labels tie under
			// folding only with themselves.
			labels[i] = string(rune("AbCdEfGhIj"[i]))
		}
		rng.Shuffle(len(labels), func(i, j int) { labels[i], labels[j] = labels[j], labels[i] })
		p := approvalPoll(labels...)
		if rng.IntN(3) == 0 {
			p.Kind = Ranked
		}
		s := int64(1)
		if p.Kind == Ranked {
			s = int64(m - 1)
		}
		tl := NewTally()
		sizes := []int64{2, 3, 4, 6}
		for _, g := range groupIDs[:1+rng.IntN(len(groupIDs))] {
			n := sizes[rng.IntN(len(sizes))]
			tl.Ballots[g] = n
			pts := make([]int64, m)
			for i := range pts {
				pts[i] = rng.Int64N(n*s + 1)
			}
			tl.Points[g] = pts
		}
		r := ComputeReport(p, tl, nil)

		type key struct {
			label                 string
			score, equal, overall *big.Rat
		}
		keys := make([]key, m)
		for i := range m {
			k := key{label: labels[i], score: big.NewRat(1, 1), equal: new(big.Rat), overall: new(big.Rat)}
			sumN := new(big.Rat)
			for g, n := range tl.Ballots {
				a := big.NewRat(tl.Points[g][i], s)
				k.score.Mul(k.score, new(big.Rat).Quo(new(big.Rat).Add(a, big.NewRat(1, 1)), big.NewRat(n+2, 1)))
				k.equal.Add(k.equal, new(big.Rat).Quo(a, big.NewRat(n, 1)))
				k.overall.Add(k.overall, a)
				sumN.Add(sumN, big.NewRat(n, 1))
			}
			k.equal.Quo(k.equal, big.NewRat(int64(len(tl.Ballots)), 1))
			k.overall.Quo(k.overall, sumN)
			keys[i] = k
		}
		want := slices.Clone(keys)
		slices.SortFunc(want, func(a, b key) int {
			if c := b.score.Cmp(a.score); c != 0 {
				return c
			}
			if c := b.equal.Cmp(a.equal); c != 0 {
				return c
			}
			if c := b.overall.Cmp(a.overall); c != 0 {
				return c
			}
			return cmp.Or(cmp.Compare(strings.ToLower(a.label), strings.ToLower(b.label)), cmp.Compare(a.label, b.label))
		})
		var wantOrder []string
		for i, k := range want {
			wantOrder = append(wantOrder, k.label)
			if i > 0 && k.score.Cmp(want[i-1].score) == 0 {
				tiedScores++
			}
		}
		if got := themeOrder(r); !slices.Equal(got, wantOrder) {
			t.Fatalf("case %d (%s, tally %v): order %v, want %v", c, p.Kind, tl, got, wantOrder)
		}
		for i, th := range r.Themes {
			if th.Rank != i+1 {
				t.Fatalf("case %d: %s has rank %d at position %d", c, th.Theme, th.Rank, i+1)
			}
		}
		// The order the floats alone would give, for the log.
		byFloat := slices.Clone(r.Themes)
		slices.SortStableFunc(byFloat, func(a, b ThemeResult) int {
			return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(b.Equal, a.Equal), cmp.Compare(b.Overall, a.Overall),
				cmp.Compare(strings.ToLower(a.Theme), strings.ToLower(b.Theme)))
		})
		if !slices.Equal(themeOrder(&Report{Themes: byFloat}), wantOrder) {
			floatWrong++
		}
	}
	if tiedScores < 100 {
		t.Errorf("only %d exactly tied scores in 3000 polls: the generator no longer tests ties", tiedScores)
	}
	t.Logf("%d exactly tied neighbouring scores; sorting on the floats would have misordered %d of 3000 polls", tiedScores, floatWrong)
}
