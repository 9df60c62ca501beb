package kit

import (
	"errors"
	"fmt"
	"io"
	"net/http"
)

// MaxBody bounds the body of a request to an adapter's HTTP endpoint.
// Slack's and Discord's payloads are a few kilobytes.
const MaxBody = 1 << 20

// ReadBody reads the body of an adapter's HTTP request, at most limit
// bytes, before anything looks at it (signature checks included). A body
// declared (Content-Length) or found to be larger is answered 413 with a
// message naming the limit, having read at most limit+1 bytes of it; an
// unreadable one is answered 400. ok is false when an answer was written.
//
// The memory it takes follows the bytes that arrived, never the length a
// request declares: the body is unsigned until it has been read, and a
// client that declares the limit and then sends a few bytes, slowly, on
// hundreds of connections, must not make the server hold the limit for
// each of them.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) (body []byte, ok bool) {
	if r.ContentLength > limit {
		tooLarge(w, limit)
		return nil, false
	}
	body, err := readUpTo(r.Body, limit, r.ContentLength)
	switch {
	case errors.Is(err, errTooLarge):
		tooLarge(w, limit)
		return nil, false
	case err != nil:
		http.Error(w, "unreadable request body", http.StatusBadRequest)
		return nil, false
	}
	return body, true
}

// firstRead is the buffer a body is first read into: Slack's and Discord's
// payloads fit in it.
const firstRead = 4 << 10

var errTooLarge = errors.New("body larger than the limit")

// readUpTo reads r to its end into a buffer that starts at firstRead bytes
// and doubles as it fills, up to limit+1 bytes (the extra byte tells a body
// of exactly limit bytes from a larger one), so that reading n bytes takes
// about 2n bytes of allocations whatever the body claims to be. A body
// that says it is smaller than firstRead (length, from Content-Length; -1
// for unknown) starts at its length and the byte that finds its end, as
// every click does. A body over limit is errTooLarge, having read limit+1
// bytes of it.
func readUpTo(r io.Reader, limit, length int64) ([]byte, error) {
	size := min(firstRead, limit+1)
	if length >= 0 && length < size {
		size = length + 1
	}
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return nil, errTooLarge
			}
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if int64(len(buf)) > limit {
		return nil, errTooLarge
	}
	return buf, nil
}

func tooLarge(w http.ResponseWriter, limit int64) {
	// The rest of the body is not read: the server closes the connection
	// rather than drain it.
	w.Header().Set("Connection", "close")
	http.Error(w, fmt.Sprintf("request body too large: at most %d bytes", limit), http.StatusRequestEntityTooLarge)
}

// MaxJSONDepth bounds the nesting of the JSON payloads the adapters
// accept. Slack's and Discord's payloads nest a dozen levels or so;
// encoding/json alone allows 10,000, and some platform libraries decode
// nested parts one level at a time, in time and memory that grow with the
// square of the depth.
const MaxJSONDepth = 64

// JSONTooDeep reports whether data nests arrays and objects more than max
// levels deep. It reads data once, allocates nothing, and stops at the
// first level too deep; it does not check that data is valid JSON.
func JSONTooDeep(data []byte, max int) bool {
	depth, inString := 0, false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch c {
			case '\\':
				i++
			case '"':
				inString = false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case '[', '{':
			if depth++; depth > max {
				return true
			}
		case ']', '}':
			depth--
		}
	}
	return false
}
