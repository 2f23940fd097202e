#!/bin/sh
# wrk_bench.sh: requests per second of the scalar answers as a share of the
# tiny /data/runs route's, one connection, one thread, measured in rounds.
#
#     bench/wrk_bench.sh [BUILD_DIR=build] [SECONDS=2] [ROUNDS=5] [BASE_BUILD_DIR]
#
# Writes two fixed-seed log directories with gen_scalars (1 run x 1 tag x
# 1000 steps; 1000 runs x 50 tags x 200 steps), starts tboard on each
# (--reload_interval 0, so nothing changes while measuring); "no cache" is
# a second server with --answer_cache_mb 0, where every answer is encoded
# again. Then ROUNDS rounds: in each, every route is measured by a wrk run
# of SECONDS right beside a wrk run of /data/runs on the same server
# binary (the order of the two alternates from round to round), and the
# route's share is the ratio of the two. A share therefore divides two
# numbers taken a few seconds apart, never minutes apart. Printed per
# route: the median req/s and p50 latency over the rounds, the median CPU
# time the server spent per request (from /proc/PID/task/*/schedstat, so
# it holds on a busy machine where req/s does not), and the median share
# with its spread (min-max over the rounds).
#
# With BASE_BUILD_DIR (another build, e.g. of an older commit) its servers
# start too, and each round measures its pair next to this build's (the
# two builds' order alternates too), each share against its own binary's
# /data/runs; a baseline from before the answer cache starts without
# --answer_cache_mb. WIDE_DIR=DIR reuses an existing 1000 x 50 x 200
# directory.
#
# PIN chooses where the processes run: "none" (the default) leaves them to
# the scheduler, as a browser and a server on one machine are; "split"
# pins every server to CPU SERVER_CPU (0) and wrk to CLIENT_CPU (1);
# "same" pins both to SERVER_CPU. docs/PERFORMANCE.md ("Shares measured
# in rounds") tells why none is the default.
# ONLY=REGEX measures only the routes whose label matches (grep -E).
# Installs wrk with apt-get when missing.
set -eu
B=${1:-build}
SECS=${2:-2}
ROUNDS=${3:-5}
BASE_B=${4:-}
PIN=${PIN:-none}
command -v wrk >/dev/null 2>&1 || apt-get install -y wrk >/dev/null
. "$(dirname "$0")/lib/server.sh"
case $PIN in
split)
	ON_SERVER="taskset -c ${SERVER_CPU:-0}"
	ON_CLIENT="taskset -c ${CLIENT_CPU:-1}"
	;;
same)
	ON_SERVER="taskset -c ${SERVER_CPU:-0}"
	ON_CLIENT=$ON_SERVER
	;;
none)
	ON_SERVER=""
	ON_CLIENT=""
	;;
*)
	echo "PIN must be split, same or none" >&2
	exit 2
	;;
esac
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
	$ON_SERVER "$B/tboard" --logdir "$dir" --port 0 --reload_interval 0 \
		--reload_task blocking "$@" >"$TMP/$name.out" 2>/dev/null &
	PIDS="$PIDS $!"
	port=$(bench_port "$TMP/$name.out")
	eval "PORT_$name=$port"
	echo "$port $!" >>"$TMP/pids"
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

ONE="http://127.0.0.1:$PORT_one"
NOC="http://127.0.0.1:$PORT_nocache"
WIDE="http://127.0.0.1:$PORT_wide"
WNC="http://127.0.0.1:$PORT_widenc"
Q="tag=g0%2Fscalar_00&run=run_00"
etag_of() { # URL -> the ETag its answer carries
	curl -s -D - -o /dev/null "$1" </dev/null | tr -d '\r' | awk 'tolower($1) == "etag:" {print $2}'
}
etag=$(etag_of "$ONE/data/plugin/scalars/scalars?$Q")
tetag=$(etag_of "$ONE/data/tboard/scalars?$Q")
if [ -n "$BASE_B" ]; then
	BONE="http://127.0.0.1:$PORT_b_one"
	b_etag=$(etag_of "$BONE/data/plugin/scalars/scalars?$Q")
	b_tetag=$(etag_of "$BONE/data/tboard/scalars?$Q")
fi

