/* Profile dashboard routes under /data/plugin/pytorch_profiler/: PyTorch
 * profiler traces found beside the event files, answered as the reference
 * plugin (torch-tb-profiler 0.4.3) answers (spec: docs/HTTP_API.md,
 * "Profile"). The traces are read by src/profile/ the first time a run is
 * asked for; these handlers only format its summaries.
 *
 * Served so far: runs, views, workers, spans, the Kernel view (kernel,
 * kernel/table grouped by kernel, kernel/tc_pie) and trace for traces
 * without GPU kernels. The other routes answer 501 until they are built.
 * Errors are plain-text 4xx, also where the reference fails with 500. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/alloc.h"
#include "dash.h"
#include "profile/profiles.h"

#define PREFIX "/data/plugin/pytorch_profiler"

static pthread_once_t store_once = PTHREAD_ONCE_INIT;
static tb_prof_store *store;
static const char *store_logdir;

static void store_init(void)
{
	store = tb_prof_store_new(store_logdir);
}

static tb_prof_store *get_store(const tb_dash *d)
{
	store_logdir = d->logdir;
	pthread_once(&store_once, store_init);
	return store;
}

int tb_profile_active(tb_dash *d)
{
	tb_prof_store *s = get_store(d);
	tb_prof_store_scan(s);
	char **names = NULL;
	size_t n = tb_prof_store_names(&names, s);
	tb_prof_names_free(names);
	return n > 0;
}

static void begin_json(tb_resp *resp, tb_json *j)
{
	tb_resp_type(resp, "application/json");
	tb_json_init(j, tb_resp_body(resp));
}

/* A required query parameter, or NULL after answering 400. */
static const char *need(tb_resp *resp, const tb_req *req, const char *name)
{
	const char *v = tb_req_query(req, name);
	if (!v)
		tb_resp_error(resp, 400, "Must specify %s in request url", name);
	return v;
}

static tb_prof_run *need_run(tb_resp *resp, const tb_dash *d, const char *name)
{
	tb_prof_run *r = tb_prof_store_run(get_store(d), name);
	if (!r)
		tb_resp_error(resp, 404, "could not find the run for %s", name);
	return r;
}

/* The run named by the `run` parameter, once `param` (when not NULL) is
 * given too (its value in *value), or NULL after answering 400 or 404. */
static tb_prof_run *need_run_and(const char **value, tb_resp *resp, const tb_req *req,
				 const tb_dash *d, const char *param)
{
	const char *name = need(resp, req, "run");
	*value = name && param ? need(resp, req, param) : NULL;
	if (!name || (param && !*value))
		return NULL;
	return need_run(resp, d, name);
}

/* The profile named by run, worker and span, or NULL after answering. */
static const tb_prof_profile *need_profile(tb_resp *resp, const tb_req *req, const tb_dash *d)
{
	const char *worker;
	tb_prof_run *r = need_run_and(&worker, resp, req, d, "worker");
	if (!r)
		return NULL;
	const char *run = r->name;
	const char *span = tb_req_query(req, "span");
	const tb_prof_profile *p = span ? tb_prof_run_profile(r, worker, span) : NULL;
	if (!p && span && strcmp(worker, "All") == 0 && tb_prof_run_has_dist(r, span)) {
		tb_resp_error(resp, 400, "the profile of %s/All is the distributed one", run);
		return NULL;
	}
	if (!p)
		tb_resp_error(resp, 404, "could not find the profile for %s/%s/%s", run, worker,
			      span ? span : "None");
	return p;
}

/* ---- runs, views, workers, spans ------------------------------------------ */

static void handle_runs(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	tb_prof_store *s = get_store(payload);
	tb_prof_store_scan(s);
	char **names = NULL;
	size_t n = tb_prof_store_names(&names, s);
	tb_json j;
	begin_json(resp, &j);
	tb_json_obj_begin(&j);
	tb_json_key(&j, "runs");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < n; i++)
		tb_json_str(&j, names[i]);
	tb_json_arr_end(&j);
	tb_json_key(&j, "loading");
	tb_json_bool(&j, 0);
	tb_json_obj_end(&j);
	tb_prof_names_free(names);
}

