package discord

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// TestCommandChars counts a small command by hand, as Discord counts it.
func TestCommandChars(t *testing.T) {
	fr := map[discordgo.Locale]string{discordgo.French: "sondage"}
	c := &discordgo.ApplicationCommand{
		Name:              "poll",  // 4, but its French name is longer: 7
		NameLocalizations: &fr,     //
		Description:       "Polls", // 5
		Options: []*discordgo.ApplicationCommandOption{{
			Type: discordgo.ApplicationCommandOptionSubCommand,
			Name: "group", Description: "Set group", // 5 + 9
			Options: []*discordgo.ApplicationCommandOption{
				{
					Type: discordgo.ApplicationCommandOptionString,
					Name: "group", Description: "Which", // 5 + 5
					Choices: []*discordgo.ApplicationCommandOptionChoice{
						{Name: "Gouvernement", Value: "government"},      // 12 + 10
						{Name: "Société civile", Value: "civil-society"}, // 14 code points + 13
					},
				},
				{
					Type: discordgo.ApplicationCommandOptionNumber,
					Name: "n", Description: "Number", // 1 + 6
					Choices: []*discordgo.ApplicationCommandOptionChoice{{Name: "half", Value: 0.5}}, // 4 + 3
				},
			},
		}},
	}
	const want = 7 + 5 + 5 + 9 + 5 + 5 + 12 + 10 + 14 + 13 + 1 + 6 + 4 + 3
	if got := commandChars(c); got != want {
		t.Errorf("commandChars = %d, want %d", got, want)
	}
	// The fake Discord counts the JSON the same way.
	data, _ := json.Marshal(c)
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	if got := wireChars(m); got != want {
		t.Errorf("wireChars = %d, want %d", got, want)
	}
}

// bigGroups are 25 groups with 40-character ids and 100-character labels:
// the most a configuration can hold that Discord could show as choices.
func bigGroups() []polls.GroupInfo {
	var gs []polls.GroupInfo
	for i := range 25 {
		id := fmt.Sprintf("group-%02d-%s", i, strings.Repeat("x", 31))
		label := fmt.Sprintf("Group %02d ", i) + strings.Repeat("é", 91)
		gs = append(gs, polls.GroupInfo{ID: polls.Group(id), Label: label})
	}
	return gs
}

