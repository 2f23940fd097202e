/* `tboard query` and the comparison routes on a hyperparameter sweep that
 * this test writes with libtboard: 4 learning rates x 3 batch sizes x 5
 * seeds, runs named lr<LR>_bs<BS>/seed<S>, a val/acc curve each and
 * PyTorch-style add_hparams children. Seeds log at different steps (one
 * is offset, one stops early) so group alignment is exercised. The band
 * numbers are recomputed here from the generator, not from the server. */
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../api/http_client.h"
#include "../api/spawn.h"
#include "../api/testutil.h"
#include "../harness.h"
#include "common/buf.h"
#include "tboard/writer.h"

extern char **environ;

static const double LRS[4] = {0.1, 0.03, 0.01, 0.003};
static const int BSS[3] = {16, 32, 64};
#define SEEDS 5

static char tmp[64], logdir[128];
static const char *binary;

/* The steps seed s logs: 0..100 by 10; seed 3 at 5..95; seed 4 stops at 70. */
static int steps_of(int seed, int64_t *out)
{
	int n = 0;
	for (int64_t st = seed == 3 ? 5 : 0; st <= (seed == 4 ? 70 : 100); st += 10)
		out[n++] = st;
	return n;
}

/* val/acc as stored: written as a float32 scalar. */
static double acc(double lr, int bs, int seed, int64_t step)
{
	return (float)(0.9 - 0.5 * exp(-(double)step * lr * 0.3) - 0.001 * bs / 16 + 0.01 * seed);
}

static int write_sweep(void)
{
	for (int l = 0; l < 4; l++)
		for (int b = 0; b < 3; b++)
			for (int s = 0; s < SEEDS; s++) {
				char dir[256];
				snprintf(dir, sizeof dir, "%s/lr%g_bs%d/seed%d", logdir, LRS[l],
					 BSS[b], s);
				tb_writer *w;
				if (tb_writer_open(&w, dir, NULL))
					return -1;
				int64_t steps[16];
				int n = steps_of(s, steps);
				for (int k = 0; k < n; k++)
					tb_writer_add_scalar(w, "val/acc",
							     acc(LRS[l], BSS[b], s, steps[k]),
							     steps[k], 1700000000 + k);
				tb_hparam hp[] = {
				    {"lr", TB_HPARAM_NUMBER, LRS[l], NULL, 0},
				    {"bs", TB_HPARAM_NUMBER, BSS[b], NULL, 0},
				    {"seed", TB_HPARAM_NUMBER, s, NULL, 0},
				    {"opt", TB_HPARAM_STRING, 0, b == 2 ? "sgd" : "adam", 0},
				};
				const char *mt[] = {"hparam/final_acc"};
				double mv[] = {acc(LRS[l], BSS[b], s, steps[n - 1])};
				int rc = tb_writer_add_hparams(w, hp, 4, mt, mv, 1, NULL, 0);
				if (tb_writer_close(w) || rc)
					return -1;
			}
	return 0;
}

/* --- the CLI ------------------------------------------------------------- */

typedef struct cli {
	int status;
	tb_buf out, err;
} cli;

static void slurp(tb_buf *b, const char *path)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	tb_buf_puts(b, "");
	while (f && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		tb_buf_append(b, chunk, n);
	if (f)
		fclose(f);
}

