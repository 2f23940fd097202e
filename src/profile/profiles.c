/* Profiler runs of a log directory (see profiles.h). The trace files come
 * from the asset list the loader's scan leaves in the store (one walk of
 * the log directory, through the file-system layer, locally and in object
 * storage alike); nothing here lists a folder or opens a file itself. */
#include "profiles.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/log.h"

struct tb_prof_store {
	tb_store *store;      /* its asset list names the trace files; NULL: none */
	char *root_name;      /* the run at the top of the log directory */
	pthread_mutex_t lock; /* guards runs, n_runs */
	tb_prof_run **runs;   /* by name; never removed, so pointers stay valid */
	size_t n_runs, cap_runs;
};

static const char *const view_names[TB_PROF_N_VIEWS] = {
    "Overview", "Operator", "Kernel", "Trace", "Distributed", "Memory", "Module",
};

const char *tb_prof_view_name(int v)
{
	return v >= 0 && v < TB_PROF_N_VIEWS ? view_names[v] : NULL;
}

/* ^(.*?)(\.\d+)?\.pt\.trace\.json(\.gz)?$ */
int tb_prof_split_name(char **worker, char **stamp, const char *file)
{
	static const char suffix[] = ".pt.trace.json";
	size_t n = strlen(file), sl = sizeof suffix - 1;
	if (n >= 3 && strcmp(file + n - 3, ".gz") == 0 && n - 3 >= sl &&
	    memcmp(file + n - 3 - sl, suffix, sl) == 0)
		n -= 3;
	if (n < sl || memcmp(file + n - sl, suffix, sl) != 0)
		return -1;
	n -= sl;
	/* the shortest worker: a trailing ".<digits>" is the timestamp */
	size_t d = n;
	while (d > 0 && file[d - 1] >= '0' && file[d - 1] <= '9')
		d--;
	if (d < n && d > 0 && file[d - 1] == '.') {
		*worker = tb_xstrndup(file, d - 1);
		*stamp = tb_xstrndup(file + d, n - d);
	} else {
		*worker = tb_xstrndup(file, n);
		*stamp = NULL;
	}
	return 0;
}

/* ---- finding runs ---------------------------------------------------------- */

/* Where a trace asset sits in its run. */
typedef struct trace_loc {
	char *dir;    /* the run folder */
	char *file;   /* the file's path below it */
	char *worker; /* PyTorch: from the file name; Chrome: the host */
	char *stamp;  /* PyTorch: the file name's timestamp or NULL; Chrome: the
		       * <stamp> folder, which is the span as it is */
	int chrome;   /* <run>/plugins/profile/<stamp>/<host>.trace.json[.gz] */
} trace_loc;

static void loc_free(trace_loc *l)
{
	free(l->dir);
	free(l->file);
	free(l->worker);
	free(l->stamp);
}

/* The host of another profiler's trace file name, or NULL. */
static char *chrome_host(const char *file)
{
	size_t n = strlen(file);
	if (n >= 3 && strcmp(file + n - 3, ".gz") == 0)
		n -= 3;
	static const char suffix[] = ".trace.json";
	size_t sl = sizeof suffix - 1;
	if (n <= sl || memcmp(file + n - sl, suffix, sl) != 0)
		return NULL;
	return tb_xstrndup(file, n - sl);
}

/* Where a trace asset sits: a PyTorch trace in its run folder, or another
 * profiler's in <run folder>/plugins/profile/<stamp>/; -1 for a file that
 * is neither (the scan notes more than is used). */
static int trace_loc_of(trace_loc *l, const tb_store_asset *a)
{
	memset(l, 0, sizeof *l);
	const char *slash = strrchr(a->path, '/');
	const char *file = slash ? slash + 1 : a->path;
	size_t dn = slash ? (size_t)(slash - a->path) : 0;
	if (tb_prof_split_name(&l->worker, &l->stamp, file) == 0) {
		l->dir = tb_xstrndup(a->path, dn);
		l->file = tb_xstrdup(file);
		return 0;
	}
	static const char mid[] = "plugins/profile/";
	size_t ml = sizeof mid - 1, s = dn;
	while (s > 0 && a->path[s - 1] != '/')
		s--;
	if (s == dn || s < ml || memcmp(a->path + s - ml, mid, ml) != 0 ||
	    (s > ml && a->path[s - ml - 1] != '/') || !(l->worker = chrome_host(file)))
		return -1;
	l->chrome = 1;
	l->stamp = tb_xstrndup(a->path + s, dn - s);
	l->dir = s > ml ? tb_xstrndup(a->path, s - ml - 1) : tb_xstrdup(".");
	l->file = tb_xstrdup(a->path + s - ml);
	return 0;
}

