package optimizer

import (
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/pipeline-compiler/pipeline/ir"
)

// A keyed operator (aggregate, dedupe, stream–stream join) runs once per
// partition group on a partitioned backend, so it must read its input from
// a topic partitioned by its own key, or it sees only part of each key's
// records. As Kafka Streams does with repartition topics, the planner puts
// a keyed channel in front of every such input: the producing stage keys
// each record by the consumer's key, the broker's key hashing sends equal
// keys to one partition, and the consumer starts a new stage reading it.
//
// Tables need no repartitioning: a table source is global (every partition
// group of a stage reads all of its partitions), as a GlobalKTable.

// partitionKey returns the key by which op's input k must be partitioned,
// as expressions over "record", or nil when any partitioning will do.
// A keyed operator without key expressions (a global aggregate, a join
// with no equality) gets a constant key: all records in one partition.
func partitionKey(p *ir.Pipeline, op *ir.Operator, k int) []ir.Expr {
	var keys []ir.Expr
	switch {
	case op.Aggregate != nil:
		for _, f := range op.Aggregate.Key {
			keys = append(keys, f.Expr)
		}
	case op.Dedupe != nil:
		keys = []ir.Expr{op.Dedupe.Key}
	case op.Top != nil:
		keys = append(keys, op.Top.Key...)
	case op.Join != nil && len(op.Inputs) == 2 && !isTable(p, op.Inputs[1]):
		side, exprs := "left", op.Join.LeftKeys
		if k == 1 {
			side, exprs = "right", op.Join.RightKeys
		}
		for _, e := range exprs {
			keys = append(keys, renameRoot(e, side, "record"))
		}
	default:
		return nil
	}
	if len(keys) == 0 {
		keys = []ir.Expr{{Source: noKey, Range: op.Range}}
	}
	return keys
}

// noKey is the constant channel key of a keyed operator without key
// expressions: every record hashes alike, so all go to one partition.
const noKey = "0"

// keylessWhy explains the channel into a keyed operator without a key.
func keylessWhy(opID string) string {
	what := "one group for all records"
	switch {
	case strings.HasPrefix(opID, string(ir.KindAggregate)+"."):
		what = "one global group per window"
	case strings.HasPrefix(opID, string(ir.KindJoin)+"."):
		what = "no equality in on: every record may pair with every other"
	}
	return fmt.Sprintf("%s has no key, so all its input goes to one partition (%s)", opID, what)
}

// keyless reports whether a channel key is noKey.
func keyless(keys []ir.Expr) bool {
	return len(keys) == 1 && strings.TrimSpace(keys[0].Source) == noKey
}

// isTable reports whether stream is a table source.
func isTable(p *ir.Pipeline, stream string) bool {
	src := p.Operator(stream)
	return src != nil && src.Source != nil && src.Source.Table
}

// partitionedBy reports whether stream's topic is already partitioned by
// keys: the stream is a source whose key has the same source text as the
// only key.
func partitionedBy(p *ir.Pipeline, stream string, keys []ir.Expr) bool {
	src := p.Operator(stream)
	if src == nil || src.Source == nil || src.Source.Key.IsZero() || len(keys) != 1 {
		return false
	}
	return strings.TrimSpace(src.Source.Key.Source) == strings.TrimSpace(keys[0].Source)
}

// fromFilesOnly reports whether every record of stream comes from file
// sources: a stage that reads only files runs in one partition group, so
// keyed operators in it need no repartitioning. Answers are kept per
// operator: costing and building ask for every keyed input.
func (g *graph) fromFilesOnly(stream string) bool {
	id, _ := ir.StreamOperator(stream)
	i, ok := g.index[id]
	if !ok {
		return false
	}
	if g.filesOnly == nil {
		g.filesOnly = make([]int8, len(g.p.Operators))
	}
	if v := g.filesOnly[i]; v != 0 {
		return v > 0
	}
	op := g.p.Operators[i]
	files := false
	switch {
	case op.Source != nil:
		files = op.Source.File != ""
	case len(op.Inputs) > 0:
		files = true
		for _, in := range op.Inputs {
			if !g.fromFilesOnly(in) {
				files = false
				break
			}
		}
	}
	g.filesOnly[i] = -1
	if files {
		g.filesOnly[i] = 1
	}
	return files
}