/* Run `tboard query <flag> <dir> <query>`; stdout and stderr captured. */
static cli *run_cli(const char *flag, const char *dir, const char *query)
{
	static cli c;
	tb_buf_free(&c.out);
	tb_buf_free(&c.err);
	memset(&c, 0, sizeof c);
	char out[128], err[128];
	snprintf(out, sizeof out, "%s/stdout", tmp);
	snprintf(err, sizeof err, "%s/stderr", tmp);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *argv[] = {(char *)binary, "query", (char *)flag, (char *)dir, (char *)query, NULL};
	pid_t pid;
	c.status = -1;
	if (posix_spawn(&pid, binary, &fa, NULL, argv, environ) == 0) {
		int st;
		waitpid(pid, &st, 0);
		c.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	slurp(&c.out, out);
	slurp(&c.err, err);
	return &c;
}

/* The row of run `name` in TSV text, or NULL. */
static const char *row_of(const char *tsv, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = tsv; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && p[n] == '\t')
			return p;
	return NULL;
}

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void test_query_cmd__selects_and_prints_columns(void)
{
	cli *c = run_cli("--logdir", logdir, "hp.lr = 0.01 and hp.bs = 32 sort by hp.seed desc");
	CHECK_INT(c->status, 0);
	CHECK_STR(c->out.ptr, "run\thp.lr\thp.bs\thp.seed\n"
			      "lr0.01_bs32/seed4\t0.01\t32.0\t4.0\n"
			      "lr0.01_bs32/seed3\t0.01\t32.0\t3.0\n"
			      "lr0.01_bs32/seed2\t0.01\t32.0\t2.0\n"
			      "lr0.01_bs32/seed1\t0.01\t32.0\t1.0\n"
			      "lr0.01_bs32/seed0\t0.01\t32.0\t0.0\n");
	CHECK_STR(c->err.ptr, "");

	/* every trial once: the add_hparams children fold into their runs */
	c = run_cli("--logdir", logdir, "");
	CHECK_INT(c->status, 0);
	CHECK_INT(count_lines(c->out.ptr), 1 + 4 * 3 * SEEDS);
	c = run_cli("--logdir", logdir, "hp.opt = 'sgd' and run ~ '^lr0\\.1_'");
	CHECK_INT(count_lines(c->out.ptr), 1 + SEEDS);
}

static void test_query_cmd__metrics_sort_limit(void)
{
	cli *c = run_cli("--logdir", logdir,
			 "hp.lr = 0.1 and hp.bs = 16 sort by last(val/acc) desc limit 2");
	CHECK_INT(c->status, 0);
	CHECK(strncmp(c->out.ptr, "run\thp.lr\thp.bs\tlast(val/acc)\n", 30) == 0);
	CHECK_INT(count_lines(c->out.ptr), 3);
	/* the two best last values, from the generator */
	int best[2] = {-1, -1};
	double last[SEEDS];
	for (int s = 0; s < SEEDS; s++) {
		int64_t st[16];
		last[s] = acc(0.1, 16, s, st[steps_of(s, st) - 1]);
		if (best[0] < 0 || last[s] > last[best[0]]) {
			best[1] = best[0];
			best[0] = s;
		} else if (best[1] < 0 || last[s] > last[best[1]]) {
			best[1] = s;
		}
	}
	const char *p = strchr(c->out.ptr, '\n');
	for (int k = 0; k < 2 && p; k++) {
		char name[64];
		snprintf(name, sizeof name, "lr0.1_bs16/seed%d\t", best[k]);
		CHECK(strncmp(p + 1, name, strlen(name)) == 0);
		const char *nl = strchr(p + 1, '\n');
		const char *tab = nl ? memrchr(p + 1, '\t', (size_t)(nl - p - 1)) : NULL;
		CHECK(tab && strtod(tab + 1, NULL) == last[best[k]]);
		p = nl;
	}

	/* a range summary, an at() and the add_hparams metric read through the
	 * folded child */
	c = run_cli(
	    "--logdir", logdir,
	    "run = 'lr0.003_bs64/seed3' and max(val/acc, 20:50) > 0 and at(val/acc, 50) > 0 "
	    "and last(hparam/final_acc) > 0");
	CHECK_INT(c->status, 0);
	const char *r = row_of(c->out.ptr, "lr0.003_bs64/seed3");
	CHECK(r != NULL);
	if (r) {
		double mx, at, fin;
		CHECK(sscanf(strchr(r, '\t') + 1, "%lf\t%lf\t%lf", &mx, &at, &fin) == 3);
		CHECK(mx == acc(0.003, 64, 3, 45)); /* steps 25, 35, 45; rising */
		CHECK(at == acc(0.003, 64, 3, 45)); /* no point at 50: the one before */
		CHECK(fin == acc(0.003, 64, 3, 95));
	}
}

