package typeset

//go:generate sh fonts/make.sh

import (
	"bytes"
	_ "embed"
	"fmt"
	"sync"

	"codeberg.org/go-fonts/liberation/liberationsansbold"
	"codeberg.org/go-fonts/liberation/liberationsansitalic"
	"codeberg.org/go-fonts/liberation/liberationsansregular"
	"github.com/go-text/typesetting/font"
	ot "github.com/go-text/typesetting/font/opentype"
)

var (
	//go:embed fonts/NotoSansArabic-Regular.ttf
	notoSansArabicRegular []byte
	//go:embed fonts/NotoSansArabic-Bold.ttf
	notoSansArabicBold []byte
	//go:embed fonts/NotoSansCJKsc-Regular-subset.otf
	notoSansCJKRegular []byte
	//go:embed fonts/NotoEmoji-Regular.ttf
	notoEmojiRegular []byte
)

// A fontFile is one parsed font of the set, shared by every goroutine: a
// [font.Font] is safe for concurrent use, a [font.Face] is not, so each
// setter makes its own faces from it.
type fontFile struct {
	name string
	font *font.Font
	upem float64

	mu       sync.Mutex
	face     *font.Face                // loads outlines, under mu
	outlines map[font.GID][]ot.Segment // in ems, y up; nil for an empty glyph
}

// outline returns the glyph's outline scaled to one em, loaded once.
func (f *fontFile) outline(gid font.GID) []ot.Segment {
	f.mu.Lock()
	defer f.mu.Unlock()
	if segs, ok := f.outlines[gid]; ok {
		return segs
	}
	var segs []ot.Segment
	if o, ok := f.face.GlyphDataOutline(gid); ok && len(o.Segments) > 0 {
		segs = make([]ot.Segment, len(o.Segments))
		k := float32(1 / f.upem)
		for i, s := range o.Segments {
			for j := range s.Args {
				s.Args[j].X *= k
				s.Args[j].Y *= k
			}
			segs[i] = s
		}
	}
	f.outlines[gid] = segs
	return segs
}

// A slot is one font in a style's fallback order. emboldened marks a
// regular font standing in for a bold one: its glyphs are drawn with a
// stroke around the fill so that the weight still reads as bold.
type slot struct {
	file       *fontFile
	emboldened bool
}

// fontSet is every font the package draws with, and the order in which
// each style tries them for a character.
type fontSet struct {
	files  []*fontFile
	styles [styleCount][]slot
}

var (
	loadOnce sync.Once
	loaded   *fontSet
	loadErr  error
)

// fonts parses the embedded fonts on first use. They are part of the
// binary, so a failure is a build defect that every test would show, not a
// condition a caller could handle: it panics.
func fonts() *fontSet {
	loadOnce.Do(func() { loaded, loadErr = loadFonts() })
	if loadErr != nil {
		panic(loadErr)
	}
	return loaded
}

func loadFonts() (*fontSet, error) {
	parse := func(name string, data []byte) (*fontFile, error) {
		face, err := font.ParseTTF(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("typeset: parse %s: %w", name, err)
		}
		return &fontFile{
			name:     name,
			font:     face.Font,
			upem:     float64(face.Upem()),
			face:     face,
			outlines: map[font.GID][]ot.Segment{},
		}, nil
	}
	var s fontSet
	files := map[string]*fontFile{}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"Liberation Sans", liberationsansregular.TTF},
		{"Liberation Sans Bold", liberationsansbold.TTF},
		{"Liberation Sans Italic", liberationsansitalic.TTF},
		{"Noto Sans Arabic", notoSansArabicRegular},
		{"Noto Sans Arabic Bold", notoSansArabicBold},
		{"Noto Sans CJK SC", notoSansCJKRegular},
		{"Noto Emoji", notoEmojiRegular},
	} {
		ff, err := parse(f.name, f.data)
		if err != nil {
			return nil, err
		}
		files[f.name] = ff
		s.files = append(s.files, ff)
	}
	// Liberation Sans comes first: it draws Latin, Greek, Cyrillic and
	// Hebrew, and its .notdef box is the replacement for a character no
	// font has. The CJK and emoji fonts have one weight; bold text
	// emboldens them.
	cjk, emoji := files["Noto Sans CJK SC"], files["Noto Emoji"]
	s.styles[Regular] = []slot{{file: files["Liberation Sans"]}, {file: files["Noto Sans Arabic"]}, {file: cjk}, {file: emoji}}
	s.styles[Bold] = []slot{{file: files["Liberation Sans Bold"]}, {file: files["Noto Sans Arabic Bold"]}, {file: cjk, emboldened: true}, {file: emoji, emboldened: true}}
	s.styles[Italic] = []slot{{file: files["Liberation Sans Italic"]}, {file: files["Noto Sans Arabic"]}, {file: cjk}, {file: emoji}}
	return &s, nil
}
