package optimizer

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
	"github.com/zclconf/go-cty/cty"
)

// Costs are a backend's cost parameters, declared next to its Capabilities.
// Every cost is in abstract cost units per second of steady-state running,
// so that one-off and per-record costs add up: the optimizer only compares
// them. The zero value is free and unlimited.
type Costs struct {
	// Fixed is paid once when any operator runs on the backend: deploying a
	// module, starting a worker, submitting a job.
	Fixed float64
	// CPUPerRecord is the cost of one input record per operator kind, in
	// CPU-seconds (a unit is one core busy for a second), so measured costs
	// (pipeline calibrate, see optimizer/costprofile) replace it directly.
	CPUPerRecord map[ir.Kind]float64
	// IOPerByte is the cost of a byte of a source or sink topic read or
	// written by the backend (0 for a backend that runs inside the broker).
	IOPerByte float64
	// ChannelPerByte is this backend's half of the cost of a byte carried by
	// an intermediate topic into or out of it: produce, replicate, store,
	// consume. A repartition channel costs it twice.
	ChannelPerByte float64
	// StateBudget caps the keyed state of one operator, in bytes; 0 means
	// unlimited. A backend block's state_budget attribute ("8GiB") overrides it.
	StateBudget float64
	// RecordsPerPartition is the rate one partition's worker can sustain;
	// with the input's partition count it caps an operator's input rate.
	// 0 means unbounded (the backend reshuffles beyond the partition count).
	RecordsPerPartition float64
}

// Estimation defaults, used when a stats block says nothing.
const (
	defaultRate           = 1000.0   // records/s at a source
	defaultRecordBytes    = 200.0    // bytes/record at a source
	defaultSelectivity    = 0.5      // filters
	defaultDedupeKeep     = 0.9      // dedupe keeps most records
	defaultKeyCardinality = 100000.0 // distinct keys
	defaultPartitions     = 12
	aggregateFieldBytes   = 16.0
)

// objective weights the cost terms as pipeline.optimize asks.
type objective struct{ fixed, cpu, channel float64 }

func objectiveOf(name string) objective {
	switch name {
	case "latency": // every hop through a topic adds latency
		return objective{fixed: 0.2, cpu: 1, channel: 4}
	case "throughput": // per-record work dominates at high rates
		return objective{fixed: 0.2, cpu: 2, channel: 2}
	default: // "cost"
		return objective{fixed: 1, cpu: 1, channel: 1}
	}
}

// flow is the estimated rate and record size of one stream.
type flow struct{ rate, bytes float64 }

func (f flow) bytesPerSec() float64 { return f.rate * f.bytes }

// estimates are the cardinality estimates of a pipeline.
type estimates struct {
	out        []map[string]flow // per operator: per stream it emits
	in         [][]flow          // per operator, per input
	state      []float64         // per operator: keyed state bytes
	partitions []int             // per operator: partitions of its input
	// decoded is, per source, the fraction of its fields that some
	// operator reads (1 when a sink or an opaque expression needs the
	// whole record): projection pruning's saving, whatever the placement.
	decoded []float64
}

