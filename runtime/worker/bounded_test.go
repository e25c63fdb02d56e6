package worker

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestBoundsCut checks where a bounded partition's records stop, when it
// counts as reached, and when a stage's bounded input is over.
func TestBoundsCut(t *testing.T) {
	recs := func(offsets ...int64) []*kgo.Record {
		var out []*kgo.Record
		for _, o := range offsets {
			out = append(out, &kgo.Record{Offset: o})
		}
		return out
	}
	offsetsOf := func(rs []*kgo.Record) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.Offset)
		}
		return out
	}
	for _, tc := range []struct {
		name         string
		rg           OffsetRange
		polls        [][]int64
		kept         [][]int64
		reachedAt    int // index of the poll that reaches the end, -1: none
		emptyAtFirst bool
	}{
		{name: "ends inside a poll", rg: OffsetRange{2, 5}, polls: [][]int64{{2, 3, 4, 5, 6}}, kept: [][]int64{{2, 3, 4}}, reachedAt: 0},
		{name: "ends with a poll", rg: OffsetRange{2, 5}, polls: [][]int64{{2, 3}, {4}}, kept: [][]int64{{2, 3}, {4}}, reachedAt: 1},
		{name: "a gap over the end", rg: OffsetRange{0, 3}, polls: [][]int64{{0, 1}, {7}}, kept: [][]int64{{0, 1}, nil}, reachedAt: 1},
		{name: "not reached", rg: OffsetRange{0, 10}, polls: [][]int64{{0, 1}, {2}}, kept: [][]int64{{0, 1}, {2}}, reachedAt: -1},
		{name: "empty range", rg: OffsetRange{4, 4}, polls: nil, reachedAt: -1, emptyAtFirst: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &bounds{ranges: map[string]map[int32]OffsetRange{"in": {0: tc.rg}}, all: true, pending: map[string]map[int32]bool{}}
			if tc.rg.Start < tc.rg.End {
				b.pending["in"] = map[int32]bool{0: true}
			}
			if got := b.done(); got != tc.emptyAtFirst {
				t.Errorf("done before any poll = %v, want %v", got, tc.emptyAtFirst)
			}
			for i, poll := range tc.polls {
				kept, reached := b.cut("in", 0, recs(poll...))
				if d := cmp.Diff(tc.kept[i], offsetsOf(kept)); d != "" {
					t.Errorf("poll %d kept (-want +got):\n%s", i, d)
				}
				if want := i == tc.reachedAt; reached != want {
					t.Errorf("poll %d reached = %v, want %v", i, reached, want)
				}
				if want := tc.reachedAt >= 0 && i >= tc.reachedAt; b.done() != want {
					t.Errorf("after poll %d done = %v, want %v", i, b.done(), want)
				}
			}
			// A topic the bounds do not know passes whole.
			if kept, reached := b.cut("other", 0, recs(100, 101)); len(kept) != 2 || reached {
				t.Errorf("unbounded topic: kept %d, reached %v", len(kept), reached)
			}
		})
	}
	// A stage that also reads an unbounded topic (a channel) never ends by
	// its bounds.
	b := &bounds{ranges: map[string]map[int32]OffsetRange{"in": {0: {0, 0}}}, all: false, pending: map[string]map[int32]bool{}}
	if b.done() {
		t.Error("done with an unbounded input")
	}
	if (*bounds)(nil).done() {
		t.Error("nil bounds done")
	}
}
