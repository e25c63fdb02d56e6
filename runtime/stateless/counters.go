package stateless

import (
	"sync"
	"sync/atomic"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Counters count the records of a stage per stream, from which
// Operators derives each operator's records in and out: a stream's count is
// what its producing operator emitted, and what each operator reading it
// received. Counting at the streams costs one atomic add per record and
// operator output, and no operator has to know about metrics. One Counters
// may be shared by every Processor of a stage (a worker's partition
// groups).
type Counters struct {
	mu      sync.Mutex
	emitted map[string]*atomic.Int64 // per stream; a sink's ID: records written
	pushed  map[string]*atomic.Int64 // per input stream, before decoding
}

// NewCounters returns counters at zero.
func NewCounters() *Counters {
	return &Counters{emitted: map[string]*atomic.Int64{}, pushed: map[string]*atomic.Int64{}}
}

// WithCounters counts the processor's records in c (see Counters).
func WithCounters(c *Counters) Option { return func(p *Processor) { p.counters = c } }

// emittedCounter and pushedCounter return the counter of a stream; nil
// on nil Counters, which count nothing.
func (c *Counters) emittedCounter(stream string) *atomic.Int64 {
	if c == nil {
		return nil
	}
	return c.counter(c.emitted, stream)
}

func (c *Counters) pushedCounter(stream string) *atomic.Int64 {
	if c == nil {
		return nil
	}
	return c.counter(c.pushed, stream)
}

func (c *Counters) counter(m map[string]*atomic.Int64, name string) *atomic.Int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := m[name]
	if n == nil {
		n = new(atomic.Int64)
		m[name] = n
	}
	return n
}

func (c *Counters) load(m map[string]*atomic.Int64, name string) int64 {
	if n := m[name]; n != nil {
		return n.Load()
	}
	return 0
}

// OperatorCount is the records one operator of a stage received and
// emitted (for a sink: wrote; for a route: over all its outputs).
type OperatorCount struct {
	Operator string
	In, Out  int64
}

// Operators returns the counts of every operator of stage st of pl, in the
// stage's order. A source's records in are those read from its topic or
// file, before decoding; its records out, those that decoded.
func (c *Counters) Operators(pl *ir.Pipeline, st *ir.Stage) []OperatorCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]OperatorCount, 0, len(st.Operators))
	for _, id := range st.Operators {
		op := pl.Operator(id)
		if op == nil {
			continue
		}
		oc := OperatorCount{Operator: id}
		if op.Kind == ir.KindSource {
			oc.In = c.load(c.pushed, id)
		}
		for _, s := range op.Inputs {
			oc.In += c.load(c.emitted, s)
		}
		if op.Kind == ir.KindSink {
			oc.Out = c.load(c.emitted, id)
		}
		for _, s := range op.Streams() {
			oc.Out += c.load(c.emitted, s)
		}
		out = append(out, oc)
	}
	return out
}
