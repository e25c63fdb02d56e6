package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/zclconf/go-cty/cty"
)

// TestRankerKeep: the best limit rows, best first, with every row tied
// with the limit-th kept; nulls last in either direction; ties in arrival
// order. Expected ids are worked out by hand from the rows.
func TestRankerKeep(t *testing.T) {
	typ := cty.Object(map[string]cty.Type{"id": cty.String, "price": cty.Number, "name": cty.String, "window_end": cty.String})
	l := NewLayout(typ)
	type row struct {
		id    string
		price Value
		name  string
	}
	rows := []row{
		{"a", Int(100), "x"}, {"b", Int(300), "y"}, {"c", Null, "z"}, {"d", Int(300), "w"},
		{"e", Int(200), "y"}, {"f", Int(200), "a"}, {"g", Number(99.5), "b"},
	}
	tests := []struct {
		name  string
		order []ir.OrderKey
		limit int
		want  []string
	}{
		{"top 1 desc, tie of two", []ir.OrderKey{{Expr: ir.Expr{Source: "record.price"}, Desc: true}}, 1, []string{"b", "d"}},
		{"top 3 desc, tie at the boundary", []ir.OrderKey{{Expr: ir.Expr{Source: "record.price"}, Desc: true}}, 3, []string{"b", "d", "e", "f"}},
		{"top 2 asc, null last", []ir.OrderKey{{Expr: ir.Expr{Source: "record.price"}}}, 2, []string{"g", "a"}},
		{"all rows asc, null last", []ir.OrderKey{{Expr: ir.Expr{Source: "record.price"}}}, 10, []string{"g", "a", "e", "f", "b", "d", "c"}},
		{"desc price then asc name breaks ties", []ir.OrderKey{{Expr: ir.Expr{Source: "record.price"}, Desc: true}, {Expr: ir.Expr{Source: "record.name"}}}, 3, []string{"d", "b", "f"}},
		{"strings desc", []ir.OrderKey{{Expr: ir.Expr{Source: "record.name"}, Desc: true}}, 2, []string{"c", "b", "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rk, diags := NewRanker(&ir.Top{OrderBy: tt.order, Limit: tt.limit}, l, Consts{})
			if diags.HasErrors() {
				t.Fatal(diags)
			}
			var ranked []Ranked
			for i, r := range rows {
				rec := NewRecord(l)
				rec.Values[idx(l, "id")], rec.Values[idx(l, "price")], rec.Values[idx(l, "name")] = String(r.id), r.price, String(r.name)
				vals, err := rk.SortValues(Frame{rec})
				if err != nil {
					t.Fatal(err)
				}
				ranked = append(ranked, Ranked{Vals: vals, Rec: rec, Seq: uint64(i)})
			}
			var got []string
			for _, r := range rk.Keep(ranked) {
				got = append(got, r.Rec.Get("id").Str)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("kept (-want +got):\n%s", diff)
			}
		})
	}
}
