#!/bin/sh
# read_path_bench.sh: instructions the server executes for the scalar
# answers, counted by callgrind, so that two builds compare exactly even on
# a busy machine (wall-clock figures there move by 2x from run to run).
#
#     bench/read_path_bench.sh [BUILD_DIR=build] [REQUESTS=200] [BASE_BUILD_DIR]
#
# Writes a fixed-seed log directory with gen_scalars (1 run x 1 tag x 1000
# steps), starts tboard under callgrind with --answer_cache_mb 0 (every
# answer encoded again), sends REQUESTS requests to each of
# /data/plugin/scalars/scalars and /data/tboard/scalars, and prints the
# instructions per request of each route: the difference to an idle run of
# the same server (start and stop only), divided by REQUESTS. With
# BASE_BUILD_DIR, the same for that build, and the ratio. Needs valgrind.
set -eu
B=${1:-build}
N=${2:-200}
BASE_B=${3:-}
command -v valgrind >/dev/null 2>&1 || { echo "did not run: valgrind is missing" >&2; exit 1; }
. "$(dirname "$0")/lib/server.sh"

"$B/gen_scalars" "$TMP/one" 1 1 1000 >/dev/null
Q="tag=g0%2Fscalar_00&run=run_00"

# count BUILD ROUTE COUNT: total instructions of a server that answered
# COUNT requests to ROUTE
count() {
	rm -f "$TMP/cg.out" "$TMP/srv.out"
	valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" "$1/tboard" \
		--logdir "$TMP/one" --port 0 --reload_interval 0 --reload_task blocking \
		--answer_cache_mb 0 >"$TMP/srv.out" 2>&1 &
	PID=$!
	port=$(bench_port "$TMP/srv.out")
	k=0
	while [ $k -lt "$3" ]; do
		curl -s -o /dev/null "http://127.0.0.1:$port/$2?$Q"
		k=$((k + 1))
	done
	kill -INT "$PID"
	wait "$PID" 2>/dev/null || true
	PID=""
	awk '/^summary:/ {print $2}' "$TMP/cg.out"
}

# per_request BUILD ROUTE: instructions per request of ROUTE
per_request() {
	idle=$(count "$1" data/runs 0)
	busy=$(count "$1" "$2" "$N")
	awk -v a="$busy" -v b="$idle" -v n="$N" 'BEGIN {printf "%.0f", (a - b) / n}'
}

echo "| route ($N requests, no answer cache) | instructions per request | base | ratio |"
echo "| --- | --- | --- | --- |"
for route in data/plugin/scalars/scalars data/tboard/scalars; do
	new=$(per_request "$B" "$route")
	if [ -n "$BASE_B" ]; then
		old=$(per_request "$BASE_B" "$route")
		ratio=$(awk -v a="$new" -v b="$old" 'BEGIN {printf "%.4f", a / b}')
	else
		old="-"
		ratio="-"
	fi
	printf '| /%s | %s | %s | %s |\n' "$route" "$new" "$old" "$ratio"
done
