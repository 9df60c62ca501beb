package bot

import (
	"strings"

	"github.com/pollbot/pollbot/polls"
)

// generalUsage is shown for text whose subcommand is unknown.
var generalUsage string

// initUsage derives the help from the command table, once it exists
// (the table's init calls it).
func initUsage() {
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		names = append(names, s.Name)
	}
	generalUsage = "/poll " + strings.Join(names, "|") + " ... (/poll help lists them)"
	overview = buildOverview()
	helpPages = buildHelpPages()
}

// Usage returns the usage line of a subcommand ("vote" -> "/poll vote ID
// THEME..."), or the general one for an unknown name.
func Usage(name string) string {
	if s := Lookup(name); s != nil {
		return s.Line(false)
	}
	return generalUsage
}

// helpTopics are the topics of /poll help TOPIC, canonical names only.
var helpTopics = []string{"open", "preset", "list", "vote", "groups", "close", "reopen", "cancel", "extend", "report", "export", "timeline", "screen"}

// helpAliases send the other words people ask about to a topic.
var helpAliases = map[string]string{
	"help": "", "commands": "",
	"unvote": "vote", "ballot": "vote", "voting": "vote",
	"group": "groups", "assign": "groups", "stakeholder": "groups", "stakeholders": "groups",
	"consensus": "report", "status": "report", "statuses": "report", "results": "report", "score": "report",
	"options": "open", "flags": "open", "closes": "open", "duration": "open", "durations": "open", "deadline": "open",
	"presets": "preset",
	"history": "timeline", "emerged": "timeline",
	"live": "screen", "projector": "screen", "link": "screen",
}

// helpTopic maps what follows /poll help to a canonical topic.
func helpTopic(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if t, ok := helpAliases[s]; ok {
		return t, true
	}
	for _, t := range helpTopics {
		if s == t {
			return t, true
		}
	}
	return "", s == ""
}

// HelpText is the text of /poll help TOPIC: the overview of every
// subcommand for "", and a page per topic (see helpTopics; subcommand names
// and a few synonyms such as "consensus" are accepted). An unknown topic
// gets the overview after a line saying so.
func HelpText(topic string) string {
	t, ok := helpTopic(topic)
	if !ok {
		return "There is no help on " + UserText(quote(excerpt(topic, 40))) + ".\n\n" + overview
	}
	if t == "" {
		return overview
	}
	if page, ok := helpPages[t]; ok {
		return page
	}
	sp := Lookup(t)
	return "Usage: " + sp.Line(false) + "\n\n" + sp.Short + "\n"
}

var overview string

func buildOverview() string {
	var b strings.Builder
	line := func(usage, text string) {
		b.WriteString("  " + usage + "\n      " + text + "\n")
	}
	b.WriteString("/poll runs consensus polls across stakeholder groups: people vote for the themes they support, and the report shows which themes have support in every group, not just a majority.\n\n")
	// Participants' commands first, in the order people need them; then
	// what facilitators do.
	b.WriteString("For everyone:\n")
	for _, n := range []string{"vote", "unvote", "group", "list", "report", "timeline", "export", "help"} {
		sp := Lookup(n)
		line(sp.Line(true), sp.Short)
	}
	b.WriteString("\nFor facilitators (whoever opens a poll, and configured facilitators):\n")
	for _, n := range []string{"open", "preset", "close", "reopen", "cancel", "extend", "assign", "screen"} {
		sp := Lookup(n)
		line(sp.Line(true), sp.Short)
	}
	b.WriteString("  Exporting ballots (export ID ballots) is for facilitators too.\n")
	b.WriteString("\nExamples:\n")
	for _, ex := range []string{
		`/poll open "Theme for 2027" "DNSSEC" "DNS abuse" "BCP38 (DDoS mitigation)" --closes 48h`,
		`/poll vote K7QX 1 3`,
		`/poll vote K7QX "DNS abuse"`,
		`/poll group civil society`,
		`/poll report K7QX`,
		`/poll export K7QX json`,
	} {
		b.WriteString("  " + ex + "\n")
	}
	b.WriteString("\nMore: /poll help TOPIC, with TOPIC one of " + strings.Join(helpTopics, ", ") + ".\n")
	return b.String()
}

var helpPages map[string]string

