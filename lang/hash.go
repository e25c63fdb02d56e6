package lang

import (
	"fmt"
	"sort"

	"github.com/pipeline-compiler/pipeline/ir"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// specHash identifies the spec sources (sorted names and contents) and the
// resolved variable values, so apply can refuse a plan made from anything
// else. Lengths are written before contents so that no two inputs collide
// by concatenation.
func (l *loader) specHash() string {
	var b []byte
	put := func(s string) { b = fmt.Appendf(b, "%d:%s;", len(s), s) }
	names := append([]string(nil), l.names...)
	sort.Strings(names)
	put("files")
	for _, n := range names {
		put(n)
		put(string(l.src[n]))
	}
	put("vars")
	for _, n := range sortedKeys(l.vars) {
		v, _ := l.vars[n].UnmarkDeep()
		put(n)
		if !v.IsWhollyKnown() {
			put("(unknown)")
			continue
		}
		js, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			put("(unencodable)")
			continue
		}
		put(string(js))
	}
	return ir.Hash(b)
}
