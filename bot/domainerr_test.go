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
