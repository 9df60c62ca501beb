package polls

import (
	"fmt"
	"strings"
)

// Group identifies a stakeholder group: a short lowercase slug such as
// "civil-society". The slug is what stores and exports hold.
type Group string

// GroupInfo describes a group for people: its label and emoji.
type GroupInfo struct {
	ID    Group  `json:"id" yaml:"id"`
	Label string `json:"label" yaml:"label"`
	Emoji string `json:"emoji" yaml:"emoji"`
}

// DefaultGroups are the six stakeholder groups of the Internet governance
// ecosystem, in the order reports list them.
var DefaultGroups = []GroupInfo{
	{ID: "government", Label: "Government", Emoji: "🏛️"},
	{ID: "private-sector", Label: "Private sector", Emoji: "🏢"},
	{ID: "civil-society", Label: "Civil society", Emoji: "🤝"},
	{ID: "technical-community", Label: "Technical community", Emoji: "🛠️"},
	{ID: "academia", Label: "Academia", Emoji: "🎓"},
	{ID: "intergovernmental", Label: "Intergovernmental", Emoji: "🌐"},
}

// Groups is an ordered, validated list of stakeholder groups.
type Groups struct {
	list []GroupInfo
	byID map[Group]int
}

// NewGroups validates a group list: at least one group, slugs of 1..40
// characters from a-z, 0-9 and '-', no duplicates, labels defaulting to the
// slug.
func NewGroups(list []GroupInfo) (*Groups, error) {
	if len(list) == 0 {
		return nil, fail(ErrInvalidOption, CodeGroupsEmpty, nil)
	}
	gs := &Groups{byID: make(map[Group]int, len(list))}
	for _, g := range list {
		if !validSlug(string(g.ID)) {
			return nil, fail(ErrInvalidOption, CodeGroupID, Params{"Group": g.ID})
		}
		if _, dup := gs.byID[g.ID]; dup {
			return nil, fail(ErrInvalidOption, CodeGroupTwice, Params{"Group": g.ID})
		}
		if g.Label == "" {
			g.Label = string(g.ID)
		}
		gs.byID[g.ID] = len(gs.list)
		gs.list = append(gs.list, g)
	}
	return gs, nil
}

// MustGroups is NewGroups for lists known to be valid, such as DefaultGroups.
func MustGroups(list []GroupInfo) *Groups {
	gs, err := NewGroups(list)
	if err != nil {
		panic(err)
	}
	return gs
}

func validSlug(s string) bool {
	if len(s) == 0 || len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// All returns the groups in their configured order.
func (gs *Groups) All() []GroupInfo { return append([]GroupInfo(nil), gs.list...) }

// Info returns the description of g; unknown groups (say, one removed from
// the configuration after ballots were cast) get their slug as label.
func (gs *Groups) Info(g Group) GroupInfo {
	if i, ok := gs.byID[g]; ok {
		return gs.list[i]
	}
	return GroupInfo{ID: g, Label: string(g)}
}

// Known reports whether g is in the list.
func (gs *Groups) Known(g Group) bool { _, ok := gs.byID[g]; return ok }

// Lookup resolves what a person typed — a slug, a label, or an unambiguous
// prefix of either, in any case, with spaces or underscores for dashes — to a
// group.
func (gs *Groups) Lookup(s string) (Group, error) {
	key := normalizeGroupInput(s)
	if key == "" {
		return "", fail(ErrUnknownGroup, CodeNoGroupGiven, Params{"Groups": gs.ids()})
	}
	var matches []Group
	for _, g := range gs.list {
		id, label := string(g.ID), normalizeGroupInput(g.Label)
		if id == key || label == key {
			return g.ID, nil
		}
		if strings.HasPrefix(id, key) || strings.HasPrefix(label, key) {
			matches = append(matches, g.ID)
		}
	}
	if len(matches) == 1 {
		return matches[0], nil
	}
	return "", fail(ErrUnknownGroup, CodeUnknownGroup, Params{"Typed": brief(s), "Groups": gs.ids()})
}

func normalizeGroupInput(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(" ", "-", "_", "-").Replace(s)
	return s
}

func (gs *Groups) ids() []Group {
	ids := make([]Group, len(gs.list))
	for i, g := range gs.list {
		ids[i] = g.ID
	}
	return ids
}

// order returns the position of g for sorting: configured groups first in
// their order, then unknown ones.
func (gs *Groups) order(g Group) int {
	if i, ok := gs.byID[g]; ok {
		return i
	}
	return len(gs.list)
}

// GroupSource says how a voter's group was decided.
type GroupSource string

const (
	SourceAssigned GroupSource = "assigned" // by a facilitator
	SourceRole     GroupSource = "role"     // platform role or user-group mapping
	SourceDeclared GroupSource = "declared" // by the voter
)

// Membership is the group a store remembers for a user, with its source
// (assigned or declared; role mappings are resolved live, never stored).
type Membership struct {
	Group  Group       `json:"group"`
	Source GroupSource `json:"source"`
}

func (m Membership) String() string { return fmt.Sprintf("%s (%s)", m.Group, m.Source) }
