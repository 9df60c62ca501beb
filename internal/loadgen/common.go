package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pollbot/pollbot/internal/jsontext"
)

// CheckLoopback returns nil when rawURL (a URL with a host, or a bare
// host:port) names a host whose every address is loopback: 127.0.0.0/8 or
// ::1. A name is resolved; one non-loopback address among its answers is
// enough to refuse, because the dialer might pick it.
func CheckLoopback(ctx context.Context, rawURL string) error {
	host := rawURL
	if u, err := url.Parse(rawURL); err == nil && u.Host != "" {
		host = u.Host
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		return fmt.Errorf("%w: %q has no host", ErrNotLoopback, rawURL)
	}
	var ips []net.IP
	if ip := net.ParseIP(host); ip != nil {
		ips = []net.IP{ip}
	} else {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		if err != nil {
			return fmt.Errorf("%w: resolve %q: %v", ErrNotLoopback, host, err)
		}
		for _, a := range addrs {
			ips = append(ips, a.IP)
		}
	}
	if len(ips) == 0 {
		return fmt.Errorf("%w: %q has no address", ErrNotLoopback, host)
	}
	for _, ip := range ips {
		if !isLoopback(ip) {
			return fmt.Errorf("%w: %q resolves to %s", ErrNotLoopback, host, ip)
		}
	}
	return nil
}

func isLoopback(ip net.IP) bool {
	if v4 := ip.To4(); v4 != nil {
		return v4[0] == 127
	}
	return ip.Equal(net.IPv6loopback)
}

// ErrorKind names the kind of a failed operation for Result.Errors:
// "HTTP <code>" for a *StatusError, "discord type <n>" for an
// *UnexpectedTypeError, and for transport failures "timeout", "connection
// refused", "connection reset", "EOF" or "transport". Other errors are
// "other".
func ErrorKind(err error) string {
	var se *StatusError
	var te *UnexpectedTypeError
	var ne net.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return "HTTP " + strconv.Itoa(se.Code)
	case errors.As(err, &te):
		return "discord type " + strconv.Itoa(te.Got)
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.As(err, &ne):
		return "transport"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return "transport"
	}
	return "other"
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Code, e.Body)
}

func (e *UnexpectedTypeError) Error() string {
	return fmt.Sprintf("discord interaction response type %d, want %d: %s", e.Got, e.Want, e.Content)
}

func statusErr(code int, body []byte) error {
	if code == http.StatusOK {
		return nil
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return &StatusError{Code: code, Body: string(body)}
}

// uniq hands out numbers unique in this process and, because the start is
// random, across processes and runs too. pollbot remembers Slack trigger
// ids and action timestamps, and Discord interaction ids, to drop
// redeliveries (for 15 minutes, in Redis for Slack): two generators counting
// from 1 against the same pollbot would see each other's requests dropped.
var uniq atomic.Uint64

func init() {
	var b [8]byte
	_, _ = rand.Read(b[:])
	// 2^62 leaves room for 10^18 numbers before the top bit; the values
	// stay below 19 digits, short enough for a Discord snowflake.
	uniq.Store(binary.LittleEndian.Uint64(b[:]) >> 2)
}

func nextUniq() uint64 { return uniq.Add(1) }

// defaultClient keeps enough idle connections for a few hundred concurrent
// clients: http.DefaultTransport keeps 2 per host, and each extra dial
// would be measured as latency.
func defaultClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 1024
	tr.MaxIdleConnsPerHost = 512
	tr.MaxConnsPerHost = 0
	tr.DisableCompression = true
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// readBody reads a response body whole and closes it; responses come from
// loopback servers the caller chose, but are bounded anyway.
func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 4<<20))
}

// appendJSONString appends s as a JSON string (quotes included).
func appendJSONString(dst []byte, s string) []byte { return jsontext.AppendString(dst, s) }

// appendJSONInner appends s escaped for a JSON string, without the quotes.
func appendJSONInner(dst []byte, s string) []byte { return jsontext.AppendInner(dst, s) }

// appendQueryEscape appends s escaped as a form value, as
// url.QueryEscape does, without allocating.
func appendQueryEscape(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
		}
	}
	return dst
}

const upperHex = "0123456789ABCDEF"

func appendQueryEscapeBytes(dst, s []byte) []byte {
	for _, c := range s {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.', c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', upperHex[c>>4], upperHex[c&0xf])
		}
	}
	return dst
}
