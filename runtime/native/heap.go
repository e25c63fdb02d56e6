package native

// timed is a value due at an event time.
type timed[T any] struct {
	at int64
	v  T
}

// timerHeap is a min-heap of timers by time. It is written out instead of
// using container/heap so that pushing and popping does not box every timer
// in an interface (one allocation each on the hot path).
type timerHeap[T any] []timed[T]

func (h timerHeap[T]) Len() int { return len(h) }

// peek returns the earliest timer's time; the heap must not be empty.
func (h timerHeap[T]) peek() int64 { return h[0].at }

func (h *timerHeap[T]) push(at int64, v T) {
	*h = append(*h, timed[T]{at, v})
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *timerHeap[T]) pop() timed[T] {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	var zero timed[T]
	s[last] = zero
	s = s[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		m := l
		if r := l + 1; r < len(s) && s[r].at < s[l].at {
			m = r
		}
		if s[i].at <= s[m].at {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
