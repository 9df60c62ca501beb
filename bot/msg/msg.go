// Package msg is pollbot's message catalog: every sentence a person reads
// (chat replies, errors, help, announcements, reports in every format,
// chart captions, the shell's prompts) is a message here, keyed by an id,
// with typed parameters, its English text in catalog/en.yaml.
//
// A message is declared once, in Go, with the types of its parameters:
//
//	var PollClosed = Define1[string]("poll-closed", "Poll")
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
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

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

// pluralParam is the parameter whose value picks a plural form: an
// integer, or a number formatted as a string ("1", "4.5"), as CLDR's
// plural rules read it.
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
	lang   string
	loc    *i18n.Localizer
	pseudo bool
	fast   fastTable // see fast.go; a message not in it goes through loc
}

var (
	bundleOnce sync.Once
	bundle     *i18n.Bundle
	bundleErr  error
	// catalogFiles holds each catalog file's messages, as the bundle
	// parsed them, by language, for fast.go.
	catalogFiles = map[language.Tag][]*i18n.Message{}
	fastOnce     = sync.OnceValue(func() map[language.Tag]fastTable { return fastTables(catalogFiles) })
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
			mf, err := b.ParseMessageFileBytes(data, f.Name())
			if err != nil {
				bundleErr = fmt.Errorf("catalog/%s: %w", f.Name(), err)
				return
			}
			catalogFiles[mf.Tag] = mf.Messages
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
	// Every message is declared by now: all are package variables here.
	return &Printer{lang: lang, loc: i18n.NewLocalizer(b, lang), fast: fastOnce()[language.Make(lang)]}
}

// fastText returns the spliced text of a message in p's language, if it
// has one.
func (p *Printer) fastText(id string) *fastText {
	if p.pseudo {
		return nil
	}
	return p.fast[id]
}

var english = sync.OnceValue(func() *Printer { return For("en") })

// English is the printer of the only language pollbot speaks today.
func English() *Printer { return english() }

// Pseudo is English with the catalog's own text marked: every run of a
// message's text between its parameters is wrapped in ⟦ and ⟧, while the
// parameters (ids, numbers, text people wrote, messages rendered before)
// stay outside the brackets, as they are. A test renders whole replies
// with it and removes the brackets (see msgtest.Unwrapped): English left
// over is a sentence that does not come from the catalog, even one passed
// into a message as a parameter.
func Pseudo() *Printer {
	p := *English()
	p.pseudo = true
	return &p
}

// Lang is the printer's language.
func (p *Printer) Lang() string { return p.lang }

// OrList is a parameter of alternatives, which a printer joins as its
// language does: "csv, json or md".
type OrList []string

// Names is a parameter of names to choose from, which a printer joins
// with its language's list separator alone: "open, vote, report" (see
// Join).
type Names []string

// Sprint renders m. A parameter that is itself a Message is rendered
// first, with this printer; a []Message becomes a list ("A, B and C"),
// an OrList alternatives ("A, B or C") and Names an enumeration ("A, B,
// C").
func (p *Printer) Sprint(m Message) string {
	if m.d == nil {
		return ""
	}
	if f := p.fastText(m.d.id); f != nil {
		values, copied := m.args, false
		for i, v := range m.args {
			if r, ok := p.param(v); ok {
				if !copied {
					values, copied = append([]any(nil), m.args...), true
				}
				values[i] = r
			}
		}
		if t := f.text(values); t != nil {
			if s, ok := t.render(values); ok {
				return s
			}
		}
	}
	data := make(map[string]any, len(m.args))
	var count any
	var params []string // the pseudo printer's parameters, as text
	for i, name := range m.d.params {
		v := m.args[i]
		if r, ok := p.param(v); ok {
			v = r
		}
		if name == pluralParam {
			count = v
		}
		if p.pseudo {
			// Templates print a parameter as fmt.Sprint does.
			if s := fmt.Sprint(v); s != "" {
				v = placeholder(len(params))
				params = append(params, s)
			}
		}
		data[name] = v
	}
	s, err := p.loc.Localize(&i18n.LocalizeConfig{MessageID: m.d.id, TemplateData: data, PluralCount: count})
	if err != nil {
		// TestCatalog makes this unreachable for declared messages; a
		// reader still gets the id rather than nothing.
		s = m.d.id
	}
	if p.pseudo {
		s = bracket(s, params)
	}
	return s
}

// param renders a parameter that is itself a message or a list of
// them; ok is false for any other value, which is printed as it is.
func (p *Printer) param(v any) (string, bool) {
	switch mv := v.(type) {
	case Message:
		return p.Sprint(mv), true
	case []Message:
		return p.List(mv), true
	case OrList:
		return p.OrListStrings(mv), true
	case Names:
		return p.Join(mv), true
	}
	return "", false
}

// The pseudo printer renders a message with each parameter replaced by a
// placeholder (two private-use code points around its index), so
// that the text the catalog wrote can be told from the parameters.
const (
	placeOpen  = '\U000F0000'
	placeClose = '\U000F0001'
)

func placeholder(i int) string {
	return string(placeOpen) + strconv.Itoa(i) + string(placeClose)
}

// bracket wraps each run of the catalog's text in s in ⟦ ⟧ and puts the
// parameters back in place of their placeholders.
func bracket(s string, params []string) string {
	var b strings.Builder
	text := func(t string) {
		if t != "" {
			b.WriteString("⟦" + t + "⟧")
		}
	}
	for {
		i := strings.IndexRune(s, placeOpen)
		if i < 0 {
			text(s)
			return b.String()
		}
		text(s[:i])
		s = s[i+utf8.RuneLen(placeOpen):]
		j := strings.IndexRune(s, placeClose)
		n, err := strconv.Atoi(s[:max(j, 0)])
		if j < 0 || err != nil || n >= len(params) {
			// Not a placeholder this printer made: catalog text.
			b.WriteRune(placeOpen)
			continue
		}
		b.WriteString(params[n])
		s = s[j+utf8.RuneLen(placeClose):]
	}
}

// check renders m and reports a template or lookup error.
func (p *Printer) check(m Message) error {
	data := make(map[string]any, len(m.args))
	var count any
	for i, name := range m.d.params {
		data[name] = m.args[i]
		if name == pluralParam {
			count = m.args[i]
			if count == "" {
				count = "0" // a number formatted by numfmt is never empty
			}
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
	return p.list(items, listTwo, listMore)
}

var (
	orTwo  = Define2[string, string]("list-or-two", "First", "Last")
	orMore = Define2[string, string]("list-or-more", "Init", "Last")
)

// OrListStrings joins alternatives as the language does: "A", "A or B",
// "A, B or C".
func (p *Printer) OrListStrings(items []string) string {
	return p.list(items, orTwo, orMore)
}

// Join joins items with the language's list separator alone, "A, B, C":
// for enumerations that are not a sentence's list, such as the names to
// choose from.
func (p *Printer) Join(items []string) string {
	return strings.Join(items, p.Sprint(listSep.With()))
}

func (p *Printer) list(items []string, two, more Def2[string, string]) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	case 2:
		return p.Sprint(two.With(items[0], items[1]))
	}
	return p.Sprint(more.With(p.Join(items[:len(items)-1]), items[len(items)-1]))
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
