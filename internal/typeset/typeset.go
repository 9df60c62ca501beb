// Package typeset owns the setting of text in the images the bot draws: it
// turns a string into glyphs laid out on a line, or on wrapped lines, and
// draws them as outlines on a gonum vg canvas, so that every label appears
// as its writer wrote it.
//
// Strings are shaped with go-text/typesetting, the Go port of HarfBuzz, so
// Arabic letters join and marks sit on their bases; lines are laid out with
// the Unicode bidirectional algorithm, so Arabic and Hebrew run right to
// left with Latin words and numbers inside them left to right; and lines
// break where UAX #14 allows, and inside a word only between grapheme
// clusters, so an emoji sequence or a letter with its accent is never cut.
//
// Each character takes the first font of its style that has it, from a set
// embedded in the binary (no system fonts, nothing fetched at run time):
// Liberation Sans (Latin, Greek, Cyrillic, Hebrew), Noto Sans Arabic, a
// subset of Noto Sans CJK SC (common Chinese characters, simplified and
// traditional, Japanese kana and common kanji in their Japanese forms) and
// Noto Emoji, a monochrome outline font drawn in the text's colour,
// including ZWJ sequences and flags. All are under the SIL Open Font
// License; fonts/README.md lists them. A character no font has is drawn as
// Liberation Sans's .notdef box, never dropped.
//
// Fonts are parsed once, on first use; every function is safe for
// concurrent use.
package typeset

import (
	"image/color"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/bidi"
	"github.com/go-text/typesetting/di"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
	"github.com/go-text/typesetting/language"
	"github.com/go-text/typesetting/segmenter"
	"github.com/go-text/typesetting/shaping"
	"golang.org/x/image/math/fixed"
	xbidi "golang.org/x/text/unicode/bidi"

	"gonum.org/v1/plot/vg"
)

// Style selects the weight and slant of a face.
type Style uint8

const (
	Regular Style = iota
	Bold
	// Italic slants the Latin, Greek and Cyrillic letters; other scripts
	// have no italic here and stay upright.
	Italic
	styleCount
)

// Face is a style at a size in points, the unit of the vg canvas.
type Face struct {
	Style Style
	Size  float64
}

// Align places a line relative to the x it is drawn at.
type Align uint8

const (
	Left   Align = iota // the line starts at x
	Center              // the line is centred on x
	Right               // the line ends at x
)

// Line is a string shaped and laid out in visual order, ready to measure
// and draw. The zero Line is empty.
type Line struct {
	text   string
	width  float64
	size   float64
	glyphs []placed
}

// placed is one glyph of a line.
type placed struct {
	file       *fontFile
	emboldened bool
	id         font.GID
	cluster    int     // index of its first character in the text; -1 for a hyphen or "…"
	x, y       float64 // origin, from the line's left end on its baseline, in points
}

// Width is the line's advance in points.
func (l Line) Width() float64 { return l.width }

// String returns the characters the line shows, in logical order, ending
// in "-" where the line breaks a word and in "…" where text was cut off.
func (l Line) String() string { return l.text }

// Shape lays s out on one line in face f.
func Shape(s string, f Face) Line {
	if !validSize(f.Size) {
		return Line{}
	}
	st := getSetter()
	defer putSetter(st)
	p := st.paragraph(s, f)
	if len(p.text) == 0 {
		return Line{size: f.Size}
	}
	l := Line{text: s}
	st.place(&l, p, p.outs, len(p.outs), st.levels(p, p.outs))
	return l
}

// Measure returns the width in points of s on one line in face f.
func Measure(s string, f Face) float64 { return Shape(s, f).Width() }

// Wrap breaks s into lines no wider than width points, at most maxLines of
// them (no limit if maxLines <= 0). It breaks where UAX #14 allows and
// inside a word only when the word alone is wider than a line, then between
// grapheme clusters, marking the cut with a hyphen in scripts that
// hyphenate; the last line allowed ends in "…" if text remains. whole
// reports that no word was cut and no text was left out.
func Wrap(s string, f Face, width float64, maxLines int) (lines []Line, whole bool) {
	if !validSize(f.Size) {
		return nil, s == ""
	}
	st := getSetter()
	defer putSetter(st)
	p := st.paragraph(s, f)
	if len(p.text) == 0 {
		return nil, true
	}
	return st.wrap(p, width, maxLines)
}

