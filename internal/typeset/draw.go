package typeset

import (
	ot "github.com/go-text/typesetting/font/opentype"

	"gonum.org/v1/plot/vg"
)

// pathBuilder appends glyph outlines to one path. A chart draws thousands
// of curves, so the path and the curves' control points are allocated once
// for a line, rather than an allocation for each curve as vg.Path.QuadTo
// and CubeTo would make.
type pathBuilder struct {
	path         vg.Path
	ctrl         []vg.Point
	comps, ctrls int // reserved
}

// reserve counts the room segs will take; alloc then makes it.
func (b *pathBuilder) reserve(segs []ot.Segment) {
	for _, s := range segs {
		b.comps++
		switch s.Op {
		case ot.SegmentOpMoveTo:
			b.comps++ // the Close of the contour before, or of the last
		case ot.SegmentOpQuadTo:
			b.ctrls++
		case ot.SegmentOpCubeTo:
			b.ctrls += 2
		}
	}
}

func (b *pathBuilder) alloc() {
	b.path = make(vg.Path, 0, b.comps)
	b.ctrl = make([]vg.Point, 0, b.ctrls)
}

// add appends a glyph outline, in ems, scaled to size points with its
// origin at (x, y). Each contour is closed, as fonts leave them implicitly
// closed.
func (b *pathBuilder) add(segs []ot.Segment, x, y, size float64) {
	pt := func(s ot.SegmentPoint) vg.Point {
		return vg.Point{X: vg.Length(x + float64(s.X)*size), Y: vg.Length(y + float64(s.Y)*size)}
	}
	curve := func(end ot.SegmentPoint, ctrl ...ot.SegmentPoint) {
		i := len(b.ctrl)
		for _, c := range ctrl {
			b.ctrl = append(b.ctrl, pt(c))
		}
		b.path = append(b.path, vg.PathComp{Type: vg.CurveComp, Pos: pt(end), Control: b.ctrl[i:len(b.ctrl):len(b.ctrl)]})
	}
	open := false
	for _, s := range segs {
		switch s.Op {
		case ot.SegmentOpMoveTo:
			if open {
				b.path.Close()
			}
			b.path.Move(pt(s.Args[0]))
			open = true
		case ot.SegmentOpLineTo:
			b.path.Line(pt(s.Args[0]))
		case ot.SegmentOpQuadTo:
			curve(s.Args[1], s.Args[0])
		case ot.SegmentOpCubeTo:
			curve(s.Args[2], s.Args[0], s.Args[1])
		}
	}
	if open {
		b.path.Close()
	}
}
