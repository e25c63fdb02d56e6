#!/usr/bin/env bash
# Nexmark runner (issue 13): generates events once into bench/nexmark/data,
# runs each query's spec as a whole `pipeline run` process and prints one
# JSON object per query and backend:
#   {"query","backend","events","cpu_seconds","wall_seconds","events_per_core_second","output_records"}
# cpu_seconds is the process's user+system CPU time (/usr/bin/time), so
# events_per_core_second is Nexmark's per-core throughput measure; events
# counts every generated event (persons, auctions and bids), as Nexmark does.
# With -backend both, native and beam run each query and their out.jsonl
# must hold the same records (compared sorted; for a changelog, the final
# tables: the changes applied by key, as internal/check -print does; a
# partitioned sink's files too; q12 by each bidder's total, see same()).
#
# With -check, each native out.jsonl is then compared with the reference
# implementation's answer over the same events (bench/nexmark/ref).
#
#   bench/nexmark/run.sh [-events N] [-queries q0,q1,...] [-backend native|beam|both] [-seed S] [-check]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
events=1000000
seed=1
queries=""
backend=native
check=0
while [ $# -gt 0 ]; do
	case "$1" in
	-events) events=$2; shift 2 ;;
	-queries) queries=$2; shift 2 ;;
	-backend) backend=$2; shift 2 ;;
	-seed) seed=$2; shift 2 ;;
	-check) check=1; shift ;;
	*) echo "usage: $0 [-events N] [-queries q0,q1,...] [-backend native|beam|both] [-seed S] [-check]" >&2; exit 2 ;;
	esac
done
case "$backend" in native | beam | both) ;; *) echo "-backend: native, beam or both" >&2; exit 2 ;; esac
if [ ! -x /usr/bin/time ]; then
	echo "run.sh needs GNU time (/usr/bin/time; apt-get install -y time)" >&2
	exit 1
fi
if [ -z "$queries" ]; then
	queries=$(cd "$here" && ls -d q*/ | tr -d / | sort -V | tr '\n' ,)
fi

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
echo "building pipeline..." >&2
(cd "$root" && go build -o "$bin/pipeline" ./cmd/pipeline)
if [ "$backend" != native ]; then
	if [ -n "${PIPELINE_BEAM:-}" ]; then
		cp "$PIPELINE_BEAM" "$bin/pipeline-beam"
	else
		echo "building pipeline-beam (minutes on a cold cache)..." >&2
		(cd "$root" && go build -o "$bin/pipeline-beam" ./cmd/pipeline-beam)
	fi
	export PIPELINE_BEAM="$bin/pipeline-beam"
fi
if [ "$backend" = both ]; then
	(cd "$root" && go build -o "$bin/check" ./bench/nexmark/internal/check)
fi

data="$here/data"
stamp="events=$events seed=$seed"
if [ "$(cat "$data/.generated" 2>/dev/null)" != "$stamp" ]; then
	echo "generating $events events into $data..." >&2
	(cd "$root" && go run ./bench/nexmark/gen -events "$events" -seed "$seed" -out "$data")
	echo "$stamp" >"$data/.generated"
fi

# outputs DIR: every record the spec in DIR wrote: out.jsonl, or the
# part.jsonl files of a partitioned sink (q10) under out/.
outputs() {
	if [ -f "$1/out.jsonl" ]; then
		cat "$1/out.jsonl"
	elif [ -d "$1/out" ]; then
		find "$1/out" -name part.jsonl -type f -exec cat {} +
	fi
}

# run_one QUERY BACKEND DIR: runs the spec in DIR and prints its JSON line.
run_one() {
	local q=$1 be=$2 dir=$3 tf
	tf=$(mktemp)
	rm -rf "$dir/out.jsonl" "$dir/out"
	rm -rf "$dir/.pipeline"
	if ! /usr/bin/time -o "$tf" -f "%U %S %e" "$bin/pipeline" run "$dir" >"$dir/run.log" 2>&1; then
		echo "$q on $be failed; see $dir/run.log" >&2
		rm -f "$tf"
		return 1
	fi
	local user sys wall out
	read -r user sys wall <"$tf"
	rm -f "$tf"
	out=$(outputs "$dir" | wc -l)
	awk -v q="$q" -v be="$be" -v ev="$events" -v u="$user" -v s="$sys" -v w="$wall" -v o="$out" 'BEGIN {
		cpu = u + s
		printf "{\"query\":\"%s\",\"backend\":\"%s\",\"events\":%d,\"cpu_seconds\":%.2f,\"wall_seconds\":%.2f,\"events_per_core_second\":%d,\"output_records\":%d}\n", q, be, ev, cpu, w, (cpu > 0 ? ev / cpu : 0), o
	}'
}

# beam_copy QUERY: a copy of the spec with every operator pinned to Beam
# (Prism in pipeline-beam), beside the query so ../data still resolves.
beam_copy() {
	local q=$1 dir="$here/.beam-$1"
	rm -rf "$dir"
	mkdir -p "$dir"
	sed -E 's/^((source|filter|map|join|aggregate|top|dedupe|route|sink) "[^"]*" \{)$/\1\n  backend = "beam"/' "$here/$q/main.hcl" >"$dir/main.hcl"
	printf 'backend "beam" {}\n' >"$dir/beam.hcl"
	echo "$dir"
}

# same QUERY DIR1 DIR2: whether two runs of QUERY wrote the same records,
# and a partitioned sink the same files. q12's windows are processing time:
# how many windows a run writes depends on its speed, so its runs are
# compared by each bidder's total instead (as run.sh -check does).
same() {
	local q=$1 a=$2 b=$3
	if [ "$q" = q12 ]; then
		if ! command -v jq >/dev/null; then
			echo "q12: jq not found: native and beam not compared" >&2
			return 0
		fi
		local totals='group_by(.bidder) | map({bidder: .[0].bidder, bids: (map(.bid_count) | add)})'
		cmp -s <(outputs "$a" | jq -cs "$totals") <(outputs "$b" | jq -cs "$totals")
		return
	fi
	case " q4 q9 q18 q19 " in
	*" $q "*)
		# changelogs: the final tables, which the two may reach by different changes
		cmp -s <("$bin/check" -print "$a") <("$bin/check" -print "$b")
		return
		;;
	esac
	if [ -d "$a/out" ] || [ -d "$b/out" ]; then
		cmp -s <(cd "$a/out" 2>/dev/null && find . -type f | sort) <(cd "$b/out" 2>/dev/null && find . -type f | sort) || return 1
	fi
	cmp -s <(outputs "$a" | sort) <(outputs "$b" | sort)
}

status=0
for q in ${queries//,/ }; do
	[ -f "$here/$q/main.hcl" ] || { echo "$q: no spec at $here/$q/main.hcl" >&2; status=1; continue; }
	if [ "$backend" != beam ]; then
		run_one "$q" native "$here/$q" || { status=1; continue; }
	fi
	if [ "$backend" != native ]; then
		bdir=$(beam_copy "$q")
		run_one "$q" beam "$bdir" || { status=1; continue; }
		if [ "$backend" = both ] && ! same "$q" "$here/$q" "$bdir"; then
			echo "$q: native and beam wrote different records" >&2
			status=1
		fi
	fi
done
if [ "$check" = 1 ] && [ "$backend" != beam ]; then
	echo "checking the outputs against the reference..." >&2
	(cd "$root" && go run ./bench/nexmark/internal/check -events "$events" -seed "$seed" -dir "$here" ${queries//,/ }) >&2 || status=1
fi
exit $status
