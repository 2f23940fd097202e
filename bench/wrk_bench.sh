#!/bin/sh
# wrk_bench.sh: requests per second of the scalar answers against the tiny
# /data/runs route, measured in the same run, one connection, one thread.
#
#     bench/wrk_bench.sh [BUILD_DIR=build] [SECONDS=3] [REPEATS=3] [BASE_BUILD_DIR]
#
# Writes two fixed-seed log directories with gen_scalars (1 run x 1 tag x
# 1000 steps; 1000 runs x 50 tags x 200 steps), starts tboard on each
# (--reload_interval 0, so nothing changes while measuring) and runs wrk
# REPEATS times per route, printing the median req/s, the median p50
# latency and the ratio to /data/runs. "no cache" is a second server with
# --answer_cache_mb 0: every answer is encoded again. With BASE_BUILD_DIR
# (another build, e.g. of an older commit), its servers start too and
# every route is measured on both, alternating, each ratio against its own
# binary's /data/runs (a baseline from before the answer cache starts
# without --answer_cache_mb). WIDE_DIR=DIR reuses an existing 1000 x 50 x
# 200 directory. Installs wrk with apt-get when it is missing.
set -eu
B=${1:-build}
SECS=${2:-3}
REPS=${3:-3}
BASE_B=${4:-}
command -v wrk >/dev/null 2>&1 || apt-get install -y wrk >/dev/null
. "$(dirname "$0")/lib/server.sh"
PIDS=""
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

"$B/gen_scalars" "$TMP/one" 1 1 1000 >/dev/null
WIDE_LOGS=${WIDE_DIR:-$TMP/wide} # WIDE_DIR: an existing 1000 x 50 x 200 directory to reuse
[ -n "${WIDE_DIR:-}" ] || "$B/gen_scalars" "$WIDE_LOGS" 1000 50 200 >/dev/null

# start NAME LOGDIR FLAGS...: start tboard, wait for its port, set PORT_<NAME>
start() {
	name=$1
	dir=$2
	shift 2
	# a binary from before the answer cache has no such flag (and no cache)
	if [ "${1:-}" = --answer_cache_mb ] && ! "$B/tboard" --help 2>&1 | grep -q answer_cache_mb; then
		shift 2
	fi
	"$B/tboard" --logdir "$dir" --port 0 --reload_interval 0 --reload_task blocking "$@" \
		>"$TMP/$name.out" 2>/dev/null &
	PIDS="$PIDS $!"
	port=$(bench_port "$TMP/$name.out")
	eval "PORT_$name=$port"
}

start one "$TMP/one"
start nocache "$TMP/one" --answer_cache_mb 0
start wide "$WIDE_LOGS"
start widenc "$WIDE_LOGS" --answer_cache_mb 0
if [ -n "$BASE_B" ]; then
	NEW_B=$B
	B=$BASE_B
	start b_one "$TMP/one"
	start b_nocache "$TMP/one" --answer_cache_mb 0
	start b_wide "$WIDE_LOGS"
	start b_widenc "$WIDE_LOGS" --answer_cache_mb 0
	B=$NEW_B
fi

# measure1 LABEL URL [HEADER]: median req/s and p50 of REPS wrk runs
BASE=""
BBASE=""
measure1() {
	label=$1
	url=$2
	hdr=${3:-X-Bench: 1}
	rates=""
	lats=""
	r=0
	while [ $r -lt "$REPS" ]; do
		out=$(wrk -t1 -c1 -d"${SECS}s" --latency -H "$hdr" "$url")
		rates="$rates $(echo "$out" | awk '/Requests\/sec/ {print $2}')"
		lats="$lats $(echo "$out" | awk '$1 == "50%" {print $2}')"
		r=$((r + 1))
	done
	rate=$(echo $rates | tr ' ' '\n' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	lat=$(echo $lats | tr ' ' '\n' | sort | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	case $label in
	base:*)
		[ -z "$BBASE" ] && BBASE=$rate
		ref=$BBASE
		;;
	*)
		[ -z "$BASE" ] && BASE=$rate
		ref=$BASE
		;;
	esac
	ratio=$(awk -v a="$rate" -v b="$ref" 'BEGIN {printf "%.0f%%", 100 * a / b}')
	size=$(curl -s -H "$hdr" "$url" | wc -c)
	printf '| %s | %s | %s | %s B | %s |\n' "$label" "$rate" "$lat" "$size" "$ratio"
}

