package beamconfig

import (
	"testing"

	"github.com/pipeline-compiler/pipeline/ir"
)

// TestHostsChangelogs: Beam hosts the operators of a changelog (continuous
// aggregates and tops, and the stateless operators and upsert sinks over
// them), which the planner asks before placing them there.
func TestHostsChangelogs(t *testing.T) {
	caps := Capabilities()
	for _, op := range []*ir.Operator{
		{ID: "aggregate.a", Kind: ir.KindAggregate, Aggregate: &ir.Aggregate{}, Changelog: true},
		{ID: "top.t", Kind: ir.KindTop, Top: &ir.Top{Continuous: true, Limit: 1}, Changelog: true, ChangelogByRow: true},
		{ID: "filter.f", Kind: ir.KindFilter, Filter: &ir.Filter{}, Changelog: true},
		{ID: "sink.s", Kind: ir.KindSink, Sink: &ir.Sink{Topic: "s"}, Changelog: true},
	} {
		if ok, reason := caps.Hosts(op); !ok {
			t.Errorf("%s: not hosted: %s", op.ID, reason)
		}
	}
}
