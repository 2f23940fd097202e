/* live_bench: how long a point written to disk takes to be served.
 *
 *     live_bench TBOARD_BINARY [points=40]
 *
 * Starts tboard on a fresh log directory (default --reload_interval 5),
 * then writes one scalar at a time with libtboard, flushing each, every
 * 100 ms, and polls the scalars route every 2 ms until that step is served.
 * Prints the median and the worst latency from flush to answer. The loader
 * wakes on inotify, so this is far below the reload interval. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tboard/writer.h>

#include "../tests/api/testutil.h"
#include "lib/bench.h"

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: live_bench TBOARD_BINARY [points=40]\n");
		return 2;
	}
	int points = argc > 2 ? atoi(argv[2]) : 40;
	if (points < 1 || points > 10000)
		points = 40;
	char dir[] = "/tmp/tb_live_benchXXXXXX";
	tb_writer *w = bench_train_run(dir);
	if (!w)
		return 1;
	tb_writer_flush(w);
	int port, out_fd;
	pid_t pid = bench_start_tboard(argv[1], dir, &port, &out_fd);
	if (pid < 0 || !port) {
		fprintf(stderr, "live_bench: tboard did not start\n");
		return 1;
	}
	const char *query = "/data/plugin/scalars/scalars?run=train&tag=loss";
	for (int tries = 0; tries < 5000; tries++) { /* the first point */
		char *body = bench_http_get(port, query);
		long long got = body ? bench_last_step(body) : -1;
		free(body);
		if (got == 0)
			break;
		usleep(2000);
	}
	double *lat = calloc((size_t)points, sizeof *lat);
	double worst = 0;
	int ok = 0;
	for (int i = 1; i <= points; i++) {
		usleep(100000);
		tb_writer_add_scalar(w, "loss", 1.0 / (i + 1), i, 0);
		tb_writer_flush(w);
		double t0 = bench_now();
		while (bench_now() - t0 < 30) {
			char *body = bench_http_get(port, query);
			long long got = body ? bench_last_step(body) : -1;
			free(body);
			if (got == i)
				break;
			usleep(2000);
		}
		lat[ok] = bench_now() - t0;
		if (lat[ok] > worst)
			worst = lat[ok];
		ok++;
	}
	printf("live_bench: %d points, flush to served: median %.0f ms, worst %.0f ms (reload "
	       "interval 5 s)\n",
	       ok, bench_median(lat, ok) * 1000, worst * 1000);
	bench_stop(pid, out_fd);
	tb_writer_close(w);
	free(lat);
	return tb_test_rmtree(dir) == 0 ? 0 : 1;
}