# measure LABEL URL [HEADER]: measure1 on this build's server, then the
# same route on the baseline's (URL's port swapped for its twin's)
measure() {
	measure1 "$@"
	[ -z "$BASE_B" ] && return 0
	label=$1
	url=$2
	shift 2
	for pair in "$PORT_one:$PORT_b_one" "$PORT_nocache:$PORT_b_nocache" \
		"$PORT_wide:$PORT_b_wide" "$PORT_widenc:$PORT_b_widenc"; do
		url=$(echo "$url" | sed "s|:${pair%%:*}/|:${pair##*:}/|")
	done
	hdr=${1:-X-Bench: 1}
	hdr=$(echo "$hdr" | sed "s|$etag|$b_etag|; s|$tetag|$b_tetag|")
	measure1 "base: $label" "$url" "$hdr"
}

ONE="http://127.0.0.1:$PORT_one"
NOC="http://127.0.0.1:$PORT_nocache"
WIDE="http://127.0.0.1:$PORT_wide"
WNC="http://127.0.0.1:$PORT_widenc"
Q="tag=g0%2Fscalar_00&run=run_00"
etag=$(curl -s -D - -o /dev/null "$ONE/data/plugin/scalars/scalars?$Q" | tr -d '\r' |
	awk 'tolower($1) == "etag:" {print $2}')
tetag=$(curl -s -D - -o /dev/null "$ONE/data/tboard/scalars?$Q" | tr -d '\r' |
	awk 'tolower($1) == "etag:" {print $2}')

if [ -n "$BASE_B" ]; then
	BONE="http://127.0.0.1:$PORT_b_one"
	b_etag=$(curl -s -D - -o /dev/null "$BONE/data/plugin/scalars/scalars?$Q" | tr -d '\r' |
		awk 'tolower($1) == "etag:" {print $2}')
	b_tetag=$(curl -s -D - -o /dev/null "$BONE/data/tboard/scalars?$Q" | tr -d '\r' |
		awk 'tolower($1) == "etag:" {print $2}')
fi

echo "| route (1 connection) | req/s (median of $REPS) | p50 | body | vs /data/runs |"
echo "| --- | --- | --- | --- | --- |"
measure "/data/runs" "$ONE/data/runs"
measure "scalars, 1000 points, encoded every time (no cache)" "$NOC/data/plugin/scalars/scalars?$Q"
measure "scalars, 1000 points, cache hit" "$ONE/data/plugin/scalars/scalars?$Q"
measure "scalars, 1000 points, cache hit, gzip" "$ONE/data/plugin/scalars/scalars?$Q" "Accept-Encoding: gzip"
measure "scalars, 1000 points, 304 on If-None-Match" "$ONE/data/plugin/scalars/scalars?$Q" "If-None-Match: $etag"
measure "tboard/scalars, 1000 points, no cache" "$NOC/data/tboard/scalars?$Q"
measure "tboard/scalars, 1000 points, 304" "$ONE/data/tboard/scalars?$Q" "If-None-Match: $tetag"
measure "tboard/scalars, 1000 runs x 200 points, no cache, gzip" "$WNC/data/tboard/scalars?tag=g0%2Fscalar_00" "Accept-Encoding: gzip"
measure "tboard/scalars, 1000 runs x 200 points, cache hit, gzip" "$WIDE/data/tboard/scalars?tag=g0%2Fscalar_00" "Accept-Encoding: gzip"
measure "tboard/scalars, 1000 runs x 200 points, buckets=50, no cache, gzip" "$WNC/data/tboard/scalars?tag=g0%2Fscalar_00&buckets=50" "Accept-Encoding: gzip"
