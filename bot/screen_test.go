package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

func engineWith(t *testing.T, opts ...bot.EngineOption) *bot.Engine {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := bot.Config{Facilitators: []string{"slack:UFAC"}}
	return bot.New(polls.NewService(st, polls.WithGroups(cfg.GroupList())), cfg, opts...)
}

// TestScreenCommand: the creator of a poll and facilitators get, privately,
// a link to its live screen that the deployment's key verifies; anyone
// else is refused; without a public URL and key the command says what to
// set.
func TestScreenCommand(t *testing.T) {
	signer, err := link.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	e := engineWith(t, bot.WithScreenLinks(&link.Maker{Base: "https://pollbot.example.org", Signer: signer}))
	ctx := context.Background()
	creator := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U1", Channel: "C1"}
	r := e.Handle(ctx, creator, bot.Open{Title: "Theme for 2027", Themes: []string{"A", "B"}, Opts: bot.OpenOptions{HideResults: true}})
	if r.Err != nil {
		t.Fatal(text(r))
	}
	id := r.Opened.ID
	for _, who := range []bot.Request{creator, {Platform: "slack", Tenant: "slack:T1", User: "UFAC", Channel: "C1"}} {
		r := e.HandleText(ctx, who, "screen "+id)
		if r.Err != nil || len(r.Replies) != 1 || r.Replies[0].Visibility != bot.Ephemeral {
			t.Fatalf("%s: %v %s", who.User, r.Err, text(r))
		}
		got := text(r)
		i := strings.Index(got, "https://pollbot.example.org/screen/")
		if i < 0 || !strings.Contains(got, "hides its results: the screen shows participation") {
			t.Fatalf("%s: %s", who.User, got)
		}
		tok := strings.Fields(got[i+len("https://pollbot.example.org/screen/"):])[0]
		c, err := signer.Verify(tok)
		if err != nil || c.Key != (polls.Key{Tenant: "slack:T1", ID: id}) || c.AfterClose != link.DefaultTTL {
			t.Errorf("%s: link claims %+v, %v", who.User, c, err)
		}
	}
	other := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U2", Channel: "C1"}
	if r := e.HandleText(ctx, other, "screen "+id); !errors.Is(r.Err, bot.ErrForbidden) || strings.Contains(text(r), "https://") {
		t.Errorf("a participant asked for the screen: %v %s", r.Err, text(r))
	}
	unset := engineWith(t)
	r = unset.Handle(ctx, creator, bot.Open{Title: "T", Themes: []string{"A"}})
	if r := unset.HandleText(ctx, creator, "screen "+r.Opened.ID); !strings.Contains(text(r), "POLLBOT_PUBLIC_URL") || !strings.Contains(text(r), "POLLBOT_LINK_KEY") {
		t.Errorf("without a public URL: %s", text(r))
	}
}

// TestTimelineCommand: the timeline answers with each theme's statuses and
// the chart; while a poll hides its results only its managers see it,
// privately.
func TestTimelineCommand(t *testing.T) {
	e := engineWith(t)
	ctx := context.Background()
	fac := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "U1", Channel: "C1"}
	r := e.Handle(ctx, fac, bot.Open{Title: "Theme for 2027", Themes: []string{"Collaboration", "Privacy"}, Opts: bot.OpenOptions{HideResults: true}})
	id := r.Opened.ID
	for i, g := range []string{"government", "government", "government", "civil-society", "civil-society", "civil-society"} {
		who := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "V" + string(rune('a'+i)), Channel: "C1"}
		e.Handle(ctx, who, bot.Group{Group: g})
		if r := e.Handle(ctx, who, bot.Vote{Poll: id, Themes: []string{"1"}}); r.Err != nil {
			t.Fatal(text(r))
		}
	}
	participant := bot.Request{Platform: "slack", Tenant: "slack:T1", User: "Va", Channel: "C1"}
	if r := e.HandleText(ctx, participant, "timeline "+id); !errors.Is(r.Err, bot.ErrForbidden) {
		t.Errorf("a participant saw a hidden poll's timeline: %s", text(r))
	}
	r = e.HandleText(ctx, fac, "timeline "+id)
	if r.Err != nil || r.Replies[0].Visibility != bot.Ephemeral || !strings.Contains(text(r), "only you see this") {
		t.Fatalf("the creator's timeline of a hidden poll: %v %s", r.Err, text(r))
	}
	e.Handle(ctx, fac, bot.Close{Poll: id})
	r = e.HandleText(ctx, participant, "timeline "+id)
	if r.Err != nil || r.Replies[0].Visibility != bot.Public {
		t.Fatalf("timeline of a closed poll: %v %s", r.Err, text(r))
	}
	got := text(r)
	for _, want := range []string{"Timeline of poll " + id + ", Theme for 2027:", "1. Collaboration: insufficient ", ", emerging ", "2. Privacy: insufficient ", "Closed "} {
		if !strings.Contains(got, want) {
			t.Errorf("timeline lacks %q:\n%s", want, got)
		}
	}
	if f := r.Replies[0].Files; len(f) != 1 || f[0].MIME != "image/png" || len(f[0].Data) < 1000 {
		t.Errorf("no timeline chart: %+v", f)
	}
	if !bot.IsSlow(bot.Timeline{Poll: id}) {
		t.Error("timeline is answered before the acknowledgement; its chart takes time")
	}
}
