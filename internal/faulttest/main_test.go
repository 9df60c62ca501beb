package faulttest

import (
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pollbot/pollbot/internal/redistest"
)

// pollbotBin is the pollbot binary TestMain built; empty when the suite
// does not run (-short, or Redis missing and not required).
var pollbotBin string

// envRace, set to 1, builds the pollbot under test with the race detector
// (when the tests themselves run with -race). It is off by default: a cold
// race build of the whole binary takes minutes on a small machine.
const envRace = "POLLBOT_FAULTTEST_RACE"

// envBin names a pollbot binary to test instead of building one (a
// release build, or an older commit's, to see a scenario fail).
const envBin = "POLLBOT_FAULTTEST_BIN"

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	_, errRedis := exec.LookPath("redis-server")
	if testing.Short() || (errRedis != nil && os.Getenv(redistest.EnvRequire) != "required") {
		// Every test skips (see needSuite); nothing to build.
		return m.Run()
	}
	if bin := os.Getenv(envBin); bin != "" {
		pollbotBin = bin
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "pollbot-faulttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "pollbot")
	goTool, err := exec.LookPath("go")
	if err != nil {
		fmt.Fprintln(os.Stderr, "faulttest: the go command is not on PATH; it builds the pollbot under test")
		return 1
	}
	args := []string{"build", "-o", bin}
	if raceEnabled && os.Getenv(envRace) == "1" {
		args = append(args, "-race")
	}
	args = append(args, "github.com/pollbot/pollbot/cmd/pollbot")
	cmd := exec.Command(goTool, args...)
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "faulttest: go %v: %v\n%s", args, err, out)
		return 1
	}
	pollbotBin = bin
	return m.Run()
}

// needSuite skips a scenario in -short mode and when Redis is missing (a
// failure when POLLBOT_TEST_REDIS=required), like internal/redistest.
func needSuite(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("fault suite: starts real Redis and pollbot processes; skipped with -short")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		redistest.Check(t, fmt.Errorf("faulttest: redis-server %w", redistest.ErrNotInstalled))
	}
	if _, err := exec.LookPath("redis-cli"); err != nil {
		redistest.Check(t, fmt.Errorf("faulttest: redis-cli %w", redistest.ErrNotInstalled))
	}
	if pollbotBin == "" {
		t.Fatal("faulttest: the pollbot binary was not built")
	}
	trackSources.Do(openSources)
}

var trackSources sync.Once

// openSources opens (and closes) every non-test Go file of the module, and
// the binary under test. go test caches a package's test result until its
// test binary, or a file a test opened, changes; the pollbot these tests
// run is not part of their binary, so without this a change to pollbot
// would be answered by a cached result of the old one.
func openSources() {
	touch := func(path string) {
		if f, err := os.Open(path); err == nil {
			f.Close()
		}
	}
	if os.Getenv(envBin) != "" {
		touch(pollbotBin)
		return
	}
	dir, err := os.Getwd()
	if err != nil {
		return
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return
		}
		dir = parent
	}
	touch(filepath.Join(dir, "go.mod"))
	touch(filepath.Join(dir, "go.sum"))
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		name := d.Name()
		if d.IsDir() {
			if path != dir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			touch(path)
		}
		return nil
	})
}
