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

// MixedSpec returns a spec of about n operators shaped like a large real
// deployment, with broker, native and beam all configured: groups of a
// topic source, a chain of filters and maps, a tumbling-window aggregate
// and a sink, every other group joining its stream with the previous
// group's before aggregating. Nothing is pinned, so the optimizer places
// every operator. It is issue 15's CLI planning benchmark input.
func MixedSpec(n int) string {
	var b strings.Builder
	b.WriteString(`pipeline "mixed" {}

broker "main" {
  brokers = ["localhost:9092"]
}

backend "broker" {}

backend "beam" {}
`)
	ops, group := 0, 0
	prevStream := ""
	for ops < n {
		g := group
		fmt.Fprintf(&b, `
source "s%[1]d" {
  topic      = "in%[1]d"
  format     = "json"
  schema     = object({ id = string, user = string, amount = number, country = string, ts = string, note = string })
  event_time = record.ts
}
`, g)
		prev := fmt.Sprintf("source.s%d", g)
		ops++
		for i := range 6 {
			if i%2 == 0 {
				fmt.Fprintf(&b, "\nfilter \"f%d_%d\" {\n  input = %s\n  where = record.amount > %d && record.country != \"x%d\"\n}\n", g, i, prev, i, g)
				prev = fmt.Sprintf("filter.f%d_%d", g, i)
			} else {
				fmt.Fprintf(&b, "\nmap \"m%d_%d\" {\n  input  = %s\n  fields = { id = record.id, user = lower(record.user), amount = record.amount * %d, country = upper(record.country), ts = record.ts, note = record.note }\n}\n", g, i, prev, i)
				prev = fmt.Sprintf("map.m%d_%d", g, i)
			}
			ops++
		}
		if prevStream != "" && g%2 == 1 {
			fmt.Fprintf(&b, "\njoin \"j%d\" {\n  left   = %s\n  right  = %s\n  on     = left.user == right.user\n  within = \"1m\"\n  fields = { id = left.id, user = left.user, amount = left.amount + right.amount, country = left.country, ts = left.ts, note = right.note }\n}\n", g, prev, prevStream)
			prev = fmt.Sprintf("join.j%d", g)
			ops++
		}
		prevStream = prev
		fmt.Fprintf(&b, "\naggregate \"a%d\" {\n  input  = %s\n  key    = { user = record.user }\n  window = tumbling(\"1m\")\n  fields = { total = sum(record.amount), n = count() }\n}\n", g, prev)
		fmt.Fprintf(&b, "\nsink \"o%d\" {\n  input  = aggregate.a%d\n  topic  = \"out%d\"\n  format = \"json\"\n}\n", g, g, g)
		ops += 2
		group++
	}
	return b.String()
}
