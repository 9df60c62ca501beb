package jsonfast

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/valyala/fastjson"
)

// thing is a struct read both ways below.
type thing struct {
	Name  string   `json:"name"`
	Kind  uint8    `json:"kind"`
	On    bool     `json:"on"`
	Tags  []string `json:"tags"`
	Inner struct {
		ID string `json:"id"`
	} `json:"inner"`
}

func fast(t *testing.T, data string) (th thing, ok bool) {
	t.Helper()
	r := Reader{OK: true}
	parsed := Parse([]byte(data), func(v *fastjson.Value) {
		r.Object(v, func(key []byte, v *fastjson.Value) {
			switch r.Field(key, "name", "kind", "on", "tags", "inner") {
			case 0:
				th.Name = r.Str(v)
			case 1:
				th.Kind = uint8(r.Uint(v, 8))
			case 2:
				th.On = r.Bool(v)
			case 3:
				th.Tags = r.Strs(v)
			case 4:
				r.Object(v, func(key []byte, v *fastjson.Value) {
					if r.Field(key, "id") == 0 {
						th.Inner.ID = r.Str(v)
					}
				})
			}
		})
	})
	return th, parsed && r.OK
}

// TestReader: what the Reader reads it reads as encoding/json does, and
// it declines exactly the cases where the two could differ.
func TestReader(t *testing.T) {
	for _, tc := range []struct {
		data string
		ok   bool
	}{
		{`{"name":"a","kind":3,"on":true,"tags":["x",null],"inner":{"id":"i"},"other":[1,{"name":5}]}`, true},
		{`{"name":null,"kind":null,"on":null,"tags":null,"inner":null}`, true},
		{`{"tags":[],"name":"\u00e9\ud83d\ude00 \/"}`, true},
		{`{"name":"a","name":"b"}`, false},
		{`{"Name":"a"}`, false},
		{`{"inner":{"id":"a","ID":"b"}}`, false},
		{`{"kind":3.0}`, false},
		{`{"kind":256}`, false},
		{`{"kind":-1}`, false},
		{`{"kind":"3"}`, false},
		{`{"on":"true"}`, false},
		{`{"on":1}`, false},
		{`{"tags":"x"}`, false},
		{`{"tags":[1]}`, false},
		{`{"inner":[]}`, false},
		{`{"name":"\ud800"}`, false},
		{`{"name":"\uFFFD"}`, false},
		{"{\"name\":\"\xff\"}", false},
		{`{"name":"a\\b"}`, false},
		{`[]`, false},
		{`{`, false},
	} {
		got, ok := fast(t, tc.data)
		if ok != tc.ok {
			t.Errorf("%s: ok %v, want %v", tc.data, ok, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		var want thing
		if err := json.Unmarshal([]byte(tc.data), &want); err != nil {
			t.Fatalf("%s: encoding/json: %v", tc.data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: read %+v, encoding/json reads %+v", tc.data, got, want)
		}
	}
}

// FuzzReader: wherever the Reader reads valid JSON, encoding/json reads
// the same.
//
//	go test -run '^$' -fuzz='^FuzzReader$' -fuzztime=1m ./internal/jsonfast
func FuzzReader(f *testing.F) {
	f.Add(`{"name":"a","kind":3,"on":true,"tags":["x",null],"inner":{"id":"i"}}`)
	f.Add(`{"NAME":"a","kind":1e1}`)
	f.Fuzz(func(t *testing.T, data string) {
		got, ok := fast(t, data)
		if !ok || !json.Valid([]byte(data)) {
			return
		}
		var want thing
		if err := json.Unmarshal([]byte(data), &want); err != nil {
			t.Fatalf("%q: the Reader read it, encoding/json fails: %v", data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: read %+v, encoding/json reads %+v", data, got, want)
		}
	})
}
