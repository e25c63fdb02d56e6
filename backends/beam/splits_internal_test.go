package beam

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pipeline-compiler/pipeline/lang"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

// TestSlowBundlesKeepArrivalOrder runs Nexmark q11 (bid sessions per bidder;
// its expected records come from the plain-Go reference) on Prism with the
// keyed stage's first elements slowed down, as a loaded machine slows it.
// Prism splits a bundle that makes no progress between two progress
// requests and schedules the rest later, after the processed part's timers:
// a key's records then reach the session operator out of arrival order and
// a session is cut in two. Submit turns splitting off (prismNoSplits).
func TestSlowBundlesKeepArrivalOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("runs on Prism")
	}
	var n atomic.Int32
	slowKeyedElement = func() {
		if n.Add(1) <= 4 {
			time.Sleep(400 * time.Millisecond)
		}
	}
	t.Cleanup(func() { slowKeyedElement = nil })
	res, diags := lang.Load("../../bench/nexmark/q11", lang.Options{})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	p := res.Pipeline
	if len(p.Tests) == 0 {
		t.Fatal("q11 has no test block")
	}
	for _, tb := range p.Tests {
		r, err := testrun.Run(p, tb, testrun.WithRunner(TestRunner{}))
		if err != nil {
			t.Fatalf("%s: %v", tb.Name, err)
		}
		if r.Skipped != "" {
			t.Fatalf("%s skipped: %s", tb.Name, r.Skipped)
		}
		for _, f := range r.Failures {
			t.Errorf("%s: %s (-want +got):\n%s", tb.Name, f.Target, f.Diff)
		}
	}
	if n.Load() == 0 {
		t.Fatal("the keyed stage never ran: the test slowed nothing down")
	}
}