// validSize excludes sizes at which nothing can be drawn.
func validSize(points float64) bool { return points > 0 && !math.IsInf(points, 1) }

// Draw fills the line's glyphs in clr on c, with the line's baseline at
// at.Y and its left end, centre or right end at at.X as align says.
func (l Line) Draw(c vg.Canvas, clr color.Color, at vg.Point, align Align) {
	if len(l.glyphs) == 0 {
		return
	}
	x := float64(at.X)
	switch align {
	case Center:
		x -= l.width / 2
	case Right:
		x -= l.width
	}
	y := float64(at.Y)
	outlines := make([][]ot.Segment, len(l.glyphs))
	var fill, stroke pathBuilder
	for i, g := range l.glyphs {
		outlines[i] = g.file.outline(g.id)
		fill.reserve(outlines[i])
		if g.emboldened {
			stroke.reserve(outlines[i])
		}
	}
	fill.alloc()
	stroke.alloc()
	for i, g := range l.glyphs {
		fill.add(outlines[i], x+g.x, y+g.y, l.size)
		if g.emboldened {
			stroke.add(outlines[i], x+g.x, y+g.y, l.size)
		}
	}
	c.Push()
	defer c.Pop()
	c.SetColor(clr)
	c.Fill(fill.path)
	if stroke := stroke.path; len(stroke) > 0 {
		// FreeType's synthetic bold widens a glyph by 1/24 em; a stroke
		// of that width adds half of it on each side of the outline.
		c.SetLineWidth(vg.Length(l.size / 24))
		c.SetLineDash(nil, 0)
		c.Stroke(stroke)
	}
}

// refSize is the size text is shaped at, in points. go-text rounds the
// shaping size up to a whole number, so shaping at a large size and
// scaling the result keeps fractional sizes exact.
const refSize = 1024

// setter holds what shaping one string needs. Faces, the shaper and the
// segmenters are not safe for concurrent use, so each goroutine takes a
// setter from the pool for the duration of a call.
type setter struct {
	set     *fontSet
	faces   map[*fontFile]*font.Face
	shaper  shaping.HarfbuzzShaper
	seg     shaping.Segmenter
	wrapper shaping.LineWrapper
	breaks  segmenter.Segmenter
	bidi    bidi.Paragraph
	fm      fontmap
}

var setters sync.Pool

func getSetter() *setter {
	if st, ok := setters.Get().(*setter); ok {
		return st
	}
	set := fonts()
	st := &setter{set: set, faces: map[*fontFile]*font.Face{}}
	for _, f := range set.files {
		st.faces[f] = font.NewFace(f.font)
	}
	return st
}

func putSetter(st *setter) { setters.Put(st) }

// fontmap resolves each character to the first face of the style that has
// it; a combining mark stays with its base's face when that face has it.
type fontmap struct {
	slots []slot
	faces []*font.Face // the setter's face for each slot
	last  int
}

func (m *fontmap) ResolveFace(r rune) *font.Face {
	if unicode.In(r, unicode.Mn, unicode.Me) {
		if _, ok := m.faces[m.last].NominalGlyph(r); ok {
			return m.faces[m.last]
		}
	}
	for i, f := range m.faces {
		if _, ok := f.NominalGlyph(r); ok {
			m.last = i
			return f
		}
	}
	// No font has it: the first face shapes it to its .notdef box.
	m.last = 0
	return m.faces[0]
}

func (m *fontmap) slotOf(f *font.Face) slot {
	for i, g := range m.faces {
		if g == f {
			return m.slots[i]
		}
	}
	return m.slots[0]
}

// paragraph is a string segmented and shaped at refSize, in logical order.
type paragraph struct {
	face   Face
	text   []rune
	dir    di.Direction
	level  []bidi.Level // of each rune
	outs   []shaping.Output
	slots  []slot // of each output
	style  []slot // the style's fonts, in fallback order
	breaks []bool // breaks[i]: UAX #14 allows a line break before text[i]
}

