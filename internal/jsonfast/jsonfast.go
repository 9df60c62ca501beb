// Package jsonfast reads the few fields a vote click needs from its JSON
// with fastjson (github.com/valyala/fastjson, a parser without
// reflection, several times cheaper than encoding/json on these payloads),
// and tells when encoding/json might read them differently, so that the
// caller can leave such a payload to encoding/json.
//
// A Reader reads values as encoding/json would decode them into a struct
// of the same fields, and clears OK wherever the two could differ:
//
//   - a key of an object being read that matches one of its fields other
//     than exactly (encoding/json folds case), or repeats one (encoding/json
//     keeps the last, fastjson finds the first);
//   - a field of another type than the struct's (encoding/json fails; null
//     leaves the zero value, as here), a number that is not a plain
//     unsigned integer in range;
//   - a string read that is not valid UTF-8, or holds U+FFFD or a
//     backslash (encoding/json and fastjson mend bad bytes differently, and
//     fastjson leaves a lone surrogate's escape as it is written);
//   - anything but an object where an object is read.
//
// Callers hold their fast path to their encoding/json path with a
// differential fuzz test (bot/slack FuzzFastClick, bot/discord
// FuzzFastClick).
package jsonfast

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/valyala/fastjson"
)

var parsers fastjson.ParserPool

// Parse parses data with a pooled parser and calls fn with its value,
// which is valid only during fn; false when fastjson refuses data.
func Parse(data []byte, fn func(v *fastjson.Value)) bool {
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(data)
	if err != nil {
		return false
	}
	fn(v)
	return true
}

// maxFields bounds the fields of one object a Reader reads.
const maxFields = 12

// Reader reads values; OK stays true while every value read reads as
// encoding/json would read it. Start with OK true.
type Reader struct {
	OK   bool
	seen [maxFields]bool // the fields of the object being read
}

// Object calls fn for each member of v, an object, with the fields seen
// cleared for it and restored after (an object read inside fn has its
// own); null calls nothing.
func (r *Reader) Object(v *fastjson.Value, fn func(key []byte, v *fastjson.Value)) {
	switch v.Type() {
	case fastjson.TypeNull:
		return
	case fastjson.TypeObject:
	default:
		r.OK = false
		return
	}
	o, _ := v.Object()
	saved := r.seen
	r.seen = [maxFields]bool{}
	o.Visit(func(key []byte, v *fastjson.Value) {
		if r.OK {
			fn(key, v)
		}
	})
	r.seen = saved
}

// Field is the index of key among names, the fields of the object being
// read (at most 12), or -1 for a key encoding/json would skip. A key that
// matches a name only by folding case, or a name seen before in this
// object, clears OK.
func (r *Reader) Field(key []byte, names ...string) int {
	for i, n := range names {
		if string(key) == n {
			if r.seen[i] {
				r.OK = false
				return -1
			}
			r.seen[i] = true
			return i
		}
		if bytes.EqualFold(key, []byte(n)) {
			r.OK = false
			return -1
		}
	}
	return -1
}

// Str reads a string field.
func (r *Reader) Str(v *fastjson.Value) string {
	switch v.Type() {
	case fastjson.TypeNull:
		return ""
	case fastjson.TypeString:
	default:
		r.OK = false
		return ""
	}
	b, _ := v.StringBytes()
	if !utf8.Valid(b) || bytes.Contains(b, []byte("\uFFFD")) || bytes.IndexByte(b, '\\') >= 0 {
		r.OK = false
		return ""
	}
	return string(b)
}

// StrOf reads the string member name of v, an object (or null), as a
// struct of that one field: an object such as {"id": "U1"}.
func (r *Reader) StrOf(v *fastjson.Value, name string) (out string) {
	r.Object(v, func(key []byte, v *fastjson.Value) {
		if r.Field(key, name) == 0 {
			out = r.Str(v)
		}
	})
	return out
}

// Bool reads a bool field.
func (r *Reader) Bool(v *fastjson.Value) bool {
	switch v.Type() {
	case fastjson.TypeNull, fastjson.TypeFalse:
		return false
	case fastjson.TypeTrue:
		return true
	}
	r.OK = false
	return false
}

// Uint reads an unsigned integer field of the given bits: only digits,
// in range.
func (r *Reader) Uint(v *fastjson.Value, bits int) uint64 {
	switch v.Type() {
	case fastjson.TypeNull:
		return 0
	case fastjson.TypeNumber:
	default:
		r.OK = false
		return 0
	}
	var buf [24]byte
	text := v.MarshalTo(buf[:0])
	for _, c := range text {
		if c < '0' || c > '9' {
			r.OK = false
			return 0
		}
	}
	n, err := strconv.ParseUint(string(text), 10, bits)
	if err != nil {
		r.OK = false
		return 0
	}
	return n
}

// Strs reads a []string field: nil for null, "" for a null element.
func (r *Reader) Strs(v *fastjson.Value) []string {
	switch v.Type() {
	case fastjson.TypeNull:
		return nil
	case fastjson.TypeArray:
	default:
		r.OK = false
		return nil
	}
	elems, _ := v.Array()
	out := make([]string, len(elems))
	for i, e := range elems {
		out[i] = r.Str(e)
	}
	return out
}
