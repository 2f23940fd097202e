/* gen_scalars: write a large, fixed-seed scalar log directory for loader
 * benchmarks.
 *
 *     gen_scalars OUTDIR [runs=10] [tags=20] [steps=50000] [buckets=0] [groups=4]
 *
 * Writes runs x tags x steps legacy simple_value scalar events with
 * libtboard, one event per tag per step as PyTorch's add_scalar does, into
 * OUTDIR/run_NN. Tags look like g0/scalar_00 (4 groups, or groups); values are noisy
 * random walks and wall times advance 0.25 s per step, all from a fixed
 * seed, so two runs of the same arguments produce identical events (only
 * the file names and first-record times differ). The defaults give about
 * 517 MB. With buckets > 0 every event is a histogram of that many buckets
 * instead (add_histogram_raw: a [buckets, 3] tensor around the same random
 * walk). Prints events, bytes and time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <tboard/writer.h>

#include "lib/bench.h"

#define START_TIME 1700000000.0
#define MAX_QUEUE (1 << 16) /* events per write(): about 3 MB, stays in cache */

static uint64_t rng_state = 42;

static uint64_t next_u64(void)
{
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
static double noise(void)
{
	return (double)(next_u64() >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	long runs, ntags, steps;
	long long events = 0, bytes = 0;
	char dir[4096], (*tags)[48];
	double *level, t0;

	long buckets, groups;
	double edges[1025], counts[1024];
	if (argc < 2 || argc > 7) {
		fprintf(
		    stderr,
		    "usage: %s OUTDIR [runs=10] [tags=20] [steps=50000] [buckets=0] [groups=4]\n",
		    argv[0]);
		return 2;
	}
	runs = bench_arg(argc, argv, 2, 10, 1);
	ntags = bench_arg(argc, argv, 3, 20, 1);
	steps = bench_arg(argc, argv, 4, 50000, 1);
	buckets = bench_arg(argc, argv, 5, 0, 0);
	groups = bench_arg(argc, argv, 6, 4, 1);
	if (buckets > 1024)
		buckets = 1024;
	tags = malloc((size_t)ntags * sizeof *tags);
	level = malloc((size_t)ntags * sizeof *level);
	if (!tags || !level) {
		fprintf(stderr, "gen_scalars: out of memory\n");
		return 1;
	}
	for (long t = 0; t < ntags; t++)
		snprintf(tags[t], sizeof tags[t], "g%ld/scalar_%02ld", t % groups, t);

	t0 = seconds();
	for (long r = 0; r < runs; r++) {
		tb_writer_opts o;
		tb_writer *w;
		char path[8192];
		struct stat st;
		int rc;

		tb_writer_opts_init(&o);
		o.scalar_encoding = TB_SCALAR_SIMPLE_VALUE;
		o.max_queue =
		    (long long)ntags * steps < MAX_QUEUE ? (int)(ntags * steps) : MAX_QUEUE;
		o.flush_secs = 1e9;
		snprintf(dir, sizeof dir, "%s/run_%02ld", argv[1], r);
		if (tb_writer_open(&w, dir, &o) != TB_OK) {
			fprintf(stderr, "gen_scalars: %s\n", tb_writer_errmsg(NULL));
			return 1;
		}
		snprintf(path, sizeof path, "%s", tb_writer_path(w));
		for (long t = 0; t < ntags; t++)
			level[t] = 1.0 + 0.1 * (double)t;
		for (long s = 0; s < steps; s++) {
			double wall = START_TIME + 0.25 * (double)s;
			for (long t = 0; t < ntags; t++) {
				level[t] += 0.01 * noise() - 0.00001 * level[t];
				if (buckets) {
					for (long k = 0; k <= buckets; k++)
						edges[k] = level[t] + 0.1 * (double)(k - buckets / 2);
					for (long k = 0; k < buckets; k++)
						counts[k] = (double)(next_u64() % 100);
					rc = tb_writer_add_histogram_raw(w, tags[t], edges, counts,
									 (size_t)buckets, s,
									 wall + 1e-4 * (double)t);
				} else {
					rc = tb_writer_add_scalar(w, tags[t],
								  level[t] + 0.05 * noise(), s,
								  wall + 1e-4 * (double)t);
				}
				if (rc != TB_OK) {
					fprintf(stderr, "gen_scalars: %s\n", tb_writer_errmsg(w));
					tb_writer_close(w);
					return 1;
				}
			}
		}
		if (tb_writer_close(w) != TB_OK) {
			fprintf(stderr, "gen_scalars: closing %s failed\n", path);
			return 1;
		}
		events += (long long)ntags * steps;
		if (stat(path, &st) == 0)
			bytes += st.st_size;
	}
	t0 = seconds() - t0;
	printf("gen_scalars: %ld runs x %ld tags x %ld steps = %lld events, %lld bytes "
	       "(%.1f MB) in %.2f s (%.0f events/s, %.0f MB/s)\n",
	       runs, ntags, steps, events, bytes, (double)bytes / 1e6, t0, (double)events / t0,
	       (double)bytes / 1e6 / t0);
	free(tags);
	free(level);
	return 0;
}
