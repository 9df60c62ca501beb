package kit

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
)

// Secrets in URLs.
//
// Slack and Discord put bearer secrets in URLs: a Slack response_url or
// incoming webhook is itself the credential to post, a Discord interaction
// or webhook token is a path segment (/webhooks/{app}/{token},
// /interactions/{id}/{token}/callback), and file uploads go to pre-signed
// URLs. Go's HTTP client quotes the whole URL in its errors (*url.Error),
// and the platform SDKs wrap those errors, so a failed post would log the
// secret. Adapters therefore log through RedactLogs, which cuts every URL
// in a logged error or string down to its scheme and host: enough to tell
// which service failed, nothing that lets anyone post.

// urlPattern matches a URL as error texts write it: a scheme, "://", and
// everything up to white space or a quote.
var urlPattern = regexp.MustCompile(`[A-Za-z][A-Za-z0-9+.-]*://[^\s"'<>]*`)

// RedactURLs replaces every URL in s by its scheme and host, dropping any
// user name and password, path, query and fragment.
func RedactURLs(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	return urlPattern.ReplaceAllStringFunc(s, func(u string) string {
		scheme, rest, _ := strings.Cut(u, "://")
		host, tail := rest, ""
		if i := strings.IndexAny(rest, "/?#"); i >= 0 {
			host, tail = rest[:i], rest[i:]
		}
		if i := strings.LastIndexByte(host, '@'); i >= 0 {
			host = host[i+1:]
		}
		if tail != "" && tail != "/" {
			tail = "/[redacted]"
		}
		return scheme + "://" + host + tail
	})
}

// RedactErr returns err with its text passed through RedactURLs, for logs
// and messages. errors.Is and errors.As still see err; nil stays nil.
func RedactErr(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(redactedErr); ok {
		return err
	}
	return redactedErr{err}
}

type redactedErr struct{ err error }

func (e redactedErr) Error() string        { return RedactURLs(e.err.Error()) }
func (e redactedErr) Unwrap() error        { return e.err }
func (e redactedErr) LogValue() slog.Value { return slog.StringValue(e.Error()) }

// RedactLogs returns a logger that writes what l writes, with every error
// and string attribute passed through RedactURLs: the one place where
// adapters' log lines lose the secrets their errors carry.
func RedactLogs(l *slog.Logger) *slog.Logger {
	if h, ok := l.Handler().(redactingHandler); ok {
		return slog.New(h)
	}
	return slog.New(redactingHandler{l.Handler()})
}

type redactingHandler struct{ next slog.Handler }

func (h redactingHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h redactingHandler) Handle(ctx context.Context, r slog.Record) error {
	out := slog.NewRecord(r.Time, r.Level, RedactURLs(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return h.next.Handle(ctx, out)
}

func (h redactingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	red := make([]slog.Attr, len(attrs))
	for i, a := range attrs {
		red[i] = redactAttr(a)
	}
	return redactingHandler{h.next.WithAttrs(red)}
}

func (h redactingHandler) WithGroup(name string) slog.Handler {
	return redactingHandler{h.next.WithGroup(name)}
}

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, RedactURLs(v.String()))
	case slog.KindGroup:
		attrs := v.Group()
		red := make([]slog.Attr, len(attrs))
		for i, g := range attrs {
			red[i] = redactAttr(g)
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(red...)}
	case slog.KindAny:
		switch x := v.Any().(type) {
		case error:
			return slog.String(a.Key, RedactURLs(x.Error()))
		case fmt.Stringer: // *url.URL, *http.Request's URL, ...
			return slog.String(a.Key, RedactURLs(x.String()))
		}
	}
	return slog.Attr{Key: a.Key, Value: v}
}
