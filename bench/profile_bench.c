/* profile_bench: how fast tboard reads a large PyTorch profiler trace, with
 * the cost of merely reading the same bytes measured in the same run.
 *
 *     profile_bench SOURCE_TRACE OUTDIR [target_mb=200] [repeats=3] [tboard]
 *
 * 1. builds OUTDIR/big/worker0.pt.trace.json of at least target_mb by
 *    repeating the event array of SOURCE_TRACE (a Kineto trace, .gz or
 *    not), each copy shifted in time past the previous one, so the steps
 *    follow each other as in a longer profiling session (never stored in
 *    the repository; delete OUTDIR afterwards);
 * 2. read floor: read the file's bytes once, doing nothing with them;
 * 3. in-process parse: tb_prof_trace_read on the file, with the ratio to
 *    the read floor;
 * 4. end to end (when a tboard binary is given): start `tboard --logdir
 *    OUTDIR --port 0`, ask for the run's views until they arrive (the first
 *    request parses the trace) and report the time from exec to that answer
 *    and the server's peak RSS (VmHWM);
 * 5. the operator tree (when a tboard binary is given): on a server that has
 *    loaded the run, the time of one /tree answer and the server's peak RSS
 *    before and after it (a trace without [memory] or module events keeps
 *    no tree after the load: the route reads it again).
 * Medians of `repeats` runs are printed; the page cache is warm after the
 * first pass. repeats=0 only builds the file (for bench/profile_trace_bench.mjs). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "lib/bench.h"
#include "profile/trace.h"

static char *slurp_gz(const char *path, size_t *len)
{
	gzFile f = gzopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	int got;
	while (buf && (got = gzread(f, buf + n, (unsigned)(cap - n))) > 0) {
		n += (size_t)got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	gzclose(f);
	*len = n;
	return buf;
}

/* Copy events (the text between '[' and its ']') to f with every "ts"
 * number moved by shift microseconds. */
static void write_shifted(FILE *f, const char *s, size_t n, double shift)
{
	size_t i = 0;
	while (i < n) {
		const char *hit = memmem(s + i, n - i, "\"ts\":", 5);
		if (!hit) {
			fwrite(s + i, 1, n - i, f);
			return;
		}
		size_t k = (size_t)(hit - s) + 5;
		fwrite(s + i, 1, k - i, f);
		while (k < n && s[k] == ' ')
			fputc(s[k++], f);
		char *end;
		double v = strtod(s + k, &end);
		size_t len = (size_t)(end - (s + k));
		if (!len) {
			i = k;
			continue;
		}
		if (memchr(s + k, '.', len))
			fprintf(f, "%.3f", v + shift);
		else
			fprintf(f, "%.0f", v + shift);
		i = k + len;
	}
}

/* The span of the "traceEvents" array's contents and the trace's time
 * extent (first and last "ts"), or -1. */
static int find_events(size_t *lo, size_t *hi, double *extent, const char *s, size_t n)
{
	const char *k = memmem(s, n, "\"traceEvents\"", 13);
	const char *open = k ? memchr(k, '[', n - (size_t)(k - s)) : NULL;
	if (!open)
		return -1;
	/* the array's closing bracket: the last ']' before the object ends */
	size_t end = n;
	while (end > 0 && s[end - 1] != ']')
		end--;
	if (end == 0 || s + end - 1 <= open)
		return -1;
	*lo = (size_t)(open - s) + 1;
	*hi = end - 1;
	double first = 1e300, last = -1e300;
	for (const char *p = s + *lo; (p = memmem(p, (size_t)(s + *hi - p), "\"ts\":", 5));) {
		p += 5;
		double v = strtod(p, NULL);
		if (v < first)
			first = v;
		if (v > last)
			last = v;
	}
	*extent = last > first ? last - first + 1000 : 1000;
	return 0;
}

static int build(const char *src, const char *out, size_t target)
{
	size_t n;
	char *s = slurp_gz(src, &n);
	size_t lo, hi;
	double extent;
	if (!s || find_events(&lo, &hi, &extent, s, n) != 0) {
		fprintf(stderr, "%s: not a Kineto trace object\n", src);
		free(s);
		return -1;
	}
	FILE *f = fopen(out, "w");
	if (!f) {
		fprintf(stderr, "%s: %s\n", out, strerror(errno));
		free(s);
		return -1;
	}
	fwrite(s, 1, lo, f);
	size_t copies = target / (hi - lo) + 1;
	for (size_t c = 0; c < copies; c++) {
		if (c)
			fputs(",\n", f);
		write_shifted(f, s + lo, hi - lo, (double)c * extent);
	}
	fwrite(s + hi, 1, n - hi, f);
	fclose(f);
	free(s);
	printf("built %s: %zu copies of %zu bytes of events\n", out, copies, hi - lo);
	return 0;
}

