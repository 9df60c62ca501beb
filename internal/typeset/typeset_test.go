package typeset

import (
	"image"
	"image/color"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/go-text/typesetting/bidi"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/pollbot/pollbot/internal/typeset/typesettest"
)

// scripts are the strings of the golden images: one for each script the
// package must draw, and one with characters no font has.
var scripts = []struct {
	name, text string
	rtl        bool     // the first character is drawn rightmost
	fonts      []string // the fonts its glyphs come from
	missing    int      // characters drawn as the .notdef box
}{
	{name: "arabic", text: "حوكمة الإنترنت", rtl: true, fonts: []string{"Noto Sans Arabic"}},
	{name: "hebrew", text: "ממשל האינטרנט", rtl: true, fonts: []string{"Liberation Sans"}},
	{name: "chinese", text: "互联网治理", fonts: []string{"Noto Sans CJK SC"}},
	{name: "chinese-traditional", text: "網際網路治理", fonts: []string{"Noto Sans CJK SC"}},
	{name: "japanese", text: "インターネットガバナンス", fonts: []string{"Noto Sans CJK SC"}},
	{name: "japanese-kanji", text: "今日の議題：直接対話", fonts: []string{"Noto Sans CJK SC"}},
	{name: "russian", text: "Управление Интернетом", fonts: []string{"Liberation Sans"}},
	{name: "greek", text: "Διακυβέρνηση του Διαδικτύου", fonts: []string{"Liberation Sans"}},
	{name: "french-spanish", text: "Gouvernance de l’Internet : égalité, où, ça — Gobernanza: año, ¿señal?", fonts: []string{"Liberation Sans"}},
	{name: "emoji", text: "👨‍👩‍👧‍👦 🇺🇳 👍🏽", fonts: []string{"Noto Emoji"}},
	{name: "mixed-rtl", text: "حوكمة الإنترنت 2026: 3 مواضيع (IGF)", rtl: true, fonts: []string{"Liberation Sans", "Noto Sans Arabic"}},
	{name: "mixed-ltr", text: "Theme حوكمة 2026 الإنترنت, ממשל 3", fonts: []string{"Liberation Sans", "Noto Sans Arabic"}},
	// U+0378 is unassigned, U+20000 a CJK character beyond the subset,
	// U+E000 private use.
	{name: "missing", text: "A\u0378B \U00020000 \uE000", fonts: []string{"Liberation Sans"}, missing: 3},
}

// TestGolden draws each script in regular and bold and compares the image
// with testdata/golden/NAME.png.
func TestGolden(t *testing.T) {
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			lines := []Line{Shape(sc.text, Face{Style: Regular, Size: 24}), Shape(sc.text, Face{Style: Bold, Size: 24})}
			typesettest.Golden(t, filepath.Join("testdata", "golden", sc.name+".png"), render(lines))
		})
	}
}