static void test_query_cmd__bad_query_points_at_column(void)
{
	cli *c = run_cli("--logdir", logdir, "hp.lr > 0.1 and (last(val/acc) > 0.5");
	CHECK_INT(c->status, 2);
	CHECK_STR(c->out.ptr, "");
	CHECK_STR(c->err.ptr, "tboard query: col 37: expected ')', found the end of the query\n"
			      "  hp.lr > 0.1 and (last(val/acc) > 0.5\n"
			      "                                      ^\n");
	c = run_cli("--logdir", logdir, "hp.lr = 1 or\n  bogus(x) > 1");
	CHECK_INT(c->status, 2);
	CHECK(strstr(c->err.ptr, "col 16: unknown name 'bogus'") != NULL);
	CHECK(strstr(c->err.ptr, "\n    bogus(x) > 1\n    ^\n") != NULL);
}

static void test_query_cmd__logdir_spec(void)
{
	char spec[200];
	snprintf(spec, sizeof spec, "sweep:%s", logdir);
	cli *c = run_cli("--logdir_spec", spec, "run ~ 'bs64/seed0$' and hp.lr = 0.03");
	CHECK_INT(c->status, 0);
	CHECK_STR(c->out.ptr, "run\thp.lr\nsweep/lr0.03_bs64/seed0\t0.03\n");
}

/* --- the HTTP routes ----------------------------------------------------- */

static int port;
static CURL *curl;

/* GET path?params (each value URL-encoded), or POST them as a form. */
static json_t *call(long *status, const char *path, const char *const *kv, int post)
{
	tb_buf q = TB_BUF_INIT, url = TB_BUF_INIT;
	tb_buf_puts(&q, "");
	for (size_t i = 0; kv && kv[i]; i += 2) {
		char *v = curl_easy_escape(curl, kv[i + 1], 0);
		tb_buf_printf(&q, "%s%s=%s", i ? "&" : "", kv[i], v);
		curl_free(v);
	}
	tb_buf_printf(&url, "%s%s%s", path, post ? "" : "?", post ? "" : q.ptr);
	tb_http_req req = {.body = post ? q.ptr : NULL, .body_len = -1, .timeout_s = 30};
	tb_http_reply r;
	json_t *j = NULL;
	if (tb_http_send(&r, curl, port, url.ptr, &req) == CURLE_OK)
		j = json_loadb(r.body.ptr, r.body.len, 0, NULL);
	*status = r.status;
	tb_http_reply_free(&r);
	tb_buf_free(&q);
	tb_buf_free(&url);
	return j;
}

static void test_compare__runs_query_route(void)
{
	long st;
	const char *kv[] = {"q", "hp.bs = 64 and hp.seed = 1 sort by hp.lr desc limit 3", NULL};
	json_t *j = call(&st, "/data/tboard/runs/query", kv, 0);
	CHECK_INT(st, 200);
	CHECK_INT(json_integer_value(json_object_get(j, "total")), 4);
	json_t *cols = json_object_get(j, "columns"), *runs = json_object_get(j, "runs");
	CHECK_INT(json_array_size(cols), 3);
	CHECK_STR(json_string_value(json_array_get(cols, 0)), "hp.bs");
	CHECK_STR(json_string_value(json_array_get(cols, 2)), "hp.lr");
	CHECK_INT(json_array_size(runs), 3);
	json_t *first = json_array_get(runs, 0);
	CHECK_STR(json_string_value(json_object_get(first, "run")), "lr0.1_bs64/seed1");
	CHECK(json_real_value(json_array_get(json_object_get(first, "values"), 2)) == 0.1);
	json_decref(j);

	/* POST form, a missing value as null */
	const char *kv2[] = {"q", "run = 'lr0.1_bs64/seed1' sort by hp.nope", NULL};
	j = call(&st, "/data/tboard/runs/query", kv2, 1);
	CHECK_INT(st, 200);
	CHECK(json_is_null(json_array_get(
	    json_object_get(json_array_get(json_object_get(j, "runs"), 0), "values"), 0)));
	json_decref(j);

	const char *bad[] = {"q", "hp.lr > 0.1 and (last(val/acc) > 0.5", NULL};
	j = call(&st, "/data/tboard/runs/query", bad, 0);
	CHECK_INT(st, 400);
	CHECK_INT(json_integer_value(json_object_get(j, "column")), 37);
	CHECK_STR(json_string_value(json_object_get(j, "error")),
		  "expected ')', found the end of the query");
	json_decref(j);
}

