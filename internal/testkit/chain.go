package testkit

import (
	"fmt"
	"strings"
)

// AlternatingChain is a spec of n operators pinned alternately to the
// broker (filters) and native (maps) backends, reading a file source:
// planning pushes every filter up past the maps. With vars, it also
// declares n variables and filter i reads var.v<i>. Growth benchmarks and
// signal tests use it (issue 17, item 9).
func AlternatingChain(n int, vars bool) string {
	var b strings.Builder
	b.WriteString("pipeline \"p\" {}\nbackend \"broker\" {}\nsource \"s\" {\n  file = \"in.jsonl\"\n  schema = object({ a = number, s = string })\n}\n")
	bound := func(i int) string { return fmt.Sprint(i) }
	if vars {
		for i := range n {
			fmt.Fprintf(&b, "variable \"v%d\" {\n  type = number\n  default = %d\n}\n", i, i)
		}
		bound = func(i int) string { return fmt.Sprintf("var.v%d", i) }
	}
	prev := "source.s"
	for i := range n {
		if i%2 == 0 {
			fmt.Fprintf(&b, "filter \"f%d\" {\n  input = %s\n  where = record.a > %s\n  backend = \"broker\"\n}\n", i, prev, bound(i))
			prev = fmt.Sprintf("filter.f%d", i)
		} else {
			fmt.Fprintf(&b, "map \"m%d\" {\n  input = %s\n  fields = { a = record.a, s = record.s }\n  backend = \"native\"\n}\n", i, prev)
			prev = fmt.Sprintf("map.m%d", i)
		}
	}
	fmt.Fprintf(&b, "sink \"o\" {\n  input = %s\n  file = \"out.jsonl\"\n}\n", prev)
	return b.String()
}