static void handle_views(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *unused;
	tb_prof_run *r = need_run_and(&unused, resp, req, payload, NULL);
	if (!r)
		return;
	unsigned v = tb_prof_run_views(r);
	tb_json j;
	begin_json(resp, &j);
	tb_json_arr_begin(&j);
	for (int i = 0; i < TB_PROF_N_VIEWS; i++)
		if (v >> i & 1)
			tb_json_str(&j, tb_prof_view_name(i));
	tb_json_arr_end(&j);
}

static void handle_workers(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *view;
	tb_prof_run *r = need_run_and(&view, resp, req, payload, "view");
	if (!r)
		return;
	int vi = -1;
	for (int i = 0; i < TB_PROF_N_VIEWS; i++)
		if (strcmp(view, tb_prof_view_name(i)) == 0)
			vi = i;
	tb_json j;
	begin_json(resp, &j);
	tb_json_arr_begin(&j);
	if (vi == TB_PROF_DISTRIBUTED) {
		if (r->n_dist_spans)
			tb_json_str(&j, "All");
	} else if (vi >= 0) {
		/* profiles are sorted by worker: list each worker once */
		const char *prev = NULL;
		for (size_t i = 0; i < r->n_profiles; i++) {
			const tb_prof_profile *p = &r->profiles[i];
			if (!(p->views >> vi & 1) || (prev && strcmp(prev, p->worker) == 0))
				continue;
			tb_json_str(&j, p->worker);
			prev = p->worker;
		}
	}
	tb_json_arr_end(&j);
}

static void handle_spans(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *worker;
	tb_prof_run *r = need_run_and(&worker, resp, req, payload, "worker");
	if (!r)
		return;
	tb_json j;
	begin_json(resp, &j);
	tb_json_arr_begin(&j);
	if (strcmp(worker, "All") == 0) {
		/* dist_spans follow the profiles' order, which is sorted */
		for (size_t i = 0; i < r->n_dist_spans; i++)
			tb_json_str(&j, r->dist_spans[i]);
	}
	for (size_t i = 0; i < r->n_profiles; i++) {
		const tb_prof_profile *p = &r->profiles[i];
		if (p->trace->status == TB_PROF_OK && strcmp(p->worker, worker) == 0)
			tb_json_str(&j, p->span);
	}
	tb_json_arr_end(&j);
}

/* ---- Kernel view ------------------------------------------------------------ */

/* Python's round(x, 2) (correctly rounded, ties to even on the exact
 * binary value, as printf does). */
static double round2(double x)
{
	char buf[64];
	snprintf(buf, sizeof buf, "%.2f", x);
	return strtod(buf, NULL);
}

static void json_round(tb_json *j, double x)
{
	tb_json_int(j, (int64_t)nearbyint(x));
}

static void json_duration(tb_json *j, const tb_prof_trace *t, double x)
{
	if (t->kernel_dur_float)
		tb_json_double(j, x);
	else
		tb_json_int(j, (int64_t)x);
}

/* {"total": {"columns": [name, value], "rows": [ ... opened for the rows;
 * end_pie closes it. */
