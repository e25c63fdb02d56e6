package beam

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/state"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/util/reflectx"
)

// TestQueueKeepsArrivalOrder checks a key's pending queue (queue.go)
// against what a keyed operator must do with its pending elements, written
// out plainly: at each timer firing at time now, sort every pending element
// in elementOrder (elements equal in it in the order they arrived), process
// the longest prefix whose elements are all at or before now, and keep the
// rest. Elements arrive between firings, in batches of random size, some
// out of arrival order (Seq below what is queued) and some with a Seq
// already seen; chunks are a few elements, so that firings cross chunk
// boundaries, take chunks in part and merge arrivals into the queue.
func TestQueueKeepsArrivalOrder(t *testing.T) {
	for _, chunk := range []int{1, 3, 8, 256} {
		t.Run(fmt.Sprint("chunk=", chunk), func(t *testing.T) {
			defer func(n int) { queueChunk = n }(queueChunk)
			queueChunk = chunk
			for seed := uint64(1); seed <= 20; seed++ {
				checkQueue(t, seed)
			}
		})
	}
}

func checkQueue(t *testing.T, seed uint64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	f := newKeyedFn(fnBase{})
	sp := newFakeState()
	var want []element // the pending elements, as the plain model keeps them
	id, seq, ts := 0, int64(0), int64(1000)
	for round := 0; round < 60; round++ {
		// Arrivals.
		for n := rng.IntN(30); n > 0; n-- {
			id++
			s := seq + 1
			switch rng.IntN(10) {
			case 0: // out of arrival order
				s = max(1, seq-int64(rng.IntN(40)))
			case 1: // a Seq seen already (two inputs numbered alike)
				s = seq
			default:
				seq = s
			}
			ts += int64(rng.IntN(3))
			el := element{Value: []byte(strconv.Itoa(id)), Seq: s, TsMs: ts - int64(rng.IntN(20)), Ver: int64(rng.IntN(2))}
			if err := f.Pending.Add(sp, el); err != nil {
				t.Fatal(err)
			}
			want = append(want, el)
		}
		// A firing.
		now := ts - int64(rng.IntN(30))
		if round == 59 {
			now = math.MaxInt64 // the end of the input: everything goes
		}
		slices.SortStableFunc(want, elementOrder)
		ready := 0
		for ready < len(want) && want[ready].TsMs <= now {
			ready++
		}
		wantDone, wantRest := want[:ready], want[ready:]
		q, err := f.openQueue(sp)
		if err != nil {
			t.Fatal(err)
		}
		var done []element
		first, left, err := q.takeReady(now, func(el element) error { done = append(done, el); return nil })
		if err != nil {
			t.Fatal(err)
		}
		restMin, restMax, err := q.save()
		if err != nil {
			t.Fatal(err)
		}
		if g, w := ids(done), ids(wantDone); !slices.Equal(g, w) {
			t.Fatalf("seed %d, round %d (now %d): processed %v, want %v", seed, round, now, g, w)
		}
		if left != (len(wantRest) > 0) || left && string(first.Value) != string(wantRest[0].Value) {
			t.Fatalf("seed %d, round %d: first left %q (%v), want %v", seed, round, first.Value, left, ids(wantRest[:min(1, len(wantRest))]))
		}
		wantMin, wantMax := int64(math.MaxInt64), int64(math.MinInt64)
		for _, el := range wantRest {
			wantMin, wantMax = min(wantMin, el.TsMs), max(wantMax, el.TsMs)
		}
		if restMin != wantMin || restMax != wantMax {
			t.Fatalf("seed %d, round %d: event times left %d to %d, want %d to %d", seed, round, restMin, restMax, wantMin, wantMax)
		}
		want = slices.Clone(wantRest)
	}
	if len(want) != 0 || len(sp.maps["queue"]) != 0 || sp.values["queueindex"] != nil || len(sp.bags["pending"]) != 0 {
		t.Fatalf("seed %d: state left behind: %d elements, %d chunks, index %v, bag %d",
			seed, len(want), len(sp.maps["queue"]), sp.values["queueindex"], len(sp.bags["pending"]))
	}
}

func ids(els []element) []string {
	out := make([]string, len(els))
	for i, el := range els {
		out[i] = string(el.Value)
	}
	return out
}

// fakeState is a state.Provider that applies every write at once, as the
// runner does for the SDK; it copies slices in and out, as encoding does.
type fakeState struct {
	values map[string]any
	bags   map[string][]any
	maps   map[string]map[any]any
}

func newFakeState() *fakeState {
	return &fakeState{values: map[string]any{}, bags: map[string][]any{}, maps: map[string]map[any]any{}}
}

func copied(v any) any {
	if els, ok := v.([]element); ok {
		return slices.Clone(els)
	}
	if idx, ok := v.(queueIndex); ok {
		idx.Chunks = slices.Clone(idx.Chunks)
		return idx
	}
	return v
}

func (s *fakeState) ReadValueState(id string) (any, []state.Transaction, error) {
	return copied(s.values[id]), nil, nil
}
func (s *fakeState) WriteValueState(t state.Transaction) error {
	s.values[t.Key] = copied(t.Val)
	return nil
}
func (s *fakeState) ClearValueState(t state.Transaction) error {
	delete(s.values, t.Key)
	return nil
}
func (s *fakeState) ReadBagState(id string) ([]any, []state.Transaction, error) {
	return slices.Clone(s.bags[id]), nil, nil
}
func (s *fakeState) WriteBagState(t state.Transaction) error {
	s.bags[t.Key] = append(s.bags[t.Key], copied(t.Val))
	return nil
}
func (s *fakeState) ClearBagState(t state.Transaction) error {
	delete(s.bags, t.Key)
	return nil
}
func (s *fakeState) ReadMapStateValue(id string, key any) (any, []state.Transaction, error) {
	return copied(s.maps[id][key]), nil, nil
}
func (s *fakeState) ReadMapStateKeys(id string) ([]any, []state.Transaction, error) {
	var keys []any
	for k := range s.maps[id] {
		keys = append(keys, k)
	}
	return keys, nil, nil
}
func (s *fakeState) WriteMapState(t state.Transaction) error {
	if s.maps[t.Key] == nil {
		s.maps[t.Key] = map[any]any{}
	}
	s.maps[t.Key][t.MapKey] = copied(t.Val)
	return nil
}
func (s *fakeState) ClearMapStateKey(t state.Transaction) error {
	delete(s.maps[t.Key], t.MapKey)
	return nil
}
func (s *fakeState) ClearMapState(t state.Transaction) error {
	delete(s.maps, t.Key)
	return nil
}
func (s *fakeState) CreateAccumulatorFn(string) reflectx.Func { return nil }
func (s *fakeState) AddInputFn(string) reflectx.Func          { return nil }
func (s *fakeState) MergeAccumulatorsFn(string) reflectx.Func { return nil }
func (s *fakeState) ExtractOutputFn(string) reflectx.Func     { return nil }
func (s *fakeState) ReadOrderedListState(string) ([]any, []state.Transaction, error) {
	return nil, nil, fmt.Errorf("fakeState: no ordered lists")
}
func (s *fakeState) WriteOrderedListState(state.Transaction) error {
	return fmt.Errorf("fakeState: no ordered lists")
}
func (s *fakeState) ClearOrderedListState(state.Transaction) error {
	return fmt.Errorf("fakeState: no ordered lists")
}
