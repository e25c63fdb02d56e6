#!/usr/bin/env bash
# Side-by-side Nexmark runs of two pipeline binaries (issue 13): for each
# query and each of -runs rounds, runs OLD then NEW (`pipeline run`) over
# the same generated events (bench/nexmark/data, as run.sh lays it out;
# run run.sh once first with the same -events), prints one JSON line per
# run with its CPU seconds (user + system, /usr/bin/time), and checks that
# both binaries wrote byte-identical outputs. On a shared machine,
# compare the two columns of the same round, not figures of other runs.
# NEW's last outputs stay in place, so that
#   go run ./bench/nexmark/internal/check -events N -dir bench/nexmark q4 ...
# can compare them with the reference afterwards.
#
#   bench/nexmark/ab.sh [-runs N] [-queries q4,q9,...] OLD NEW
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
runs=3
queries=q4,q9,q18,q19
while [ $# -gt 2 ]; do
	case "$1" in
	-runs) runs=$2; shift 2 ;;
	-queries) queries=$2; shift 2 ;;
	*) break ;;
	esac
done
if [ $# -ne 2 ]; then
	echo "usage: $0 [-runs N] [-queries q4,q9,...] OLD NEW" >&2
	exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
[ -f "$here/data/.generated" ] || { echo "no events in $here/data: run bench/nexmark/run.sh first" >&2; exit 1; }
events=$(sed -E 's/^events=([0-9]+).*/\1/' "$here/data/.generated")
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

status=0
for q in ${queries//,/ }; do
	dir="$here/$q"
	for round in $(seq 1 "$runs"); do
		for which in old new; do
			bin=$old
			[ "$which" = new ] && bin=$new
			rm -rf "$dir/out.jsonl" "$dir/out" "$dir/.pipeline"
			/usr/bin/time -o "$out/time" -f "%U %S %e" "$bin" run "$dir" >"$out/log" 2>&1 || {
				echo "$q: $which failed:" >&2
				tail -5 "$out/log" >&2
				exit 1
			}
			read -r user sys wall <"$out/time"
			awk -v q="$q" -v w="$which" -v r="$round" -v ev="$events" -v u="$user" -v s="$sys" -v wall="$wall" 'BEGIN {
				cpu = u + s
				printf "{\"query\":\"%s\",\"binary\":\"%s\",\"round\":%d,\"cpu_seconds\":%.2f,\"wall_seconds\":%.2f,\"events_per_core_second\":%d}\n", q, w, r, cpu, wall, ev / cpu
			}'
			if [ -f "$dir/out.jsonl" ]; then
				cp "$dir/out.jsonl" "$out/$which.jsonl"
			else
				find "$dir/out" -name part.jsonl -type f -print0 | sort -z | xargs -0 cat >"$out/$which.jsonl"
			fi
		done
		if ! cmp -s "$out/old.jsonl" "$out/new.jsonl"; then
			echo "$q round $round: the outputs differ" >&2
			status=1
		fi
	done
done
exit $status
