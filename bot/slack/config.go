package slack

import (
	"fmt"
	"strings"
)

// Config is what the adapter needs from the environment.
type Config struct {
	BotToken      string // xoxb-…: every Web API call
	AppToken      string // xapp-…: Socket Mode
	SigningSecret string // HTTP mode: verifies every request
	APIURL        string // Web API base URL; empty: https://slack.com/api/
}

// ConfigFromEnv reads SLACK_BOT_TOKEN, SLACK_APP_TOKEN,
// SLACK_SIGNING_SECRET and SLACK_API_URL. The adapter is enabled when the
// bot token is set; it then needs an app token (Socket Mode), a signing
// secret (HTTP mode), or both. The error names the variable to fix, in one
// line, because it ends up in front of an operator at start-up.
func ConfigFromEnv(getenv func(string) string) (cfg Config, enabled bool, err error) {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	cfg = Config{
		BotToken:      get("SLACK_BOT_TOKEN"),
		AppToken:      get("SLACK_APP_TOKEN"),
		SigningSecret: get("SLACK_SIGNING_SECRET"),
		APIURL:        get("SLACK_API_URL"),
	}
	if cfg.BotToken == "" {
		if cfg.AppToken != "" || cfg.SigningSecret != "" {
			return cfg, false, fmt.Errorf("SLACK_BOT_TOKEN is not set, but SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is: the Slack adapter needs the bot token (xoxb-…)")
		}
		return cfg, false, nil
	}
	switch {
	case !strings.HasPrefix(cfg.BotToken, "xoxb-"):
		return cfg, true, fmt.Errorf("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
	case cfg.AppToken != "" && !strings.HasPrefix(cfg.AppToken, "xapp-"):
		return cfg, true, fmt.Errorf("SLACK_APP_TOKEN must be an app-level token starting with xapp- (with the connections:write scope)")
	case cfg.AppToken == "" && cfg.SigningSecret == "":
		return cfg, true, fmt.Errorf("SLACK_BOT_TOKEN is set but neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is")
	}
	if cfg.APIURL != "" {
		if !strings.HasPrefix(cfg.APIURL, "http://") && !strings.HasPrefix(cfg.APIURL, "https://") {
			return cfg, true, fmt.Errorf("SLACK_API_URL must be an http(s) URL, not %q", cfg.APIURL)
		}
		if !strings.HasSuffix(cfg.APIURL, "/") {
			// slack-go appends method names directly to the base URL.
			cfg.APIURL += "/"
		}
	}
	return cfg, true, nil
}