# The routes, one a line: label, URL, header, and the baseline's URL and
# header (its twin server's port, its own ETags).
ROUTES=$TMP/routes
: >"$ROUTES"
route() {
	url=$2
	hdr=${3:-X-Bench: 1}
	burl=$url
	bhdr=$hdr
	if [ -n "$BASE_B" ]; then
		for pair in "$PORT_one:$PORT_b_one" "$PORT_nocache:$PORT_b_nocache" \
			"$PORT_wide:$PORT_b_wide" "$PORT_widenc:$PORT_b_widenc"; do
			burl=$(echo "$burl" | sed "s|:${pair%%:*}/|:${pair##*:}/|")
		done
		bhdr=$(echo "$hdr" | sed "s|$etag|$b_etag|; s|$tetag|$b_tetag|")
	fi
	echo "$1" | grep -Eq -- "${ONLY:-.}" || return 0
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$url" "$hdr" "$burl" "$bhdr" >>"$ROUTES"
}
route "scalars, 1000 points, encoded every time (no cache)" "$NOC/data/plugin/scalars/scalars?$Q"
route "scalars, 1000 points, cache hit" "$ONE/data/plugin/scalars/scalars?$Q"
route "scalars, 1000 points, cache hit, gzip" "$ONE/data/plugin/scalars/scalars?$Q" "Accept-Encoding: gzip"
route "scalars, 1000 points, 304 on If-None-Match" "$ONE/data/plugin/scalars/scalars?$Q" "If-None-Match: $etag"
route "tboard/scalars, 1000 points, no cache" "$NOC/data/tboard/scalars?$Q"
route "tboard/scalars, 1000 points, 304" "$ONE/data/tboard/scalars?$Q" "If-None-Match: $tetag"
route "tboard/scalars, 1000 runs x 200 points, no cache, gzip" "$WNC/data/tboard/scalars?tag=g0%2Fscalar_00" "Accept-Encoding: gzip"
route "tboard/scalars, 1000 runs x 200 points, cache hit, gzip" "$WIDE/data/tboard/scalars?tag=g0%2Fscalar_00" "Accept-Encoding: gzip"
route "tboard/scalars, 1000 runs x 200 points, buckets=50, no cache, gzip" "$WNC/data/tboard/scalars?tag=g0%2Fscalar_00&buckets=50" "Accept-Encoding: gzip"

# cpu_ns PID: the CPU time the process has used so far, in ns, from the
# scheduler's per-thread counters
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{t += $1} END {printf "%.0f", t}'
}

# run1 LABEL ROUND URL HEADER: one wrk run; appends "label<TAB>round<TAB>
# req/s<TAB>p50 in us<TAB>server CPU per request in us" to the results
RES=$TMP/results
: >"$RES"
run1() {
	port=$(echo "$3" | sed 's|^http://[^:]*:\([0-9]*\)/.*|\1|')
	pid=$(awk -v p="$port" '$1 == p {print $2}' "$TMP/pids")
	c0=$(cpu_ns "$pid")
	out=$($ON_CLIENT wrk -t1 -c1 -d"${SECS}s" --latency -H "$4" "$3" </dev/null)
	c1=$(cpu_ns "$pid")
	rate=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
	p50=$(echo "$out" | awk '$1 == "50%" {v = $2
		u = v ~ /ms$/ ? 1000 : v ~ /[0-9]s$/ ? 1000000 : 1
		sub(/[a-z]+$/, "", v); print v * u}')
	cpu=$(echo "$out" | awk -v d=$((c1 - c0)) '/ requests in / {print ($1 > 0 ? d / 1000 / $1 : 0)}')
	printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$rate" "$p50" "$cpu" >>"$RES"
}

# pair PREFIX ROUND LABEL URL HEADER RUNS_URL: the route and /data/runs
# back to back, /data/runs first in even rounds
pair() {
	if [ $(($2 % 2)) -eq 0 ]; then
		run1 "$1/data/runs@$3" "$2" "$6" "X-Bench: 1"
		run1 "$1$3" "$2" "$4" "$5"
	else
		run1 "$1$3" "$2" "$4" "$5"
		run1 "$1/data/runs@$3" "$2" "$6" "X-Bench: 1"
	fi
}

