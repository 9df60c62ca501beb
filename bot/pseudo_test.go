package bot

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/internal/link"
	"github.com/pollbot/pollbot/internal/msgtest"
	"github.com/pollbot/pollbot/polls"
	boltstore "github.com/pollbot/pollbot/storage/bolt"
)

// TestUserTextMarksAgree: msgtest removes user text by the marks UserText
// puts around it.
func TestUserTextMarksAgree(t *testing.T) {
	if got := UserText("x"); got != msgtest.UserOpen+"x"+msgtest.UserClose {
		t.Errorf("UserText(%q) = %q: msgtest's marks are not UserText's", "x", got)
	}
}

// machineWord matches what a reply may show that no language words: the
// live screen's links, poll ids, file names, MIME types, RFC 3339 times
// and code points.
var machineWord = regexp.MustCompile(`^(https://pollbot\.example\.org/screen/\S+|[A-Z0-9]{4}|[A-Z0-9]{4}-[a-z]+\.[a-z]+|[a-z]+/[a-z]+|\d{4}-\d\d-\d\dT[\d:]+Z|[0-9A-F]{4})$`)

// TestNoEnglishOutsideTheCatalog renders replies, views, errors and an
// exported report the engine builds with the pseudo printer (msg.Pseudo),
// which brackets every text the catalog wrote, and checks that once the
// brackets and the text people wrote (UserText) are removed, no word
// remains but ids and the like: the sentences come from the catalog, not
// from Go. It reaches what the shell sessions do not (every domain
// error, the engine's own errors); bot/shell's
// TestSessionsSayNothingOutsideTheCatalog checks whole sessions, from the
// engine to the terminal.
func TestNoEnglishOutsideTheCatalog(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "pollbot.db"), boltstore.WithClock(func() time.Time { return now }))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := Config{Facilitators: []string{"shell:fac"}}
	svc := polls.NewService(st, polls.WithClock(func() time.Time { return now }),
		polls.WithGroups(cfg.GroupList()), polls.WithPseudonymKey([]byte("a pseudo test pseudonym key")))
	e := New(svc, cfg, WithPrinter(msg.Pseudo()), WithChart(func(w io.Writer, _ *polls.Report, _ *polls.Groups) error {
		_, err := w.Write([]byte("png"))
		return err
	}))
	req := func(user string) Request {
		return Request{Platform: "shell", Tenant: "local", User: user, Channel: "c1"}
	}
	fac := req("fac")
	run := func(user, line string) Response { return e.HandleText(ctx, req(user), line) }
	open := func(line string) *polls.Poll {
		t.Helper()
		r := run("fac", line)
		if r.Opened == nil {
			t.Fatalf("%s: %+v", line, r.Replies)
		}
		return r.Opened
	}
	view := func(p *polls.Poll) Reply {
		t.Helper()
		v, err := e.PollView(ctx, p.Key())
		if err != nil {
			t.Fatal(err)
		}
		return Reply{Poll: v}
	}

	groups := []string{"government", "civil-society", "private-sector", "academia"}
	for i, g := range groups {
		run("u"+string(rune('1'+i)), "group "+g)
		run("v"+string(rune('1'+i)), "group "+g)
	}
	approval := open(`open "Theme for 2027" "DNSSEC" "DNS abuse" "IPv6" --closes 48h --max-choices 2 --min-groups 2`)
	ranked := open(`open "Ranked" "A" "B" "C" --kind ranked --quorum 1`)
	hidden := open(`open "Hidden" "Yes" "No" --kind single --anonymous --hide-results`)
	noDeadline := open(`open "Someday" "One" "Two"`)

	type check struct {
		name  string
		reply Reply
		allow []string // words of command syntax the case shows
	}
	var checks []check
	add := func(name string, rs []Reply, allow ...string) {
		t.Helper()
		if len(rs) == 0 {
			t.Fatalf("%s: no reply", name)
		}
		for _, r := range rs {
			checks = append(checks, check{name, r, allow})
		}
	}
	add("open poll", []Reply{view(approval), view(ranked), view(hidden), view(noDeadline)})
	for i, u := range []string{"u1", "u2", "u3", "u4", "v1", "v2", "v3", "v4"} {
		add("vote", run(u, "vote "+approval.ID+" "+[]string{"1 2", "1", "2 3", "1 3"}[i%4]).Replies)
		add("ranking", run(u, "vote "+ranked.ID+" "+[]string{"1 2 3", "2 1", "3 1 2", "1 3"}[i%4]).Replies)
		add("vote", run(u, "vote "+hidden.ID+" "+[]string{"1", "2"}[i%2]).Replies)
	}
	add("vote again", run("u1", "vote "+approval.ID+" 2").Replies)
	ids := []string{"government", "civil-society", "private-sector", "technical-community", "academia", "intergovernmental"}
	add("held vote", run("nogroup", "vote "+approval.ID+" 1").Replies, ids...)
	add("withdraw held vote", run("nogroup", "unvote "+approval.ID).Replies)
	add("unvote", run("u4", "unvote "+approval.ID).Replies)
	add("unvote without ballot", run("u4", "unvote "+approval.ID).Replies)
	add("rank click", e.Act(ctx, req("u1"), Action{Kind: ActRank, Poll: ranked.ID}).Replies)
	add("unknown control", e.Act(ctx, req("u1"), Action{Kind: "bogus"}).Replies)
	add("open poll with votes", []Reply{view(approval), view(ranked), view(hidden)})
	add("interim report", run("u1", "report "+approval.ID).Replies)
	add("timeline", run("u1", "timeline "+approval.ID).Replies)
	add("hidden timeline, privately", run("fac", "timeline "+hidden.ID).Replies)
	add("screen without a public URL", run("fac", "screen "+approval.ID).Replies)
	signer, err := link.NewSigner([]byte("a pseudo test link key of 32 bytes or more"))
	if err != nil {
		t.Fatal(err)
	}
	e.links = &link.Maker{Base: "https://pollbot.example.org", Signer: signer, Now: func() time.Time { return now }}
	add("screen link", run("fac", "screen "+approval.ID).Replies)
	add("screen link without a deadline", run("fac", "screen "+noDeadline.ID).Replies)
	e.links = nil
	add("hidden report", run("u1", "report "+hidden.ID).Replies)
	add("hidden report, privately", run("fac", "report "+hidden.ID).Replies)
	add("export", run("fac", "export "+ranked.ID+" md").Replies)
	add("list", run("u1", "list").Replies)
	add("list of a status", run("u1", "list cancelled").Replies)
	add("list past its end", run("u1", "list all --page 3").Replies, "list", "all")
	add("list everywhere", run("u1", "list --all").Replies, "list")
	add("theme typed", run("u1", "vote "+approval.ID+" Nothing").Replies, "poll", "vote", "ID", "THEME")
	add("unknown poll", run("u1", "vote ZZZZ 1").Replies)

	run("fac", "close "+approval.ID)
	run("fac", "close "+ranked.ID)
	run("fac", "cancel "+noDeadline.ID)
	add("closed poll", []Reply{view(approval), view(ranked), view(noDeadline)})
	add("report", run("u1", "report "+approval.ID).Replies)
	add("timeline after close", run("u1", "timeline "+approval.ID).Replies)
	add("ranked report", run("u1", "report "+ranked.ID).Replies)
	add("export after close", run("fac", "export "+approval.ID+" md").Replies)
	add("closed poll error", run("u1", "vote "+approval.ID+" 1").Replies)
	add("extend a closed poll", run("fac", "extend "+approval.ID+" 1h").Replies)
	add("announcement", e.ClosedAnnouncement(ctx, ranked).Replies)
	now = now.Add(72 * time.Hour)
	add("list of every poll", run("u1", "list all").Replies)

	// Every domain error, with parameters of every type, and the
	// engine's own.
	params := polls.Params{
		"Poll": "K7QX", "Number": 3, "Max": 25, "Given": 30, "Min": 2, "Runes": 300, "First": 1, "Second": 2, "Days": 366,
		"Typed": polls.Typed{Text: "what was typed", Cut: true}, "Label": polls.Label("A label"),
		"Kind": polls.Ranked, "Status": polls.StatusClosed, "Group": polls.Group("academia"),
		"Groups": []polls.Group{"government", "academia"}, "Kinds": polls.Kinds(), "Rune": rune(7),
		"Deadline": now, "Threshold": 1.5,
	}
	for _, c := range domainCodes(t) {
		add("domain error "+string(c), e.fail(fac, "test", &polls.Error{Kind: polls.ErrInvalidOption, Code: c, Params: params}).Replies,
			"government", "academia", "approval", "single", "ranked")
	}
	add("internal error", e.fail(fac, "test", errors.New("the store's own words")).Replies)
	add("timeout", e.fail(fac, "test", context.DeadlineExceeded).Replies)
	add("no ballot", e.fail(fac, "test", polls.ErrNoBallot).Replies)
	add("export format", e.fail(fac, "test", &wordedError{m: msg.ErrExportFormat.With(e.p.OrListStrings([]string{"csv", "json"}), UserText("xml")), usage: Usage("export")}).Replies, "csv", "json", "csv|wide|json|md|png")
	add("held vote error", []Reply{{Text: e.errText(errors.New("the store's own words"))}})

	// The labels people wrote are shown escaped, not marked, in the
	// Markdown report: its words are allowed there.
	people := map[string]bool{}
	for _, p := range []*polls.Poll{approval, ranked, hidden, noDeadline} {
		for _, w := range strings.Fields(p.Title) {
			people[w] = true
		}
		for _, th := range p.Themes {
			for _, w := range strings.Fields(th.Label) {
				people[w] = true
			}
		}
	}
	for _, g := range e.groups.All() {
		for _, w := range strings.Fields(g.Label) {
			people[w] = true
		}
	}
	for _, c := range checks {
		out := renderText(e.p, c.reply)
		if !strings.Contains(out, "⟦") {
			t.Errorf("%s: nothing from the catalog in %q", c.name, out)
		}
		leftovers := msgtest.Leftovers(msgtest.Unwrapped(out), func(w string) bool {
			return machineWord.MatchString(w) || slices.Contains(c.allow, w) || (hasMarkdown(c.reply) && people[w])
		})
		if len(leftovers) > 0 {
			t.Errorf("%s: words outside the catalog %q in\n%s", c.name, leftovers, out)
		}
	}
	// The check finds English that is not the catalog's, even inside a
	// message's parameters.
	out := renderText(e.p, Reply{Text: e.p.Sprint(msg.ReplyUsage.With(msg.Unworded.With("/poll open TITLE")))})
	if got := msgtest.Leftovers(msgtest.Unwrapped(out), nil); !slices.Equal(got, []string{"poll", "open", "TITLE"}) {
		t.Errorf("leftovers of a usage line = %q", got)
	}
}

func hasMarkdown(r Reply) bool {
	for _, f := range r.Files {
		if f.MIME == "text/markdown" {
			return true
		}
	}
	return false
}
