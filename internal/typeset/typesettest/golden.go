// Package typesettest compares rendered images with golden files, for the
// tests of the packages that draw text. Goldens live under testdata/ and
// are rewritten by running the tests with -update.
package typesettest

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden images under testdata/")

// Tolerance is how far a pixel may stray from its golden before it counts
// as different: 24 of 255 in any channel absorbs the anti-aliasing noise of
// another CPU's floating point at glyph edges, and is far below what a
// missing, moved or mirrored glyph changes.
const Tolerance = 24

// MaxDifferent is the fraction of pixels that may differ beyond Tolerance.
const MaxDifferent = 0.001

// Golden compares img with the PNG at path, or writes it there under
// -update. On a mismatch it writes what was drawn to a temporary directory
// and names it, so a person can look at both.
func Golden(t testing.TB, path string, img image.Image) {
	t.Helper()
	var got bytes.Buffer
	if err := png.Encode(&got, img); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := readPNG(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if err := Compare(img, want); err != nil {
		// Not t.TempDir: it is removed when the test ends.
		drawn := "(could not be saved)"
		if dir, derr := os.MkdirTemp("", "golden-"); derr == nil {
			out := filepath.Join(dir, filepath.Base(path))
			if os.WriteFile(out, got.Bytes(), 0o644) == nil {
				drawn = out
			}
		}
		t.Errorf("%s: %v; drawn now: %s (if the change is right, rerun with -update and look at the image)", path, err, drawn)
	}
}

// Compare reports how got differs from want beyond Tolerance and
// MaxDifferent.
func Compare(got, want image.Image) error {
	if got.Bounds().Size() != want.Bounds().Size() {
		return fmt.Errorf("size %v, golden %v", got.Bounds().Size(), want.Bounds().Size())
	}
	gb, wb := got.Bounds(), want.Bounds()
	diff := 0
	for y := 0; y < gb.Dy(); y++ {
		for x := 0; x < gb.Dx(); x++ {
			r1, g1, b1, a1 := got.At(gb.Min.X+x, gb.Min.Y+y).RGBA()
			r2, g2, b2, a2 := want.At(wb.Min.X+x, wb.Min.Y+y).RGBA()
			if far(r1, r2) || far(g1, g2) || far(b1, b2) || far(a1, a2) {
				diff++
			}
		}
	}
	if n := gb.Dx() * gb.Dy(); float64(diff) > MaxDifferent*float64(n) {
		return fmt.Errorf("%d of %d pixels differ", diff, n)
	}
	return nil
}

func far(a, b uint32) bool {
	d := int(a>>8) - int(b>>8)
	return d > Tolerance || d < -Tolerance
}

func readPNG(path string) (image.Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return img, nil
}