static double read_floor(const char *path, size_t *bytes)
{
	double t0 = bench_now();
	*bytes = (size_t)bench_read_all(path);
	return bench_now() - t0;
}

static int has_views(const char *body, void *payload)
{
	(void)payload;
	return strstr(body, "Overview") != NULL;
}

static double first_view(const char *tboard, const char *logdir, long *rss_kb)
{
	return bench_time_to_answer(rss_kb, tboard, logdir,
				    "/data/plugin/pytorch_profiler/views?run=big", has_views, NULL, 600);
}

/* One /tree answer of a loaded run: its time and size, and the server's
 * peak RSS before (*before_kb) and after (*after_kb) it; -1 on failure. */
static double tree_answer(long *before_kb, long *after_kb, size_t *bytes, const char *tboard,
			  const char *logdir)
{
	*before_kb = *after_kb = 0;
	*bytes = 0;
	int port, out_fd;
	pid_t pid = bench_start_tboard(tboard, logdir, &port, &out_fd);
	if (pid < 0)
		return -1;
	double t = -1, t0 = bench_now();
	char *body = NULL;
	while (port && !body && bench_now() - t0 < 600) {
		body = bench_http_get(port, "/data/plugin/pytorch_profiler/views?run=big");
		if (body && !has_views(body, NULL)) {
			free(body);
			body = NULL;
			usleep(2000);
		}
	}
	if (body) {
		free(body);
		*before_kb = bench_vm_hwm_kb(pid);
		t0 = bench_now();
		body = bench_http_get(
		    port, "/data/plugin/pytorch_profiler/tree?run=big&worker=worker0&span=default");
		if (body && strncmp(body, "{\"name\"", 7) == 0) {
			t = bench_now() - t0;
			*bytes = strlen(body);
		}
		free(body);
		*after_kb = bench_vm_hwm_kb(pid);
	}
	bench_stop(pid, out_fd);
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s SOURCE_TRACE OUTDIR [target_mb=200] [repeats=3] [tboard]\n",
			argv[0]);
		return 2;
	}
	size_t target = (size_t)(argc > 3 ? atof(argv[3]) : 200) * 1000 * 1000;
	int repeats = argc > 4 ? atoi(argv[4]) : 3;
	const char *tboard = argc > 5 ? argv[5] : NULL;
	if (repeats < 0 || repeats > 50)
		repeats = 3;
	char dir[4096], path[4200];
	snprintf(dir, sizeof dir, "%s/big", argv[2]);
	mkdir(argv[2], 0755);
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/worker0.pt.trace.json", dir);
	if (build(argv[1], path, target) != 0)
		return 1;
	if (repeats == 0)
		return 0;

	double floor_s[50], parse_s[50], view_s[50];
	size_t bytes = 0;
	uint64_t events = 0, kernels = 0;
	for (int r = 0; r < repeats; r++) {
		floor_s[r] = read_floor(path, &bytes);
		double t0 = bench_now();
		tb_prof_trace *t;
		tb_prof_trace_read(&t, path);
		parse_s[r] = bench_now() - t0;
		events = t->events;
		kernels = t->n_kernels;
		if (t->status != TB_PROF_OK)
			fprintf(stderr, "parse failed: %s\n", t->error ? t->error : "?");
		tb_prof_trace_free(t);
	}
	double fl = bench_median(floor_s, repeats), ps = bench_median(parse_s, repeats);
	printf("trace: %.1f MB, %llu events, %llu kernel names\n", (double)bytes / 1e6,
	       (unsigned long long)events, (unsigned long long)kernels);
	printf("read floor        %8.3f s  %8.1f MB/s\n", fl, (double)bytes / 1e6 / fl);
	printf("parse (in-process)%8.3f s  %8.1f MB/s  %.1fx the read floor\n", ps,
	       (double)bytes / 1e6 / ps, ps / fl);
	if (tboard) {
		long rss[50];
		for (int r = 0; r < repeats; r++)
			view_s[r] = first_view(tboard, argv[2], &rss[r]);
		long max_rss = 0;
		for (int r = 0; r < repeats; r++)
			if (rss[r] > max_rss)
				max_rss = rss[r];
		printf("first view (exec to /views answer) %8.3f s, peak RSS %.1f MB\n",
		       bench_median(view_s, repeats), (double)max_rss / 1024);
		double tree_s[50];
		long before = 0, after = 0;
		size_t tree_bytes = 0;
		for (int r = 0; r < repeats; r++)
			tree_s[r] = tree_answer(&before, &after, &tree_bytes, tboard, argv[2]);
		printf("tree (one /tree answer after the load) %8.3f s, %.1f MB; peak RSS %.1f MB "
		       "before it, %.1f MB after\n",
		       bench_median(tree_s, repeats), (double)tree_bytes / 1e6,
		       (double)before / 1024, (double)after / 1024);
	}
	return 0;
}