func (st *setter) paragraph(s string, f Face) *paragraph {
	p := &paragraph{face: f, text: []rune(s)}
	if len(p.text) == 0 {
		return p
	}
	slots := st.set.styles[min(f.Style, styleCount-1)]
	p.style = slots
	st.fm.slots = slots
	st.fm.faces = st.fm.faces[:0]
	for _, sl := range slots {
		st.fm.faces = append(st.fm.faces, st.faces[sl.file])
	}
	st.fm.last = 0

	p.dir = di.DirectionLTR
	bdir := bidi.LeftToRight
	if rightToLeft(p.text) {
		p.dir, bdir = di.DirectionRTL, bidi.RightToLeft
	}
	runs := st.bidi.Segment(p.text, bdir)
	p.level = make([]bidi.Level, len(p.text))
	for i := range runs.NumRuns() {
		r := runs.Run(i)
		for j := r.Start; j < r.End; j++ {
			p.level[j] = r.Level
		}
	}

	in := shaping.Input{
		Text:      p.text,
		RunEnd:    len(p.text),
		Direction: p.dir,
		Size:      fixed.I(refSize),
		Language:  langHint(p.text),
	}
	var space fixed.Int26_6 // the first font's, at refSize
	for _, run := range st.seg.Split(in, &st.fm) {
		out := st.shaper.Shape(run)
		sl := st.fm.slotOf(run.Face)
		if run.Face != st.fm.faces[0] {
			// A space takes the font of the text before it, so words
			// would be spaced by each fallback font's idea of a space
			// (Noto Emoji's is 1.27 em): give every space the first
			// font's width instead.
			if space == 0 {
				space = st.shapeWith(st.fm.faces[0], " ", di.DirectionLTR).Advance
			}
			for i, g := range out.Glyphs {
				if r := p.text[g.TextIndex()]; r == ' ' || r == '\u00a0' {
					out.Glyphs[i].Advance = space
				}
			}
			out.RecomputeAdvance()
		}
		p.outs = append(p.outs, out)
		p.slots = append(p.slots, sl)
	}
	return p
}

// langHint is the language that selects localised glyphs: Japanese when
// the text has kana, so that its kanji take their Japanese forms rather
// than the Chinese ones of the same code points. Other scripts need none.
func langHint(text []rune) language.Language {
	for _, r := range text {
		if unicode.In(r, unicode.Hiragana, unicode.Katakana) {
			return "ja"
		}
	}
	return ""
}

// rightToLeft applies rules P2 and P3 of the bidirectional algorithm: the
// paragraph runs right to left if its first strong character, outside
// isolates, is right-to-left.
func rightToLeft(text []rune) bool {
	isolates := 0
	for _, r := range text {
		p, _ := xbidi.LookupRune(r)
		switch p.Class() {
		case xbidi.LRI, xbidi.RLI, xbidi.FSI:
			isolates++
		case xbidi.PDI:
			if isolates > 0 {
				isolates--
			}
		case xbidi.L:
			if isolates == 0 {
				return false
			}
		case xbidi.R, xbidi.AL:
			if isolates == 0 {
				return true
			}
		}
	}
	return false
}

func (p *paragraph) scale() float64 { return p.face.Size / refSize }

func (p *paragraph) toRef(points float64) fixed.Int26_6 {
	v := points / p.scale() * 64
	if v > math.MaxInt32/2 || math.IsNaN(v) {
		v = math.MaxInt32 / 2
	}
	return fixed.Int26_6(max(v, 0))
}