static void begin_pie(tb_json *j)
{
	tb_json_obj_begin(j);
	tb_json_key(j, "total");
	tb_json_obj_begin(j);
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	static const char *const cols[2][2] = {{"string", "name"}, {"number", "value"}};
	for (int i = 0; i < 2; i++) {
		tb_json_obj_begin(j);
		tb_json_key(j, "type");
		tb_json_str(j, cols[i][0]);
		tb_json_key(j, "name");
		tb_json_str(j, cols[i][1]);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_json_key(j, "rows");
	tb_json_arr_begin(j);
}

static void end_pie(tb_json *j)
{
	tb_json_arr_end(j);
	tb_json_obj_end(j);
	tb_json_obj_end(j);
}

/* Start a Kernel view answer: the trace, or NULL after answering null as
 * the reference does for a profile without kernels. */
static const tb_prof_trace *begin_kernel_answer(tb_json *j, tb_resp *resp,
						const tb_prof_profile *p)
{
	begin_json(resp, j);
	if (!p->trace->has_kernel) {
		tb_json_null(j);
		return NULL;
	}
	return p->trace;
}

static void handle_kernel(tb_resp *resp, const tb_req *req, void *payload)
{
	const tb_prof_profile *p = need_profile(resp, req, payload);
	if (!p)
		return;
	tb_json j;
	const tb_prof_trace *t = begin_kernel_answer(&j, resp, p);
	if (!t)
		return;
	begin_pie(&j);
	for (size_t i = 0; i < t->n_kernels; i++) {
		tb_json_arr_begin(&j);
		tb_json_str(&j, t->kernels[i].name);
		json_duration(&j, t, t->kernels[i].sum);
		tb_json_arr_end(&j);
	}
	end_pie(&j);
}

static void column(tb_json *j, const char *type, const char *name, const char *tooltip)
{
	tb_json_obj_begin(j);
	tb_json_key(j, "type");
	tb_json_str(j, type);
	tb_json_key(j, "name");
	tb_json_str(j, name);
	if (tooltip) {
		tb_json_key(j, "tooltip");
		tb_json_str(j, tooltip);
	}
	tb_json_obj_end(j);
}

/* The reference's column tooltips (answer text, kept verbatim). */
static const char TIP_USES_TC[] = "Whether this kernel uses Tensor Cores.";
static const char TIP_BLOCKS_PER_SM[] =
    "Blocks Per SM = blocks of this kernel / SM number of this GPU.\n"
    "If this number is less than 1, it indicates the GPU multiprocessors are not fully "
    "utilized.\n"
    "\"Mean Blocks per SM\" is the weighted average of all calls of this kernel, using each "
    "call's execution duration as weight.";
static const char TIP_OCCUPANCY[] =
    "Est. Achieved Occupancy:\n"
    "For most cases such as memory bandwidth bounded kernels, the higher the better. Occupancy "
    "is the ratio of active warps on an SM to the maximum number of active warps supported by "
    "the SM. The theoretical occupancy of a kernel is upper limit occupancy of this kernel, "
    "limited by multiple factors such as kernel shape, kernel used resource, and the GPU compute "
    "capability.\n"
    "Est. Achieved Occupancy of a kernel, OCC_K = min(threads of the kernel / SM number / max "
    "threads per SM, theoretical occupancy of the kernel). This \"Mean\" number is the weighted "
    "average of all calls' OCC_K of the kernel, using each call's execution duration as weight. "
    "It shows fine-grained low-level GPU utilization.";

static void handle_kernel_table(tb_resp *resp, const tb_req *req, void *payload)
{
	const tb_prof_profile *p = need_profile(resp, req, payload);
	if (!p)
		return;
	const char *group = tb_req_query(req, "group_by");
	if (!group || strcmp(group, "Kernel") != 0) {
		tb_resp_error(resp, 501, "kernel/table grouped by kernel and operator is not served yet");
		return;
	}
	tb_json j;
	const tb_prof_trace *t = begin_kernel_answer(&j, resp, p);
	if (!t)
		return;
	tb_json_obj_begin(&j);
	tb_json_key(&j, "metadata");
	tb_json_obj_begin(&j);
	tb_json_key(&j, "sort");
	tb_json_str(&j, "Total Duration (us)");
	tb_json_obj_end(&j);
	tb_json_key(&j, "data");
	tb_json_obj_begin(&j);
	tb_json_key(&j, "columns");
	tb_json_arr_begin(&j);
	column(&j, "string", "Name", NULL);
	column(&j, "string", "Tensor Cores Used", TIP_USES_TC);
	column(&j, "number", "Calls", NULL);
	column(&j, "number", "Total Duration (us)", NULL);
	column(&j, "number", "Mean Duration (us)", NULL);
	column(&j, "number", "Max Duration (us)", NULL);
	column(&j, "number", "Min Duration (us)", NULL);
	if (t->has_blocks_per_sm)
		column(&j, "number", "Mean Blocks Per SM", TIP_BLOCKS_PER_SM);
	if (t->has_occupancy)
		column(&j, "number", "Mean Est. Achieved Occupancy (%)", TIP_OCCUPANCY);
	tb_json_arr_end(&j);
	tb_json_key(&j, "rows");
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < t->n_kernels; i++) {
		const tb_prof_kernel *k = &t->kernels[i];
		tb_json_arr_begin(&j);
		tb_json_str(&j, k->name);
		tb_json_str(&j, k->tensor_cores ? "Yes" : "No");
		tb_json_int(&j, (int64_t)k->count);
		json_round(&j, k->sum);
		json_round(&j, k->sum / (double)k->count);
		json_round(&j, k->max);
		json_round(&j, k->min);
		/* duration-weighted means; 0 when the durations sum to 0 */
		if (t->has_blocks_per_sm) {
			if (k->sum != 0)
				tb_json_double(&j, round2(k->wbps / k->sum));
			else
				tb_json_int(&j, 0);
		}
		if (t->has_occupancy) {
			if (k->sum != 0)
				tb_json_double(&j, round2(k->wocc / k->sum));
			else
				tb_json_int(&j, 0);
		}
		tb_json_arr_end(&j);
	}
	tb_json_arr_end(&j);
	tb_json_obj_end(&j);
	tb_json_obj_end(&j);
}

