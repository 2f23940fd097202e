/* The Profile dashboard's Distributed view: per worker the steps' split
 * into computation, communication and their overlap
 * (distributed/overlap), the collectives' data transfer and waiting time
 * (distributed/waittime) and the collectives' table
 * (distributed/commops), answered as the reference plugin answers them.
 *
 * A collective's data transfer time is its shortest duration over the
 * workers: each worker's kernel range j of collective i is cut to the
 * shortest range j of collective i among all workers, ending where it
 * ends; the rest of the range is time spent waiting for the others. */
#include "profile_views.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"

/* One worker of a span, with each collective's ranges cut to the data
 * transfer time (pairs, as tb_prof_commnode.ranges). */
typedef struct worker {
	const tb_prof_profile *p;
	double **real; /* per collective */
} worker;

typedef struct dist {
	worker *w;
	size_t n;
} dist;

static void dist_free(dist *d)
{
	for (size_t i = 0; i < d->n; i++) {
		for (size_t k = 0; d->w[i].real && k < d->w[i].p->trace->n_commnodes; k++)
			free(d->w[i].real[k]);
		free(d->w[i].real);
	}
	free(d->w);
}

/* The workers of the span; with real, their data transfer ranges. */
static void dist_load(dist *d, const tb_prof_run *r, const char *span, int real)
{
	memset(d, 0, sizeof *d);
	d->w = tb_xcalloc(r->n_profiles + 1, sizeof *d->w);
	for (size_t i = 0; i < r->n_profiles; i++) {
		const tb_prof_profile *p = &r->profiles[i];
		if (p->trace->status == TB_PROF_OK && strcmp(p->span, span) == 0)
			d->w[d->n++].p = p;
	}
	if (!real || !d->n)
		return;
	const tb_prof_trace *first = d->w[0].p->trace;
	for (size_t i = 0; i < d->n; i++) {
		const tb_prof_trace *t = d->w[i].p->trace;
		d->w[i].real = tb_xcalloc(t->n_commnodes + 1, sizeof *d->w[i].real);
		for (size_t c = 0; c < t->n_commnodes; c++)
			d->w[i].real[c] =
			    tb_xcalloc(2 * t->commnodes[c].n_ranges + 1, sizeof *d->w[i].real[c]);
	}
	for (size_t c = 0; c < first->n_commnodes; c++) {
		for (size_t j = 0; j < first->commnodes[c].n_ranges; j++) {
			double min = INFINITY;
			for (size_t i = 0; i < d->n; i++) {
				const tb_prof_trace *t = d->w[i].p->trace;
				if (c >= t->n_commnodes || j >= t->commnodes[c].n_ranges)
					continue;
				const double *x = &t->commnodes[c].ranges[2 * j];
				min = fmin(min, x[1] - x[0]);
			}
			for (size_t i = 0; i < d->n; i++) {
				const tb_prof_trace *t = d->w[i].p->trace;
				if (c >= t->n_commnodes || j >= t->commnodes[c].n_ranges)
					continue;
				const double *x = &t->commnodes[c].ranges[2 * j];
				d->w[i].real[c][2 * j] = x[1] - min;
				d->w[i].real[c][2 * j + 1] = x[1];
			}
		}
	}
}

static int cmp_pair(const void *x, const void *y)
{
	const double *a = x, *b = y;
	return a[0] < b[0] ? -1 : a[0] > b[0];
}

/* The length of the union of n ranges (pairs; sorted here). */
static double union_len(double *r, size_t n)
{
	if (!n)
		return 0;
	qsort(r, n, 2 * sizeof *r, cmp_pair);
	double sum = 0, a = r[0], b = r[1];
	for (size_t i = 1; i < n; i++) {
		if (r[2 * i + 1] <= b)
			continue;
		if (r[2 * i] <= b) {
			b = r[2 * i + 1];
		} else {
			sum += b - a;
			a = r[2 * i], b = r[2 * i + 1];
		}
	}
	return sum + b - a;
}

/* Per step (in the order first met) of one worker: the union of its
 * collectives' ranges and of their data transfer ranges. */
typedef struct stepstat {
	long step;
	tb_prof_num all, real;
} stepstat;

