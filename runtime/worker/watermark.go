package worker

import (
	"math"
	"sync"
)

// watermarker is an Engine that knows its event time (native.Engine:
// math.MinInt64 before any).
type watermarker interface {
	Watermark() int64
}

// watermarks keeps the last watermark of each partition group of a stage,
// noted after every feed, for progress reports read from other goroutines.
type watermarks struct {
	mu  sync.Mutex
	pgs map[int32]int64
}

func (w *watermarks) note(g *pgroup) {
	wm, ok := g.eng.(watermarker)
	if !ok {
		return
	}
	ms := wm.Watermark()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.pgs == nil {
		w.pgs = map[int32]int64{}
	}
	w.pgs[g.id] = ms
}

// min is the least watermark over the partition groups noted so far; ok is
// false when none has event time yet.
func (w *watermarks) min() (int64, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	low, any := int64(math.MaxInt64), false
	for _, ms := range w.pgs {
		if ms == math.MinInt64 {
			continue
		}
		any = true
		low = min(low, ms)
	}
	if !any {
		return 0, false
	}
	return low, true
}
