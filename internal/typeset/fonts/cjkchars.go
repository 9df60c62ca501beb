//go:build ignore

// cjkchars prints, one "U+XXXX" a line, the characters kept in the subset of
// Noto Sans CJK SC that the typeset package embeds: every Han character of
// GB 2312 (simplified Chinese, both levels), of Big5 level 1 (the 5,401
// frequently used traditional characters) and of JIS X 0208 level 1 (common
// Japanese kanji), with all kana, CJK punctuation, the full- and half-width
// forms and the space. make.sh runs it; see README.md beside it.
package main

import (
	"fmt"
	"os"
	"slices"
	"unicode"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// block is a range of double-byte codes: lead bytes lead[0]..lead[1], each
// followed by trail bytes in any of the trail ranges, up to code last.
type block struct {
	enc   encoding.Encoding
	lead  [2]byte
	trail [][2]byte
	last  int
}

var blocks = []block{
	// GB 2312 rows 16-87: levels 1 and 2 of the hanzi, as GBK bytes.
	{simplifiedchinese.GBK, [2]byte{0xB0, 0xF7}, [][2]byte{{0xA1, 0xFE}}, 0xF7FE},
	// Big5 0xA440-0xC67E: the frequently used characters (level 1).
	{traditionalchinese.Big5, [2]byte{0xA4, 0xC6}, [][2]byte{{0x40, 0x7E}, {0xA1, 0xFE}}, 0xC67E},
	// JIS X 0208 rows 16-47: level 1 kanji, as EUC-JP bytes.
	{japanese.EUCJP, [2]byte{0xB0, 0xCF}, [][2]byte{{0xA1, 0xFE}}, 0xCFFE},
}

// ranges are kept whole.
var ranges = [][2]rune{
	{0x0020, 0x0020}, // space and no-break space: a font without them
	{0x00A0, 0x00A0}, // shapes a space after a CJK character as .notdef
	{0x3000, 0x303F}, // CJK symbols and punctuation
	{0x3040, 0x309F}, // hiragana
	{0x30A0, 0x30FF}, // katakana
	{0x31F0, 0x31FF}, // katakana phonetic extensions
	{0xFF00, 0xFFEF}, // half-width and full-width forms
}

func main() {
	seen := map[rune]bool{}
	for _, b := range blocks {
		dec := b.enc.NewDecoder()
		for lead := int(b.lead[0]); lead <= int(b.lead[1]); lead++ {
			for _, tr := range b.trail {
				for trail := int(tr[0]); trail <= int(tr[1]) && lead<<8|trail <= b.last; trail++ {
					s, err := dec.Bytes([]byte{byte(lead), byte(trail)})
					if err != nil {
						continue
					}
					for _, r := range string(s) {
						if unicode.Is(unicode.Han, r) {
							seen[r] = true
						}
					}
				}
			}
		}
	}
	for _, rg := range ranges {
		for r := rg[0]; r <= rg[1]; r++ {
			seen[r] = true
		}
	}
	var all []rune
	for r := range seen {
		all = append(all, r)
	}
	slices.Sort(all)
	for _, r := range all {
		if _, err := fmt.Printf("U+%04X\n", r); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
