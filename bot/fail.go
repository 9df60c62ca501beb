// This file holds the engine's own errors and how a failure becomes a
// private reply: one place decides what a person is told when a command
// cannot run.

package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pollbot/pollbot/polls"
)

// Errors of the engine itself.
var (
	ErrForbidden = errors.New("not allowed")
	ErrNoPreset  = errors.New("unknown preset")
)

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
	)
	var text string
	switch {
	case errors.As(err, &ue):
		// A problem quotes what was typed: all of it is user text.
		text = UserText(sentence(ue.Problem))
		if ue.Usage != "" {
			text += "\nUsage: " + ue.Usage
		}
	case errors.As(err, &de):
		// The domain's parameters that people wrote (titles, labels,
		// what was typed) are marked as user text (see domainText).
		text = sentence(domainText(de, e.groups))
	case errors.Is(err, ErrForbidden), errors.Is(err, ErrNoPreset), errors.Is(err, ErrBadAction):
		text = sentence(err.Error())
	case errors.Is(err, polls.ErrNoBallot):
		text = "You have no ballot in that poll."
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		e.log.Warn("request ran out of time; the store may be slow or unreachable", logAttrs(req, op, poll, err)...)
		text = "pollbot took too long to answer, so your request may not have been saved. Please try again; a vote is never counted twice."
	default:
		e.log.Error("request failed", logAttrs(req, op, poll, err)...)
		text = "Sorry, pollbot could not reach its store just now. Please try again in a moment; a vote is never counted twice."
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
			if u := Usage(name); u != "" {
				resp.Replies[0].Text += "\nUsage: " + u
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

// plural formats a count with its noun: "1 ballot", "2 ballots".
func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
