package discord

import (
	"strings"
	"testing"
	"time"

	catalog "github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/msgtest"
)

// TestAdapterSpeaksTheEnginesLanguage: the adapter words what it sends in
// the engine's language, its own notes and the command it registers
// included. With the pseudo printer, which brackets the catalog's text,
// nothing English is left outside the brackets.
func TestAdapterSpeaksTheEnginesLanguage(t *testing.T) {
	c := &clock{t: time.Now().UTC()}
	h := newHarness(t, c, harnessOpts{http: true, store: boltStore(t, c), printer: catalog.Pseudo()})
	h.fake.mu.Lock()
	reg := h.fake.commands[0].Payload["commands"].([]map[string]any)[0]
	h.fake.mu.Unlock()
	var descriptions []string
	descriptions = append(descriptions, reg["description"].(string))
	for _, sub := range reg["options"].([]any) {
		sub := sub.(map[string]any)
		descriptions = append(descriptions, sub["description"].(string))
		opts, _ := sub["options"].([]any)
		for _, o := range opts {
			descriptions = append(descriptions, o.(map[string]any)["description"].(string))
		}
	}

	dm := h.command(bob, "list")
	delete(dm, "guild_id")
	dm["user"] = dm["member"].(map[string]any)["user"]
	delete(dm, "member")
	for name, text := range map[string]string{
		"descriptions":       strings.Join(descriptions, "\n"),
		"direct message":     h.interact(t, dm).content(),
		"a command's answer": h.interact(t, h.command(bob, "vote", str("poll", "ZZZZ"), str("themes", "1"))).content(),
	} {
		if !strings.Contains(text, "⟦") {
			t.Errorf("%s: nothing from the catalog in %q", name, text)
		}
		// Discord's escapes of Markdown are not words.
		if left := msgtest.Leftovers(msgtest.Unwrapped(strings.ReplaceAll(text, `\`, "")), func(w string) bool { return w == "ZZZZ" }); len(left) > 0 {
			t.Errorf("%s: words outside the catalog %q in\n%s", name, left, text)
		}
	}
}