static void add_run(tb_prof_store *s, const char *name, const char *dir)
{
	size_t lo = 0, hi = s->n_runs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(s->runs[mid]->name, name);
		if (c == 0)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	s->runs = tb_xgrow(s->runs, &s->cap_runs, s->n_runs + 1, sizeof *s->runs);
	memmove(s->runs + lo + 1, s->runs + lo, (s->n_runs - lo) * sizeof *s->runs);
	tb_prof_run *r = tb_xcalloc(1, sizeof *r);
	r->name = tb_xstrdup(name);
	r->dir = tb_xstrdup(dir);
	pthread_mutex_init(&r->lock, NULL);
	s->runs[lo] = r;
	s->n_runs++;
}

/* The run name of a folder the scan names `run`: its path below the log
 * directory, the top folder by the log directory's base name, the top
 * folder of a named source (--logdir_spec) by that name. */
static char *run_name(const tb_prof_store *s, const char *run)
{
	size_t n = strlen(run);
	if (strcmp(run, ".") == 0)
		return tb_xstrdup(s->root_name);
	if (n > 2 && strcmp(run + n - 2, "/.") == 0)
		return tb_xstrndup(run, n - 2);
	return tb_xstrdup(run);
}

static void find_runs(tb_prof_store *s)
{
	tb_store_asset *v = NULL;
	size_t n = s->store ? tb_store_assets(&v, s->store, TB_ASSET_PROFILE_TRACE) : 0;
	for (size_t i = 0; i < n; i++) {
		trace_loc l;
		if (trace_loc_of(&l, &v[i]) != 0)
			continue;
		char *name = run_name(s, v[i].run);
		add_run(s, name, l.dir);
		free(name);
		loc_free(&l);
	}
	tb_store_assets_free(v, n);
}

tb_prof_store *tb_prof_store_new(tb_store *store, const char *logdir)
{
	tb_prof_store *s = tb_xcalloc(1, sizeof *s);
	s->store = store;
	size_t n = logdir ? strlen(logdir) : 0;
	while (n > 1 && logdir[n - 1] == '/')
		n--;
	const char *base = logdir ? logdir : ".";
	for (size_t i = 0; i + 1 < n; i++)
		if (logdir[i] == '/')
			base = logdir + i + 1;
	s->root_name = logdir ? tb_xstrndup(base, n - (size_t)(base - logdir)) : tb_xstrdup(".");
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void profile_clear(tb_prof_profile *p)
{
	free(p->worker);
	free(p->span);
	free(p->file);
	free(p->path);
	tb_prof_trace_free(p->trace);
}

void tb_prof_store_free(tb_prof_store *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_runs; i++) {
		tb_prof_run *r = s->runs[i];
		for (size_t k = 0; k < r->n_profiles; k++)
			profile_clear(&r->profiles[k]);
		free(r->profiles);
		for (size_t k = 0; k < r->n_dist_spans; k++)
			free(r->dist_spans[k]);
		free(r->dist_spans);
		pthread_mutex_destroy(&r->lock);
		free(r->name);
		free(r->dir);
		free(r);
	}
	free(s->runs);
	pthread_mutex_destroy(&s->lock);
	free(s->root_name);
	free(s);
}

void tb_prof_store_scan(tb_prof_store *s)
{
	pthread_mutex_lock(&s->lock);
	find_runs(s);
	pthread_mutex_unlock(&s->lock);
}

size_t tb_prof_store_names(char ***out, tb_prof_store *s)
{
	pthread_mutex_lock(&s->lock);
	char **names = tb_xcalloc(s->n_runs + 1, sizeof *names);
	for (size_t i = 0; i < s->n_runs; i++)
		names[i] = tb_xstrdup(s->runs[i]->name);
	size_t n = s->n_runs;
	pthread_mutex_unlock(&s->lock);
	*out = names;
	return n;
}

