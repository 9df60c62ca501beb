package screen

import (
	"bytes"
	"fmt"
	"text/template"

	"github.com/pollbot/pollbot/bot/report/chart"
	"github.com/pollbot/pollbot/polls"
)

// statuses are every theme status, in the order the palette lists them.
var statuses = []polls.ThemeStatus{polls.Consensus, polls.Emerging, polls.Divided, polls.Low, polls.Insufficient}

type statusStyle struct {
	Status          polls.ThemeStatus
	Fill, Ink, Edge string
}

// stylesheet is assets/screen.css with the report palette's status colours
// written in, so that a badge on the screen has the colours it has on the
// chart.
func stylesheet() ([]byte, error) {
	t, err := template.ParseFS(files, "assets/screen.css")
	if err != nil {
		return nil, fmt.Errorf("screen: stylesheet: %w", err)
	}
	var styles []statusStyle
	for _, st := range statuses {
		fill, ink, edge := chart.StatusColors(st)
		styles = append(styles, statusStyle{Status: st, Fill: chart.Hex(fill), Ink: chart.Hex(ink), Edge: chart.Hex(edge)})
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, styles); err != nil {
		return nil, fmt.Errorf("screen: stylesheet: %w", err)
	}
	return buf.Bytes(), nil
}