/* The expected curve of one group, from the generator: the union of the
 * members' steps, each member's latest value at or before a step within
 * its own range, then mean and sample std, min-max or the 95% interval. */
static void expect_group(json_t *g, double lr, int bs, const char *band)
{
	int64_t all[64];
	int n_all = 0;
	for (int s = 0; s < SEEDS; s++) {
		int64_t st[16];
		int n = steps_of(s, st);
		for (int k = 0; k < n; k++) {
			int seen = 0;
			for (int i = 0; i < n_all; i++)
				seen |= all[i] == st[k];
			if (!seen)
				all[n_all++] = st[k];
		}
	}
	for (int i = 0; i < n_all; i++) /* insertion sort */
		for (int k = i; k > 0 && all[k - 1] > all[k]; k--) {
			int64_t x = all[k];
			all[k] = all[k - 1];
			all[k - 1] = x;
		}
	json_t *steps = json_object_get(g, "steps"), *center = json_object_get(g, "center");
	json_t *lo = json_object_get(g, "lo"), *hi = json_object_get(g, "hi");
	json_t *nn = json_object_get(g, "n");
	CHECK_INT(json_array_size(steps), n_all);
	CHECK_INT(json_array_size(json_object_get(g, "members")), SEEDS);
	for (int i = 0; i < n_all && i < (int)json_array_size(steps); i++) {
		double xs[SEEDS];
		int m = 0;
		for (int s = 0; s < SEEDS; s++) {
			int64_t st[16];
			int n = steps_of(s, st);
			if (all[i] < st[0] || all[i] > st[n - 1])
				continue;
			int k = 0;
			while (k + 1 < n && st[k + 1] <= all[i])
				k++;
			xs[m++] = acc(lr, bs, s, st[k]);
		}
		double mean = 0, ss = 0, mn = xs[0], mx = xs[0];
		for (int k = 0; k < m; k++) {
			mean += xs[k] / m;
			mn = fmin(mn, xs[k]);
			mx = fmax(mx, xs[k]);
		}
		for (int k = 0; k < m; k++)
			ss += (xs[k] - mean) * (xs[k] - mean);
		double sd = m > 1 ? sqrt(ss / (m - 1)) : 0;
		double wlo = mean - sd, whi = mean + sd;
		if (strcmp(band, "minmax") == 0) {
			wlo = mn;
			whi = mx;
		} else if (strcmp(band, "ci95") == 0) {
			static const double t[] = {0, 12.706, 4.303, 3.182, 2.776};
			double h = m > 1 ? t[m - 1] * sd / sqrt(m) : 0;
			wlo = mean - h;
			whi = mean + h;
		}
		CHECK_INT(json_integer_value(json_array_get(steps, i)), all[i]);
		CHECK_INT(json_integer_value(json_array_get(nn, i)), m);
		CHECK(fabs(json_real_value(json_array_get(center, i)) - mean) < 1e-12);
		CHECK(fabs(json_real_value(json_array_get(lo, i)) - wlo) < 1e-12);
		CHECK(fabs(json_real_value(json_array_get(hi, i)) - whi) < 1e-12);
	}
}

static json_t *group_named(json_t *groups, const char *name)
{
	for (size_t i = 0; i < json_array_size(groups); i++) {
		json_t *g = json_array_get(groups, i);
		if (strcmp(json_string_value(json_object_get(g, "name")), name) == 0)
			return g;
	}
	return NULL;
}

