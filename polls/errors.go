package polls

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Sentinel errors. Callers branch on them with errors.Is. Errors returned
// by this package that carry detail (which theme, which limit) wrap one of
// these in an [*Error]; the bot words them for people from its Code and
// Params, never from the text of Error().
var (
	ErrNotFound         = errors.New("poll not found")
	ErrExists           = errors.New("poll id already in use")
	ErrEmptyTitle       = errors.New("the poll needs a title")
	ErrTitleTooLong     = errors.New("title too long")
	ErrNoThemes         = errors.New("the poll needs at least one theme")
	ErrTooManyThemes    = errors.New("too many themes")
	ErrEmptyTheme       = errors.New("empty theme label")
	ErrThemeTooLong     = errors.New("theme label too long")
	ErrDuplicateTheme   = errors.New("duplicate theme")
	ErrUnknownKind      = errors.New("unknown poll kind")
	ErrRankedTooFew     = errors.New("a ranked poll needs at least 2 themes")
	ErrInvalidOption    = errors.New("invalid option")
	ErrUnknownTheme     = errors.New("unknown theme")
	ErrNoChoices        = errors.New("no theme chosen")
	ErrTooManyChoices   = errors.New("too many choices")
	ErrRepeatedChoice   = errors.New("theme chosen twice")
	ErrClosed           = errors.New("poll is closed")
	ErrCancelled        = errors.New("poll is cancelled")
	ErrPastDeadline     = errors.New("poll deadline has passed")
	ErrNotOpen          = errors.New("poll is not open")
	ErrUnknownGroup     = errors.New("unknown stakeholder group")
	ErrGroupAssigned    = errors.New("group assigned by a facilitator")
	ErrNoBallot         = errors.New("no ballot")
	ErrNoPseudonymKey   = errors.New("anonymous polls need a pseudonym key")
	ErrPseudonymKey     = errors.New("the poll was opened under another pseudonym key")
	ErrInvalidDeadline  = errors.New("invalid deadline")
	ErrLimit            = errors.New("limit reached")
	ErrLegacyAnonymous  = errors.New("anonymous poll opened before per-poll pseudonyms")
	ErrVotingNotByClick = errors.New("this kind of poll is not voted by clicking a theme")
)

// Error is a domain error: a sentinel (Kind) for callers to branch on, a
// Code that names the situation more finely (the bot's message catalog
// has one message per code), and the Params that message needs. It holds
// no sentence: wording, and the language it is in, belong to the bot.
//
// errors.Is(err, ErrThemeTooLong) holds for an *Error whose Kind is
// ErrThemeTooLong.
type Error struct {
	Kind   error
	Code   Code
	Params Params
}

// Code names a domain error situation; see the constants below for the
// Params each carries.
type Code string

// Params are an error's parameters by name. Values are of these types:
// string (ids, numbers as typed), int, int64, float64, Group, Status,
// Kind, [Typed] (what a person typed, cut to a few dozen characters),
// Label (a title or a theme label as its facilitator wrote it), time.Time,
// time.Duration and []Group or []Kind (lists to choose from).
type Params map[string]any

// Typed is text a person typed, repeated back in an error: at most
// briefRunes characters of it (see brief), and whether more followed.
type Typed struct {
	Text string
	Cut  bool
}

func (t Typed) String() string {
	if t.Cut {
		return t.Text + "…"
	}
	return t.Text
}

// Label is a poll title or theme label as its facilitator wrote it.
type Label string