// TestLargeConfigRegisters: whatever the groups, /poll fits Discord's
// budget: when the group choices would not fit, the group options are
// autocompleted instead, and the autocompletion offers matching groups.
func TestLargeConfigRegisters(t *testing.T) {
	cmds := commands(engineWith(t, bigGroups()))
	if n := commandChars(cmds[0]); n > maxCommandChars {
		t.Fatalf("/poll with 25 long groups counts %d characters; Discord allows %d", n, maxCommandChars)
	}
	var groupOpts int
	var walk func([]*discordgo.ApplicationCommandOption)
	walk = func(opts []*discordgo.ApplicationCommandOption) {
		for _, o := range opts {
			if o.Name == "group" && o.Type == discordgo.ApplicationCommandOptionString {
				groupOpts++
				if !o.Autocomplete || len(o.Choices) != 0 {
					t.Errorf("group option: autocomplete %v, %d choices", o.Autocomplete, len(o.Choices))
				}
			}
			walk(o.Options)
		}
	}
	walk(cmds[0].Options)
	if groupOpts != 2 {
		t.Errorf("%d group options, want 2 (group, assign)", groupOpts)
	}
	// The default groups still come as choices.
	small := commands(engineWith(t, polls.DefaultGroups))
	if n := commandChars(small[0]); n > maxCommandChars || !strings.Contains(fmt.Sprint(mustJSON(t, small)), `"name":"Civil society","value":"civil-society"`) {
		t.Errorf("default groups: %d characters, choices %s", n, mustJSON(t, small))
	}

	// Through the adapter: the fake Discord refuses what Discord would,
	// by its own count of the JSON.
	cfg := testConfig()
	cfg.Groups = bigGroups()
	cfg.Roles = nil
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c), config: &cfg})
	h.fake.mu.Lock()
	reg := h.fake.commands[0].Payload["commands"].([]map[string]any)[0]
	h.fake.mu.Unlock()
	if n := wireChars(reg); n > maxCommandChars {
		t.Errorf("registered /poll counts %d characters", n)
	}
	for _, tc := range []struct {
		sub, typed string
		want       int
	}{
		{"group", "group 1", 10},
		{"group", "GROUP-07", 1},
		{"assign", "", 25},
		{"group", "éééé", 25},
		{"group", "nothing like it", 0},
	} {
		in := h.base(erin, 4)
		in["data"] = map[string]any{"id": "800000000000000001", "name": "poll", "type": 1, "options": []any{map[string]any{
			"name": tc.sub, "type": 1, "options": []any{map[string]any{"name": "group", "type": 3, "value": tc.typed, "focused": true}}}}}
		r := h.interact(t, in)
		choices, _ := r.Data["choices"].([]any)
		if r.Type != 8 || len(choices) != tc.want {
			t.Errorf("/poll %s group:%q: type %d, %d choices, want %d", tc.sub, tc.typed, r.Type, len(choices), tc.want)
			continue
		}
		for _, ch := range choices {
			cm := ch.(map[string]any)
			name, value := cm["name"].(string), cm["value"].(string)
			if utf8.RuneCountInString(name) > maxChoiceName || !strings.HasPrefix(value, "group-") {
				t.Errorf("choice %q = %q", name, value)
			}
		}
	}
	// A group picked from the autocompletion is set.
	r := h.interact(t, h.command(erin, "group", str("group", "group-07-"+strings.Repeat("x", 31))))
	mustContain(t, "group set", r.content(), "Your stakeholder group is now Group 07")
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// engineWith is an engine whose configuration has the given groups.
func engineWith(t *testing.T, groups []polls.GroupInfo) *bot.Engine {
	t.Helper()
	cfg := bot.Config{Groups: groups}
	return bot.New(polls.NewService(nil, polls.WithGroups(cfg.GroupList())), cfg)
}

// TestSurfaces: every subcommand of the engine's table is registered on
// Discord with every one of its options, nothing else is, and each
// translates from typed options back into the command the text grammar
// reads, so that a subcommand cannot exist in one surface and not another.
func TestSurfaces(t *testing.T) {
	cmd := commands(engineWith(t, polls.DefaultGroups))[0]
	registered := map[string]*discordgo.ApplicationCommandOption{}
	for _, sub := range cmd.Options {
		registered[sub.Name] = sub
	}
	samples := map[string]any{
		"title": "Theme for 2027", "themes": "DNSSEC; DNS abuse", "kind": "ranked", "closes": "48h",
		"anonymous": true, "hide_results": true, "quorum": 4.0, "threshold": 0.6, "max_choices": 2.0, "min_groups": 3.0, "remind": "24h, 1h",
		"name": "igf-main-themes", "status": "closed", "all": true, "page": 2.0, "poll": "K7QX",
		"group": "academia", "user": "1234", "duration": "24h", "format": "json", "ballots": true, "topic": "vote",
	}
	for _, sp := range bot.Specs() {
		sub := registered[sp.Name]
		if sub == nil {
			t.Errorf("/poll %s is not registered on Discord", sp.Name)
			continue
		}
		delete(registered, sp.Name)
		values := map[string]any{}
		for i, o := range sp.Options {
			if i >= len(sub.Options) || sub.Options[i].Name != o.Name || sub.Options[i].Required != o.Required {
				t.Errorf("/poll %s: option %d is not %s (required %v) on Discord", sp.Name, i, o.Name, o.Required)
				continue
			}
			v, ok := samples[o.Name]
			if !ok {
				t.Errorf("/poll %s: no sample value for option %s", sp.Name, o.Name)
			}
			values[o.Name] = v
		}
		if len(sub.Options) != len(sp.Options) {
			t.Errorf("/poll %s has %d options on Discord, %d in the table", sp.Name, len(sub.Options), len(sp.Options))
		}
		c, err := command(sp.Name, optionsOf(values))
		if err != nil {
			t.Errorf("/poll %s with every option: %v", sp.Name, err)
			continue
		}
		if c.Name() != sp.Name {
			t.Errorf("/poll %s translates to %s", sp.Name, c.Name())
		}
		back, err := bot.Parse(c.String())
		if err != nil || back.String() != c.String() {
			t.Errorf("/poll %s: %q does not read back (%v)", sp.Name, c.String(), err)
		}
	}
	for name := range registered {
		t.Errorf("/poll %s is registered on Discord but not in the table", name)
	}
}