// estimate derives rates, record sizes and state sizes from stats hints and
// defaults, in topological order.
func estimate(g *graph) *estimates {
	p := g.p
	n := len(p.Operators)
	e := &estimates{out: make([]map[string]flow, n), in: make([][]flow, n), state: make([]float64, n), partitions: make([]int, n), decoded: make([]float64, n)}
	streamFlow := map[string]flow{}
	for i, op := range p.Operators {
		st := op.Stats
		var in flow
		e.in[i] = make([]flow, len(op.Inputs))
		for k, s := range op.Inputs {
			f := streamFlow[s]
			e.in[i][k] = f
			in.rate += f.rate
			in.bytes = math.Max(in.bytes, f.bytes)
			if k < len(g.producers[i]) {
				e.partitions[i] = max(e.partitions[i], e.partitions[g.producers[i][k]])
			}
		}
		if st.Partitions > 0 {
			e.partitions[i] = st.Partitions
		}
		if e.partitions[i] == 0 {
			e.partitions[i] = defaultPartitions
		}
		keys := orDefault(st.KeyCardinality, defaultKeyCardinality)
		out := in
		switch op.Kind {
		case ir.KindSource:
			out = flow{orDefault(st.Rate, defaultRate), orDefault(st.RecordBytes, defaultRecordBytes)}
			e.decoded[i] = decodedFraction(p, op)
			if op.Source != nil && op.Source.Table {
				e.state[i] = keys * out.bytes
			}
		case ir.KindFilter:
			out.rate *= orDefault(st.Selectivity, defaultSelectivity)
		case ir.KindDedupe:
			out.rate *= orDefault(st.Selectivity, defaultDedupeKeep)
			if op.Dedupe != nil {
				seen := math.Min(keys, in.rate*float64(op.Dedupe.WithinMs)/1000)
				e.state[i] = seen * 64
			}
		case ir.KindJoin:
			if len(e.in[i]) == 2 {
				l, r := e.in[i][0], e.in[i][1]
				out = flow{l.rate * orDefault(st.Selectivity, 1), l.bytes + r.bytes}
				if op.Join != nil && op.Join.WithinMs > 0 {
					out.rate = math.Min(l.rate, r.rate) * orDefault(st.Selectivity, 1)
					e.state[i] = (l.bytesPerSec() + r.bytesPerSec()) * float64(op.Join.WithinMs) / 1000
				}
			}
		case ir.KindAggregate:
			if a := op.Aggregate; a != nil {
				w := a.Window
				spanMs, everyMs := w.SizeMs, w.SizeMs
				switch w.Kind {
				case ir.WindowHopping:
					everyMs = w.SlideMs
				case ir.WindowSession:
					spanMs, everyMs = w.GapMs, w.GapMs
				}
				bytes := aggregateFieldBytes * float64(len(a.Key)+len(a.Fields)+2)
				open := 1.0
				if everyMs > 0 {
					open = math.Ceil(float64(spanMs+a.AllowedLatenessMs) / float64(everyMs))
					out = flow{keys / (float64(everyMs) / 1000), bytes}
				}
				out.rate = math.Min(out.rate, in.rate)
				e.state[i] = keys * math.Max(open, 1) * bytes
			}
		case ir.KindTop:
			// It keeps about limit records per key and open window, and
			// emits about that many per key and window.
			if t := op.Top; t != nil {
				spanMs, everyMs := int64(0), int64(0)
				if w := t.Window; w != nil {
					spanMs, everyMs = w.SizeMs, w.SizeMs
					if w.Kind == ir.WindowHopping {
						everyMs = w.SlideMs
					}
				}
				open := 1.0
				if everyMs > 0 {
					open = math.Ceil(float64(spanMs) / float64(everyMs))
					out.rate = math.Min(in.rate, keys*float64(t.Limit)/(float64(everyMs)/1000))
				} else {
					out.rate = in.rate * orDefault(st.Selectivity, defaultSelectivity)
				}
				e.state[i] = keys * open * float64(max(t.Limit, 1)) * in.bytes
			}
		}
		if st.RecordBytes > 0 && op.Kind != ir.KindSource {
			out.bytes = st.RecordBytes
		}
		e.out[i] = map[string]flow{}
		streams := op.Streams()
		for _, s := range streams {
			f := out
			if op.Kind == ir.KindRoute && len(streams) > 0 {
				f.rate /= float64(len(streams)) // an even split unless hinted
			}
			e.out[i][s] = f
			streamFlow[s] = f
		}
	}
	return e
}

// decodedFraction is the fraction of source op's fields read anywhere
// downstream (eval.StageReads over the whole pipeline, as if it were one
// stage), or 1.
func decodedFraction(p *ir.Pipeline, op *ir.Operator) float64 {
	if !op.Schema.Type.IsObjectType() {
		return 1
	}
	attrs := op.Schema.Type.AttributeTypes()
	names, all := eval.StageReads(p.Operators, op.ID, func(string) bool { return false })
	if all || len(attrs) == 0 {
		return 1
	}
	read := 0
	for _, n := range names {
		if _, ok := attrs[n]; ok {
			read++
		}
	}
	return float64(read) / float64(len(attrs))
}

func orDefault(v, d float64) float64 {
	if v > 0 {
		return v
	}
	return d
}

