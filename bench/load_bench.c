/* load_bench: how fast tboard loads a log directory, with the cost of
 * merely reading the same bytes measured in the same run for comparison.
 *
 *     load_bench LOGDIR [repeats=5] [tboard binary]
 *
 * 1. read floor: read() every event file once, doing nothing with the bytes;
 * 2. in-process load: a full loader cycle into a fresh store (all cores),
 *    reporting events/s, MB/s and the ratio to the read floor;
 * 3. end to end (when a tboard binary is given): start `tboard --logdir
 *    LOGDIR --port 0`, poll the scalars route of the last run's last tag
 *    until it returns that tag's last step, and report the time from exec
 *    to that answer and the server's peak RSS (VmHWM).
 * Medians of `repeats` runs are printed; the page cache is warm after the
 * first pass, which is the case a user restarting tboard sees. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "lib/bench.h"
#include "ingest/loader.h"
#include "ingest/scan.h"
#include "proto/event.h"
#include "record/rec_reader.h"

static double read_floor(const tb_scan_result *res, uint64_t *bytes)
{
	double t0 = bench_now();
	*bytes = 0;
	for (size_t i = 0; i < res->n_runs; i++)
		for (size_t k = 0; k < res->runs[i].n_files; k++) {
			char path[4096];
			snprintf(path, sizeof path, "%s/%s", res->runs[i].dir,
				 res->runs[i].files[k]);
			*bytes += bench_read_all(path);
		}
	return bench_now() - t0;
}

/* The last run (by name), its last file's last summary tag and step. */
static int last_point(const tb_scan_result *res, char *run, size_t run_n, char *tag, size_t tag_n,
		      long long *step)
{
	const tb_scan_run *r = &res->runs[res->n_runs - 1];
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", r->dir, r->files[r->n_files - 1]);
	tb_rec_reader *rd;
	if (tb_rec_reader_open(&rd, path))
		return -1;
	tb_slice rec;
	int rc, found = 0;
	while ((rc = tb_rec_reader_next(&rec, rd)) != TB_EPARTIAL && rc != TB_EIO) {
		tb_event ev;
		if (rc || tb_event_decode(&ev, rec) || ev.what != TB_EV_SUMMARY)
			continue;
		tb_pb it = tb_pb_make(ev.data);
		tb_value v;
		while (tb_summary_next(&v, &it) == 1) {
			snprintf(tag, tag_n, "%.*s", (int)v.tag.len, (const char *)v.tag.ptr);
			*step = ev.step;
			found = 1;
		}
	}
	tb_rec_reader_free(rd);
	snprintf(run, run_n, "%s", r->name);
	return found ? 0 : -1;
}

static int has_step(const char *body, void *payload)
{
	return bench_last_step(body) == *(const long long *)payload;
}

static double end_to_end(const char *tboard, const char *logdir, const char *query, long long want,
			 long *rss_kb)
{
	return bench_time_to_answer(rss_kb, tboard, logdir, query, has_step, &want, 120);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: load_bench LOGDIR [repeats=5] [tboard binary]\n");
		return 2;
	}
	const char *logdir = argv[1];
	int repeats = argc > 2 ? atoi(argv[2]) : 5;
	if (repeats < 1)
		repeats = 1;
	const char *tboard = argc > 3 ? argv[3] : NULL;
	tb_scan_result res;
	tb_scan(&res, logdir);
	if (!res.n_runs) {
		fprintf(stderr, "load_bench: no event files under %s\n", logdir);
		return 1;
	}
	double *floor_t = calloc((size_t)repeats, sizeof(double));
	double *load_t = calloc((size_t)repeats, sizeof(double));
	double *e2e_t = calloc((size_t)repeats, sizeof(double));
	long *rss = calloc((size_t)repeats, sizeof(long));
	uint64_t bytes = 0, records = 0;
	read_floor(&res, &bytes); /* warm the page cache */
	for (int i = 0; i < repeats; i++) {
		floor_t[i] = read_floor(&res, &bytes);
		tb_store *st = tb_store_new();
		tb_loader_source src = {NULL, logdir};
		tb_loader_opts o = {&src, 1, 0, 0, 0};
		tb_loader *l = tb_loader_new(st, &o);
		double t0 = bench_now();
		tb_loader_cycle(l);
		load_t[i] = bench_now() - t0;
		tb_loader_stats s;
		tb_loader_get_stats(l, &s);
		records = s.records;
		tb_loader_free(l);
		tb_store_free(st);
	}
	double f = bench_median(floor_t, repeats), L = bench_median(load_t, repeats);
	printf("logdir: %zu runs, %llu records, %.1f MB\n", res.n_runs, (unsigned long long)records,
	       (double)bytes / 1e6);
	printf("read floor (read() only): %.3f s median of %d\n", f, repeats);
	printf("full load, %ld threads:    %.3f s median of %d = %.2f M events/s, %.0f MB/s, %.2fx "
	       "the read floor\n",
	       sysconf(_SC_NPROCESSORS_ONLN), L, repeats, (double)records / L / 1e6,
	       (double)bytes / L / 1e6, L / f);
	if (tboard) {
		char run[1024], tag[1024], erun[3072], etag[3072], query[8192];
		long long step = -1;
		if (last_point(&res, run, sizeof run, tag, sizeof tag, &step)) {
			fprintf(stderr, "load_bench: cannot find the last point\n");
			return 1;
		}
		bench_url_escape(erun, sizeof erun, run);
		bench_url_escape(etag, sizeof etag, tag);
		snprintf(query, sizeof query, "/data/plugin/scalars/scalars?run=%s&tag=%s", erun,
			 etag);
		for (int i = 0; i < repeats; i++)
			e2e_t[i] = end_to_end(tboard, logdir, query, step, &rss[i]);
		double rs[64];
		for (int i = 0; i < repeats && i < 64; i++)
			rs[i] = (double)rss[i];
		printf("tboard start to last step of run %s tag %s (step %lld) served: %.3f s "
		       "median of %d, server peak RSS %.0f MB\n",
		       run, tag, step, bench_median(e2e_t, repeats), repeats,
		       bench_median(rs, repeats < 64 ? repeats : 64) / 1024);
	}
	tb_scan_result_release(&res);
	free(floor_t);
	free(load_t);
	free(e2e_t);
	free(rss);
	return 0;
}
