/* The Memory view's tables under /data/plugin/pytorch_profiler/: memory
 * (allocation statistics per device and operator) and memory_events
 * (allocations paired with their frees), each for the whole trace or the
 * time range start_ts..end_ts (absolute trace microseconds, as the page
 * computes them from a selection on the memory curve). Answered as the
 * reference plugin answers; src/profile/memory.c computes the rows. Also
 * the Module view's routes: module (the nn.Module hierarchy with its
 * times, src/profile/modules.c) and tree (the operator tree of the
 * trace's first thread: the copy the load kept for the memory tables and
 * the Module view, or for other traces the trace read again). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "profile_views.h"
#include "profile/memory.h"
#include "profile/modules.h"
#include "profile/optree.h"

/* The reference's DisplayRounder(2): Python's round(v, 2), or for
 * smaller magnitudes round to the first significant digit's place. */
static double display_round(double v)
{
	double a = fabs(v);
	int digits = 2;
	if (!(a >= 0.01 || v == 0))
		digits = (int)fabs(floor(log10(a)));
	char buf[400];
	snprintf(buf, sizeof buf, "%.*f", digits, v);
	return strtod(buf, NULL);
}

/* Parse an optional integer bound; -1 after answering 400. */
static int bound(int *has, double *out, tb_resp *resp, const tb_req *req, const char *name)
{
	const char *v = tb_req_query(req, name);
	*has = 0;
	if (!v)
		return 0;
	char *end;
	long long x = strtoll(v, &end, 10);
	if (!*v || *end) {
		tb_resp_error(resp, 400, "%s must be an integer", name);
		return -1;
	}
	*has = 1;
	*out = (double)x;
	return 0;
}

/* The profile's memory tables and the time range asked for; 0, or -1
 * after answering. */
static int need_memory(tb_prof_mrange *r, const tb_profile_ask *a)
{
	const tb_prof_profile *p = a->profile;
	if (!p->trace->memory || !tb_prof_memory_count(p->trace->memory)) {
		tb_resp_error(a->resp, 404, "%s has no memory events", p->file);
		return -1;
	}
	memset(r, 0, sizeof *r);
	if (bound(&r->has_start, &r->start, a->resp, a->req, "start_ts") != 0 ||
	    bound(&r->has_end, &r->end, a->resp, a->req, "end_ts") != 0)
		return -1;
	return 0;
}

static int need_unit(const char **name, double *factor, tb_resp *resp, const tb_req *req,
		     int memory)
{
	const char *q = tb_req_query(req, memory ? "memory_metric" : "time_metric");
	if (tb_profile_unit(name, factor, memory, q ? q : memory ? "KB" : "ms") != 0) {
		tb_resp_error(resp, 400, "unknown %s", memory ? "memory_metric" : "time_metric");
		return -1;
	}
	return 0;
}

static void column(tb_json *j, const char *name, const char *type, const char *tooltip)
{
	tb_profile_json_strs(j, 3,
			     (const char *const[]){"name", name, "type", type, "tooltip", tooltip});
}

/* Open the answer and its metadata (left open): the title and the
 * default device, the first GPU among devs (sorted by name), else CPU. */
static void begin_table(tb_json *j, const char *title, const int *devs, size_t nd)
{
	char dev[32] = "CPU";
	for (size_t i = 0; i < nd && !strcmp(dev, "CPU"); i++)
		if (devs[i] >= 0)
			tb_prof_device_name(dev, sizeof dev, devs[i]);
	tb_json_obj_begin(j);
	tb_json_key(j, "metadata");
	tb_json_obj_begin(j);
	tb_json_key_str(j, "title", title);
	tb_json_key_str(j, "default_device", dev);
}