// render draws lines one under another, left-aligned, black on white.
func render(lines []Line) image.Image {
	const pad, lineH = 8.0, 34.0
	w := 0.0
	for _, l := range lines {
		w = max(w, l.Width())
	}
	h := float64(len(lines))*lineH + pad
	c := vgimg.NewWith(vgimg.UseWH(vg.Length(math.Ceil(w+2*pad)), vg.Length(h)), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
	for i, l := range lines {
		l.Draw(c, color.Black, vg.Point{X: pad, Y: vg.Length(h - float64(i+1)*lineH + 6)}, Left)
	}
	return c.Image()
}

// TestScripts checks what the golden images show in terms a test can
// state: which fonts draw each script, which way it runs, and that only
// truly missing characters become boxes.
func TestScripts(t *testing.T) {
	for _, sc := range scripts {
		t.Run(sc.name, func(t *testing.T) {
			for _, style := range []Style{Regular, Bold, Italic} {
				l := Shape(sc.text, Face{Style: style, Size: 20})
				if l.String() != sc.text {
					t.Errorf("String() = %q", l.String())
				}
				var fonts []string
				notdef := 0
				for _, g := range l.glyphs {
					if g.id == 0 {
						notdef++
						continue
					}
					name := strings.TrimSuffix(strings.TrimSuffix(g.file.name, " Bold"), " Italic")
					if !slices.Contains(fonts, name) {
						fonts = append(fonts, name)
					}
				}
				slices.Sort(fonts)
				if !slices.Equal(fonts, sc.fonts) {
					t.Errorf("style %d: drawn in %v, want %v", style, fonts, sc.fonts)
				}
				if notdef != sc.missing {
					t.Errorf("style %d: %d .notdef boxes, want %d", style, notdef, sc.missing)
				}
				first, last := l.glyphs[0], l.glyphs[len(l.glyphs)-1]
				if rtl := first.cluster > last.cluster; rtl != sc.rtl {
					t.Errorf("style %d: leftmost glyph is character %d, rightmost %d: right to left is %v, want %v",
						style, first.cluster, last.cluster, rtl, sc.rtl)
				}
			}
		})
	}
}

// TestArabicJoins checks that letters take their joined forms: HAH at the
// start of a word is not the isolated HAH.
func TestArabicJoins(t *testing.T) {
	alone := Shape("ح", Face{Size: 20}).glyphs[0].id
	word := Shape("حوكمة", Face{Size: 20})
	for _, g := range word.glyphs {
		if g.cluster == 0 && g.id == alone {
			t.Errorf("HAH in حوكمة drawn as the isolated form (glyph %d)", alone)
		}
	}
}

// TestEmojiSequences checks that each sequence is drawn as one glyph: no
// stray joiner, no skin-tone swatch, no pair of regional-indicator letters.
// (HarfBuzz may leave a hidden variation selector as an empty glyph with
// no advance.)
func TestEmojiSequences(t *testing.T) {
	for _, s := range []string{"👨‍👩‍👧‍👦", "🇺🇳", "👍🏽", "🏳️‍🌈", "👩🏾‍💻", "❤️"} {
		l := Shape(s, Face{Size: 20})
		var ids []int
		for _, g := range l.glyphs {
			if g.file.outline(g.id) != nil || g.id == 0 {
				ids = append(ids, int(g.id))
			}
		}
		if len(ids) != 1 || ids[0] == 0 || l.glyphs[0].file.name != "Noto Emoji" {
			t.Errorf("%q (%d code points): drawn as glyphs %v of %s, want one Noto Emoji glyph", s, utf8.RuneCountInString(s), ids, l.glyphs[0].file.name)
		}
	}
}

// TestJapaneseForms checks the locl hint: a kanji in text with kana takes
// its Japanese form, the same code point alone its Chinese one.
func TestJapaneseForms(t *testing.T) {
	zh := Shape("直", Face{Size: 20}).glyphs[0].id
	ja := Shape("直す", Face{Size: 20}).glyphs[0].id
	if zh == ja {
		t.Errorf("直 is glyph %d in Chinese and in Japanese text", zh)
	}
}

func TestMeasure(t *testing.T) {
	if w := Measure("", Face{Size: 12}); w != 0 {
		t.Errorf("empty string: width %v", w)
	}
	if w := Measure("text", Face{Size: 0}); w != 0 {
		t.Errorf("size 0: width %v", w)
	}
	for _, s := range []string{"Internet fragmentation", "حوكمة الإنترنت", "互联网治理", "👍🏽"} {
		w10, w20, w13 := Measure(s, Face{Size: 10}), Measure(s, Face{Size: 20}), Measure(s, Face{Size: 13.5})
		if w10 <= 0 || math.Abs(w20-2*w10) > 0.01 || math.Abs(w13-1.35*w10) > 0.01 {
			t.Errorf("%q: width %v at 10 pt, %v at 20 pt, %v at 13.5 pt: not proportional", s, w10, w20, w13)
		}
	}
	// The Liberation Sans advance of "M" is 1706/2048 em.
	if w, want := Measure("M", Face{Size: 20}), 20*1706/2048.0; math.Abs(w-want) > 0.01 {
		t.Errorf("M at 20 pt: %v, want %v", w, want)
	}
	if Measure("Bold", Face{Style: Bold, Size: 20}) <= Measure("Bold", Face{Style: Regular, Size: 20}) {
		t.Error("bold is not wider than regular")
	}
}

func TestWrap(t *testing.T) {
	family := "👨‍👩‍👧‍👦"
	f := Face{Size: 10}
	// widthOf is a width that just holds s.
	widthOf := func(s string) float64 { return Measure(s, f) + 0.01 }
	cases := []struct {
		name      string
		text      string
		width     float64
		maxLines  int
		want      []string
		wantWhole bool
	}{
		{"fits", "Privacy and encryption", 300, 2, []string{"Privacy and encryption"}, true},
		{"breaks at spaces", "Privacy and encryption", widthOf("Privacy and"), 2, []string{"Privacy and", "encryption"}, true},
		{"no limit", "one two three four", widthOf("three"), 0, []string{"one", "two", "three", "four"}, true},
		{"ellipsis", "Meaningful access and digital inclusion", widthOf("Meaningful access…"), 1, []string{"Meaningful access…"}, false},
		{"cut word before ellipsis", "Meaningful access and digital inclusion", widthOf("Meaningful acc…"), 1, []string{"Meaningful acc…"}, false},
		{"no comma before ellipsis", "Data governance, trust and more", widthOf("Data governance, …"), 1, []string{"Data governance…"}, false},
		{"ellipsis on the last line", "one two three four", widthOf("two…"), 2, []string{"one", "two…"}, false},
		{"hyphen inside a long word", "Supercalifragilistic", widthOf("Supercal-"), 3, []string{"Supercal-", "ifragilistic"}, false},
		{"hyphen after a short word", "A Supercalifragilistic", widthOf("Supercal-"), 3, []string{"A", "Supercal-", "ifragilistic"}, false},
		{"Chinese breaks between characters", "互联网治理与数字包容", widthOf("互联网治"), 3, []string{"互联网治", "理与数字", "包容"}, true},
		{"Arabic breaks between words", "حوكمة الإنترنت والتحول الرقمي", widthOf("والتحول الرقمي"), 3, []string{"حوكمة الإنترنت", "والتحول الرقمي"}, true},
		{"Arabic word cut without a hyphen", "والتحولالرقمي", widthOf("والتحو"), 3, []string{"والتحو", "لالرقم", "ي"}, false},
		{"emoji sequences stay whole", family + family + family, 1.5 * Measure(family, f), 3, []string{family, family, family}, true},
		{"empty", "", 100, 2, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			lines, whole := Wrap(c.text, f, c.width, c.maxLines)
			var got []string
			for _, l := range lines {
				got = append(got, l.String())
				if l.Width() > c.width {
					t.Errorf("line %q is %.2f pt wide, more than %.2f", l, l.Width(), c.width)
				}
			}
			if !slices.Equal(got, c.want) || whole != c.wantWhole {
				t.Errorf("Wrap = %q, whole %v; want %q, %v", got, whole, c.want, c.wantWhole)
			}
		})
	}
}