/* The union of the ranges, and of the data transfer ranges, of the
 * collectives c of w with step == c's step (step_of) or, when name is
 * not NULL, with that name; *calls and *bytes count them. */
static void collect(tb_prof_num *all, tb_prof_num *real, size_t *calls, double *bytes,
		    const worker *w, long step, const char *name)
{
	const tb_prof_trace *t = w->p->trace;
	size_t m = 0;
	*calls = 0;
	*bytes = 0;
	for (size_t c = 0; c < t->n_commnodes; c++)
		if (name ? strcmp(t->commnodes[c].name, name) == 0 : t->commnodes[c].step == step)
			m += t->commnodes[c].n_ranges;
	double *a = tb_xmalloc((2 * m + 1) * sizeof *a);
	double *r = tb_xmalloc((2 * m + 1) * sizeof *r);
	size_t at = 0;
	for (size_t c = 0; c < t->n_commnodes; c++) {
		if (name ? strcmp(t->commnodes[c].name, name) != 0 : t->commnodes[c].step != step)
			continue;
		size_t len = 2 * t->commnodes[c].n_ranges;
		memcpy(a + at, t->commnodes[c].ranges, len * sizeof *a);
		memcpy(r + at, w->real[c], len * sizeof *r);
		at += len;
		(*calls)++;
		*bytes += t->commnodes[c].bytes;
	}
	*all = (tb_prof_num){union_len(a, m), t->times_float && m};
	*real = (tb_prof_num){union_len(r, m), t->times_float && m};
	free(a);
	free(r);
}

static size_t step_stats(stepstat **out, const worker *w)
{
	const tb_prof_trace *t = w->p->trace;
	stepstat *s = tb_xcalloc(t->n_commnodes + 1, sizeof *s);
	size_t n = 0;
	for (size_t c = 0; c < t->n_commnodes; c++) {
		size_t k = 0;
		while (k < n && s[k].step != t->commnodes[c].step)
			k++;
		if (k == n)
			s[n++].step = t->commnodes[c].step;
	}
	for (size_t k = 0; k < n; k++) {
		size_t calls;
		double bytes;
		collect(&s[k].all, &s[k].real, &calls, &bytes, w, s[k].step, NULL);
	}
	*out = s;
	return n;
}

static const char *step_key(const tb_prof_trace *t, long step)
{
	return step >= 0 && (size_t)step < t->n_steps ? t->steps[step].name : "null";
}

static void metadata(tb_json *j, const char *title, const char *const *legends, size_t n)
{
	tb_json_key(j, "metadata");
	tb_json_obj_begin(j);
	tb_json_key(j, "title");
	tb_json_str(j, title);
	if (n) {
		tb_json_key(j, "legends");
		tb_json_str_array(j, legends, n);
		tb_json_key(j, "units");
		tb_json_str(j, "us");
	}
	tb_json_obj_end(j);
}

/* A chart's data: {"all": {worker: averages}, step: {worker: values}},
 * steps in the order first met, workers sorted. vals(w, k, out) fills
 * the nv values of worker w's k-th step and returns 0 when it has no
 * k-th step; steps(w) is the number of steps and name(w, k) the name. */
typedef struct chart {
	size_t nv;
	size_t (*steps)(const dist *d, size_t w, void *ctx);
	const char *(*name)(const dist *d, size_t w, size_t k, void *ctx);
	void (*vals)(const dist *d, size_t w, size_t k, tb_prof_num *out, void *ctx);
	void *ctx;
} chart;