static void handle_memory(tb_json *j, const tb_profile_ask *a)
{
	tb_prof_mrange r;
	const char *unit;
	double f;
	if (need_memory(&r, a) != 0 || need_unit(&unit, &f, a->resp, a->req, 1) != 0)
		return;
	const tb_prof_profile *p = a->profile;
	tb_prof_memstat *rows;
	size_t n = tb_prof_memory_stats(&rows, p->trace->memory, &r);
	int *devs = tb_xmalloc((n + 1) * sizeof *devs);
	size_t nd = 0;
	for (size_t i = 0; i < n; i++)
		if (!nd || devs[nd - 1] != rows[i].device)
			devs[nd++] = rows[i].device;
	char dev[32], text[96];
	begin_table(j, "Memory View", devs, nd);
	tb_json_key_str(j, "search", "Operator Name");
	tb_json_key(j, "sort");
	snprintf(text, sizeof text, "Self Size Increase (%s)", unit);
	tb_json_str(j, text);
	tb_json_obj_end(j);
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	column(j, "Operator Name", "string", NULL);
	column(j, "Calls", "number", "# of calls of the operator.");
	snprintf(text, sizeof text, "Size Increase (%s)", unit);
	column(j, text, "number", "The memory increase size include all children operators.");
	snprintf(text, sizeof text, "Self Size Increase (%s)", unit);
	column(j, text, "number", "The memory increase size associated with the operator itself.");
	column(j, "Allocation Count", "number",
	       "The allocation count including all chidren operators.");
	column(j, "Self Allocation Count", "number",
	       "The allocation count belonging to the operator itself.");
	snprintf(text, sizeof text, "Allocation Size (%s)", unit);
	column(j, text, "number", "The allocation size including all children operators.");
	snprintf(text, sizeof text, "Self Allocation Size (%s)", unit);
	column(j, text, "number",
	       "The allocation size belonging to the operator itself.\n"
	       "It will sum up all allocation bytes without considering the memory free.");
	tb_json_arr_end(j);
	tb_json_key(j, "rows");
	tb_json_obj_begin(j);
	for (size_t i = 0; i < n; i++) {
		const tb_prof_memstat *s = &rows[i];
		if (i == 0 || rows[i - 1].device != s->device) {
			if (i)
				tb_json_arr_end(j);
			tb_prof_device_name(dev, sizeof dev, s->device);
			tb_json_key(j, dev);
			tb_json_arr_begin(j);
		}
		tb_json_arr_begin(j);
		tb_json_str(j, s->name);
		tb_json_int(j, (int64_t)s->calls);
		tb_json_double(j, display_round(f * (double)s->v[TB_MS_INCREASE]));
		tb_json_double(j, display_round(f * (double)s->v[TB_MS_SELF_INCREASE]));
		tb_json_int(j, s->v[TB_MS_ALLOC_COUNT]);
		tb_json_int(j, s->v[TB_MS_SELF_ALLOC_COUNT]);
		tb_json_double(j, display_round(f * (double)s->v[TB_MS_ALLOC_SIZE]));
		tb_json_double(j, display_round(f * (double)s->v[TB_MS_SELF_ALLOC_SIZE]));
		tb_json_arr_end(j);
	}
	if (n)
		tb_json_arr_end(j);
	tb_json_obj_end(j);
	tb_json_obj_end(j);
	free(devs);
	free(rows);
}

/* The reference's label of an allocation: aten::empty* is named after
 * its caller, "<parent> (aten::empty)". */
static void event_name(tb_json *j, const tb_prof_memevent *e)
{
	const char *op = e->op ? e->op : "<unknown>";
	if (strncmp(op, "aten::empty", 11) == 0 && e->parent) {
		char *s = tb_xasprintf("%s (%s)", e->parent, op);
		tb_json_str(j, s);
		free(s);
	} else {
		tb_json_str(j, op);
	}
}

