package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/polls"
)

// domainText words a domain error (polls.Error) for the person who caused
// it: the domain names the situation (Code) and its parameters, the bot
// says it. groups words group ids; nil means the defaults.
func domainText(e *polls.Error, groups *polls.Groups) string {
	p := params{e.Params, groups}
	switch e.Code {
	case polls.CodeNoChoices:
		return "choose at least one theme"
	case polls.CodeThemeNumber:
		return fmt.Sprintf("poll %s has no theme %d; themes are numbered 1 to %d", p.s("Poll"), p.n("Number"), p.n("Max"))
	case polls.CodeThemeLabel:
		return fmt.Sprintf("poll %s has no theme %s; use a theme number from 1 to %d or its label", p.s("Poll"), p.typed("Typed"), p.n("Max"))
	case polls.CodeRepeatedChoice:
		return fmt.Sprintf("theme %d (%s) is chosen twice", p.n("Number"), p.label("Label"))
	case polls.CodeOneChoice:
		return fmt.Sprintf("poll %s is single-choice: choose one theme, not %d", p.s("Poll"), p.n("Given"))
	case polls.CodeMaxChoices:
		return fmt.Sprintf("poll %s allows at most %d choices; %d given", p.s("Poll"), p.n("Max"), p.n("Given"))
	case polls.CodeMaxChoicesToggle:
		return fmt.Sprintf("poll %s allows at most %d choices; remove one first", p.s("Poll"), p.n("Max"))
	case polls.CodeNotByClick:
		if p.s("Kind") == string(polls.Ranked) {
			return fmt.Sprintf("poll %s is ranked: vote with the themes in your order of preference", p.s("Poll"))
		}
		return fmt.Sprintf("poll %s is a %s poll: vote with /poll vote %s", p.s("Poll"), p.s("Kind"), p.s("Poll"))
	case polls.CodeGroupsEmpty:
		return "the group list is empty"
	case polls.CodeGroupID:
		return fmt.Sprintf("group id %s: use 1 to 40 characters from a-z, 0-9 and '-'", UserText(strconv.Quote(p.s("Group"))))
	case polls.CodeGroupTwice:
		return fmt.Sprintf("group %s is listed twice", UserText(strconv.Quote(p.s("Group"))))
	case polls.CodeNoGroupGiven:
		return "no group given; choose one of " + p.list("Groups")
	case polls.CodeUnknownGroup:
		if g := p.nearGroup("Typed"); g != "" {
			return fmt.Sprintf("unknown group %s; did you mean %s? Choose one of %s", p.typed("Typed"), g, p.list("Groups"))
		}
		return fmt.Sprintf("unknown group %s; choose one of %s", p.typed("Typed"), p.list("Groups"))
	case polls.CodeUnknownKind:
		return fmt.Sprintf("unknown poll kind %s; use %s", p.typed("Typed"), orList(p.strs("Kinds")))
	case polls.CodeEmptyTitle:
		return "the poll needs a title"
	case polls.CodeTitleTooLong:
		return fmt.Sprintf("the title is %d characters; at most %d", p.n("Runes"), p.n("Max"))
	case polls.CodeTitleNotUTF8:
		return "the title is not valid text (UTF-8)"
	case polls.CodeTitleControl, polls.CodeTitleDirection, polls.CodeTitleReplacement, polls.CodeTitleMarker:
		return "the title " + unshowableText(e.Code, p.r("Rune")) + "; remove it"
	case polls.CodeNoThemes:
		return "the poll needs at least one theme"
	case polls.CodeTooManyThemes:
		return fmt.Sprintf("%d themes given; at most %d", p.n("Given"), p.n("Max"))
	case polls.CodeTooFewThemes:
		return fmt.Sprintf("a %s poll needs at least %d themes", p.s("Kind"), p.n("Min"))
	case polls.CodeThemeEmpty:
		return fmt.Sprintf("theme %d is empty", p.n("Number"))
	case polls.CodeThemeNotUTF8:
		return fmt.Sprintf("theme %d is not valid text (UTF-8)", p.n("Number"))
	case polls.CodeThemeTooLong:
		return fmt.Sprintf("theme %d is %d characters; at most %d", p.n("Number"), p.n("Runes"), p.n("Max"))
	case polls.CodeThemeControl, polls.CodeThemeDirection, polls.CodeThemeReplacement, polls.CodeThemeMarker:
		return fmt.Sprintf("theme %d %s; remove it", p.n("Number"), unshowableText(e.Code, p.r("Rune")))
	case polls.CodeDuplicateTheme:
		return fmt.Sprintf("themes %d and %d are both %s", p.n("First"), p.n("Second"), UserText(strconv.Quote(fmt.Sprint(p.m["Label"]))))
	case polls.CodeQuorumRange:
		return fmt.Sprintf("quorum must be a whole number from 1 to %d, not %d", p.n("Max"), p.n("Given"))
	case polls.CodeThresholdRange:
		return fmt.Sprintf("threshold must be more than 0 and at most 1, not %g", p.f("Given"))
	case polls.CodeMaxChoicesRange:
		return fmt.Sprintf("max choices must be from 0 (any) to %d (the number of themes), not %d", p.n("Max"), p.n("Given"))
	case polls.CodeMaxChoicesKind:
		return "max choices applies to approval and ranked polls, not single-choice ones"
	case polls.CodeMinGroupsRange:
		return fmt.Sprintf("min groups must be a whole number from 1 to %d, not %d", p.n("Max"), p.n("Given"))
	case polls.CodeResultsValue:
		return fmt.Sprintf("results must be live or hidden, not %s", p.typed("Typed"))
	case polls.CodeNoPseudonymKey:
		return "anonymous polls need POLLBOT_PSEUDONYM_KEY to be set"
	case polls.CodePollNeedsKey:
		return fmt.Sprintf("poll %s is anonymous, and this pollbot has no pseudonym key to count its votes with; ask the operator to set POLLBOT_PSEUDONYM_KEY to the key the poll was opened under", p.s("Poll"))
	case polls.CodePollOtherKey:
		return fmt.Sprintf("poll %s was opened under another pseudonym key than this pollbot has, so it cannot take or show votes; ask the operator to restore the key it was opened under", p.s("Poll"))
	case polls.CodeLegacyAnonymous:
		return fmt.Sprintf("poll %s is an anonymous poll opened by an older pollbot, whose voter keys were not made per poll; its report still works, but it takes no more votes and its ballots cannot be exported: close it and open a new one", p.s("Poll"))
	case polls.CodeDeadlinePast:
		return fmt.Sprintf("the deadline %s is not in the future", p.t("Deadline").Format(time.RFC3339))
	case polls.CodeDeadlineTooFar:
		return fmt.Sprintf("the deadline %s is more than %d days ahead; choose an earlier one", p.t("Deadline").Format(time.RFC3339), p.n("Days"))
	case polls.CodeExtendPositive:
		return "extend by a positive duration such as 24h"
	case polls.CodeNoPollID:
		return "no poll id given"
	case polls.CodeNotPollID:
		return fmt.Sprintf("%s is not a poll id (ids look like K7QX)", p.typed("Typed"))
	case polls.CodePollNotFound:
		return fmt.Sprintf("there is no poll %s here", p.s("Poll"))
	case polls.CodePollCancelled:
		return fmt.Sprintf("poll %s was cancelled", p.s("Poll"))
	case polls.CodePollClosed:
		return fmt.Sprintf("poll %s is closed", p.s("Poll"))
	case polls.CodePollClosedAt:
		return fmt.Sprintf("poll %s closed at %s", p.s("Poll"), p.t("Deadline").Format("2006-01-02 15:04 MST"))
	case polls.CodePastDeadline:
		return fmt.Sprintf("poll %s is past its deadline", p.s("Poll"))
	case polls.CodeAlreadyCancelled:
		return fmt.Sprintf("poll %s was already cancelled", p.s("Poll"))
	case polls.CodeCancelledNoReopen:
		return fmt.Sprintf("poll %s was cancelled and cannot be reopened", p.s("Poll"))
	case polls.CodeNotOpenExtend:
		return fmt.Sprintf("poll %s is %s; reopen it with a new deadline instead: /poll reopen %s 24h", p.s("Poll"), p.s("Status"), p.s("Poll"))
	case polls.CodeReopenDeadline:
		return fmt.Sprintf("poll %s's deadline, %s, has passed, so it would close again at once: reopen it with a new one, e.g. /poll reopen %s 24h", p.s("Poll"), p.t("Deadline").Format("Mon 2 Jan 15:04 UTC"), p.s("Poll"))
	case polls.CodeGroupAssigned:
		return fmt.Sprintf("a facilitator assigned you to %s; ask one to change it", p.group("Group"))
	case polls.CodeOpenPollsLimit:
		return fmt.Sprintf("this workspace already has %d open polls, the most it may have at once; close one before opening another", p.n("Max"))
	case polls.CodeOpensPerHour:
		return fmt.Sprintf("you have opened %d polls in the last hour, the most one person may; try again later", p.n("Max"))
	}
	if text, ok := remindErrText(e.Code, p); ok {
		return text
	}
	return e.Kind.Error()
}