static void handle_tc_pie(tb_resp *resp, const tb_req *req, void *payload)
{
	const tb_prof_profile *p = need_profile(resp, req, payload);
	if (!p)
		return;
	tb_json j;
	const tb_prof_trace *t = begin_kernel_answer(&j, resp, p);
	if (!t)
		return;
	double total = 0, tc = 0;
	for (size_t i = 0; i < t->n_kernels; i++) {
		total += t->kernels[i].sum;
		if (t->kernels[i].tensor_cores)
			tc += t->kernels[i].sum;
	}
	double ratio = total > 0 ? tc / total : 0.0;
	begin_pie(&j);
	tb_json_arr_begin(&j);
	tb_json_str(&j, "Using Tensor Cores");
	tb_json_double(&j, ratio);
	tb_json_arr_end(&j);
	tb_json_arr_begin(&j);
	tb_json_str(&j, "Not Using Tensor Cores");
	tb_json_double(&j, 1.0 - ratio);
	tb_json_arr_end(&j);
	end_pie(&j);
}

/* ---- Trace view ---------------------------------------------------------------- */

/* The trace file as JSON text. The reference splices GPU utilisation
 * counters into traces with kernels; those are not served yet. */
static void handle_trace(tb_resp *resp, const tb_req *req, void *payload)
{
	const tb_prof_profile *p = need_profile(resp, req, payload);
	if (!p)
		return;
	if (p->trace->has_kernel) {
		tb_resp_error(resp, 501, "the trace of a run with GPU kernels is not served yet");
		return;
	}
	gzFile f = gzopen(p->path, "rb");
	if (!f) {
		tb_resp_error(resp, 404, "cannot read %s", p->file);
		return;
	}
	tb_buf *body = tb_resp_body(resp);
	char buf[1 << 16];
	int n;
	while ((n = gzread(f, buf, sizeof buf)) > 0)
		tb_buf_append(body, buf, (size_t)n);
	int code = Z_OK;
	if (n < 0)
		gzerror(f, &code);
	gzclose(f);
	if (n < 0) {
		tb_resp_error(resp, 500, "cannot read %s", p->file);
		return;
	}
	tb_resp_type(resp, "application/json");
}

static void handle_not_yet(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	tb_resp_error(resp, 501, "%s is not served yet", tb_req_path(req));
}

void tb_profile_register(tb_router *r, tb_dash *d)
{
	static const char *const later[] = {
	    "/overview",	    "/operation",	   "/operation/table",	 "/operation/stack",
	    "/memory",		    "/memory_curve",	   "/memory_events",	 "/module",
	    "/tree",		    "/diff",		   "/diffnode",		 "/distributed/gpuinfo",
	    "/distributed/overlap", "/distributed/waittime", "/distributed/commops",
	};
	tb_router_add(r, PREFIX "/runs", handle_runs, d);
	tb_router_add(r, PREFIX "/views", handle_views, d);
	tb_router_add(r, PREFIX "/workers", handle_workers, d);
	tb_router_add(r, PREFIX "/spans", handle_spans, d);
	tb_router_add(r, PREFIX "/kernel", handle_kernel, d);
	tb_router_add(r, PREFIX "/kernel/table", handle_kernel_table, d);
	tb_router_add(r, PREFIX "/kernel/tc_pie", handle_tc_pie, d);
	tb_router_add(r, PREFIX "/trace", handle_trace, d);
	for (size_t i = 0; i < sizeof later / sizeof later[0]; i++) {
		char *path = tb_xasprintf(PREFIX "%s", later[i]);
		tb_router_add(r, path, handle_not_yet, d);
		free(path);
	}
}
