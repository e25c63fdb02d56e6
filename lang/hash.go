package lang

import (
	"fmt"
	"sort"

	"github.com/pipeline-compiler/pipeline/ir"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// specHash identifies the spec sources (sorted names and contents) and the
// resolved values of the variables that are not sensitive, so apply can
// refuse a plan made from anything else. Lengths are written before contents so that no two inputs collide
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
		put(n)
		if mv := l.vars[n]; mv.IsMarked() || mv.ContainsMarked() {
			// A sensitive value stays out: the hash is in saved plans and
			// the state, and a digest of a weak secret can be guessed. A
			// saved plan checks sensitive values by their salted HMACs.
			put("(sensitive)")
			continue
		}
		v := l.vars[n]
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
