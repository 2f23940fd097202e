#!/bin/sh
# fd_limit_bench.sh: many runs under the usual descriptor limit.
#
#     bench/fd_limit_bench.sh [BUILD_DIR=build] [RUNS=1500] [FDS=1024]
#
# Writes RUNS runs x 2 tags x 20 steps with gen_scalars, starts tboard under
# `ulimit -n FDS` (the default budget is then FDS / 4) with a one-second
# reload interval, and asks /data/runs every 50 ms while it loads and for
# three reload cycles after. Prints how many answers listed fewer runs than
# the most ever listed once all were in, the fewest listed after that, the
# process's peak open descriptors (sampled from /proc with each request)
# beside its budget, and how many "removed" lines tboard logged. Every
# figure but the first and last should read RUNS, and the peak should stay
# within the budget.
set -eu
B=${1:-build}
RUNS=${2:-1500}
FDS=${3:-1024}
TMP=$(mktemp -d)
PID=0
trap 'kill $PID 2>/dev/null; rm -rf "$TMP"' EXIT INT TERM

"$B/gen_scalars" "$TMP/logs" "$RUNS" 2 20 >/dev/null
(
	ulimit -n "$FDS"
	exec "$B/tboard" --logdir "$TMP/logs" --port 0 --reload_interval 1 --verbosity info \
		>"$TMP/out" 2>"$TMP/err"
) &
PID=$!
for i in $(seq 600) fail; do
	grep -q 'http://' "$TMP/out" 2>/dev/null && break
	[ "$i" = fail ] && { echo "tboard did not start" >&2; exit 1; }
	sleep 0.05
done
URL="$(sed -n 's|.*\(http://[^ ]*/\).*|\1|p' "$TMP/out")data/runs"

peak=0
most=0
short=0
fewest=""
asked=0
after=0
while [ "$after" -lt 60 ]; do
	n=$(curl -s "$URL" | grep -o '"run_' | wc -l)
	fds=$(ls /proc/"$PID"/fd 2>/dev/null | wc -l)
	[ "$fds" -gt "$peak" ] && peak=$fds
	asked=$((asked + 1))
	if [ "$most" -eq "$RUNS" ]; then
		[ "$n" -lt "$RUNS" ] && short=$((short + 1))
		{ [ -z "$fewest" ] || [ "$n" -lt "$fewest" ]; } && fewest=$n
		after=$((after + 1))
	fi
	[ "$n" -gt "$most" ] && most=$n
	sleep 0.05
done
echo "runs $RUNS, ulimit -n $FDS, $asked answers of /data/runs"
echo "answers listing fewer than $RUNS runs once all were in: $short (fewest listed: $fewest)"
echo "peak open descriptors $peak, budget $((FDS / 4 > 512 ? 512 : FDS / 4))"
echo "\"removed\" lines: $(grep -c 'removed' "$TMP/err" || true)"
echo "\"Too many open files\" lines: $(grep -c 'Too many open files' "$TMP/err" || true)"
