#!/usr/bin/env bash
# Peer benchmark (issue 3): 1M JSON orders, filter + project, file to file.
# Runs pipeline, Benthos v4.77.0 and a hand-written encoding/json loop
# alternately ROUNDS times on the same input and prints the ratio of medians.
#
#   bench/peer.sh [N_RECORDS] [ROUNDS]
#
# Needs ../shared/bench beside the repository (data generator, Benthos job).
#
# Then the same filter + project job over N_RECORDS orders with Avro input
# (issue 12), against the same job with JSON input, in one process on the
# stateless core every backend runs (bench/avroorders, alternating batches):
# a file source cannot carry framed Avro (a record may hold a newline byte),
# so this leg has no file I/O on either side.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=$(cd "$repo/../shared/bench" && pwd)
n=${1:-1000000}
rounds=${2:-3}
work=${BENCH_DIR:-$(mktemp -d)}
bin="$work/bin"
mkdir -p "$bin"

echo "building into $bin" >&2
(cd "$repo" && go build -o "$bin/pipeline" ./cmd/pipeline && go build -o "$bin/jsonloop" ./bench/jsonloop)
if [ ! -x "$bin/benthos" ]; then
  cp -r "$shared/benthos" "$work/benthos-src"
  (cd "$work/benthos-src" && go build -o "$bin/benthos" .)
fi

orders="$work/orders.jsonl"
[ -s "$orders" ] || python3 "$shared/gen_orders.py" "$orders" "$n"
sed -e "s#ORDERS_JSONL#$orders#" -e "s#OUT_JSONL#$work/out-benthos.jsonl#" "$shared/benthos/orders.yaml" > "$work/benthos.yaml"

# seconds LABEL CMD...: wall time of one run, in seconds.
seconds() {
  local start end
  shift
  start=$(date +%s.%N)
  "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; exit 1; }
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

declare -a tp tb tl
for ((i = 0; i < rounds; i++)); do
  rm -f "$work"/out-*.jsonl
  tp+=("$(seconds pipeline "$bin/pipeline" run -var "input=$orders" -var "output=$work/out-pipeline.jsonl" "$here/spec")")
  tb+=("$(seconds benthos "$bin/benthos" -c "$work/benthos.yaml")")
  tl+=("$(seconds loop "$bin/jsonloop" "$orders" "$work/out-loop.jsonl")")
  echo "round $((i + 1)): pipeline ${tp[-1]}s  benthos ${tb[-1]}s  loop ${tl[-1]}s" >&2
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
mp=$(median "${tp[@]}"); mb=$(median "${tb[@]}"); ml=$(median "${tl[@]}")

# The outputs must agree before the times mean anything.
kept_p=$(wc -l < "$work/out-pipeline.jsonl"); kept_b=$(wc -l < "$work/out-benthos.jsonl"); kept_l=$(wc -l < "$work/out-loop.jsonl")
if [ "$kept_p" != "$kept_l" ] || [ "$kept_b" != "$kept_l" ]; then
  echo "outputs differ: pipeline $kept_p, benthos $kept_b, loop $kept_l records" >&2
  exit 1
fi

echo "records in: $n, kept: $kept_p, rounds: $rounds, cores: $(nproc)"
echo "median seconds: pipeline $mp, benthos $mb, encoding/json loop $ml"
echo "pipeline vs benthos: $(echo "scale=2; $mb / $mp" | bc)x faster (goal >= 5x)"
echo "pipeline vs loop: $(echo "scale=2; $ml / $mp" | bc)x the loop's speed (goal >= 0.5x)"

# Avro versus JSON input, the same job, N_RECORDS records per round.
for ((i = 0; i < rounds; i++)); do
  (cd "$repo" && go test ./bench/avroorders -run '^$' -bench AvroVersusJSON -benchtime "${n}x" -count 1) |
    awk -v r=$((i + 1)) '/AvroVersusJSON/ { for (f = 1; f <= NF; f++) { if ($(f) ~ /json-records\/s/) j = $(f-1); if ($(f) ~ /avro-records\/s/) a = $(f-1); if ($(f) == "avro-speedup") x = $(f-1) } }
      END { if (x == "") { print "avro round " r ": no benchmark output" > "/dev/stderr"; exit 1 } printf "avro round %d: json %.0f records/s  avro %.0f records/s  avro/json %.2fx (goal >= 1x)\n", r, j, a, x }'
done
