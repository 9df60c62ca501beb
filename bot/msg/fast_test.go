package msg

import (
	"reflect"
	"testing"

	"golang.org/x/text/language"
)

// sampleArgs gives a message's parameters values of their declared types:
// text with template-like and markup characters, integers, messages and
// lists.
func sampleArgs(d *def, variant int) []any {
	texts := []string{`DNS "abuse" & <BCP38> {{.Poll}} %s`, "", "ÄŸ حوكمة 👨‍👩‍👧"}
	args := make([]any, len(d.types))
	for i, typ := range d.types {
		v := reflect.New(typ).Elem()
		switch {
		case typ == reflect.TypeFor[Message]():
			v.Set(reflect.ValueOf(StatusConsensus.With()))
		case typ == reflect.TypeFor[[]Message]():
			v.Set(reflect.ValueOf([]Message{StatusConsensus.With(), StatusDivided.With(), StatusLow.With()}))
		case typ == reflect.TypeFor[OrList]():
			v.Set(reflect.ValueOf(OrList{"csv", "json", "md"}))
		case typ == reflect.TypeFor[Names]():
			v.Set(reflect.ValueOf(Names{"open", "vote"}))
		case typ.Kind() == reflect.String:
			s := texts[variant%len(texts)]
			if d.params[i] == pluralParam {
				counts := []string{"1", "2", "0", "1.5", "1.0", "21", "1,234", "-1", "0.10", "1e3", ""}
				s = counts[variant%len(counts)]
			}
			v.SetString(s)
		case v.CanInt():
			v.SetInt(int64([]int{1, 2, 0, 1234567, -1, 21}[variant%6]))
		case v.CanUint():
			v.SetUint(uint64(variant + 1))
		case v.CanFloat():
			v.SetFloat(float64(variant) + 0.5)
		}
		args[i] = v.Interface()
	}
	return args
}

// TestFastMatchesLibrary: every message, in every catalog language, reads
// the same through the spliced texts as through go-i18n's templates, and
// most messages take the spliced way (so the test notices it breaking).
func TestFastMatchesLibrary(t *testing.T) {
	if _, err := loadBundle(); err != nil {
		t.Fatal(err)
	}
	for tag := range catalogFiles {
		p := For(tag.String())
		slow := *p
		slow.fast = nil
		fast := 0
		defs := declared()
		for _, d := range defs {
			if p.fastText(d.id) != nil {
				fast++
			}
			for variant := range 11 {
				m := Message{d: d, args: sampleArgs(d, variant)}
				if got, want := p.Sprint(m), slow.Sprint(m); got != want {
					t.Errorf("%s %s %v:\nspliced  %q\ngo-i18n  %q", tag, d.id, m.args, got, want)
				}
			}
		}
		if fast < len(defs)*3/4 {
			t.Errorf("%s: only %d of %d messages are spliced", tag, fast, len(defs))
		}
		t.Logf("%s: %d of %d messages spliced", tag, fast, len(defs))
	}
	if len(catalogFiles) == 0 || catalogFiles[language.English] == nil {
		t.Fatal("no English catalog file read")
	}
}

func BenchmarkSprint(b *testing.B) {
	p := English()
	slow := *p
	slow.fast = nil
	m := Verdict.With("DNS abuse", English().Sprint(StatusDivided.With()), "Civil society alone is below 50% (6/15)")
	b.Run("go-i18n", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = slow.Sprint(m)
		}
	})
	b.Run("spliced", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = p.Sprint(m)
		}
	})
}
