package eval

import (
	"fmt"
	"slices"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Interval is an event-time window in epoch milliseconds, half-open:
// [Start, End).
type Interval struct{ Start, End int64 }

// Contains reports whether ts falls in the window.
func (w Interval) Contains(ts int64) bool { return w.Start <= ts && ts < w.End }

// Overlaps reports whether the windows share at least one instant. Windows
// that only touch ([0,10) and [10,20)) do not overlap.
func (w Interval) Overlaps(o Interval) bool { return w.Start < o.End && o.Start < w.End }

func (w Interval) String() string {
	return fmt.Sprintf("[%s, %s)", FormatTimestamp(w.Start), FormatTimestamp(w.End))
}

// floorDiv is integer division rounding toward negative infinity, so that
// windows of timestamps before the epoch are aligned like the others.
func windowFloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// AssignWindows appends to dst the windows a record with event time tsMs
// belongs to, and returns the extended slice:
//
//   - tumbling: the one window [k·size, (k+1)·size) containing ts, aligned
//     to the epoch;
//   - hopping: every window [k·slide, k·slide+size) containing ts, in
//     ascending start order (none when slide > size and ts falls in a gap);
//   - session: the proto-window [ts, ts+gap), to be merged with the key's
//     other session windows by MergeSessions.
//
// These are the windows of Beam's FixedWindows, SlidingWindows and Sessions
// with zero offset. A window with a non-positive size, slide or gap (which
// lang rejects) assigns nothing.
func AssignWindows(w ir.Window, tsMs int64, dst []Interval) []Interval {
	switch w.Kind {
	case ir.WindowTumbling:
		if w.SizeMs <= 0 {
			return dst
		}
		s := windowFloorDiv(tsMs, w.SizeMs) * w.SizeMs
		return append(dst, Interval{s, s + w.SizeMs})
	case ir.WindowHopping:
		if w.SizeMs <= 0 || w.SlideMs <= 0 {
			return dst
		}
		last := windowFloorDiv(tsMs, w.SlideMs) * w.SlideMs
		// The first start is the smallest last - k·slide still > ts - size.
		k := windowFloorDiv(last-tsMs+w.SizeMs-1, w.SlideMs)
		for s := last - k*w.SlideMs; s <= last; s += w.SlideMs {
			dst = append(dst, Interval{s, s + w.SizeMs})
		}
		return dst
	case ir.WindowSession:
		if w.GapMs <= 0 {
			return dst
		}
		return append(dst, Interval{tsMs, tsMs + w.GapMs})
	}
	return dst
}

// MergeSessions merges session windows that overlap, as Beam's Sessions
// do: [0,10) and [5,15) become [0,15), while [0,10) and [10,20) stay apart
// (two records exactly one gap apart are in different sessions). It sorts
// ws in place and returns the merged windows, ascending, in ws's storage.
// To merge the accumulators too, fold every old window's Acc into the merged
// window that contains it (Aggregator.Merge).
func MergeSessions(ws []Interval) []Interval {
	if len(ws) < 2 {
		return ws
	}
	slices.SortFunc(ws, func(a, b Interval) int {
		if a.Start != b.Start {
			if a.Start < b.Start {
				return -1
			}
			return 1
		}
		switch {
		case a.End < b.End:
			return -1
		case a.End > b.End:
			return 1
		}
		return 0
	})
	out := ws[:1]
	for _, w := range ws[1:] {
		cur := &out[len(out)-1]
		if w.Start < cur.End {
			cur.End = max(cur.End, w.End)
			continue
		}
		out = append(out, w)
	}
	return out
}

// WindowError says which window's result failed: a window's result has no
// input record of its own to point at.
func WindowError(iv Interval, err error) error {
	return fmt.Errorf("window %s to %s: %w", FormatTimestamp(iv.Start), FormatTimestamp(iv.End), err)
}
