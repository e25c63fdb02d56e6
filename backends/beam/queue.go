package beam

import (
	"math"
	"slices"
)

// A key's pending elements (keyed.go) wait in two places: elements that
// arrive go into a bag (keyedFn.Pending, one append each), and a timer
// firing moves what it does not process into a queue: the elements sorted
// in elementOrder, cut into chunks of at most queueChunk elements held in
// map state (keyedFn.Queue, by chunk number), described by a small index
// (keyedFn.QueueIndex: each chunk's size and earliest event time).
//
// A firing processes a prefix of the key's pending elements in
// elementOrder, so it reads the bag, the index and only the chunks it
// consumes, and writes back the one chunk it consumed part of: work in
// proportion to what is ready and to what arrived, not to what waits. A
// single bag re-read and rewritten whole at every firing made a hot key
// (one key for a whole input, as Nexmark q7's top has) quadratic: with
// the elements of a bounded file all pending before the watermark moves,
// every distinct event time is a firing.

// queueChunk is the most elements one chunk of a key's queue holds. A
// variable so that a test can make chunks small.
var queueChunk = 256

// queueIndex describes a key's queue: chunks Lo, Lo+1, … of
// keyedFn.Queue, in elementOrder, and the order key of its last element.
type queueIndex struct {
	Lo     int64
	Chunks []queueChunkInfo
	// Last is the queue's last element in elementOrder, without its value
	// (only Seq, Ver and Sub are set).
	Last element
}

// queueChunkInfo is one chunk's size and earliest and latest event times.
type queueChunkInfo struct {
	N     int64
	MinTs int64
	MaxTs int64
}

// pendingQueue is one timer firing's view of a key's pending elements: the
// queue's chunks, read as they are reached, merged with what arrived in the
// bag since the last firing.
type pendingQueue struct {
	f  *keyedFn
	sp stateProvider

	idx queueIndex
	// in is what arrived in the bag, sorted; inPos of it are taken.
	in    []element
	inPos int
	// Chunk ci of idx.Chunks is the next to take from; when loaded, cur
	// holds its elements and curPos of them are taken. Chunks before ci
	// are taken whole.
	ci     int
	cur    []element
	curPos int
	loaded bool
}

// openQueue reads a key's index and bag.
func (f *keyedFn) openQueue(sp stateProvider) (*pendingQueue, error) {
	q := &pendingQueue{f: f, sp: sp}
	idx, _, err := f.QueueIndex.Read(sp)
	if err != nil {
		return nil, err
	}
	q.idx = idx
	in, _, err := f.Pending.Read(sp)
	if err != nil {
		return nil, err
	}
	// Stable: elements equal in elementOrder keep their bag order.
	slices.SortStableFunc(in, elementOrder)
	q.in = in
	return q, nil
}

// load reads chunk ci if it is not in memory.
func (q *pendingQueue) load() error {
	if q.loaded || q.ci >= len(q.idx.Chunks) {
		return nil
	}
	c, _, err := q.f.Queue.Get(q.sp, q.idx.Lo+int64(q.ci))
	if err != nil {
		return err
	}
	q.cur, q.curPos, q.loaded = c, 0, true
	return nil
}

// peek returns the first element not taken yet, in elementOrder; between
// equal ones, the queue's (it arrived first).
func (q *pendingQueue) peek() (element, bool, error) {
	for {
		if err := q.load(); err != nil {
			return element{}, false, err
		}
		if q.loaded && q.curPos == len(q.cur) {
			// An empty chunk: none is written, but skip it all the same.
			q.ci, q.loaded = q.ci+1, false
			continue
		}
		break
	}
	fromQueue := q.loaded
	fromIn := q.inPos < len(q.in)
	switch {
	case fromQueue && fromIn:
		if elementOrder(q.in[q.inPos], q.cur[q.curPos]) < 0 {
			return q.in[q.inPos], true, nil
		}
		return q.cur[q.curPos], true, nil
	case fromQueue:
		return q.cur[q.curPos], true, nil
	case fromIn:
		return q.in[q.inPos], true, nil
	}
	return element{}, false, nil
}

// take takes the element peek returned.
func (q *pendingQueue) take() {
	if q.loaded && q.curPos < len(q.cur) && (q.inPos == len(q.in) || elementOrder(q.in[q.inPos], q.cur[q.curPos]) >= 0) {
		q.curPos++
		if q.curPos == len(q.cur) {
			q.ci, q.loaded = q.ci+1, false
		}
		return
	}
	q.inPos++
}

// takeReady hands process the pending elements in arrival order up to the
// first the watermark now has not reached, and returns that one (left is
// false when none is left).
func (q *pendingQueue) takeReady(now int64, process func(element) error) (first element, left bool, err error) {
	for {
		el, ok, err := q.peek()
		if err != nil || !ok {
			return element{}, false, err
		}
		if el.TsMs > now {
			return el, true, nil
		}
		q.take()
		if err := process(el); err != nil {
			return element{}, false, err
		}
	}
}

