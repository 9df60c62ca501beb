package bot

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

func TestParse(t *testing.T) {
	igfTitle := "Theme for 2027"
	igfThemes := []string{"DNSSEC", "DNS abuse", "BCP38 (DDoS mitigation)"}
	at := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		name string
		in   string
		want Command
	}{
		// help
		{"empty", "", Help{}},
		{"blank", " \t\n ", Help{}},
		{"slash poll only", "/poll", Help{}},
		{"help", "help", Help{}},
		{"help upper case", "HELP", Help{}},
		{"help topic", "help open", Help{Topic: "open"}},
		{"help topic alias", "help consensus", Help{Topic: "report"}},
		{"help group alias", "help assign", Help{Topic: "groups"}},
		{"help help", "help help", Help{}},
		{"leading /poll", "/poll help vote", Help{Topic: "vote"}},
		{"leading /POLL", "/POLL Help Vote", Help{Topic: "vote"}},

		// open
		{"igf example", `open "Theme for 2027" "DNSSEC" "DNS abuse" "BCP38 (DDoS mitigation)" --closes 48h`,
			Open{Title: igfTitle, Themes: igfThemes, Opts: OpenOptions{Closes: Deadline{In: 48 * time.Hour}}}},
		{"igf example with /poll", `/poll open "Theme for 2027" "DNSSEC" "DNS abuse" "BCP38 (DDoS mitigation)" --closes 48h`,
			Open{Title: igfTitle, Themes: igfThemes, Opts: OpenOptions{Closes: Deadline{In: 48 * time.Hour}}}},
		{"open curly quotes from a phone", `open “Theme for 2027” “DNSSEC” “DNS abuse” “BCP38 (DDoS mitigation)” —closes 48h`,
			Open{Title: igfTitle, Themes: igfThemes, Opts: OpenOptions{Closes: Deadline{In: 48 * time.Hour}}}},
		{"open upper-case subcommand", `OPEN "T" A`, Open{Title: "T", Themes: []string{"A"}}},
		{"open unquoted words", `open Budget roads schools`, Open{Title: "Budget", Themes: []string{"roads", "schools"}}},
		{"open every option", `open "T" "A" "B" --kind ranked --closes 2026-12-01T15:00Z --anonymous --hide-results --quorum 5 --threshold 0.6 --max-choices 2`,
			Open{Title: "T", Themes: []string{"A", "B"}, Opts: OpenOptions{
				Kind: polls.Ranked, Closes: Deadline{At: at("2026-12-01T15:00:00Z")}, Anonymous: true, HideResults: true,
				Quorum: 5, Threshold: 0.6, MaxChoices: 2}}},
		{"options before, between and after", `open --anonymous "T" --kind=single "A" --quorum=2 "B" --hide-results`,
			Open{Title: "T", Themes: []string{"A", "B"}, Opts: OpenOptions{Kind: polls.Single, Anonymous: true, HideResults: true, Quorum: 2}}},
		{"options before the subcommand", `--kind ranked open "T" "A" "B"`,
			Open{Title: "T", Themes: []string{"A", "B"}, Opts: OpenOptions{Kind: polls.Ranked}}},
		{"en dash option", `open T A –anonymous`, Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Anonymous: true}}},
		{"option spellings", `open T A --Hide_Results --MAX-CHOICES 1 --kind Approval`,
			Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{HideResults: true, MaxChoices: 1, Kind: polls.Approval}}},
		{"bool option with value", `open T A --anonymous=no --hide-results=yes`,
			Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{HideResults: true}}},
		{"threshold percent", `open T A --threshold 60%`, Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Threshold: 0.6}}},
		{"threshold decimal comma", `open T A --threshold 0,75`, Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Threshold: 0.75}}},
		{"threshold one", `open T A --threshold 1`, Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Threshold: 1}}},
		{"quoted option value", `open T A --closes="2026-12-01 15:00+01:00"`,
			Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Closes: Deadline{At: at("2026-12-01T14:00:00Z")}}}},
		{"closes a date", `open T A --closes 2026-12-01`, Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Closes: Deadline{At: at("2026-12-01T00:00:00Z")}}}},
		{"closes with seconds and offset", `open T A --closes 2026-12-01T15:00:00-05:00`,
			Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Closes: Deadline{At: at("2026-12-01T20:00:00Z")}}}},
		{"closes days and hours", `open T A --closes 1d12h`, Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Closes: Deadline{In: 36 * time.Hour}}}},
		{"closes a week", `open T A --closes 1w`, Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Closes: Deadline{In: 7 * 24 * time.Hour}}}},
		{"closes quoted words", `open T A --closes "2 days"`, Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Closes: Deadline{In: 48 * time.Hour}}}},
		{"labels folded", "open \"  Theme\tfor\n 2027 \" \"DNS   abuse\"", Open{Title: igfTitle, Themes: []string{"DNS abuse"}}},
		{"quoted option word is a label", `open "T" "--kind" "-x"`, Open{Title: "T", Themes: []string{"--kind", "-x"}}},
		{"comma-separated quoted labels", `open "T", "A, B", "C"`, Open{Title: "T", Themes: []string{"A, B", "C"}}},
		{"comma before a quote separates", `open T,"A",B`, Open{Title: "T", Themes: []string{"A", "B"}}},

		// quotes
		{"apostrophe in a word", `open "T" don't won't`, Open{Title: "T", Themes: []string{"don't", "won't"}}},
		{"single quotes", `open 'T' 'DNS abuse'`, Open{Title: "T", Themes: []string{"DNS abuse"}}},
		{"apostrophe inside single quotes", `open 'T' 'don't stop'`, Open{Title: "T", Themes: []string{"don't stop"}}},
		{"typographic single quotes", `open ‘T’ ‘don’t stop’`, Open{Title: "T", Themes: []string{"don’t stop"}}},
		{"curly apostrophe in a word", `open T don’t`, Open{Title: "T", Themes: []string{"don’t"}}},
		{"german quotes", `open „Titel“ „DNS Missbrauch“`, Open{Title: "Titel", Themes: []string{"DNS Missbrauch"}}},
		{"guillemets", `open «Titre» «Abus du DNS» »dansk«`, Open{Title: "Titre", Themes: []string{"Abus du DNS", "dansk"}}},
		{"escaped quotes", `open "T" "say \"hi\"" "back\\slash" "C:\path"`, Open{Title: "T", Themes: []string{`say "hi"`, `back\slash`, `C:\path`}}},
		{"escaped curly quote", `open “T” “a \” b”`, Open{Title: "T", Themes: []string{"a ” b"}}},
		{"quote inside a word", `open T 5"screen`, Open{Title: "T", Themes: []string{`5"screen`}}},
		{"mixed quote styles", `open "T" 'A' “B” ‘C’`, Open{Title: "T", Themes: []string{"A", "B", "C"}}},
		{"closing quote needs a word end", `open "T" "a"b c"`, Open{Title: "T", Themes: []string{`a"b c`}}},
		{"non-breaking spaces separate", "open\u00a0T\u00a0A", Open{Title: "T", Themes: []string{"A"}}},

		// preset
		{"preset", `preset igf-themes`, Preset{Preset: "igf-themes"}},
		{"preset options", `preset "IGF 2027" --closes 2d --quorum 2`, Preset{Preset: "IGF 2027", Opts: OpenOptions{Closes: Deadline{In: 48 * time.Hour}, Quorum: 2}}},

		// list
		{"list", "list", List{Status: "open"}},
		{"list closed", "list Closed", List{Status: "closed"}},
		{"list all", "list all", List{Status: "all"}},
		{"list open", "list open", List{Status: "open"}},

		// vote
		{"vote numbers", "vote K7QX 1 3", Vote{Poll: "K7QX", Themes: []string{"1", "3"}}},
		{"vote lower-case id", "vote k7qx 2", Vote{Poll: "K7QX", Themes: []string{"2"}}},
		{"vote hash id", "vote #K7QX 2", Vote{Poll: "K7QX", Themes: []string{"2"}}},
		{"vote commas", "vote K7QX 1,3,4", Vote{Poll: "K7QX", Themes: []string{"1", "3", "4"}}},
		{"vote commas and spaces", "vote K7QX 1, 3 ,4,", Vote{Poll: "K7QX", Themes: []string{"1", "3", "4"}}},
		{"vote labels", `vote K7QX "DNS abuse" DNSSEC`, Vote{Poll: "K7QX", Themes: []string{"DNS abuse", "DNSSEC"}}},
		{"vote quoted label keeps comma", `vote K7QX "Safety, security"`, Vote{Poll: "K7QX", Themes: []string{"Safety, security"}}},
		{"vote quoted labels with commas", `vote K7QX "DNS abuse","DNSSEC"`, Vote{Poll: "K7QX", Themes: []string{"DNS abuse", "DNSSEC"}}},
		{"vote number then quoted label", `vote K7QX 1,"DNS abuse",DNSSEC ,"BCP38"`, Vote{Poll: "K7QX", Themes: []string{"1", "DNS abuse", "DNSSEC", "BCP38"}}},
		{"vote id with colon", "vote K7QX: 1", Vote{Poll: "K7QX", Themes: []string{"1"}}},

		// the rest
		{"unvote", "unvote K7QX", Unvote{Poll: "K7QX"}},
		{"group show", "group", Group{}},
		{"group slug", "group civil-society", Group{Group: "civil-society"}},
		{"group words", "group civil society", Group{Group: "civil society"}},
		{"group quoted", `group "Civil  society"`, Group{Group: "Civil society"}},
		{"assign at", "assign @alice civil-society", Assign{User: "@alice", Group: "civil-society"}},
		{"assign slack mention", "assign <@U123> technical community", Assign{User: "<@U123>", Group: "technical community"}},
		{"assign slack mention with name", "assign <@U123|alice> academia", Assign{User: "<@U123|alice>", Group: "academia"}},
		{"assign discord nick mention", "assign <@!456> government", Assign{User: "<@!456>", Group: "government"}},
		{"assign discord mention", "assign <@456> government", Assign{User: "<@456>", Group: "government"}},
		{"assign bare id", "assign U123 government", Assign{User: "U123", Group: "government"}},
		{"close", "close K7QX", Close{Poll: "K7QX"}},
		{"reopen", "Reopen K7QX", Reopen{Poll: "K7QX"}},
		{"reopen for a day", "reopen K7QX 1d", Reopen{Poll: "K7QX", For: 24 * time.Hour}},
		{"preset list", "preset", Preset{}},
		{"cancel", "cancel K7QX", Cancel{Poll: "K7QX"}},
		{"extend", "extend K7QX 1d12h", Extend{Poll: "K7QX", By: 36 * time.Hour}},
		{"extend minutes", "extend K7QX 90m", Extend{Poll: "K7QX", By: 90 * time.Minute}},
		{"extend plus", "extend K7QX +2h", Extend{Poll: "K7QX", By: 2 * time.Hour}},
		{"extend 366 days", "extend K7QX 366d", Extend{Poll: "K7QX", By: 366 * 24 * time.Hour}},
		{"report", "report K7QX", Report{Poll: "K7QX"}},
		{"export", "export K7QX", Export{Poll: "K7QX", Format: "csv"}},
		{"export json", "export K7QX json", Export{Poll: "K7QX", Format: "json"}},
		{"export ballots", "export K7QX ballots", Export{Poll: "K7QX", Format: "csv", Ballots: true}},
		{"export either order", "export K7QX ballots JSON", Export{Poll: "K7QX", Format: "json", Ballots: true}},
		{"export md tally", "export K7QX md tally", Export{Poll: "K7QX", Format: "md"}},
		{"export markdown", "export K7QX markdown", Export{Poll: "K7QX", Format: "md"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
			}
			checkRoundTrip(t, got)
		})
	}
}

