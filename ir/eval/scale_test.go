package eval

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pipeline-compiler/pipeline/internal/cputime"
)

// Compile time must grow linearly with the size of an expression: compare
// the ns/op of N and 2N (issue 17, item 9: a 10,000-term && chain took
// 5 min 20 s to compile at run time).

func andChain(n int) string {
	terms := make([]string, n)
	for i := range terms {
		terms[i] = fmt.Sprintf("record.amount > %d", i)
	}
	return strings.Join(terms, " && ")
}

func nestedCalls(n int) string {
	return strings.Repeat("lower(", n) + "record.country" + strings.Repeat(")", n)
}

func benchCompile(b *testing.B, src string) {
	defer cputime.Report(b)()
	for b.Loop() {
		if _, diags := Compile(exprAt(src), cOrdersRoots(), Consts{}); diags.HasErrors() {
			b.Fatal(diags)
		}
	}
}

func BenchmarkCompileAndChain(b *testing.B) {
	for _, n := range []int{5000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchCompile(b, andChain(n)) })
	}
}

func BenchmarkCompileNestedCalls(b *testing.B) {
	for _, n := range []int{1000, 2000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchCompile(b, nestedCalls(n)) })
	}
}