// TestWrapRightToLeft checks that a wrapped Arabic label keeps its first
// words on its first line, drawn at the line's right end.
func TestWrapRightToLeft(t *testing.T) {
	lines, _ := Wrap("حوكمة الإنترنت والتحول الرقمي 2026", Face{Size: 10}, 90, 2)
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	l := lines[0]
	if !strings.HasPrefix(l.String(), "حوكمة") {
		t.Errorf("first line %q", l)
	}
	if g := l.glyphs[len(l.glyphs)-1]; g.cluster != 0 {
		t.Errorf("rightmost glyph of the first line is character %d, want 0", g.cluster)
	}
	// The second line ends, on its left, with the number.
	second := lines[1]
	if r := []rune(second.String()); r[len(r)-1] != '6' {
		t.Fatalf("second line %q", second)
	}
	if g := second.glyphs[0]; g.file.name != "Liberation Sans" {
		t.Errorf("leftmost glyph of %q is from %s, want the digits'", second, g.file.name)
	}
}

// TestVisualOrder checks rule L2 on nested levels: an Arabic phrase with a
// number inside a Latin sentence.
func TestVisualOrder(t *testing.T) {
	cases := []struct {
		levels []bidi.Level
		want   []int
	}{
		{[]bidi.Level{0}, []int{0}},
		{[]bidi.Level{0, 1, 2, 1, 0}, []int{0, 3, 2, 1, 4}},
		{[]bidi.Level{1, 2, 1, 2}, []int{3, 2, 1, 0}},
		{[]bidi.Level{1}, []int{0}},
		{[]bidi.Level{2, 2, 1}, []int{2, 0, 1}},
	}
	for _, c := range cases {
		if got := visualOrder(c.levels); !slices.Equal(got, c.want) {
			t.Errorf("visualOrder(%v) = %v, want %v", c.levels, got, c.want)
		}
	}
}

