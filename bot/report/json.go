package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"

	"github.com/pollbot/pollbot/polls"
)

// JSON writes r in the report's external shape (the JSON tags of
// polls.Report; docs/ARCHITECTURE.md, section 3), indented by two
// spaces: times in RFC 3339 UTC, every array present (empty, never null).
// A report with a non-finite number is an error rather than a document that
// some readers reject: JSON has no NaN.
func JSON(w io.Writer, r *polls.Report) error {
	if r == nil {
		return fmt.Errorf("export json: no report")
	}
	if err := finite(r); err != nil {
		return fmt.Errorf("export json: report of poll %s: %w", r.Poll.ID, err)
	}
	c := *r // shallow copy: r is never modified
	c.Poll.OpenedAt = c.Poll.OpenedAt.UTC()
	c.Poll.ClosedAt = c.Poll.ClosedAt.UTC()
	c.Groups = orEmpty(c.Groups)
	c.UnderRepresented = orEmpty(c.UnderRepresented)
	c.Absent = orEmpty(c.Absent)
	c.Themes = append([]polls.ThemeResult{}, c.Themes...)
	for i := range c.Themes {
		th := &c.Themes[i]
		th.Groups = orEmpty(th.Groups)
		th.Above, th.Below = orEmpty(th.Above), orEmpty(th.Below)
		th.ToEmerging, th.ToConsensus = orEmpty(th.ToEmerging), orEmpty(th.ToConsensus)
		th.SizeLimited = orEmpty(th.SizeLimited)
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
