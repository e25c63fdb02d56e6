package command

import (
	"fmt"
	"slices"
	"strings"

	"github.com/pipeline-compiler/pipeline/cmd/pipeline/internal/state"
	"github.com/pipeline-compiler/pipeline/ir"
)

// diffContext is the number of unchanged lines shown around a change.
const diffContext = 3

// maxDiffCells bounds the LCS table; larger inputs diff as one hunk.
const maxDiffCells = 4_000_000

type diffLine struct {
	op   byte // ' ', '-', '+'
	text string
}

// unifiedDiff returns a unified diff (as diff -u prints it) from a to b, or
// "" when they are equal. Spec files are small, so a plain LCS table is
// enough.
func unifiedDiff(name string, a, b []byte) string {
	al, bl := splitLines(string(a)), splitLines(string(b))
	lines := diffLines(al, bl)
	var out strings.Builder
	// Positions of changed lines, grouped into hunks.
	i := 0
	for i < len(lines) {
		if lines[i].op == ' ' {
			i++
			continue
		}
		start := max(0, i-diffContext)
		end := i
		for j := i; j < len(lines); j++ {
			if lines[j].op != ' ' {
				end = j
			} else if j-end > 2*diffContext {
				break
			}
		}
		stop := min(len(lines), end+diffContext+1)
		if out.Len() == 0 {
			fmt.Fprintf(&out, "--- a/%s\n+++ b/%s\n", name, name)
		}
		aBefore, bBefore := 0, 0
		for _, l := range lines[:start] {
			if l.op != '+' {
				aBefore++
			}
			if l.op != '-' {
				bBefore++
			}
		}
		aCount, bCount := 0, 0
		for _, l := range lines[start:stop] {
			if l.op != '+' {
				aCount++
			}
			if l.op != '-' {
				bCount++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(aBefore, aCount), hunkRange(bBefore, bCount))
		for _, l := range lines[start:stop] {
			out.WriteByte(l.op)
			if text, ok := strings.CutSuffix(l.text, "\n"); ok {
				out.WriteString(text)
				out.WriteByte('\n')
			} else {
				out.WriteString(text)
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
	return out.String()
}

func hunkRange(before, count int) string {
	if count == 0 {
		return fmt.Sprintf("%d,0", before)
	}
	if count == 1 {
		return fmt.Sprintf("%d", before+1)
	}
	return fmt.Sprintf("%d,%d", before+1, count)
}

// splitLines splits s into lines that keep their "\n".
func splitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			lines = append(lines, s)
			break
		}
		lines = append(lines, s[:i+1])
		s = s[i+1:]
	}
	return lines
}

// diffLines returns an edit script from a to b along a longest common
// subsequence.
func diffLines(a, b []string) []diffLine {
	n, m := len(a), len(b)
	var out []diffLine
	if n*m > maxDiffCells {
		for _, l := range a {
			out = append(out, diffLine{'-', l})
		}
		for _, l := range b {
			out = append(out, diffLine{'+', l})
		}
		return out
	}
	// lcs[i*(m+1)+j] is the LCS length of a[i:] and b[j:].
	lcs := make([]int, (n+1)*(m+1))
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*(m+1)+j] = lcs[(i+1)*(m+1)+j+1] + 1
			} else {
				lcs[i*(m+1)+j] = max(lcs[(i+1)*(m+1)+j], lcs[i*(m+1)+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, diffLine{' ', a[i]})
			i, j = i+1, j+1
		case lcs[(i+1)*(m+1)+j] >= lcs[i*(m+1)+j+1]:
			out = append(out, diffLine{'-', a[i]})
			i++
		default:
			out = append(out, diffLine{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, diffLine{'-', a[i]})
	}
	for ; j < m; j++ {
		out = append(out, diffLine{'+', b[j]})
	}
	return out
}

// changesSince compares a plan with the stages the last apply deployed
// (st): the operators that move to another backend, in the plan's stage
// order, and the stages to add, to change and to delete. A stage is matched
// by its identity (ir.Pipeline.StageIdentity), also in a state written when
// stage IDs were numbered per backend (native.1), so that such a stage is
// not shown as deleted and added; a state file
// without identities (format 1) is matched by stage ID. A matched stage
// changes when its operators differ or the spec (or its variable values)
// changed since st, since apply then redeploys it.
func changesSince(p *ir.Plan, st *state.State) *ir.Changes {
	c := &ir.Changes{Moves: []ir.Move{}, Add: []ir.StageChange{}, Change: []ir.StageChange{}, Delete: []ir.StageChange{}}
	was := map[string]string{} // operator → backend
	byIdentity, byID := map[string]int{}, map[string]int{}
	for i, s := range st.Stages {
		if s.Identity != "" {
			byIdentity[s.Identity] = i
		} else {
			byID[s.ID] = i
		}
		for _, op := range s.Operators {
			was[op] = s.Backend
		}
	}
	matched := make([]bool, len(st.Stages))
	for _, s := range p.Stages {
		i, ok := byIdentity[p.Pipeline.StageIdentity(s)]
		if !ok {
			i, ok = byID[s.ID]
		}
		var d state.Stage
		if ok {
			d, matched[i] = st.Stages[i], true
		}
		for _, op := range s.Operators {
			if from, ok := was[op]; ok && from != s.Backend {
				c.Moves = append(c.Moves, ir.Move{Operator: op, From: from, To: s.Backend, Why: s.Why})
			}
		}
		sc := ir.StageChange{Stage: s.ID, Backend: s.Backend, Operators: slices.Clone(s.Operators)}
		switch {
		case !ok:
			c.Add = append(c.Add, sc)
		case d.Backend != s.Backend || !slices.Equal(d.Operators, s.Operators):
			sc.Was = slices.Clone(d.Operators)
			c.Change = append(c.Change, sc)
		case st.SpecHash != p.SpecHash:
			c.Change = append(c.Change, sc)
		}
	}
	for i, s := range st.Stages {
		if !matched[i] {
			c.Delete = append(c.Delete, ir.StageChange{Stage: s.ID, Backend: s.Backend, Operators: slices.Clone(s.Operators)})
		}
	}
	return c
}
