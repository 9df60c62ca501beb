package polls

import (
	"slices"
	"strings"
)

// Kind is how ballots are cast in a poll.
type Kind string

const (
	Approval Kind = "approval" // choose every theme you support
	Single   Kind = "single"   // choose one theme
	Ranked   Kind = "ranked"   // order themes; counted with Borda points
)

// Click is what a click on a theme's button does in a poll of some kind.
type Click int

const (
	ClickToggle Click = iota // adds the theme to the ballot or removes it
	ClickChoose              // makes the theme the whole ballot
	ClickNone                // the kind is not voted with clicks on themes
)

// kindRule is everything a poll kind decides. Stores know no kind: they
// keep the choices and the points this computes (see Ballot), so a new
// kind is an entry here, its words in the bot's catalog, and its tests.
type kindRule struct {
	// minThemes is the fewest themes a poll of the kind may have.
	minThemes int
	// maxChoices is the most choices one ballot may have (0: any); max
	// is the poll's max_choices option.
	maxChoices func(themes, max int) int
	// allowsMax says whether the max_choices option applies.
	allowsMax bool
	// sorted says the choices are a set, kept in ascending order, rather
	// than an order of preference.
	sorted bool
	// points is what each choice adds to its theme's tally.
	points func(themes int, choices []int) []int64
	// scale is the tally points of one full supporter: a group's support
	// a_tg is its points divided by scale.
	scale func(themes int) int64
	// click is what a click on a theme does.
	click Click
}

func onePoint(_ int, choices []int) []int64 {
	out := make([]int64, len(choices))
	for i := range out {
		out[i] = 1
	}
	return out
}

func unit(int) int64 { return 1 }

// kinds holds every poll kind, in the order the help and the menus list
// them.
var kinds = []struct {
	kind Kind
	rule kindRule
}{
	{Approval, kindRule{
		minThemes:  1,
		maxChoices: func(_, max int) int { return max },
		allowsMax:  true,
		sorted:     true,
		points:     onePoint,
		scale:      unit,
		click:      ClickToggle,
	}},
	{Single, kindRule{
		minThemes:  1,
		maxChoices: func(int, int) int { return 1 },
		sorted:     true,
		points:     onePoint,
		scale:      unit,
		click:      ClickChoose,
	}},
	{Ranked, kindRule{
		// Borda count: the i-th preference (0-based) of m themes gets
		// (m-1-i)/(m-1) of a supporter, kept as the integer m-1-i so that
		// stores add exact integers; scale divides it back.
		minThemes:  2,
		maxChoices: func(_, max int) int { return max },
		allowsMax:  true,
		points: func(themes int, choices []int) []int64 {
			out := make([]int64, len(choices))
			for i := range out {
				out[i] = int64(themes - 1 - i)
			}
			return out
		},
		scale: func(themes int) int64 { return int64(max(themes-1, 1)) },
		click: ClickNone,
	}},
}

func ruleOf(k Kind) (*kindRule, bool) {
	for i := range kinds {
		if kinds[i].kind == k {
			return &kinds[i].rule, true
		}
	}
	return nil, false
}

// Kinds returns every poll kind, in the order menus list them.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, k := range kinds {
		out[i] = k.kind
	}
	return out
}

// Known reports whether k is a poll kind.
func (k Kind) Known() bool { _, ok := ruleOf(k); return ok }

// Click is what a click on a theme's button does in polls of kind k.
func (k Kind) Click() Click {
	if r, ok := ruleOf(k); ok {
		return r.click
	}
	return ClickNone
}

// MinThemes is the fewest themes a poll of kind k may have.
func (k Kind) MinThemes() int {
	if r, ok := ruleOf(k); ok {
		return r.minThemes
	}
	return 1
}

// AllowsMaxChoices reports whether the max_choices option applies to
// polls of kind k.
func (k Kind) AllowsMaxChoices() bool {
	r, ok := ruleOf(k)
	return ok && r.allowsMax
}

// Ordered reports whether a ballot of kind k is an order of preference
// rather than a set of themes.
func (k Kind) Ordered() bool {
	r, ok := ruleOf(k)
	return ok && !r.sorted
}

// ParseKind accepts the kind names of the command grammar.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if k.Known() {
		return k, nil
	}
	return "", &Error{Kind: ErrUnknownKind, Params: Params{"Kind": brief(s)}}
}

// Points returns what a ballot of kind on a poll with the given number of
// themes adds to each chosen theme's tally, parallel to choices, as
// integers (see Ballot.Points).
func Points(kind Kind, themes int, choices []int) []int64 {
	r, ok := ruleOf(kind)
	if !ok {
		return onePoint(themes, choices)
	}
	return r.points(themes, choices)
}

// maxChoices is the most choices a ballot of p may have (0: any).
func (p *Poll) maxChoices() int {
	r, ok := ruleOf(p.Kind)
	if !ok {
		return p.MaxChoices
	}
	return r.maxChoices(len(p.Themes), p.MaxChoices)
}

// scale is the tally points of one full supporter in p.
func (p *Poll) scale() int64 {
	r, ok := ruleOf(p.Kind)
	if !ok {
		return 1
	}
	return r.scale(len(p.Themes))
}

// canonical returns choices in the kind's canonical order.
func (p *Poll) canonical(choices []int) []int {
	out := slices.Clone(choices)
	if r, ok := ruleOf(p.Kind); ok && r.sorted {
		slices.Sort(out)
	}
	return out
}
