package bot

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/pollbot/pollbot/polls"
)

// Config is the engine's configuration: who facilitates, which stakeholder
// groups exist, how platform roles map to them, and the theme presets. It
// is read from the optional POLLBOT_CONFIG YAML file; POLLBOT_FACILITATORS
// adds facilitators.
//
// Facilitators and role mappings name principals, KIND:VALUE:
//   - a person: "slack:U0123ABC", "discord:123456789012345678",
//     "shell:you"; the value is the platform's user id, compared exactly;
//   - a Discord role: "discord-role:Moderators" by name, or
//     "discord-role:112233445566778899" by id. A value of digits only is
//     an id (a Discord snowflake), anything else a name; so a role whose
//     name is all digits is referred to by its id;
//   - a Slack user group: "slack-usergroup:S0123ABC" by id, or
//     "slack-usergroup:gov-team" by handle. A value of S followed by
//     capital letters and digits is an id, anything else a handle.
//
// Kinds and names (role names, handles) compare without regard to case,
// ids exactly, and an id matches only an id: a Discord role named
// "112233445566778899" is not the role with that id.
type Config struct {
	// Facilitators are principals (see Config): people or roles.
	Facilitators []string `yaml:"facilitators"`
	// Groups replaces the default stakeholder groups when not empty.
	Groups []polls.GroupInfo `yaml:"groups"`
	// Roles maps platform roles to groups, e.g.
	// "discord-role:Government": government. Tried in order: the first
	// mapping that names one of the user's roles decides.
	Roles []RoleMapping `yaml:"roles"`
	// Presets adds theme lists to the built-in ones (same name: replaces).
	Presets []PresetDef `yaml:"presets"`
	// Defaults apply to polls opened without the corresponding flag.
	Defaults Defaults `yaml:"defaults"`
	// Limits bound what one workspace or person can make pollbot keep.
	Limits Limits `yaml:"limits"`
}

// Limits are the caps on opening polls. Zero means the default
// (polls.DefaultLimits); a negative number means no cap.
type Limits struct {
	// OpenPolls is the most polls a workspace (Slack team, Discord
	// server) may have open at once.
	OpenPolls int `yaml:"open_polls"`
	// OpensPerHour is the most polls one person may open in an hour.
	OpensPerHour int `yaml:"opens_per_hour"`
}

// PollLimits returns the limits the poll service enforces.
func (c Config) PollLimits() polls.Limits {
	pick := func(v, def int) int {
		switch {
		case v < 0:
			return 0
		case v == 0:
			return def
		}
		return v
	}
	return polls.Limits{
		OpenPolls:    pick(c.Limits.OpenPolls, polls.DefaultLimits.OpenPolls),
		OpensPerHour: pick(c.Limits.OpensPerHour, polls.DefaultLimits.OpensPerHour),
	}
}

// RoleMapping maps one platform role to a group.
type RoleMapping struct {
	Role  string      `yaml:"role"` // a role principal (see Config): "discord-role:NAME-or-ID", "slack-usergroup:ID-or-handle"
	Group polls.Group `yaml:"group"`
}

// Defaults are per-deployment poll defaults.
type Defaults struct {
	Kind      polls.Kind `yaml:"kind"`
	Quorum    int        `yaml:"quorum"`
	Threshold float64    `yaml:"threshold"`
	Closes    string     `yaml:"closes"` // a duration such as 48h; empty: no deadline
	// Remind is the default of --remind: reminders this long before the
	// deadline ([24h, 1h] or "24h,1h"), for polls opened without
	// --remind; those that do not fit before a poll's deadline are left
	// out for that poll.
	Remind Durations `yaml:"remind"`
}

// PresetDef is a named list of candidate themes.
type PresetDef struct {
	Name        string     `yaml:"name"`
	Title       string     `yaml:"title"`
	Description string     `yaml:"description"`
	Kind        polls.Kind `yaml:"kind"`
	Themes      []string   `yaml:"themes"`
}

// BuiltinPresets are available without configuration.
var BuiltinPresets = []PresetDef{
	{
		Name:        "igf-bpf-cybersecurity-2016",
		Title:       "IGF BPF Cybersecurity: which theme should we work on?",
		Description: "Candidate themes of the IGF 2016 Best Practice Forum on Cybersecurity",
		Themes: []string{
			"DNSSEC",
			"DNS abuse",
			"Critical success factors in cybersecurity",
			"Responsible disclosure",
			"Tools for prevention",
			"Privacy",
			"BCP38 (DDoS mitigation)",
			"Enforcement",
			"Education and awareness",
			"Collaboration and cooperation among actors",
		},
	},
	{
		Name:        "igf-main-themes",
		Title:       "Which IGF main theme should our session address?",
		Description: "Recurring main themes of the Internet Governance Forum",
		Themes: []string{
			"Universal access and meaningful connectivity",
			"Human rights and freedoms online",
			"Trust, security and stability",
			"Data governance",
			"Environmental sustainability",
			"Emerging technologies and AI",
			"Digital cooperation and the multistakeholder model",
		},
	},
	{
		Name:        "routing-security",
		Title:       "Routing security: where should the group start?",
		Description: "Operational routing-security practices (MANRS actions and RPKI)",
		Themes: []string{
			"Route filtering",
			"Anti-spoofing (BCP38)",
			"Coordination and contact data",
			"Global validation (IRR and RPKI)",
			"RPKI route origin validation",
			"Training and capacity building",
		},
	},
}

