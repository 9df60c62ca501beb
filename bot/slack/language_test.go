package slack_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/msgtest"
)

// slackWord matches what a Slack note shows that no language words: poll
// ids and file names, and the mrkdwn of the layout.
var slackWord = regexp.MustCompile(`^([A-Z0-9]{4}|[A-Z0-9]{4}-[a-z]+\.[a-z]+|mrkdwn|section|text|type|plain_text|context|elements)$`)

// TestAdapterSpeaksTheEnginesLanguage: the adapter lays out replies and
// words its own delivery notes (an upload that failed, a file sent by
// direct message) in the engine's language. With the pseudo printer,
// which brackets the catalog's text, no English is left outside the
// brackets.
func TestAdapterSpeaksTheEnginesLanguage(t *testing.T) {
	e := newEnvEngine(t, false, boltStore(t), bot.Config{Facilitators: []string{"slack:UFAC"}}, []bot.EngineOption{bot.WithPrinter(msg.Pseudo())})
	p := e.open(`open "T" "A" "B"`)
	e.fake.FailUploads("missing_scope")
	e.command("UFAC", "report "+p.ID)
	e.waitEphemeral("⟦The message is posted, but ⟧")
	e.fake.FailUploads("")
	e.command("UFAC", "export "+p.ID)
	e.waitEphemeral("⟦Sent ⟧")
	for _, s := range e.ephemerals() {
		text, _, _ := strings.Cut(s, " [") // the text, not the blocks
		if !strings.Contains(text, "⟦") {
			t.Errorf("nothing from the catalog in %q", text)
		}
		if left := msgtest.Leftovers(msgtest.Unwrapped(text), slackWord.MatchString); len(left) > 0 {
			t.Errorf("words outside the catalog %q in %q", left, text)
		}
	}
}
