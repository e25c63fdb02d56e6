package lang

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

// TestConditionalAggregates: name_if(args..., cond) becomes the base function
// with the condition in Where, and the state shape shows the condition.
func TestConditionalAggregates(t *testing.T) {
	src := `aggregate "a" {
  input  = source.orders
  key    = { country = record.country }
  window = tumbling("1m")
  fields = {
    cheap    = count_if(record.amount < 100)
    buyers   = count_distinct_if(record.id, record.amount < 100)
    total    = sum_if(record.amount, record.country != "us")
    everyone = count()
  }
}
sink "s" {
  input = aggregate.a
  file  = "out.jsonl"
}`
	res, diags := loadCase(src, Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	op := res.Pipeline.Operator("aggregate.a")
	type field struct{ Name, Func, Arg, Where string }
	var got []field
	for _, f := range op.Aggregate.Fields {
		g := field{Name: f.Name, Func: f.Func}
		if f.Arg != nil {
			g.Arg = f.Arg.Source
		}
		if f.Where != nil {
			g.Where = f.Where.Source
		}
		got = append(got, g)
	}
	want := []field{
		{"cheap", "count", "", "record.amount < 100"},
		{"buyers", "count_distinct", "record.id", "record.amount < 100"},
		{"total", "sum", "record.amount", `record.country != "us"`},
		{"everyone", "count", "", ""},
	}
	less := func(a, b field) int { return strings.Compare(a.Name, b.Name) }
	if diff := cmp.Diff(want, got, cmpSortFields(less)); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	shape := res.Pipeline.ShapeOf(op)
	if !contains(shape.Fields, "buyers = count_distinct_if(record.id, record.amount < 100)") {
		t.Errorf("state shape fields %q lack the condition", shape.Fields)
	}
}

func cmpSortFields[T any](less func(a, b T) int) cmp.Option {
	return cmp.Transformer("sort", func(in []T) []T {
		out := append([]T(nil), in...)
		for i := 1; i < len(out); i++ {
			for j := i; j > 0 && less(out[j], out[j-1]) < 0; j-- {
				out[j], out[j-1] = out[j-1], out[j]
			}
		}
		return out
	})
}

func TestConditionalAggregateErrors(t *testing.T) {
	tests := []struct {
		name   string
		fields string
		want   []string
		detail string
	}{
		{"no condition", `n = count_if()`, []string{"error b.hcl:4:18: Wrong number of arguments"}, "count_if() takes 1 argument in aggregate.fields, not 0: a condition"},
		{"sum_if without value", `n = sum_if(record.amount > 1)`, []string{"error b.hcl:4:18: Wrong number of arguments"}, "a value and a condition"},
		{"condition not a bool", `n = count_if(record.amount)`, []string{"error b.hcl:4:27: Condition is not a bool"}, "The condition of count_if() must be a bool"},
		{"misspelled", `n = count_iff(record.amount > 1)`, []string{"error b.hcl:4:18: Invalid aggregate field"}, `Did you mean "count_if"?`},
		{"bad attribute in condition", `n = count_if(record.amout > 1)`, []string{"error b.hcl:4:33: Unsupported attribute"}, `Did you mean "amount"?`},
		{"nested aggregate", `n = sum_if(record.amount, count() > 1)`, []string{"error b.hcl:4:40: Aggregate function outside aggregate.fields"}, "only allowed in aggregate.fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `aggregate "a" {
  input  = source.orders
  window = tumbling("1m")
  fields = { ` + tt.fields + ` }
}
sink "s" {
  input = aggregate.a
  topic = "x"
}`
			_, diags := loadCase(src, Options{})
			if diff := cmp.Diff(tt.want, errorsOf(diags)); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\n%s", diff, diags.Error())
			}
			for _, d := range diags {
				if d.Summary == strings.SplitN(tt.want[0], ": ", 2)[1] && !strings.Contains(d.Detail, tt.detail) {
					t.Errorf("detail %q lacks %q", d.Detail, tt.detail)
				}
			}
		})
	}
}

var _ = ir.AggIfSuffix
