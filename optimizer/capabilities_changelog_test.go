package optimizer

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

// TestHostsChangelogs: only a backend declaring Changelogs hosts an
// operator of a changelog, stateless or not, and one without says why.
func TestHostsChangelogs(t *testing.T) {
	agg := &ir.Operator{ID: "aggregate.a", Kind: ir.KindAggregate, Aggregate: &ir.Aggregate{}, Changelog: true}
	filter := &ir.Operator{ID: "filter.f", Kind: ir.KindFilter, Filter: &ir.Filter{}, Changelog: true}
	plain := &ir.Operator{ID: "filter.g", Kind: ir.KindFilter, Filter: &ir.Filter{}}
	why := func(id string) string {
		return id + " emits or reads a changelog (an aggregate or top without a window updates its rows), which the backend does not run"
	}
	tests := []struct {
		caps   Capabilities
		op     *ir.Operator
		ok     bool
		reason string
	}{
		{Capabilities{Stateful: true, Changelogs: true}, agg, true, ""},
		{Capabilities{Stateful: true}, agg, false, why("aggregate.a")},
		{Capabilities{Stateful: true}, filter, false, why("filter.f")},
		{Capabilities{}, plain, true, ""},
	}
	for _, tt := range tests {
		ok, reason := tt.caps.Hosts(tt.op)
		if diff := cmp.Diff([]any{tt.ok, tt.reason}, []any{ok, reason}); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.op.ID, diff)
		}
	}
}