// Codes of the domain's errors and the Params each carries.
const (
	CodeNoChoices         Code = "no_choices"          // -
	CodeThemeNumber       Code = "theme_number"        // Poll, Number, Max
	CodeThemeLabel        Code = "theme_label"         // Poll, Typed, Max
	CodeRepeatedChoice    Code = "repeated_choice"     // Number, Label
	CodeOneChoice         Code = "one_choice"          // Poll, Given
	CodeMaxChoices        Code = "max_choices"         // Poll, Max, Given
	CodeMaxChoicesToggle  Code = "max_choices_toggle"  // Poll, Max
	CodeNotByClick        Code = "not_by_click"        // Poll, Kind
	CodeGroupsEmpty       Code = "groups_empty"        // -
	CodeGroupID           Code = "group_id"            // Group
	CodeGroupTwice        Code = "group_twice"         // Group
	CodeNoGroupGiven      Code = "no_group_given"      // Groups
	CodeUnknownGroup      Code = "unknown_group"       // Typed, Groups
	CodeUnknownKind       Code = "unknown_kind"        // Typed, Kinds
	CodeEmptyTitle        Code = "empty_title"         // -
	CodeTitleTooLong      Code = "title_too_long"      // Runes, Max
	CodeTitleNotUTF8      Code = "title_not_utf8"      // -
	CodeTitleControl      Code = "title_control"       // Rune
	CodeTitleDirection    Code = "title_direction"     // Rune
	CodeTitleReplacement  Code = "title_replacement"   // -
	CodeTitleMarker       Code = "title_marker"        // Rune
	CodeNoThemes          Code = "no_themes"           // -
	CodeTooManyThemes     Code = "too_many_themes"     // Given, Max
	CodeTooFewThemes      Code = "too_few_themes"      // Kind, Min
	CodeThemeEmpty        Code = "theme_empty"         // Number
	CodeThemeNotUTF8      Code = "theme_not_utf8"      // Number
	CodeThemeTooLong      Code = "theme_too_long"      // Number, Runes, Max
	CodeThemeControl      Code = "theme_control"       // Number, Rune
	CodeThemeDirection    Code = "theme_direction"     // Number, Rune
	CodeThemeReplacement  Code = "theme_replacement"   // Number
	CodeThemeMarker       Code = "theme_marker"        // Number, Rune
	CodeDuplicateTheme    Code = "duplicate_theme"     // First, Second, Label
	CodeQuorumRange       Code = "quorum_range"        // Given, Max
	CodeThresholdRange    Code = "threshold_range"     // Given
	CodeMaxChoicesRange   Code = "max_choices_range"   // Max, Given
	CodeMaxChoicesKind    Code = "max_choices_kind"    // Kind
	CodeMinGroupsRange    Code = "min_groups_range"    // Given, Max
	CodeResultsValue      Code = "results_value"       // Typed
	CodeNoPseudonymKey    Code = "no_pseudonym_key"    // -
	CodePollNeedsKey      Code = "poll_needs_key"      // Poll
	CodePollOtherKey      Code = "poll_other_key"      // Poll
	CodeLegacyAnonymous   Code = "legacy_anonymous"    // Poll
	CodeDeadlinePast      Code = "deadline_past"       // Deadline
	CodeDeadlineTooFar    Code = "deadline_too_far"    // Deadline, Days
	CodeExtendPositive    Code = "extend_positive"     // -
	CodeNoPollID          Code = "no_poll_id"          // -
	CodeNotPollID         Code = "not_poll_id"         // Typed
	CodePollNotFound      Code = "poll_not_found"      // Poll
	CodePollCancelled     Code = "poll_cancelled"      // Poll
	CodePollClosed        Code = "poll_closed"         // Poll
	CodePollClosedAt      Code = "poll_closed_at"      // Poll, Deadline
	CodePastDeadline      Code = "past_deadline"       // Poll
	CodeAlreadyCancelled  Code = "already_cancelled"   // Poll
	CodeCancelledNoReopen Code = "cancelled_no_reopen" // Poll
	CodeNotOpenExtend     Code = "not_open_extend"     // Poll, Status
	CodeReopenDeadline    Code = "reopen_deadline"     // Poll, Deadline
	CodeGroupAssigned     Code = "group_assigned"      // Group
	CodeOpenPollsLimit    Code = "open_polls_limit"    // Max
	CodeOpensPerHour      Code = "opens_per_hour"      // Max
)

func (e *Error) Error() string {
	if len(e.Params) == 0 {
		return fmt.Sprintf("%v [%s]", e.Kind, e.Code)
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(e.Params)) {
		fmt.Fprintf(&b, " %s=%v", k, e.Params[k])
	}
	return fmt.Sprintf("%v [%s%s]", e.Kind, e.Code, b.String())
}

func (e *Error) Unwrap() error { return e.Kind }

// fail returns a domain error.
func fail(kind error, code Code, params Params) error {
	return &Error{Kind: kind, Code: code, Params: params}
}

// briefRunes bounds how much of what someone typed an error repeats.
const briefRunes = 40

// brief is what someone typed as an error repeats it: cut to 40
// characters, so that an error never repeats a pasted document back.
func brief(s string) Typed {
	n := 0
	for i := range s {
		if n == briefRunes {
			return Typed{Text: s[:i], Cut: true}
		}
		n++
	}
	return Typed{Text: s}
}
