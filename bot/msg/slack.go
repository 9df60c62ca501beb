package msg

// The Slack adapter's own words (bot/slack/render.go): its buttons, the
// ranking modal, and the note on a message cut to fit.
var (
	SlackShortened    = Define("slack-shortened")
	SlackButtonVote   = Define("slack-button-vote")
	SlackButtonChoose = Define("slack-button-choose")
	// SlackMenu is the placeholder of a degraded poll's vote menu:
	// "Vote …".
	SlackMenu       = Define1[Message]("slack-menu", "Action")
	SlackRankTitle  = Define1[string]("slack-rank-title", "Poll")
	SlackRankSubmit = Define("slack-rank-submit")
	SlackRankCancel = Define("slack-rank-cancel")
	SlackRankPick   = Define("slack-rank-pick")
	// SlackRankChoice labels a rank position: "2nd choice".
	SlackRankChoice = Define1[Message]("slack-rank-choice", "Ordinal")
)

// Ordinal numbers, by CLDR's ordinal plural categories (one: 1st, 21st;
// two: 2nd; few: 3rd; other: 4th, 11th). go-i18n picks cardinal forms
// only, so Ordinal picks the category by English's ordinal rule.
var (
	OrdinalOne   = Define1[int]("ordinal-one", "N")
	OrdinalTwo   = Define1[int]("ordinal-two", "N")
	OrdinalFew   = Define1[int]("ordinal-few", "N")
	OrdinalOther = Define1[int]("ordinal-other", "N")
)

// Ordinal is n as an ordinal number: "1st", "22nd", "13th".
func Ordinal(n int) Message {
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		return OrdinalOne.With(n)
	case n%10 == 2:
		return OrdinalTwo.With(n)
	case n%10 == 3:
		return OrdinalFew.With(n)
	}
	return OrdinalOther.With(n)
}

// The Slack adapter's delivery notes (bot/slack/deliver.go): why a message
// or a file did not arrive, and where a private file went. Name is a file
// name; Err Slack's error code ("ratelimited").
var (
	SlackPostInvite     = Define("slack-post-invite")
	SlackPostFailed     = Define("slack-post-failed")
	SlackPostedBut      = Define1[Message]("slack-posted-but", "Problem")
	SlackUploadScope    = Define1[string]("slack-upload-scope", "Name")
	SlackUploadInvite   = Define1[string]("slack-upload-invite", "Name")
	SlackUploadAnswered = Define2[string, string]("slack-upload-answered", "Name", "Err")
	SlackUploadFailed   = Define1[string]("slack-upload-failed", "Name")
	SlackNoDM           = Define("slack-no-dm")
	SlackSentDM         = Define1[string]("slack-sent-dm", "Name")
)
