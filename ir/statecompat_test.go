package ir

import "testing"

// TestStateResetOnCondition: an aggregate field's condition is part of its
// accumulator's meaning, so changing, adding or dropping it resets state.
func TestStateResetOnCondition(t *testing.T) {
	shape := func(fields ...AggField) *StateShape {
		pl := &Pipeline{}
		return pl.ShapeOf(&Operator{Kind: KindAggregate, Aggregate: &Aggregate{Fields: fields}})
	}
	cond := func(src string) *Expr { return &Expr{Source: src} }
	plain := AggField{Name: "n", Func: AggCount}
	cheap := AggField{Name: "n", Func: AggCount, Where: cond("record.price < 10")}
	cheaper := AggField{Name: "n", Func: AggCount, Where: cond("record.price < 5")}
	buyers := AggField{Name: "b", Func: AggCountDistinct, Arg: cond("record.bidder"), Where: cond("record.price < 10")}
	tests := []struct {
		was, now *StateShape
		want     string
	}{
		{shape(cheap, buyers), shape(cheap, buyers), ""},
		{shape(cheap), shape(cheaper), "fields changed: n = count_if(record.price < 5) was n = count_if(record.price < 10)"},
		{shape(plain), shape(cheap), "fields changed: n = count_if(record.price < 10) was n = count()"},
		{shape(cheap), shape(plain), "fields changed: n = count() was n = count_if(record.price < 10)"},
		{shape(buyers), shape(AggField{Name: "b", Func: AggCountDistinct, Arg: cond("record.bidder")}), "fields changed: b = count_distinct(record.bidder) was b = count_distinct_if(record.bidder, record.price < 10)"},
	}
	for _, tt := range tests {
		if got := StateResetReason(tt.was, tt.now); got != tt.want {
			t.Errorf("StateResetReason(%v, %v) = %q, want %q", tt.was.Fields, tt.now.Fields, got, tt.want)
		}
	}
}

// TestStateResetOnContinuous: adding or removing a window changes what an
// aggregate's or top's state means (per window or over all time).
func TestStateResetOnContinuous(t *testing.T) {
	pl := &Pipeline{}
	tumbling := Window{Kind: WindowTumbling, SizeMs: 60_000}
	agg := func(w Window) *StateShape {
		return pl.ShapeOf(&Operator{Kind: KindAggregate, Aggregate: &Aggregate{Window: w}})
	}
	top := func(w *Window, continuous bool) *StateShape {
		return pl.ShapeOf(&Operator{Kind: KindTop, Top: &Top{Limit: 1, Window: w, Continuous: continuous}})
	}
	tests := []struct {
		name     string
		was, now *StateShape
		want     string
	}{
		{"aggregate stays continuous", agg(Window{}), agg(Window{}), ""},
		{"aggregate window removed", agg(tumbling), agg(Window{}), "window changed from tumbling(1m) to none (continuous)"},
		{"aggregate window added", agg(Window{}), agg(tumbling), "window changed from none (continuous) to tumbling(1m)"},
		{"top window removed", top(&tumbling, false), top(nil, true), "window changed from tumbling(1m) to none (continuous)"},
		{"top over input windows becomes continuous", top(nil, false), top(nil, true), "window changed from input windows to none (continuous)"},
	}
	for _, tt := range tests {
		if got := StateResetReason(tt.was, tt.now); got != tt.want {
			t.Errorf("%s: StateResetReason = %q, want %q", tt.name, got, tt.want)
		}
	}
}
