package msg

import (
	"reflect"
	"sort"
	"testing"
	"text/template"
	"text/template/parse"

	"go.yaml.in/yaml/v3"
)

// TestCatalog holds the catalog and the declarations together: every
// declared message has text in every catalog file, every text is declared,
// every template names only the message's parameters, a message with a
// Count has the plural forms its language needs, and every message renders
// with its parameters' zero values.
func TestCatalog(t *testing.T) {
	files, err := catalogFS.ReadDir("catalog")
	if err != nil {
		t.Fatal(err)
	}
	defs := map[string]*def{}
	for _, d := range declared() {
		defs[d.id] = d
	}
	for _, f := range files {
		data, err := catalogFS.ReadFile("catalog/" + f.Name())
		if err != nil {
			t.Fatal(err)
		}
		var entries map[string]any
		if err := yaml.Unmarshal(data, &entries); err != nil {
			t.Fatalf("%s: %v", f.Name(), err)
		}
		for id := range defs {
			if _, ok := entries[id]; !ok {
				t.Errorf("%s: no text for message %q", f.Name(), id)
			}
		}
		ids := make([]string, 0, len(entries))
		for id := range entries {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			d, ok := defs[id]
			if !ok {
				t.Errorf("%s: %q is not declared in bot/msg", f.Name(), id)
				continue
			}
			forms := map[string]string{}
			switch v := entries[id].(type) {
			case string:
				forms["other"] = v
			case map[string]any:
				for k, s := range v {
					if k == "description" {
						continue
					}
					str, ok := s.(string)
					if !ok {
						t.Errorf("%s: %s.%s is not a string", f.Name(), id, k)
					}
					forms[k] = str
				}
			default:
				t.Errorf("%s: %s is neither a string nor plural forms", f.Name(), id)
			}
			hasCount := false
			for _, p := range d.params {
				hasCount = hasCount || p == pluralParam
			}
			if _, plural := forms["one"]; plural && !hasCount {
				t.Errorf("%s: %s has plural forms but no Count parameter", f.Name(), id)
			}
			if hasCount && f.Name() == "en.yaml" && (forms["one"] == "" || forms["other"] == "") {
				t.Errorf("%s: %s has a Count but not the forms one and other", f.Name(), id)
			}
			for form, src := range forms {
				for _, field := range fields(t, id, src) {
					if !contains(d.params, field) {
						t.Errorf("%s: %s (%s) uses {{.%s}}, not a parameter of it (%v)", f.Name(), id, form, field, d.params)
					}
				}
			}
		}
	}
	p := English()
	for _, d := range declared() {
		args := make([]any, len(d.types))
		for i, typ := range d.types {
			args[i] = reflect.Zero(typ).Interface()
		}
		if err := p.check(Message{d: d, args: args}); err != nil {
			t.Errorf("%s does not render: %v", d.id, err)
		}
	}
}

func fields(t *testing.T, id, src string) []string {
	t.Helper()
	tmpl, err := template.New(id).Parse(src)
	if err != nil {
		t.Errorf("%s: %v", id, err)
		return nil
	}
	var out []string
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n == nil {
				return
			}
			for _, c := range n.Cmds {
				walk(c)
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.FieldNode:
			out = append(out, n.Ident[0])
		case *parse.IfNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		case *parse.RangeNode:
			walk(n.Pipe)
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(tmpl.Tree.Root)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestListsAndPlurals(t *testing.T) {
	p := English()
	for _, tt := range []struct{ got, want string }{
		{p.ListStrings(nil), ""},
		{p.ListStrings([]string{"A"}), "A"},
		{p.ListStrings([]string{"A", "B"}), "A and B"},
		{p.ListStrings([]string{"A", "B", "C"}), "A, B and C"},
		{p.OrListStrings([]string{"A", "B"}), "A or B"},
		{p.OrListStrings([]string{"A", "B", "C"}), "A, B or C"},
		{p.Join([]string{"A", "B", "C"}), "A, B, C"},
		{p.Sprint(Ballots.With(1)), "1 ballot"},
		{p.Sprint(Ballots.With(2)), "2 ballots"},
		{Pseudo().ListStrings([]string{"A", "B", "C"}), "A⟦, ⟧B⟦ and ⟧C"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// TestPseudo: the pseudo printer brackets the catalog's text and leaves
// every parameter outside the brackets, as it is, so that a sentence
// passed in as a parameter shows up outside them; plural forms are still
// chosen by the count.
func TestPseudo(t *testing.T) {
	p := Pseudo()
	for _, tt := range []struct{ got, want string }{
		{p.Sprint(StatusConsensus.With()), "⟦consensus⟧"},
		{p.Sprint(Ballots.With(1)), "1⟦ ballot⟧"},
		{p.Sprint(Ballots.With(3)), "3⟦ ballots⟧"},
		{p.Sprint(GroupSupport.With("Civil society", "6/15")), "Civil society⟦ (⟧6/15⟦)⟧"},
		// A message parameter is rendered (and bracketed) by itself.
		{p.Sprint(StatusFragile.With(StatusConsensus.With())), "⟦consensus⟧⟦, fragile⟧"},
		// An empty parameter leaves nothing behind.
		{p.Sprint(Verdict.With("", "x", "y")), "⟦: ⟧x⟦: ⟧y"},
		// Text that looks like a placeholder is left as it is.
		{p.Sprint(Verdict.With("\U000F0000"+"7"+"\U000F0001", "x", "y")), "\U000F0000" + "7" + "\U000F0001⟦: ⟧x⟦: ⟧y"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
