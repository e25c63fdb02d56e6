package lang

import (
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// changelog marks the operators whose output is a changelog
// (ir.Operator.Changelog) and diagnoses the ones that cannot read one.
// It runs after d's check, so that a top knows whether it is continuous,
// and after d's inputs', so that it sees whether they are changelogs.
//
// A continuous aggregate or top starts a changelog; filter, map, route
// and sink carry one on (a sink of one is an upsert sink); a continuous
// aggregate folds one, retracting update_before and delete rows, with the
// retractable functions only. Joins, dedupes, windowed aggregates and tops
// read append-only streams: a changelog there is a diagnostic.
func (l *loader) changelog(d *opDecl) {
	op := d.op
	var in *opDecl // the first changelog input
	for _, ref := range d.refs {
		if ref.producer != nil && ref.producer.op.Changelog {
			in = ref.producer
			break
		}
	}
	var inRef *streamRef
	for _, ref := range d.refs {
		if ref.producer == in {
			inRef = ref
			break
		}
	}
	switch {
	case op.Aggregate != nil && op.Aggregate.Continuous():
		op.Changelog = true
		for _, k := range op.Aggregate.Key {
			op.ChangelogKey = append(op.ChangelogKey, k.Name)
		}
		if in != nil {
			for _, f := range op.Aggregate.Fields {
				if !eval.Retractable(f.Func) {
					l.errorf(f.Range.HCL(), "Aggregate cannot read a changelog", "%s is a changelog (%s updates its rows), so this aggregate must take the old row back out when a new one replaces it; %s cannot (it would need every value kept). Use count, sum or avg here, or compute it before the changelog.", in.op.ID, in.op.ID, f.Func)
				}
			}
		}
	case op.Top != nil && op.Top.Continuous:
		op.Changelog, op.ChangelogByRow = true, true
		if in != nil {
			l.errorf(inRef.rng, "Top cannot read a changelog", "%s is a changelog; a top ranks an append-only stream (a windowed result or records). Rank before the un-windowed aggregate, or give that aggregate a window.", in.op.ID)
		}
	case in == nil:
		return
	case op.Filter != nil || op.Sink != nil:
		op.Changelog, op.ChangelogKey, op.ChangelogByRow = true, in.op.ChangelogKey, in.op.ChangelogByRow
	case op.Map != nil:
		op.Changelog, op.ChangelogByRow = true, in.op.ChangelogByRow
		if !in.op.ChangelogByRow {
			var ok bool
			if op.ChangelogKey, ok = mappedKey(op.Map, in.op.ChangelogKey); !ok {
				op.ChangelogByRow = true
			}
		}
	default:
		l.errorf(inRef.rng, "Changelog input not supported", "%s is a changelog (an aggregate or top without a window updates its rows as records arrive); a %s reads append-only streams. Give %s a window, or read it through a topic sink as a table source.", in.op.ID, op.Kind, in.op.ID)
		return
	}
	if op.Sink != nil && op.Changelog && op.Sink.File != "" && in.out.IsObjectType() && in.out.HasAttribute("op") {
		l.errorf(inRef.rng, "Field op in a changelog file", "A file sink of a changelog writes each change as the row with an \"op\" field added (\"upsert\" or \"delete\"); %s already has a field named op. Rename it in a map before the sink.", in.op.ID)
	}
	if op.Changelog && op.Backend == ir.BackendBroker {
		l.errorf(d.block.DefRange, "Changelog operator pinned to "+op.Backend, "%s emits or reads a changelog, which runs on native and Beam only (the broker keeps no state and its channels carry no row kind). Remove backend = %q.", op.ID, op.Backend)
	}
}

// mappedKey is the changelog key of a map over a changelog keyed by key:
// the output names of fields that copy a key field unchanged (name =
// record.k); false when a key field is not copied (the whole row becomes
// the key).
func mappedKey(m *ir.Map, key []string) ([]string, bool) {
	var out []string
	for _, k := range key {
		found := false
		for _, f := range m.Fields {
			if strings.TrimSpace(f.Expr.Source) == "record."+k {
				out, found = append(out, f.Name), true
				break
			}
		}
		if !found {
			return nil, false
		}
	}
	return out, true
}
