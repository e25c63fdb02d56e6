package ir

import (
	"fmt"
	"slices"
	"strings"
)

// StateShape is what a stateful operator's state means: the parts of its
// definition that existing state was built for. Two shapes that compare
// equal (StateResetReason == "") can share state; anything left out (an
// aggregate's allowed_lateness, a dedupe's within, a join's output
// fields, any operator upstream) may change and the state is kept. The
// command records shapes at apply and compares them at plan; workers
// fingerprint them to decide whether a restarted stage keeps its state, so
// plan and runtime follow one rule.
type StateShape struct {
	Kind Kind `json:"kind"`
	// Key is the grouping or matching key, as source text: an aggregate's
	// key fields (name = expr), a dedupe's key, a join's left == right
	// pairs.
	Key []string `json:"key,omitempty"`
	// Window is an aggregate's window: tumbling(1m), hopping(5m,1m),
	// session(30s).
	Window string `json:"window,omitempty"`
	// Fields are an aggregate's fields (name = func(arg)): the accumulators
	// its state holds, one per field.
	Fields []string `json:"fields,omitempty"`
	// JoinType and WithinMs are a join's type and stream–stream window:
	// its buffers and its timers for unmatched left records follow them.
	JoinType string `json:"join_type,omitempty"`
	WithinMs int64  `json:"within_ms,omitempty"`
	// Inputs are a join's input record types: its buffers hold records of
	// those types.
	Inputs []string `json:"inputs,omitempty"`
}

// ShapeOf returns op's state shape, or nil when op keeps no state
// (aggregate, dedupe and join do).
func (pl *Pipeline) ShapeOf(op *Operator) *StateShape {
	switch {
	case op.Aggregate != nil:
		a := op.Aggregate
		s := &StateShape{Kind: op.Kind, Window: a.Window.String()}
		if a.Continuous() {
			s.Window = noWindow
		}
		for _, k := range a.Key {
			s.Key = append(s.Key, k.Name+" = "+k.Expr.Source)
		}
		for _, f := range a.Fields {
			// A field's condition is part of what its accumulator means.
			s.Fields = append(s.Fields, f.Name+" = "+f.Call())
		}
		return s
	case op.Dedupe != nil:
		return &StateShape{Kind: op.Kind, Key: []string{op.Dedupe.Key.Source}}
	case op.Top != nil:
		// A top's buffers hold the best records per key and window so far:
		// another order or a smaller limit would have kept others.
		t := op.Top
		s := &StateShape{Kind: op.Kind, Window: "input windows"}
		switch {
		case t.Window != nil:
			s.Window = t.Window.String()
		case t.Continuous:
			s.Window = noWindow
		}
		for _, k := range t.Key {
			s.Key = append(s.Key, k.Source)
		}
		var order []string
		for _, o := range t.OrderBy {
			order = append(order, o.String())
		}
		s.Fields = []string{"order_by = " + strings.Join(order, ", "), fmt.Sprintf("limit = %d", t.Limit)}
		return s
	case op.Join != nil:
		j := op.Join
		s := &StateShape{Kind: op.Kind, JoinType: j.Type, WithinMs: j.WithinMs}
		for i := range j.LeftKeys {
			if i < len(j.RightKeys) {
				s.Key = append(s.Key, j.LeftKeys[i].Source+" == "+j.RightKeys[i].Source)
			}
		}
		for _, in := range op.Inputs {
			id, _ := StreamOperator(in)
			t := "unknown"
			if p := pl.Operator(id); p != nil {
				if b, err := p.Schema.MarshalJSON(); err == nil {
					t = string(b)
				}
			}
			s.Inputs = append(s.Inputs, t)
		}
		return s
	}
	return nil
}

// noWindow is the state shape's window of a continuous aggregate or top:
// adding or removing a window changes what the state means (per window vs
// over all time), so it resets the state like any other window change.
const noWindow = "none (continuous)"

// StateResetReason says why state built for was cannot serve now ("" when
// it can): the first difference that matters, for people.
func StateResetReason(was, now *StateShape) string {
	switch {
	case was == nil || now == nil:
		return ""
	case was.Kind != now.Kind:
		return fmt.Sprintf("kind changed from %s to %s", was.Kind, now.Kind)
	case !slices.Equal(was.Key, now.Key):
		return fmt.Sprintf("key changed from %s to %s", bracket(was.Key), bracket(now.Key))
	case was.Window != now.Window:
		return fmt.Sprintf("window changed from %s to %s", was.Window, now.Window)
	case !slices.Equal(was.Fields, now.Fields):
		return "fields changed: " + fieldChanges(was.Fields, now.Fields)
	case was.JoinType != now.JoinType:
		return fmt.Sprintf("join type changed from %s to %s", was.JoinType, now.JoinType)
	case was.WithinMs != now.WithinMs:
		return fmt.Sprintf("within changed from %s to %s", FormatMs(was.WithinMs), FormatMs(now.WithinMs))
	case !slices.Equal(was.Inputs, now.Inputs):
		return "the type of its input records changed: its buffers hold records of the old type"
	}
	return ""
}

func bracket(items []string) string { return "{" + strings.Join(items, ", ") + "}" }

// fieldChanges lists aggregate fields added, removed and changed.
func fieldChanges(was, now []string) string {
	name := func(f string) string { n, _, _ := strings.Cut(f, " = "); return n }
	old := map[string]string{}
	for _, f := range was {
		old[name(f)] = f
	}
	var parts []string
	seen := map[string]bool{}
	for _, f := range now {
		n := name(f)
		seen[n] = true
		switch o, ok := old[n]; {
		case !ok:
			parts = append(parts, "added "+f)
		case o != f:
			parts = append(parts, fmt.Sprintf("%s was %s", f, o))
		}
	}
	for _, f := range was {
		if !seen[name(f)] {
			parts = append(parts, "removed "+f)
		}
	}
	if len(parts) == 0 {
		return "reordered" // accumulators are stored in field order
	}
	return strings.Join(parts, "; ")
}

// String renders a window as the spec writes it: tumbling(1m), with
// " in processing time" for processing-time windows (so a change of clock
// is a window change, which resets the state).
func (w Window) String() string {
	if w.Time == WindowProcessingTime {
		ev := w
		ev.Time = ""
		return ev.String() + " in processing time"
	}
	switch w.Kind {
	case WindowTumbling:
		return fmt.Sprintf("tumbling(%s)", FormatMs(w.SizeMs))
	case WindowHopping:
		return fmt.Sprintf("hopping(%s, %s)", FormatMs(w.SizeMs), FormatMs(w.SlideMs))
	case WindowSession:
		return fmt.Sprintf("session(%s)", FormatMs(w.GapMs))
	}
	return w.Kind
}

// FormatMs renders milliseconds as the largest whole unit: 1h, 5m, 30s,
// 1500ms.
func FormatMs(ms int64) string {
	for _, u := range []struct {
		ms   int64
		name string
	}{{86_400_000, "d"}, {3_600_000, "h"}, {60_000, "m"}, {1000, "s"}} {
		if ms != 0 && ms%u.ms == 0 {
			return fmt.Sprintf("%d%s", ms/u.ms, u.name)
		}
	}
	return fmt.Sprintf("%dms", ms)
}