static void put_chart(tb_json *j, const dist *d, const chart *c)
{
	/* step names in the order first met over the workers */
	const char **names = NULL;
	size_t n_names = 0;
	for (size_t w = 0; w < d->n; w++) {
		size_t ns = c->steps(d, w, c->ctx);
		for (size_t k = 0; k < ns; k++) {
			const char *nm = c->name(d, w, k, c->ctx);
			size_t i = 0;
			while (i < n_names && strcmp(names[i], nm) != 0)
				i++;
			if (i == n_names) {
				names = tb_xrealloc(names, (n_names + 1) * sizeof *names);
				names[n_names++] = nm;
			}
		}
	}
	tb_prof_num v[8];
	tb_json_key(j, "data");
	tb_json_obj_begin(j);
	tb_json_key(j, "all");
	tb_json_obj_begin(j);
	for (size_t w = 0; w < d->n; w++) {
		size_t ns = c->steps(d, w, c->ctx);
		double sum[8] = {0};
		for (size_t k = 0; k < ns; k++) {
			c->vals(d, w, k, v, c->ctx);
			for (size_t i = 0; i < c->nv; i++)
				sum[i] += v[i].v;
		}
		tb_json_key(j, d->w[w].p->worker);
		tb_json_arr_begin(j);
		for (size_t i = 0; i < c->nv; i++)
			tb_json_int(j, (int64_t)(sum[i] / (double)(ns ? ns : 1)));
		tb_json_arr_end(j);
	}
	tb_json_obj_end(j);
	for (size_t s = 0; s < n_names; s++) {
		tb_json_key(j, names[s]);
		tb_json_obj_begin(j);
		for (size_t w = 0; w < d->n; w++) {
			size_t ns = c->steps(d, w, c->ctx);
			for (size_t k = 0; k < ns; k++) {
				if (strcmp(c->name(d, w, k, c->ctx), names[s]) != 0)
					continue;
				c->vals(d, w, k, v, c->ctx);
				tb_json_key(j, d->w[w].p->worker);
				tb_json_arr_begin(j);
				for (size_t i = 0; i < c->nv; i++)
					tb_profile_json_num(j, v[i]);
				tb_json_arr_end(j);
				break;
			}
		}
		tb_json_obj_end(j);
	}
	tb_json_obj_end(j);
	free(names);
}

/* The workers of the asked span (with real, their data transfer
 * ranges) and the answer's metadata, or 0 after answering an error. */
static int begin(dist *d, tb_json *j, const tb_profile_ask *a, int real, const char *title,
		 const char *const *legends, size_t n)
{
	dist_load(d, a->run, a->span, real);
	for (size_t w = 0; !real && w < d->n; w++) {
		if (!d->w[w].p->trace->has_overview) {
			/* as the Overview: the reference's step is negative
			 * and beyond 64 bits */
			tb_resp_error(a->resp, 501,
				      "the trace of %s has neither steps nor CPU operators",
				      d->w[w].p->worker);
			dist_free(d);
			return 0;
		}
	}
	tb_json_obj_begin(j);
	metadata(j, title, legends, n);
	return 1;
}

static tb_prof_num num_sub(tb_prof_num a, tb_prof_num b)
{
	return (tb_prof_num){a.v - b.v, a.is_float || b.is_float};
}

/* ---- distributed/overlap ----------------------------------------------------------- */

static size_t overlap_steps(const dist *d, size_t w, void *ctx)
{
	(void)ctx;
	return d->w[w].p->trace->n_steps;
}

static const char *overlap_name(const dist *d, size_t w, size_t k, void *ctx)
{
	(void)ctx;
	return d->w[w].p->trace->steps[k].name;
}

static void overlap_vals(const dist *d, size_t w, size_t k, tb_prof_num *out, void *ctx)
{
	(void)ctx;
	const tb_prof_step *s = &d->w[w].p->trace->steps[k];
	out[0] = num_sub(s->compute, s->overlap);
	out[1] = s->overlap;
	out[2] = num_sub(s->comm, s->overlap);
	out[3] = s->other;
}

static void handle_overlap(tb_json *j, const tb_profile_ask *a)
{
	static const char *const legends[] = {"Computation", "Overlapping", "Communication",
					      "Other"};
	dist d;
	if (!begin(&d, j, a, 0, "Computation/Communication Overview", legends, 4))
		return;
	chart c = {4, overlap_steps, overlap_name, overlap_vals, NULL};
	put_chart(j, &d, &c);
	tb_json_obj_end(j);
	dist_free(&d);
}

/* ---- distributed/waittime ------------------------------------------------------------ */

typedef struct waits {
	stepstat **s;
	size_t *n;
} waits;

static size_t wait_steps(const dist *d, size_t w, void *ctx)
{
	(void)d;
	return ((waits *)ctx)->n[w];
}

