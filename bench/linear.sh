#!/usr/bin/env bash
# Linear growth (issue 17, item 9): each input measured at N and 2N, and
# the ratio 2N/N of the least CPU time per operation (cpu-ns/op, see
# internal/cputime) over COUNT runs printed; linear is ≈ 2, quadratic ≈ 4.
# CPU time, not wall time: on a shared machine wall time moves with the
# load far more than the ratio being measured.
#
#   bench/linear.sh [COUNT]
#
#   CompileNestedCalls    a nested expression of 1,000 / 2,000 calls, compiled
#                         at run time (ir/eval)
#   CompileAndChain       a 5,000 / 10,000-term && chain, compiled (ir/eval)
#   LoadAndChain          the same chain in a spec, loaded (lang)
#   LoadVariables         4,000 / 8,000 variables, loaded (lang)
#   PlanAlternatingChain  `pipeline plan` of a 500 / 1,000-stage chain
#                         alternating broker filters and native maps
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-3}
{
	go test ./ir/eval -run '^$' -bench 'CompileNestedCalls|CompileAndChain' -benchtime 3x -count "$count"
	go test ./lang -run '^$' -bench 'LoadVariables|LoadAndChain' -benchtime 3x -count "$count"
	go test ./cmd/pipeline/internal/command -run '^$' -bench PlanAlternatingChain -benchtime 3x -count "$count"
} | tee /dev/stderr |
	awk '/^Benchmark.*cpu-ns\/op/ { name=$1; sub(/-[0-9]+$/, "", name); n=name; sub(/.*\//, "", n); sub(/\/[0-9]+$/, "", name); for (i = 2; i <= NF; i++) if ($i == "cpu-ns/op") print name, n, $(i-1) }' |
	sort -k1,1 -k2,2n -k3,3n |
	awk '
	function flush() { if (cnt > 0) { best[key] = vals[1]; order[++k] = key }; cnt = 0 }
	{ if ($1 " " $2 != key) { flush(); key = $1 " " $2 }; vals[++cnt] = $3 }
	END {
		flush()
		printf "\n%-28s %8s %16s %16s %7s\n", "benchmark", "N", "N cpu-ns/op", "2N cpu-ns/op", "2N/N"
		for (i = 1; i < k; i++) {
			split(order[i], a, " "); split(order[i+1], b, " ")
			if (a[1] == b[1] && b[2] == 2 * a[2])
				printf "%-28s %8d %16d %16d %7.2f\n", a[1], a[2], best[order[i]], best[order[i+1]], best[order[i+1]] / best[order[i]]
		}
	}'
