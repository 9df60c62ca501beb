package polls

import (
	"time"
)

// Ballot is one voter's vote in one poll. Casting again replaces it.
//
// Choices are 0-based theme indexes, in the poll kind's canonical order:
// for approval the supported themes in ascending order, for single exactly
// one, for ranked the themes from first preference down (themes left out
// are unranked). Points, parallel to Choices, is what each choice adds to
// its theme's tally, as the poll's kind computes it (see [Points]); stores
// keep both and move the tally by them, knowing no kind.
type Ballot struct {
	Voter   string    `json:"voter"` // platform user id, or a pseudonym in anonymous polls
	Group   Group     `json:"group"`
	Choices []int     `json:"choices"`
	Points  []int64   `json:"points,omitempty"`
	CastAt  time.Time `json:"cast_at"`
}

// CheckBallot validates choices against the poll and returns them in
// canonical form (approval choices sorted).
func CheckBallot(p *Poll, choices []int) ([]int, error) {
	if len(choices) == 0 {
		return nil, fail(ErrNoChoices, CodeNoChoices, nil)
	}
	seen := make(map[int]bool, len(choices))
	for _, c := range choices {
		if c < 0 || c >= len(p.Themes) {
			return nil, fail(ErrUnknownTheme, CodeThemeNumber, Params{"Poll": p.ID, "Number": c + 1, "Max": len(p.Themes)})
		}
		if seen[c] {
			return nil, fail(ErrRepeatedChoice, CodeRepeatedChoice, Params{"Number": c + 1, "Label": Label(p.Themes[c].Label)})
		}
		seen[c] = true
	}
	if max := p.maxChoices(); max > 0 && len(choices) > max {
		if max == 1 {
			return nil, fail(ErrTooManyChoices, CodeOneChoice, Params{"Poll": p.ID, "Given": len(choices)})
		}
		return nil, fail(ErrTooManyChoices, CodeMaxChoices, Params{"Poll": p.ID, "Max": max, "Given": len(choices)})
	}
	return p.canonical(choices), nil
}

// NewBallot returns the ballot of voter in group with the given checked
// choices, with the points the poll's kind gives them.
func NewBallot(p *Poll, voter string, g Group, choices []int, at time.Time) Ballot {
	return Ballot{Voter: voter, Group: g, Choices: choices, Points: Points(p.Kind, len(p.Themes), choices), CastAt: at}
}

// HeldVote is a vote kept while its voter picks a stakeholder group. It is
// applied as soon as they pick one.
type HeldVote struct {
	Poll string `json:"poll"`
	// Click is true for a click on one theme (Theme), false for a whole
	// ballot (Choices).
	Click   bool      `json:"click,omitempty"`
	Theme   int       `json:"theme,omitempty"`
	Choices []int     `json:"choices,omitempty"`
	At      time.Time `json:"at"`
	// Delivery is the stored key of the request that carried the vote
	// (see Voter.Delivery), so that it is still applied once.
	Delivery string `json:"delivery,omitempty"`
}
