/* `tboard export --logdir DIR [--runs QUERY] [--tags REGEX] --format F -o OUT`
 * (see export_cmd.h and README.md). Flags are parsed here, not in main, so
 * the server's flag table stays the server's. --runs is evaluated as
 * `tboard query` evaluates it, on a store loaded as the server loads it;
 * the export itself then streams the event files (export/export.c). A
 * progress line goes to stderr once an export has run for a second. */
#include "export_cmd.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "common/regex.h"
#include "dashboards/runtable.h"
#include "export/export.h"
#include "query/rql.h"

static const char usage[] =
    "usage: tboard export (--logdir DIR | --logdir_spec SPEC) --format csv|jsonl|parquet\n"
    "                     -o OUT [--runs QUERY] [--tags REGEX] [--table NAME]\n"
    "                     [--compression none|gzip] [--quiet]\n"
    "\n"
    "Writes every point of the selected runs and tags (not a sample) as tables:\n"
    "scalars (run, tag, step, wall_time, value), histograms (run, tag, step,\n"
    "wall_time, bucket_left, bucket_right, count), hparams (run, name, number,\n"
    "text) and summaries (run, tag, points, first_step, last_step, last_wall_time,\n"
    "min, max, mean, last).\n"
    "\n"
    "  -o OUT             a folder that receives scalars.<format>, histograms...,\n"
    "                     hparams..., summaries...; with --table, the one file\n"
    "                     (- for standard output)\n"
    "  --runs QUERY       the runs `tboard query QUERY` lists (default: every run)\n"
    "  --tags REGEX       tags matching REGEX anywhere (default: every tag)\n"
    "  --table NAME       only this table: scalars, histograms, hparams, summaries\n"
    "  --compression C    Parquet pages: none (default) or gzip\n"
    "  --quiet            no progress line\n";

typedef struct args {
	const char *logdir, *logdir_spec, *runs, *tags, *format, *out, *table, *compression;
	int quiet;
} args;

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "tboard export: %s%s%s\n%s", msg, arg ? " " : "", arg ? arg : "", usage);
	return 2;
}

static int parse(args *a, int argc, char **argv)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
	    {"logdir", offsetof(args, logdir)},
	    {"logdir_spec", offsetof(args, logdir_spec)},
	    {"runs", offsetof(args, runs)},
	    {"tags", offsetof(args, tags)},
	    {"format", offsetof(args, format)},
	    {"o", offsetof(args, out)},
	    {"out", offsetof(args, out)},
	    {"table", offsetof(args, table)},
	    {"compression", offsetof(args, compression)},
	};
	for (int i = 1; i < argc; i++) {
		const char *f = argv[i];
		if (f[0] != '-' || f[1] == 0)
			return bad("unexpected argument", f);
		f += f[1] == '-' ? 2 : 1;
		if (strcmp(f, "help") == 0 || strcmp(f, "h") == 0) {
			fputs(usage, stdout);
			exit(0);
		}
		if (strcmp(f, "quiet") == 0) {
			a->quiet = 1;
			continue;
		}
		const char *eq = strchr(f, '=');
		size_t n = eq ? (size_t)(eq - f) : strlen(f);
		size_t k = 0;
		while (k < sizeof flags / sizeof *flags &&
		       (strlen(flags[k].name) != n || strncmp(flags[k].name, f, n) != 0))
			k++;
		if (k == sizeof flags / sizeof *flags)
			return bad("unknown flag", argv[i]);
		const char *v = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
		if (!v)
			return bad("a value is needed after", argv[i]);
		*(const char **)((char *)a + flags[k].off) = v;
	}
	if (!a->logdir == !a->logdir_spec)
		return bad("give one of --logdir and --logdir_spec", NULL);
	if (!tb_table_format(a->format))
		return bad("--format must be csv, jsonl or parquet", NULL);
	if (!a->out)
		return bad("-o OUT is required", NULL);
	if (a->table && tb_export_table_find(a->table) < 0)
		return bad("unknown --table", a->table);
	if (a->compression && strcmp(a->compression, "none") && strcmp(a->compression, "gzip"))
		return bad("--compression must be none or gzip", NULL);
	return 0;
}

/* The names of the runs QUERY selects, as `tboard query` does. Returns
 * the count, or (size_t)-1 after printing the error. */
static size_t select_runs(char ***out, const tb_loader_source *src, size_t n_src, const char *text)
{
	tb_rql *q;
	tb_rql_error e;
	if (tb_rql_parse(&q, text, strlen(text), &e)) {
		fprintf(stderr, "tboard export: --runs: col %zu: %s\n", e.col, e.msg);
		return (size_t)-1;
	}
	tb_store *s = tb_store_new();
	tb_loader_opts lo = {.sources = src, .n_sources = n_src};
	tb_loader *l = tb_loader_new(s, &lo);
	tb_loader_cycle(l);
	tb_reader rd;
	tb_reader_begin(&rd, s);
	tb_runtable *rt = tb_runtable_new(&rd);
	tb_rql_table *t = tb_runtable_table(rt);
	tb_rql_result *r;
	size_t n = (size_t)-1;
	if (tb_rql_eval(&r, q, t, &e) == 0) {
		n = tb_rql_result_rows(r);
		*out = tb_xcalloc(n + 1, sizeof **out);
		for (size_t i = 0; i < n; i++)
			(*out)[i] = tb_xstrdup(tb_rql_table_run_name(t, tb_rql_result_run(r, i)));
		tb_rql_result_free(r);
	} else {
		fprintf(stderr, "tboard export: --runs: col %zu: %s\n", e.col, e.msg);
	}
	tb_runtable_free(rt);
	tb_reader_end(&rd);
	tb_loader_free(l);
	tb_store_free(s);
	tb_rql_free(q);
	return n;
}

