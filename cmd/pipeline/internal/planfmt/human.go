package planfmt

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
)

// Summary returns the plan's one-line summary, for example
// "Plan: 2 stages (broker, native), 1 channel, 8 operators".
func Summary(p *ir.Plan) string {
	var order []string
	count := map[string]int{}
	for _, s := range p.Stages {
		if count[s.Backend] == 0 {
			order = append(order, s.Backend)
		}
		count[s.Backend]++
	}
	parts := make([]string, len(order))
	for i, b := range order {
		if n := count[b]; n > 1 && len(order) > 1 {
			parts[i] = fmt.Sprintf("%d %s", n, b)
		} else {
			parts[i] = b
		}
	}
	backends := ""
	if len(parts) > 0 {
		backends = " (" + strings.Join(parts, ", ") + ")"
	}
	ops := 0
	if p.Pipeline != nil {
		ops = len(p.Pipeline.Operators)
	}
	return fmt.Sprintf("Plan: %s%s, %s, %s",
		plural(len(p.Stages), "stage"), backends, plural(len(p.Channels), "channel"), plural(ops, "operator"))
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// Write renders the plan for a terminal: the summary and the cost profile,
// then every stage (its backend, operators, topics read → written, why it
// is there, notes), then the channels between stages, and last what changes
// since the last apply.
func Write(w io.Writer, p *ir.Plan) error {
	var b bytes.Buffer
	b.WriteString(Summary(p))
	b.WriteString("\n")
	b.WriteString(CostProfileLine(p))
	b.WriteString("\n")
	if resets := p.StateResets(); len(resets) > 0 {
		names := make([]string, len(resets))
		for i, r := range resets {
			names[i] = r.Address
		}
		fmt.Fprintf(&b, "\n! This plan resets state or offsets: %s (see State and offsets below).\n", list(names, ", "))
	}
	if len(p.Rewrites) > 0 {
		b.WriteString("\nRewrites:\n")
		for _, r := range p.Rewrites {
			fmt.Fprintf(&b, "  %s\n", r)
		}
	}
	for _, s := range p.Stages {
		fmt.Fprintf(&b, "\nStage %s on %s\n", s.ID, s.Backend)
		fmt.Fprintf(&b, "  operators: %s\n", list(s.Operators, ", "))
		fmt.Fprintf(&b, "  topics:    %s → %s\n", list(s.Inputs, ", "), list(s.Outputs, ", "))
		fmt.Fprintf(&b, "  why:       %s\n", s.Why)
		for _, d := range s.Decodes {
			if d.Pruned() {
				fmt.Fprintf(&b, "  decodes:   %s\n", decodeLine(d))
			}
		}
		for _, n := range s.Notes {
			fmt.Fprintf(&b, "  note:      %s\n", n)
		}
	}
	if len(p.Channels) > 0 {
		b.WriteString("\nChannels:\n")
		for _, c := range p.Channels {
			from, to := stageID(p, c.From), stageID(p, c.To)
			fmt.Fprintf(&b, "  %s → %s via topic %s (%s → %s)\n", c.From, c.To, c.Topic, from, to)
		}
	}
	if len(p.Explain) > 0 {
		fmt.Fprintf(&b, "\nAlternatives (plan cost %s):\n", ir.FormatCost(p.Cost))
		for _, c := range p.Explain {
			fmt.Fprintf(&b, "  %s on %s\n", c.Operator, c.Backend)
			for _, a := range c.Alternatives {
				if a.Infeasible {
					fmt.Fprintf(&b, "    %s: cannot: %s\n", a.Backend, a.Why)
				} else {
					fmt.Fprintf(&b, "    %s: cost %s: %s\n", a.Backend, ir.FormatCost(a.Cost), a.Why)
				}
			}
		}
	}
	writeDrift(&b, p.Drift)
	writeStateChanges(&b, p.StateChanges)
	writeChanges(&b, p.Changes, len(p.StateResets()))
	_, err := w.Write(b.Bytes())
	return err
}

// writeDrift lists the objects plan -refresh found changed outside apply,
// before what the plan changes, as Terraform notes "Objects have changed
// outside of Terraform".
func writeDrift(b *bytes.Buffer, drift []ir.Drift) {
	if len(drift) == 0 {
		return
	}
	b.WriteString("\nDrift: objects have changed outside of Pipeline\n\n")
	b.WriteString("Pipeline detected these changes made outside of apply since the last apply. What follows is computed from the state, not from them:\n")
	for _, d := range drift {
		mark := "~"
		if d.Change == ir.DriftRemoved {
			mark = "-"
		}
		fmt.Fprintf(b, "  %s %s %s: %s\n", mark, d.Address, d.Change, d.Detail)
	}
}

// decodeLine says which fields of an input a stage decodes:
// "source.orders: 3 of 5 fields (amount, country, id)".
func decodeLine(d ir.Decode) string {
	return fmt.Sprintf("%s: %d of %s (%s)", d.Stream, len(d.Fields), plural(d.Of, "field"), list(d.Fields, ", "))
}

// stageID names the stage hosting a stream's producer or an operator.
func stageID(p *ir.Plan, stream string) string {
	op, _ := ir.StreamOperator(stream)
	if s := p.StageOf(op); s != nil {
		return s.ID
	}
	return "?"
}

func list(items []string, sep string) string {
	if len(items) == 0 {
		return "(none)"
	}
	return strings.Join(items, sep)
}