static void handle_memory_events(tb_json *j, const tb_profile_ask *a)
{
	tb_prof_mrange r;
	const char *unit, *tunit;
	double f, tf;
	if (need_memory(&r, a) != 0 || need_unit(&unit, &f, a->resp, a->req, 1) != 0 ||
	    need_unit(&tunit, &tf, a->resp, a->req, 0) != 0)
		return;
	const tb_prof_profile *p = a->profile;
	tb_prof_memevent *ev;
	size_t n = tb_prof_memory_events(&ev, p->trace->memory, &r);
	double first = p->trace->start.v;
	/* the devices, in name order; rows keep their order per device */
	int *devs = tb_xmalloc((n + 1) * sizeof *devs);
	size_t nd = 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;
		while (k < nd && devs[k] != ev[i].device)
			k++;
		if (k == nd && ev[i].device != TB_PROF_MEM_NODEV)
			devs[nd++] = ev[i].device;
	}
	if (nd)
		qsort(devs, nd, sizeof *devs, tb_prof_device_cmp);
	char dev[32], text[64];
	begin_table(j, "Memory Events", devs, nd);
	tb_json_obj_end(j);
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	column(j, "Operator", "string", "");
	snprintf(text, sizeof text, "Size (%s)", unit);
	column(j, text, "number", "");
	snprintf(text, sizeof text, "Allocation Time (%s)", tunit);
	column(j, text, "number", "");
	snprintf(text, sizeof text, "Release Time (%s)", tunit);
	column(j, text, "number", "");
	snprintf(text, sizeof text, "Duration (%s)", tunit);
	column(j, text, "number", "");
	tb_json_arr_end(j);
	tb_json_key(j, "rows");
	tb_json_obj_begin(j);
	for (size_t d = 0; d < nd; d++) {
		tb_prof_device_name(dev, sizeof dev, devs[d]);
		tb_json_key(j, dev);
		tb_json_arr_begin(j);
		for (size_t i = 0; i < n; i++) {
			const tb_prof_memevent *e = &ev[i];
			if (e->device != devs[d])
				continue;
			tb_json_arr_begin(j);
			event_name(j, e);
			tb_json_double(j, display_round(f * (double)e->bytes));
			if (e->has_alloc)
				tb_json_double(j, display_round(tf * (e->alloc_ts - first)));
			else
				tb_json_null(j);
			if (e->has_free)
				tb_json_double(j, display_round(tf * (e->free_ts - first)));
			else
				tb_json_null(j);
			if (e->has_alloc && e->has_free)
				tb_json_double(j, display_round(tf * (e->free_ts - e->alloc_ts)));
			else
				tb_json_null(j);
			tb_json_arr_end(j);
		}
		tb_json_arr_end(j);
	}
	tb_json_obj_end(j);
	tb_json_obj_end(j);
	free(devs);
	free(ev);
}

static const char *node_type(int kind)
{
	switch (kind) {
	case TB_OK_OPERATOR:
		return "Operator";
	case TB_OK_ANNOTATION:
		return "user_annotation";
	case TB_OK_PYTHON:
		return "Python";
	case TB_OK_MODULE:
		return "Module";
	case TB_OK_STEP:
		return "ProfilerStep";
	default:
		return "backward";
	}
}

static void tree_time(tb_json *j, double t)
{
	if (isnan(t))
		tb_json_null(j);
	else if (t == nearbyint(t) && fabs(t) < 9e18)
		tb_json_int(j, (int64_t)t);
	else
		tb_json_double(j, t);
}

