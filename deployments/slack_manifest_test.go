package deployments

import (
	"slices"
	"testing"
)

// slackManifest is the part of a Slack app manifest pollbot depends on.
type slackManifest struct {
	Features struct {
		AppHome struct {
			MessagesTab         *bool `yaml:"messages_tab_enabled"`
			MessagesTabReadOnly *bool `yaml:"messages_tab_read_only_enabled"`
		} `yaml:"app_home"`
		SlashCommands []struct {
			Command      string `yaml:"command"`
			URL          string `yaml:"url"`
			ShouldEscape bool   `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuth struct {
		Scopes struct {
			Bot []string `yaml:"bot"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Interactivity struct {
			Enabled    bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		SocketMode bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

// TestDeploySlackManifest: the app the manifest creates can do what pollbot
// does: the /poll command (escaped mentions, for assign), interactivity,
// the scopes of every Web API method the adapter calls, and the App Home
// messages tab, where the direct messages that carry exports appear and
// where facilitators can type /poll.
func TestDeploySlackManifest(t *testing.T) {
	docs := yamlDocs[slackManifest](t, "slack/manifest.yaml")
	if len(docs) != 1 {
		t.Fatalf("slack/manifest.yaml: %d documents", len(docs))
	}
	m := docs[0]
	if tab := m.Features.AppHome.MessagesTab; tab == nil || !*tab {
		t.Error("features.app_home.messages_tab_enabled must be true: exports are sent by direct message")
	}
	if ro := m.Features.AppHome.MessagesTabReadOnly; ro == nil || *ro {
		t.Error("features.app_home.messages_tab_read_only_enabled must be false: facilitators type /poll in the direct message")
	}
	if len(m.Features.SlashCommands) != 1 || m.Features.SlashCommands[0].Command != "/poll" ||
		!m.Features.SlashCommands[0].ShouldEscape || m.Features.SlashCommands[0].URL != "https://pollbot.example.org/slack/commands" {
		t.Errorf("slash commands: %+v", m.Features.SlashCommands)
	}
	if !m.Settings.Interactivity.Enabled || m.Settings.Interactivity.RequestURL != "https://pollbot.example.org/slack/interactions" {
		t.Errorf("interactivity: %+v", m.Settings.Interactivity)
	}
	if !m.Settings.SocketMode {
		t.Error("the manifest's app should start in Socket Mode, as the README's first path does")
	}
	for _, scope := range []string{
		"commands",          // /poll
		"chat:write",        // chat.postMessage, chat.update, chat.postEphemeral
		"chat:write.public", // post in public channels pollbot has not joined
		"files:write",       // files.getUploadURLExternal, files.completeUploadExternal
		"im:write",          // conversations.open for exports
		"usergroups:read",   // usergroups.list for role mappings
	} {
		if !slices.Contains(m.OAuth.Scopes.Bot, scope) {
			t.Errorf("bot scope %s is missing", scope)
		}
	}
}