void tb_prof_names_free(char **names)
{
	if (!names)
		return;
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

/* ---- loading a run ---------------------------------------------------------- */

typedef trace_loc entry;

/* PyTorch traces first, by worker, then timestamp; other profilers' after */
static int cmp_entry_stamp(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	int c = x->chrome - y->chrome;
	if (c)
		return c;
	c = strcmp(x->worker, y->worker);
	if (c)
		return c;
	if (!x->stamp || !y->stamp)
		return !x->stamp - !y->stamp;
	c = strcmp(x->stamp, y->stamp);
	return c ? c : strcmp(x->file, y->file);
}

static int cmp_profile(const void *a, const void *b)
{
	const tb_prof_profile *x = a, *y = b;
	int c = strcmp(x->worker, y->worker);
	return c ? c : strcmp(x->span, y->span);
}

static unsigned views_of(const tb_prof_trace *t)
{
	if (t->status == TB_PROF_CHROME)
		return 1u << TB_PROF_TRACE;
	if (t->status != TB_PROF_OK)
		return 0;
	unsigned v = 1u << TB_PROF_OVERVIEW | 1u << TB_PROF_OPERATOR | 1u << TB_PROF_TRACE;
	if (t->has_kernel)
		v |= 1u << TB_PROF_KERNEL;
	if (t->has_memory)
		v |= 1u << TB_PROF_MEMORY;
	if (t->has_module)
		v |= 1u << TB_PROF_MODULE;
	return v;
}

/* The reference's test for a Distributed view of one span: every parsed
 * worker has communication operators, as many as the first, each with as
 * many kernel ranges as the first's. */
static int span_distributed(const tb_prof_run *r, const char *span)
{
	const tb_prof_trace *first = NULL;
	int any = 0;
	for (size_t i = 0; i < r->n_profiles; i++) {
		const tb_prof_profile *p = &r->profiles[i];
		if (strcmp(p->span, span) != 0 || p->trace->status != TB_PROF_OK)
			continue;
		const tb_prof_trace *t = p->trace;
		any = 1;
		if (!t->n_comm_ops || !t->n_comms)
			return 0;
		if (!first) {
			first = t;
			continue;
		}
		if (t->n_comms != first->n_comms)
			return 0;
		for (size_t k = 0; k < t->n_comms; k++)
			if (t->comms[k].ranges != first->comms[k].ranges)
				return 0;
	}
	return any;
}

static void load_run(tb_prof_store *s, tb_prof_run *r)
{
	entry *es = NULL;
	size_t n = 0, cap = 0;
	tb_store_asset *v = NULL;
	size_t nv = s->store ? tb_store_assets(&v, s->store, TB_ASSET_PROFILE_TRACE) : 0;
	for (size_t i = 0; i < nv; i++) {
		entry e;
		if (trace_loc_of(&e, &v[i]) != 0)
			continue;
		char *name = run_name(s, v[i].run);
		/* one folder may be two runs (two sources of --logdir_spec) */
		int here = strcmp(e.dir, r->dir) == 0 && strcmp(name, r->name) == 0;
		free(name);
		if (!here) {
			loc_free(&e);
			continue;
		}
		es = tb_xgrow(es, &cap, n + 1, sizeof *es);
		es[n++] = e;
	}
	tb_store_assets_free(v, nv);
	/* number the timestamps of each worker 1.. in string order; files
	 * with the same worker and timestamp share the number */
	if (n)
		qsort(es, n, sizeof *es, cmp_entry_stamp);
	r->profiles = tb_xcalloc(n ? n : 1, sizeof *r->profiles);
	size_t idx = 0, dup_pending = 0;
	for (size_t i = 0; i < n; i++) {
		entry *e = &es[i];
		if (i == 0 || strcmp(e->worker, es[i - 1].worker) != 0)
			idx = 0;
		tb_prof_profile *p = &r->profiles[r->n_profiles++];
		p->worker = e->worker;
		if (e->chrome) {
			p->span = e->stamp;
			e->stamp = NULL;
		} else if (e->stamp) {
			/* equal timestamps all take the number of the last of them */
			if (dup_pending) {
				dup_pending--;
			} else {
				idx++;
				for (size_t j = i;
				     j + 1 < n && es[j + 1].stamp && !es[j + 1].chrome &&
				     strcmp(es[j + 1].worker, e->worker) == 0 &&
				     strcmp(es[j + 1].stamp, e->stamp) == 0;
				     j++)
					idx++, dup_pending++;
			}
			p->span = tb_xasprintf("%zu", idx);
		} else {
			p->span = tb_xstrdup("default");
		}
		free(e->stamp);
		free(e->dir);
		p->file = e->file;
		p->path = tb_xasprintf("%s/%s", r->dir, e->file);
		if (e->chrome)
			tb_prof_trace_read_chrome(&p->trace, p->path);
		else
			tb_prof_trace_read(&p->trace, p->path);
		p->views = views_of(p->trace);
		if (p->trace->status == TB_PROF_BAD)
			tb_log_warn("profile: run %s: %s is not used: %s", r->name, p->file,
				    p->trace->error);
		else if (p->trace->status == TB_PROF_LEGACY)
			tb_log_info(
			    "profile: run %s: %s is a legacy event array: listed without views",
			    r->name, p->file);
	}
	free(es);
	if (r->n_profiles)
		qsort(r->profiles, r->n_profiles, sizeof *r->profiles, cmp_profile);
	/* one profile per (worker, span): a later file replaces an earlier */
	size_t k = 0;
	for (size_t i = 0; i < r->n_profiles; i++) {
		if (k && cmp_profile(&r->profiles[k - 1], &r->profiles[i]) == 0) {
			profile_clear(&r->profiles[k - 1]);
			r->profiles[k - 1] = r->profiles[i];
			continue;
		}
		r->profiles[k++] = r->profiles[i];
	}
	r->n_profiles = k;
	for (size_t i = 0; i < r->n_profiles; i++) {
		const char *span = r->profiles[i].span;
		int seen = 0;
		for (size_t j = 0; j < r->n_dist_spans; j++)
			seen |= strcmp(r->dist_spans[j], span) == 0;
		if (seen || !span_distributed(r, span))
			continue;
		r->dist_spans =
		    tb_xrealloc(r->dist_spans, (r->n_dist_spans + 1) * sizeof *r->dist_spans);
		r->dist_spans[r->n_dist_spans++] = tb_xstrdup(span);
	}
	r->loaded = 1;
}

tb_prof_run *tb_prof_store_run(tb_prof_store *s, const char *name)
{
	tb_prof_run *r = NULL;
	pthread_mutex_lock(&s->lock);
	for (int pass = 0; pass < 2 && !r; pass++) {
		if (pass)
			find_runs(s);
		for (size_t i = 0; i < s->n_runs && !r; i++)
			if (strcmp(s->runs[i]->name, name) == 0)
				r = s->runs[i];
	}
	pthread_mutex_unlock(&s->lock);
	if (!r)
		return NULL;
	pthread_mutex_lock(&r->lock);
	if (!r->loaded)
		load_run(s, r);
	pthread_mutex_unlock(&r->lock);
	return r;
}

unsigned tb_prof_run_views(const tb_prof_run *r)
{
	unsigned v = 0;
	for (size_t i = 0; i < r->n_profiles; i++)
		v |= r->profiles[i].views;
	if (r->n_dist_spans)
		v |= 1u << TB_PROF_DISTRIBUTED;
	return v;
}

const tb_prof_profile *tb_prof_run_profile(const tb_prof_run *r, const char *worker,
					   const char *span)
{
	for (size_t i = 0; i < r->n_profiles; i++)
		if (r->profiles[i].trace->status == TB_PROF_OK &&
		    strcmp(r->profiles[i].worker, worker) == 0 &&
		    strcmp(r->profiles[i].span, span) == 0)
			return &r->profiles[i];
	return NULL;
}

int tb_prof_run_chrome(const tb_prof_run *r, const char *worker, const char *span)
{
	for (size_t i = 0; i < r->n_profiles; i++)
		if (r->profiles[i].trace->status == TB_PROF_CHROME &&
		    strcmp(r->profiles[i].worker, worker) == 0 &&
		    strcmp(r->profiles[i].span, span) == 0)
			return 1;
	return 0;
}

int tb_prof_run_has_dist(const tb_prof_run *r, const char *span)
{
	for (size_t i = 0; i < r->n_dist_spans; i++)
		if (strcmp(r->dist_spans[i], span) == 0)
			return 1;
	return 0;
}
