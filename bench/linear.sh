#!/usr/bin/env bash
# Linear growth (issue 17, item 9): each input measured at N and 2N, and
# the ratio of median ns/op printed; linear is ≈ 2, quadratic ≈ 4.
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
	awk '/^Benchmark.*ns\/op/ { name=$1; sub(/-[0-9]+$/, "", name); n=name; sub(/.*\//, "", n); sub(/\/[0-9]+$/, "", name); print name, n, $3 }' |
	sort -k1,1 -k2,2n -k3,3n |
	awk '
	function flush() { if (cnt > 0) { med[key] = vals[int((cnt + 1) / 2)]; order[++k] = key }; cnt = 0 }
	{ if ($1 " " $2 != key) { flush(); key = $1 " " $2 }; vals[++cnt] = $3 }
	END {
		flush()
		printf "\n%-28s %8s %14s %14s %7s\n", "benchmark", "N", "N ns/op", "2N ns/op", "2N/N"
		for (i = 1; i < k; i++) {
			split(order[i], a, " "); split(order[i+1], b, " ")
			if (a[1] == b[1] && b[2] == 2 * a[2])
				printf "%-28s %8d %14d %14d %7.2f\n", a[1], a[2], med[order[i]], med[order[i+1]], med[order[i+1]] / med[order[i]]
		}
	}'
