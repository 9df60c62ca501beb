package bot

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pollbot/pollbot/polls"
)

// ActionKind says what a clicked control does.
type ActionKind string

const (
	ActVote  ActionKind = "vote"  // toggle a theme (approval) or choose it (single)
	ActRank  ActionKind = "rank"  // open the ranking form of a ranked poll
	ActGroup ActionKind = "group" // pick a stakeholder group
)

// Action is a decoded control id. Ids are short ("pollbot:vote:K7QX:3") so
// they fit Slack's action_id and Discord's 100-character custom_id.
type Action struct {
	Kind  ActionKind
	Poll  string
	Theme int // 0-based
	Group polls.Group
}

const actionPrefix = "pollbot:"

// VoteAction is the id of the vote control for a theme (0-based).
func VoteAction(poll string, theme int) string {
	return fmt.Sprintf("%svote:%s:%d", actionPrefix, poll, theme+1)
}

// RankAction is the id of a ranked poll's "rank the themes" control.
func RankAction(poll string) string { return actionPrefix + "rank:" + poll }

// GroupAction is the id of a group picker option.
func GroupAction(g polls.Group) string { return actionPrefix + "group:" + string(g) }

// ErrBadAction is returned for control ids pollbot did not make.
var ErrBadAction = fmt.Errorf("unknown control")

// ParseAction decodes a control id.
func ParseAction(id string) (Action, error) {
	rest, ok := strings.CutPrefix(id, actionPrefix)
	if !ok || len(id) > 100 {
		return Action{}, fmt.Errorf("%w %q", ErrBadAction, Clip(id, 40))
	}
	parts := strings.Split(rest, ":")
	switch {
	case parts[0] == string(ActVote) && len(parts) == 3:
		n, err := strconv.Atoi(parts[2])
		if err != nil || n < 1 || n > polls.MaxThemes || parts[1] == "" {
			break
		}
		return Action{Kind: ActVote, Poll: parts[1], Theme: n - 1}, nil
	case parts[0] == string(ActRank) && len(parts) == 2 && parts[1] != "":
		return Action{Kind: ActRank, Poll: parts[1]}, nil
	case parts[0] == string(ActGroup) && len(parts) == 2 && parts[1] != "":
		return Action{Kind: ActGroup, Group: polls.Group(parts[1])}, nil
	}
	return Action{}, fmt.Errorf("%w %q", ErrBadAction, Clip(id, 40))
}

// Clip shortens s to at most n runes, marking the cut with an ellipsis.
// It reads no further than the cut, so clipping a huge string costs
// nothing. The adapters use it to fit platform limits.
func Clip(s string, n int) string {
	count, cut := 0, 0
	for i := range s {
		if count == n-1 {
			cut = i
		}
		if count == n {
			return s[:cut] + "…"
		}
		count++
	}
	return s
}
