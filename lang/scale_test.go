package lang

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/internal/cputime"
)

// Specs that grow in one dimension, for benchmarks that show compile time
// growing linearly: compare the ns/op of N and 2N (issue 17, item 9).

func manyVariables(n int) []byte {
	var b strings.Builder
	b.WriteString("pipeline \"p\" {}\nsource \"s\" {\n  file = \"in.jsonl\"\n  schema = object({ a = number })\n}\n")
	for i := range n {
		fmt.Fprintf(&b, "variable \"v%d\" {\n  type = number\n  default = %d\n}\n", i, i)
	}
	fmt.Fprintf(&b, "filter \"f\" {\n  input = source.s\n  where = record.a > var.v%d\n}\nsink \"o\" {\n  input = filter.f\n  file = \"out.jsonl\"\n}\n", n-1)
	return []byte(b.String())
}

func longAndChain(n int) []byte {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("record.a > %d", i)
	}
	return []byte("pipeline \"p\" {}\nsource \"s\" {\n  file = \"in.jsonl\"\n  schema = object({ a = number })\n}\n" +
		"filter \"f\" {\n  input = source.s\n  where = " + strings.Join(terms, " && ") + "\n}\nsink \"o\" {\n  input = filter.f\n  file = \"out.jsonl\"\n}\n")
}

func benchLoad(b *testing.B, src []byte) {
	defer cputime.Report(b)()
	for b.Loop() {
		if _, diags := LoadFiles(map[string][]byte{"x.hcl": src}, Options{}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

func BenchmarkLoadVariables(b *testing.B) {
	for _, n := range []int{4000, 8000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchLoad(b, manyVariables(n)) })
	}
}

func BenchmarkLoadAndChain(b *testing.B) {
	for _, n := range []int{5000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchLoad(b, longAndChain(n)) })
	}
}
