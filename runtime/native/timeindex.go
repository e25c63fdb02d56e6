package native

import (
	"fmt"
	"math"
)

// timeIndex is an operator's index of timed state in the store: one entry
// per timer, keyed by the operator prefix, a tag, the time (big-endian, so
// byte order is time order) and the operator's key bytes, with no value.
// Operators write entries when they write state out (at checkpoints and
// evictions) and visit them in time order as the watermark passes, so that
// state not in memory is found by a range scan instead of being loaded
// eagerly. Entries behind the scan position have been visited; entries are
// only ever written for times after the last visit, so none is missed.
type timeIndex struct {
	prefix []byte // operator prefix and tag
	from   []byte // where the next scan starts
	// next is the time of the first unvisited entry in the store,
	// math.MaxInt64 when there is none.
	next  int64
	batch []idxEntry
	pos   int
}

// idxEntry is one time index entry read from the store.
type idxEntry struct {
	at int64
	kb string
}

// idxScanBatch is how many index entries one store scan reads.
const idxScanBatch = 4096

func newTimeIndex(opPrefix []byte, tag byte) *timeIndex {
	p := append(append([]byte(nil), opPrefix...), tag)
	return &timeIndex{prefix: p, from: p, next: math.MaxInt64}
}

// key is the index key of the timer at t for kb.
func (x *timeIndex) key(t int64, kb string) []byte {
	k := make([]byte, 0, len(x.prefix)+8+len(kb))
	return append(appendTime(append(k, x.prefix...), t), kb...)
}

// wrote notes that an entry at t was written.
func (x *timeIndex) wrote(t int64) { x.next = min(x.next, t) }

// reset positions the index at its first entry in the store, as after a
// restore.
func (x *timeIndex) reset(st *store) error {
	x.from, x.next, x.batch, x.pos = x.prefix, math.MaxInt64, x.batch[:0], 0
	return st.iterate(x.prefix, prefixEnd(x.prefix), func(k, _ []byte) bool {
		if len(k) >= len(x.prefix)+8 {
			x.next = readTime(k[len(x.prefix):])
		}
		return false
	})
}

// peek returns the next unvisited entry with time <= through, or nil; pop
// marks it visited. Entries are read from the store (what was last flushed
// to Pebble) in batches.
func (x *timeIndex) peek(st *store, through int64) (*idxEntry, error) {
	if x.pos < len(x.batch) {
		if en := &x.batch[x.pos]; en.at <= through {
			return en, nil
		}
		return nil, nil
	}
	if x.next > through || x.next == math.MaxInt64 { // MaxInt64: no entries left
		return nil, nil
	}
	x.batch, x.pos = x.batch[:0], 0
	next := int64(math.MaxInt64)
	var last []byte
	err := st.iterate(x.from, prefixEnd(x.prefix), func(k, _ []byte) bool {
		if len(k) < len(x.prefix)+8 {
			return true
		}
		at := readTime(k[len(x.prefix):])
		if at > through || len(x.batch) == idxScanBatch {
			next = at
			return false
		}
		x.batch = append(x.batch, idxEntry{at: at, kb: string(k[len(x.prefix)+8:])})
		last = append(last[:0], k...)
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("time index: %w", err)
	}
	x.next = next
	if last != nil {
		x.from = append(last, 0) // the smallest key after last
	}
	if len(x.batch) == 0 {
		return nil, nil
	}
	return &x.batch[0], nil
}

// pop marks the entry peek returned visited.
func (x *timeIndex) pop() { x.pos++ }
