package bot

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"strconv"
	"testing"

	"github.com/pollbot/pollbot/bot/msg"
	"github.com/pollbot/pollbot/polls"
)

// TestEveryDomainCodeIsWorded reads the codes polls declares (polls/errors.go)
// and checks that each has a message of its own, not the words for an
// error without a code: a new code without a message fails here.
func TestEveryDomainCodeIsWorded(t *testing.T) {
	ids := map[string]polls.Code{}
	for _, c := range domainCodes(t) {
		m := domainMessage(msg.English(), &polls.Error{Kind: polls.ErrInvalidOption, Code: c}, nil)
		switch id := m.ID(); id {
		case "", msg.ErrDomain.With().ID(), msg.ErrUnknownKindBare.With().ID():
			t.Errorf("code %s has no message of its own (%q)", c, id)
		default:
			if other, dup := ids[id]; dup && !sharedWords[c] {
				t.Errorf("codes %s and %s are both worded by %s", other, c, id)
			}
			ids[id] = c
		}
	}
}

// domainCodes are the codes polls declares, read from its source.
func domainCodes(t *testing.T) []polls.Code {
	t.Helper()
	f, err := parser.ParseFile(gotoken.NewFileSet(), "../polls/errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var codes []polls.Code
	ast.Inspect(f, func(n ast.Node) bool {
		vs, ok := n.(*ast.ValueSpec)
		if !ok {
			return true
		}
		if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Code" {
			return true
		}
		for _, v := range vs.Values {
			if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
				s, _ := strconv.Unquote(lit.Value)
				codes = append(codes, polls.Code(s))
			}
		}
		return true
	})
	if len(codes) < 50 {
		t.Fatalf("found %d codes in polls/errors.go; the test no longer reads them", len(codes))
	}
	return codes
}

// sharedWords are codes worded as another code of theirs is: a title and
// a theme that cannot be shown say why by the character they hold.
var sharedWords = map[polls.Code]bool{
	polls.CodeTitleDirection: true, polls.CodeTitleReplacement: true, polls.CodeTitleMarker: true,
	polls.CodeThemeDirection: true, polls.CodeThemeReplacement: true, polls.CodeThemeMarker: true,
}

// TestCountsChooseTheirWords: a count of one takes the singular, whichever
// message says it.
func TestCountsChooseTheirWords(t *testing.T) {
	p := msg.English()
	for _, tt := range []struct {
		m    msg.Message
		want string
	}{
		{domainMessage(p, &polls.Error{Code: polls.CodeMaxChoices, Params: polls.Params{"Poll": "K7QX", "Max": 1, "Given": 2}}, nil),
			"poll K7QX allows at most 1 choice; 2 given"},
		{domainMessage(p, &polls.Error{Code: polls.CodeMaxChoices, Params: polls.Params{"Poll": "K7QX", "Max": 2, "Given": 3}}, nil),
			"poll K7QX allows at most 2 choices; 3 given"},
		{domainMessage(p, &polls.Error{Code: polls.CodeMaxChoicesToggle, Params: polls.Params{"Poll": "K7QX", "Max": 1}}, nil),
			"poll K7QX allows at most 1 choice; remove it first"},
		{domainMessage(p, &polls.Error{Code: polls.CodeOpenPollsLimit, Params: polls.Params{"Max": 1}}, nil),
			"this workspace already has 1 open poll, the most it may have at once; close it before opening another"},
		{domainMessage(p, &polls.Error{Code: polls.CodeOpensPerHour, Params: polls.Params{"Max": 1}}, nil),
			"you have opened 1 poll in the last hour, the most one person may; try again later"},
		{countMessage(polls.Ranked, 1), "1 point"},
		{countMessage(polls.Ranked, 1.5), "1.5 points"},
		{countMessage(polls.Ranked, 0), "0 points"},
		{countMessage(polls.Approval, 1), "1 vote"},
		{countMessage(polls.Approval, 0), "0 votes"},
	} {
		if got := p.Sprint(tt.m); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}
