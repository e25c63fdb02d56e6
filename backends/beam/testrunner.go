package beam

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/runtime/native"
	"github.com/pipeline-compiler/pipeline/runtime/testrun"
)

func init() {
	register.DoFn2x0[Record, func(beam.EventTime, Record)](&stampFn{})
	register.DoFn1x0[Record](&collectFn{})
	register.DoFn1x0[DeadLetter](&collectDeadFn{})
	register.Emitter2[beam.EventTime, Record]()
}

// TestRunner runs spec test blocks on Beam: the whole pipeline as one beam
// stage on Prism in this process, fed the test's given records. It
// implements testrun.Runner, so a test means the same on Beam as on native.
type TestRunner struct{}

var _ testrun.Runner = TestRunner{}

// testStage is the ID of the one stage a test runs.
const testStage = "test"

// Run feeds t.Given through p (tables first, then the streams, record i at
// offset i of partition 0, sequenced as native sees them) and returns what
// reached each sink and tapped stream.
func (TestRunner) Run(ctx context.Context, p *ir.Pipeline, t *ir.Test, taps []string) (testrun.Outputs, error) {
	plan := testPlan(p)

	tables, streams := testrun.SplitGiven(p, t)
	var feeds []Feed
	for _, g := range append(tables, streams...) {
		f := Feed{Stream: g.Target}
		for i, rec := range g.Records {
			f.Records = append(f.Records, Record{Value: rec, Offset: int64(i)})
		}
		feeds = append(feeds, f)
	}
	if err := Sequence(plan, testStage, feeds); err != nil {
		return testrun.Outputs{}, err
	}
	io := newTestIO(feeds)
	defer io.close()
	pipe, err := Build(plan, testStage, io, WithTaps(taps...), WithEventTimeClock())
	if err != nil {
		return testrun.Outputs{}, err
	}
	if err := Run(ctx, pipe, "test-"+p.Name); err != nil {
		return testrun.Outputs{}, err
	}
	return io.outputs(), nil
}

// testPlan puts every operator of p into one beam stage, testStage.
func testPlan(p *ir.Pipeline) *ir.Plan {
	stage := &ir.Stage{ID: testStage, Backend: ir.BackendBeam}
	for _, op := range p.Operators {
		stage.Operators = append(stage.Operators, op.ID)
	}
	return &ir.Plan{FormatVersion: ir.FormatVersion, Pipeline: p, Stages: []*ir.Stage{stage}}
}

// testIO feeds given records with beam.Create and collects outputs in this
// process: Prism's loopback workers are goroutines of the process, so the
// collecting DoFns reach the run's collection through a registry keyed by
// a run ID they carry.
type testIO struct {
	run   string
	feeds map[string][]Record
	c     *collection
}

// collection is what one test run produced.
type collection struct {
	mu   sync.Mutex
	got  map[string][]Record
	dead []DeadLetter
}

var (
	collections sync.Map // run ID → *collection
	runs        atomic.Int64
)

func newTestIO(feeds []Feed) *testIO {
	io := &testIO{run: fmt.Sprint(runs.Add(1)), feeds: map[string][]Record{}, c: &collection{got: map[string][]Record{}}}
	for _, f := range feeds {
		io.feeds[f.Stream] = append(io.feeds[f.Stream], f.Records...)
	}
	collections.Store(io.run, io.c)
	return io
}

func (io *testIO) close() { collections.Delete(io.run) }

func (io *testIO) Read(s beam.Scope, in Input) beam.PCollection {
	recs := io.feeds[in.Stream]
	if recs == nil {
		recs = []Record{}
	}
	return beam.ParDo(s, &stampFn{}, beam.CreateList(s, recs))
}

func (io *testIO) Write(s beam.Scope, out Output, col beam.PCollection) {
	beam.ParDo0(s, &collectFn{Run: io.run, Target: out.Target}, col)
}

func (io *testIO) DeadLetters(s beam.Scope, col beam.PCollection) {
	beam.ParDo0(s, &collectDeadFn{Run: io.run}, col)
}

func (io *testIO) outputs() testrun.Outputs {
	c := io.c
	c.mu.Lock()
	defer c.mu.Unlock()
	out := testrun.Outputs{Got: map[string][][]byte{}, Keys: map[string][][]byte{}, Kinds: map[string][]uint8{}}
	for target, recs := range c.got {
		// A changelog's changes in the order its keys emitted them
		// (changelog.go), which the expectation applies in order.
		slices.SortStableFunc(recs, recordOrder)
		for _, r := range recs {
			out.Got[target] = append(out.Got[target], r.Value)
			out.Keys[target] = append(out.Keys[target], r.Key)
			out.Kinds[target] = append(out.Kinds[target], r.Kind)
		}
	}
	slices.SortStableFunc(c.dead, func(a, b DeadLetter) int { return cmpInt(a.Input.Seq, b.Input.Seq) })
	for _, d := range c.dead {
		out.DeadLetters = append(out.DeadLetters, native.DeadLetter{
			Input: native.Input{
				Stream: d.Stream, Partition: d.Input.Partition, Offset: d.Input.Offset,
				Key: d.Input.Key, Value: d.Input.Value, TimestampMs: d.Input.TimestampMs,
			},
			Operator: d.Operator, Reason: d.Reason, Err: d.Err,
		})
	}
	return out
}

// stampFn gives each record its timestamp as element timestamp.
type stampFn struct{}

func (stampFn) ProcessElement(r Record, emit func(beam.EventTime, Record)) {
	emit(eventTime(r.TimestampMs), r)
}

func lookup(run string) *collection {
	c, ok := collections.Load(run)
	if !ok {
		panic("beam: test run " + run + " is not collecting in this process")
	}
	return c.(*collection)
}

// collectFn collects one target's records into its run's collection.
type collectFn struct {
	Run    string
	Target string
}

func (f *collectFn) ProcessElement(r Record) {
	c := lookup(f.Run)
	c.mu.Lock()
	c.got[f.Target] = append(c.got[f.Target], r)
	c.mu.Unlock()
}

// collectDeadFn collects dead letters into its run's collection.
type collectDeadFn struct{ Run string }

func (f *collectDeadFn) ProcessElement(d DeadLetter) {
	c := lookup(f.Run)
	c.mu.Lock()
	c.dead = append(c.dead, d)
	c.mu.Unlock()
}
