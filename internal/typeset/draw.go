package typeset

import (
	ot "github.com/go-text/typesetting/font/opentype"

	"gonum.org/v1/plot/vg"
)

// appendOutline adds a glyph outline, in ems, to p: scaled to size points
// with its origin at (x, y). Each contour is closed, as fonts leave them
// implicitly closed.
func appendOutline(p *vg.Path, segs []ot.Segment, x, y, size float64) {
	pt := func(s ot.SegmentPoint) vg.Point {
		return vg.Point{X: vg.Length(x + float64(s.X)*size), Y: vg.Length(y + float64(s.Y)*size)}
	}
	open := false
	for _, s := range segs {
		switch s.Op {
		case ot.SegmentOpMoveTo:
			if open {
				p.Close()
			}
			p.Move(pt(s.Args[0]))
			open = true
		case ot.SegmentOpLineTo:
			p.Line(pt(s.Args[0]))
		case ot.SegmentOpQuadTo:
			p.QuadTo(pt(s.Args[0]), pt(s.Args[1]))
		case ot.SegmentOpCubeTo:
			p.CubeTo(pt(s.Args[0]), pt(s.Args[1]), pt(s.Args[2]))
		}
	}
	if open {
		p.Close()
	}
}
