/* soak_bench: tboard under steady load while a run grows.
 *
 *     soak_bench TBOARD_BINARY [seconds=600] [clients=4]
 *
 * Starts tboard (--samples_per_plugin scalars=all) on a fresh log directory
 * where a libtboard writer appends two scalar tags at 100 steps a second,
 * flushing every 100 ms. `clients` threads send requests back to back,
 * each in turn: the scalars route, a timeSeries POST for both tags, and
 * /data/runs; one more thread asks /data/runs every 100 ms (the small
 * request a browser makes while big ones are in flight). Every 10 s it
 * prints the server's RSS and open descriptors; at the end, latency
 * percentiles per route, failures, and the points lost: steps written
 * minus steps served once the writer has stopped. */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <tboard/writer.h>

#include "../tests/api/testutil.h"
#include "lib/bench.h"

enum { R_SCALARS, R_TIMESERIES, R_RUNS, R_RUNS_PROBE, R_COUNT };
static const char *const route_name[R_COUNT] = {"scalars", "timeSeries", "runs (in the mix)",
						"runs (probe, 10/s)"};

typedef struct samples {
	pthread_mutex_t mu;
	double *v; /* mu: seconds */
	size_t n, cap;
	long failed; /* mu: answers other than 200, or none */
} samples;

static samples lat[R_COUNT];
static atomic_int stop;
static int port;
static atomic_llong written; /* last step flushed */

static void record(int route, double secs, int ok)
{
	samples *s = &lat[route];
	pthread_mutex_lock(&s->mu);
	if (!ok) {
		s->failed++;
	} else {
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 4096;
			s->v = realloc(s->v, s->cap * sizeof *s->v);
		}
		s->v[s->n++] = secs;
	}
	pthread_mutex_unlock(&s->mu);
}

static void timed(int route)
{
	static const char form[] =
	    "requests=%5B%7B%22plugin%22%3A%22scalars%22%2C%22tag%22%3A%22loss%22%7D%2C"
	    "%7B%22plugin%22%3A%22scalars%22%2C%22tag%22%3A%22acc%22%7D%5D";
	const char *path = route == R_SCALARS ? "/data/plugin/scalars/scalars?run=train&tag=loss"
			   : route == R_TIMESERIES ? "/data/plugin/timeseries/timeSeries"
						   : "/data/runs";
	int status;
	double t0 = bench_now();
	char *body = bench_http_request(port, path, route == R_TIMESERIES ? form : NULL, &status);
	record(route, bench_now() - t0, status == 200 && body);
	free(body);
}

static void *client(void *arg)
{
	(void)arg;
	for (int i = 0; !atomic_load(&stop); i++)
		timed(i % 3);
	return NULL;
}

static void *probe(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		timed(R_RUNS_PROBE);
		usleep(100000);
	}
	return NULL;
}

static void *writer(void *arg)
{
	tb_writer *w = arg;
	long long step = 1;
	double next = bench_now();
	while (!atomic_load(&stop)) {
		for (int k = 0; k < 10; k++, step++) {
			tb_writer_add_scalar(w, "loss", 1.0 / (double)(step + 1), step, 0);
			tb_writer_add_scalar(w, "acc", 1.0 - 1.0 / (double)(step + 1), step, 0);
		}
		tb_writer_flush(w);
		atomic_store(&written, step - 1);
		next += 0.1;
		double wait = next - bench_now();
		if (wait > 0)
			usleep((useconds_t)(wait * 1e6));
	}
	return NULL;
}

static int open_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	int n = 0;
	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n > 2 ? n - 2 : n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const samples *s, double p)
{
	if (!s->n)
		return 0;
	size_t i = (size_t)(p * (double)(s->n - 1) + 0.5);
	return s->v[i] * 1000;
}

/* Points of tag loss the server returns for run train. */
static long long served_points(void)
{
	char *body = bench_http_get(port, "/data/plugin/scalars/scalars?run=train&tag=loss");
	long long n = 0;
	for (const char *p = body; p && (p = strchr(p, '[')); p++)
		n++;
	free(body);
	return n > 0 ? n - 1 : 0; /* the outer array */
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: soak_bench TBOARD_BINARY [seconds=600] [clients=4]\n");
		return 2;
	}
	int seconds = argc > 2 ? atoi(argv[2]) : 600;
	int clients = argc > 3 ? atoi(argv[3]) : 4;
	if (seconds < 1)
		seconds = 600;
	if (clients < 1 || clients > 64)
		clients = 4;
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < R_COUNT; i++)
		pthread_mutex_init(&lat[i].mu, NULL);
	char dir[] = "/tmp/tb_soak_benchXXXXXX";
	tb_writer *w = bench_train_run(dir);
	if (!w)
		return 1;
	tb_writer_add_scalar(w, "acc", 0.0, 0, 0);
	tb_writer_flush(w);
	int out_fd;
	const char *extra[] = {"--samples_per_plugin", "scalars=all", NULL};
	pid_t pid = bench_start_tboard_args(argv[1], dir, extra, &port, &out_fd);
	if (pid < 0 || !port) {
		fprintf(stderr, "soak_bench: tboard did not start\n");
		return 1;
	}
	pthread_t wt, pt, *ct = calloc((size_t)clients, sizeof *ct);
	pthread_create(&wt, NULL, writer, w);
	pthread_create(&pt, NULL, probe, NULL);
	for (int i = 0; i < clients; i++)
		pthread_create(&ct[i], NULL, client, NULL);
	printf("soak_bench: %d s, %d clients, writer at 100 steps/s x 2 tags\n", seconds,
	       clients);
	printf("%6s %10s %6s %12s\n", "t (s)", "RSS (MiB)", "fds", "steps");
	double t0 = bench_now();
	for (int t = 0; t <= seconds; t += 10) {
		double wait = t0 + t - bench_now();
		if (wait > 0)
			usleep((useconds_t)(wait * 1e6));
		printf("%6d %10.1f %6d %12lld\n", t, (double)bench_status_kb(pid, "VmRSS") / 1024, open_fds(pid),
		       (long long)atomic_load(&written));
		fflush(stdout);
	}
	atomic_store(&stop, 1);
	pthread_join(wt, NULL);
	pthread_join(pt, NULL);
	for (int i = 0; i < clients; i++)
		pthread_join(ct[i], NULL);
	long long last = atomic_load(&written);
	tb_writer_close(w);

	/* give the loader up to 15 s to catch up, then count what is served */
	long long served = 0;
	for (double end = bench_now() + 15; bench_now() < end; usleep(200000))
		if ((served = served_points()) >= last + 1)
			break;
	printf("\n%-20s %8s %8s %8s %8s %8s %7s\n", "route", "answers", "p50 ms", "p90 ms",
	       "p99 ms", "max ms", "failed");
	for (int i = 0; i < R_COUNT; i++) {
		samples *s = &lat[i];
		qsort(s->v, s->n, sizeof *s->v, cmp_double);
		printf("%-20s %8zu %8.1f %8.1f %8.1f %8.1f %7ld\n", route_name[i], s->n,
		       pct(s, 0.5), pct(s, 0.9), pct(s, 0.99), pct(s, 1.0), s->failed);
		free(s->v);
	}
	printf("\npoints written %lld, served %lld, lost %lld; peak RSS %.1f MiB\n", last + 1,
	       served, last + 1 - served, (double)bench_vm_hwm_kb(pid) / 1024);
	bench_stop(pid, out_fd);
	if (tb_test_rmtree(dir) != 0)
		fprintf(stderr, "soak_bench: could not remove %s\n", dir);
	free(ct);
	return 0;
}
