package slack_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot"
)

// TestReminderInThread: a reminder is a chat.postMessage in the poll's
// channel with thread_ts the ts of the poll's message, as the real
// slack-go client sends it: posted by the scheduler through the adapter
// when due, and by /poll remind with a private confirmation. When Slack
// refuses the post, the scheduler's reminder is not recorded as posted
// (it comes again after its lease) and the facilitator is told why,
// with no confirmation.
func TestReminderInThread(t *testing.T) {
	for _, socket := range []bool{false, true} {
		name := "http"
		if socket {
			name = "socket"
		}
		t.Run(name, func(t *testing.T) {
			st := boltStore(t)
			e := newEnv(t, socket, st)
			ctx := context.Background()
			p := e.open(`open "Theme for 2027" "DNSSEC" "DNS abuse" --closes 2d --remind 24h,1h`)
			p, err := e.svc.Poll(ctx, tenant, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			pollTS := p.Messages[0].Message
			if pollTS == "" || e.fake.Calls("chat.postMessage")[0].Str("thread_ts") != "" {
				t.Fatalf("the poll message itself: ts %q, thread_ts %q", pollTS, e.fake.Calls("chat.postMessage")[0].Str("thread_ts"))
			}
			mustThreadPost := func(when string, n int) {
				t.Helper()
				waitFor(t, when, func() bool { return len(e.fake.Calls("chat.postMessage")) == n })
				c := e.fake.Calls("chat.postMessage")[n-1]
				if c.Str("channel") != "C1" || c.Str("thread_ts") != pollTS || c.Str("reply_broadcast") == "true" {
					t.Fatalf("%s: chat.postMessage channel %q thread_ts %q (poll ts %q)", when, c.Str("channel"), c.Str("thread_ts"), pollTS)
				}
				if !strings.Contains(c.Blocks(), "Reminder") || !strings.Contains(c.Str("text"), "Reminder") || !strings.Contains(c.Blocks(), "poll "+p.ID) {
					t.Fatalf("%s: text %q blocks %s", when, c.Str("text"), c.Blocks())
				}
			}

			// Due now: the store's schedule is moved into the past, as if
			// the day had gone by.
			if ok, err := st.SetReminders(ctx, tenant, p.ID, p.ClosesAt, []time.Time{time.Now().Add(-time.Second), p.ClosesAt.Add(-time.Hour)}); !ok || err != nil {
				t.Fatalf("SetReminders = %v, %v", ok, err)
			}
			sched := bot.NewScheduler(e.eng, e.a, time.Hour, bot.WithReminders(e.a))
			for range 3 {
				if _, err := sched.Tick(ctx); err != nil {
					t.Fatal(err)
				}
			}
			mustThreadPost("the scheduler's reminder", 2)

			e.command("UFAC", "remind "+p.ID)
			mustThreadPost("/poll remind", 3)
			e.waitEphemeral("Reminder posted under poll " + p.ID)

			e.fake.FailPosts("C1")
			if err := e.a.Remind(ctx, p, e.eng.Reminder(ctx, p)); err == nil || !strings.Contains(err.Error(), "not_in_channel") {
				t.Errorf("Remind when Slack refuses the post: %v", err)
			}
			e.command("UFAC", "remind "+p.ID)
			e.waitEphemeral("pollbot cannot post in this channel. Invite it first with /invite @pollbot")
			confirmations := 0
			for _, s := range e.ephemerals() {
				if strings.Contains(s, "Reminder posted") {
					confirmations++
				}
			}
			if confirmations != 1 {
				t.Errorf("%d confirmations after one reminder posted by hand and one refused", confirmations)
			}

			other := *p
			other.Tenant = "discord:1"
			if err := e.a.Remind(ctx, &other, e.eng.Reminder(ctx, p)); err == nil {
				t.Error("reminded a Discord poll through Slack")
			}
			if n := len(e.fake.Calls("chat.postMessage")); n != 3 {
				t.Errorf("%d posts in all, want 3", n)
			}
		})
	}
}
