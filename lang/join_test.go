package lang

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestIntervalJoin: the equality keys the join and the bounds stay in on,
// to be evaluated per pair.
func TestIntervalJoin(t *testing.T) {
	src := `join "j" {
  left   = source.orders
  right  = source.orders
  on     = right.id == left.id && right.amount >= left.amount && lower(right.country) != "de"
  within = "1h"
  fields = { id = left.id }
}
sink "s" {
  input = join.j
  file  = "out.jsonl"
}`
	res, diags := loadCase(src, Options{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	j := res.Pipeline.Operator("join.j").Join
	got := []string{j.LeftKeys[0].Source, j.RightKeys[0].Source, j.On.Source}
	want := []string{"left.id", "right.id", `right.id == left.id && right.amount >= left.amount && lower(right.country) != "de"`}
	if diff := cmp.Diff(want, got); diff != "" || len(j.LeftKeys) != 1 {
		t.Errorf("keys and on (-want +got):\n%s", diff)
	}
}
