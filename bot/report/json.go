package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/pollbot/pollbot/polls"
)

// JSON is ReportJSON with the default groups' labels.
func JSON(w io.Writer, r *polls.Report) error { return ReportJSON(w, r, nil) }

// ReportJSON writes r in the report's external shape (the JSON tags of
// polls.Report; docs/ARCHITECTURE.md, section 3), indented by two spaces: times in RFC 3339 UTC, every array
// present (empty, never null). It adds what a reader would otherwise look
// up: each theme's "number", its 1-based position in the poll (what votes
// name it by), and each group's "label" from groups (nil: the defaults),
// in the report's groups and in every theme's. A report with a non-finite
// number is an error rather than a document that some readers reject: JSON
// has no NaN.
func ReportJSON(w io.Writer, r *polls.Report, groups *polls.Groups) error {
	if r == nil {
		return fmt.Errorf("export json: no report")
	}
	if err := finite(r); err != nil {
		return fmt.Errorf("export json: report of poll %s: %w", r.Poll.ID, err)
	}
	if groups == nil {
		groups = polls.MustGroups(polls.DefaultGroups)
	}
	label := func(g polls.Group) string { return groups.Info(g).Label }
	c := jsonReport{Report: *r} // shallow copy: r is never modified
	c.Poll.OpenedAt = c.Poll.OpenedAt.UTC()
	c.Poll.ClosedAt = c.Poll.ClosedAt.UTC()
	c.Groups = make([]jsonTurnout, len(r.Groups))
	for i, g := range r.Groups {
		c.Groups[i] = jsonTurnout{GroupTurnout: g, Label: label(g.Group)}
	}
	c.UnderRepresented = orEmpty(r.UnderRepresented)
	c.Absent = orEmpty(r.Absent)
	c.Held = r.Held
	c.Themes = make([]jsonTheme, len(r.Themes))
	for i, t := range r.Themes {
		th := jsonTheme{Number: t.Index + 1, ThemeResult: t}
		th.Groups = make([]jsonSupport, len(t.Groups))
		for j, gs := range t.Groups {
			th.Groups[j] = jsonSupport{GroupSupport: gs, Label: label(gs.Group)}
		}
		th.Above, th.Below = orEmpty(th.Above), orEmpty(th.Below)
		th.ToEmerging, th.ToConsensus = orEmpty(th.ToEmerging), orEmpty(th.ToConsensus)
		th.SizeLimited = orEmpty(th.SizeLimited)
		c.Themes[i] = th
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Labels such as "R&D <youth>" stay readable; the document is a file,
	// not HTML.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return fmt.Errorf("export json: %w", err)
	}
	return nil
}

// jsonReport is polls.Report with labels and theme numbers. The fields
// from Groups on are restated so that they keep their place after the
// report's other fields (outer fields are written after embedded ones).
type jsonReport struct {
	polls.Report
	Groups           []jsonTurnout `json:"groups"`
	UnderRepresented []polls.Group `json:"under_represented"`
	Absent           []polls.Group `json:"absent"`
	Held             int64         `json:"held"`
	Themes           []jsonTheme   `json:"themes"`
}

type jsonTurnout struct {
	polls.GroupTurnout
	Label string `json:"label"`
}

type jsonTheme struct {
	Number int `json:"number"` // 1-based position in the poll
	polls.ThemeResult
	Groups []jsonSupport `json:"groups"`
}

type jsonSupport struct {
	polls.GroupSupport
	Label string `json:"label"`
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func finite(r *polls.Report) error {
	type field struct {
		name string
		v    float64
	}
	first := func(fs ...field) (field, bool) {
		for _, f := range fs {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
				return f, true
			}
		}
		return field{}, false
	}
	if f, bad := first(field{"threshold", r.Threshold}); bad {
		return fmt.Errorf("%s is %v", f.name, f.v)
	}
	for _, t := range r.Themes {
		if f, bad := first(field{"score", t.Score}, field{"equal", t.Equal}, field{"overall", t.Overall}, field{"spread", t.Spread}); bad {
			return fmt.Errorf("theme %q: %s is %v", t.Theme, f.name, f.v)
		}
		for _, g := range t.Groups {
			if f, bad := first(field{"supporters", g.Supporters}, field{"support", g.Support}, field{"lower", g.Lower}); bad {
				return fmt.Errorf("theme %q, group %s: %s is %v", t.Theme, g.Group, f.name, f.v)
			}
		}
	}
	return nil
}