// checkRoundTrip is the property the fuzz test checks, for every table case
// too: the canonical text reads back as the same command, and is stable.
func checkRoundTrip(t *testing.T, cmd Command) {
	t.Helper()
	s := cmd.String()
	again, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q) (the String of %#v): %v", s, cmd, err)
	}
	if !reflect.DeepEqual(again, cmd) {
		t.Fatalf("Parse(%q)\n got %#v\nwant %#v", s, again, cmd)
	}
	if toks, _ := tokenize(s); len(toks) != canonicalWords(cmd) {
		t.Fatalf("%q has %d words, canonicalWords says %d", s, len(toks), canonicalWords(cmd))
	}
	if s2 := again.String(); s2 != s {
		t.Fatalf("String not stable: %q then %q", s, s2)
	}
	if !strings.HasPrefix(s, cmd.Name()) {
		t.Fatalf("String %q does not start with %q", s, cmd.Name())
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		problem string // the whole Problem
		usage   string // a part of Usage
	}{
		// quotes
		{"unterminated double", `open "T" "DNS abuse`, `unterminated quote in "DNS abuse`, "/poll open"},
		{"unterminated single", `open 'T`, `unterminated quote in 'T`, "/poll open"},
		{"unterminated curly", `vote K7QX “DNS abuse`, `unterminated quote in “DNS abuse`, "/poll vote"},
		{"escaped closer", `open "T\"`, `unterminated quote in "T\"`, "/poll open"},
		{"closer not at a word end", `open "T" "a"b`, `unterminated quote in "a"b`, "/poll open"},
		{"unbalanced", `open "Unclosed "A" "B"`, `unbalanced quotes: "Unclosed has no closing quote before "A" "B" (a quote inside a label is written \")`, "/poll open"},
		{"unbalanced nested", `open "T" "The "best" one"`, `unbalanced quotes: "The has no closing quote before "best" one" (a quote inside a label is written \")`, "/poll open"},
		{"unbalanced curly", `vote K7QX “DNS abuse “Privacy”`, `unbalanced quotes: “DNS abuse has no closing quote before “Privacy” (a quote inside a label is written \")`, "/poll vote"},
		{"unbalanced option value", `open T A --closes="2d --kind "ranked"`, `unbalanced quotes: "2d --kind has no closing quote before "ranked" (a quote inside a label is written \")`, "/poll open"},
		{"unterminated unknown command", `frob "x`, `unterminated quote in "x`, "/poll open|"},
		{"unterminated option value", `open T A --closes="2d`, `unterminated quote in "2d`, "/poll open"},

		// subcommands
		{"unknown", "frobnicate", `unknown command "frobnicate"`, "/poll open|"},
		{"typo opne", `opne "T" "A"`, `unknown command "opne"; did you mean open?`, "/poll open|"},
		{"typo vot", "vot K7QX 1", `unknown command "vot"; did you mean vote?`, ""},
		{"typo reprot", "reprot K7QX", `unknown command "reprot"; did you mean report?`, ""},
		{"synonym results", "results K7QX", `unknown command "results"; did you mean report?`, ""},
		{"synonym delete", "delete K7QX", `unknown command "delete"; did you mean cancel?`, ""},
		{"synonym end", "end K7QX", `unknown command "end"; did you mean close?`, ""},
		{"quoted option word as command", `"--kind"`, `unknown command "--kind"`, ""},

		// options
		{"unknown option", `open T A --color red`, "unknown option --color", "/poll open"},
		{"unknown option near miss", `open T A --colses 2d`, "unknown option --colses; did you mean --closes?", "/poll open"},
		{"unknown option alone", `--color`, "unknown option --color", "/poll open|"},
		{"lone dashes", `open T A --`, `"--" is missing an option name`, "/poll open"},
		{"single dash", `open T A -anonymous`, "options start with two dashes: --anonymous", "/poll open"},
		{"option on vote", "vote K7QX 1 --hide-results", "--hide-results does not apply to vote", "/poll vote"},
		{"option alone", "--anonymous", "--anonymous needs a command: options go with open or preset", "/poll open|"},
		{"option on help", "help --anonymous", "--anonymous does not apply to help", "/poll help"},
		{"option on list", "list --kind ranked", "--kind does not apply to list", "/poll list"},
		{"duplicate option", "open T A --quorum 2 --quorum 3", "--quorum is given twice", "/poll open"},
		{"duplicate bool", "open T A --anonymous --anonymous", "--anonymous is given twice", "/poll open"},
		{"duplicate spelled apart", "open T A --max-choices 2 --max_choices 2", "--max-choices is given twice", "/poll open"},
		{"missing value at end", "open T A --kind", "--kind needs a value: approval, single or ranked", "/poll open"},
		{"missing value before option", "open T A --closes --anonymous", "--closes needs a value: a duration like 48h or a time like 2026-12-01T15:00Z", "/poll open"},
		{"empty value", "open T A --quorum=", "--quorum needs a value: a whole number of ballots", "/poll open"},
		{"bad kind", "open T A --kind stance", `--kind must be approval, single or ranked, not "stance"`, "/poll open"},
		{"quorum word", "open T A --quorum three", `--quorum needs a whole number, not "three"`, "/poll open"},
		{"quorum negative", "open T A --quorum -1", `--quorum needs a whole number, not "-1"`, "/poll open"},
		{"quorum zero", "open T A --quorum 0", "--quorum must be from 1 to 1000000, not 0", "/poll open"},
		{"quorum huge", "open T A --quorum 99999999999999999999", "--quorum must be from 1 to 1000000, not 99999999999999999999", "/poll open"},
		{"quorum fraction", "open T A --quorum 2.5", `--quorum needs a whole number, not "2.5"`, "/poll open"},
		{"threshold zero", "open T A --threshold 0", `--threshold needs a number more than 0 and at most 1 (like 0.6 or 60%), not "0"`, "/poll open"},
		{"threshold over one", "open T A --threshold 1.5", `--threshold needs a number more than 0 and at most 1 (like 0.6 or 60%), not "1.5"`, "/poll open"},
		{"threshold percent over", "open T A --threshold 120%", `--threshold needs a number more than 0 and at most 1 (like 0.6 or 60%), not "120%"`, "/poll open"},
		{"threshold word", "open T A --threshold high", `--threshold needs a number more than 0 and at most 1 (like 0.6 or 60%), not "high"`, "/poll open"},
		{"threshold NaN", "open T A --threshold NaN", `--threshold needs a number more than 0 and at most 1 (like 0.6 or 60%), not "NaN"`, "/poll open"},
		{"max choices zero", "open T A --max-choices 0", "--max-choices must be at least 1 (leave it out for any number), not 0", "/poll open"},
		{"bool value", "open T A --anonymous=maybe", `--anonymous takes no value (or yes/no), not "maybe"`, "/poll open"},
		{"closes nonsense", "open T A --closes soon", `--closes: "soon" is not a duration like 48h or a time like 2026-12-01T15:00Z`, "/poll open"},
		{"closes zero", "open T A --closes 0h", `--closes: "0h" is not more than zero`, "/poll open"},
		{"closes too long", "open T A --closes 367d", `--closes: "367d" is longer than 366 days`, "/poll open"},
		{"closes no unit", "open T A --closes 48", `--closes: "48" needs a unit, e.g. 48h for hours or 48d for days`, "/poll open"},
		{"closes no zone", "open T A --closes 2026-12-01T15:00", `--closes: "2026-12-01T15:00" needs a time zone: add Z for UTC or an offset like +01:00`, "/poll open"},
		{"closes past", "open T A --closes 1999-12-01", `--closes: "1999-12-01" is in the past`, "/poll open"},
		{"closes bad date", "open T A --closes 2026-13-01", `--closes: "2026-13-01" is not a duration like 48h or a time like 2026-12-01T15:00Z`, "/poll open"},

		// arguments
		{"open nothing", "open", `open needs a title and at least one theme, e.g. /poll open "Theme for 2027" "DNSSEC" "DNS abuse"`, "/poll open"},
		{"open title only", `open "T"`, `open needs a title and at least one theme, e.g. /poll open "Theme for 2027" "DNSSEC" "DNS abuse"`, "/poll open"},
		{"open options only", `open --anonymous`, `open needs a title and at least one theme, e.g. /poll open "Theme for 2027" "DNSSEC" "DNS abuse"`, "/poll open"},
		{"empty title", `open "" "A"`, "the title is empty", "/poll open"},
		{"blank title", `open "  " "A"`, "the title is empty", "/poll open"},
		{"empty theme", `open "T" "A" ""`, "theme 2 is empty", "/poll open"},
		{"preset two words", "preset igf themes", `unexpected themes: preset takes one name (quote a name with spaces)`, "/poll preset"},
		{"list bad", "list pending", `list shows open, closed, cancelled or all polls, not "pending"`, "/poll list"},
		{"list extra", "list open closed", "unexpected closed: list takes one of open, closed, cancelled or all", "/poll list"},
		{"vote nothing", "vote", "vote needs a poll id and at least one theme (a number or a label)", "/poll vote ID THEME..."},
		{"vote id only", "vote K7QX", "vote needs a poll id and at least one theme (a number or a label)", "/poll vote"},
		{"vote commas only", "vote K7QX , ,,", "vote needs a poll id and at least one theme (a number or a label)", "/poll vote"},
		{"vote empty quoted", `vote K7QX ""`, "a quoted theme is empty", "/poll vote"},
		{"vote label as id", `vote "DNS abuse"`, "vote needs a poll id and at least one theme (a number or a label)", "/poll vote"},
		{"vote bad id", `vote "DNS abuse" 1`, `"DNS abuse" is not a poll id (ids look like K7QX)`, "/poll vote"},
		{"unvote nothing", "unvote", "unvote needs a poll id", "/poll unvote ID"},
		{"unvote extra", "unvote K7QX 1", "unexpected 1: unvote takes only a poll id", "/poll unvote"},
		{"close extra", "close K7QX now", "unexpected now: close takes only a poll id", "/poll close"},
		{"reopen nothing", "reopen", "reopen needs a poll id", "/poll reopen"},
		{"reopen bad duration", "reopen K7QX soon", `"soon" is not a duration like 90m, 48h, 1h30m or 2d`, "/poll reopen"},
		{"reopen extra", "reopen K7QX 1d 2h", "unexpected 2h: reopen takes a poll id and at most one duration (like 1d12h, no spaces)", "/poll reopen"},
		{"cancel bad id", "cancel <K7QX>", "<K7QX> is not a poll id (ids look like K7QX)", "/poll cancel"},
		{"report nothing", "report", "report needs a poll id", "/poll report"},
		{"group empty", `group ""`, "the group name is empty", "/poll group"},
		{"assign nothing", "assign", "assign needs a user and a group, e.g. /poll assign @alice civil-society", "/poll assign"},
		{"assign no group", "assign @alice", "assign needs a user and a group, e.g. /poll assign @alice civil-society", "/poll assign"},
		{"extend no duration", "extend K7QX", "extend needs a poll id and a duration, e.g. /poll extend K7QX 1d", "/poll extend"},
		{"extend a time", "extend K7QX 2026-12-01", `"2026-12-01" is not a duration like 90m, 48h, 1h30m or 2d`, "/poll extend"},
		{"extend negative", "extend K7QX -2h", `"-2h" is not a duration like 90m, 48h, 1h30m or 2d`, "/poll extend"},
		{"extend extra", "extend K7QX 1d 12h", "unexpected 12h: extend takes a poll id and one duration (like 1d12h, no spaces)", "/poll extend"},
		{"export nothing", "export", "export needs a poll id", "/poll export"},
		{"export two formats", "export K7QX csv json", "export takes one format, not both csv and json", "/poll export"},
		{"export ballots and tally", "export K7QX ballots tally", "export gives either the ballots or the tally, not both ballots and tally", "/poll export"},
		{"export bad word", "export K7QX pdf", `export takes a format (csv, wide, json, md or png) and ballots or tally, not "pdf"`, "/poll export"},
		{"export near ballots", "export K7QX ballot", `export takes a format (csv, wide, json, md or png) and ballots or tally, not "ballot"; did you mean ballots?`, "/poll export"},
		{"export near json", "export K7QX JSN", `export takes a format (csv, wide, json, md or png) and ballots or tally, not "JSN"; did you mean json?`, "/poll export"},
		{"help unknown topic", "help frob", "there is no help on \"frob\"; topics: " + strings.Join(helpTopics, ", "), "/poll help"},
		{"help near topic", "help vot", "there is no help on \"vot\"; topics: " + strings.Join(helpTopics, ", ") + "; did you mean vote?", "/poll help"},
		{"help two topics", "help open vote", "unexpected vote: help takes at most one topic", "/poll help"},

		// size
		{"too many words", "open T" + strings.Repeat(" A", 100), english(tooLongProblem) + "; " + english(pollLimits), "/poll open"},
		{"too many bytes", "open T " + strings.Repeat("A", maxTextBytes), english(tooLongProblem) + "; " + english(pollLimits), "/poll open \"Title\""},
		{"too many bytes, unknown command", "frob " + strings.Repeat("A", maxTextBytes), english(tooLongProblem), "/poll open|"},
		{"invalid utf8", "open T \xff", "the command is not valid text (UTF-8)", ""},
		{"canonical form too long", `vote K7QX ` + strings.Repeat("1,", 99) + "1", english(tooLongProblem), "/poll vote"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %#v, want an error", tt.in, cmd)
			}
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q): %T %v, want a *UsageError", tt.in, err, err)
			}
			if got := english(ue.Problem); got != tt.problem {
				t.Errorf("Problem\n got %q\nwant %q", got, tt.problem)
			}
			if got := english(ue.Usage); !strings.Contains(got, tt.usage) {
				t.Errorf("Usage %q does not contain %q", got, tt.usage)
			}
			if want := english(ue.Problem) + "\nUsage: " + english(ue.Usage); !ue.Usage.IsZero() && err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestUsageErrorTopic(t *testing.T) {
	for in, topic := range map[string]string{
		"assign @a":           "groups",
		"vote K7QX":           "vote",
		"unvote":              "vote",
		"frob":                "",
		"open T A --kind bad": "open",
		`report "`:            "report",
	} {
		_, err := Parse(in)
		var ue *UsageError
		if !errors.As(err, &ue) {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if ue.Topic != topic {
			t.Errorf("Parse(%q): Topic %q, want %q", in, ue.Topic, topic)
		}
	}
}

func TestString(t *testing.T) {
	tests := []struct {
		cmd  Command
		want string
	}{
		{Help{}, "help"},
		{Help{Topic: "groups"}, "help groups"},
		{Open{Title: "Theme for 2027", Themes: []string{"DNSSEC", `say "hi"`, `a\b`}, Opts: OpenOptions{
			Kind: polls.Ranked, Closes: Deadline{In: 90 * time.Minute}, Anonymous: true, HideResults: true,
			Quorum: 3, Threshold: 0.6, MaxChoices: 2}},
			`open "Theme for 2027" "DNSSEC" "say \"hi\"" "a\\b" --kind ranked --closes 1h30m --anonymous --hide-results --quorum 3 --threshold 0.6 --max-choices 2`},
		{Open{Title: "T", Themes: []string{"A"}, Opts: OpenOptions{Closes: Deadline{At: time.Date(2026, 12, 1, 16, 0, 0, 0, time.FixedZone("CET", 3600))}}},
			`open "T" "A" --closes 2026-12-01T15:00:00Z`},
		{Preset{Preset: "igf-themes", Opts: OpenOptions{Closes: Deadline{In: 48 * time.Hour}}}, "preset igf-themes --closes 2d"},
		{Preset{Preset: "IGF 2027"}, `preset "IGF 2027"`},
		{List{}, "list"},
		{List{Status: "open"}, "list"},
		{List{Status: "all"}, "list all"},
		{Vote{Poll: "K7QX", Themes: []string{"1", "3", "DNS abuse", "DNSSEC"}}, `vote K7QX 1 3 "DNS abuse" "DNSSEC"`},
		{Unvote{Poll: "K7QX"}, "unvote K7QX"},
		{Group{}, "group"},
		{Group{Group: "civil society"}, `group "civil society"`},
		{Group{Group: "academia"}, "group academia"},
		{Assign{User: "<@U123|alice>", Group: "civil society"}, `assign <@U123|alice> "civil society"`},
		{Close{Poll: "K7QX"}, "close K7QX"},
		{Reopen{Poll: "K7QX"}, "reopen K7QX"},
		{Reopen{Poll: "K7QX", For: 90 * time.Minute}, "reopen K7QX 1h30m"},
		{Preset{}, "preset"},
		{Preset{Opts: OpenOptions{Quorum: 2}}, "preset --quorum 2"},
		{Cancel{Poll: "K7QX"}, "cancel K7QX"},
		{Extend{Poll: "K7QX", By: 36 * time.Hour}, "extend K7QX 1d12h"},
		{Extend{Poll: "K7QX", By: 7 * 24 * time.Hour}, "extend K7QX 7d"},
		{Report{Poll: "K7QX"}, "report K7QX"},
		{Export{Poll: "K7QX"}, "export K7QX"},
		{Export{Poll: "K7QX", Format: "csv"}, "export K7QX"},
		{Export{Poll: "K7QX", Format: "md", Ballots: true}, "export K7QX md ballots"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.cmd.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if _, err := Parse(tt.want); err != nil {
				t.Errorf("Parse(%q): %v", tt.want, err)
			}
		})
	}
}

func TestDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90m": 90 * time.Minute, "48h": 48 * time.Hour, "1h30m": 90 * time.Minute, "2d": 48 * time.Hour,
		"1d12h": 36 * time.Hour, "1w": 7 * 24 * time.Hour, "1.5h": 90 * time.Minute, "2 days": 48 * time.Hour,
		"3 hours 15 minutes": 3*time.Hour + 15*time.Minute, "30s": 30 * time.Second, "1H": time.Hour,
		"0.5d": 12 * time.Hour, ".5h": 30 * time.Minute, "52w2d": 366 * 24 * time.Hour, "1.0000000001s": time.Second,
	} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
		again, err := ParseDuration(FormatDuration(got))
		if err != nil || again != got {
			t.Errorf("ParseDuration(FormatDuration(%v) = %q) = %v, %v", got, FormatDuration(got), again, err)
		}
	}
	for _, in := range []string{"", "h", "0", "0s", "0.4s", "-1h", "1y", "367d", "53w", "1ms", "99999999999999999999h", "1h-", "1..5h", "1e3h"} {
		if d, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, d)
		}
	}
	for d, want := range map[time.Duration]string{
		time.Second: "1s", 90 * time.Minute: "1h30m", 48 * time.Hour: "2d", 36*time.Hour + time.Second: "1d12h1s", 0: "0s",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestDeadline(t *testing.T) {
	for in, want := range map[string]Deadline{
		"48h":                       {In: 48 * time.Hour},
		"2026-12-01T15:00Z":         {At: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)},
		"2026-12-01t15:00z":         {At: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)},
		"2026-12-01T15:00+01:00":    {At: time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)},
		"2026-12-01T15:00:30+0100":  {At: time.Date(2026, 12, 1, 14, 0, 30, 0, time.UTC)},
		"2026-12-01T15:00:00.5Z":    {At: time.Date(2026, 12, 1, 15, 0, 0, 5e8, time.UTC)},
		"2026-12-01":                {At: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)},
		"2026-12-01 15:00Z":         {At: time.Date(2026, 12, 1, 15, 0, 0, 0, time.UTC)},
		"9999-12-31T23:59:59Z":      {At: time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		"2026-12-01T15:00:00-12:00": {At: time.Date(2026, 12, 2, 3, 0, 0, 0, time.UTC)},
	} {
		got, err := ParseDeadline(in)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("ParseDeadline(%q) = %#v, %v; want %#v", in, got, err, want)
			continue
		}
		if again, err := ParseDeadline(got.String()); err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("ParseDeadline(%q) = %#v, %v; want %#v", got.String(), again, err, got)
		}
	}
	for _, in := range []string{"", "soon", "2026-12-01T15:00", "2026-02-30", "9999-12-31T23:00-05:00", "0001-01-01", "2026-12-01T25:00Z"} {
		if d, err := ParseDeadline(in); err == nil {
			t.Errorf("ParseDeadline(%q) = %#v, want an error", in, d)
		}
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if got := (Deadline{In: time.Hour}).Time(now); !got.Equal(now.Add(time.Hour)) {
		t.Errorf("Time = %v", got)
	}
}

