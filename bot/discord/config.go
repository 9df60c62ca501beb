package discord

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Config is how the adapter reaches Discord. The environment variables
// are documented in README.md, "Run it in Discord".
type Config struct {
	BotToken  string // DISCORD_BOT_TOKEN
	AppID     string // DISCORD_APP_ID
	PublicKey string // DISCORD_PUBLIC_KEY: set selects HTTP interactions mode
	GuildID   string // DISCORD_GUILD_ID: register commands on one guild only
	APIURL    string // DISCORD_API_URL: REST base, default https://discord.com/api/v10/
}

// HTTPMode reports whether interactions arrive over HTTP (a public key is
// configured) rather than over the gateway.
func (c Config) HTTPMode() bool { return c.PublicKey != "" }

// ConfigFromEnv reads the adapter's configuration. The adapter is enabled
// when DISCORD_BOT_TOKEN is set; err names the first missing or malformed
// variable, in one line.
func ConfigFromEnv(getenv func(string) string) (cfg Config, enabled bool, err error) {
	cfg = Config{
		BotToken:  strings.TrimSpace(getenv("DISCORD_BOT_TOKEN")),
		AppID:     strings.TrimSpace(getenv("DISCORD_APP_ID")),
		PublicKey: strings.TrimSpace(getenv("DISCORD_PUBLIC_KEY")),
		GuildID:   strings.TrimSpace(getenv("DISCORD_GUILD_ID")),
		APIURL:    strings.TrimSpace(getenv("DISCORD_API_URL")),
	}
	if cfg.BotToken == "" {
		if cfg.AppID != "" || cfg.PublicKey != "" {
			return cfg, false, errors.New("DISCORD_BOT_TOKEN is not set, but other DISCORD_ variables are: the adapter needs the bot token in both modes")
		}
		return cfg, false, nil
	}
	return cfg, true, cfg.validate()
}

func (c Config) validate() error {
	if c.BotToken == "" {
		return errors.New("DISCORD_BOT_TOKEN is not set")
	}
	if c.AppID == "" {
		return errors.New("DISCORD_APP_ID is not set: it is the application id from the Discord developer portal")
	}
	if !isSnowflake(c.AppID) {
		return fmt.Errorf("DISCORD_APP_ID %q is not a Discord id (digits only)", c.AppID)
	}
	if c.GuildID != "" && !isSnowflake(c.GuildID) {
		return fmt.Errorf("DISCORD_GUILD_ID %q is not a Discord id (digits only)", c.GuildID)
	}
	if c.PublicKey != "" {
		if _, err := publicKey(c.PublicKey); err != nil {
			return err
		}
	}
	if c.APIURL != "" {
		u, err := url.Parse(c.APIURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("DISCORD_API_URL %q is not an http(s) URL", c.APIURL)
		}
	}
	return nil
}

func publicKey(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, errors.New("DISCORD_PUBLIC_KEY is not 64 hex characters (the application's public key from the developer portal)")
	}
	return b, nil
}

func isSnowflake(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
