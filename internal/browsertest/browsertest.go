// Package browsertest runs a real, headless Chromium for tests of the pages
// pollbot serves (the live screen), driven through the DevTools protocol
// with github.com/chromedp/chromedp.
//
// Tests skip when no Chromium is installed, unless the environment says
// POLLBOT_TEST_BROWSER=required (CI), in which case they fail. On Debian
// the browser is the chromium package (/usr/bin/chromium).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// EnvRequire is the environment variable that turns a missing browser from
// a skip into a failure when set to "required".
const EnvRequire = "POLLBOT_TEST_BROWSER"

// Browser is a headless Chromium tab for one test, with every message the
// page wrote to its console kept.
type Browser struct {
	// Ctx is the tab's chromedp context, for chromedp.Run and Do.
	Ctx context.Context

	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// find returns the path of an installed Chromium.
func find() (string, bool) {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Start starts a Chromium with a fresh profile and a 1600 x 1000 window
// and returns its tab; the browser is stopped when the test ends. It skips
// the test when no Chromium is installed (fails when EnvRequire says it is
// required).
func Start(t testing.TB) *Browser {
	t.Helper()
	path, ok := find()
	if !ok {
		if os.Getenv(EnvRequire) == "required" {
			t.Fatalf("no chromium on PATH, and %s=required (apt-get install chromium)", EnvRequire)
		}
		t.Skipf("no chromium on PATH (apt-get install chromium; set %s=required to make its absence a failure)", EnvRequire)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1600, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	b := &Browser{Ctx: ctx}
	// The first call starts the browser and opens the tab; from then on
	// every console message is kept.
	messages := chromedp.Console(ctx)
	var started sync.WaitGroup
	started.Add(1)
	go func() {
		started.Done()
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	started.Wait()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1600, 1000)); err != nil {
		t.Fatalf("start chromium (%s): %v", path, err)
	}
	return b
}

// Errors returns the errors and exceptions the page has written to its
// console since the last call of ClearConsole, failed loads included.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			out = append(out, fmt.Sprintf("%s (%s:%d)", m.Text, m.URL, m.Line))
		}
	}
	return out
}

// ClearConsole forgets the messages kept so far.
func (b *Browser) ClearConsole() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.console = nil
}

// ColorScheme makes the page see prefers-color-scheme as scheme ("light"
// or "dark").
func (b *Browser) ColorScheme(scheme string) error {
	_, err := chromedp.Call(b.Ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	return err
}

// Screenshot writes a PNG of the whole page to testdata/out/name (made if
// needed) and returns its path, for a person to look at.
func (b *Browser) Screenshot(t testing.TB, name string) string {
	t.Helper()
	png, err := chromedp.Run(b.Ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := filepath.Join("testdata", "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// Contrast is the script that measures the WCAG contrast of the text of
// every element matching a selector against the background it is drawn
// on (the nearest ancestor's opaque background colour). It returns the
// failures: text below 4.5:1, or below 3:1 when the text is large (at
// least 24px, or 18.66px bold), as "selector: text: ratio".
const Contrast = `(() => {
  const lum = (c) => {
    const m = c.match(/rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?/);
    if (!m) return null;
    const ch = [m[1], m[2], m[3]].map((v) => { v = Number(v) / 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return { l: 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2], a: m[4] === undefined ? 1 : Number(m[4]) };
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const b = lum(getComputedStyle(e).backgroundColor);
      if (b && b.a > 0.99) return b.l;
    }
    return lum(getComputedStyle(document.documentElement).backgroundColor).l;
  };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg, .sr-only, script')) continue;
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own) continue;
    const st = getComputedStyle(el);
    const fg = lum(st.color);
    const bg = background(el);
    const ratio = (Math.max(fg.l, bg) + 0.05) / (Math.min(fg.l, bg) + 0.05);
    const size = parseFloat(st.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(st.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) out.push(el.tagName.toLowerCase() + '.' + el.className + ': ' + el.textContent.trim().slice(0, 40) + ': ' + ratio.toFixed(2));
  }
  return out;
})()`

// Text returns the trimmed text of the first element matching the CSS
// selector, or "" when there is none.
func (b *Browser) Text(selector string) (string, error) {
	s, err := chromedp.Run(b.Ctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q) || {textContent: ""}).textContent`, selector)))
	return strings.TrimSpace(s), err
}
