package shell_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/pollbot/pollbot/bot"
	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/bot/report"
	"github.com/pollbot/pollbot/bot/shell"
	"github.com/pollbot/pollbot/internal/msgtest"
	"github.com/pollbot/pollbot/polls"
)

// TestSessionsSayNothingOutsideTheCatalog replays every golden session
// with the engine and the shell speaking msg.Pseudo(), which brackets
// every text the catalog wrote, and the marks of user text kept: once the
// brackets, people's text (titles, labels, names, and everything typed,
// which the shell echoes) and the CSV files shown (a data contract, whose
// field names are not translated) are taken out, no word may be left but
// ids, file names, durations and the command grammar's own words
// (subcommands, flags, kinds, formats, group ids). A sentence written in
// Go, anywhere between the engine and the terminal, is left over.
func TestSessionsSayNothingOutsideTheCatalog(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no sessions in testdata: %v", err)
	}
	grammar := grammarWords()
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".txt")
		t.Run(name, func(t *testing.T) {
			transcript := replay(t, in, []bot.EngineOption{bot.WithPrinter(msg.Pseudo())}, []shell.Option{shell.KeepMarks(true)})
			if !strings.Contains(transcript, "⟦") {
				t.Fatalf("nothing from the catalog in the transcript:\n%s", transcript)
			}
			if left := outsideTheCatalog(transcript, grammar); len(left) > 0 {
				seen := map[string]bool{}
				left = slices.DeleteFunc(left, func(w string) bool { defer func() { seen[w] = true }(); return seen[w] })
				t.Errorf("words outside the catalog %q; the transcript, brackets and people's text removed:\n%s",
					left, msgtest.Unwrapped(withoutData(transcript)))
			}
		})
	}
}

// TestTheCheckFindsGoSentences: the check above finds a sentence the
// catalog did not write, wherever it is.
func TestTheCheckFindsGoSentences(t *testing.T) {
	grammar := grammarWords()
	for _, tt := range []struct {
		transcript string
		want       []string
	}{
		{"⟦pollbot (only you): ⟧⟦Your ballot in poll ⟧K7QX⟦.⟧\n", nil},
		{"⟦pollbot (only you): ⟧Your ballot is counted for K7QX.\n", []string{"Your", "ballot", "is", "counted", "for"}},
		{"⟦pollbot:\n⟧\uE000you\uE001> Poll K7QX ⟦is open⟧ now\n", []string{"Poll", "now"}},
		{"⟦Usage: ⟧⟦/poll ⟧⟦vote ID THEME...⟧ [--kind approval|single|ranked] ⟦Saved ⟧pollbot-files/K7QX-tally.csv 24h\n", nil},
		{"⟦--- ⟧K7QX-tally.csv⟦ ---⟧\ntheme,group,supporters\n⟦--- end of ⟧K7QX-tally.csv⟦ ---⟧\n", nil},
	} {
		if got := outsideTheCatalog(tt.transcript, grammar); !slices.Equal(got, tt.want) {
			t.Errorf("outsideTheCatalog(%q) = %q, want %q", tt.transcript, got, tt.want)
		}
	}
}

// machineWord matches what a transcript shows that no language words:
// poll ids, file names and paths, durations as the grammar writes them
// ("1d12h"), RFC 3339 times and code points.
var machineWord = regexp.MustCompile(`^([A-Z0-9]{4}|[\w.-]+(/[\w.-]+)*\.(csv|json|md|png)|(\d+[wdhms])+|\d{4}-\d\d-\d\dT[\d:]+Z|U\+[0-9A-F]{4,6})$`)

// dataFile is a text file the shell shows between the catalog's markers.
var dataFile = regexp.MustCompile(`(?s)⟦--- ⟧([^\n]+?\.(?:csv|json))⟦ ---⟧\n.*?⟦--- end of ⟧([^\n]+?)⟦ ---⟧`)

// withoutData takes the data files (CSV, JSON) out of a transcript.
func withoutData(transcript string) string { return dataFile.ReplaceAllString(transcript, " ") }

// outsideTheCatalog returns the words of a pseudo transcript that neither
// the catalog nor people wrote, and that are not the grammar's.
func outsideTheCatalog(transcript string, grammar map[string]bool) []string {
	return msgtest.Leftovers(msgtest.Unwrapped(withoutData(transcript)), func(w string) bool {
		if machineWord.MatchString(w) || grammar[w] {
			return true
		}
		// Alternatives and lists of grammar words: "approval|single|ranked",
		// "24h,1h", "--remind".
		parts := strings.FieldsFunc(w, func(r rune) bool { return strings.ContainsRune("|,[]-/=", r) })
		return len(parts) > 0 && !slices.ContainsFunc(parts, func(p string) bool {
			return !grammar[p] && !machineWord.MatchString(p) && strings.ContainsFunc(p, isLetter)
		})
	})
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

// grammarWords are the words the command grammar reads, which a reply may
// show as they are typed: subcommands, flags, metavariables, kinds,
// statuses, formats, group ids and preset names. They are what a person
// types, in any language.
func grammarWords() map[string]bool {
	words := map[string]bool{"poll": true, "ballots": true, "tally": true, "none": true, "as": true, "whoami": true, "help": true, "quit": true}
	add := func(ss ...string) {
		for _, s := range ss {
			for _, w := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("|,[]- /=", r) }) {
				words[w] = true
			}
		}
	}
	for _, sp := range bot.Specs() {
		add(sp.Name)
		for _, o := range sp.Options {
			add(o.Name, o.Flag(), o.Metavar)
		}
	}
	for _, k := range polls.Kinds() {
		add(string(k))
	}
	add(string(polls.StatusOpen), string(polls.StatusClosed), string(polls.StatusCancelled), "all")
	add(report.Names(false)...)
	for _, g := range polls.DefaultGroups {
		add(string(g.ID))
	}
	add(bot.Config{}.PresetNames()...)
	return words
}
