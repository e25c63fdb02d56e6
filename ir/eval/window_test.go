package eval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pipeline-compiler/pipeline/ir"
)

func TestWindowAssign(t *testing.T) {
	tumbling := ir.Window{Kind: ir.WindowTumbling, SizeMs: 60000}
	hopping := ir.Window{Kind: ir.WindowHopping, SizeMs: 300, SlideMs: 100}
	gappy := ir.Window{Kind: ir.WindowHopping, SizeMs: 50, SlideMs: 100}
	session := ir.Window{Kind: ir.WindowSession, GapMs: 30000}
	tests := []struct {
		name string
		w    ir.Window
		ts   int64
		want []Interval
	}{
		{"tumbling", tumbling, 1767225605000, []Interval{{1767225600000, 1767225660000}}},
		{"tumbling at start", tumbling, 60000, []Interval{{60000, 120000}}},
		{"tumbling just before end", tumbling, 59999, []Interval{{0, 60000}}},
		{"tumbling negative", tumbling, -1, []Interval{{-60000, 0}}},
		{"tumbling negative aligned", tumbling, -60000, []Interval{{-60000, 0}}},
		{"hopping", hopping, 250, []Interval{{0, 300}, {100, 400}, {200, 500}}},
		{"hopping on a boundary", hopping, 300, []Interval{{100, 400}, {200, 500}, {300, 600}}},
		{"hopping negative", hopping, -50, []Interval{{-300, 0}, {-200, 100}, {-100, 200}}},
		{"hopping gap in", gappy, 120, []Interval{{100, 150}}},
		{"hopping gap out", gappy, 170, nil},
		{"session", session, 1000, []Interval{{1000, 31000}}},
		{"session negative", session, -1000, []Interval{{-1000, 29000}}},
		{"zero size", ir.Window{Kind: ir.WindowTumbling}, 5, nil},
		{"unknown kind", ir.Window{Kind: "global", SizeMs: 5}, 5, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := AssignWindows(tt.w, tt.ts, nil)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestWindowHoppingExhaustive checks hopping windows against the definition
// (every window [k·slide, k·slide+size) containing ts) around the epoch.
func TestWindowHoppingExhaustive(t *testing.T) {
	for _, w := range []ir.Window{
		{Kind: ir.WindowHopping, SizeMs: 10, SlideMs: 3},
		{Kind: ir.WindowHopping, SizeMs: 9, SlideMs: 3},
		{Kind: ir.WindowHopping, SizeMs: 3, SlideMs: 7},
		{Kind: ir.WindowHopping, SizeMs: 5, SlideMs: 5},
	} {
		for ts := int64(-40); ts <= 40; ts++ {
			var want []Interval
			for k := int64(-30); k <= 30; k++ {
				if iv := (Interval{k * w.SlideMs, k*w.SlideMs + w.SizeMs}); iv.Contains(ts) {
					want = append(want, iv)
				}
			}
			if diff := cmp.Diff(want, AssignWindows(w, ts, nil)); diff != "" {
				t.Errorf("size %d slide %d ts %d (-want +got):\n%s", w.SizeMs, w.SlideMs, ts, diff)
			}
		}
	}
}

func TestWindowAssignAppends(t *testing.T) {
	dst := []Interval{{1, 2}}
	got := AssignWindows(ir.Window{Kind: ir.WindowTumbling, SizeMs: 10}, 15, dst)
	if diff := cmp.Diff([]Interval{{1, 2}, {10, 20}}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestWindowMergeSessions(t *testing.T) {
	tests := []struct {
		name string
		in   []Interval
		want []Interval
	}{
		{"empty", nil, nil},
		{"one", []Interval{{0, 10}}, []Interval{{0, 10}}},
		{"overlap", []Interval{{5, 15}, {0, 10}}, []Interval{{0, 15}}},
		{"touching stays apart", []Interval{{10, 20}, {0, 10}}, []Interval{{0, 10}, {10, 20}}},
		{"chain", []Interval{{20, 30}, {0, 10}, {9, 21}}, []Interval{{0, 30}}},
		{"contained", []Interval{{0, 100}, {10, 20}, {50, 60}}, []Interval{{0, 100}}},
		{"two groups", []Interval{{100, 110}, {0, 10}, {105, 120}, {5, 12}}, []Interval{{0, 12}, {100, 120}}},
		{"negative", []Interval{{-20, -5}, {-10, 0}}, []Interval{{-20, 0}}},
		{"duplicates", []Interval{{0, 10}, {0, 10}}, []Interval{{0, 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MergeSessions(append([]Interval(nil), tt.in...))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
