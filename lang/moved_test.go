package lang

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pipeline-compiler/pipeline/ir"
)

const movedSink = `sink "s" {
  input = source.orders
  topic = "x"
}
`

func TestMovedAndStartFrom(t *testing.T) {
	tests := []struct {
		name      string
		src       string
		errs      []string
		moved     []ir.Moved // From and To only
		startFrom string     // of source.clicks
	}{
		{name: "a valid moved block", src: movedSink + `moved {
  from = sink.old
  to   = sink.s
}`, moved: []ir.Moved{{From: "sink.old", To: "sink.s"}}},
		{name: "to is not declared", src: movedSink + `moved {
  from = sink.old
  to   = sink.t
}`, errs: []string{"error b.hcl:7:10: Invalid moved block"}},
		{name: "from is still declared", src: movedSink + `moved {
  from = source.orders
  to   = source.customers
}`, errs: []string{"error b.hcl:6:10: Invalid moved block"}},
		{name: "kinds differ", src: movedSink + `moved {
  from = filter.old
  to   = sink.s
}`, errs: []string{"error b.hcl:7:10: Invalid moved block"}},
		{name: "a quoted address", src: movedSink + `moved {
  from = "sink.old"
  to   = sink.s
}`, errs: []string{"error b.hcl:6:10: Invalid moved block"}},
		{name: "two blocks move one address", src: movedSink + `moved {
  from = sink.old
  to   = sink.s
}
moved {
  from = sink.older
  to   = sink.s
}`, errs: []string{"error b.hcl:11:10: Duplicate moved block"}},
		{name: "start_from latest", src: clicks(`"latest"`), startFrom: "latest"},
		{name: "start_from a time, normalized to UTC", src: clicks(`"2026-01-01T01:00:00.5+01:00"`), startFrom: "2026-01-01T00:00:00.5Z"},
		{name: "start_from nonsense", src: clicks(`"yesterday"`), errs: []string{"error b.hcl:4:16: Invalid start_from"}},
		{name: "start_from on a table", src: `source "t" {
  topic      = "t"
  table      = true
  key        = record.id
  start_from = "latest"
  schema     = object({ id = string })
}
sink "s" {
  input = source.t
  topic = "x"
}`, errs: []string{"error b.hcl:5:16: Invalid start_from"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, diags := loadCase(tt.src, Options{})
			if diff := cmp.Diff(tt.errs, errorsOf(diags)); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\nall:\n%s", diff, diags.Error())
			}
			if tt.errs != nil {
				return
			}
			var moved []ir.Moved
			for _, m := range res.Pipeline.Moved {
				moved = append(moved, ir.Moved{From: m.From, To: m.To})
			}
			if diff := cmp.Diff(tt.moved, moved); diff != "" {
				t.Errorf("moved (-want +got):\n%s", diff)
			}
			if op := res.Pipeline.Operator("source.clicks"); op != nil && op.Source.StartFrom != tt.startFrom {
				t.Errorf("start_from = %q, want %q", op.Source.StartFrom, tt.startFrom)
			}
		})
	}
}

func clicks(startFrom string) string {
	return `source "clicks" {
  topic      = "clicks"
  schema     = object({ user = string })
  start_from = ` + startFrom + `
}
sink "c" {
  input = source.clicks
  topic = "c"
}
` + movedSink
}
