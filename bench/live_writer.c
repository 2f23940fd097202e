/* live_writer: a run that keeps writing, for the live browser benchmark.
 *
 *     live_writer RUNDIR [first_step=0] [tags=1] [interval_ms=100] [seconds=60]
 *
 * Writes one point of each of the first `tags` tags of gen_scalars' naming
 * (g0/scalar_00, g1/scalar_01, ...) every interval_ms with libtboard,
 * flushing each, starting at first_step, until `seconds` have passed or it
 * is stopped. Pointed at a run directory gen_scalars wrote, the run goes on
 * where it ended. Prints the last step written. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <tboard/writer.h>

#include "lib/bench.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 6) {
		fprintf(stderr, "usage: live_writer RUNDIR [first_step=0] [tags=1] [interval_ms=100] "
				"[seconds=60]\n");
		return 2;
	}
	long step = bench_arg(argc, argv, 2, 0, 0);
	long ntags = bench_arg(argc, argv, 3, 1, 0);
	long interval = bench_arg(argc, argv, 4, 100, 0);
	long seconds = bench_arg(argc, argv, 5, 60, 0);
	if (ntags < 1 || ntags > 1000)
		ntags = 1;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	tb_writer *w;
	if (tb_writer_open(&w, argv[1], NULL) != TB_OK) {
		fprintf(stderr, "live_writer: %s\n", tb_writer_errmsg(NULL));
		return 1;
	}
	int rc = 0;
	long ticks = interval > 0 ? seconds * 1000 / interval : 0;
	struct timespec pause = { interval / 1000, (interval % 1000) * 1000000L };
	for (long k = 0; k < ticks && !stop; k++, step++) {
		for (long t = 0; t < ntags; t++) {
			char tag[32];
			snprintf(tag, sizeof tag, "g%ld/scalar_%02ld", t % 4, t);
			if (tb_writer_add_scalar(w, tag, 1.0 / (double)(step + 2) + 0.1 * (double)t, step,
						 0) != TB_OK) {
				fprintf(stderr, "live_writer: %s\n", tb_writer_errmsg(w));
				rc = 1;
				goto out;
			}
		}
		if (tb_writer_flush(w) != TB_OK) {
			rc = 1;
			goto out;
		}
		nanosleep(&pause, NULL);
	}
	printf("live_writer: last step %ld\n", step - 1);
out:
	tb_writer_close(w);
	return rc;
}