func TestParseThemes(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`"DNSSEC" "DNS abuse"`, []string{"DNSSEC", "DNS abuse"}},
		{`“DNSSEC” “DNS abuse”`, []string{"DNSSEC", "DNS abuse"}},
		{`DNSSEC; DNS abuse ; ;BCP38 (DDoS mitigation);`, []string{"DNSSEC", "DNS abuse", "BCP38 (DDoS mitigation)"}},
		{"DNSSEC\nDNS abuse\n\n", []string{"DNSSEC", "DNS abuse"}},
		{`Safety, security and stability; Access`, []string{"Safety, security and stability", "Access"}},
		{`"A; B" "C"`, []string{"A; B", "C"}},
		{`"A";"B"`, []string{"A", "B"}},
		{`single`, []string{"single"}},
		{`"" "A"`, []string{"A"}},
		{`don't panic; 'quoted one'`, []string{"don't panic", "quoted one"}},
	}
	for _, tt := range tests {
		got, err := ParseThemes(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseThemes(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"", " ; ; ", `"A" "B`, `""`, `"A "B" "C"`} {
		if got, err := ParseThemes(in); err == nil {
			t.Errorf("ParseThemes(%q) = %q, want an error", in, got)
		}
	}
}

func TestHelpText(t *testing.T) {
	help := func(topic string) string { return HelpText(msg.English(), topic) }
	all := help("")
	for _, want := range []string{
		"For everyone:", "For facilitators",
		`/poll open "Theme for 2027" "DNSSEC" "DNS abuse" "BCP38 (DDoS mitigation)" --closes 48h`,
	} {
		if !strings.Contains(all, want) {
			t.Errorf("HelpText(\"\") lacks %q", want)
		}
	}
	for _, c := range specs {
		if !strings.Contains(all, "/poll "+c.Name) {
			t.Errorf("HelpText(\"\") does not list %s", c.Name)
		}
		if c.Usage.IsZero() || c.Short.IsZero() {
			t.Errorf("%s has no usage line or description", c.Name)
		}
		if page := help(c.Name); c.Name != "help" && !strings.Contains(page, "Usage: ") || !strings.Contains(page, "/poll "+c.Name) {
			t.Errorf("HelpText(%q) = %q", c.Name, page)
		}
	}
	for _, topic := range helpTopics {
		if help(topic) == all {
			t.Errorf("HelpText(%q) is the overview", topic)
		}
		if _, err := Parse("help " + topic); err != nil {
			t.Errorf("help %s: %v", topic, err)
		}
	}
	report := help("report")
	for _, status := range []string{"consensus", "emerging", "divided", "low", "insufficient"} {
		if !strings.Contains(report, status) {
			t.Errorf("HelpText(report) does not explain %s", status)
		}
	}
	if help("consensus") != report {
		t.Error(`HelpText("consensus") is not the report page`)
	}
	if !strings.Contains(help("groups"), "civil-society") {
		t.Error("HelpText(groups) does not list the groups")
	}
	if got := PlainText(help("frob")); !strings.HasPrefix(got, `There is no help on "frob".`) {
		t.Errorf("HelpText(frob) = %q", got)
	}
}

func TestUsage(t *testing.T) {
	if got := english(Usage("Vote")); got != "/poll vote ID THEME..." {
		t.Errorf("Usage(Vote) = %q", got)
	}
	if got := english(Usage("nope")); got != english(generalUsage) {
		t.Errorf("Usage(nope) = %q", got)
	}
}

func TestSuggest(t *testing.T) {
	names := []string{"open", "vote", "close", "report", "export", "extend", "cancel"}
	for in, want := range map[string]string{
		"opne": "open", "vot": "vote", "votes": "vote", "colse": "close", "reprot": "report",
		"xyz": "", "exp": "", "open": "open", "cancle": "cancel", "extned": "extend",
	} {
		if got := suggest(in, names, nil); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func ExampleParse() {
	cmd, _ := Parse(`/poll open “Theme for 2027” “DNSSEC” “DNS abuse” —closes 48h`)
	open := cmd.(Open)
	fmt.Println(open.Title, len(open.Themes), open.Opts.Closes.In)
	fmt.Println(cmd)

	_, err := Parse("vote K7QX --hide-results")
	fmt.Println(err)
	// Output:
	// Theme for 2027 2 48h0m0s
	// open "Theme for 2027" "DNSSEC" "DNS abuse" --closes 2d
	// --hide-results does not apply to vote
	// Usage: /poll vote ID THEME...
}

// english is a message as the English printer renders it, without the
// marks of user text.
func english(m msg.Message) string { return PlainText(msg.English().Sprint(m)) }
