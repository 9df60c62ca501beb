package report_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pollbot/pollbot/polls"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, rewriting the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff)\n--- got ---\n%s", name, got)
	}
}

// fixtureGroups are the six default groups plus one that casts no ballot,
// so that the report has an absent group.
func fixtureGroups() *polls.Groups {
	return polls.MustGroups(append(polls.DefaultGroups[:len(polls.DefaultGroups):len(polls.DefaultGroups)],
		polls.GroupInfo{ID: "youth", Label: "Youth", Emoji: "🧒"}))
}

var (
	opened = time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("CET", 3600))
	closed = time.Date(2026, 3, 4, 17, 30, 0, 0, time.UTC)
)

// approvalPoll is an IGF-style theme poll: six groups vote, two of them
// below quorum, one configured group is absent. One label carries every
// Markdown special character.
func approvalPoll() *polls.Poll {
	p := &polls.Poll{
		ID: "K7QX", Tenant: "local", Title: "IGF 2026 working group theme",
		Themes: []polls.Theme{
			{Label: "Data governance & trust"},
			{Label: "Meaningful access"},
			{Label: "Privacy and encryption"},
			{Label: "AI governance"},
			{Label: "Cyber norms | *draft* [v2] <b>_x_`y`"},
			{Label: "Environmental impact"},
		},
		Kind: polls.Approval, Status: polls.StatusClosed, Creator: "you",
		OpenedAt: opened, ClosedAt: closed,
	}
	p.Normalize()
	return p
}

// approvalTally is hand-made: ballots per group and supporters per theme.
func approvalTally() polls.Tally {
	return polls.Tally{
		Ballots: map[polls.Group]int64{
			"government": 5, "private-sector": 4, "civil-society": 6,
			"technical-community": 5, "academia": 2, "intergovernmental": 1,
		},
		Points: map[polls.Group][]int64{
			"government":          {5, 4, 2, 3, 1, 0},
			"private-sector":      {4, 3, 1, 2, 1, 0},
			"civil-society":       {6, 5, 6, 3, 0, 1},
			"technical-community": {5, 4, 1, 1, 3, 0},
			"academia":            {2, 1, 2, 0, 1, 0},
			"intergovernmental":   {1, 1, 0, 0, 0, 0},
		},
	}
}

func approvalReport() (*polls.Poll, *polls.Report) {
	p := approvalPoll()
	return p, polls.ComputeReport(p, approvalTally(), fixtureGroups())
}

func rankedPoll() *polls.Poll {
	p := &polls.Poll{
		ID: "R2D2", Tenant: "local", Title: "Main session: order of topics",
		Themes: []polls.Theme{
			{Label: "Digital public infrastructure"},
			{Label: "Internet fragmentation"},
			{Label: "Child online safety"},
			{Label: "Open standards"},
		},
		Kind: polls.Ranked, Status: polls.StatusOpen, Creator: "you",
		OpenedAt: opened, ClosesAt: closed,
		Options: polls.Options{Anonymous: true, Quorum: 3, Threshold: 0.6},
	}
	p.Normalize()
	return p
}

// rankedBallots are the ballots of rankedPoll; anonymous, so voters are
// pseudonyms.
func rankedBallots() []polls.Ballot {
	at := func(m int) time.Time { return opened.Add(time.Duration(m) * time.Minute) }
	return []polls.Ballot{
		{Voter: "a1f3", Group: "government", Choices: []int{0, 1, 3, 2}, CastAt: at(1)},
		{Voter: "b2e4", Group: "government", Choices: []int{0, 3}, CastAt: at(2)},
		{Voter: "c3d5", Group: "government", Choices: []int{1, 0, 2}, CastAt: at(3)},
		{Voter: "d4c6", Group: "government", Choices: []int{0, 1, 2, 3}, CastAt: at(4)},
		{Voter: "e5b7", Group: "civil-society", Choices: []int{2, 0, 3}, CastAt: at(5)},
		{Voter: "f6a8", Group: "civil-society", Choices: []int{0, 2}, CastAt: at(6)},
		{Voter: "a7f9", Group: "civil-society", Choices: []int{3, 0, 1, 2}, CastAt: at(7)},
		{Voter: "b8ea", Group: "academia", Choices: []int{3, 1}, CastAt: at(8)},
		{Voter: "c9db", Group: "academia", Choices: []int{3, 0, 2, 1}, CastAt: at(9)},
		{Voter: "dacc", Group: "academia", Choices: []int{0, 3}, CastAt: at(10)},
		{Voter: "ebbd", Group: "private-sector", Choices: []int{1}, CastAt: at(11)},
	}
}

func rankedReport() (*polls.Poll, *polls.Report, []polls.Ballot) {
	p := rankedPoll()
	bs := rankedBallots()
	t := polls.NewTally()
	for _, b := range bs {
		t.Add(p, b, +1)
	}
	return p, polls.ComputeReport(p, t, nil), bs
}
