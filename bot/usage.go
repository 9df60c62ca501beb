package bot

import (
	"strings"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// generalUsage is shown for text whose subcommand is unknown.
var generalUsage msg.Message

// initUsage derives the general usage line from the command table, once
// it exists (the table's init calls it).
func initUsage() {
	names := make([]string, 0, len(specs))
	for _, s := range specs {
		names = append(names, s.Name)
	}
	generalUsage = msg.UsageGeneral.With(strings.Join(names, "|"))
}

// Usage returns the usage line of a subcommand ("vote" -> "/poll vote ID
// THEME..."), or the general one for an unknown name.
func Usage(name string) msg.Message {
	if s := Lookup(name); s != nil {
		return s.Line(false)
	}
	return generalUsage
}

// helpTopics are the topics of /poll help TOPIC, canonical names only.
var helpTopics = []string{"open", "preset", "list", "vote", "groups", "close", "reopen", "cancel", "extend", "remind", "report", "export", "timeline", "screen"}

// helpAliases send the other words people ask about to a topic.
var helpAliases = map[string]string{
	"help": "", "commands": "",
	"unvote": "vote", "ballot": "vote", "voting": "vote",
	"group": "groups", "assign": "groups", "stakeholder": "groups", "stakeholders": "groups",
	"consensus": "report", "status": "report", "statuses": "report", "results": "report", "score": "report",
	"options": "open", "flags": "open", "closes": "open", "duration": "open", "durations": "open", "deadline": "open",
	"presets":  "preset",
	"reminder": "remind", "reminders": "remind",
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

// HelpText is the text of /poll help TOPIC in p's words: the overview of
// every subcommand for "", and a page per topic (see helpTopics;
// subcommand names and a few synonyms such as "consensus" are accepted).
// An unknown topic gets the overview after a line saying so.
func HelpText(p *msg.Printer, topic string) string {
	t, ok := helpTopic(topic)
	if !ok {
		return p.Sprint(msg.HelpNoTopic.With(UserText(quote(excerpt(topic, 40))), overview(p)))
	}
	if t == "" {
		return overview(p)
	}
	if page := helpPage(t); !page.IsZero() {
		return p.Sprint(page)
	}
	sp := Lookup(t)
	return p.Sprint(msg.HelpShort.With(sp.Line(false), sp.Short))
}

// overview is /poll help: every subcommand with its line, participants'
// first.
func overview(p *msg.Printer) string {
	var b strings.Builder
	line := func(sp *Spec) {
		b.WriteString("  " + p.Sprint(sp.Line(true)) + "\n      " + p.Sprint(sp.Short) + "\n")
	}
	b.WriteString(p.Sprint(msg.HelpIntro.With()) + "\n\n")
	// Participants' commands first, in the order people need them; then
	// what facilitators do.
	b.WriteString(p.Sprint(msg.HelpEveryone.With()) + "\n")
	for _, n := range []string{"vote", "unvote", "group", "list", "report", "timeline", "export", "help"} {
		line(Lookup(n))
	}
	b.WriteString("\n" + p.Sprint(msg.HelpFacilitator.With()) + "\n")
	for _, n := range []string{"open", "preset", "close", "reopen", "cancel", "extend", "remind", "assign", "screen"} {
		line(Lookup(n))
	}
	b.WriteString("  " + p.Sprint(msg.HelpBallotsToo.With()) + "\n")
	b.WriteString("\n" + p.Sprint(msg.HelpExamples.With()))
	b.WriteString("\n" + p.Sprint(msg.HelpMore.With(msg.Names(helpTopics))) + "\n")
	return b.String()
}

// helpPage is the page of a topic that has one, or zero.
func helpPage(topic string) msg.Message {
	switch topic {
	case "remind":
		return msg.HelpRemind.With(Usage("remind"), nearEmergingBallots, remindsPerHour, polls.MaxReminders)
	case "open":
		return msg.HelpOpen.With(Usage("open"))
	case "preset":
		return msg.HelpPreset.With(Usage("preset"))
	case "vote":
		return msg.HelpVote.With(Usage("vote"), Usage("unvote"))
	case "groups":
		return msg.HelpGroups.With(Usage("group"), Usage("assign"), defaultGroupIDs())
	case "extend":
		return msg.HelpExtend.With(Usage("extend"))
	case "reopen":
		return msg.HelpReopen.With(Usage("reopen"))
	case "report":
		return msg.HelpReport.With(Usage("report"))
	case "timeline":
		return msg.HelpTimeline.With(Usage("timeline"))
	case "screen":
		return msg.HelpScreen.With(Usage("screen"), screenDays)
	}
	return msg.Message{}
}

// defaultGroupIDs are the ids of the default stakeholder groups, as typed.
func defaultGroupIDs() msg.Names {
	ids := make(msg.Names, len(polls.DefaultGroups))
	for i, g := range polls.DefaultGroups {
		ids[i] = string(g.ID)
	}
	return ids
}
