#!/bin/sh
# snapshot_bench.sh: size and cost of a static snapshot of many runs.
#
#     bench/snapshot_bench.sh [BUILD_DIR=build] [RUNS=3]
#
# Writes a fixed-seed log directory with gen_scalars (1000 runs x 50 tags x
# 200 steps: 10 M points, 50,000 series), then RUNS times: loads it with
# `tboard query` answering a trivial query (the baseline: loading alone)
# and with `tboard snapshot` (loading, then the snapshot), measuring wall
# and CPU time (user + system) and peak memory with /usr/bin/time. Prints
# the medians, the snapshot's size next to the event files' size, and the
# ratios. On a shared machine compare CPU times: wall time waits for others.
set -eu
B=${1:-build}
N=${2:-3}
. "$(dirname "$0")/lib/server.sh"

"$B/gen_scalars" "$TMP/wide" 1000 50 200 >/dev/null
events=$(du -sb "$TMP/wide" | cut -f1)

# one measurement: prints "wall_s peak_kb cpu_s"
measure() {
	/usr/bin/time -f '%e %M %U %S' -o "$TMP/time" "$@" >/dev/null 2>"$TMP/err" || {
		cat "$TMP/err" >&2
		exit 1
	}
	awk '{print $1, $2, $3 + $4}' "$TMP/time"
}

: >"$TMP/load"
: >"$TMP/snap"
i=0
while [ "$i" -lt "$N" ]; do
	measure "$B/tboard" query --logdir "$TMP/wide" 'limit 1' >>"$TMP/load"
	measure "$B/tboard" snapshot --logdir "$TMP/wide" -o "$TMP/report.html" >>"$TMP/snap"
	i=$((i + 1))
done
size=$(stat -c %s "$TMP/report.html")
load_s=$(cut -d' ' -f1 "$TMP/load" | median)
load_kb=$(cut -d' ' -f2 "$TMP/load" | median)
snap_s=$(cut -d' ' -f1 "$TMP/snap" | median)
snap_kb=$(cut -d' ' -f2 "$TMP/snap" | median)
load_cpu=$(cut -d' ' -f3 "$TMP/load" | median)
snap_cpu=$(cut -d' ' -f3 "$TMP/snap" | median)
echo "1000 runs x 50 tags x 200 steps, medians of $N"
awk -v e="$events" -v s="$size" 'BEGIN {printf "event files %.1f MB, snapshot %.2f MB (%.1fx smaller)\n", e / 1e6, s / 1e6, e / s}'
awk -v a="$load_s" -v b="$snap_s" 'BEGIN {printf "wall: load only %.1f s, load + snapshot %.1f s (x%.2f; the snapshot itself %.1f s)\n", a, b, b / a, b - a}'
awk -v a="$load_cpu" -v b="$snap_cpu" 'BEGIN {printf "cpu: load only %.1f s, load + snapshot %.1f s (x%.2f; the snapshot itself %.1f s)\n", a, b, b / a, b - a}'
awk -v a="$load_kb" -v b="$snap_kb" 'BEGIN {printf "peak RSS: load only %.0f MB, load + snapshot %.0f MB (x%.2f)\n", a / 1024, b / 1024, b / a}'
