package slack

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzAppendFormValue holds appendFormValue to what net/http gives a
// handler for the same body: url.ParseQuery's error, and the first value
// of the field.
//
//	go test -run '^$' -fuzz='^FuzzAppendFormValue$' -fuzztime=1m ./bot/slack
func FuzzAppendFormValue(f *testing.F) {
	for _, seed := range []struct{ body, key string }{
		{"payload=%7B%22type%22%3A%22block_actions%22%7D", "payload"},
		{"payload=a+b&payload=c", "payload"},
		{"pay%6Coad=x", "payload"},
		{"payload=%zz", "payload"},
		{"a=1;b=2&payload=x", "payload"},
		{"payload=x&bad=%4", "payload"},
		{"&&payload=&", "payload"},
		{"payload", "payload"},
		{"=x&payload=%2B%25", "payload"},
		{"pay+load=x&pay load=y", "pay load"},
		{"%=x", ""},
	} {
		f.Add(seed.body, seed.key)
	}
	f.Fuzz(func(t *testing.T, body, key string) {
		form, wantErr := url.ParseQuery(body)
		prefix := []byte("kept")
		got, found, err := appendFormValue(prefix, []byte(body), key)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("body %q: error %v, url.ParseQuery's %v", body, err, wantErr)
		}
		if string(got[:len(prefix)]) != "kept" {
			t.Fatalf("body %q: the bytes before the value changed: %q", body, got)
		}
		if err != nil {
			if len(got) != len(prefix) || found {
				t.Fatalf("body %q: %q (found %v) with an error", body, got, found)
			}
			return
		}
		vals, ok := form[key]
		if found != ok || (ok && string(got[len(prefix):]) != vals[0]) {
			t.Fatalf("body %q key %q: %q (found %v), url.ParseQuery's %q", body, key, got[len(prefix):], found, vals)
		}
	})
}

func TestAppendFormValueFieldLimit(t *testing.T) {
	body := strings.Repeat("a=1&", maxFormFields-1) + "payload=x"
	if _, _, err := appendFormValue(nil, []byte(body), "payload"); err != nil {
		t.Fatalf("%d fields: %v", maxFormFields, err)
	}
	if _, err := url.ParseQuery(body); err != nil {
		t.Fatalf("url.ParseQuery, %d fields: %v", maxFormFields, err)
	}
	body = "a=1&" + body
	_, _, err := appendFormValue(nil, []byte(body), "payload")
	if _, want := url.ParseQuery(body); err == nil || want == nil {
		t.Fatalf("%d fields: error %v, url.ParseQuery's %v", maxFormFields+1, err, want)
	}
}

func TestFormContent(t *testing.T) {
	for _, c := range []struct {
		ct         string
		form, fail bool
	}{
		{"application/x-www-form-urlencoded", true, false},
		{"application/x-www-form-urlencoded; charset=utf-8", true, false},
		{"Application/X-WWW-Form-Urlencoded", true, false},
		{"", false, false},
		{"application/json", false, false},
		{"application/x-www-form-urlencoded; =", false, true},
	} {
		form, err := formContent(c.ct)
		if form != c.form || (err != nil) != c.fail {
			t.Errorf("formContent(%q) = %v, %v; want %v, error %v", c.ct, form, err, c.form, c.fail)
		}
	}
}
