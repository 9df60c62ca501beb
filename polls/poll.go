package polls

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits of a poll definition.
const (
	MaxThemes     = 25
	MaxThemeRunes = 80
	MaxTitleRunes = 200
)

// Defaults of a poll's options.
const (
	DefaultQuorum    = 3
	DefaultThreshold = 0.5
)

// Kind is how ballots are cast in a poll.
type Kind string

const (
	Approval Kind = "approval" // choose every theme you support
	Single   Kind = "single"   // choose one theme
	Ranked   Kind = "ranked"   // order themes; counted with Borda points
)

// ParseKind accepts the kind names of the command grammar.
func ParseKind(s string) (Kind, error) {
	switch k := Kind(strings.ToLower(strings.TrimSpace(s))); k {
	case Approval, Single, Ranked:
		return k, nil
	}
	return "", errorf(ErrUnknownKind, "unknown poll kind %s; use approval, single or ranked", brief(s))
}

// Status is where a poll is in its life.
type Status string

const (
	StatusOpen      Status = "open"
	StatusClosed    Status = "closed"
	StatusCancelled Status = "cancelled"
)

// Results says when tallies are visible to participants.
type Results string

const (
	ResultsLive   Results = "live"   // while the poll is open
	ResultsHidden Results = "hidden" // only once it is closed
)

// Theme is one candidate theme of a poll. Themes are addressed by their
// position (0-based in code, 1-based for people).
type Theme struct {
	Label string `json:"label"`
}

// Options tune a poll. The zero value of Quorum and Threshold means "the
// default"; Normalize fills them in.
type Options struct {
	Anonymous  bool    `json:"anonymous,omitempty"`
	Results    Results `json:"results,omitempty"`
	Quorum     int     `json:"quorum,omitempty"`      // min ballots for a group to count
	Threshold  float64 `json:"threshold,omitempty"`   // support needed, 0 < t <= 1
	MaxChoices int     `json:"max_choices,omitempty"` // approval: 0 = any number
}

// MessageRef points at a chat message that shows a poll, so it can be
// re-rendered after votes.
type MessageRef struct {
	Platform string `json:"platform"` // "slack", "discord", ...
	Channel  string `json:"channel"`
	Message  string `json:"message"` // Slack ts, Discord message id
}

// Poll is a poll's definition and state.
type Poll struct {
	ID       string       `json:"id"`
	Tenant   string       `json:"tenant"`
	Title    string       `json:"title"`
	Themes   []Theme      `json:"themes"`
	Kind     Kind         `json:"kind"`
	Status   Status       `json:"status"`
	Creator  string       `json:"creator"`
	Channel  string       `json:"channel,omitempty"`
	Messages []MessageRef `json:"messages,omitempty"`
	OpenedAt time.Time    `json:"opened_at"`
	ClosesAt time.Time    `json:"closes_at,omitzero"` // zero: no deadline
	ClosedAt time.Time    `json:"closed_at,omitzero"`
	Options
}

// Key identifies a poll across tenants.
type Key struct {
	Tenant string
	ID     string
}

func (k Key) String() string { return k.Tenant + "/" + k.ID }

// Key returns the poll's key.
func (p *Poll) Key() Key { return Key{Tenant: p.Tenant, ID: p.ID} }

// Labels returns the theme labels in order.
func (p *Poll) Labels() []string {
	out := make([]string, len(p.Themes))
	for i, t := range p.Themes {
		out[i] = t.Label
	}
	return out
}

// ResultsVisible reports whether participants may see tallies now.
func (p *Poll) ResultsVisible() bool {
	return p.Status != StatusOpen || p.Results != ResultsHidden
}

// DeadlinePassed reports whether the poll has a deadline at or before now.
func (p *Poll) DeadlinePassed(now time.Time) bool {
	return !p.ClosesAt.IsZero() && !now.Before(p.ClosesAt)
}

// Normalize fills in option defaults and trims the title and labels. It is
// idempotent.
func (p *Poll) Normalize() {
	p.Title = cleanLabel(p.Title)
	for i := range p.Themes {
		p.Themes[i].Label = cleanLabel(p.Themes[i].Label)
	}
	if p.Kind == "" {
		p.Kind = Approval
	}
	if p.Results == "" {
		p.Results = ResultsLive
	}
	if p.Quorum == 0 {
		p.Quorum = DefaultQuorum
	}
	if p.Threshold == 0 {
		p.Threshold = DefaultThreshold
	}
}

// cleanLabel trims a label and folds runs of white space (newlines and tabs
// included) into one space, so that "DNS  abuse" and "DNS abuse" are the
// same theme and every label and title is one line.
func cleanLabel(s string) string {
	return strings.Join(strings.FieldsFunc(s, unicode.IsSpace), " ")
}

