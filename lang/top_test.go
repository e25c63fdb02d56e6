package lang

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestTopDecode(t *testing.T) {
	src := `top "t" {
  input    = source.orders
  key      = [record.country, lower(record.id)]
  order_by = [record.amount, asc(record.ts)]
  limit    = 3
  window   = hopping("10m", "5m")
}
sink "s" {
  input = top.t
  file  = "out.jsonl"
}`
	res, diags := loadCase(src, Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	top := res.Pipeline.Operator("top.t").Top
	type got struct {
		Key, Order []string
		Limit      int
		Window     string
	}
	g := got{Limit: top.Limit, Window: top.Window.String()}
	for _, k := range top.Key {
		g.Key = append(g.Key, k.Source)
	}
	for _, o := range top.OrderBy {
		g.Order = append(g.Order, o.String())
	}
	want := got{Key: []string{"record.country", "lower(record.id)"}, Order: []string{"desc(record.amount)", "asc(record.ts)"}, Limit: 3, Window: "hopping(10m, 5m)"}
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("top (-want +got):\n%s", diff)
	}
	if s := res.Pipeline.ShapeOf(res.Pipeline.Operator("top.t")); s == nil || s.Kind != ir.KindTop {
		t.Errorf("state shape %+v", s)
	}
}

func TestTopErrors(t *testing.T) {
	tests := []struct {
		name, body string
		want       []string
		detail     string
	}{
		{"limit zero", `order_by = record.amount
  limit = 0
  window = tumbling("1m")`, []string{"error b.hcl:4:11: Invalid limit"}, "whole number from 1"},
		{"session window", `order_by = record.amount
  limit = 1
  window = session("1m")`, []string{"error b.hcl:5:12: Invalid window"}, "session windows are not supported"},
		{"misspelled desc", `order_by = [dessc(record.amount)]
  limit = 1
  window = tumbling("1m")`, []string{"error b.hcl:3:15: Invalid order_by"}, `Did you mean "desc"?`},
		{"order by a list", `order_by = [record.amount, asc([record.id])]
  limit = 1
  window = tumbling("1m")`, []string{"error b.hcl:3:34: Invalid order_by"}, "numbers or strings"},
		{"bad attribute", `order_by = record.amout
  limit = 1
  window = tumbling("1m")`, []string{"error b.hcl:3:20: Unsupported attribute"}, `Did you mean "amount"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `top "t" {
  input = source.orders
  ` + tt.body + `
}
sink "s" {
  input = top.t
  topic = "x"
}`
			_, diags := loadCase(src, Options{})
			if diff := cmp.Diff(tt.want, errorsOf(diags)); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\n%s", diff, diags.Error())
			}
			for _, d := range diags {
				if strings.HasSuffix(tt.want[0], d.Summary) && !strings.Contains(d.Detail, tt.detail) {
					t.Errorf("detail %q lacks %q", d.Detail, tt.detail)
				}
			}
		})
	}
}