static const char *wait_name(const dist *d, size_t w, size_t k, void *ctx)
{
	return step_key(d->w[w].p->trace, ((waits *)ctx)->s[w][k].step);
}

static void wait_vals(const dist *d, size_t w, size_t k, tb_prof_num *out, void *ctx)
{
	(void)d;
	const stepstat *s = &((waits *)ctx)->s[w][k];
	out[0] = s->real;
	out[1] = num_sub(s->all, s->real);
}

static void handle_waittime(tb_json *j, const tb_profile_ask *a)
{
	static const char *const legends[] = {"Data Transfer Time", "Synchronizing Time"};
	dist d;
	if (!begin(&d, j, a, 1, "Synchronizing/Communication Overview", legends, 2))
		return;
	waits ws = {tb_xcalloc(d.n + 1, sizeof *ws.s), tb_xcalloc(d.n + 1, sizeof *ws.n)};
	for (size_t w = 0; w < d.n; w++)
		ws.n[w] = step_stats(&ws.s[w], &d.w[w]);
	chart c = {2, wait_steps, wait_name, wait_vals, &ws};
	put_chart(j, &d, &c);
	tb_json_obj_end(j);
	for (size_t w = 0; w < d.n; w++)
		free(ws.s[w]);
	free(ws.s);
	free(ws.n);
	dist_free(&d);
}

/* ---- distributed/commops ------------------------------------------------------------- */

static void comm_table(tb_json *j, const worker *w)
{
	static const char *const cols[] = {
	    "Calls",
	    "Total Size (bytes)",
	    "Avg Size (bytes)",
	    "Total Latency (us)",
	    "Avg Latency (us)",
	    "Data Transfer Time (us)",
	    "Avg Data Transfer Time (us)",
	};
	const tb_prof_trace *t = w->p->trace;
	tb_json_obj_begin(j);
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	tb_profile_json_strs(j, 2, (const char *const[]){"type", "string", "name", "Name"});
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		tb_profile_json_strs(j, 2,
				     (const char *const[]){"type", "number", "name", cols[i]});
	tb_json_arr_end(j);
	tb_json_key(j, "rows");
	tb_json_arr_begin(j);
	/* one row per collective name, in the order first met */
	for (size_t c = 0; c < t->n_commnodes; c++) {
		const char *name = t->commnodes[c].name;
		size_t prev = 0;
		while (prev < c && strcmp(t->commnodes[prev].name, name) != 0)
			prev++;
		if (prev < c)
			continue;
		size_t calls;
		double bytes;
		tb_prof_num lat, dt;
		collect(&lat, &dt, &calls, &bytes, w, 0, name);
		tb_json_arr_begin(j);
		tb_json_str(j, name);
		tb_json_int(j, (int64_t)calls);
		tb_json_int(j, (int64_t)bytes);
		tb_json_int(j, (int64_t)nearbyint(bytes / (double)calls));
		tb_profile_json_num(j, lat);
		tb_json_int(j, (int64_t)nearbyint(lat.v / (double)calls));
		tb_profile_json_num(j, dt);
		tb_json_int(j, (int64_t)nearbyint(dt.v / (double)calls));
		tb_json_arr_end(j);
	}
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

static void handle_commops(tb_json *j, const tb_profile_ask *a)
{
	dist d;
	if (!begin(&d, j, a, 1, "Communication Operations Stats", NULL, 0))
		return;
	tb_json_key(j, "data");
	tb_json_obj_begin(j);
	for (size_t w = 0; w < d.n; w++) {
		tb_json_key(j, d.w[w].p->worker);
		comm_table(j, &d.w[w]);
	}
	tb_json_obj_end(j);
	tb_json_obj_end(j);
	dist_free(&d);
}

static tb_profile_route routes[] = {
    {"/distributed/overlap", handle_overlap, TB_PROFILE_DIST, {NULL}, NULL},
    {"/distributed/waittime", handle_waittime, TB_PROFILE_DIST, {NULL}, NULL},
    {"/distributed/commops", handle_commops, TB_PROFILE_DIST, {NULL}, NULL},
};

void tb_profile_dist_register(tb_router *r, tb_dash *d)
{
	tb_profile_routes(r, d, routes, sizeof routes / sizeof routes[0]);
}
