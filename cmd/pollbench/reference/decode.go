package reference

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// slackClick is what a vote needs of a Slack block_actions payload.
type slackClick struct {
	Team, User  string // ids: letters and digits
	ResponseURL string
	ActionID    string // the first action's; Slack sends one per click
}

// errMalformed is a request that is signed but is not what it claims.
var errMalformed = errors.New("malformed")

// decodeSlackClick reads the form field "payload" of a Slack interaction
// body and decodes from its JSON only the fields a vote needs. Anything
// but a block_actions payload with a team, a user, a response_url and at
// least one action is errMalformed.
func decodeSlackClick(body []byte) (slackClick, error) {
	raw, ok := formValue(body, "payload")
	if !ok {
		return slackClick{}, errMalformed
	}
	var v struct {
		Type string `json:"type"`
		Team struct {
			ID string `json:"id"`
		} `json:"team"`
		User struct {
			ID string `json:"id"`
		} `json:"user"`
		ResponseURL string `json:"response_url"`
		Actions     []struct {
			ActionID string `json:"action_id"`
		} `json:"actions"`
	}
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return slackClick{}, errMalformed
	}
	if v.Type != "block_actions" || !validID(v.Team.ID) || !validID(v.User.ID) || v.ResponseURL == "" || len(v.Actions) == 0 {
		return slackClick{}, errMalformed
	}
	return slackClick{Team: v.Team.ID, User: v.User.ID, ResponseURL: v.ResponseURL, ActionID: v.Actions[0].ActionID}, nil
}

// formValue returns the unescaped value of the first field key in a
// form-encoded body.
func formValue(body []byte, key string) (string, bool) {
	for len(body) > 0 {
		var field []byte
		field, body, _ = bytes.Cut(body, []byte{'&'})
		k, v, _ := bytes.Cut(field, []byte{'='})
		if string(k) != key {
			continue
		}
		s, err := url.QueryUnescape(string(v))
		return s, err == nil
	}
	return "", false
}

// discordInteraction is what a vote needs of a Discord interaction.
type discordInteraction struct {
	Type     int    // 1 PING, 3 MESSAGE_COMPONENT, others are not served
	App      string // application id: digits
	Token    string // the interaction token: letters, digits, '.', '-', '_'
	Guild    string // guild id (empty outside a guild)
	User     string // the member's user id (empty outside a guild)
	CustomID string // the component's custom id
}

// decodeDiscord decodes only the fields a vote needs from an interaction.
// A PING needs none; any other interaction must carry an application id
// and a token fit for a webhook URL, and a component click a guild member.
func decodeDiscord(body []byte) (discordInteraction, error) {
	var v struct {
		Type    int    `json:"type"`
		AppID   string `json:"application_id"`
		Token   string `json:"token"`
		GuildID string `json:"guild_id"`
		Member  *struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
		} `json:"member"`
		Data struct {
			CustomID string `json:"custom_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return discordInteraction{}, errMalformed
	}
	in := discordInteraction{Type: v.Type, App: v.AppID, Token: v.Token, Guild: v.GuildID, CustomID: v.Data.CustomID}
	if v.Member != nil {
		in.User = v.Member.User.ID
	}
	if in.Type == 1 {
		return in, nil
	}
	if !snowflake(in.App) || !validToken(in.Token) {
		return discordInteraction{}, errMalformed
	}
	if in.Type == 3 && (!validID(in.Guild) || !validID(in.User)) {
		return discordInteraction{}, errMalformed
	}
	return in, nil
}

func snowflake(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validToken keeps an interaction token to characters that need no
// escaping in a URL path, so it cannot lead a follow-up elsewhere.
func validToken(s string) bool {
	if len(s) == 0 || len(s) > 500 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// parseVoteAction splits pollbot's vote control id "pollbot:vote:<poll>:<n>"
// (n from 1) into the poll id and the 0-based theme.
func parseVoteAction(id string) (poll string, theme int, ok bool) {
	rest, ok := strings.CutPrefix(id, "pollbot:vote:")
	if !ok {
		return "", 0, false
	}
	poll, num, ok := strings.Cut(rest, ":")
	if !ok || !validID(poll) || len(num) == 0 || len(num) > 2 || num[0] == '0' || !snowflake(num) {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 || n > MaxThemes {
		return "", 0, false
	}
	return poll, n - 1, true
}