r=0
while [ $r -lt "$ROUNDS" ]; do
	while IFS='	' read -r label url hdr burl bhdr; do
		if [ -z "$BASE_B" ]; then
			pair "" $r "$label" "$url" "$hdr" "$ONE/data/runs"
		elif [ $(($r % 2)) -eq 0 ]; then
			pair "" $r "$label" "$url" "$hdr" "$ONE/data/runs"
			pair "base: " $r "$label" "$burl" "$bhdr" "$BONE/data/runs"
		else
			pair "base: " $r "$label" "$burl" "$bhdr" "$BONE/data/runs"
			pair "" $r "$label" "$url" "$hdr" "$ONE/data/runs"
		fi
	done <"$ROUTES"
	r=$((r + 1))
done

# summary PREFIX: one table row for /data/runs (every run of it) and one
# per route: median req/s, median p50, body size, median share (min-max)
summary() {
	awk -F'\t' -v pre="$1" -v rounds="$ROUNDS" '
	function sorted(s, a,   n, i, j, t) { # the numbers of s in a, ascending; their count
		n = split(s, a, " ")
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
				t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
			}
		return n
	}
	function med(s,   a, n) { n = sorted(s, a); return a[int((n + 1) / 2)] }
	function us(v) { return v >= 1000 ? sprintf("%.2f ms", v / 1000) : v >= 100 ? sprintf("%.0f us", v) : sprintf("%.1f us", v) }
	function num(v) { return v >= 100 ? sprintf("%.0f", v) : sprintf("%.2f", v) }
	function pct(v) { return v >= 10 ? sprintf("%.0f%%", v) : sprintf("%.2g%%", v) }
	{
		if (substr($1, 1, length(pre)) != pre) next
		name = substr($1, length(pre) + 1)
		if (pre == "" && name ~ /^base: /) next
		if (name ~ /^\/data\/runs@/) {
			route = substr(name, 12)
			runs[route, $2] = $3
			allruns = allruns " " $3; alllat = alllat " " $4; allcpu = allcpu " " $5
			next
		}
		if (!(name in rate)) order[++n] = name
		rate[name] = rate[name] " " $3; lat[name] = lat[name] " " $4; cpu[name] = cpu[name] " " $5
		got[name, $2] = $3
	}
	END {
		printf "| %s/data/runs | %s | %s | | %s | 100%% |\n", pre, num(med(allruns)),
		    us(med(alllat)), us(med(allcpu))
		for (i = 1; i <= n; i++) {
			name = order[i]; shares = ""
			for (r = 0; r < rounds; r++)
				if (runs[name, r] > 0)
					shares = shares " " 100 * got[name, r] / runs[name, r]
			k = sorted(shares, sh)
			printf "| %s%s | %s | %s | %s | %s | %s (%s-%s) |\n", pre, name,
			    num(med(rate[name])), us(med(lat[name])), "", us(med(cpu[name])),
			    pct(sh[int((k + 1) / 2)]), pct(sh[1]), pct(sh[k])
		}
	}' "$RES"
}

echo "| route (1 connection) | req/s (median) | p50 (median) | body | server CPU per request (median) | share of /data/runs: median (min-max) over $ROUNDS rounds |"
echo "| --- | --- | --- | --- | --- | --- |"
summary "" | while IFS= read -r line; do
	# the body size, asked once per route
	label=$(echo "$line" | awk -F'|' '{sub(/^ /, "", $2); sub(/ $/, "", $2); print $2}')
	url=$(awk -F'\t' -v l="$label" '$1 == l {print $2}' "$ROUTES")
	hdr=$(awk -F'\t' -v l="$label" '$1 == l {print $3}' "$ROUTES")
	[ "$label" != /data/runs ] || { url=$ONE/data/runs; hdr="X-Bench: 1"; }
	if [ -n "$url" ]; then
		size="$(curl -s -H "$hdr" "$url" </dev/null | wc -c) B"
		line=$(echo "$line" | awk -F'|' -v s=" $size " 'BEGIN {OFS = "|"} {$5 = s; print}')
	fi
	echo "$line"
done
[ -z "$BASE_B" ] || summary "base: "
echo
echo "$ROUNDS rounds of ${SECS}-second wrk runs, PIN=$PIN; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