// LoadConfig reads a YAML configuration. Unknown keys are errors, so a
// typo does not silently drop a setting.
func LoadConfig(r io.Reader) (Config, error) {
	var c Config
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil && err != io.EOF {
		// yaml.v3 lists unmarshal errors on several lines; a setting
		// error is one line.
		msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "\n", ";")), " ")
		return Config{}, fmt.Errorf("%s", strings.Replace(msg, "unmarshal errors:; ", "", 1))
	}
	return c, c.validate()
}

// LoadConfigFile reads a YAML configuration file.
func LoadConfigFile(path string) (Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return Config{}, fmt.Errorf("POLLBOT_CONFIG: %w", err)
	}
	defer f.Close()
	c, err := LoadConfig(f)
	if err != nil {
		return Config{}, fmt.Errorf("POLLBOT_CONFIG %s: %w", path, err)
	}
	return c, nil
}

// ParseFacilitators splits a POLLBOT_FACILITATORS value ("slack:U123,
// discord-role:Moderators").
func ParseFacilitators(s string) ([]string, error) {
	var out []string
	for f := range strings.SplitSeq(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if _, err := parsePrincipal(f); err != nil {
			return nil, fmt.Errorf("POLLBOT_FACILITATORS: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}

func (c Config) validate() error {
	if len(c.Groups) > 0 {
		if _, err := polls.NewGroups(c.Groups); err != nil {
			return fmt.Errorf("groups: %s", Describe(err))
		}
	}
	for _, f := range c.Facilitators {
		if _, err := parsePrincipal(f); err != nil {
			return fmt.Errorf("facilitators: %w", err)
		}
	}
	groups := c.groups()
	for _, m := range c.Roles {
		if p, err := parsePrincipal(m.Role); err != nil || !p.isRole() {
			return fmt.Errorf("roles: %q is not a role: discord-role:NAME-or-ID or slack-usergroup:ID-or-handle", m.Role)
		}
		if !groups.Known(m.Group) {
			return fmt.Errorf("roles: %q maps to unknown group %q", m.Role, m.Group)
		}
	}
	for _, p := range c.Presets {
		if p.Name == "" || strings.ContainsAny(p.Name, " \t\"") {
			return fmt.Errorf("presets: name %q must be one word", p.Name)
		}
		pl := &polls.Poll{Title: p.Title, Kind: p.Kind}
		if pl.Title == "" {
			pl.Title = p.Name
		}
		for _, t := range p.Themes {
			pl.Themes = append(pl.Themes, polls.Theme{Label: t})
		}
		pl.Normalize()
		if err := pl.Validate(); err != nil {
			return fmt.Errorf("preset %s: %s", p.Name, Describe(err))
		}
	}
	if c.Defaults.Kind != "" {
		if _, err := polls.ParseKind(string(c.Defaults.Kind)); err != nil {
			return fmt.Errorf("defaults: %s", Describe(err))
		}
	}
	if c.Defaults.Closes != "" {
		if _, err := ParseDuration(c.Defaults.Closes); err != nil {
			return fmt.Errorf("defaults.closes: %w", err)
		}
	}
	if c.Defaults.Quorum < 0 || c.Defaults.Threshold < 0 || c.Defaults.Threshold > 1 {
		return fmt.Errorf("defaults: quorum must be >= 1 and threshold in (0, 1]")
	}
	return nil
}

func (c Config) groups() *polls.Groups {
	if len(c.Groups) == 0 {
		return polls.MustGroups(polls.DefaultGroups)
	}
	gs, err := polls.NewGroups(c.Groups)
	if err != nil {
		return polls.MustGroups(polls.DefaultGroups)
	}
	return gs
}

// GroupList returns the configured stakeholder groups (the defaults if none).
func (c Config) GroupList() *polls.Groups { return c.groups() }

// preset finds a preset by name, configured ones first, case-insensitively.
func (c Config) preset(name string) (PresetDef, bool) {
	for _, list := range [][]PresetDef{c.Presets, BuiltinPresets} {
		for _, p := range list {
			if strings.EqualFold(p.Name, name) {
				return p, true
			}
		}
	}
	return PresetDef{}, false
}

// PresetNames lists every preset name, configured ones first.
func (c Config) PresetNames() []string {
	var out []string
	for _, list := range [][]PresetDef{c.Presets, BuiltinPresets} {
		for _, p := range list {
			if !slices.ContainsFunc(out, func(n string) bool { return strings.EqualFold(n, p.Name) }) {
				out = append(out, p.Name)
			}
		}
	}
	return out
}

func (d Defaults) closes() time.Duration {
	if d.Closes == "" {
		return 0
	}
	dur, _ := ParseDuration(d.Closes)
	return dur
}
