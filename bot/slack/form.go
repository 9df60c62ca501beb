package slack

import (
	"bytes"
	"errors"
	"mime"

	"github.com/pollbot/pollbot/bot/kit"
)

// errForm is a body that net/url's ParseQuery, and so net/http's
// ParseForm, refuses: a field with a semicolon, a '%' not followed by two
// hex digits, more than maxFormFields fields.
var errForm = errors.New("malformed form body")

// formContent reports whether a request of this Content-Type carries a
// form net/http's ParseForm reads (application/x-www-form-urlencoded);
// a Content-Type it cannot parse is errForm, as ParseForm's error.
func formContent(ct string) (bool, error) {
	const form = "application/x-www-form-urlencoded"
	if ct == form { // what Slack sends
		return true, nil
	}
	if ct == "" {
		return false, nil // application/octet-stream to ParseForm
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false, errForm
	}
	return mt == form, nil
}

// appendFormValue appends to dst the value of the first field named key
// in a form-encoded body, unescaped, and reports whether there was one:
// what r.PostForm.Get(key) gives after r.ParseForm, without the map of
// every field and the three copies of a click's payload that takes (the
// body as a string, each field unescaped, the value back as bytes). A
// body ParseForm refuses is errForm here too, whichever field is wrong.
// FuzzAppendFormValue holds it to net/url.
func appendFormValue(dst, body []byte, key string) (val []byte, found bool, err error) {
	start := len(dst)
	if bytes.Count(body, []byte{'&'}) >= maxFormFields {
		return dst, false, errForm
	}
	for len(body) > 0 {
		var field []byte
		field, body, _ = bytes.Cut(body, []byte{'&'})
		if bytes.IndexByte(field, ';') >= 0 {
			err = errForm
			continue
		}
		if len(field) == 0 {
			continue
		}
		k, v, _ := bytes.Cut(field, []byte{'='})
		if !validEscapes(k) || !validEscapes(v) {
			err = errForm
			continue
		}
		if found || !keyIs(k, key) {
			continue
		}
		dst, found = appendUnescaped(dst, v), true
	}
	if err != nil {
		return dst[:start], false, err
	}
	return dst, found, nil
}

// maxFormFields is the most fields net/url parses in a form (its
// default; GODEBUG urlmaxqueryparams changes it there, not here).
const maxFormFields = 10000

// validEscapes reports whether every '%' in s is followed by two hex
// digits, as url.QueryUnescape requires.
func validEscapes(s []byte) bool {
	for i := bytes.IndexByte(s, '%'); i >= 0; {
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		next := bytes.IndexByte(s[i+3:], '%')
		if next < 0 {
			return true
		}
		i += 3 + next
	}
	return true
}

// keyIs reports whether the escaped form key k unescapes to key.
func keyIs(k []byte, key string) bool {
	if bytes.IndexByte(k, '%') < 0 && bytes.IndexByte(k, '+') < 0 {
		return string(k) == key
	}
	var b [32]byte
	return len(k) <= 3*len(key) && len(key) <= len(b) && string(appendUnescaped(b[:0], k)) == key
}

// appendUnescaped appends s, a form value with valid escapes, unescaped:
// "%XX" is the byte XX, '+' a space.
func appendUnescaped(dst, s []byte) []byte {
	for len(s) > 0 {
		i := bytes.IndexAny(s, "%+")
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(dst, s[:i]...)
		if s[i] == '+' {
			dst = append(dst, ' ')
			s = s[i+1:]
			continue
		}
		dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
		s = s[i+3:]
	}
	return dst
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// payloadBufs holds the buffers interaction payloads are unescaped into:
// nothing decoded from a payload keeps its bytes (every string is
// copied out), so the buffer goes back when the request is answered.
var payloadBufs kit.Buffers
