// This file holds the engine's own errors and how a failure becomes a
// private reply: one place decides what a person is told when a command
// cannot run.

package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// Errors of the engine itself.
var (
	ErrForbidden = errors.New("not allowed")
)

// wordedError is an engine error that its person is told in the catalog's
// words: a kind for callers to branch on (errors.Is(err, ErrForbidden)),
// the message, and the usage line to show under it, if any. Its Error is
// the message in English, for logs.
type wordedError struct {
	kind  error
	m     msg.Message
	usage msg.Message
}

func (e *wordedError) Error() string { return msg.English().Sprint(e.m) }

func (e *wordedError) Unwrap() error { return e.kind }

// forbidden is a refusal (ErrForbidden) for reason: "not allowed: poll
// K7QX hides its results until it closes".
func forbidden(reason msg.Message) error {
	return &wordedError{kind: ErrForbidden, m: msg.ErrNotAllowed.With(reason)}
}

// fail turns an error into an ephemeral reply for the sender. Domain and
// usage errors are shown as they are worded; anything else is logged and
// replaced by a generic apology, never the driver's text.
func (e *Engine) fail(req Request, op string, err error) Response {
	return e.failPoll(req, op, "", err)
}

// failPoll is fail for an operation on a poll, whose id an internal error's
// log line then carries.
func (e *Engine) failPoll(req Request, op, poll string, err error) Response {
	var (
		ue *UsageError
		de *polls.Error
		we *wordedError
	)
	var text string
	switch {
	case errors.As(err, &ue):
		// A problem marks what it quotes of what was typed as user text.
		text = sentence(e.p.Sprint(ue.Problem))
		if !ue.Usage.IsZero() {
			text += "\n" + e.p.Sprint(msg.ReplyUsage.With(ue.Usage))
		}
	case errors.As(err, &de):
		// The domain's parameters that people wrote (titles, labels,
		// what was typed) are marked as user text (see domainMessage).
		text = sentence(e.domainText(de))
	case errors.As(err, &we):
		text = sentence(e.p.Sprint(we.m))
		if !we.usage.IsZero() {
			text += "\n" + e.p.Sprint(msg.ReplyUsage.With(we.usage))
		}
	case errors.Is(err, polls.ErrNoBallot):
		text = e.p.Sprint(msg.ErrNoBallot.With())
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.log.Warn("request ran out of time; the store may be slow or unreachable", logAttrs(req, op, poll, err)...)
		text = e.p.Sprint(msg.ErrTimeout.With())
	default:
		e.log.Error("request failed", logAttrs(req, op, poll, err)...)
		text = e.p.Sprint(msg.ErrStore.With())
	}
	text = capitalize(text)
	return Response{Replies: []Reply{{Visibility: Ephemeral, Text: text}}, Err: err}
}

// logAttrs are what a failure's log line says of the request: never the
// user, who may be voting in an anonymous poll.
func logAttrs(req Request, op, poll string, err error) []any {
	attrs := []any{"op", op, "tenant", req.Tenant, "platform", req.Platform}
	if poll != "" {
		attrs = append(attrs, "poll", poll)
	}
	return append(attrs, "err", err)
}

// usageErrs are domain errors about what was typed: the reply shows the
// usage line with them.
var usageErrs = []error{
	polls.ErrEmptyTitle, polls.ErrTitleTooLong, polls.ErrNoThemes, polls.ErrTooManyThemes,
	polls.ErrEmptyTheme, polls.ErrThemeTooLong, polls.ErrDuplicateTheme, polls.ErrUnknownKind,
	polls.ErrRankedTooFew, polls.ErrInvalidOption, polls.ErrUnknownTheme, polls.ErrNoChoices,
	polls.ErrTooManyChoices, polls.ErrRepeatedChoice, polls.ErrUnknownGroup, polls.ErrInvalidDeadline,
	polls.ErrVotingNotByClick,
}

func (e *Engine) annotate(resp *Response, name string) {
	var ue *UsageError
	if errors.As(resp.Err, &ue) || len(resp.Replies) == 0 {
		return
	}
	for _, k := range usageErrs {
		if errors.Is(resp.Err, k) {
			if u := Usage(name); !u.IsZero() {
				resp.Replies[0].Text += "\n" + e.p.Sprint(msg.ReplyUsage.With(u))
			}
			return
		}
	}
}

// capitalize upper-cases the first letter: domain error details are
// phrases ("poll K7QX is closed"); a reply is a sentence. A leading mark of
// user text is kept in front of it.
func capitalize(s string) string {
	if rest, ok := strings.CutPrefix(s, userOpenMark); ok {
		return userOpenMark + capitalize(rest)
	}
	for i, r := range s {
		return strings.ToUpper(string(r)) + s[i+len(string(r)):]
	}
	return s
}

// sentence ends s with a full stop unless it already ends a sentence.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.ContainsAny(s[len(s)-1:], ".!?…") {
		return s
	}
	return s + "."
}