// save writes back what was not taken and returns the earliest and latest
// event times among it (math.MaxInt64 and math.MinInt64 when nothing is
// left).
func (q *pendingQueue) save() (minTs, maxTs int64, err error) {
	f, sp := q.f, q.sp
	// The chunks taken whole.
	for i := 0; i < q.ci; i++ {
		if err := f.Queue.Remove(sp, q.idx.Lo+int64(i)); err != nil {
			return 0, 0, err
		}
	}
	lo := q.idx.Lo + int64(q.ci)
	chunks := slices.Clone(q.idx.Chunks[q.ci:])
	// The chunk taken in part.
	var cur []element // chunks[0]'s elements, when in memory
	if q.loaded {
		cur = q.cur[q.curPos:]
		if q.curPos > 0 {
			if err := f.Queue.Put(sp, lo, cur); err != nil {
				return 0, 0, err
			}
			chunks[0] = chunkInfo(cur)
		}
	}
	last := q.idx.Last
	rest := q.in[q.inPos:]
	switch {
	case len(rest) == 0:
	case len(chunks) == 0 || elementOrder(rest[0], last) >= 0:
		// After the whole queue (what arrives usually is): fill the last
		// chunk, then new ones.
		if n := len(chunks); n > 0 && chunks[n-1].N < int64(queueChunk) {
			id := lo + int64(n-1)
			var c []element
			if n == 1 && q.loaded {
				c = slices.Clone(cur)
			} else {
				var err error
				if c, _, err = f.Queue.Get(sp, id); err != nil {
					return 0, 0, err
				}
			}
			room := max(0, min(queueChunk-len(c), len(rest)))
			c = append(slices.Clip(c), rest[:room]...)
			rest = rest[room:]
			if err := f.Queue.Put(sp, id, c); err != nil {
				return 0, 0, err
			}
			chunks[n-1] = chunkInfo(c)
		}
		for len(rest) > 0 {
			n := min(queueChunk, len(rest))
			if err := f.Queue.Put(sp, lo+int64(len(chunks)), rest[:n]); err != nil {
				return 0, 0, err
			}
			chunks = append(chunks, chunkInfo(rest[:n]))
			rest = rest[n:]
		}
		last = orderKey(q.in[len(q.in)-1])
	default:
		// Some of it goes before queued elements (Beam delivered it out of
		// arrival order): merge the whole queue with it and write it anew.
		var all []element
		for i := range chunks {
			if i == 0 && q.loaded {
				all = append(all, cur...)
				continue
			}
			c, _, err := f.Queue.Get(sp, lo+int64(i))
			if err != nil {
				return 0, 0, err
			}
			all = append(all, c...)
		}
		all = mergeOrdered(all, rest)
		old := len(chunks)
		chunks = chunks[:0]
		for len(all) > 0 {
			n := min(queueChunk, len(all))
			if err := f.Queue.Put(sp, lo+int64(len(chunks)), all[:n]); err != nil {
				return 0, 0, err
			}
			chunks = append(chunks, chunkInfo(all[:n]))
			last = orderKey(all[n-1])
			all = all[n:]
		}
		for i := len(chunks); i < old; i++ {
			if err := f.Queue.Remove(sp, lo+int64(i)); err != nil {
				return 0, 0, err
			}
		}
	}
	if len(q.in) > 0 {
		if err := f.Pending.Clear(sp); err != nil {
			return 0, 0, err
		}
	}
	minTs, maxTs = math.MaxInt64, math.MinInt64
	for _, c := range chunks {
		minTs, maxTs = min(minTs, c.MinTs), max(maxTs, c.MaxTs)
	}
	if len(chunks) == 0 {
		if len(q.idx.Chunks) == 0 {
			return minTs, maxTs, nil
		}
		return minTs, maxTs, f.QueueIndex.Clear(sp)
	}
	return minTs, maxTs, f.QueueIndex.Write(sp, queueIndex{Lo: lo, Chunks: chunks, Last: last})
}

func chunkInfo(els []element) queueChunkInfo {
	c := queueChunkInfo{N: int64(len(els)), MinTs: math.MaxInt64, MaxTs: math.MinInt64}
	for _, el := range els {
		c.MinTs, c.MaxTs = min(c.MinTs, el.TsMs), max(c.MaxTs, el.TsMs)
	}
	return c
}

// orderKey is el without what elementOrder does not look at.
func orderKey(el element) element { return element{Seq: el.Seq, Ver: el.Ver, Sub: el.Sub} }

// mergeOrdered merges a and b, each in elementOrder; between equal
// elements, a's first.
func mergeOrdered(a, b []element) []element {
	out := make([]element, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if elementOrder(b[0], a[0]) < 0 {
			out, b = append(out, b[0]), b[1:]
		} else {
			out, a = append(out, a[0]), a[1:]
		}
	}
	return append(append(out, a...), b...)
}