// Validate checks a normalized poll definition.
func (p *Poll) Validate() error {
	if p.Title == "" {
		return errorf(ErrEmptyTitle, "the poll needs a title")
	}
	if n := utf8.RuneCountInString(p.Title); n > MaxTitleRunes {
		return errorf(ErrTitleTooLong, "the title is %d characters; at most %d", n, MaxTitleRunes)
	}
	if !utf8.ValidString(p.Title) {
		return errorf(ErrEmptyTitle, "the title is not valid text (UTF-8)")
	}
	if problem := unshowable(p.Title); problem != "" {
		return errorf(ErrEmptyTitle, "the title %s; remove it", problem)
	}
	switch p.Kind {
	case Approval, Single, Ranked:
	default:
		return errorf(ErrUnknownKind, "unknown poll kind %q; use approval, single or ranked", p.Kind)
	}
	switch {
	case len(p.Themes) == 0:
		return errorf(ErrNoThemes, "the poll needs at least one theme")
	case len(p.Themes) > MaxThemes:
		return errorf(ErrTooManyThemes, "%d themes given; at most %d", len(p.Themes), MaxThemes)
	case p.Kind == Ranked && len(p.Themes) < 2:
		return errorf(ErrRankedTooFew, "a ranked poll needs at least 2 themes")
	}
	seen := make(map[string]int, len(p.Themes))
	for i, t := range p.Themes {
		n := utf8.RuneCountInString(t.Label)
		switch {
		case t.Label == "":
			return errorf(ErrEmptyTheme, "theme %d is empty", i+1)
		case !utf8.ValidString(t.Label):
			return errorf(ErrEmptyTheme, "theme %d is not valid text (UTF-8)", i+1)
		case n > MaxThemeRunes:
			return errorf(ErrThemeTooLong, "theme %d is %d characters; at most %d", i+1, n, MaxThemeRunes)
		}
		if problem := unshowable(t.Label); problem != "" {
			return errorf(ErrEmptyTheme, "theme %d %s; remove it", i+1, problem)
		}
		key := foldLabel(t.Label)
		if j, dup := seen[key]; dup {
			return errorf(ErrDuplicateTheme, "themes %d and %d are both %q", j+1, i+1, t.Label)
		}
		seen[key] = i
	}
	if p.Quorum < 1 || p.Quorum > 1_000_000 {
		return errorf(ErrInvalidOption, "quorum must be a whole number from 1 to 1000000, not %d", p.Quorum)
	}
	if !(p.Threshold > 0 && p.Threshold <= 1) {
		return errorf(ErrInvalidOption, "threshold must be more than 0 and at most 1, not %g", p.Threshold)
	}
	if p.MaxChoices < 0 || p.MaxChoices > len(p.Themes) {
		return errorf(ErrInvalidOption, "max choices must be from 0 (any) to %d (the number of themes), not %d", len(p.Themes), p.MaxChoices)
	}
	if p.MaxChoices > 0 && p.Kind == Single {
		return errorf(ErrInvalidOption, "max choices applies to approval and ranked polls, not single-choice ones")
	}
	if p.Results != ResultsLive && p.Results != ResultsHidden {
		return errorf(ErrInvalidOption, "results must be live or hidden, not %q", p.Results)
	}
	return nil
}

func foldLabel(s string) string { return strings.ToLower(cleanLabel(s)) }

// unshowable says why valid UTF-8 text cannot be a title or label, or ""
// when it can. Titles and labels are shown in chat, in terminals (pollbot
// shell, report, list) and in exports, so they may not carry:
//   - control characters (NUL, ESC, DEL, ...): invisible in chat, and
//     escape sequences in a terminal; white space is folded before this;
//   - explicit text-direction controls (U+202A..U+202E, U+2066..U+2069),
//     which make text display in another order than it is written (the
//     "Trojan Source" trick) and can reorder the rest of a line;
//   - U+FFFD, the replacement character that a decoder puts where the
//     bytes were not valid UTF-8 (JSON payloads arrive so; the text
//     grammar refuses such bytes outright);
//   - U+E000 and U+E001, the private-use code points with which the chat
//     engine marks where text people wrote begins and ends, so that it is
//     escaped for the platform that shows it: a title or label holding one
//     could end its own escaping early.
func unshowable(s string) string {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return "contains U+FFFD (�), the mark of text that was not valid UTF-8 on its way here"
		case r == '\uE000', r == '\uE001':
			return fmt.Sprintf("contains U+%04X, a private-use character pollbot reserves for itself", r)
		case unicode.Is(unicode.Cc, r):
			return fmt.Sprintf("contains a control character (U+%04X), which chat cannot show", r)
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return fmt.Sprintf("contains a text-direction control (U+%04X), which can make it display differently from what it says", r)
		}
	}
	return ""
}

// ThemeIndex finds a theme by its 1-based number ("3") or label (case and
// spacing insensitive). It returns the 0-based index.
func (p *Poll) ThemeIndex(s string) (int, error) {
	s = cleanLabel(s)
	if n, ok := parseSmallInt(s); ok {
		if n >= 1 && n <= len(p.Themes) {
			return n - 1, nil
		}
		// A label may itself be a number ("2030"); fall through to labels.
	}
	key := foldLabel(s)
	for i, t := range p.Themes {
		if foldLabel(t.Label) == key {
			return i, nil
		}
	}
	return 0, errorf(ErrUnknownTheme, "poll %s has no theme %s; use a theme number from 1 to %d or its label", p.ID, brief(s), len(p.Themes))
}

func parseSmallInt(s string) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, false
		}
		n = n*10 + int(r-'0')
	}
	return n, true
}