// renameRoot returns e with every variable reference rooted at from
// rewritten to root to ("left.customer" → "record.customer"), keeping e's
// range. An expression that does not parse is returned unchanged: the
// backend that compiles it reports the error.
func renameRoot(e ir.Expr, from, to string) ir.Expr {
	expr, diags := hclsyntax.ParseExpression([]byte(e.Source), e.Range.Filename, hcl.Pos{Line: 1, Column: 1})
	if diags.HasErrors() {
		return e
	}
	var at []int // byte offsets of the root names to replace
	hclsyntax.VisitAll(expr, func(n hclsyntax.Node) hcl.Diagnostics {
		if t, ok := n.(*hclsyntax.ScopeTraversalExpr); ok && t.Traversal.RootName() == from {
			at = append(at, t.Traversal[0].SourceRange().Start.Byte)
		}
		return nil
	})
	if len(at) == 0 {
		return e
	}
	slices.Sort(at)
	var b strings.Builder
	prev := 0
	for _, i := range at {
		if i < prev || i+len(from) > len(e.Source) || e.Source[i:i+len(from)] != from {
			return e
		}
		b.WriteString(e.Source[prev:i])
		b.WriteString(to)
		prev = i + len(from)
	}
	b.WriteString(e.Source[prev:])
	return ir.Expr{Source: b.String(), Range: e.Range}
}

// keySignature identifies a channel key for naming topics: channels of one
// stream with equal keys share a topic.
func keySignature(keys []ir.Expr) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = strings.TrimSpace(k.Source)
	}
	return strings.Join(s, "\x00")
}

// nameTopics gives every channel its topic: "<pipeline>.<stream>" when all
// channels of the stream are keyed alike, else the unkeyed channels keep
// that name and each key gets "<pipeline>.<stream>.by.<consumer>", after
// the first consumer (in plan order) reading the stream by that key.
func nameTopics(pipeline string, channels []*ir.Channel) {
	sigs := map[string][]string{} // stream → distinct signatures, in order
	first := map[[2]string]string{}
	for _, ch := range channels {
		sig := keySignature(ch.Key)
		if !slices.Contains(sigs[ch.Stream], sig) {
			sigs[ch.Stream] = append(sigs[ch.Stream], sig)
			first[[2]string{ch.Stream, sig}] = ch.To
		}
	}
	topics := map[[2]string]string{} // stream, signature → topic
	taken := map[string]bool{}
	for _, ch := range channels {
		sig := keySignature(ch.Key)
		if t, ok := topics[[2]string{ch.Stream, sig}]; ok {
			ch.Topic = t
			continue
		}
		t := pipeline + "." + ch.Stream
		if len(sigs[ch.Stream]) > 1 && sig != "" {
			t += ".by." + first[[2]string{ch.Stream, sig}]
		}
		// A join reading one stream on both sides by different keys.
		base := t
		for i := 2; taken[t]; i++ {
			t = fmt.Sprintf("%s.%d", base, i)
		}
		taken[t] = true
		topics[[2]string{ch.Stream, sig}] = t
		ch.Topic = t
	}
}

// repartitionWhy explains the repartition channels that feed stage s.
func repartitionWhy(channels []*ir.Channel, inStage func(opID string) bool) string {
	var parts []string
	for _, ch := range channels {
		if !ch.Repartition || !inStage(ch.To) {
			continue
		}
		keys := make([]string, len(ch.Key))
		for i, k := range ch.Key {
			keys[i] = k.Source
		}
		part := fmt.Sprintf("repartitioned by the key of %s: %s", ch.To, strings.Join(keys, ", "))
		if keyless(ch.Key) {
			part = keylessWhy(ch.To)
		}
		if !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, "; ")
}
