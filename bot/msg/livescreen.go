package msg

import (
	"time"

	"golang.org/x/text/language"
)

// The words of the live screen's page (bot/screen): what the page, each
// frame of its live part and its script show. The heatmap shares the
// chart's words (its column notes, head and tags); the statuses are the
// report's. See docs/ARCHITECTURE.md, "The live screen and the timeline".
var (
	// The page around the live part. PageTitle is the browser tab's.
	ScreenPageTitle = Define1[string]("screen-page-title", "Title")
	ScreenBrand     = Define("screen-brand")
	ScreenLive      = Define("screen-live")
	// The answers to a link that shows no poll, and when the screen
	// cannot be drawn (plain text, with a 503 the browser retries).
	ScreenDeniedTitle = Define("screen-denied-title")
	ScreenDenied      = Define("screen-denied")
	ScreenBusy        = Define("screen-busy")
	ScreenTooMany     = Define("screen-too-many")
	ScreenDrawFailed  = Define("screen-draw-failed")
	ScreenGone        = Define("screen-gone")
	ScreenGoneTitle   = Define1[string]("screen-gone-title", "Poll")

	// The poll's state: status, deadline (When a DateTime), ballots
	// (a BallotsFromGroups) and rules.
	ScreenStateLabel      = Define("screen-state-label")
	ScreenStatusOpen      = Define("screen-status-open")
	ScreenStatusClosed    = Define("screen-status-closed")
	ScreenStatusCancelled = Define("screen-status-cancelled")
	ScreenCloses          = Define1[Message]("screen-closes", "When")
	ScreenNoDeadline      = Define("screen-no-deadline")
	ScreenClosedAt        = Define1[Message]("screen-closed-at", "When")
	ScreenCancelled       = Define("screen-cancelled")
	ScreenStateLine       = Define2[Message, Message]("screen-state-line", "Ballots", "Rules")
	// ScreenRules: Threshold is a percentage, Groups a Groups.
	ScreenRules = Define3[int, string, Message]("screen-rules", "Quorum", "Threshold", "Groups")

	// Participation, a line per group.
	ScreenParticipation = Define("screen-participation")
	ScreenNeeds         = Define1[int]("screen-needs", "Count")
	ScreenNeedsMore     = Define1[int]("screen-needs-more", "Count")
	ScreenQuorumReached = Define("screen-quorum-reached")
	ScreenResultsHidden = Define("screen-results-hidden")

	// The heatmap and its table for screen readers. A cell says its
	// count (a support count) and percentage, then whether it is below
	// the threshold and whether its group is below quorum.
	ScreenResults      = Define("screen-results")
	ScreenInterim      = Define("screen-interim")
	ScreenHeadStatus   = Define("screen-head-status")
	ScreenScore        = Define1[string]("screen-score", "Score")
	ScreenCell         = Define2[Message, string]("screen-cell", "Supporters", "Percent")
	ScreenCellBelow    = Define1[string]("screen-cell-below", "Cell")
	ScreenCellUncount  = Define1[string]("screen-cell-not-counted", "Cell")
	ScreenTableCaption = Define("screen-table-caption")
	ScreenTableTheme   = Define("screen-table-theme")
	ScreenTableStatus  = Define("screen-table-status")
	ScreenTableScore   = Define("screen-table-score")
	ScreenTableGroup   = Define2[string, string]("screen-table-group", "Group", "Note")
	ScreenTableRank    = Define2[int, string]("screen-table-rank", "Rank", "Theme")
	ScreenTableGrounds = Define2[string, string]("screen-table-grounds", "Status", "Grounds")
	ScreenRank         = Define1[int]("screen-rank", "Rank")
	// The colour scale; Threshold a percentage.
	ScreenScaleTitle     = Define1[string]("screen-scale-title", "Threshold")
	ScreenScaleThreshold = Define1[string]("screen-scale-threshold", "Threshold")
	ScreenScaleNote      = Define("screen-scale-note")
	ScreenStatusesNote   = Define("screen-statuses-note")

	// The timeline. TimelineKey's Badges is where the statuses' badges
	// go (the page puts them there).
	ScreenTimeline      = Define("screen-timeline")
	ScreenTimelineUTC   = Define("screen-timeline-utc")
	ScreenTimelineKey   = Define1[string]("screen-timeline-key", "Badges")
	ScreenTimelineMarks = Define("screen-timeline-marks")

	// The script's words: templates it fills with {left}, {d}, {h},
	// {m}, {s} and {time} (a time of day, as the browser writes it in
	// the page's language). The script fills them every second, so they
	// have no plural forms: units are abbreviated, as Duration*'s are.
	ScreenClosesIn     = Define1[string]("screen-closes-in", "Left")
	ScreenLeftDays     = Define3[string, string, string]("screen-left-days", "Days", "Hours", "Minutes")
	ScreenLeftHours    = Define3[string, string, string]("screen-left-hours", "Hours", "Minutes", "Seconds")
	ScreenLeftMinutes  = Define2[string, string]("screen-left-minutes", "Minutes", "Seconds")
	ScreenDeadlineNow  = Define("screen-deadline-reached")
	ScreenUpdated      = Define1[string]("screen-updated", "Time")
	ScreenReconnecting = Define("screen-reconnecting")
	ScreenDisconnected = Define("screen-disconnected")
	ScreenCannotUpdate = Define("screen-cannot-update")
)

// Dates as the screen, the timeline and /poll screen's link show them,
// in UTC, the zone said by the message around them: "Mon 2 Jan 15:04",
// "Mon 2 Jan 2026 15:04", "2 Jan 15:04".
var (
	DateTimeBare  = Define4[Message, int, Message, string]("date-time-bare", "Weekday", "Day", "Month", "Time")
	DateTimeYear  = Define5[Message, int, Message, int, string]("date-time-year", "Weekday", "Day", "Month", "Year", "Time")
	DayMonthClock = Define3[int, Message, string]("day-month-clock", "Day", "Month", "Time")
)

// WhenUTC is t as DateTime words it: "Wed 25 Nov 10:00 UTC".
func WhenUTC(t time.Time) Message {
	t = t.UTC()
	return DateTime.With(Weekdays[t.Weekday()].With(), t.Day(), Months[t.Month()-1].With(), t.Format("15:04"))
}

// WhenBare is t, in UTC, without the zone: "Mon 2 Jan 15:04".
func WhenBare(t time.Time) Message {
	t = t.UTC()
	return DateTimeBare.With(Weekdays[t.Weekday()].With(), t.Day(), Months[t.Month()-1].With(), t.Format("15:04"))
}

// WhenYear is t, in UTC, with its year and without the zone: "Mon 2 Jan
// 2026 15:04".
func WhenYear(t time.Time) Message {
	t = t.UTC()
	return DateTimeYear.With(Weekdays[t.Weekday()].With(), t.Day(), Months[t.Month()-1].With(), t.Year(), t.Format("15:04"))
}

// DayClock is t's day and time of day, in UTC, written with layout (a
// time.Format layout of digits only, such as "15:04"): "2 Jan 15:04".
func DayClock(t time.Time, layout string) Message {
	t = t.UTC()
	return DayMonthClock.With(t.Day(), Months[t.Month()-1].With(), t.Format(layout))
}

// Dir is the direction of the printer's script: "rtl" for the languages
// written right to left, else "ltr", for a page's dir attribute.
func (p *Printer) Dir() string {
	base, _ := language.Make(p.lang).Base()
	switch base.String() {
	case "ar", "he", "fa", "ur":
		return "rtl"
	}
	return "ltr"
}