// wrap fits p into lines of width points. A line that breaks inside a word
// of a hyphenating script is wrapped again, narrower by a hyphen, so the
// hyphen fits too; lines before it break the same way each time, as the
// wrapper is greedy.
func (st *setter) wrap(p *paragraph, width float64, maxLines int) ([]Line, bool) {
	st.breaks.Init(p.text)
	p.breaks = make([]bool, len(p.text)+1)
	for it := st.breaks.LineIterator(); it.Next(); {
		l := it.Line()
		p.breaks[l.Offset+len(l.Text)] = true
	}
	first := st.fm.faces[0]
	ellipsis := st.shapeWith(first, "…", p.dir)
	hyphen := st.shapeWith(first, "-", di.DirectionLTR)
	cfg := shaping.WrapConfig{
		Direction:          p.dir,
		TruncateAfterLines: max(maxLines, 0),
		Truncator:          ellipsis,
		BreakPolicy:        shaping.WhenNecessary,
	}
	hyphenated := map[int]bool{}
	for {
		outs := make([]shaping.Output, len(p.outs))
		for i, o := range p.outs {
			// The wrapper writes to glyphs (it zeroes the advance of
			// trailing spaces): each pass starts from a fresh copy.
			o.Glyphs = slices.Clone(o.Glyphs)
			outs[i] = o
		}
		st.wrapper.Prepare(cfg, p.text, shaping.NewSliceIterator(outs))
		var lines []Line
		whole, again := true, false
		for i := 0; ; i++ {
			w := p.toRef(width)
			if hyphenated[i] {
				w = max(w-hyphen.Advance, 0)
			}
			wl, done := st.wrapper.WrapNextLineF(w)
			if len(wl.Line) == 0 {
				break
			}
			end := wl.NextLine
			if wl.Truncated > 0 {
				whole = false
			}
			cut := wl.Truncated == 0 && end < len(p.text) && !p.breaks[end]
			if cut {
				whole = false
				if hyphenates(p.text, end) && !hyphenated[i] {
					hyphenated[i] = true
					again = true
					break
				}
			}
			run := slices.Clone([]shaping.Output(wl.Line))
			if cut && hyphenated[i] {
				h := hyphen
				h.Runes = shaping.Range{Offset: end, Count: 0}
				run = append(run, h)
			}
			// At a width narrower than a letter, a space can be left
			// alone on a line; it shows nothing.
			if l := st.wrappedLine(p, run, wl, cut && hyphenated[i]); l.text != "" {
				lines = append(lines, l)
			}
			if done {
				break
			}
		}
		if !again {
			return lines, whole
		}
	}
}

// hyphenates reports whether a line broken before text[i] should end in a
// hyphen: it cuts a word of an alphabet that marks such cuts with one.
func hyphenates(text []rune, i int) bool {
	alpha := func(r rune) bool {
		return unicode.IsDigit(r) || unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
	}
	return i > 0 && i < len(text) && alpha(text[i-1]) && alpha(text[i])
}

// wrappedLine turns one line of the wrapper's output, in logical order,
// into a Line. The wrapper's own visual order handles a single level of
// embedding only, so the runs are reordered here by their bidi levels.
func (st *setter) wrappedLine(p *paragraph, runs []shaping.Output, wl shaping.WrappedLine, hyphenated bool) Line {
	n := len(runs) // runs of text, before a truncator or hyphen
	if wl.Truncated > 0 || hyphenated {
		n--
	}
	start, end := len(p.text), 0
	for _, r := range runs[:n] {
		start = min(start, r.Runes.Offset)
		end = max(end, r.Runes.Offset+r.Runes.Count)
	}
	text := string(p.text[min(start, end):end])
	levels := st.levels(p, runs[:n])
	switch {
	case wl.Truncated > 0:
		// As a person would: no "word, …" or "word …".
		runs = trimBeforeTruncator(p.text, runs)
		n = len(runs) - 1
		text = strings.TrimRight(text, trimmedBeforeEllipsis) + "…"
		levels = append(levels[:n], paraLevel(p))
	case hyphenated:
		text += "-"
		levels = append(levels, p.level[wl.NextLine-1])
	default:
		text = strings.TrimRightFunc(text, unicode.IsSpace)
	}
	l := Line{text: text}
	st.place(&l, p, runs, n, levels)
	return l
}

const trimmedBeforeEllipsis = " ,;:،、，"