func unshowableText(code polls.Code, r rune) string {
	switch code {
	case polls.CodeTitleControl, polls.CodeThemeControl:
		return fmt.Sprintf("contains a control character (U+%04X), which chat cannot show", r)
	case polls.CodeTitleDirection, polls.CodeThemeDirection:
		return fmt.Sprintf("contains a text-direction control (U+%04X), which can make it display differently from what it says", r)
	case polls.CodeTitleMarker, polls.CodeThemeMarker:
		return fmt.Sprintf("contains U+%04X, a character pollbot reserves for its own use", r)
	}
	return "contains U+FFFD (�), the mark of text that was not valid UTF-8 on its way here"
}

// params reads a domain error's parameters by name and type.
type params struct {
	m      polls.Params
	groups *polls.Groups
}

func (p params) s(k string) string { return fmt.Sprint(p.m[k]) }

func (p params) n(k string) int64 {
	switch v := p.m[k].(type) {
	case int:
		return int64(v)
	case int64:
		return v
	}
	return 0
}

func (p params) f(k string) float64 { v, _ := p.m[k].(float64); return v }

func (p params) r(k string) rune { v, _ := p.m[k].(rune); return v }

func (p params) t(k string) time.Time { v, _ := p.m[k].(time.Time); return v.UTC() }

