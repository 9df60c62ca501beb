package polls

import (
	"errors"
	"fmt"
	"strconv"
)

// Sentinel errors. Callers branch on them with errors.Is; the adapters turn
// them into user-facing text. Errors returned by this package that carry
// detail (which theme, which limit) wrap one of these in an [*Error].
var (
	ErrNotFound        = errors.New("poll not found")
	ErrExists          = errors.New("poll id already in use")
	ErrEmptyTitle      = errors.New("the poll needs a title")
	ErrTitleTooLong    = errors.New("title too long")
	ErrNoThemes        = errors.New("the poll needs at least one theme")
	ErrTooManyThemes   = errors.New("too many themes")
	ErrEmptyTheme      = errors.New("empty theme label")
	ErrThemeTooLong    = errors.New("theme label too long")
	ErrDuplicateTheme  = errors.New("duplicate theme")
	ErrUnknownKind     = errors.New("unknown poll kind")
	ErrRankedTooFew    = errors.New("a ranked poll needs at least 2 themes")
	ErrInvalidOption   = errors.New("invalid option")
	ErrUnknownTheme    = errors.New("unknown theme")
	ErrNoChoices       = errors.New("no theme chosen")
	ErrTooManyChoices  = errors.New("too many choices")
	ErrRepeatedChoice  = errors.New("theme chosen twice")
	ErrClosed          = errors.New("poll is closed")
	ErrCancelled       = errors.New("poll is cancelled")
	ErrPastDeadline    = errors.New("poll deadline has passed")
	ErrNotOpen         = errors.New("poll is not open")
	ErrNotClosed       = errors.New("poll is not closed")
	ErrUnknownGroup    = errors.New("unknown stakeholder group")
	ErrNoGroup         = errors.New("no stakeholder group")
	ErrGroupAssigned   = errors.New("group assigned by a facilitator")
	ErrNoBallot        = errors.New("no ballot")
	ErrNoPseudonymKey  = errors.New("anonymous polls need a pseudonym key")
	ErrInvalidDeadline = errors.New("invalid deadline")
	ErrResultsHidden   = errors.New("results are hidden until the poll closes")
)

// Error is a domain error with detail for the person who caused it. It wraps
// one of the sentinel errors above, so errors.Is(err, ErrThemeTooLong) holds
// for an *Error whose Kind is ErrThemeTooLong.
type Error struct {
	Kind   error  // one of the sentinel errors
	Detail string // a complete sentence or phrase naming the problem
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Kind.Error()
	}
	return e.Detail
}

func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Detail: fmt.Sprintf(format, args...)}
}

// briefRunes bounds how much of what someone typed an error repeats.
const briefRunes = 40

// brief quotes what someone typed for an error message, cut to 40
// characters, so that an error never repeats a pasted document back.
func brief(s string) string {
	n := 0
	for i := range s {
		if n == briefRunes {
			return strconv.Quote(s[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(s)
}