func optionsOf(values map[string]any) optionMap {
	m := optionMap{}
	for k, v := range values {
		m[k] = &discordgo.ApplicationCommandInteractionDataOption{Name: k, Value: v}
	}
	return m
}

// TestPresetChoices: preset's name option offers the presets, with what
// each asks, as choices; when there are more than Discord can list, it is
// autocompleted instead, and the autocompletion finds a preset by name or
// title.
func TestPresetChoices(t *testing.T) {
	presetOpt := func(cmd *discordgo.ApplicationCommand) *discordgo.ApplicationCommandOption {
		for _, sub := range cmd.Options {
			if sub.Name == "preset" {
				return sub.Options[0]
			}
		}
		t.Fatal("no /poll preset")
		return nil
	}
	o := presetOpt(commands(engineWith(t, polls.DefaultGroups))[0])
	if o.Autocomplete || len(o.Choices) != len(bot.BuiltinPresets) {
		t.Fatalf("built-in presets: autocomplete %v, %d choices; want %d choices", o.Autocomplete, len(o.Choices), len(bot.BuiltinPresets))
	}
	if c := o.Choices[1]; c.Value != "igf-main-themes" || c.Name != "igf-main-themes · Which IGF main theme should our session address?" {
		t.Errorf("choice = %q: %v", c.Name, c.Value)
	}

	cfg := testConfig()
	for i := range 30 {
		cfg.Presets = append(cfg.Presets, bot.PresetDef{Name: fmt.Sprintf("retreat-%02d", i), Title: fmt.Sprintf("Retreat %d: what first?", i), Themes: []string{"A", "B"}})
	}
	if o := presetOpt(commands(bot.New(polls.NewService(nil), cfg))[0]); !o.Autocomplete || len(o.Choices) != 0 {
		t.Fatalf("33 presets: autocomplete %v, %d choices; want autocomplete", o.Autocomplete, len(o.Choices))
	}
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c), config: &cfg})
	for _, tc := range []struct {
		typed string
		want  []string
	}{
		{"retreat-1", []string{"retreat-10", "retreat-11", "retreat-12", "retreat-13", "retreat-14", "retreat-15", "retreat-16", "retreat-17", "retreat-18", "retreat-19"}},
		{"ROUTING", []string{"routing-security"}},
		{"where should", []string{"routing-security"}},
		{"", nil}, // the first 25
	} {
		in := h.base(erin, 4)
		in["data"] = map[string]any{"id": "800000000000000001", "name": "poll", "type": 1, "options": []any{map[string]any{
			"name": "preset", "type": 1, "options": []any{map[string]any{"name": "name", "type": 3, "value": tc.typed, "focused": true}}}}}
		r := h.interact(t, in)
		choices, _ := r.Data["choices"].([]any)
		var got []string
		for _, ch := range choices {
			got = append(got, ch.(map[string]any)["value"].(string))
		}
		if tc.want == nil && len(got) != maxChoices || tc.want != nil && !slices.Equal(got, tc.want) {
			t.Errorf("preset name:%q offers %v, want %v", tc.typed, got, tc.want)
		}
	}
	// A preset picked from the autocompletion opens.
	r := h.interact(t, h.command(alice, "preset", str("name", "retreat-07")))
	mustContain(t, "preset opened", r.content(), "is open")
}
