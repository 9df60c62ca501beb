package discord

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/polls"
)

// TestRemindersReplyToThePoll: a reminder is a message in the poll's
// channel with a message_reference to the poll's message (Discord's
// reply), as the real discordgo client sends it, mentioning no one:
// posted once by the scheduler through the adapter when due, and by
// /poll remind, whose interaction is answered with a private
// confirmation. When Discord refuses the post, the scheduler's reminder
// comes again once its lease has run out, and /poll remind answers with
// why, not with a confirmation.
func TestRemindersReplyToThePoll(t *testing.T) {
	for _, mode := range []struct {
		name string
		http bool
	}{{"gateway", false}, {"http", true}} {
		t.Run(mode.name, func(t *testing.T) {
			c := &clock{t: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
			h := newHarness(t, c, harnessOpts{store: boltStore(t, c), guildID: testGuild, http: mode.http})
			ctx := context.Background()
			id, msgID := openPoll(t, h, str("title", "Theme for 2027"), str("themes", "DNSSEC; DNS abuse"), str("closes", "2d"), str("remind", "24h, 1h"))
			// The poll's message is recorded after the answer (in HTTP
			// mode, once its follow-up says its id): a reminder can only
			// reply to a message the store knows.
			waitFor(t, "the poll's message recorded", func() bool {
				p, err := h.engine.Poll(ctx, polls.Key{Tenant: Platform + ":" + testGuild, ID: id})
				return err == nil && len(p.Messages) > 0
			})
			before := len(h.fake.createdMessages())
			mustReply := func(when string, n int) {
				t.Helper()
				created := h.fake.createdMessages()
				if len(created) != before+n {
					t.Fatalf("%s: %d messages posted, want %d", when, len(created)-before, n)
				}
				m := created[len(created)-1]
				if m.Path != "/api/v10/channels/"+testChannel+"/messages" {
					t.Fatalf("%s: posted to %s", when, m.Path)
				}
				want := map[string]any{"message_id": msgID, "channel_id": testChannel, "guild_id": testGuild, "fail_if_not_exists": false}
				if got, _ := m.Payload["message_reference"].(map[string]any); !reflect.DeepEqual(got, want) {
					t.Fatalf("%s: message_reference %v, want %v", when, got, want)
				}
				if am, _ := m.Payload["allowed_mentions"].(map[string]any); am == nil || len(am["parse"].([]any)) != 0 {
					t.Fatalf("%s: allowed_mentions %v", when, m.Payload["allowed_mentions"])
				}
				mustContain(t, when, m.str("content"), "⏰ Reminder", "(poll "+id+")", "No ballots yet.")
			}

			sched := bot.NewScheduler(h.engine, h.adapter, time.Hour, bot.WithReminders(h.adapter))
			tick := func() {
				t.Helper()
				for range 2 {
					if _, err := sched.Tick(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			tick()
			c.Add(24 * time.Hour)
			tick()
			mustReply("the 24h reminder", 1)
			mustContain(t, "the 24h reminder", h.fake.createdMessages()[before].str("content"), "(in 1d)")

			r := h.interact(t, h.command(alice, "remind", str("poll", id)))
			if r.Type != 4 || r.flags() != 64 || r.content() != "Reminder posted under poll "+id+"." {
				t.Fatalf("/poll remind: type %d flags %d %q", r.Type, r.flags(), r.content())
			}
			mustReply("/poll remind", 2)

			h.fake.mu.Lock()
			h.fake.forbidPost = true
			h.fake.mu.Unlock()
			r = h.interact(t, h.command(alice, "remind", str("poll", id)))
			if r.Type != 4 || r.flags() != 64 || !strings.Contains(r.content(), "could not post under the poll's message") {
				t.Fatalf("/poll remind, refused: type %d flags %d %q", r.Type, r.flags(), r.content())
			}
			c.Add(23 * time.Hour)
			tick()
			h.fake.mu.Lock()
			h.fake.forbidPost = false
			h.fake.mu.Unlock()
			tick()
			if n := len(h.fake.createdMessages()) - before; n != 2 {
				t.Fatalf("the refused reminder was posted again before its lease ran out: %d messages", n)
			}
			c.Add(polls.DefaultAnnounceLease) // reminders share the announcements' lease
			tick()
			mustReply("the 1h reminder, after its lease", 3)
			mustContain(t, "the 1h reminder", h.fake.createdMessages()[before+2].str("content"), "(in 59m)")
		})
	}
}