func buildHelpPages() map[string]string {
	return map[string]string{
		"open": `Usage: ` + Usage("open") + `

Start a poll. The first quoted text is the title, each further one a candidate theme (1 to 25 themes, each at most 80 characters). Quote every label that has spaces; straight or curly quotes both work.

Options (anywhere after the word open; --name value or --name=value):
  --kind approval      vote for every theme you support (the default)
  --kind single        vote for one theme
  --kind ranked        put themes in order of preference (at least 2 themes)
  --closes 48h         close after a duration: 90m, 48h, 1h30m, 2d, 1w (at most 366 days)
  --closes 2026-12-01T15:00Z   close at a time (Z is UTC, or an offset like +01:00; a bare date means 00:00 UTC)
  --anonymous          keep no platform user ids with the ballots
  --hide-results       show results only once the poll is closed
  --quorum N           ballots a group needs before it counts (default 3)
  --threshold 0.6      support a group needs for a theme, more than 0 and at most 1, or 60% (default 0.5)
  --max-choices N      most themes one ballot may choose (approval and ranked)

Example:
  /poll open "Theme for 2027" "DNSSEC" "DNS abuse" "BCP38 (DDoS mitigation)" --closes 48h
`,
		"preset": `Usage: ` + Usage("preset") + `

Start a poll from a saved list of themes, built in or configured for this workspace. The options are those of /poll open (see /poll help open).

Example:
  /poll preset igf-themes --closes 2d --quorum 2
`,
		"vote": `Usage: ` + Usage("vote") + `
       ` + Usage("unvote") + `

Vote in poll ID (the short code on the poll, like K7QX) for themes given by their number on the poll or by their label. Quote a label that has spaces. Numbers may be separated by commas.
  /poll vote K7QX 1 3 4
  /poll vote K7QX 1,3,4
  /poll vote K7QX "DNS abuse" DNSSEC

In a single-choice poll give one theme; in a ranked poll give the themes in your order of preference, the most preferred first. Voting again replaces your ballot; /poll unvote ID takes it back. The buttons on the poll message do the same.

Your ballot counts for your stakeholder group (see /poll help groups). If you have none yet you are asked to pick one, and your vote is kept and counted as soon as you do.
`,
		"groups": `Usage: ` + Usage("group") + `
       ` + Usage("assign") + `   (facilitators)

Every ballot counts for the voter's stakeholder group, because the report looks for support across groups. /poll group shows your group; /poll group GROUP sets it (/poll group civil society). Facilitators can put someone in a group with /poll assign @user GROUP, and a workspace can map platform roles to groups; a facilitator's assignment comes first, then the role, then your own choice.

The usual groups are: ` + groupList() + `. A workspace may configure others.
`,
		"report": `Usage: ` + Usage("report") + `

The report ranks the themes and gives each a status, looking at each stakeholder group separately: a theme that one large group loves and every other group rejects does not have consensus. A group counts once it has cast enough ballots (the quorum, 3 by default); groups below that are listed as under-represented. A group supports a theme when at least the threshold (half, by default) of its ballots chose it.

  consensus     every group that counts supports the theme, clearly enough that it is not down to a few ballots
  emerging      every group that counts supports it, but some only narrowly or on few ballots: likely, not yet sure
  divided       some groups support it and others do not
  low           no group supports it
  insufficient  fewer than two groups have voted enough to compare

Themes are ranked by a score that rewards support in every group at once, then by the average support of the groups, then by overall support. Anyone may see the report of a closed poll, or of an open poll that shows live results.
`,
		"timeline": `Usage: ` + Usage("timeline") + `

How consensus emerged: the report recomputed after every vote, as each theme's statuses with the time each began ("DNS abuse: insufficient 14:02, divided 14:20, emerging 15:31"), and a chart with a row per theme, coloured by its status over time, its score drawn over it. Times are UTC; an anonymous poll's are to the hour. Whoever may see the report may see the timeline.
`,
		"screen": `Usage: ` + Usage("screen") + `   (facilitators and the poll's creator)

Answers, only to you, with a read-only link to the poll's live screen: a page to project in the room that shows the status and count-down, participation per group against the quorum, the consensus heatmap with what each status rests on, and the timeline, and updates itself as votes arrive. It never shows who voted; a poll that hides its results shows participation only until it closes. Anyone with the link can watch, so share it with the room. The link works until 7 days after the poll closes.
`,
	}
}

func groupList() string {
	ids := make([]string, len(polls.DefaultGroups))
	for i, g := range polls.DefaultGroups {
		ids[i] = string(g.ID)
	}
	return strings.Join(ids, ", ")
}
