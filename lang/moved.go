package lang

import (
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/pipeline-compiler/pipeline/ir"
	"github.com/pipeline-compiler/pipeline/ir/eval"
)

var movedSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "from", Required: true}, {Name: "to", Required: true},
}}

// decodeMoved decodes moved blocks, as Terraform's: an operator renamed
// since an earlier apply keeps its state, consumer group and offsets under
// its new address. Here only what the spec alone decides is checked: to
// is an operator of the spec of from's kind and from is not; that from
// existed is checked against the applied state by the command.
func (l *loader) decodeMoved(blocks hcl.Blocks) {
	froms, tos := map[string]hcl.Range{}, map[string]hcl.Range{}
	for _, b := range blocks {
		content, diags := b.Body.Content(movedSchema)
		l.add(diags)
		if diags.HasErrors() {
			continue
		}
		from, fok := l.movedAddress(content.Attributes["from"])
		to, tok := l.movedAddress(content.Attributes["to"])
		if !fok || !tok {
			continue
		}
		fr, tr := content.Attributes["from"].Expr.Range(), content.Attributes["to"].Expr.Range()
		fkind, _, _ := strings.Cut(from, ".")
		tkind, _, _ := strings.Cut(to, ".")
		switch {
		case from == to:
			l.errorf(tr, "Invalid moved block", "from and to are both %s: a moved block renames an operator.", to)
			continue
		case fkind != tkind:
			l.errorf(tr, "Invalid moved block", "%s cannot become %s: an operator keeps its kind when it is renamed (state of a %s means nothing to a %s).", from, to, fkind, tkind)
			continue
		case l.ops[from] != nil:
			l.errorf(fr, "Invalid moved block", "%s is still declared (at %s): from is the address the operator had before it was renamed.", from, l.ops[from].block.DefRange)
			continue
		case l.ops[to] == nil:
			var names []string
			for id := range l.ops {
				names = append(names, id)
			}
			l.errorf(tr, "Invalid moved block", "There is no operator %s in the spec: to is the operator's new address.%s", to, didYouMean(to, names))
			continue
		}
		if prev, ok := froms[from]; ok {
			l.errorf(fr, "Duplicate moved block", "%s is already moved at %s.", from, prev)
			continue
		}
		if prev, ok := tos[to]; ok {
			l.errorf(tr, "Duplicate moved block", "%s is already the target of the moved block at %s.", to, prev)
			continue
		}
		froms[from], tos[to] = fr, tr
		l.p.Moved = append(l.p.Moved, ir.Moved{From: from, To: to, Range: ir.RangeOf(b.DefRange), FromRange: ir.RangeOf(fr), ToRange: ir.RangeOf(tr)})
	}
}

// movedAddress reads an operator address (kind.name) written as a
// reference.
func (l *loader) movedAddress(a *hcl.Attribute) (string, bool) {
	t, diags := hcl.AbsTraversalForExpr(a.Expr)
	if diags.HasErrors() || len(t) != 2 {
		l.errorf(a.Expr.Range(), "Invalid moved block", "%s must be an operator address such as aggregate.revenue, written without quotes.", a.Name)
		return "", false
	}
	step, ok := t[1].(hcl.TraverseAttr)
	if !ok || !isOperatorKind(t.RootName()) {
		l.errorf(a.Expr.Range(), "Invalid moved block", "%s must be an operator address such as aggregate.revenue.", a.Name)
		return "", false
	}
	return fmt.Sprintf("%s.%s", t.RootName(), step.Name), true
}

// startFrom reads a source's start_from: "earliest", "latest" or an RFC
// 3339 time, kept normalized to UTC with millisecond precision.
func (l *loader) startFrom(a *hcl.Attribute, src *ir.Source) string {
	s, ok := l.constString(a)
	if !ok {
		return ""
	}
	rng := a.Expr.Range()
	switch {
	case src.File != "":
		l.errorf(rng, "Invalid start_from", "start_from applies to topic sources: a file source is always read from its start.")
		return ""
	case src.Table:
		l.errorf(rng, "Invalid start_from", "start_from does not apply to a table source: a table is always read whole, so every key has its latest value.")
		return ""
	case s == ir.StartEarliest || s == ir.StartLatest:
		return s
	}
	ms, err := eval.ParseTimestamp(s)
	if err != nil {
		l.errorf(rng, "Invalid start_from", "start_from is \"earliest\" (the default), \"latest\" or an RFC 3339 time such as \"2026-01-01T00:00:00Z\": %v.", err)
		return ""
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.999Z07:00")
}
