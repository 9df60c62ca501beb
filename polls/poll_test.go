package polls

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	themes := func(labels ...string) []Theme {
		var out []Theme
		for _, l := range labels {
			out = append(out, Theme{Label: l})
		}
		return out
	}
	many := make([]string, 26)
	for i := range many {
		many[i] = strings.Repeat("x", i+1)
	}
	tests := []struct {
		name string
		p    Poll
		want error
	}{
		{"ok", Poll{Title: "T", Themes: themes("DNSSEC", "DNS abuse")}, nil},
		{"empty title", Poll{Title: "  ", Themes: themes("A")}, ErrEmptyTitle},
		{"long title", Poll{Title: strings.Repeat("é", 201), Themes: themes("A")}, ErrTitleTooLong},
		{"no themes", Poll{Title: "T"}, ErrNoThemes},
		{"26 themes", Poll{Title: "T", Themes: themes(many...)}, ErrTooManyThemes},
		{"25 themes", Poll{Title: "T", Themes: themes(many[:25]...)}, nil},
		{"empty theme", Poll{Title: "T", Themes: themes("A", " ")}, ErrEmptyTheme},
		{"80 runes ok", Poll{Title: "T", Themes: themes(strings.Repeat("ü", 80))}, nil},
		{"81 runes", Poll{Title: "T", Themes: themes(strings.Repeat("ü", 81))}, ErrThemeTooLong},
		{"duplicate folded", Poll{Title: "T", Themes: themes("DNS  abuse", "dns abuse")}, ErrDuplicateTheme},
		{"ranked one theme", Poll{Title: "T", Kind: Ranked, Themes: themes("A")}, ErrRankedTooFew},
		{"unknown kind", Poll{Title: "T", Kind: "stance", Themes: themes("A")}, ErrUnknownKind},
		{"negative quorum", Poll{Title: "T", Themes: themes("A"), Options: Options{Quorum: -1}}, ErrInvalidOption},
		{"threshold above 1", Poll{Title: "T", Themes: themes("A"), Options: Options{Threshold: 1.5}}, ErrInvalidOption},
		{"max choices above themes", Poll{Title: "T", Themes: themes("A", "B"), Options: Options{MaxChoices: 3}}, ErrInvalidOption},
		{"max choices on single", Poll{Title: "T", Kind: Single, Themes: themes("A", "B"), Options: Options{MaxChoices: 1}}, ErrInvalidOption},
		{"invalid utf8 theme", Poll{Title: "T", Themes: themes("a\xffb")}, ErrEmptyTheme},
		{"min groups 1", Poll{Title: "T", Themes: themes("A"), Options: Options{MinGroups: 1}}, nil},
		{"min groups at bound", Poll{Title: "T", Themes: themes("A"), Options: Options{MinGroups: MaxMinGroups}}, nil},
		{"min groups above bound", Poll{Title: "T", Themes: themes("A"), Options: Options{MinGroups: MaxMinGroups + 1}}, ErrInvalidOption},
		{"negative min groups", Poll{Title: "T", Themes: themes("A"), Options: Options{MinGroups: -1}}, ErrInvalidOption},
		// U+E000 and U+E001 mark user text in chat replies: a label must
		// not be able to open or close such a mark.
		{"user text open mark in title", Poll{Title: "T\ue000x", Themes: themes("A")}, ErrEmptyTitle},
		{"user text close mark in title", Poll{Title: "T\ue001x", Themes: themes("A")}, ErrEmptyTitle},
		{"user text open mark in theme", Poll{Title: "T", Themes: themes("A", "\ue000B")}, ErrEmptyTheme},
		{"user text close mark in theme", Poll{Title: "T", Themes: themes("A\ue001[x](https://evil.example)")}, ErrEmptyTheme},
		{"other private use ok", Poll{Title: "T\ue002", Themes: themes("A\uf8ff")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.p
			p.Normalize()
			err := p.Validate()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate() = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Code == "" {
				t.Errorf("error %v carries no code", err)
			}
		})
	}
}

