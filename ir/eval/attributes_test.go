package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestReadAttributes(t *testing.T) {
	tests := []struct {
		src, root string
		want      []string
		all       bool
	}{
		{`record.amount >= 100 && lower(record.country) == "us"`, "record", []string{"amount", "country"}, false},
		{`record["customer_id"]`, "record", []string{"customer_id"}, false},
		{`record[var.field]`, "record", nil, true},
		{`jsonencode(record)`, "record", nil, true},
		{`left.id == right.id`, "right", []string{"id"}, false},
		{`var.x + 1`, "record", nil, false},
		{`record.`, "record", nil, true},
	}
	for _, tt := range tests {
		got, all := ReadAttributes(ir.Expr{Source: tt.src}, tt.root)
		if all != tt.all || !cmp.Equal(got, tt.want) {
			t.Errorf("ReadAttributes(%q, %q) = %v, %v; want %v, %v", tt.src, tt.root, got, all, tt.want, tt.all)
		}
	}
}
