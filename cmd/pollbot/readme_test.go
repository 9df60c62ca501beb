package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// readmeDemo is the demo excerpt of README.md: the fenced block that starts
// with the demo's first line.
func readmeDemo(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	const first = "```\npollbot demo: "
	i := strings.Index(string(data), first)
	if i < 0 {
		t.Fatal("README.md has no demo excerpt (a block starting \"pollbot demo: \")")
	}
	block := string(data)[i+len("```\n"):]
	block = block[:strings.Index(block, "\n```")]
	return strings.Split(block, "\n")
}

var (
	// pollIDs are poll ids, which differ per run.
	pollIDs = regexp.MustCompile(`\b[2-9A-HJ-NP-Z]{4}\b`)
	// fileSizes are file sizes, which the chart's fonts may change.
	fileSizes = regexp.MustCompile(`\b\d+(\.\d+)? (B|KB)\b`)
)

func normalizeDemoLine(line string) string {
	line = pollIDs.ReplaceAllString(line, "ID")
	line = fileSizes.ReplaceAllString(line, "SIZE")
	return strings.TrimRight(line, " ")
}

// TestReadmeDemo: the demo excerpt in README.md is what the demo prints.
// Every line of it but "…" (which stands for lines left out) is a line of
// the demo's output, in the same order; poll ids and file sizes, which
// differ from run to run, are set aside.
func TestReadmeDemo(t *testing.T) {
	excerpt := readmeDemo(t)
	t.Chdir(t.TempDir()) // the demo writes to ./pollbot-demo, as in the README
	code, stdout, stderr := runCmd(t, map[string]string{"POLLBOT_LOG_LEVEL": "warn"}, "", "demo")
	if code != 0 {
		t.Fatalf("demo exited %d\n%s", code, stderr)
	}
	out := strings.Split(stdout, "\n")
	next := 0
	for _, line := range excerpt {
		if strings.TrimSpace(line) == "…" {
			continue
		}
		want := normalizeDemoLine(line)
		found := false
		for ; next < len(out); next++ {
			if normalizeDemoLine(out[next]) == want {
				found, next = true, next+1
				break
			}
		}
		if !found {
			t.Fatalf("README.md's demo excerpt has a line the demo does not print (or not in this order):\n  %s\nThe demo printed:\n%s", line, stdout)
		}
	}
}
