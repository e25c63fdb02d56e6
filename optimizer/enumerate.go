package optimizer

import "math"

// problem is placement as an optimization problem, with nothing left of the
// pipeline but numbers: choose a label (backend) per node minimizing
//
//	Σ over nodes i: unary[i][label(i)] + fixed[label(i)]
//	+ Σ over edges (j → i, input k): edgeCost(i, k, label(j), label(i))
//
// where an edge between two labels costs a channel at both ends, an edge
// within one label costs a repartition channel when the node needs its input
// keyed there (cut), and otherwise fuses the two nodes into one stage, which
// takes back the node's fixed cost. So the fixed cost is paid once per stage
// (a deployed module, a worker group, a submitted job), counting stages as
// the components of the fused edges; only a node whose fused producers are
// already one stage (a diamond) is undercounted.
//
// Every term depends on one node's label or on the labels at both ends of
// one edge, so the dynamic program of solve is exact.
//
// Nodes are in topological order: every producer comes before its consumer.
type problem struct {
	labels    int
	unary     [][]float64 // per node, per label; +Inf: infeasible
	producers [][]int     // per node, per input: producer node
	weights   [][]float64 // per node, per input: bytes/s on the edge
	// cut is, per node, per input, per label of the node, whether the
	// input must arrive through a repartition channel when its producer
	// runs on the same label. Across labels the channel between the two is
	// written keyed by the consumer's key, so it needs no second one.
	// nil: never.
	cut     [][][]bool
	channel []float64 // per label: cost of a channel byte at that end
	fixed   []float64 // per label: paid once per stage
	// noFusion: every node is a stage of its own (WithoutFusion).
	noFusion bool
}

// edge splits the cost of input k of node i, produced on label a and
// consumed on label b, into channels and stage fixed costs.
func (pr *problem) edge(i, k, a, b int) (channel, stages float64) {
	w := pr.weights[i][k]
	switch {
	case a != b:
		return w * (pr.channel[a] + pr.channel[b]), 0
	case pr.cut != nil && pr.cut[i][k][b]:
		return 2 * w * pr.channel[b], 0
	case pr.noFusion:
		return 0, 0
	}
	return 0, -pr.fixed[b]
}

// edgeCost is the whole cost of input k of node i between labels a and b.
func (pr *problem) edgeCost(i, k, a, b int) float64 {
	c, s := pr.edge(i, k, a, b)
	return c + s
}

// nodeCost is node i's own cost on label l: running it, and a stage.
func (pr *problem) nodeCost(i, l int) float64 { return pr.unary[i][l] + pr.fixed[l] }

// cost evaluates a complete assignment.
func (pr *problem) cost(labels []int) float64 {
	total := 0.0
	for i, l := range labels {
		total += pr.nodeCost(i, l)
		for k, j := range pr.producers[i] {
			total += pr.edgeCost(i, k, labels[j], l)
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
// consumer still to place) affects what the
// rest can cost, so of partial plans equal on it only the cheapest is kept.
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
		// Keys pack into a uint64 (3 bits per frontier label) for every
		// realistic pipeline; strings otherwise.
		packed := pr.labels <= 8 && len(next) <= 21
		index := map[string]int{}
		index64 := map[uint64]int{}
		var out []state
		for si, s := range cur {
			for l := 0; l < pr.labels; l++ {
				c := pr.unary[i][l]
				if math.IsInf(c, 1) {
					continue
				}
				c += s.cost + pr.fixed[l]
				for k, j := range pr.producers[i] {
					c += pr.edgeCost(i, k, int(s.frontier[pos[j]]), l)
				}
				key = key[:0]
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
					for f, lab := range key {
						k64 |= uint64(lab) << (3 * f)
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
				fr := []uint8(string(key))
				out = append(out, state{frontier: fr, cost: c, back: int32(si), label: uint8(l)})
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