static int out_file(void *payload, const void *p, size_t n)
{
	return fwrite(p, 1, n, payload) == n ? 0 : TB_EIO;
}

typedef struct progress {
	double start, last;
	int tty, shown;
} progress;

static void print_progress(progress *pr, const tb_export_progress *p, double t)
{
	fprintf(stderr, "%stboard export: %zu/%zu runs, %.1f/%.1f MB read, %llu points, %.1f s%s",
		pr->tty ? "\r" : "", p->runs_done, p->runs, (double)p->bytes_done / 1e6,
		(double)p->bytes / 1e6, (unsigned long long)p->points, t - pr->start,
		pr->tty ? "" : "\n");
	pr->shown = 1;
	pr->last = t;
}

static int on_progress(const tb_export_progress *p, void *payload)
{
	progress *pr = payload;
	double t = tb_now();
	if (t - pr->start >= 1.0 && t - pr->last >= (pr->tty ? 0.25 : 5.0))
		print_progress(pr, p, t);
	return 0;
}

int tb_export_cmd(int argc, char **argv)
{
	args a = {0};
	int rc = parse(&a, argc, argv);
	if (rc)
		return rc;
	tb_log_set_level(2); /* warnings and errors only: stderr carries the progress line */
	char *spec = a.logdir_spec ? tb_xstrdup(a.logdir_spec) : NULL;
	tb_loader_source one = {NULL, a.logdir}, *src = &one;
	size_t n_src = 1;
	if (spec)
		n_src = tb_loader_split_spec(&src, spec);
	tb_regex *tags = NULL;
	char **runs = NULL;
	size_t n_runs = 0;
	FILE *files[TB_EXPORT_TABLES] = {0};
	tb_export_opts o = {.sources = src, .n_sources = n_src};
	int format = tb_table_format(a.format);
	int gzip = a.compression && strcmp(a.compression, "gzip") == 0;
	char err[256];
	rc = 2;
	if (a.tags &&
	    tb_regex_new(&tags, a.tags, strlen(a.tags), TB_REGEX_SEARCH, err, sizeof err, NULL)) {
		fprintf(stderr, "tboard export: --tags: %s\n", err);
		goto out;
	}
	o.tags = tags;
	if (a.runs) {
		n_runs = select_runs(&runs, src, n_src, a.runs);
		if (n_runs == (size_t)-1) {
			n_runs = 0;
			goto out;
		}
		o.runs = (const char *const *)runs;
		o.n_runs = n_runs;
	}
	rc = 1;
	if (!a.table && mkdir(a.out, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "tboard export: cannot create %s: %s\n", a.out, strerror(errno));
		goto out;
	}
	for (int t = 0; t < TB_EXPORT_TABLES; t++) {
		if (a.table && tb_export_table_find(a.table) != t)
			continue;
		char *path = a.table ? tb_xstrdup(a.out)
				     : tb_xasprintf("%s/%s.%s", a.out, tb_export_table_name(t),
						    tb_table_ext(format));
		files[t] = strcmp(path, "-") == 0 ? stdout : fopen(path, "wb");
		if (!files[t]) {
			fprintf(stderr, "tboard export: cannot write %s: %s\n", path,
				strerror(errno));
			free(path);
			goto out;
		}
		free(path);
		o.tables[t] = tb_export_table_new(t, format, gzip, out_file, files[t]);
	}
	progress pr = {.start = tb_now(), .tty = isatty(2)};
	if (!a.quiet) {
		o.progress = on_progress;
		o.payload = &pr;
	}
	tb_export_progress done;
	int erc = tb_export_run(&done, &o);
	for (int t = 0; t < TB_EXPORT_TABLES; t++)
		if (o.tables[t] && tb_table_finish(o.tables[t]) && !erc)
			erc = TB_EIO;
	if (erc) {
		fprintf(stderr, "%stboard export: writing failed (%s)\n",
			pr.shown && pr.tty ? "\n" : "", tb_strerror(erc));
		goto out;
	}
	if (!a.quiet) {
		print_progress(&pr, &done, tb_now());
		if (pr.tty)
			fputc('\n', stderr);
	}
	rc = 0;
out:
	for (int t = 0; t < TB_EXPORT_TABLES; t++) {
		tb_table_free(o.tables[t]);
		if (files[t] && files[t] != stdout && fclose(files[t]) != 0 && rc == 0) {
			fprintf(stderr, "tboard export: writing failed: %s\n", strerror(errno));
			rc = 1;
		}
	}
	if (files[0] == stdout || files[1] == stdout || files[2] == stdout || files[3] == stdout)
		if (fflush(stdout) != 0 && rc == 0)
			rc = 1;
	for (size_t i = 0; i < n_runs; i++)
		free(runs[i]);
	free(runs);
	tb_regex_free(tags);
	if (src != &one)
		free(src);
	free(spec);
	return rc;
}