// typed is what someone typed, quoted, with an ellipsis after the quote
// when it was cut; user text (see UserText), which adapters escape.
func (p params) typed(k string) string {
	t, ok := p.m[k].(polls.Typed)
	if !ok {
		return UserText(strconv.Quote(fmt.Sprint(p.m[k])))
	}
	if t.Cut {
		return UserText(strconv.Quote(t.Text)) + "…"
	}
	return UserText(strconv.Quote(t.Text))
}

// label is a title or label as its facilitator wrote it: user text.
func (p params) label(k string) string { return UserText(fmt.Sprint(p.m[k])) }

func (p params) group(k string) string {
	g, _ := p.m[k].(polls.Group)
	gs := p.groups
	if gs == nil {
		gs = polls.MustGroups(polls.DefaultGroups)
	}
	return UserText(gs.Info(g).Label)
}

// nearGroup is the id of the group whose id or label is a plausible typo
// of what was typed ("civl society" for civil-society), or "".
func (p params) nearGroup(k string) string {
	t, ok := p.m[k].(polls.Typed)
	if !ok || t.Cut {
		return ""
	}
	gs := p.groups
	if gs == nil {
		gs = polls.MustGroups(polls.DefaultGroups)
	}
	fold := func(s string) string {
		return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return r == ' ' || r == '-' || r == '_' }), "-")
	}
	var names []string
	ids := map[string]polls.Group{}
	for _, g := range gs.All() {
		for _, n := range []string{fold(string(g.ID)), fold(g.Label)} {
			if _, dup := ids[n]; !dup {
				ids[n] = g.ID
				names = append(names, n)
			}
		}
	}
	if s := suggest(fold(t.Text), names, nil); s != "" {
		return UserText(string(ids[s]))
	}
	return ""
}

func (p params) strs(k string) []string {
	var out []string
	switch v := p.m[k].(type) {
	case []polls.Group:
		for _, g := range v {
			out = append(out, string(g))
		}
	case []polls.Kind:
		for _, k := range v {
			out = append(out, string(k))
		}
	}
	return out
}

func (p params) list(k string) string { return strings.Join(p.strs(k), ", ") }

// orList joins "a", "b", "c" as "a, b or c".
func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// Describe words an error for a person: a domain error in its own words,
// anything else as it is. Commands that are not chat (start-up, the
// configuration) use it; chat replies go through the engine.
func Describe(err error) string {
	var de *polls.Error
	if errors.As(err, &de) {
		return PlainText(domainText(de, nil))
	}
	return err.Error()
}