// trimBeforeTruncator drops the spaces and light punctuation that would
// end the text just before the truncator, the last run. Runs left empty
// are dropped too.
func trimBeforeTruncator(text []rune, runs []shaping.Output) []shaping.Output {
	trunc := runs[len(runs)-1]
	runs = runs[:len(runs)-1]
	for len(runs) > 0 {
		r := &runs[len(runs)-1]
		rtl := r.Direction.Progression() == di.TowardTopLeft
		for len(r.Glyphs) > 0 {
			// The logically last glyph is the rightmost of a left-to-right
			// run and the leftmost of a right-to-left one.
			i := len(r.Glyphs) - 1
			if rtl {
				i = 0
			}
			c := r.Glyphs[i].TextIndex()
			if c >= len(text) || !strings.ContainsRune(trimmedBeforeEllipsis, text[c]) {
				break
			}
			if rtl {
				r.Glyphs = r.Glyphs[1:]
			} else {
				r.Glyphs = r.Glyphs[:i]
			}
		}
		r.RecomputeAdvance()
		if len(r.Glyphs) > 0 {
			break
		}
		runs = runs[:len(runs)-1]
	}
	return append(runs, trunc)
}

func paraLevel(p *paragraph) bidi.Level {
	if p.dir == di.DirectionRTL {
		return 1
	}
	return 0
}

// levels returns the bidi level of each run of text: that of its first
// character.
func (st *setter) levels(p *paragraph, runs []shaping.Output) []bidi.Level {
	levels := make([]bidi.Level, len(runs), len(runs)+1)
	for i, r := range runs {
		levels[i] = paraLevel(p)
		if r.Runes.Offset < len(p.level) {
			levels[i] = p.level[r.Runes.Offset]
		}
	}
	return levels
}

// place orders runs visually by their levels and records each glyph's
// position. Runs from index text on are not the paragraph's own (a hyphen
// or truncator, set in the style's first font).
func (st *setter) place(l *Line, p *paragraph, runs []shaping.Output, text int, levels []bidi.Level) {
	k := p.scale()
	l.size = p.face.Size
	pen := 0.0
	for _, i := range visualOrder(levels) {
		r := runs[i]
		sl := slotFor(p, r)
		for _, g := range r.Glyphs {
			cluster := g.TextIndex()
			if i >= text {
				cluster = -1
			}
			l.glyphs = append(l.glyphs, placed{
				file:       sl.file,
				emboldened: sl.emboldened,
				id:         g.GlyphID,
				cluster:    cluster,
				x:          pen + float64(g.XOffset)/64*k,
				y:          float64(g.YOffset) / 64 * k,
			})
			pen += float64(g.Advance) / 64 * k
		}
	}
	l.width = pen
}

// slotFor finds the font a run was shaped with.
func slotFor(p *paragraph, r shaping.Output) slot {
	for i, o := range p.outs {
		if o.Face == r.Face {
			return p.slots[i]
		}
	}
	return p.style[0]
}

// visualOrder applies rule L2 of the bidirectional algorithm to runs of
// the given levels, in logical order: from the highest level down to the
// lowest odd one, every maximal sequence of runs at that level or higher is
// reversed. It returns run indexes from left to right.
func visualOrder(levels []bidi.Level) []int {
	order := make([]int, len(levels))
	for i := range order {
		order[i] = i
	}
	if len(levels) == 0 {
		return order
	}
	hi, lowOdd := slices.Max(levels), bidi.Level(math.MaxInt8)
	for _, l := range levels {
		if l%2 == 1 {
			lowOdd = min(lowOdd, l)
		}
	}
	for lvl := hi; lvl >= lowOdd && lvl > 0; lvl-- {
		for i := 0; i < len(order); {
			if levels[order[i]] < lvl {
				i++
				continue
			}
			j := i
			for j < len(order) && levels[order[j]] >= lvl {
				j++
			}
			slices.Reverse(order[i:j])
			i = j
		}
	}
	return order
}

// shapeWith shapes s in one face, for the hyphen and the ellipsis.
func (st *setter) shapeWith(f *font.Face, s string, dir di.Direction) shaping.Output {
	text := []rune(s)
	return st.shaper.Shape(shaping.Input{
		Text:      text,
		RunEnd:    len(text),
		Direction: dir,
		Face:      f,
		Size:      fixed.I(refSize),
	})
}
