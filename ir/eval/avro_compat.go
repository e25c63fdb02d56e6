//go:build !wasip1

package eval

import (
	"fmt"
	"strings"

	"github.com/pipeline-compiler/pipeline/ir"
	avro "github.com/pipeline-compiler/pipeline/ir/eval/internal/avroschema"
)

// avroCompatible is CheckCompatible for Avro, by the resolution rules the
// codec reads with (avroMatch, defaults, enum symbols). The _TRANSITIVE
// levels check against prev only: the caller passes the latest version, so
// they mean what the plain level means against it.
func avroCompatible(level string, prev, next *ir.SchemaDoc) ([]Incompatibility, error) {
	ps, err := parseAvro(prev)
	if err != nil {
		return nil, fmt.Errorf("previous schema: %w", err)
	}
	ns, err := parseAvro(next)
	if err != nil {
		return nil, fmt.Errorf("new schema: %w", err)
	}
	var backward, forward bool
	switch level {
	case CompatNone:
		return nil, nil
	case CompatBackward, CompatBackwardTransitive:
		backward = true
	case CompatForward, CompatForwardTransitive:
		forward = true
	case CompatFull, CompatFullTransitive:
		backward, forward = true, true
	default:
		return nil, fmt.Errorf("unknown compatibility level %q (known: BACKWARD, FORWARD, FULL, their _TRANSITIVE forms, NONE)", level)
	}
	var out []Incompatibility
	if backward {
		c := &avroCompat{prevWrites: true, seen: map[resolveKey]bool{}}
		c.check(ps, ns, "")
		out = append(out, c.out...)
	}
	if forward {
		c := &avroCompat{seen: map[resolveKey]bool{}}
		c.check(ns, ps, "")
		for _, inc := range c.out {
			if !containsIncompat(out, inc) {
				out = append(out, inc)
			}
		}
	}
	return out, nil
}

func containsIncompat(list []Incompatibility, inc Incompatibility) bool {
	for _, x := range list {
		if x == inc {
			return true
		}
	}
	return false
}

// avroCompat collects why a reader cannot read a writer's data. prevWrites
// says which of the two is the previous schema, for the wording: changes
// are always told from the previous schema to the new one.
type avroCompat struct {
	prevWrites bool
	seen       map[resolveKey]bool
	out        []Incompatibility
}

func (c *avroCompat) add(path, format string, args ...any) {
	c.out = append(c.out, Incompatibility{Field: path, Reason: fmt.Sprintf(format, args...)})
}

// changed reports a type change of the field at path.
func (c *avroCompat) changed(w, r avro.Schema, path string) {
	prev, next := w, r
	if !c.prevWrites {
		prev, next = r, w
	}
	dir := "readers of the new schema cannot read data written with the old"
	if !c.prevWrites {
		dir = "readers of the old schema cannot read data written with the new"
	}
	c.add(path, "%s changed from %s to %s: %s", fieldLabel(path), avroLabel(prev), avroLabel(next), dir)
}

func fieldLabel(path string) string {
	if path == "" {
		return "the record"
	}
	return "field " + path
}

// avroLabel names a schema in compatibility messages.
func avroLabel(s avro.Schema) string {
	s = derefAvro(s)
	if u, ok := s.(*avro.UnionSchema); ok {
		nn := avroNonNull(u)
		if len(nn) == 1 && len(u.Types()) == 2 {
			return "nullable " + avroLabel(nn[0])
		}
		var parts []string
		for _, b := range u.Types() {
			parts = append(parts, avroLabel(b))
		}
		return "union of " + strings.Join(parts, ", ")
	}
	return avroTypeName(s)
}

// readable reports whether writer's non-union w can be read as r.
func readable(w, r avro.Schema) (avro.Schema, bool) {
	r = derefAvro(r)
	if u, ok := r.(*avro.UnionSchema); ok {
		b, err := pickReaderBranch(w, u)
		return b, err == nil
	}
	return r, avroMatch(w, r) == nil
}

func (c *avroCompat) check(w, r avro.Schema, path string) {
	w, r = derefAvro(w), derefAvro(r)
	key := resolveKey{w, r}
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	if u, ok := w.(*avro.UnionSchema); ok {
		var ok2 = true
		for _, b := range u.Types() {
			if _, ok := readable(derefAvro(b), r); !ok {
				ok2 = false
			}
		}
		if !ok2 {
			c.changed(w, r, path)
			return
		}
		for _, b := range u.Types() {
			rb, _ := readable(derefAvro(b), r)
			c.check(b, rb, path)
		}
		return
	}
	rb, ok := readable(w, r)
	if !ok {
		if w.Type() == r.Type() {
			// A named type renamed, or a fixed resized.
			c.add(path, "%s: %v", fieldLabel(path), avroMatch(w, r))
			return
		}
		c.changed(w, r, path)
		return
	}
	r = derefAvro(rb)
	if ws, rsc := decimalScale(w), decimalScale(r); ws >= 0 && rsc >= 0 && ws != rsc {
		// The unscaled integer is read with the reader's scale: the value
		// would change by a power of ten.
		prev, next := ws, rsc
		if !c.prevWrites {
			prev, next = rsc, ws
		}
		c.add(path, "%s: decimal scale changed from %d to %d, which changes every value", fieldLabel(path), prev, next)
		return
	}
	switch w.Type() {
	case avro.Record:
		wf := w.(*avro.RecordSchema).Fields()
		rf := r.(*avro.RecordSchema).Fields()
		used := make([]bool, len(rf))
		for _, f := range wf {
			if i := readerField(rf, f.Name()); i >= 0 {
				used[i] = true
				c.check(f.Type(), rf[i].Type(), joinPath(path, rf[i].Name()))
			}
		}
		for i, f := range rf {
			if used[i] || f.HasDefault() {
				continue
			}
			if c.prevWrites {
				c.add(joinPath(path, f.Name()), "field %s was added without a default: readers of the new schema cannot read data written with the old", joinPath(path, f.Name()))
			} else {
				c.add(joinPath(path, f.Name()), "field %s was removed, and the old schema has no default for it: readers of the old schema cannot read data written with the new", joinPath(path, f.Name()))
			}
		}
	case avro.Enum:
		re := r.(*avro.EnumSchema)
		if re.HasDefault() {
			return
		}
		for _, s := range w.(*avro.EnumSchema).Symbols() {
			if containsString(re.Symbols(), s) {
				continue
			}
			if c.prevWrites {
				c.add(path, "%s: enum symbol %s was removed, and the enum has no default", fieldLabel(path), s)
			} else {
				c.add(path, "%s: enum symbol %s was added, which readers of the old schema do not know (their enum has no default)", fieldLabel(path), s)
			}
		}
	case avro.Array:
		c.check(w.(*avro.ArraySchema).Items(), r.(*avro.ArraySchema).Items(), path+"[]")
	case avro.Map:
		c.check(w.(*avro.MapSchema).Values(), r.(*avro.MapSchema).Values(), path+"[]")
	}
}

// decimalScale is the scale of a decimal schema, -1 for other schemas.
func decimalScale(s avro.Schema) int {
	if avroLogical(s) != avro.Decimal {
		return -1
	}
	return s.(avro.LogicalTypeSchema).Logical().(*avro.DecimalLogicalSchema).Scale()
}