static void test_compare__groups_by_seed_regex(void)
{
	static const char *const bands[] = {"std", "minmax", "ci95"};
	for (int bi = 0; bi < 3; bi++) {
		long st;
		const char *kv[] = {"tag",  "val/acc", "by", "regex:(.*)/seed\\d+",
				    "band", bands[bi], NULL};
		json_t *j = call(&st, "/data/tboard/groups", kv, bi == 1);
		CHECK_INT(st, 200);
		json_t *groups = json_object_get(j, "groups");
		CHECK_INT(json_array_size(groups), 12);
		CHECK_INT(json_array_size(json_object_get(j, "unmatched")), 0);
		for (int l = 0; l < 4; l++)
			for (int b = 0; b < 3; b++) {
				char name[64];
				snprintf(name, sizeof name, "lr%g_bs%d", LRS[l], BSS[b]);
				json_t *g = group_named(groups, name);
				CHECK(g != NULL);
				if (g)
					expect_group(g, LRS[l], BSS[b], bands[bi]);
			}
		/* the colour key follows the name only */
		json_t *g = group_named(groups, "lr0.1_bs16");
		uint32_t h = 2166136261u;
		for (const char *c = "lr0.1_bs16"; *c; c++)
			h = (h ^ (unsigned char)*c) * 16777619u;
		CHECK_INT(json_integer_value(json_object_get(g, "key")), h);
		json_decref(j);
	}
}

static void test_compare__groups_by_hparams_with_query(void)
{
	long st;
	const char *kv[] = {"tag", "val/acc", "by",   "hp:lr,opt", "q", "hp.bs >= 32",
			    "agg", "median",  "band", "minmax",	   NULL};
	json_t *j = call(&st, "/data/tboard/groups", kv, 0);
	CHECK_INT(st, 200);
	json_t *groups = json_object_get(j, "groups");
	CHECK_INT(json_array_size(groups), 8); /* 4 lrs x {adam (bs 32), sgd (bs 64)} */
	json_t *g = group_named(groups, "lr=0.01, opt=sgd");
	CHECK(g != NULL);
	if (g) {
		json_t *steps = json_object_get(g, "steps");
		CHECK_INT(json_integer_value(json_array_get(steps, 0)), 0);
		/* step 0: seeds 0, 1, 2, 4 (seed 3 starts at 5); median of four */
		double v[4] = {acc(0.01, 64, 0, 0), acc(0.01, 64, 1, 0), acc(0.01, 64, 2, 0),
			       acc(0.01, 64, 4, 0)};
		CHECK(fabs(json_real_value(json_array_get(json_object_get(g, "center"), 0)) -
			   (v[1] + v[2]) / 2) < 1e-12);
		CHECK_INT(json_integer_value(json_array_get(json_object_get(g, "n"), 0)), 4);
	}
	json_decref(j);

	/* points thins the aligned steps, keeping the last */
	const char *kv2[] = {"tag", "val/acc", "by", "folder", "points", "3", NULL};
	j = call(&st, "/data/tboard/groups", kv2, 0);
	g = json_array_get(json_object_get(j, "groups"), 0);
	json_t *steps = json_object_get(g, "steps");
	CHECK_INT(json_array_size(steps), 3);
	CHECK_INT(json_integer_value(json_array_get(steps, 2)), 100);
	json_decref(j);
}

