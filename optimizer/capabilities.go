package optimizer

import (
	"fmt"
	"slices"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
)

// Capabilities are what a backend declares it can host. Placement checks
// operators against them; it never switches on a backend's name.
type Capabilities struct {
	// Stateful: hosts operators that keep state across records (join,
	// dedupe, aggregate, table sources).
	Stateful bool
	// Files: reads and writes JSON-lines files (bounded sources, file sinks).
	Files bool
	// ExactlyOnce: can give a sink exactly-once delivery.
	ExactlyOnce bool
	// ShufflesByKey: the backend groups a keyed operator's input by key
	// itself (Beam's GroupByKey). Other backends run a stage once per
	// partition group of its input topics, so the planner puts a
	// repartition channel keyed by the operator's key in front of every
	// aggregate, dedupe and stream–stream join they host. The zero value
	// is the safe one: repartition.
	ShufflesByKey bool
	// PartitionedFiles: writes a file sink with partition_by as Hive-style
	// directories.
	PartitionedFiles bool
	// ProcessingTime: runs windows over the wall clock (an aggregate's
	// window_time = "processing"), which needs a clock and timers on it.
	ProcessingTime bool
	// Unsupported are operator kinds the backend does not run (yet) although
	// its other capabilities would allow them.
	Unsupported []ir.Kind
	// SchemaFormats are the Schema Registry formats (avro, protobuf,
	// json_schema) the backend reads and writes through eval.NewCodecFor.
	// The zero value refuses them all, with a diagnostic, rather than
	// misreading records.
	SchemaFormats []string
	// SchemaSupported, when set, says why the backend cannot read or
	// write records described by a schema of one of SchemaFormats (nil:
	// it can). Hosts asks it for every schema an operator carries: a
	// source's reader schema and pinned writer schemas, a sink's schema.
	SchemaSupported func(*ir.SchemaDoc) error
	// Changelogs: hosts operators that emit or read a changelog
	// (ir.Operator.Changelog: continuous aggregates and tops, filters, maps
	// and upsert sinks over them), carrying row kinds between operators and
	// across channels. The zero value refuses them.
	Changelogs bool
	// MaxRouteOutputs caps a route's outputs; 0 means no limit.
	MaxRouteOutputs int
	// Limit says in plain words what the backend cannot host, for
	// diagnostics ("the broker hosts only stateless single-record operators").
	Limit string
	// Notes are facts a reviewer needs about every stage on this backend.
	Notes []string
	// Costs are what running operators on the backend costs (see Costs).
	Costs Costs
}

// checkDeclared reports a configuration without the default backend's
// capabilities: backends are declared by their packages (WithCapabilities),
// and the default backend must be among them because it is always enabled.
func checkDeclared(caps map[string]Capabilities) hcl.Diagnostics {
	if _, ok := caps[defaultBackend]; ok {
		return nil
	}
	return hcl.Diagnostics{{
		Severity: hcl.DiagError,
		Summary:  fmt.Sprintf("No capabilities declared for the %s backend", defaultBackend),
		Detail: fmt.Sprintf("The %s backend is always enabled, so the planner needs its capabilities: "+
			"pass optimizer.WithCapabilities(%q, ...) with what its backend package declares.", defaultBackend, defaultBackend),
	}}
}

// Hosts reports whether a backend with these capabilities can run op, and if
// not, the reason in plain words. Event time never stops a placement: every
// stage writes the event time it computed into the pipeline.event_time
// header of its channel records (a Redpanda transform cannot set a record's
// timestamp, but it can write a header), and the next stage reads it.
//
// It is the one answer to "can this backend run this operator": the
// planner, the backends' test runners and calibrators all ask it.
func (c Capabilities) Hosts(op *ir.Operator) (ok bool, reason string) {
	props := op.Properties()
	switch {
	case !c.Stateful && !props.PerRecord():
		return false, op.ID + " keeps state across records"
	case !c.Files && op.Source != nil && op.Source.File != "":
		return false, op.ID + " reads a file"
	case !c.Files && op.Sink != nil && op.Sink.File != "":
		return false, op.ID + " writes a file"
	case !c.PartitionedFiles && op.Sink != nil && op.Sink.File != "" && len(op.Sink.PartitionBy) > 0:
		return false, op.ID + " writes a partitioned file sink, which the backend does not write"
	case !c.ExactlyOnce && props.Delivery == ir.ExactlyOnce:
		return false, op.ID + " asks for exactly-once delivery"
	case !c.Changelogs && op.Changelog:
		return false, op.ID + " emits or reads a changelog (an aggregate or top without a window updates its rows), which the backend does not run"
	case !c.ProcessingTime && op.Aggregate != nil && op.Aggregate.Window.Time == ir.WindowProcessingTime:
		return false, op.ID + " has processing-time windows, which the backend does not run"
	case slices.Contains(c.Unsupported, op.Kind):
		return false, op.ID + " is a " + string(op.Kind) + " operator, which the backend does not run yet"
	case op.Source != nil && schemaFormat(op.Source.Format) && !slices.Contains(c.SchemaFormats, op.Source.Format):
		return false, op.ID + " reads format " + op.Source.Format + ", which the backend does not read"
	case op.Sink != nil && schemaFormat(op.Sink.Format) && !slices.Contains(c.SchemaFormats, op.Sink.Format):
		return false, op.ID + " writes format " + op.Sink.Format + ", which the backend does not write"
	case c.SchemaSupported != nil && op.Source != nil && schemaFormat(op.Source.Format) && c.schemaRefusal(op.Source.SchemaDoc, op.Source.WriterSchemas) != "":
		return false, op.ID + " reads a " + op.Source.Format + " schema that the backend cannot validate: " + c.schemaRefusal(op.Source.SchemaDoc, op.Source.WriterSchemas)
	case c.SchemaSupported != nil && op.Sink != nil && schemaFormat(op.Sink.Format) && c.schemaRefusal(op.Sink.SchemaDoc, nil) != "":
		return false, op.ID + " writes a " + op.Sink.Format + " schema that the backend cannot validate: " + c.schemaRefusal(op.Sink.SchemaDoc, nil)
	case c.MaxRouteOutputs > 0 && op.Route != nil && len(op.Route.Outputs) > c.MaxRouteOutputs:
		return false, op.ID + " has more route outputs than the backend supports"
	}
	return true, ""
}

// schemaRefusal is SchemaSupported's first refusal of doc or writers, or
// "" when it accepts them all.
func (c Capabilities) schemaRefusal(doc *ir.SchemaDoc, writers []*ir.SchemaDoc) string {
	for _, d := range append([]*ir.SchemaDoc{doc}, writers...) {
		if d == nil {
			continue
		}
		if err := c.SchemaSupported(d); err != nil {
			return err.Error()
		}
	}
	return ""
}

// schemaFormat reports a format with a Schema Registry schema.
func schemaFormat(f string) bool { return f != "" && f != "json" }

// PerRecord is a Costs.CPUPerRecord table for backends that price operators
// in three classes: stateless for filter, map and route, keyed for join,
// dedupe and aggregate, io for decoding a source's or encoding a sink's
// records.
func PerRecord(stateless, keyed, io float64) map[ir.Kind]float64 {
	return map[ir.Kind]float64{
		ir.KindSource: io, ir.KindFilter: stateless, ir.KindMap: stateless,
		ir.KindRoute: stateless, ir.KindSink: io,
		ir.KindJoin: keyed, ir.KindDedupe: keyed, ir.KindAggregate: keyed, ir.KindTop: keyed,
	}
}
