package polls

import (
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
	DefaultMinGroups = 2
	// MaxMinGroups bounds MinGroups. Stakeholder models have a handful of
	// groups (six by default); a larger number is a typo, and any value
	// above the configured groups would leave every theme insufficient,
	// which the caller that knows the group list can refuse.
	MaxMinGroups = 100
)

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

// Options tune a poll. The zero value of Quorum, Threshold and MinGroups
// means "the default"; Normalize fills them in. Polls stored before
// MinGroups existed lack the field and so mean the default, 2.
type Options struct {
	Anonymous  bool    `json:"anonymous,omitempty"`
	Results    Results `json:"results,omitempty"`
	Quorum     int     `json:"quorum,omitempty"`      // min ballots for a group to count
	Threshold  float64 `json:"threshold,omitempty"`   // support needed, 0 < t <= 1
	MaxChoices int     `json:"max_choices,omitempty"` // approval: 0 = any number
	MinGroups  int     `json:"min_groups,omitempty"`  // qualifying groups below which a theme is insufficient
	// Remind lists how long before the deadline reminders are posted,
	// longest first (see ReminderTimes). Polls stored before reminders
	// existed lack the field and have none.
	Remind []time.Duration `json:"remind,omitempty"`
}

// minGroups is MinGroups with the zero value read as the default, for
// polls that were never normalized (stored before the option existed).
func (o Options) minGroups() int {
	if o.MinGroups == 0 {
		return DefaultMinGroups
	}
	return o.MinGroups
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
	// KeyFP is the fingerprint of the pseudonym key an anonymous poll was
	// opened under (see KeyFingerprint): a process with no key or another
	// key refuses to vote in it or export its ballots, rather than hash
	// voters under the wrong key. Empty for other polls, and for
	// anonymous polls opened before pseudonyms were per poll.
	KeyFP string `json:"key_fp,omitempty"`
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
	if p.MinGroups == 0 {
		p.MinGroups = DefaultMinGroups
	}
	p.normalizeReminders()
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
		return fail(ErrEmptyTitle, CodeEmptyTitle, nil)
	}
	if n := utf8.RuneCountInString(p.Title); n > MaxTitleRunes {
		return fail(ErrTitleTooLong, CodeTitleTooLong, Params{"Runes": n, "Max": MaxTitleRunes})
	}
	if !utf8.ValidString(p.Title) {
		return fail(ErrEmptyTitle, CodeTitleNotUTF8, nil)
	}
	if code, r := unshowable(p.Title, titleCodes); code != "" {
		return fail(ErrEmptyTitle, code, Params{"Rune": r})
	}
	if !p.Kind.Known() {
		return fail(ErrUnknownKind, CodeUnknownKind, Params{"Typed": brief(string(p.Kind)), "Kinds": Kinds()})
	}
	switch {
	case len(p.Themes) == 0:
		return fail(ErrNoThemes, CodeNoThemes, nil)
	case len(p.Themes) > MaxThemes:
		return fail(ErrTooManyThemes, CodeTooManyThemes, Params{"Given": len(p.Themes), "Max": MaxThemes})
	case len(p.Themes) < p.Kind.MinThemes():
		return fail(ErrRankedTooFew, CodeTooFewThemes, Params{"Kind": p.Kind, "Min": p.Kind.MinThemes()})
	}
	seen := make(map[string]int, len(p.Themes))
	for i, t := range p.Themes {
		n := utf8.RuneCountInString(t.Label)
		switch {
		case t.Label == "":
			return fail(ErrEmptyTheme, CodeThemeEmpty, Params{"Number": i + 1})
		case !utf8.ValidString(t.Label):
			return fail(ErrEmptyTheme, CodeThemeNotUTF8, Params{"Number": i + 1})
		case n > MaxThemeRunes:
			return fail(ErrThemeTooLong, CodeThemeTooLong, Params{"Number": i + 1, "Runes": n, "Max": MaxThemeRunes})
		}
		if code, r := unshowable(t.Label, themeCodes); code != "" {
			return fail(ErrEmptyTheme, code, Params{"Number": i + 1, "Rune": r})
		}
		key := foldLabel(t.Label)
		if j, dup := seen[key]; dup {
			return fail(ErrDuplicateTheme, CodeDuplicateTheme, Params{"First": j + 1, "Second": i + 1, "Label": Label(t.Label)})
		}
		seen[key] = i
	}
	if p.Quorum < 1 || p.Quorum > MaxQuorum {
		return fail(ErrInvalidOption, CodeQuorumRange, Params{"Given": p.Quorum, "Max": MaxQuorum})
	}
	if !(p.Threshold > 0 && p.Threshold <= 1) {
		return fail(ErrInvalidOption, CodeThresholdRange, Params{"Given": p.Threshold})
	}
	if p.MinGroups < 1 || p.MinGroups > MaxMinGroups {
		return fail(ErrInvalidOption, CodeMinGroupsRange, Params{"Given": p.MinGroups, "Max": MaxMinGroups})
	}
	if p.MaxChoices < 0 || p.MaxChoices > len(p.Themes) {
		return fail(ErrInvalidOption, CodeMaxChoicesRange, Params{"Max": len(p.Themes), "Given": p.MaxChoices})
	}
	if p.MaxChoices > 0 && !p.Kind.AllowsMaxChoices() {
		return fail(ErrInvalidOption, CodeMaxChoicesKind, Params{"Kind": p.Kind})
	}
	if p.Results != ResultsLive && p.Results != ResultsHidden {
		return fail(ErrInvalidOption, CodeResultsValue, Params{"Typed": brief(string(p.Results))})
	}
	return p.validateReminders()
}

// MaxQuorum bounds a poll's quorum option.
const MaxQuorum = 1_000_000

func foldLabel(s string) string { return strings.ToLower(cleanLabel(s)) }

// showCodes are the error codes unshowable reports, for titles or labels.
type showCodes struct{ control, direction, replacement, marker Code }

var (
	titleCodes = showCodes{CodeTitleControl, CodeTitleDirection, CodeTitleReplacement, CodeTitleMarker}
	themeCodes = showCodes{CodeThemeControl, CodeThemeDirection, CodeThemeReplacement, CodeThemeMarker}
)

// unshowable says why valid UTF-8 text cannot be a title or label (an
// error code and the rune at fault), or "" when it can. Titles and labels
// are shown in chat, in terminals (pollbot shell, report, list) and in
// exports, so they may not carry:
//   - control characters (NUL, ESC, DEL, ...): invisible in chat, and
//     escape sequences in a terminal; white space is folded before this;
//   - explicit text-direction controls (U+202A..U+202E, U+2066..U+2069),
//     which make text display in another order than it is written (the
//     "Trojan Source" trick) and can reorder the rest of a line;
//   - U+FFFD, the replacement character that a decoder puts where the
//     bytes were not valid UTF-8 (JSON payloads arrive so; the text
//     grammar refuses such bytes outright);
//   - U+E000 and U+E001, the private-use characters the bot uses to mark
//     text people wrote inside its own messages, so that adapters can
//     escape it for their platform: a label must not be able to forge one.
func unshowable(s string, codes showCodes) (Code, rune) {
	for _, r := range s {
		switch {
		case r == utf8.RuneError:
			return codes.replacement, r
		case unicode.Is(unicode.Cc, r):
			return codes.control, r
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return codes.direction, r
		case r == '\ue000' || r == '\ue001':
			return codes.marker, r
		}
	}
	return "", 0
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
	return 0, fail(ErrUnknownTheme, CodeThemeLabel, Params{"Poll": p.ID, "Typed": brief(s), "Max": len(p.Themes)})
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