func TestNormalizeMinGroups(t *testing.T) {
	p := Poll{Title: "T", Themes: []Theme{{Label: "A"}}}
	p.Normalize()
	if p.MinGroups != DefaultMinGroups {
		t.Fatalf("MinGroups = %d after Normalize, want %d", p.MinGroups, DefaultMinGroups)
	}
	p.MinGroups = 3
	p.Normalize()
	if p.MinGroups != 3 {
		t.Errorf("Normalize changed MinGroups 3 to %d", p.MinGroups)
	}
	// A poll stored before the option existed has no min_groups key.
	var old Poll
	if err := json.Unmarshal([]byte(`{"id":"OLD1","title":"T","themes":[{"label":"A"}],"quorum":3,"threshold":0.5}`), &old); err != nil {
		t.Fatal(err)
	}
	if got := old.minGroups(); got != 2 {
		t.Errorf("stored poll without min_groups means %d groups, want 2", got)
	}
	data, err := json.Marshal(Poll{Options: Options{MinGroups: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"min_groups":4`) {
		t.Errorf("min_groups missing from %s", data)
	}
}

func TestCheckBallot(t *testing.T) {
	p := approvalPoll("A", "B", "C", "D")
	single := approvalPoll("A", "B")
	single.Kind = Single
	ranked := approvalPoll("A", "B", "C")
	ranked.Kind = Ranked
	capped := approvalPoll("A", "B", "C")
	capped.MaxChoices = 2
	tests := []struct {
		name    string
		p       *Poll
		choices []int
		want    []int
		err     error
	}{
		{"approval sorted", p, []int{3, 0}, []int{0, 3}, nil},
		{"ranked keeps order", ranked, []int{2, 0}, []int{2, 0}, nil},
		{"none", p, nil, nil, ErrNoChoices},
		{"unknown", p, []int{4}, nil, ErrUnknownTheme},
		{"negative", p, []int{-1}, nil, ErrUnknownTheme},
		{"repeat", ranked, []int{1, 1}, nil, ErrRepeatedChoice},
		{"single two", single, []int{0, 1}, nil, ErrTooManyChoices},
		{"cap", capped, []int{0, 1, 2}, nil, ErrTooManyChoices},
		{"cap ok", capped, []int{0, 2}, []int{0, 2}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CheckBallot(tt.p, tt.choices)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("choices = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestThemeIndex(t *testing.T) {
	p := approvalPoll("DNSSEC", "BCP38 (DDoS mitigation)", "2030")
	for in, want := range map[string]int{"1": 0, "3": 2, "bcp38  (ddos mitigation)": 1, "dnssec": 0, "2030": 2} {
		if got, err := p.ThemeIndex(in); err != nil || got != want {
			t.Errorf("ThemeIndex(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"0", "4", "DNS", ""} {
		if _, err := p.ThemeIndex(in); !errors.Is(err, ErrUnknownTheme) {
			t.Errorf("ThemeIndex(%q) err = %v, want ErrUnknownTheme", in, err)
		}
	}
}

func TestGroupsLookup(t *testing.T) {
	gs := MustGroups(DefaultGroups)
	for in, want := range map[string]Group{
		"civil-society": "civil-society", "Civil Society": "civil-society", "civil_society": "civil-society",
		"tech": "technical-community", "GOV": "government", "intergov": "intergovernmental", "academia": "academia",
	} {
		if got, err := gs.Lookup(in); err != nil || got != want {
			t.Errorf("Lookup(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "nobody", "g-7"} {
		if _, err := gs.Lookup(in); !errors.Is(err, ErrUnknownGroup) {
			t.Errorf("Lookup(%q) err = %v", in, err)
		}
	}
	if _, err := NewGroups([]GroupInfo{{ID: "a|b"}}); err == nil {
		t.Error("NewGroups accepted a '|' in a slug (it would corrupt tally fields)")
	}
	if _, err := NewGroups([]GroupInfo{{ID: "a"}, {ID: "a"}}); err == nil {
		t.Error("NewGroups accepted duplicates")
	}
}

func TestPseudonym(t *testing.T) {
	a := Pseudonym([]byte("k"), "slack:T1", "P1", "U1")
	if a != Pseudonym([]byte("k"), "slack:T1", "P1", "U1") {
		t.Fatal("not deterministic")
	}
	for _, other := range []string{
		Pseudonym([]byte("k2"), "slack:T1", "P1", "U1"), Pseudonym([]byte("k"), "slack:T2", "P1", "U1"),
		Pseudonym([]byte("k"), "slack:T1", "P1", "U2"), Pseudonym([]byte("k"), "slack:T1", "P2", "U1"),
	} {
		if other == a {
			t.Errorf("collision: %s", a)
		}
	}
	if strings.Contains(a, "U1") {
		t.Errorf("pseudonym %s shows the user id", a)
	}
}
