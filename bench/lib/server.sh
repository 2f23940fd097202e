# Sourced by the bench scripts: a temporary folder $TMP, removed on exit
# together with the server whose pid is in $PID (if one was started), a
# median, and a wait for a server's port.
TMP=$(mktemp -d)
PID=""
bench_cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap bench_cleanup EXIT INT TERM

# median: the median of the numbers on stdin, one a line
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# bench_port FILE: wait (up to 2 minutes) until the server writing FILE
# prints its URL, then print its port
bench_port() {
	i=0
	while ! grep -q 'http://' "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt 1200 ] && { echo "tboard did not start" >&2; exit 1; }
		sleep 0.1
	done
	sed -n 's|.*http://[^:]*:\([0-9]*\)/.*|\1|p' "$1"
}
