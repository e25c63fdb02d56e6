package testrun

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

// applyChangelogs replaces the outputs of every expected changelog target
// (an upsert sink, or a tapped changelog stream) by the table the changes
// leave at the end of the input, so that an expect block states the final
// rows by key, as a reference over bounded input computes them.
//
// An upsert sink's rows are keyed by their Kafka key (the sink's key, else
// the changelog key): a tombstone (a topic's null value) or a file line
// with "op": "delete" removes the key, any other record puts its row
// under it. A tapped stream's rows are keyed by their changelog key
// fields (the whole row when it has none), by row kind.
func applyChangelogs(p *ir.Pipeline, t *ir.Test, out *Outputs) error {
	for _, ex := range t.Expect {
		opID, _ := ir.StreamOperator(ex.Target)
		op := p.Operator(opID)
		if op == nil || !op.Changelog {
			continue
		}
		recs := out.Got[ex.Target]
		keys, kinds := out.Keys[ex.Target], out.Kinds[ex.Target]
		if len(keys) != len(recs) || len(kinds) != len(recs) {
			return fmt.Errorf("expect %q: the runner reported no row kinds for a changelog", ex.Target)
		}
		table := map[string][]byte{}
		for i, b := range recs {
			kind := eval.RowKind(kinds[i])
			row := b
			if b != nil && op.Sink != nil && op.Sink.Topic == "" {
				var err error
				if row, kind, err = splitOp(b); err != nil {
					return fmt.Errorf("expect %q: output %d: %w", ex.Target, i, err)
				}
			}
			key := string(keys[i])
			if op.Sink == nil {
				var err error
				if key, err = rowKey(row, op.ChangelogByRow, op.ChangelogKey); err != nil {
					return fmt.Errorf("expect %q: output %d: %w", ex.Target, i, err)
				}
			}
			switch {
			case b == nil || kind.Retracts():
				delete(table, key)
			default:
				table[key] = row
			}
		}
		ks := make([]string, 0, len(table))
		for k := range table {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		final := make([][]byte, 0, len(ks))
		for _, k := range ks {
			final = append(final, table[k])
		}
		out.Got[ex.Target] = final
	}
	return nil
}

// splitOp takes the "op" field off a changelog file sink's line.
func splitOp(b []byte) ([]byte, eval.RowKind, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, 0, err
	}
	var op string
	if err := json.Unmarshal(m["op"], &op); err != nil {
		return nil, 0, fmt.Errorf("a changelog file line needs an op: %w", err)
	}
	delete(m, "op")
	row, err := json.Marshal(m)
	if op == "delete" {
		return row, eval.Delete, err
	}
	return row, eval.UpdateAfter, err
}

// rowKey is a row's changelog key: its key fields, or the whole row.
func rowKey(row []byte, byRow bool, fields []string) (string, error) {
	if byRow {
		return Normalize(row)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(row, &m); err != nil {
		return "", err
	}
	k := map[string]json.RawMessage{}
	for _, f := range fields {
		k[f] = m[f]
	}
	b, err := json.Marshal(k)
	if err != nil {
		return "", err
	}
	return Normalize(b)
}
