package optimizer

import "math"

// problem is placement as an optimization problem, with nothing left of the
// pipeline but numbers: choose a label (backend) per node minimizing
//
//	Σ unary[i][label(i)]
//	+ Σ over edges (j → i) with label(j) ≠ label(i): edge weight × (channel[label(j)] + channel[label(i)])
//	+ Σ over used labels: fixed[label]
//
// Nodes are in topological order: every producer comes before its consumer.
type problem struct {
	labels    int
	unary     [][]float64 // per node, per label; +Inf: infeasible
	producers [][]int     // per node, per input: producer node
	weights   [][]float64 // per node, per input: bytes/s on the edge
	channel   []float64   // per label: cost of a channel byte at that end
	fixed     []float64   // per label: paid once if any node uses it
}

// edgeCost is the cost of an edge carrying w bytes/s between labels a and b.
func (pr *problem) edgeCost(w float64, a, b int) float64 {
	if a == b {
		return 0
	}
	return w * (pr.channel[a] + pr.channel[b])
}

// cost evaluates a complete assignment.
func (pr *problem) cost(labels []int) float64 {
	total := 0.0
	used := make([]bool, pr.labels)
	for i, l := range labels {
		total += pr.unary[i][l]
		used[l] = true
		for k, j := range pr.producers[i] {
			total += pr.edgeCost(pr.weights[i][k], labels[j], l)
		}
	}
	for l, u := range used {
		if u {
			total += pr.fixed[l]
		}
	}
	return total
}

// maxStates bounds the partial plans kept per step. The frontier of real
// pipelines is a handful of operators; past this bound the enumeration is
// no longer exact, and solve says so.
const maxStates = 1 << 16

// solve finds an assignment of least cost by dynamic programming over the
// topological order (Wayang's enumeration with lossless pruning): a partial
// plan is the labels of nodes 0..i; only the frontier (placed nodes with a
// consumer still to place) and the set of labels used so far affect what the
// rest can cost, so of partial plans equal on both only the cheapest is kept.
// It returns nil when no assignment is feasible, and exact = false when the
// state bound forced it to drop plans that might have been optimal.
func solve(pr *problem) (labels []int, cost float64, exact bool) {
	n := len(pr.unary)
	exact = true
	if n == 0 {
		return []int{}, 0, true
	}
	last := make([]int, n) // last consumer of each node; -1: none
	for i := range last {
		last[i] = -1
	}
	for i, ps := range pr.producers {
		for _, j := range ps {
			last[j] = max(last[j], i)
		}
	}
	type state struct {
		used     uint32
		frontier []uint8 // labels of the frontier nodes, in frontier order
		cost     float64
		back     int32 // index of the predecessor state
		label    uint8
	}
	frontier := []int{} // node indices, ascending
	cur := []state{{}}
	backs := make([][]state, n) // per step: states, for reconstruction
	pos := make([]int, n)       // node → position in the current frontier
	key := make([]byte, 0, 64)
	for i := 0; i < n; i++ {
		// The next frontier: the current one minus nodes whose last consumer
		// is i, plus i itself if something consumes it.
		next := make([]int, 0, len(frontier)+1)
		for _, j := range frontier {
			if last[j] > i {
				next = append(next, j)
			}
		}
		keepI := last[i] > i
		if keepI {
			next = append(next, i)
		}
		for k, j := range frontier {
			pos[j] = k
		}
		// Keys pack into a uint64 (8 bits of used set, 3 bits per frontier
		// label) for every realistic pipeline; strings otherwise.
		packed := pr.labels <= 8 && len(next) <= 18
		index := map[string]int{}
		index64 := map[uint64]int{}
		var out []state
		for si, s := range cur {
			for l := 0; l < pr.labels; l++ {
				c := pr.unary[i][l]
				if math.IsInf(c, 1) {
					continue
				}
				c += s.cost
				for k, j := range pr.producers[i] {
					c += pr.edgeCost(pr.weights[i][k], int(s.frontier[pos[j]]), l)
				}
				used := s.used | 1<<l
				if used != s.used {
					c += pr.fixed[l]
				}
				key = key[:0]
				key = append(key, byte(used), byte(used>>8), byte(used>>16), byte(used>>24))
				for _, j := range next {
					if j == i {
						key = append(key, uint8(l))
					} else {
						key = append(key, s.frontier[pos[j]])
					}
				}
				var k64 uint64
				var at int
				var found bool
				if packed {
					k64 = uint64(used)
					for f, lab := range key[4:] {
						k64 |= uint64(lab) << (8 + 3*f)
					}
					at, found = index64[k64]
				} else {
					at, found = index[string(key)]
				}
				if found {
					if c < out[at].cost {
						out[at].cost, out[at].back, out[at].label = c, int32(si), uint8(l)
					}
					continue
				}
				if len(out) >= maxStates {
					exact = false
					continue
				}
				if packed {
					index64[k64] = len(out)
				} else {
					index[string(key)] = len(out)
				}
				fr := []uint8(string(key[4:]))
				out = append(out, state{used: used, frontier: fr, cost: c, back: int32(si), label: uint8(l)})
			}
		}
		if len(out) == 0 {
			return nil, math.Inf(1), exact
		}
		backs[i] = out
		cur = out
		frontier = next
	}
	best := 0
	for si, s := range cur {
		if s.cost < cur[best].cost {
			best = si
		}
	}
	cost = cur[best].cost
	labels = make([]int, n)
	for i := n - 1; i >= 0; i-- {
		s := backs[i][best]
		labels[i] = int(s.label)
		best = int(s.back)
	}
	return labels, cost, exact
}
