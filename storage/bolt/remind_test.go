package boltstore

import (
	"errors"
	"slices"
	"testing"
)

// FuzzDecodeSchedule: no stored value makes decodeSchedule panic; what it
// refuses is errCorrupt; what it accepts has its times in ascending order
// and encodes back to the very bytes it was read from.
//
//	go test -run '^$' -fuzz=FuzzDecodeSchedule -fuzztime=1m ./storage/bolt
func FuzzDecodeSchedule(f *testing.F) {
	for _, sc := range []schedule{
		{},
		{closes: 1764601445006, at: []int64{1764515045006, 1764597845006}},
		{closes: 1764601445006, at: []int64{1764597845006}, claimed: 1764597845006, lease: 1764597875006},
		{closes: -5, at: []int64{-10, -7}},
	} {
		f.Add(sc.encode())
	}
	f.Add([]byte{})
	f.Add([]byte{2, 0, 0, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 2, 4, 2}) // times out of order
	f.Fuzz(func(t *testing.T, b []byte) {
		sc, err := decodeSchedule(b)
		if err != nil {
			if !errors.Is(err, errCorrupt) {
				t.Fatalf("decodeSchedule(%x): %v, want errCorrupt", b, err)
			}
			return
		}
		if !slices.IsSorted(sc.at) || len(slices.Compact(slices.Clone(sc.at))) != len(sc.at) {
			t.Fatalf("decodeSchedule(%x): times %v not strictly ascending", b, sc.at)
		}
		if again := sc.encode(); string(again) != string(b) {
			t.Fatalf("decodeSchedule(%x) = %+v, which encodes to %x", b, sc, again)
		}
	})
}