static void test_compare__groups_errors(void)
{
	static const struct {
		const char *k1, *v1, *k2, *v2, *param;
		long col;
	} cases[] = {
	    {"by", "folder", "q", "hp.lr >", "q", 8},  {"by", "regex:(", "q", "", "by", 0},
	    {"by", "nope", "q", "", "by", 0},	       {"by", "hp:", "q", "", "by", 0},
	    {"agg", "mode", "q", "", "agg", 0},	       {"band", "iqr", "q", "", "band", 0},
	    {"points", "-1", "q", "", "points", 0},    {"points", "0", "q", "", "points", 0},
	    {"points", "10001", "q", "", "points", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		long st;
		const char *kv[] = {"tag",	 "val/acc",   cases[i].k1, cases[i].v1,
				    cases[i].k2, cases[i].v2, NULL};
		json_t *j = call(&st, "/data/tboard/groups", kv, 0);
		CHECK_INT(st, 400);
		CHECK_STR(json_string_value(json_object_get(j, "param")), cases[i].param);
		CHECK_INT(json_integer_value(json_object_get(j, "column")), cases[i].col);
		json_decref(j);
	}
	long st;
	json_t *j = call(&st, "/data/tboard/groups", NULL, 0);
	CHECK_INT(st, 400);
	CHECK_STR(json_string_value(json_object_get(j, "param")), "tag");
	json_decref(j);
	/* runs the pattern does not match are listed, not grouped */
	const char *kv[] = {"tag", "val/acc", "by", "regex:^(a|aa)+$", NULL};
	j = call(&st, "/data/tboard/groups", kv, 0);
	CHECK_INT(st, 200);
	CHECK_INT(json_array_size(json_object_get(j, "unmatched")), 4 * 3 * SEEDS);
	json_decref(j);
}

/* A server that reloads: the shared query table follows a run that
 * appears later, hparams included. */
static void test_compare__table_follows_new_runs(void)
{
	const char *const extra[] = {"--reload_interval", "1", NULL};
	tb_spawn *srv = tb_spawn_serve(binary, logdir, extra, &port);
	if (!srv) {
		CHECK(0);
		return;
	}
	const char *kv[] = {"q", "hp.lr = 0.5", NULL};
	long st;
	json_t *j = NULL;
	for (int i = 0; i < 600; i++) { /* the first load may still be running */
		json_decref(j);
		const char *all[] = {"q", "", NULL};
		j = call(&st, "/data/tboard/runs/query", all, 0);
		if (json_integer_value(json_object_get(j, "total")) == 4 * 3 * SEEDS)
			break;
		usleep(100000);
	}
	json_decref(j);
	j = call(&st, "/data/tboard/runs/query", kv, 0);
	CHECK_INT(json_integer_value(json_object_get(j, "total")), 0);
	json_decref(j);

	char dir[256];
	snprintf(dir, sizeof dir, "%s/lr0.5_bs16/seed0", logdir);
	tb_writer *w;
	CHECK_INT(tb_writer_open(&w, dir, NULL), 0);
	tb_writer_add_scalar(w, "val/acc", 0.25, 0, 1700000000);
	tb_hparam hp[] = {{"lr", TB_HPARAM_NUMBER, 0.5, NULL, 0}};
	CHECK_INT(tb_writer_add_hparams(w, hp, 1, NULL, NULL, 0, NULL, 0), 0);
	CHECK_INT(tb_writer_close(w), 0);
	int64_t total = 0;
	for (int i = 0; i < 300 && total != 1; i++) {
		usleep(100000);
		j = call(&st, "/data/tboard/runs/query", kv, 0);
		total = json_integer_value(json_object_get(j, "total"));
		json_decref(j);
	}
	CHECK_INT(total, 1);
	CHECK(tb_spawn_stop_clean(srv));
}

int main(void)
{
	binary = tb_spawn_binary();
	if (!binary)
		return 2;
	if (tb_test_tmpdir(tmp, sizeof tmp, "tb_query_cmd_test_") != 0) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(logdir, sizeof logdir, "%s/sweep", tmp);
	if (write_sweep()) {
		fprintf(stderr, "writing the sweep failed: %s\n", tb_writer_errmsg(NULL));
		tb_test_rmtree(tmp);
		return 1;
	}
	TB_RUN(test_query_cmd__selects_and_prints_columns);
	TB_RUN(test_query_cmd__metrics_sort_limit);
	TB_RUN(test_query_cmd__bad_query_points_at_column);
	TB_RUN(test_query_cmd__logdir_spec);

	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	tb_spawn *srv = tb_spawn_serve(binary, logdir, tb_spawn_loaded, &port);
	if (srv) {
		TB_RUN(test_compare__runs_query_route);
		TB_RUN(test_compare__groups_by_seed_regex);
		TB_RUN(test_compare__groups_by_hparams_with_query);
		TB_RUN(test_compare__groups_errors);
		CHECK(tb_spawn_alive(srv));
		CHECK(tb_spawn_stop_clean(srv));
		TB_RUN(test_compare__table_follows_new_runs);
	} else {
		tb__tests_failed++;
	}
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	cli *c = run_cli("--logdir", logdir, ""); /* frees the captured output */
	tb_buf_free(&c->out);
	tb_buf_free(&c->err);
	tb_test_rmtree(tmp);
	return tb_test_finish();
}
