package planfmt

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Graph formats.
const (
	FormatDOT     = "dot"
	FormatMermaid = "mermaid"
)

// edge is one stream from a producer to a consumer.
type edge struct {
	from, to int    // operator positions
	label    string // route output name, "" otherwise
	channel  bool   // crosses stages
}

// graphOf lists the plan's operators by position, the stage of each, and its
// edges in a deterministic order.
func graphOf(p *ir.Plan) (ops []*ir.Operator, stageOf map[string]*ir.Stage, edges []edge) {
	ops = p.Pipeline.Operators
	index := map[string]int{}
	for i, op := range ops {
		index[op.ID] = i
	}
	stageOf = map[string]*ir.Stage{}
	for _, s := range p.Stages {
		for _, id := range s.Operators {
			stageOf[id] = s
		}
	}
	for i, op := range ops {
		for _, in := range op.Inputs {
			id, output := ir.StreamOperator(in)
			j, ok := index[id]
			if !ok {
				continue
			}
			edges = append(edges, edge{from: j, to: i, label: output, channel: stageOf[id] != stageOf[op.ID]})
		}
	}
	return ops, stageOf, edges
}

// WriteDOT renders the plan as a Graphviz digraph: one node per operator
// labelled with its ID and backend, stages as clusters, edges labelled with
// route output names, dashed where a channel carries them between stages.
func WriteDOT(w io.Writer, p *ir.Plan) error {
	ops, stageOf, edges := graphOf(p)
	var b bytes.Buffer
	fmt.Fprintf(&b, "digraph %s {\n", strconv.Quote(p.Pipeline.Name))
	b.WriteString("  rankdir=LR;\n  node [shape=box];\n")
	node := func(indent string, op *ir.Operator) {
		fmt.Fprintf(&b, "%s%s [label=%s];\n", indent, strconv.Quote(op.ID), strconv.Quote(op.ID+"\n"+backendOf(stageOf, op)))
	}
	for n, s := range p.Stages {
		fmt.Fprintf(&b, "  subgraph %s {\n", strconv.Quote(fmt.Sprintf("cluster_%d", n+1)))
		fmt.Fprintf(&b, "    label=%s;\n", strconv.Quote(s.ID+" ("+s.Backend+")"))
		for _, op := range ops {
			if stageOf[op.ID] == s {
				node("    ", op)
			}
		}
		b.WriteString("  }\n")
	}
	for _, op := range ops {
		if stageOf[op.ID] == nil {
			node("  ", op)
		}
	}
	for _, e := range edges {
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+strconv.Quote(e.label))
		}
		if e.channel {
			attrs = append(attrs, "style=dashed")
		}
		fmt.Fprintf(&b, "  %s -> %s", strconv.Quote(ops[e.from].ID), strconv.Quote(ops[e.to].ID))
		if len(attrs) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(attrs, ", "))
		}
		b.WriteString(";\n")
	}
	b.WriteString("}\n")
	_, err := w.Write(b.Bytes())
	return err
}

// WriteMermaid renders the plan as a Mermaid flowchart with the same content
// as WriteDOT; node IDs are positional (n1, n2, ...) so any operator name is
// safe.
func WriteMermaid(w io.Writer, p *ir.Plan) error {
	ops, stageOf, edges := graphOf(p)
	var b bytes.Buffer
	b.WriteString("flowchart LR\n")
	node := func(indent string, i int, op *ir.Operator) {
		fmt.Fprintf(&b, "%sn%d[\"%s<br/>%s\"]\n", indent, i+1, mermaidText(op.ID), mermaidText(backendOf(stageOf, op)))
	}
	for n, s := range p.Stages {
		fmt.Fprintf(&b, "  subgraph s%d[\"%s (%s)\"]\n", n+1, mermaidText(s.ID), mermaidText(s.Backend))
		for i, op := range ops {
			if stageOf[op.ID] == s {
				node("    ", i, op)
			}
		}
		b.WriteString("  end\n")
	}
	for i, op := range ops {
		if stageOf[op.ID] == nil {
			node("  ", i, op)
		}
	}
	for _, e := range edges {
		arrow := "-->"
		if e.channel {
			arrow = "-.->"
		}
		if e.label != "" {
			arrow += "|" + mermaidText(e.label) + "|"
		}
		fmt.Fprintf(&b, "  n%d %s n%d\n", e.from+1, arrow, e.to+1)
	}
	_, err := w.Write(b.Bytes())
	return err
}

func backendOf(stageOf map[string]*ir.Stage, op *ir.Operator) string {
	if s := stageOf[op.ID]; s != nil {
		return s.Backend
	}
	return "unplaced"
}

// mermaidText escapes text for a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "|", "#124;", "<", "#lt;", ">", "#gt;").Replace(s)
}
