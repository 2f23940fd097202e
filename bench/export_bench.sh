#!/bin/sh
# export_bench.sh: tboard export throughput and peak memory.
#
#     bench/export_bench.sh [BUILD_DIR=build] [REPEAT=3]
#
# Writes a fixed-seed log directory with gen_scalars (10 runs x 20 tags x
# 50,000 steps: 10 M scalar points, about 517 MB), then, REPEAT times each,
# reads its event files with cat (the floor: bytes off the page cache) and
# exports its scalars table as CSV, JSON Lines, Parquet and gzip Parquet to
# /dev/null, and all four tables as Parquet into a folder. Prints for each
# the median wall time, the median CPU time (user + system: what the work
# costs on a machine shared with other jobs), points per CPU second, the
# CPU-time ratio to cat, and the median peak resident memory (GNU time's
# %M).
set -eu
B=${1:-build}
N=${2:-3}
. "$(dirname "$0")/lib/server.sh"

"$B/gen_scalars" "$TMP/logs" 10 20 50000 >/dev/null
POINTS=10000000
FILES=$(find "$TMP/logs" -name '*tfevents*' | sort)
cat $FILES >/dev/null # warm the page cache once

# run LABEL CMD...: N timed runs; sets SECS and KB to the medians
run() {
	label=$1
	shift
	: >"$TMP/t"
	i=0
	while [ $i -lt "$N" ]; do
		/usr/bin/time -f '%e %M %U %S' -o "$TMP/one" "$@" >/dev/null 2>"$TMP/err"
		cat "$TMP/one" >>"$TMP/t"
		rm -rf "$TMP/out"
		i=$((i + 1))
	done
	SECS=$(cut -d' ' -f1 "$TMP/t" | median)
	KB=$(cut -d' ' -f2 "$TMP/t" | median)
	CPU=$(awk '{print $3 + $4}' "$TMP/t" | median)
	printf '%-28s %8s %8s %14s %8s %10.1f\n' "$label" "$SECS" "$CPU" \
		"$([ "$label" = cat ] && echo - || echo "$POINTS / $CPU" | bc -l | cut -d. -f1)" \
		"$(echo "$CPU / ${CAT:-$CPU}" | bc -l | cut -c1-5)" "$(echo "$KB / 1024" | bc -l)"
}

printf '%-28s %8s %8s %14s %8s %10s\n' what wall_s cpu_s points/cpu_s vs_cat peak_MB
CAT=""
run cat cat $FILES
CAT=$(echo "$CPU" | awk '{print ($1 < 0.01 ? 0.01 : $1)}')
for f in csv jsonl parquet parquet-gzip; do
	fmt=${f%-gzip}
	extra=""
	[ "$f" = parquet-gzip ] && extra="--compression gzip"
	# shellcheck disable=SC2086
	run "export scalars $f" "$B/tboard" export --logdir "$TMP/logs" --format "$fmt" $extra \
		--table scalars -o /dev/null --quiet
done
run "export 4 tables parquet" "$B/tboard" export --logdir "$TMP/logs" --format parquet \
	-o "$TMP/out" --quiet
