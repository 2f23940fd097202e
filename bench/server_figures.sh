#!/bin/sh
# server_figures.sh: every figure of the "thousands of runs" targets for a
# build against a baseline build, each pair measured in the same run,
# printed as one table of medians and ratios.
#
#     bench/server_figures.sh NEW_BUILD BASE_BUILD [REPEATS=3] [DATA_DIR] [WRK_SECS=3]
#
# Writes the data sets with NEW_BUILD's gen_scalars into DATA_DIR (a
# temporary folder when not given; an existing DATA_DIR is reused): many
# (1000 runs x 50 tags x 200 steps, 504 MB), histo (10 x 10 x 5000
# histograms of 30 buckets, 401 MB) and long (10 x 20 x 50,000 steps,
# 517 MB). Then, alternating the two builds where a tool allows:
#   scale_bench on many, on histo with histograms=100 (upstream's Rust
#   loader's sampling) with the files read back into the page cache with
#   readahead on and off (scale_bench --pages=large and small: large folios,
#   and 4 KiB pages where memory is fragmented), and at the default
#   sampling (500 kept per series) in both states; and on long;
#   fd_limit_bench.sh (1500 runs under ulimit -n 1024) for each build;
#   the read floor: `cat` of long's files from the page cache (median of
#   2 x REPEATS), and each build's load_bench on long (in-process loader);
#   wrk_bench.sh (1 connection), with WRK_SECS seconds per wrk run, in
#   max(REPEATS, 5) rounds (each share taken within one round).
# The raw output of every tool is kept in the log printed at the end.
set -eu
if [ $# -lt 2 ]; then
	echo "usage: $0 NEW_BUILD BASE_BUILD [REPEATS=3] [DATA_DIR] [WRK_SECS=3]" >&2
	exit 2
fi
NEW=$1
BASE=$2
REPS=${3:-3}
DATA=${4:-}
SECS=${5:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT INT TERM
[ -n "$DATA" ] || DATA=$TMP/data
mkdir -p "$DATA"
LOG=${LOG:-$(mktemp -t server_figures.XXXXXX)}

gen() {
	[ -d "$DATA/$1" ] || "$NEW/gen_scalars" "$DATA/$1" $2 >/dev/null
}
gen many "1000 50 200"
gen histo "10 10 5000 30"
gen long "10 20 50000"

# step TITLE COMMAND...: run a tool, keep its output in the log and in $OUT
step() {
	title=$1
	shift
	echo "== $title: $*" >>"$LOG"
	OUT=$("$@" 2>&1) || { echo "$OUT" >>"$LOG"; echo "failed: $title (log: $LOG)" >&2; exit 1; }
	echo "$OUT" >>"$LOG"
}

# field LINE_PREFIX REGEX: the first number after REGEX on the line of
# $OUT that starts with LINE_PREFIX
field() {
	echo "$OUT" | grep "^$1" | head -1 | sed -n "s/.*$2 *\([0-9.]*\).*/\1/p"
}
median() {
	tr ' ' '\n' | grep . | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2fx", a / b; else print "-"}'
}
ROWS=""
row() { # figure target new base ratio
	ROWS="$ROWS| $1 | $2 | $3 | $4 | $5 |
"
}

PAGES="" # scale_bench --pages for the next scale, when set
scale() { # label logdir [flags...]
	label=$1
	dir=$2
	shift 2
	set -- ${PAGES:+--pages=$PAGES} -- "$@"
	step "$label" "$NEW/scale_bench" "$dir" "$REPS" "$NEW/tboard" "$BASE/tboard" "$@"
	PAGES=""

	T_NEW=$(field tboard "load"); T_BASE=$(field baseline "load")
	C_NEW=$(field tboard "CPU"); C_BASE=$(field baseline "CPU")
	R_NEW=$(field tboard "peak RSS"); R_BASE=$(field baseline "peak RSS")
	F_NEW=$(field tboard "descriptors"); F_BASE=$(field baseline "descriptors")
	BUDGET=$(field "descriptor budget" "budget")
	READ=$(field "reading the files alone" "alone:")
}

scale "1000 x 50 x 200" "$DATA/many"
row "1000 runs x 50 tags x 200 steps: peak RSS" "<= 100 MB" "$R_NEW MB" "$R_BASE MB" "$(ratio "$R_NEW" "$R_BASE")"
row "same: peak open descriptors" "<= budget $BUDGET" "$F_NEW" "$F_BASE" ""
row "same: load (CPU)" "<= 0.5x base" "$T_NEW s ($C_NEW s)" "$T_BASE s ($C_BASE s)" "$(ratio "$T_NEW" "$T_BASE")"

PAGES=large
scale "histograms, histograms=100, read back with readahead" "$DATA/histo" --samples_per_plugin histograms=100
row "500k histograms, histograms=100: peak RSS" "<= 17 MB" "$R_NEW MB" "$R_BASE MB" "$(ratio "$R_NEW" "$R_BASE")"
row "same: load (CPU), files read back with readahead (reading them alone $READ s)" "<= 0.5x base" "$T_NEW s ($C_NEW s)" "$T_BASE s ($C_BASE s)" "$(ratio "$T_NEW" "$T_BASE")"
PAGES=small
scale "histograms, histograms=100, read back without readahead" "$DATA/histo" --samples_per_plugin histograms=100
row "same: load (CPU), files read back without readahead (reading them alone $READ s)" "<= 0.5x base" "$T_NEW s ($C_NEW s)" "$T_BASE s ($C_BASE s)" "$(ratio "$T_NEW" "$T_BASE")"
PAGES=large
scale "histograms, default sampling, read back with readahead" "$DATA/histo"
row "500k histograms, default 500 kept: peak RSS" "" "$R_NEW MB" "$R_BASE MB" "$(ratio "$R_NEW" "$R_BASE")"
row "same: load (CPU), files read back with readahead (reading them alone $READ s)" "<= 0.5x base" "$T_NEW s ($C_NEW s)" "$T_BASE s ($C_BASE s)" "$(ratio "$T_NEW" "$T_BASE")"
PAGES=small
scale "histograms, default sampling, read back without readahead" "$DATA/histo"
row "same: load (CPU), files read back without readahead (reading them alone $READ s)" "<= 0.5x base" "$T_NEW s ($C_NEW s)" "$T_BASE s ($C_BASE s)" "$(ratio "$T_NEW" "$T_BASE")"

fd_limit() { # build -> "short removed peak budget"
	step "1500 runs, ulimit -n 1024, $1" "$HERE/fd_limit_bench.sh" "$1" 1500 1024
	echo "$(field answers 'in:') $(field '"removed"' 'lines:') $(field 'peak open' 'descriptors') $(field 'peak open' 'budget')"
}
set -- $(fd_limit "$NEW") $(fd_limit "$BASE")
SHORT_n=$1 REMOVED_n=$2 PEAK_n=$3 FDB=$4 SHORT_b=$5 REMOVED_b=$6 PEAK_b=$7
row "1500 runs at ulimit -n 1024: answers short of 1500 runs" "0" "$SHORT_n" "$SHORT_b" ""
row "same: \"removed\" lines" "0" "$REMOVED_n" "$REMOVED_b" ""
row "same: peak open descriptors" "<= budget $FDB" "$PEAK_n" "$PEAK_b" ""

# the read floor: cat from the page cache, before and after the loads
cat_once() {
	t0=$(date +%s.%N)
	find "$DATA/long" -type f -print0 | xargs -0 cat >/dev/null
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f ", b - a}'
}
cat_once >/dev/null # warm the page cache
CATS=""
i=0
while [ $i -lt "$REPS" ]; do CATS="$CATS $(cat_once)"; i=$((i + 1)); done
step "long, in-process load, new" "$NEW/load_bench" "$DATA/long" "$REPS"
L_NEW=$(echo "$OUT" | sed -n 's/^full load, [0-9]* threads: *\([0-9.]*\) s.*/\1/p')
step "long, in-process load, base" "$BASE/load_bench" "$DATA/long" "$REPS"
L_BASE=$(echo "$OUT" | sed -n 's/^full load, [0-9]* threads: *\([0-9.]*\) s.*/\1/p')
i=0
while [ $i -lt "$REPS" ]; do CATS="$CATS $(cat_once)"; i=$((i + 1)); done
CAT=$(echo "$CATS" | median)
echo "== cat of long's files (s): $CATS, median $CAT" >>"$LOG"
scale "10 x 20 x 50k, end to end" "$DATA/long"
row "10 runs x 20 tags x 50k steps: cat from page cache" "" "$CAT s" "" ""
row "same: in-process load / cat" "<= 6x" "$L_NEW s = $(ratio "$L_NEW" "$CAT")" "$L_BASE s = $(ratio "$L_BASE" "$CAT")" "$(ratio "$L_NEW" "$L_BASE")"
row "same: tboard exec to serving / cat" "" "$T_NEW s = $(ratio "$T_NEW" "$CAT")" "$T_BASE s = $(ratio "$T_BASE" "$CAT")" "$(ratio "$T_NEW" "$T_BASE")"

# wrk_bench.sh measures in rounds, at least 5
step "wrk" env WIDE_DIR="$DATA/many" "$HERE/wrk_bench.sh" "$NEW" "$SECS" $((REPS > 5 ? REPS : 5)) "$BASE"
wrk_row() { # label in wrk_bench's table -> "req/s (share: median (min-max))"
	echo "$OUT" | grep -F "| $1 |" | head -1 |
		awk -F'|' '{gsub(/^ +| +$/, "", $3); gsub(/^ +| +$/, "", $7); print $3 " (" $7 ")"}'
}
row "/data/runs, 1 connection" "" "$(wrk_row "/data/runs") req/s" "$(wrk_row "base: /data/runs") req/s" ""
row "scalars, 1000 points, encoded every time: share of /data/runs" ">= 30%" \
	"$(wrk_row "scalars, 1000 points, encoded every time (no cache)")" \
	"$(wrk_row "base: scalars, 1000 points, encoded every time (no cache)")" ""
row "scalars, 1000 points, cache hit: share of /data/runs" ">= 60%" \
	"$(wrk_row "scalars, 1000 points, cache hit")" "$(wrk_row "base: scalars, 1000 points, cache hit")" ""

echo "medians of $REPS runs each; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| figure | target | tboard | baseline | ratio |"
echo "| --- | --- | --- | --- | --- |"
printf '%s' "$ROWS"
echo
echo "every tool's output: $LOG"