// TestDrawAlign checks where Left, Center and Right put a line's ink.
func TestDrawAlign(t *testing.T) {
	l := Shape("IIII", Face{Size: 40})
	for _, c := range []struct {
		align      Align
		x          float64
		wantCentre float64
	}{
		{Left, 100, 100 + l.Width()/2},
		{Center, 100, 100},
		{Right, 100, 100 - l.Width()/2},
	} {
		cv := vgimg.NewWith(vgimg.UseWH(200, 60), vgimg.UseDPI(72), vgimg.UseBackgroundColor(color.White))
		l.Draw(cv, color.Black, vg.Point{X: vg.Length(c.x), Y: 10}, c.align)
		img := cv.Image()
		lo, hi := img.Bounds().Max.X, 0
		for y := img.Bounds().Min.Y; y < img.Bounds().Max.Y; y++ {
			for x := img.Bounds().Min.X; x < img.Bounds().Max.X; x++ {
				if r, _, _, _ := img.At(x, y).RGBA(); r < 0x8000 {
					lo, hi = min(lo, x), max(hi, x)
				}
			}
		}
		if centre := float64(lo+hi+1) / 2; math.Abs(centre-c.wantCentre) > 3 {
			t.Errorf("align %d: ink centred at %.1f, want %.1f", c.align, centre, c.wantCentre)
		}
	}
}

// TestConcurrent shapes, wraps and draws from several goroutines: -race
// must find nothing in the shared fonts and outline caches.
func TestConcurrent(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := vgimg.New(300, 40)
			for _, sc := range scripts {
				lines, _ := Wrap(sc.text, Face{Style: Style(i % 3), Size: 14}, 120, 2)
				for _, l := range lines {
					l.Draw(c, color.Black, vg.Point{X: 4, Y: 10}, Left)
				}
			}
		}()
	}
	wg.Wait()
}

// TestBidiMatchesFriBidi compares the visual order of mixed-direction
// lines with GNU FriBidi's: each want lists, from left to right, the
// logical index of the character at each position, as printed by
// `fribidi --vtol` 1.0.8. Glyphs that cover several characters (Arabic
// ligatures) are compared by their first character.
func TestBidiMatchesFriBidi(t *testing.T) {
	cases := []struct {
		text string
		want []int
	}{
		{"حوكمة الإنترنت 2026: 3 مواضيع (IGF)", []int{34, 31, 32, 33, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 15, 16, 17, 18, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"Theme حوكمة 2026 الإنترنت, ממשל 3", []int{0, 1, 2, 3, 4, 5, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 12, 13, 14, 15, 11, 10, 9, 8, 7, 6}},
		{"حوكمة 2026 الإنترنت 3.5%", []int{23, 20, 21, 22, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 6, 7, 8, 9, 5, 4, 3, 2, 1, 0}},
	}
	for _, c := range cases {
		l := Shape(c.text, Face{Size: 12})
		drawn := map[int]bool{}
		var got []int
		for _, g := range l.glyphs {
			if !drawn[g.cluster] {
				drawn[g.cluster] = true
				got = append(got, g.cluster)
			}
		}
		var want []int
		for _, i := range c.want {
			if drawn[i] {
				want = append(want, i)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%q: characters drawn left to right %v, FriBidi %v", c.text, got, want)
		}
	}
}

// TestWrapNarrow checks that a width too small for any character still
// ends, with one grapheme cluster a line.
func TestWrapNarrow(t *testing.T) {
	for _, width := range []float64{0, -5, 1} {
		lines, whole := Wrap("ab 👍🏽", Face{Size: 10}, width, 0)
		var got []string
		for _, l := range lines {
			got = append(got, l.String())
		}
		if want := []string{"a-", "b", "👍🏽"}; !slices.Equal(got, want) || whole {
			t.Errorf("width %v: %q, whole %v; want %q, false", width, got, whole, want)
		}
	}
}
