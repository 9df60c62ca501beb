package polls

import (
	"slices"
	"time"
)

// Ballot is one voter's vote in one poll. Casting again replaces it.
//
// Choices are 0-based theme indexes: for approval the supported themes in
// ascending order, for single exactly one, for ranked the themes from first
// preference down (themes left out are unranked).
type Ballot struct {
	Voter   string    `json:"voter"` // platform user id, or a pseudonym in anonymous polls
	Group   Group     `json:"group"`
	Choices []int     `json:"choices"`
	CastAt  time.Time `json:"cast_at"`
}

// CheckBallot validates choices against the poll and returns them in
// canonical form (approval choices sorted).
func CheckBallot(p *Poll, choices []int) ([]int, error) {
	if len(choices) == 0 {
		return nil, errorf(ErrNoChoices, "choose at least one theme")
	}
	seen := make(map[int]bool, len(choices))
	for _, c := range choices {
		if c < 0 || c >= len(p.Themes) {
			return nil, errorf(ErrUnknownTheme, "poll %s has no theme %d; themes are numbered 1 to %d", p.ID, c+1, len(p.Themes))
		}
		if seen[c] {
			return nil, errorf(ErrRepeatedChoice, "theme %d (%s) is chosen twice", c+1, p.Themes[c].Label)
		}
		seen[c] = true
	}
	switch p.Kind {
	case Single:
		if len(choices) > 1 {
			return nil, errorf(ErrTooManyChoices, "poll %s is single-choice: choose one theme, not %d", p.ID, len(choices))
		}
	case Approval, Ranked:
		if p.MaxChoices > 0 && len(choices) > p.MaxChoices {
			return nil, errorf(ErrTooManyChoices, "poll %s allows at most %d choices; %d given", p.ID, p.MaxChoices, len(choices))
		}
	}
	out := slices.Clone(choices)
	if p.Kind == Approval {
		slices.Sort(out)
	}
	return out, nil
}

// Points returns what a ballot adds to each chosen theme's tally, as
// integers: 1 per supported theme for approval and single polls; for ranked
// polls the Borda points scaled by (m-1), so rank r of m themes gives m-r
// (the report divides by m-1 to get the (m-r)/(m-1) of DESIGN.md).
// Keeping the tally integral lets stores update it with exact increments.
func Points(kind Kind, themes int, choices []int) []ThemePoints {
	out := make([]ThemePoints, len(choices))
	for i, c := range choices {
		pts := int64(1)
		if kind == Ranked {
			pts = int64(themes - 1 - i)
		}
		out[i] = ThemePoints{Theme: c, Points: pts}
	}
	return out
}

// ThemePoints is a ballot's contribution to one theme.
type ThemePoints struct {
	Theme  int
	Points int64
}

// HeldVote is a vote kept while its voter picks a stakeholder group. It is
// applied as soon as they pick one.
type HeldVote struct {
	Poll    string    `json:"poll"`
	Toggle  bool      `json:"toggle,omitempty"` // toggle Theme rather than cast Choices
	Theme   int       `json:"theme,omitempty"`
	Choices []int     `json:"choices,omitempty"`
	At      time.Time `json:"at"`
	// Op is the toggle's delivery (Store.Toggle), kept so a held click
	// is still applied once.
	Op string `json:"op,omitempty"`
}