// opCost is the cost of running operator i on a backend with caps c, or
// infeasible with the violated limit in plain words.
func opCost(g *graph, e *estimates, obj objective, i int, c Capabilities) (cost float64, limit string) {
	op := g.p.Operators[i]
	if ok, reason := c.Hosts(op); !ok {
		return math.Inf(1), reason
	}
	cc := c.Costs
	if cc.StateBudget > 0 && e.state[i] > cc.StateBudget {
		return math.Inf(1), fmt.Sprintf("keyed state ≈ %s exceeds the budget of %s", formatBytes(e.state[i]), formatBytes(cc.StateBudget))
	}
	var in flow
	for _, f := range e.in[i] {
		in.rate += f.rate
	}
	if cc.RecordsPerPartition > 0 {
		ceiling := cc.RecordsPerPartition * float64(e.partitions[i])
		if in.rate > ceiling {
			return math.Inf(1), fmt.Sprintf("%.0f records/s exceeds the ceiling of %.0f records/s (%d partitions)", in.rate, ceiling, e.partitions[i])
		}
	}
	var ioBytes float64
	rate := in.rate
	perRecord := cc.CPUPerRecord[op.Kind]
	switch op.Kind {
	case ir.KindSource:
		for _, f := range e.out[i] {
			rate = f.rate
			ioBytes += f.bytesPerSec()
		}
		perRecord *= decodeShare(e.decoded[i])
	case ir.KindSink:
		for _, f := range e.in[i] {
			ioBytes += f.bytesPerSec()
		}
	}
	cost = obj.cpu*perRecord*rate + obj.channel*cc.IOPerByte*ioBytes
	return cost, ""
}

// decodeFloor is the share of a record's decoding cost paid even for the
// fields nothing reads: a JSON decoder still scans past them. Measured:
// BenchmarkCodecDecodeNeeded (2 of 5 fields) takes 0.86 of
// BenchmarkCodecDecode, so a skipped field costs about 0.22 of a decoded one.
const decodeFloor = 0.78

// decodeShare is the share of a source's decoding cost paid when it decodes
// the given fraction of its fields (projection pruning).
func decodeShare(fraction float64) float64 {
	return decodeFloor + (1-decodeFloor)*fraction
}

// needsKeyedInput reports whether input k of operator i must arrive
// partitioned by the operator's key and does not already: a repartition
// channel on a backend that does not shuffle by key itself.
func needsKeyedInput(g *graph, i, k int) bool {
	op := g.p.Operators[i]
	s := op.Inputs[k]
	kk := partitionKey(g.p, op, k)
	return kk != nil && !partitionedBy(g.p, s, kk) && !g.fromFilesOnly(s)
}

// formatBytes prints a byte count in binary units ("40 GiB").
func formatBytes(b float64) string {
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	u := 0
	for b >= 1024 && u < len(units)-1 {
		b /= 1024
		u++
	}
	if b == math.Trunc(b) || b >= 10 {
		return fmt.Sprintf("%.0f %s", b, units[u])
	}
	return fmt.Sprintf("%.1f %s", b, units[u])
}

// parseBytes parses "8GiB", "512 MiB", "2GB" or a plain number of bytes.
func parseBytes(s string) (float64, error) {
	s = strings.TrimSpace(s)
	mult := map[string]float64{"": 1, "b": 1,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12}
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := s, ""
	if i >= 0 {
		num, unit = s[:i], strings.ToLower(strings.TrimSpace(s[i:]))
	}
	v, err := strconv.ParseFloat(num, 64)
	m, ok := mult[unit]
	if err != nil || !ok || v < 0 {
		return 0, fmt.Errorf("%q is not a size such as \"8GiB\"", s)
	}
	return v * m, nil
}

// stateBudget returns the backend block's state_budget attribute, if any.
func stateBudget(b *ir.Backend) (float64, bool, error) {
	if b == nil {
		return 0, false, nil
	}
	c, ok := b.Attributes["state_budget"]
	if !ok || c.Value.IsNull() || !c.Value.IsKnown() {
		return 0, false, nil
	}
	if c.Value.Type() == cty.Number {
		f, _ := c.Value.AsBigFloat().Float64()
		return f, true, nil
	}
	if c.Value.Type() != cty.String {
		return 0, false, fmt.Errorf("state_budget must be a size such as \"8GiB\"")
	}
	v, err := parseBytes(c.Value.AsString())
	return v, err == nil, err
}
