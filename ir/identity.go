package ir

import (
	"encoding/json"
	"fmt"
)

// StageIdentity is st's stable name: its backend and the address of its
// first operator that is not a table source (a table source joins the
// stage of its readers and may come and go). Everything that must survive
// a change of the plan elsewhere derives from it: consumer group IDs,
// transactional IDs, transform names and state directories. A first
// operator renamed with a moved block lends its old address
// (Operator.StateAddress), so the stage keeps its group and state. The
// optimizer names every stage by it (Stage.ID): no name depends on the
// stages' order, so adding a stage renames no other.
func (pl *Pipeline) StageIdentity(st *Stage) string {
	if len(st.Operators) == 0 {
		return st.ID
	}
	first := st.Operators[0]
	for _, id := range st.Operators {
		op := pl.Operator(id)
		if op == nil || op.Source == nil || !op.Source.Table {
			first = id
			if op != nil {
				first = op.StateAddress() // a renamed operator keeps its stage's identity
			}
			break
		}
	}
	return st.Backend + "." + first
}

// WithoutPositions returns a deep copy of v (any JSON-encodable IR value)
// with every source range cleared (see JSONWithoutPositions).
func WithoutPositions[T any](v *T) (*T, error) {
	b, err := JSONWithoutPositions(v)
	if err != nil {
		return nil, err
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("without positions: %w", err)
	}
	return &out, nil
}

// JSONWithoutPositions is v's JSON encoding with every source range
// ("range" keys) left out. Artifacts and fingerprints built from it do not
// change when only the comments or layout of the spec change.
func JSONWithoutPositions(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("without positions: %w", err)
	}
	var tree any
	if err := json.Unmarshal(b, &tree); err != nil {
		return nil, fmt.Errorf("without positions: %w", err)
	}
	if b, err = json.Marshal(dropRanges(tree)); err != nil {
		return nil, fmt.Errorf("without positions: %w", err)
	}
	return b, nil
}

func dropRanges(v any) any {
	switch t := v.(type) {
	case map[string]any:
		delete(t, "range")
		for k, x := range t {
			t[k] = dropRanges(x)
		}
	case []any:
		for i, x := range t {
			t[i] = dropRanges(x)
		}
	}
	return v
}
