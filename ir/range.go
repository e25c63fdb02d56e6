package ir

import (
	"fmt"

	"github.com/hashicorp/hcl/v2"
)

// Pos is a position in a source file: 1-based line and column, 0-based byte.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
	Byte   int `json:"byte"`
}

// Range is a span of source text. It mirrors hcl.Range so that diagnostics
// raised downstream (optimizer, backends) can point back at the spec.
type Range struct {
	Filename string `json:"filename"`
	Start    Pos    `json:"start"`
	End      Pos    `json:"end"`
}

// RangeOf converts an hcl.Range.
func RangeOf(r hcl.Range) Range {
	return Range{
		Filename: r.Filename,
		Start:    Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:      Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
	}
}

// HCL converts back to an hcl.Range for diagnostics.
func (r Range) HCL() hcl.Range {
	return hcl.Range{
		Filename: r.Filename,
		Start:    hcl.Pos{Line: r.Start.Line, Column: r.Start.Column, Byte: r.Start.Byte},
		End:      hcl.Pos{Line: r.End.Line, Column: r.End.Column, Byte: r.End.Byte},
	}
}

// Ptr returns a pointer to a copy of r, for hcl.Diagnostic.Subject.
func (r Range) Ptr() *hcl.Range { h := r.HCL(); return &h }

func (r Range) String() string {
	return fmt.Sprintf("%s:%d,%d-%d,%d", r.Filename, r.Start.Line, r.Start.Column, r.End.Line, r.End.Column)
}