static void tree_node(tb_json *j, const tb_prof_mnode *nodes, char *const *names, uint32_t ni)
{
	const tb_prof_mnode *n = &nodes[ni];
	tb_json_obj_begin(j);
	tb_json_key_str(j, "name", names[n->name]);
	tb_json_key(j, "start_time");
	tree_time(j, n->start);
	tb_json_key(j, "end_time");
	tree_time(j, n->end);
	tb_json_key_str(j, "type", node_type(n->kind));
	tb_json_key(j, "tid");
	tb_json_int(j, n->tid);
	tb_json_key(j, "children");
	tb_json_arr_begin(j);
	for (uint32_t c = 0; c < n->n; c++)
		tree_node(j, nodes, names, n->first + c);
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

/* The first thread's tree of m, or 404 when it has none. */
static void put_tree(tb_json *j, const tb_profile_ask *a, const tb_prof_memory *m)
{
	const tb_prof_mnode *nodes;
	char *const *names;
	int64_t root = tb_prof_memory_tree(&nodes, &names, m);
	if (root < 0)
		tb_resp_error(a->resp, 404, "the trace of %s has no operators", a->profile->worker);
	else
		tree_node(j, nodes, names, (uint32_t)root);
}

/* The trace read again with the copy of its operator tree, or NULL after
 * answering 404. */
static void *read_tree(const tb_profile_ask *a, void *payload)
{
	(void)payload;
	tb_prof_trace *t;
	tb_prof_trace_read_copy(&t, a->profile->path);
	const tb_prof_mnode *nodes;
	char *const *names;
	if (tb_prof_memory_tree(&nodes, &names, t->memory) < 0) {
		tb_resp_error(a->resp, 404, "the trace of %s has no operators", a->profile->worker);
		tb_prof_trace_free(t);
		return NULL;
	}
	return t;
}

static void use_tree(tb_json *j, const tb_profile_ask *a, void *value, void *payload)
{
	(void)payload;
	put_tree(j, a, ((const tb_prof_trace *)value)->memory);
}

static void drop_trace(void *value)
{
	tb_prof_trace_free(value);
}

/* From the copy the load kept (traces with [memory] or module events),
 * else from the trace read again, kept in the shared cache. */
static void handle_tree(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_profile *p = a->profile;
	if (p->trace->memory) {
		put_tree(j, a, p->trace->memory);
		return;
	}
	static const tb_profile_build b = {read_tree, use_tree, drop_trace, NULL};
	char *key = tb_xasprintf("tree\n%s", p->path);
	tb_profile_cached(j, a, key, &b);
	free(key);
}

static void module_row(tb_json *j, const tb_prof_modrow *rows, size_t i)
{
	const tb_prof_modrow *r = &rows[i];
	tb_json_obj_begin(j);
	tb_json_key_str(j, "name", r->name);
	tb_json_key(j, "id");
	tb_json_int(j, r->id);
	tb_json_key(j, "occurences");
	tb_json_int(j, (int64_t)r->occurrences);
	tb_json_key(j, "operators");
	tb_json_int(j, (int64_t)r->operators);
	static const char *const keys[] = {"host_duration", "self_host_duration", "device_duration",
					   "self_device_duration", "avg_duration"};
	const double v[] = {r->host, r->self_host, r->device, r->self_device, r->avg};
	for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		tb_json_key(j, keys[k]);
		tree_time(j, v[k]);
	}
	tb_json_key(j, "children");
	tb_json_arr_begin(j);
	size_t c = i + 1;
	for (uint32_t k = 0; k < r->n_children; k++) {
		module_row(j, rows, c);
		c += rows[c].size;
	}
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

static void handle_module(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_profile *p = a->profile;
	const tb_prof_modrow *rows;
	size_t n = tb_prof_modules_rows(&rows, p->trace->modules);
	if (!n) {
		tb_resp_error(a->resp, 404, "could not find the run for %s/%s/%s",
			      tb_req_query(a->req, "run"), p->worker, p->span);
		return;
	}
	tb_json_obj_begin(j);
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	static const char *const cols[][3] = {
	    {"Module Name", "string", "name"},
	    {"Occurences", "number", "occurences"},
	    {"Operators", "number", "operators"},
	    {"Host Total Time", "number", "host_duration"},
	    {"Host Self Time", "number", "self_host_duration"},
	    {"Device Total Time", "number", "device_duration"},
	    {"Device Self Time", "number", "self_device_duration"},
	};
	for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
		tb_profile_json_strs(j, 3,
				     (const char *const[]){"name", cols[i][0], "type", cols[i][1],
							   "key", cols[i][2]});
	tb_json_arr_end(j);
	tb_json_key(j, "data");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i += rows[i].size)
		module_row(j, rows, i);
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

static tb_profile_route routes[] = {
    {"/memory", handle_memory, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/memory_events", handle_memory_events, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/tree", handle_tree, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/module", handle_module, TB_PROFILE_PROFILE, {NULL}, NULL},
};

void tb_profile_memory_register(tb_router *r, tb_dash *d)
{
	tb_profile_routes(r, d, routes, sizeof routes / sizeof routes[0]);
}
