// Package msg is pollbot's message catalog: every sentence a person reads
// (chat replies, errors, help, announcements, reports in every format,
// chart captions, the shell's prompts) is a message here, keyed by an id,
// with typed parameters, its English text in catalog/en.yaml.
//
// A message is declared once, in Go, with the types of its parameters:
//
//	var PollClosed = Def1[string]("poll-closed", "Poll")
//
// and its text lives in the catalog, as a Go template over those names,
// with CLDR plural forms where a count decides the wording:
//
//	poll-closed: "Poll {{.Poll}} is closed."
//	ballots:
//	  one: "{{.Count}} ballot"
//	  other: "{{.Count}} ballots"
//
// Code builds a Message (PollClosed.With("K7QX")) and a Printer renders it
// in its language. TestCatalog checks that every declared message has its
// text and every text its declaration, with the same parameter names, so a
// new language is one catalog file (catalog/<lang>.yaml) and its test.
//
// The library is github.com/nicksnyder/go-i18n/v2: message files a
// translator can edit, CLDR plural rules for every language, templates for
// parameters, and no code generation step.
package msg

import (
	"embed"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed catalog/*.yaml
var catalogFS embed.FS

// Message is a sentence to show, with its parameters, in no language yet.
// The zero Message renders as the empty string.
type Message struct {
	d    *def
	args []any
}

// IsZero reports whether m is the zero Message.
func (m Message) IsZero() bool { return m.d == nil }

// ID is the message's id in the catalog.
func (m Message) ID() string {
	if m.d == nil {
		return ""
	}
	return m.d.id
}

type def struct {
	id     string
	params []string
	types  []reflect.Type
}

var (
	registryMu sync.Mutex
	registry   = map[string]*def{}
)

func define(id string, params []string, types ...reflect.Type) *def {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[id]; dup {
		panic("msg: message " + id + " declared twice")
	}
	d := &def{id: id, params: params, types: types}
	registry[id] = d
	return d
}

// pluralParam is the parameter whose value picks a plural form.
const pluralParam = "Count"

// Def0 is a message without parameters.
type Def0 struct{ d *def }

// Define declares a message without parameters.
func Define(id string) Def0 { return Def0{define(id, nil)} }

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

// With returns the message.
func (m Def0) With() Message { return Message{d: m.d} }

// Def1 is a message with one parameter.
type Def1[A any] struct{ d *def }

// Define1 declares a message with one parameter, named a.
func Define1[A any](id, a string) Def1[A] { return Def1[A]{define(id, []string{a}, typeOf[A]())} }

// With returns the message with its parameter.
func (m Def1[A]) With(a A) Message { return Message{d: m.d, args: []any{a}} }

// Def2 is a message with two parameters.
type Def2[A, B any] struct{ d *def }

// Define2 declares a message with two parameters, named a and b.
func Define2[A, B any](id, a, b string) Def2[A, B] {
	return Def2[A, B]{define(id, []string{a, b}, typeOf[A](), typeOf[B]())}
}

// With returns the message with its parameters.
func (m Def2[A, B]) With(a A, b B) Message { return Message{d: m.d, args: []any{a, b}} }

// Def3 is a message with three parameters.
type Def3[A, B, C any] struct{ d *def }

// Define3 declares a message with three parameters.
func Define3[A, B, C any](id, a, b, c string) Def3[A, B, C] {
	return Def3[A, B, C]{define(id, []string{a, b, c}, typeOf[A](), typeOf[B](), typeOf[C]())}
}

// With returns the message with its parameters.
func (m Def3[A, B, C]) With(a A, b B, c C) Message {
	return Message{d: m.d, args: []any{a, b, c}}
}

// Def4 is a message with four parameters.
type Def4[A, B, C, D any] struct{ d *def }

// Define4 declares a message with four parameters.
func Define4[A, B, C, D any](id, a, b, c, d string) Def4[A, B, C, D] {
	return Def4[A, B, C, D]{define(id, []string{a, b, c, d}, typeOf[A](), typeOf[B](), typeOf[C](), typeOf[D]())}
}

// With returns the message with its parameters.
func (m Def4[A, B, C, D]) With(a A, b B, c C, d D) Message {
	return Message{d: m.d, args: []any{a, b, c, d}}
}

// Def5 is a message with five parameters.
type Def5[A, B, C, D, E any] struct{ d *def }

// Define5 declares a message with five parameters.
func Define5[A, B, C, D, E any](id, a, b, c, d, e string) Def5[A, B, C, D, E] {
	return Def5[A, B, C, D, E]{define(id, []string{a, b, c, d, e}, typeOf[A](), typeOf[B](), typeOf[C](), typeOf[D](), typeOf[E]())}
}

// With returns the message with its parameters.
func (m Def5[A, B, C, D, E]) With(a A, b B, c C, d D, e E) Message {
	return Message{d: m.d, args: []any{a, b, c, d, e}}
}

// Printer renders messages in one language. It is safe for concurrent
// use.
type Printer struct {
	lang string
	loc  *i18n.Localizer
	wrap func(id, s string) string
}

var (
	bundleOnce sync.Once
	bundle     *i18n.Bundle
	bundleErr  error
)

// loadBundle reads every catalog file.
func loadBundle() (*i18n.Bundle, error) {
	bundleOnce.Do(func() {
		b := i18n.NewBundle(language.English)
		b.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
		files, err := catalogFS.ReadDir("catalog")
		if err != nil {
			bundleErr = err
			return
		}
		for _, f := range files {
			data, err := catalogFS.ReadFile("catalog/" + f.Name())
			if err != nil {
				bundleErr = err
				return
			}
			if _, err := b.ParseMessageFileBytes(data, f.Name()); err != nil {
				bundleErr = fmt.Errorf("catalog/%s: %w", f.Name(), err)
				return
			}
		}
		bundle = b
	})
	return bundle, bundleErr
}

// For returns the printer of a language ("en"); an unknown language falls
// back to English.
func For(lang string) *Printer {
	b, err := loadBundle()
	if err != nil {
		panic("msg: the embedded catalog does not load: " + err.Error())
	}
	return &Printer{lang: lang, loc: i18n.NewLocalizer(b, lang)}
}

var english = sync.OnceValue(func() *Printer { return For("en") })

// English is the printer of the only language pollbot speaks today.
func English() *Printer { return english() }

// Pseudo is English with every rendered message wrapped in ⟦ and ⟧: a
// test renders whole transcripts with it, and English outside brackets is
// a sentence that does not come from the catalog.
func Pseudo() *Printer {
	p := *English()
	p.wrap = func(_, s string) string { return "⟦" + s + "⟧" }
	return &p
}

// Lang is the printer's language.
func (p *Printer) Lang() string { return p.lang }

// Sprint renders m. A parameter that is itself a Message is rendered
// first, with this printer; a []Message becomes a list ("A, B and C").
func (p *Printer) Sprint(m Message) string {
	if m.d == nil {
		return ""
	}
	data := make(map[string]any, len(m.args))
	var count any
	for i, name := range m.d.params {
		v := m.args[i]
		switch v := v.(type) {
		case Message:
			data[name] = p.Sprint(v)
		case []Message:
			data[name] = p.List(v)
		default:
			data[name] = v
		}
		if name == pluralParam {
			count = v
		}
	}
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: m.d.id, TemplateData: data, PluralCount: count})
	if err != nil {
		// TestCatalog makes this unreachable for declared messages; a
		// reader still gets the id rather than nothing.
		s = m.d.id
	}
	if p.wrap != nil {
		s = p.wrap(m.d.id, s)
	}
	return s
}

// check renders m and reports a template or lookup error.
func (p *Printer) check(m Message) error {
	data := make(map[string]any, len(m.args))
	var count any
	for i, name := range m.d.params {
		data[name] = m.args[i]
		if name == pluralParam {
			count = m.args[i]
		}
	}
	_, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: m.d.id, TemplateData: data, PluralCount: count})
	return err
}

// Sprints renders each message.
func (p *Printer) Sprints(ms ...Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = p.Sprint(m)
	}
	return out
}

var (
	listTwo  = Define2[string, string]("list-two", "First", "Last")
	listMore = Define2[string, string]("list-more", "Init", "Last")
	listSep  = Define("list-separator")
)

// List joins items as the language does: "A", "A and B", "A, B and C".
func (p *Printer) List(items []Message) string {
	s := make([]string, len(items))
	for i, m := range items {
		s[i] = p.Sprint(m)
	}
	return p.ListStrings(s)
}

// ListStrings is List of strings already rendered (or written by people).
func (p *Printer) ListStrings(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return p.Sprint(listTwo.With(items[0], items[1]))
	}
	sep := p.Sprint(listSep.With())
	if p.wrap != nil {
		sep = strings.TrimSuffix(strings.TrimPrefix(sep, "⟦"), "⟧")
	}
	return p.Sprint(listMore.With(strings.Join(items[:len(items)-1], sep), items[len(items)-1]))
}

// declared returns every declared message, by id.
func declared() []*def {
	registryMu.Lock()
	defer registryMu.Unlock()
	out := make([]*def, 0, len(registry))
	for _, d := range registry {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}
