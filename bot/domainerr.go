package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/internal/numfmt"
	"github.com/pollbot/pollbot/polls"
)

// domainText words a domain error for the person who caused it, as a
// phrase ("poll K7QX is closed"); see domainMessage.
func (e *Engine) domainText(de *polls.Error) string {
	return e.p.Sprint(domainMessage(e.p, de, e.groups))
}

// domainMessage words a domain error (polls.Error): the domain names the
// situation (Code) and its parameters, the catalog says it. Text people
// wrote or typed (labels, group names, what an error quotes back) is
// marked as user text. pr renders the lists a message shows; groups words
// group ids (nil: the defaults).
func domainMessage(pr *msg.Printer, e *polls.Error, groups *polls.Groups) msg.Message {
	p := params{e.Params, groups, pr}
	switch e.Code {
	case polls.CodeNoChoices:
		return msg.ErrNoChoices.With()
	case polls.CodeThemeNumber:
		return msg.ErrThemeNumber.With(p.s("Poll"), p.n("Number"), p.n("Max"))
	case polls.CodeThemeLabel:
		return msg.ErrThemeLabel.With(p.s("Poll"), p.typed("Typed"), p.n("Max"))
	case polls.CodeRepeatedChoice:
		return msg.ErrRepeatedChoice.With(p.n("Number"), p.label("Label"))
	case polls.CodeOneChoice:
		return msg.ErrOneChoice.With(p.s("Poll"), p.n("Given"))
	case polls.CodeMaxChoices:
		return msg.ErrMaxChoices.With(p.s("Poll"), p.n("Max"), p.n("Given"))
	case polls.CodeMaxChoicesToggle:
		return msg.ErrMaxChoicesToggle.With(p.s("Poll"), p.n("Max"))
	case polls.CodeNotByClick:
		if p.s("Kind") == string(polls.Ranked) {
			return msg.ErrRankedNotByClick.With(p.s("Poll"))
		}
		return msg.ErrNotByClick.With(p.s("Poll"), report.KindWord(polls.Kind(p.s("Kind"))))
	case polls.CodeGroupsEmpty:
		return msg.ErrGroupsEmpty.With()
	case polls.CodeGroupID:
		return msg.ErrGroupID.With(UserText(strconv.Quote(p.s("Group"))))
	case polls.CodeGroupTwice:
		return msg.ErrGroupTwice.With(UserText(strconv.Quote(p.s("Group"))))
	case polls.CodeNoGroupGiven:
		return msg.ErrNoGroupGiven.With(pr.Join(p.strs("Groups")))
	case polls.CodeUnknownGroup:
		if g := p.nearGroup("Typed"); g != "" {
			return msg.ErrUnknownGroupNear.With(p.typed("Typed"), g, pr.Join(p.strs("Groups")))
		}
		return msg.ErrUnknownGroup.With(p.typed("Typed"), pr.Join(p.strs("Groups")))
	case polls.CodeUnknownKind:
		return msg.ErrUnknownKind.With(p.typed("Typed"), pr.OrListStrings(p.strs("Kinds")))
	case polls.CodeEmptyTitle:
		return msg.ErrEmptyTitle.With()
	case polls.CodeTitleTooLong:
		return msg.ErrTitleTooLong.With(p.n("Runes"), p.n("Max"))
	case polls.CodeTitleNotUTF8:
		return msg.ErrTitleNotUTF8.With()
	case polls.CodeTitleControl, polls.CodeTitleDirection, polls.CodeTitleReplacement, polls.CodeTitleMarker:
		return msg.ErrTitleShows.With(unshowable(e.Code, p.r("Rune")))
	case polls.CodeNoThemes:
		return msg.ErrNoThemes.With()
	case polls.CodeTooManyThemes:
		return msg.ErrTooManyThemes.With(p.n("Given"), p.n("Max"))
	case polls.CodeTooFewThemes:
		return msg.ErrTooFewThemes.With(report.KindWord(polls.Kind(p.s("Kind"))), p.n("Min"))
	case polls.CodeThemeEmpty:
		return msg.ErrThemeEmpty.With(p.n("Number"))
	case polls.CodeThemeNotUTF8:
		return msg.ErrThemeNotUTF8.With(p.n("Number"))
	case polls.CodeThemeTooLong:
		return msg.ErrThemeTooLong.With(p.n("Number"), p.n("Runes"), p.n("Max"))
	case polls.CodeThemeControl, polls.CodeThemeDirection, polls.CodeThemeReplacement, polls.CodeThemeMarker:
		return msg.ErrThemeShows.With(p.n("Number"), unshowable(e.Code, p.r("Rune")))
	case polls.CodeDuplicateTheme:
		return msg.ErrDuplicateTheme.With(p.n("First"), p.n("Second"), UserText(strconv.Quote(p.s("Label"))))
	case polls.CodeQuorumRange:
		return msg.ErrQuorumRange.With(p.n("Max"), p.n("Given"))
	case polls.CodeThresholdRange:
		return msg.ErrThresholdRange.With(numfmt.Decimal(p.f("Given")))
	case polls.CodeMaxChoicesRange:
		return msg.ErrMaxChoicesRange.With(p.n("Max"), p.n("Given"))
	case polls.CodeMaxChoicesKind:
		return msg.ErrMaxChoicesKind.With()
	case polls.CodeMinGroupsRange:
		return msg.ErrMinGroupsRange.With(p.n("Max"), p.n("Given"))
	case polls.CodeResultsValue:
		return msg.ErrResultsValue.With(p.typed("Typed"))
	case polls.CodeNoPseudonymKey:
		return msg.ErrNoPseudonymKey.With()
	case polls.CodePollNeedsKey:
		return msg.ErrPollNeedsKey.With(p.s("Poll"))
	case polls.CodePollOtherKey:
		return msg.ErrPollOtherKey.With(p.s("Poll"))
	case polls.CodeLegacyAnonymous:
		return msg.ErrLegacyAnonymous.With(p.s("Poll"))
	case polls.CodeDeadlinePast:
		return msg.ErrDeadlinePast.With(p.t("Deadline").Format(time.RFC3339))
	case polls.CodeDeadlineTooFar:
		return msg.ErrDeadlineTooFar.With(p.t("Deadline").Format(time.RFC3339), p.n("Days"))
	case polls.CodeExtendPositive:
		return msg.ErrExtendByPositive.With()
	case polls.CodeNoPollID:
		return msg.ErrNoPollID.With()
	case polls.CodeNotPollID:
		return msg.ErrNotPollID.With(p.typed("Typed"))
	case polls.CodePollNotFound:
		return msg.ErrPollNotFound.With(p.s("Poll"))
	case polls.CodePollCancelled:
		return msg.ErrPollCancelled.With(p.s("Poll"))
	case polls.CodePollClosed:
		return msg.ErrPollClosed.With(p.s("Poll"))
	case polls.CodePollClosedAt:
		return msg.ErrPollClosedAt.With(p.s("Poll"), timeUTC(p.t("Deadline")))
	case polls.CodePastDeadline:
		return msg.ErrPastDeadline.With(p.s("Poll"))
	case polls.CodeAlreadyCancelled:
		return msg.ErrAlreadyCancelled.With(p.s("Poll"))
	case polls.CodeCancelledNoReopen:
		return msg.ErrCancelledNoReopen.With(p.s("Poll"))
	case polls.CodeNotOpenExtend:
		return msg.ErrNotOpenExtend.With(p.s("Poll"), report.PollStatusWord(polls.Status(p.s("Status"))))
	case polls.CodeReopenDeadline:
		return msg.ErrReopenDeadline.With(p.s("Poll"), dateTime(p.t("Deadline")))
	case polls.CodeGroupAssigned:
		return msg.ErrGroupAssigned.With(p.group("Group"))
	case polls.CodeOpenPollsLimit:
		return msg.ErrOpenPollsLimit.With(p.n("Max"))
	case polls.CodeOpensPerHour:
		return msg.ErrOpensPerHourLimit.With(p.n("Max"))
	}
	if m, ok := remindErrMessage(e.Code, p); ok {
		return m
	}
	// An error without a code the bot knows: worded by its kind.
	if errors.Is(e.Kind, polls.ErrUnknownKind) {
		return msg.ErrUnknownKindBare.With()
	}
	return msg.ErrDomain.With()
}

// unshowable says why a title or theme holding r cannot be shown.
func unshowable(code polls.Code, r rune) msg.Message {
	hex := fmt.Sprintf("%04X", r) // a code point's notation, U+202E
	switch code {
	case polls.CodeTitleControl, polls.CodeThemeControl:
		return msg.ShowsControl.With(hex)
	case polls.CodeTitleDirection, polls.CodeThemeDirection:
		return msg.ShowsDirection.With(hex)
	case polls.CodeTitleMarker, polls.CodeThemeMarker:
		return msg.ShowsReserved.With(hex)
	}
	return msg.ShowsReplacement.With()
}

// params reads a domain error's parameters by name and type.
type params struct {
	m      polls.Params
	groups *polls.Groups
	pr     *msg.Printer
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

// strs are the ids of a list of groups or kinds to choose from: written
// as they are typed.
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

// Describe words an error for a person, in English: a domain error in its
// own words, anything else as it is. Commands that are not chat (start-up,
// the configuration) use it; chat replies go through the engine.
func Describe(err error) string {
	var de *polls.Error
	if errors.As(err, &de) {
		p := msg.English()
		return PlainText(p.Sprint(domainMessage(p, de, nil)))
	}
	return err.Error()
}
