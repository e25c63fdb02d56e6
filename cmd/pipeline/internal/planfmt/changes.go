package planfmt

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
)

// CostProfileLine says where the plan's costs came from:
// "Cost profile: examples/orders/cost-profile.json (measured 2026-11-24 on
// 2 cores)" or "Cost profile: built-in defaults".
func CostProfileLine(p *ir.Plan) string {
	cp := p.CostProfile
	if cp == nil {
		return "Cost profile: built-in defaults"
	}
	day, _, _ := strings.Cut(cp.MeasuredAt, "T")
	return fmt.Sprintf("Cost profile: %s (measured %s on %s)", cp.File, day, plural(cp.Cores, "core"))
}

// writeChanges renders what the plan changes against the last apply,
// Terraform-style, ending with the counts; nothing when there was no apply.
func writeChanges(b *bytes.Buffer, c *ir.Changes, resets int) {
	if c == nil {
		return
	}
	if c.Empty() && resets == 0 {
		b.WriteString("\nNo changes: the deployed stages match this plan.\n")
		return
	}
	b.WriteString("\nChanges since the last apply:\n")
	for _, m := range c.Moves {
		fmt.Fprintf(b, "  move    %s: %s → %s (%s)\n", m.Operator, m.From, m.To, m.Why)
	}
	stage := func(verb string, s ir.StageChange) {
		detail := list(s.Operators, ", ")
		switch {
		case verb == "change" && s.Was != nil:
			detail += "; was " + list(s.Was, ", ")
		case verb == "change":
			detail += "; the spec changed"
		}
		fmt.Fprintf(b, "  %-7s stage %s on %s (%s)\n", verb, s.Stage, s.Backend, detail)
	}
	for _, s := range c.Add {
		stage("add", s)
	}
	for _, s := range c.Change {
		stage("change", s)
	}
	for _, s := range c.Delete {
		stage("delete", s)
	}
	reset := ""
	if resets > 0 {
		reset = ", " + plural(resets, "state reset")
	}
	fmt.Fprintf(b, "\nPlan: %d to move, %d to add, %d to change, %d to delete%s.\n", len(c.Moves), len(c.Add), len(c.Change), len(c.Delete), reset)
}

// writeStateChanges renders what the plan does to state and offsets,
// resets first and marked, so a reviewer cannot miss one.
func writeStateChanges(b *bytes.Buffer, changes []ir.StateChange) {
	if len(changes) == 0 {
		return
	}
	b.WriteString("\nState and offsets:\n")
	for _, c := range changes {
		mark := " "
		if c.State == ir.StateReset {
			mark = "!"
		}
		what := c.Address
		if c.Kind == "consumer" {
			what = "consumer " + c.Address
			if c.Group != "" {
				what += " (group " + c.Group + ")"
			}
		}
		var detail []string
		if c.Reason != "" {
			detail = append(detail, c.Reason)
		}
		if c.Offsets != "" {
			detail = append(detail, c.Offsets)
		}
		line := fmt.Sprintf("  %s %-8s %s", mark, c.State, what)
		if len(detail) > 0 {
			line += ": " + strings.Join(detail, "; ")
		}
		b.WriteString(line + "\n")
	}
}
