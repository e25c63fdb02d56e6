package lang

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestPartitionBy(t *testing.T) {
	tests := []struct {
		name, body string
		wantParts  []string // when there is no error
		want       []string // errors
		detail     string
	}{
		{name: "two levels", body: `file = "out/part.jsonl"
  partition_by = [record.country, record.amount]`, wantParts: []string{"country", "amount"}},
		{name: "one field without a list", body: `file = "out/part.jsonl"
  partition_by = record.country`, wantParts: []string{"country"}},
		{name: "topic sink", body: `topic = "x"
  partition_by = [record.country]`, want: []string{"error b.hcl:9:3: Attribute not allowed here"}, detail: "writes a topic"},
		{name: "an expression, not a field", body: `file = "out/part.jsonl"
  partition_by = [lower(record.country)]`, want: []string{"error b.hcl:9:19: Invalid partition_by"}, detail: "Compute other values in a map"},
		{name: "misspelled field", body: `file = "out/part.jsonl"
  partition_by = [record.countr]`, want: []string{"error b.hcl:9:19: Invalid partition_by"}, detail: `Did you mean "country"?`},
		{name: "twice", body: `file = "out/part.jsonl"
  partition_by = [record.country, record.country]`, want: []string{"error b.hcl:9:35: Invalid partition_by"}, detail: "listed twice"},
		{name: "a directory as file", body: `file = "out/"
  partition_by = [record.country]`, want: []string{"error b.hcl:6:1: Invalid file"}, detail: "not a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := `map "m" {
  input  = source.orders
  fields = { country = record.country, amount = record.amount, id = record.id }
}

sink "s" {
  input = map.m
  ` + tt.body + `
}`
			res, diags := loadCase(src, Options{})
			if diff := cmp.Diff(tt.want, errorsOf(diags)); diff != "" {
				t.Fatalf("errors (-want +got):\n%s\n%s", diff, diags.Error())
			}
			for _, d := range diags {
				if len(tt.want) > 0 && strings.HasSuffix(tt.want[0], d.Summary) && !strings.Contains(d.Detail, tt.detail) {
					t.Errorf("detail %q lacks %q", d.Detail, tt.detail)
				}
			}
			if len(tt.want) > 0 {
				return
			}
			if diff := cmp.Diff(tt.wantParts, res.Pipeline.Operator("sink.s").Sink.PartitionBy); diff != "" {
				t.Errorf("partition_by (-want +got):\n%s", diff)
			}
		})
	}
}
