#!/bin/sh
# retention_bench.sh: server memory for the scalar retention settings.
#
#     bench/retention_bench.sh [BUILD_DIR=build]
#
# Writes two fixed-seed log directories with gen_scalars (1000 runs x 50
# tags x 200 steps, and 10 runs x 20 tags x 50,000 steps; 10 M points each)
# and loads each into tboard (--reload_task blocking, so it serves only once
# everything is loaded) with the default retention (upstream's 1000 points
# per scalar series, by reservoir) and with --samples_per_plugin
# scalars=all, then prints the server's resident memory (VmRSS) and its
# peak (VmHWM).
set -eu
B=${1:-build}
. "$(dirname "$0")/lib/server.sh"

"$B/gen_scalars" "$TMP/wide" 1000 50 200 >/dev/null
"$B/gen_scalars" "$TMP/long" 10 20 50000 >/dev/null

kb() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$PID/status"; }

measure() {
	label=$1
	dir=$2
	shift 2
	rm -f "$TMP/out" # else the last server's line can be read before this one starts
	"$B/tboard" --logdir "$dir" --port 0 --reload_interval 0 --reload_task blocking "$@" \
		>"$TMP/out" 2>/dev/null &
	PID=$!
	bench_port "$TMP/out" >/dev/null
	rss=$(kb VmRSS)
	hwm=$(kb VmHWM)
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=""
	printf '| %s | %s | %d MB | %d MB |\n' "$label" "${*:-default (1000 per series)}" \
		$((rss / 1024)) $((hwm / 1024))
}

echo "| log directory | retention | RSS after load | peak RSS |"
echo "| --- | --- | --- | --- |"
measure "1000 runs x 50 tags x 200 steps" "$TMP/wide"
measure "1000 runs x 50 tags x 200 steps" "$TMP/wide" --samples_per_plugin scalars=all
measure "10 runs x 20 tags x 50,000 steps" "$TMP/long"
measure "10 runs x 20 tags x 50,000 steps" "$TMP/long" --samples_per_plugin scalars=all
