/* Profile dashboard routes under /data/plugin/pytorch_profiler/: PyTorch
 * profiler traces found beside the event files, answered as the reference
 * plugin (torch-tb-profiler 0.4.3) answers (spec: docs/HTTP_API.md,
 * "Profile"). The traces are read by src/profile/ the first time a run is
 * asked for; these handlers only format its summaries.
 *
 * Errors are plain-text 4xx, also where the reference fails with 500.
 * Every route's handler runs after profile_req.c found what it needs.
 * distributed/overlap, waittime and commops are in profile_dist.c, diff
 * and diffnode in profile_diff.c, memory, memory_events, module and tree
 * in profile_memory.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "dash.h"
#include "profile/memory.h"
#include "profile/profiles.h"
#include "profile_views.h"

int tb_profile_active(tb_dash *d)
{
	tb_prof_store *s = tb_profile_store(d);
	tb_prof_store_scan(s);
	char **names = NULL;
	size_t n = tb_prof_store_names(&names, s);
	tb_prof_names_free(names);
	return n > 0;
}

/* ---- runs, views, workers, spans ------------------------------------------ */

static void handle_runs(tb_json *j, const tb_profile_ask *a)
{
	tb_prof_store *s = tb_profile_store(a->dash);
	tb_prof_store_scan(s);
	char **names = NULL;
	size_t n = tb_prof_store_names(&names, s);
	tb_json_obj_begin(j);
	tb_json_key(j, "runs");
	tb_json_str_array(j, (const char *const *)names, n);
	tb_json_key(j, "loading");
	tb_json_bool(j, 0);
	tb_json_obj_end(j);
	tb_prof_names_free(names);
}

static void handle_views(tb_json *j, const tb_profile_ask *a)
{
	unsigned v = tb_prof_run_views(a->run);
	tb_json_arr_begin(j);
	for (int i = 0; i < TB_PROF_N_VIEWS; i++)
		if (v >> i & 1)
			tb_json_str(j, tb_prof_view_name(i));
	tb_json_arr_end(j);
}

static void handle_workers(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_run *r = a->run;
	const char *view = tb_req_query(a->req, "view");
	int vi = -1;
	for (int i = 0; i < TB_PROF_N_VIEWS; i++)
		if (strcmp(view, tb_prof_view_name(i)) == 0)
			vi = i;
	tb_json_arr_begin(j);
	if (vi == TB_PROF_DISTRIBUTED) {
		if (r->n_dist_spans)
			tb_json_str(j, "All");
	} else if (vi >= 0) {
		/* profiles are sorted by worker: list each worker once */
		const char *prev = NULL;
		for (size_t i = 0; i < r->n_profiles; i++) {
			const tb_prof_profile *p = &r->profiles[i];
			if (!(p->views >> vi & 1) || (prev && strcmp(prev, p->worker) == 0))
				continue;
			tb_json_str(j, p->worker);
			prev = p->worker;
		}
	}
	tb_json_arr_end(j);
}

static void handle_spans(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_run *r = a->run;
	const char *worker = tb_req_query(a->req, "worker");
	tb_json_arr_begin(j);
	if (strcmp(worker, "All") == 0) {
		/* dist_spans follow the profiles' order, which is sorted */
		for (size_t i = 0; i < r->n_dist_spans; i++)
			tb_json_str(j, r->dist_spans[i]);
	}
	for (size_t i = 0; i < r->n_profiles; i++) {
		const tb_prof_profile *p = &r->profiles[i];
		if (p->views && strcmp(p->worker, worker) == 0)
			tb_json_str(j, p->span);
	}
	tb_json_arr_end(j);
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

/* An integral double as a JSON int; beyond int64 (absurd input) as a
 * float, never an overflowing conversion. */
static void json_integral(tb_json *j, double x)
{
	if (x > -9e18 && x < 9e18)
		tb_json_int(j, (int64_t)x);
	else
		tb_json_double(j, x);
}

static void json_round(tb_json *j, double x)
{
	json_integral(j, nearbyint(x));
}

/* A time as the reference sums it: an int unless the trace's times have
 * fractions. */
static void json_time(tb_json *j, double x)
{
	if (x == nearbyint(x))
		json_integral(j, x);
	else
		tb_json_double(j, x);
}

static void put_json_num(tb_json *j, tb_prof_num n)
{
	if (n.is_float)
		tb_json_double(j, n.v);
	else
		json_integral(j, n.v);
}

static void json_duration(tb_json *j, const tb_prof_trace *t, double x)
{
	if (t->kernel_dur_float)
		tb_json_double(j, x);
	else
		json_integral(j, x);
}

/* A column of a table: {"type", "name"} and the tooltip when given. */
static void column(tb_json *j, const char *type, const char *name, const char *tooltip)
{
	tb_profile_json_strs(j, 3,
			     (const char *const[]){"type", type, "name", name, "tooltip", tooltip});
}

/* A pie chart's name/value columns, then open its rows. */
static void pie_rows_begin(tb_json *j)
{
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	column(j, "string", "name", NULL);
	column(j, "number", "value", NULL);
	tb_json_arr_end(j);
	tb_json_key(j, "rows");
	tb_json_arr_begin(j);
}

/* {"total": {"columns": [name, value], "rows": [ ... opened for the rows;
 * end_pie closes it. */
static void begin_pie(tb_json *j)
{
	tb_json_obj_begin(j);
	tb_json_key(j, "total");
	tb_json_obj_begin(j);
	pie_rows_begin(j);
}

static void end_pie(tb_json *j)
{
	tb_json_arr_end(j);
	tb_json_obj_end(j);
	tb_json_obj_end(j);
}

/* The trace of a Kernel view answer, or NULL after answering null as the
 * reference does for a profile without kernels. */
static const tb_prof_trace *kernel_trace(tb_json *j, const tb_prof_profile *p)
{
	if (!p->trace->has_kernel) {
		tb_json_null(j);
		return NULL;
	}
	return p->trace;
}

static void handle_kernel(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_trace *t = kernel_trace(j, a->profile);
	if (!t)
		return;
	begin_pie(j);
	for (size_t i = 0; i < t->n_kernels; i++) {
		tb_json_arr_begin(j);
		tb_json_str(j, t->kernels[i].name);
		json_duration(j, t, t->kernels[i].sum);
		tb_json_arr_end(j);
	}
	end_pie(j);
}

/* The reference's column tooltips (answer text, kept verbatim). */
static const char TIP_USES_TC[] = "Whether this kernel uses Tensor Cores.";
static const char TIP_BLOCKS_PER_SM[] =
    "Blocks Per SM = blocks of this kernel / SM number of this GPU.\n"
    "If this number is less than 1, it indicates the GPU multiprocessors are not fully "
    "utilized.\n"
    "\"Mean Blocks per SM\" is the weighted average of all calls of this kernel, using each "
    "call's execution duration as weight.";
#define TIP_OCC_COMMON                                                                             \
	"Est. Achieved Occupancy:\n"                                                               \
	"For most cases such as memory bandwidth bounded kernels, the higher the better. "         \
	"Occupancy is the ratio of active warps on an SM to the maximum number of active warps "   \
	"supported by the SM. The theoretical occupancy of a kernel is upper limit occupancy of "  \
	"this kernel, limited by multiple factors such as kernel shape, kernel used resource, "    \
	"and the GPU compute capability.\n"                                                        \
	"Est. Achieved Occupancy of a kernel, OCC_K = min(threads of the kernel / SM number / "    \
	"max threads per SM, theoretical occupancy of the kernel). "
static const char TIP_OCCUPANCY[] = TIP_OCC_COMMON
    "This \"Mean\" number is the weighted "
    "average of all calls' OCC_K of the kernel, using each call's execution duration as weight. "
    "It shows fine-grained low-level GPU utilization.";

/* Open a kernel table (sorted by total duration) and its columns, up to
 * the first, the kernel's name. */
static void begin_kernel_table(tb_json *j)
{
	tb_json_obj_begin(j);
	tb_json_key(j, "metadata");
	tb_json_obj_begin(j);
	tb_json_key_str(j, "sort", "Total Duration (us)");
	tb_json_obj_end(j);
	tb_json_key(j, "data");
	tb_json_obj_begin(j);
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	column(j, "string", "Name", NULL);
}

/* The duration statistics columns that close a kernel table's columns. */
static void end_kernel_columns(tb_json *j, const tb_prof_trace *t)
{
	column(j, "number", "Calls", NULL);
	column(j, "number", "Total Duration (us)", NULL);
	column(j, "number", "Mean Duration (us)", NULL);
	column(j, "number", "Max Duration (us)", NULL);
	column(j, "number", "Min Duration (us)", NULL);
	if (t->has_blocks_per_sm)
		column(j, "number", "Mean Blocks Per SM", TIP_BLOCKS_PER_SM);
	if (t->has_occupancy)
		column(j, "number", "Mean Est. Achieved Occupancy (%)", TIP_OCCUPANCY);
	tb_json_arr_end(j);
}

/* A row's duration-weighted means (weights wbps and wocc over durations
 * summing to sum) for the columns t has; the int 0 unless `weighted`. */
static void kernel_means(tb_json *j, const tb_prof_trace *t, int weighted, double sum, double wbps,
			 double wocc)
{
	if (t->has_blocks_per_sm) {
		if (weighted)
			tb_json_double(j, round2(wbps / sum));
		else
			tb_json_int(j, 0);
	}
	if (t->has_occupancy) {
		if (weighted)
			tb_json_double(j, round2(wocc / sum));
		else
			tb_json_int(j, 0);
	}
}

/* Close the rows and the table begin_kernel_table opened. */
static void end_kernel_table(tb_json *j)
{
	tb_json_arr_end(j);
	tb_json_obj_end(j);
	tb_json_obj_end(j);
}

/* Kernels grouped by name and the operator that launched them. */
static void kernel_op_table(tb_json *j, const tb_prof_trace *t)
{
	begin_kernel_table(j);
	column(j, "string", "Operator", NULL);
	column(j, "string", "Grid", NULL);
	column(j, "string", "Block", NULL);
	column(j, "number", "Register Per Thread", NULL);
	column(j, "number", "Shared Memory", NULL);
	column(j, "string", "Kernel Uses Tensor Cores", TIP_USES_TC);
	column(j, "string", "Op is Tensor Cores eligible",
	       "Whether the operator launched this kernel is eligible to use Tensor Cores.");
	end_kernel_columns(j, t);
	/* by total duration, descending, stable */
	size_t n = t->n_kops;
	size_t *order = tb_xmalloc((n ? n : 1) * sizeof *order);
	for (size_t i = 0; i < n; i++) {
		size_t k = i;
		while (k > 0 && t->kops[order[k - 1]].sum < t->kops[i].sum) {
			order[k] = order[k - 1];
			k--;
		}
		order[k] = i;
	}
	tb_json_key(j, "rows");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		const tb_prof_kopagg *k = &t->kops[order[i]];
		tb_json_arr_begin(j);
		tb_json_str(j, k->name);
		tb_json_str(j, k->op);
		tb_json_str(j, k->grid);
		tb_json_str(j, k->block);
		tb_json_str(j, k->regs);
		tb_json_str(j, k->shmem);
		tb_json_str(j, k->tc_used ? "Yes" : "No");
		tb_json_str(j, k->op_tc_eligible ? "Yes" : "No");
		tb_json_int(j, (int64_t)k->calls);
		json_time(j, k->sum);
		json_round(j, k->sum / (double)k->calls);
		json_time(j, k->max);
		json_time(j, k->min);
		kernel_means(j, t, k->sum > 0, k->sum, k->wbps, k->wocc);
		tb_json_arr_end(j);
	}
	end_kernel_table(j);
	free(order);
}

static void handle_kernel_table(tb_json *j, const tb_profile_ask *a)
{
	const char *group = tb_req_query(a->req, "group_by");
	const tb_prof_trace *t = kernel_trace(j, a->profile);
	if (!t)
		return;
	if (!group || strcmp(group, "Kernel") != 0) {
		kernel_op_table(j, t);
		return;
	}
	begin_kernel_table(j);
	column(j, "string", "Tensor Cores Used", TIP_USES_TC);
	end_kernel_columns(j, t);
	tb_json_key(j, "rows");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < t->n_kernels; i++) {
		const tb_prof_kernel *k = &t->kernels[i];
		tb_json_arr_begin(j);
		tb_json_str(j, k->name);
		tb_json_str(j, k->tensor_cores ? "Yes" : "No");
		tb_json_int(j, (int64_t)k->count);
		json_round(j, k->sum);
		json_round(j, k->sum / (double)k->count);
		json_round(j, k->max);
		json_round(j, k->min);
		kernel_means(j, t, k->sum != 0, k->sum, k->wbps, k->wocc);
		tb_json_arr_end(j);
	}
	end_kernel_table(j);
}

static void handle_tc_pie(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_trace *t = kernel_trace(j, a->profile);
	if (!t)
		return;
	double total = 0, tc = 0;
	for (size_t i = 0; i < t->n_kernels; i++) {
		total += t->kernels[i].sum;
		if (t->kernels[i].tensor_cores)
			tc += t->kernels[i].sum;
	}
	double ratio = total > 0 ? tc / total : 0.0;
	begin_pie(j);
	tb_json_arr_begin(j);
	tb_json_str(j, "Using Tensor Cores");
	tb_json_double(j, ratio);
	tb_json_arr_end(j);
	tb_json_arr_begin(j);
	tb_json_str(j, "Not Using Tensor Cores");
	tb_json_double(j, 1.0 - ratio);
	tb_json_arr_end(j);
	end_pie(j);
}

/* ---- Overview -------------------------------------------------------------------- */

static void py_num(char *out, tb_prof_num n)
{
	if (n.is_float || !(n.v > -9e18 && n.v < 9e18))
		tb_fmt_double(out, n.v);
	else
		snprintf(out, 40, "%lld", (long long)n.v);
}

static const char *const role_names[TB_PROF_N_ROLES] = {
    "Kernel", "Memcpy", "Memset", "Communication", "Runtime", "DataLoader", "CPU Exec", "Other",
};

/* The step chart's tooltip of one part, as the reference writes it. */
static void part_tooltip(tb_json *j, const tb_prof_step *st, int role)
{
	char total[40], part[40], pct[40];
	py_num(total, st->total);
	py_num(part, st->cost[role]);
	tb_fmt_double(pct, st->total.v == 0 ? 0.0 : round2(100 * st->cost[role].v / st->total.v));
	char *text =
	    tb_xasprintf("<div class=\"visualization-tooltip\" style=\"white-space: nowrap;\">"
			 "Step %s<br>Total: %sus<br><b>%s: %sus</b><br>Percentage: %s%%</div>",
			 st->name, total, role_names[role], part, pct);
	tb_json_str(j, text);
	free(text);
}

static void href(tb_buf *b, const char *text, const char *url)
{
	tb_buf_printf(b, "<a href=\"%s\" target=\"_blank\">%s</a>", url, text);
}

/* The reference's GPU ids "0, 1and 2" with its verb ("has" only when
 * that text is one character long). */
static void gpu_list(tb_buf *b, const tb_prof_trace *t, const size_t *low, size_t n)
{
	tb_buf ids = TB_BUF_INIT;
	for (size_t i = 0; i < n; i++)
		tb_buf_printf(&ids,
			      i == 0	   ? "%d"
			      : i == n - 1 ? "and %d"
					   : ", %d",
			      t->gpus[low[i]].id);
	tb_buf_printf(b, "%s %s", ids.ptr, ids.len == 1 ? "has" : "have");
	tb_buf_free(&ids);
}

/* The reference's recommendations, as <li> items, in its order. */
static void recommendations(tb_buf *b, const tb_prof_trace *t, const double *avg)
{
	double total = avg[TB_PROF_N_ROLES];
	double dl = total != 0 ? avg[TB_PROF_ROLE_DATALOADER] / total : 0;
	if (dl > 0.05) {
		tb_buf_printf(
		    b,
		    "<li>This run has high time cost on input data loading. %.1f%% of the step "
		    "time is in DataLoader. You could try to set num_workers on DataLoader's "
		    "construction and ",
		    dl * 100);
		href(b, "enable multi-processes on data loading",
		     "https://pytorch.org/docs/stable/"
		     "data.html#single-and-multi-process-data-loading");
		tb_buf_puts(b, ".</li>");
	}
	if (t->use_dp && t->n_used_devices > 1) {
		tb_buf_puts(b, "<li>It is recommended to ");
		href(b, "use DistributedDataParallel instead of DataParallel",
		     "https://pytorch.org/docs/stable/notes/cuda.html#cuda-nn-ddp-instead");
		tb_buf_puts(b, " to do multi-GPU training.</li>");
	}
	if (t->use_ddp && !(t->comm_libs & TB_PROF_NCCL)) {
		for (size_t i = 0; i < t->n_devices; i++) {
			const tb_prof_device *d = &t->devices[i];
			if (!d->has_major || !d->has_minor)
				continue;
			char m[40], n[40];
			py_num(m, d->major);
			py_num(n, d->minor);
			char *cc = tb_xasprintf("%s.%s", m, n);
			double v = strtod(cc, NULL);
			free(cc);
			if (v >= 3.5) {
				tb_buf_puts(
				    b, "<li>Nccl backend is currently the fastest and highly "
				       "recommended backend when using DDP for training.</li>");
				break;
			}
		}
	}
	double comm = total != 0 ? avg[TB_PROF_ROLE_COMM] / total : 0;
	if (comm > 0.1) {
		tb_buf_printf(
		    b,
		    "<li>This run has high time cost on communication. %.1f%% of the step time "
		    "is in communication. You could try ",
		    comm * 100);
		/* the reference's link is a one-element tuple, printed as such */
		href(b, "Gradient Compression",
		     "('https://pytorch.org/docs/stable/ddp_comm_hooks.html',)");
		tb_buf_puts(b, " or ");
		href(b, "Gradient Accumulation",
		     "https://towardsdatascience.com/"
		     "what-is-gradient-accumulation-in-deep-learning-ec034122cfa");
		tb_buf_puts(
		    b,
		    " or increase the batch size. Note: Gradient accumulation will increase "
		    "global effective batch size, which may hurt model convergence and accuracy. "
		    "For such case, you may want to evaluate ");
		href(b, "LAMB optimizer",
		     "https://nvidia.github.io/apex/optimizers.html#apex.optimizers.FusedLAMB");
		tb_buf_puts(b, ".</li>");
	}
	size_t *low = tb_xmalloc((t->n_gpus ? t->n_gpus : 1) * sizeof *low), n_low = 0;
	for (size_t i = 0; i < t->n_gpus; i++)
		if (t->gpus[i].util < 0.5)
			low[n_low++] = i;
	if (n_low) {
		tb_buf_puts(b, "<li>GPU ");
		gpu_list(b, t, low, n_low);
		tb_buf_puts(b, " low utilization. You could try to increase batch size to improve. "
			       "Note: Increasing batch size may affect the speed and stability of "
			       "model convergence.</li>");
	}
	free(low);
	if (t->n_devices && t->devices[0].has_major && t->devices[0].major.v >= 7 &&
	    t->has_kernel) {
		double tc = 0, all = 0;
		for (size_t i = 0; i < t->n_kernels; i++) {
			all += t->kernels[i].sum;
			tc += t->kernels[i].tensor_cores ? t->kernels[i].sum : 0;
		}
		if ((all == 0 || tc / all == 0.0) && t->tc_eligible_ratio > 0.0) {
			tb_buf_printf(b,
				      "<li>Kernels with %.0f%% time are launched by Tensor Cores "
				      "eligible operators. You could enable ",
				      nearbyint(t->tc_eligible_ratio * 100));
			href(b, "Automatic Mixed Precision",
			     "https://pytorch.org/docs/stable/amp.html");
			tb_buf_puts(b, " to speedup by using FP16.</li>");
		}
	}
}

static const char TIP_GPU[] =
    "The GPU usage metrics:\n\nGPU Utilization:\nGPU busy time / All steps time. The higher, "
    "the better. GPU busy time is the time during which there is at least one GPU kernel "
    "running on it. All steps time is the total time of all profiler steps(or called as "
    "iterations).\n";
static const char TIP_SM_EFF[] =
    "\nEst. SM Efficiency:\nEstimated Stream Multiprocessor Efficiency. The higher, the "
    "better. This metric of a kernel, SM_Eff_K = min(blocks of this kernel / SM number of "
    "this GPU, 100%). This overall number is the sum of all kernels' SM_Eff_K weighted by "
    "kernel's execution duration, divided by all steps time.\n";
static const char TIP_OCC_OVERVIEW[] =
    "This overall number is the weighted average of all kernels' OCC_K using kernel's "
    "execution duration as weight. It shows fine-grained low-level GPU utilization.\n";
static const char TIP_TC[] = "\nKernel using Tensor Cores:\nTotal GPU Time for Tensor Core "
			     "kernels / Total GPU Time for all kernels.\n";

static void title_value(tb_json *j, const char *title, const char *value)
{
	tb_json_obj_begin(j);
	tb_json_key_str(j, "title", title);
	tb_json_key_str(j, "value", value);
	tb_json_obj_end(j);
}

static void percent_row(tb_json *j, const char *title, double x)
{
	char num[40], text[48];
	tb_fmt_double(num, round2(x));
	snprintf(text, sizeof text, "%s %%", num);
	title_value(j, title, text);
}

/* The Overview's GPU summary: per device its name, memory, compute
 * capability (when deviceProperties has it) and the usage metrics. */
static void gpu_metrics(tb_json *j, const tb_prof_trace *t)
{
	int sm = 0, occ = 0, tc = 0;
	if (!t->n_gpus)
		return;
	tb_json_key(j, "gpu_metrics");
	tb_json_obj_begin(j);
	tb_json_key_str(j, "title", "GPU Summary");
	tb_json_key(j, "data");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < t->n_gpus; i++) {
		const tb_prof_gpu *g = &t->gpus[i];
		char head[48];
		if (i)
			title_value(j, "<hr/>", "");
		snprintf(head, sizeof head, "GPU %d:", g->id);
		title_value(j, head, "");
		if (g->id < (int)t->n_devices) {
			const tb_prof_device *d = &t->devices[g->id];
			if (d->name)
				title_value(j, "Name", d->name);
			if (d->has_mem) {
				char gb[64], text[80];
				tb_fmt_double(gb, round2(d->mem.v / 1024 / 1024 / 1024));
				snprintf(text, sizeof text, "%s GB", gb);
				title_value(j, "Memory", text);
			}
			if (d->has_major && d->has_minor) {
				char m[40], n[40], text[90];
				py_num(m, d->major);
				py_num(n, d->minor);
				snprintf(text, sizeof text, "%s.%s", m, n);
				title_value(j, "Compute Capability", text);
			}
		}
		percent_row(j, "GPU Utilization", g->util * 100);
		if (g->has_sm_eff)
			percent_row(j, "Est. SM Efficiency", g->sm_eff * 100), sm = 1;
		if (g->has_occ)
			percent_row(j, "Est. Achieved Occupancy", g->occ), occ = 1;
		if (g->has_tc)
			percent_row(j, "Kernel Time using Tensor Cores", g->tc * 100), tc = 1;
	}
	tb_json_arr_end(j);
	tb_buf tip = TB_BUF_INIT;
	tb_buf_puts(&tip, TIP_GPU);
	if (sm)
		tb_buf_puts(&tip, TIP_SM_EFF);
	if (occ) {
		tb_buf_puts(&tip, "\n");
		tb_buf_puts(&tip, TIP_OCC_COMMON);
		tb_buf_puts(&tip, TIP_OCC_OVERVIEW);
	}
	if (tc)
		tb_buf_puts(&tip, TIP_TC);
	tb_json_key_str(j, "tooltip", tip.ptr);
	tb_buf_free(&tip);
	tb_json_obj_end(j);
}

static void handle_overview(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_profile *p = a->profile;
	const tb_prof_trace *t = p->trace;
	if (!t->has_overview) {
		/* the reference times one step from sys.maxsize to
		 * -sys.maxsize - 1: a negative time beyond 64 bits */
		tb_resp_error(a->resp, 501,
			      "the trace of %s has neither steps nor CPU operators: no Overview",
			      p->worker);
		return;
	}
	const tb_prof_run *r = a->run;
	size_t workers = 0;
	for (size_t i = 0; i < r->n_profiles; i++)
		if (r->profiles[i].views &&
		    (i == 0 || strcmp(r->profiles[i].worker, r->profiles[i - 1].worker) != 0))
			workers++;
	int roles[TB_PROF_N_ROLES], nr = 0;
	int gpu = t->has_kernel || t->has_runtime || t->has_memcpy_or_memset;
	if (gpu) {
		roles[nr++] = TB_PROF_ROLE_KERNEL;
		roles[nr++] = TB_PROF_ROLE_MEMCPY;
		roles[nr++] = TB_PROF_ROLE_MEMSET;
	}
	if (t->has_comm_role)
		roles[nr++] = TB_PROF_ROLE_COMM;
	if (gpu)
		roles[nr++] = TB_PROF_ROLE_RUNTIME;
	roles[nr++] = TB_PROF_ROLE_DATALOADER;
	roles[nr++] = TB_PROF_ROLE_CPU;
	roles[nr++] = TB_PROF_ROLE_OTHER;
	double avg[TB_PROF_N_ROLES + 1] = {0};
	for (size_t s = 0; s < t->n_steps; s++) {
		for (int i = 0; i < TB_PROF_N_ROLES; i++)
			avg[i] += t->steps[s].cost[i].v;
		avg[TB_PROF_N_ROLES] += t->steps[s].total.v;
	}
	for (int i = 0; i <= TB_PROF_N_ROLES; i++)
		avg[i] /= (double)(t->n_steps ? t->n_steps : 1);

	tb_json_obj_begin(j);
	tb_json_key(j, "steps");
	tb_json_obj_begin(j);
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	column(j, "string", "Step", NULL);
	for (int i = 0; i < nr; i++) {
		column(j, "number", role_names[roles[i]], NULL);
		tb_json_obj_begin(j);
		tb_json_key_str(j, "type", "string");
		tb_json_key_str(j, "role", "tooltip");
		tb_json_key(j, "p");
		tb_json_obj_begin(j);
		tb_json_key_str(j, "html", "true");
		tb_json_obj_end(j);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_json_key(j, "rows");
	tb_json_arr_begin(j);
	for (size_t s = 0; s < t->n_steps; s++) {
		const tb_prof_step *st = &t->steps[s];
		tb_json_arr_begin(j);
		tb_json_str(j, st->name);
		for (int i = 0; i < nr; i++) {
			put_json_num(j, st->cost[roles[i]]);
			part_tooltip(j, st, roles[i]);
		}
		tb_json_arr_end(j);
	}
	tb_json_arr_end(j);
	tb_json_obj_end(j);

	double total = avg[TB_PROF_N_ROLES];
	tb_json_key(j, "performance");
	tb_json_arr_begin(j);
	tb_json_obj_begin(j);
	tb_json_key_str(j, "name", "Average Step Time");
	tb_json_key_str(j, "description", "");
	tb_json_key(j, "value");
	json_round(j, total);
	tb_json_key(j, "extra");
	tb_json_int(j, 100);
	tb_json_key(j, "children");
	tb_json_arr_begin(j);
	for (int i = 0; i < nr; i++) {
		tb_json_obj_begin(j);
		tb_json_key_str(j, "name", role_names[roles[i]]);
		tb_json_key_str(j, "description", "");
		tb_json_key(j, "value");
		json_round(j, avg[roles[i]]);
		tb_json_key(j, "extra");
		tb_json_double(j, total != 0 ? round2(100 * avg[roles[i]] / total) : 0.0);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_json_obj_end(j);
	tb_json_arr_end(j);

	tb_buf rec = TB_BUF_INIT;
	recommendations(&rec, t, avg);
	char *ul = tb_xasprintf("<ul>%s</ul>", rec.len ? rec.ptr : "<li>N/A</li>");
	tb_json_key_str(j, "recommendations", ul);
	free(ul);
	tb_buf_free(&rec);

	tb_json_key(j, "environments");
	tb_json_arr_begin(j);
	char nw[32];
	snprintf(nw, sizeof nw, "%zu", workers);
	static const char *const titles[2] = {"Number of Worker(s)", "Device Type"};
	const char *values[2] = {nw, gpu ? "GPU" : "CPU"};
	for (int i = 0; i < 2; i++)
		title_value(j, titles[i], values[i]);
	tb_json_arr_end(j);
	gpu_metrics(j, t);
	tb_json_obj_end(j);
}

/* ---- Operator view ------------------------------------------------------------ */

/* The grouping asked for: by name and input shape, or by name. */
static int op_grouping(const tb_req *req)
{
	const char *g = tb_req_query(req, "group_by");
	return g && strcmp(g, "OperationAndInputShape") == 0 ? TB_PROF_BY_SHAPE : TB_PROF_BY_NAME;
}

typedef struct op_item {
	const tb_prof_opagg *a;
	double key;
} op_item;

static int cmp_op_item(const void *x, const void *y)
{
	const op_item *a = x, *b = y;
	return a->key > b->key ? -1 : a->key < b->key;
}

/* By key, descending; equal keys keep their order (an insertion sort:
 * tables are a few thousand rows at most). */
static void sort_items(op_item *it, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		op_item x = it[i];
		size_t k = i;
		while (k > 0 && cmp_op_item(&it[k - 1], &x) > 0) {
			it[k] = it[k - 1];
			k--;
		}
		it[k] = x;
	}
}

/* Pointers to the n aggregates by self time (device or host). */
static op_item *sort_ops(const tb_prof_opagg *ops, size_t n, int by_device)
{
	op_item *it = tb_xmalloc((n ? n : 1) * sizeof *it);
	for (size_t i = 0; i < n; i++) {
		it[i].a = &ops[i];
		it[i].key = by_device ? ops[i].self_device : ops[i].self_host;
	}
	sort_items(it, n);
	return it;
}

static void op_pie(tb_json *j, const tb_prof_trace *t, int g, int what, const char *title)
{
	size_t n = t->n_ops[g];
	op_item *it = tb_xmalloc((n ? n : 1) * sizeof *it);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		const tb_prof_opagg *a = &t->ops[g][i];
		double v = what == 0   ? a->device
			   : what == 1 ? a->self_device
			   : what == 2 ? a->host
				       : a->self_host;
		if (v > 0)
			it[m].a = a, it[m].key = v, m++;
	}
	sort_items(it, m);
	if (!m) {
		tb_json_null(j);
	} else {
		tb_json_obj_begin(j);
		tb_json_key_str(j, "title", title);
		pie_rows_begin(j);
		for (size_t i = 0; i < m; i++) {
			tb_json_arr_begin(j);
			tb_json_str(j, it[i].a->name);
			json_time(j, it[i].key);
			tb_json_arr_end(j);
		}
		tb_json_arr_end(j);
		tb_json_obj_end(j);
	}
	free(it);
}

static void handle_operation(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_profile *p = a->profile;
	int g = op_grouping(a->req);
	tb_json_obj_begin(j);
	static const char *const keys[4] = {"device_total_time", "device_self_time",
					    "host_total_time", "host_self_time"};
	static const char *const titles[4] = {"Device Total Time (us)", "Device Self Time (us)",
					      "Host Total Time (us)", "Host Self Time (us)"};
	for (int w = 0; w < 4; w++) {
		tb_json_key(j, keys[w]);
		op_pie(j, p->trace, g, w, titles[w]);
	}
	tb_json_obj_end(j);
}

static const char TIP_OP_TC_ELIGIBLE[] = "Whether this operator is eligible to use Tensor Cores.";
static const char TIP_OP_TC_SELF[] =
    "Time of self-kernels with Tensor Cores / Time of self-kernels.";
static const char TIP_OP_TC_TOTAL[] = "Time of kernels with Tensor Cores / Time of kernels.";

/* Whether some call of operator a (in grouping g) recorded a call stack. */
static int has_stack(const tb_prof_trace *t, int g, const tb_prof_opagg *a)
{
	int sg = g == TB_PROF_BY_SHAPE ? TB_PROF_BY_SHAPE_STACK : TB_PROF_BY_NAME_STACK;
	for (size_t i = 0; i < t->n_ops[sg]; i++) {
		const tb_prof_opagg *s = &t->ops[sg][i];
		if (strcmp(s->name, a->name) == 0 &&
		    (g != TB_PROF_BY_SHAPE || strcmp(s->shape, a->shape) == 0))
			return 1;
	}
	return 0;
}

/* The Operator table of the n aggregates at ops (grouping g); with a call
 * stack column for the stack groupings. */
static void op_table(tb_json *j, const tb_prof_trace *t, int g, const tb_prof_opagg *ops, size_t n)
{
	int show_gpu = t->has_kernel || t->has_memcpy_or_memset;
	int with_shape = g == TB_PROF_BY_SHAPE || g == TB_PROF_BY_SHAPE_STACK;
	int stacks = g >= TB_PROF_BY_NAME_STACK;
	op_item *it = sort_ops(ops, n, show_gpu);
	tb_json_obj_begin(j);
	tb_json_key(j, "metadata");
	tb_json_obj_begin(j);
	tb_json_key_str(j, "sort", show_gpu ? "device_self_duration" : "host_self_duration");
	tb_json_key(j, "tooltips");
	tb_json_obj_begin(j);
	tb_json_key_str(j, "tc_eligible", TIP_OP_TC_ELIGIBLE);
	tb_json_key_str(j, "tc_self_ratio", TIP_OP_TC_SELF);
	tb_json_key_str(j, "tc_total_ratio", TIP_OP_TC_TOTAL);
	tb_json_obj_end(j);
	tb_json_obj_end(j);
	tb_json_key(j, "data");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		const tb_prof_opagg *a = it[i].a;
		tb_json_obj_begin(j);
		tb_json_key_str(j, "name", a->name);
		if (with_shape) {
			tb_json_key_str(j, "input_shape", a->shape);
		}
		tb_json_key(j, "calls");
		tb_json_int(j, (int64_t)a->calls);
		if (show_gpu) {
			tb_json_key(j, "device_self_duration");
			json_round(j, a->self_device);
			tb_json_key(j, "device_total_duration");
			json_round(j, a->device);
		}
		tb_json_key(j, "host_self_duration");
		json_round(j, a->self_host);
		tb_json_key(j, "host_total_duration");
		json_round(j, a->host);
		tb_json_key_str(j, "tc_eligible", a->tc_eligible ? "Yes" : "No");
		/* the ratios are the int 0 without device time */
		tb_json_key(j, "tc_self_ratio");
		if (a->self_device > 0)
			tb_json_double(j, round2(100 * a->tc_self / a->self_device));
		else
			tb_json_int(j, 0);
		tb_json_key(j, "tc_total_ratio");
		if (a->device > 0)
			tb_json_double(j, round2(100 * a->tc_total / a->device));
		else
			tb_json_int(j, 0);
		if (stacks) {
			tb_json_key_str(j, "call_stack", a->stack ? a->stack : "");
		} else {
			tb_json_key(j, "has_call_stack");
			tb_json_bool(j, has_stack(t, g, a));
		}
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_json_obj_end(j);
	free(it);
}

static void handle_operation_table(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_trace *t = a->profile->trace;
	int g = op_grouping(a->req);
	op_table(j, t, g, t->ops[g], t->n_ops[g]);
}

/* The calls of one operator (and input shape) by call stack. */
static void handle_operation_stack(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_profile *p = a->profile;
	const char *name = tb_req_query(a->req, "op_name");
	const char *shape = tb_req_query(a->req, "input_shape");
	int by_shape = op_grouping(a->req) == TB_PROF_BY_SHAPE;
	int g = by_shape ? TB_PROF_BY_SHAPE_STACK : TB_PROF_BY_NAME_STACK;
	const tb_prof_trace *t = p->trace;
	tb_prof_opagg *sel = tb_xmalloc((t->n_ops[g] ? t->n_ops[g] : 1) * sizeof *sel);
	size_t n = 0;
	for (size_t i = 0; i < t->n_ops[g]; i++) {
		const tb_prof_opagg *a = &t->ops[g][i];
		if (name && strcmp(a->name, name) == 0 &&
		    (!by_shape || strcmp(a->shape, shape ? shape : "None") == 0))
			sel[n++] = *a;
	}
	if (!n) {
		tb_resp_error(a->resp, 404, "no call stack recorded for operator %s",
			      name ? name : "None");
	} else {
		op_table(j, t, g, sel, n);
	}
	free(sel);
}

/* ---- Trace view ---------------------------------------------------------------- */

/* The reference computes the GPU counters it splices into a trace with
 * Python numbers; ints stay ints and print without a point, so each value
 * here carries whether it is a float. */
typedef tb_prof_num num;

static num num_add(num a, num b)
{
	num r = {a.v + b.v, a.is_float || b.is_float};
	return r;
}

static num num_sub(num a, num b)
{
	num r = {a.v - b.v, a.is_float || b.is_float};
	return r;
}

static num num_int(double v)
{
	num r = {v, 0};
	return r;
}

static void put_num(tb_buf *b, num n)
{
	char tmp[40];
	if (n.is_float || !(n.v > -9e18 && n.v < 9e18))
		tb_buf_append(b, tmp, tb_fmt_double(tmp, n.v));
	else
		tb_buf_printf(b, "%lld", (long long)n.v);
}

typedef struct span3 {
	num start, end, value;
} span3;

static void counter(tb_buf *b, const char *what, const char *arg, int gpu, num ts, num value)
{
	if (b->len)
		tb_buf_puts(b, ", ");
	tb_buf_printf(b, "{\"ph\":\"C\", \"name\":\"GPU %d %s\", \"pid\":%d, \"ts\":", gpu, what, gpu);
	put_num(b, ts);
	tb_buf_printf(b, ", \"args\":{\"%s\":", arg);
	put_num(b, value);
	tb_buf_puts(b, "}}");
}

/* Busy time of one device's kernels per time bucket, as fractions; out
 * gets (start, fraction) per bucket and a closing (end, 0). */
static size_t utilization(span3 *out, const tb_prof_kspan *k, size_t n, int gpu, const num *edges,
			  size_t buckets)
{
	/* merge the device's kernel ranges, in start order */
	span3 *m = tb_xmalloc((n ? n : 1) * sizeof *m);
	size_t nm = 0;
	for (size_t i = 0; i < n; i++) {
		if (k[i].device != gpu)
			continue;
		if (nm && k[i].end.v > m[nm - 1].end.v && k[i].start.v <= m[nm - 1].end.v)
			m[nm - 1].end = k[i].end;
		else if (!nm || k[i].end.v > m[nm - 1].end.v)
			m[nm].start = k[i].start, m[nm].end = k[i].end, nm++;
	}
	num *busy = tb_xcalloc(buckets, sizeof *busy);
	size_t ri = 0, bi = 0;
	while (ri < nm && bi < buckets) {
		num b0 = edges[bi], b1 = edges[bi + 1];
		if (b1.v <= m[ri].start.v) {
			bi++;
		} else if (b0.v >= m[ri].end.v) {
			ri++;
		} else {
			num left = m[ri].start.v >= b0.v ? m[ri].start : b0;
			num right = m[ri].end.v <= b1.v ? m[ri].end : b1;
			busy[bi] = num_add(busy[bi], num_sub(right, left));
			if (b1.v < m[ri].end.v)
				bi++;
			else
				ri++;
		}
	}
	for (size_t i = 0; i < buckets; i++) {
		num size = num_sub(edges[i + 1], edges[i]);
		out[i].start = edges[i];
		out[i].value.v = busy[i].v / size.v;
		out[i].value.is_float = 1;
	}
	out[buckets].start = edges[buckets];
	out[buckets].value = num_int(0);
	free(busy);
	free(m);
	return buckets + 1;
}

typedef struct endpoint {
	num time;
	int end;
	num value;
	size_t seq;
} endpoint;

static int cmp_endpoint(const void *a, const void *b)
{
	const endpoint *x = a, *y = b;
	if (x->time.v != y->time.v)
		return x->time.v < y->time.v ? -1 : 1;
	if (x->end != y->end)
		return x->end - y->end;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Estimated SM efficiency over time: the sum of the blocks per SM of the
 * kernels running, capped at 1, per stretch between kernel edges. */
static size_t sm_efficiency(span3 **out, const tb_prof_kspan *k, size_t n, int gpu)
{
	endpoint *ep = tb_xmalloc((2 * n + 1) * sizeof *ep);
	size_t ne = 0;
	for (size_t i = 0; i < n; i++) {
		if (k[i].device != gpu || !k[i].has_bps || !(k[i].bps.v > 0.0))
			continue;
		ep[ne] = (endpoint){k[i].start, 0, k[i].bps, ne};
		ne++;
		ep[ne] = (endpoint){k[i].end, 1, k[i].bps, ne};
		ne++;
	}
	if (ne)
		qsort(ep, ne, sizeof *ep, cmp_endpoint);
	span3 *r = tb_xmalloc((ne ? ne : 1) * sizeof *r);
	size_t nr = 0;
	if (ne) {
		num last_t = ep[0].time, last_v = ep[0].value;
		for (size_t i = 1; i < ne; i++) {
			if (ep[i].time.v > last_t.v && last_v.v > 0.0) {
				num one = {1.0, 1};
				r[nr].start = last_t;
				r[nr].end = ep[i].time;
				r[nr].value = 1.0 < last_v.v ? one : last_v;
				nr++;
			}
			last_t = ep[i].time;
			last_v = ep[i].end ? num_sub(last_v, ep[i].value) : num_add(last_v, ep[i].value);
		}
	}
	free(ep);
	*out = r;
	return nr;
}

#define MAX_GPUS 64

/* The counter events the reference splices into a trace with kernels:
 * per device, utilisation in 10^k microsecond buckets over the profiled
 * range, then estimated SM efficiency. */
static void gpu_counters(tb_buf *b, const tb_prof_trace *t)
{
	if (!t->has_range)
		return;
	num range = num_sub(t->range_end, t->range_start);
	if (!isfinite(range.v) || range.v <= 0)
		return;
	double size = 1;
	while (range.v / size > 100)
		size *= 10;
	size_t buckets = range.v / size > 0 ? (size_t)(range.v / size) : 0;
	if (!buckets)
		return;
	num *edges = tb_xmalloc((buckets + 1) * sizeof *edges);
	for (size_t i = 0; i < buckets; i++)
		edges[i] = num_add(t->range_start, num_int((double)i * size));
	edges[buckets] = t->range_end;
	int used[MAX_GPUS] = {0};
	for (size_t i = 0; i < t->n_kspans; i++)
		if (t->kspans[i].device < MAX_GPUS)
			used[t->kspans[i].device] = 1;
	span3 *util = tb_xmalloc((buckets + 1) * sizeof *util);
	for (int g = 0; g < MAX_GPUS; g++) {
		if (!used[g])
			continue;
		size_t nu = utilization(util, t->kspans, t->n_kspans, g, edges, buckets);
		counter(b, "Utilization", "GPU Utilization", g, util[0].start, num_int(1));
		counter(b, "Utilization", "GPU Utilization", g, util[0].start, num_int(0));
		for (size_t i = 0; i < nu; i++)
			counter(b, "Utilization", "GPU Utilization", g, util[i].start, util[i].value);
	}
	for (int g = 0; g < MAX_GPUS; g++) {
		if (!used[g])
			continue;
		span3 *r;
		size_t nr = sm_efficiency(&r, t->kspans, t->n_kspans, g);
		if (nr) {
			counter(b, "Est. SM Efficiency", "Est. SM Efficiency", g, edges[0], num_int(1));
			counter(b, "Est. SM Efficiency", "Est. SM Efficiency", g, edges[0], num_int(0));
		}
		for (size_t i = 0; i < nr; i++) {
			counter(b, "Est. SM Efficiency", "Est. SM Efficiency", g, r[i].start, r[i].value);
			counter(b, "Est. SM Efficiency", "Est. SM Efficiency", g, r[i].end, num_int(0));
		}
		free(r);
	}
	free(util);
	free(edges);
}

/* Offset just past the first `"traceEvents" : [` (either quote, any
 * spaces), or 0. */
static size_t events_array_start(const char *s, size_t n)
{
	static const char key[] = "traceEvents";
	for (size_t i = 0; i + sizeof key + 1 < n; i++) {
		if ((s[i] != '"' && s[i] != '\'') || memcmp(s + i + 1, key, sizeof key - 1) != 0 ||
		    s[i + sizeof key] != s[i])
			continue;
		size_t k = i + sizeof key + 1;
		while (k < n && strchr(" \t\n\r\f\v", s[k]) && s[k])
			k++;
		if (k >= n || s[k] != ':')
			continue;
		k++;
		while (k < n && strchr(" \t\n\r\f\v", s[k]) && s[k])
			k++;
		if (k < n && s[k] == '[')
			return k + 1;
	}
	return 0;
}

static int append_text(const void *buf, size_t n, void *payload)
{
	tb_buf_append(payload, buf, n);
	return 0;
}

/* The trace file as JSON text; for traces with kernels, with the GPU
 * counters spliced in at the start of the event array. */
static void handle_trace(tb_json *j, const tb_profile_ask *a)
{
	(void)j; /* the body is the file's text */
	const tb_prof_profile *p = a->profile;
	tb_buf raw = TB_BUF_INIT;
	char *msg = NULL;
	int rc = tb_prof_read_text(&msg, p->path, append_text, &raw);
	if (rc) {
		tb_resp_error(a->resp, rc == TB_ENOTFOUND ? 404 : 500, "cannot read %s", p->file);
		free(msg);
		tb_buf_free(&raw);
		return;
	}
	tb_buf *body = tb_resp_body(a->resp);
	size_t at = p->trace->has_kernel ? events_array_start(raw.ptr, raw.len) : 0;
	if (at) {
		tb_prof_parser *ps = tb_prof_parser_new();
		tb_prof_parser_keep_kernels(ps);
		tb_prof_parser_feed(ps, raw.ptr, raw.len);
		tb_prof_trace *t;
		tb_prof_parser_finish(&t, ps);
		tb_buf counters = TB_BUF_INIT;
		gpu_counters(&counters, t);
		tb_prof_trace_free(t);
		tb_buf_append(body, raw.ptr, at);
		tb_buf_append(body, counters.ptr ? counters.ptr : "", counters.len);
		tb_buf_putc(body, ',');
		tb_buf_append(body, raw.ptr + at, raw.len - at);
		tb_buf_free(&counters);
	} else if (raw.len) {
		tb_buf_append(body, raw.ptr, raw.len);
	}
	tb_buf_free(&raw);
}

/* ---- Memory view ------------------------------------------------------------------ */

/* The reference's unit names and factors (from microseconds and bytes). */
typedef struct unit {
	const char *alias, *name;
	double per;
} unit;

static const unit time_units[] = {
    {"micro", "us", 1},	  {"microsecond", "us", 1},   {"us", "us", 1},
    {"milli", "ms", 1e3}, {"millisecond", "ms", 1e3}, {"ms", "ms", 1e3},
    {"", "s", 1e6},	  {"second", "s", 1e6},	      {"s", "s", 1e6},
};

static const unit memory_units[] = {
    {"", "B", 1},	       {"B", "B", 1},		    {"K", "KB", 1024.0},
    {"KB", "KB", 1024.0},      {"M", "MB", 1048576.0},	    {"MB", "MB", 1048576.0},
    {"G", "GB", 1073741824.0}, {"GB", "GB", 1073741824.0},
};

static int find_unit(const char **name, double *factor, const unit *u, size_t n, const char *q)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(q, u[i].alias) == 0) {
			*name = u[i].name;
			*factor = 1 / u[i].per;
			return 0;
		}
	return -1;
}

typedef struct curve {
	int device; /* -1: CPU */
	double (*pts)[3];
	size_t n, cap;
	double peak;
} curve;

static int cmp_curve(const void *a, const void *b)
{
	return tb_prof_device_cmp(&((const curve *)a)->device, &((const curve *)b)->device);
}

#define LTTB_POINTS 10240

/* Largest-triangle-three-buckets down to LTTB_POINTS points, on (time,
 * allocated): the first and last points stay, and each of the buckets in
 * between keeps the point that makes the largest triangle with the point
 * kept before it and the mean of the next bucket. */
static void lttb(curve *c)
{
	size_t n = c->n, bins = LTTB_POINTS - 2, inner = n - 2;
	if (n <= LTTB_POINTS)
		return;
	double(*out)[3] = tb_xmalloc(LTTB_POINTS * sizeof *out);
	memcpy(out[0], c->pts[0], sizeof out[0]);
	memcpy(out[LTTB_POINTS - 1], c->pts[n - 1], sizeof out[0]);
	size_t q = inner / bins, r = inner % bins;
	/* bin i starts at 1 + i*q + min(i, r) */
	for (size_t i = 0; i < bins; i++) {
		size_t lo = 1 + i * q + (i < r ? i : r), len = q + (i < r);
		double cx, cy;
		if (i + 1 < bins) {
			size_t nlo = 1 + (i + 1) * q + (i + 1 < r ? i + 1 : r), nlen = q + (i + 1 < r);
			cx = cy = 0;
			for (size_t k = 0; k < nlen; k++)
				cx += c->pts[nlo + k][0], cy += c->pts[nlo + k][1];
			cx /= (double)nlen;
			cy /= (double)nlen;
		} else {
			cx = c->pts[n - 1][0];
			cy = c->pts[n - 1][1];
		}
		const double *a = out[i];
		size_t best = lo;
		double best_area = -1;
		for (size_t k = lo; k < lo + len; k++) {
			const double *b = c->pts[k];
			double area = 0.5 * fabs((a[0] - cx) * (b[1] - a[1]) - (a[0] - b[0]) * (cy - a[1]));
			if (area > best_area)
				best_area = area, best = k;
		}
		memcpy(out[i + 1], c->pts[best], sizeof out[0]);
	}
	free(c->pts);
	c->pts = out;
	c->n = c->cap = LTTB_POINTS;
}

static void curve_add(curve *c, double t, double a, double r)
{
	c->pts = tb_xgrow(c->pts, &c->cap, c->n + 1, sizeof *c->pts);
	c->pts[c->n][0] = t;
	c->pts[c->n][1] = a;
	c->pts[c->n][2] = r;
	c->n++;
}

static void handle_memory_curve(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_profile *p = a->profile;
	const tb_prof_trace *t = p->trace;
	const char *tq = tb_req_query(a->req, "time_metric"),
		   *mq = tb_req_query(a->req, "memory_metric");
	const char *tname, *mname;
	double tf, mf;
	if (find_unit(&tname, &tf, time_units, sizeof time_units / sizeof time_units[0],
		      tq ? tq : "ms") != 0 ||
	    find_unit(&mname, &mf, memory_units, sizeof memory_units / sizeof memory_units[0],
		      mq ? mq : "MB") != 0) {
		tb_resp_error(a->resp, 400, "unknown time_metric or memory_metric");
		return;
	}
	if (!t->has_memory) {
		tb_resp_error(a->resp, 404, "%s has no memory events", p->file);
		return;
	}
	curve *cs = NULL;
	size_t nc = 0;
	for (size_t i = 0; i < t->n_mem; i++) {
		const tb_prof_mem *m = &t->mem[i];
		size_t k = 0;
		while (k < nc && cs[k].device != m->device)
			k++;
		if (k == nc) {
			cs = tb_xrealloc(cs, (nc + 1) * sizeof *cs);
			memset(&cs[nc++], 0, sizeof *cs);
			cs[k].device = m->device;
		}
		curve *c = &cs[k];
		double time = tf * (m->ts.v - t->start.v);
		/* drawn as steps: each point first at the previous level */
		if (c->n)
			curve_add(c, time, c->pts[c->n - 1][1], c->pts[c->n - 1][2]);
		curve_add(c, time, mf * m->allocated, mf * m->reserved);
		if (m->allocated > c->peak)
			c->peak = m->allocated;
	}
	if (nc)
		qsort(cs, nc, sizeof *cs, cmp_curve);
	tb_json_obj_begin(j);
	tb_json_key(j, "metadata");
	tb_json_obj_begin(j);
	char dev[32];
	const char *dflt = "CPU";
	for (size_t i = 0; i < nc && !strcmp(dflt, "CPU"); i++)
		if (cs[i].device >= 0) {
			tb_prof_device_name(dev, sizeof dev, cs[i].device);
			dflt = dev;
		}
	tb_json_key_str(j, "default_device", dflt);
	tb_json_key(j, "devices");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < nc; i++) {
		char name[32];
		tb_prof_device_name(name, sizeof name, cs[i].device);
		tb_json_str(j, name);
	}
	tb_json_arr_end(j);
	tb_json_key(j, "peaks");
	tb_json_obj_begin(j);
	for (size_t i = 0; i < nc; i++) {
		char name[32], text[96];
		tb_prof_device_name(name, sizeof name, cs[i].device);
		snprintf(text, sizeof text, "Peak Memory Usage: %.1f%s", mf * cs[i].peak, mname);
		tb_json_key(j, name);
		tb_json_str(j, text);
	}
	tb_json_obj_end(j);
	tb_json_key(j, "totals"); /* the reference never fills it in */
	tb_json_obj_begin(j);
	tb_json_obj_end(j);
	tb_json_key(j, "first_ts");
	put_json_num(j, t->start);
	tb_json_key_str(j, "time_metric", tname);
	tb_json_key_str(j, "memory_metric", mname);
	tb_json_key(j, "time_factor");
	tb_json_double(j, tf);
	tb_json_key(j, "memory_factor");
	tb_json_double(j, mf);
	tb_json_obj_end(j);
	tb_json_key(j, "columns");
	tb_json_arr_begin(j);
	static const char *const tips[3] = {
	    "Time since profiler starts.", "Total memory in use.",
	    "Total reserved memory by allocator, both used and unused."};
	for (int i = 0; i < 3; i++) {
		char *name = i == 0   ? tb_xasprintf("Time (%s)", tname)
			     : i == 1 ? tb_xasprintf("Allocated (%s)", mname)
				      : tb_xasprintf("Reserved (%s)", mname);
		tb_profile_json_strs(
		    j, 3,
		    (const char *const[]){"name", name, "type", "number", "tooltip", tips[i]});
		free(name);
	}
	tb_json_arr_end(j);
	tb_json_key(j, "rows");
	tb_json_obj_begin(j);
	for (size_t i = 0; i < nc; i++) {
		char name[32];
		tb_prof_device_name(name, sizeof name, cs[i].device);
		lttb(&cs[i]);
		tb_json_key(j, name);
		tb_json_arr_begin(j);
		for (size_t k = 0; k < cs[i].n; k++) {
			tb_json_arr_begin(j);
			for (int v = 0; v < 3; v++)
				tb_json_double(j, cs[i].pts[k][v]);
			tb_json_arr_end(j);
		}
		tb_json_arr_end(j);
		free(cs[i].pts);
	}
	tb_json_obj_end(j);
	tb_json_obj_end(j);
	free(cs);
}

/* ---- Distributed view ------------------------------------------------------------ */

/* What deviceProperties says of device id, as the reference's GPU info. */
static void gpu_info(tb_json *j, const tb_prof_device *dev)
{
	tb_json_obj_begin(j);
	if (dev->name) {
		tb_json_key_str(j, "Name", dev->name);
	}
	if (dev->has_mem) {
		char gb[64];
		tb_fmt_double(gb, round2(dev->mem.v / 1024 / 1024 / 1024));
		tb_json_key(j, "Memory");
		char *text = tb_xasprintf("%s GB", gb);
		tb_json_str(j, text);
		free(text);
		tb_json_key(j, "Memory Raw");
		put_json_num(j, dev->mem);
	}
	if (dev->has_major && dev->has_minor) {
		tb_buf cc = TB_BUF_INIT;
		put_num(&cc, dev->major);
		tb_buf_putc(&cc, '.');
		put_num(&cc, dev->minor);
		tb_json_key_str(j, "Compute Capability", cc.ptr);
		tb_buf_free(&cc);
	}
	tb_json_obj_end(j);
}

/* Node and process of a worker: split at its last "_<digits>". */
static int split_worker(char **node, char **process, const char *worker)
{
	for (size_t i = strlen(worker); i-- > 0;) {
		if (worker[i] == '_' && worker[i + 1] >= '0' && worker[i + 1] <= '9') {
			size_t d = i + 1;
			while (worker[d] >= '0' && worker[d] <= '9')
				d++;
			*node = tb_xstrndup(worker, i);
			*process = tb_xstrndup(worker + i + 1, d - i - 1);
			return 0;
		}
	}
	return -1;
}

typedef struct gpu_proc {
	char *node, *process;
	const tb_prof_trace *t;
} gpu_proc;

static int cmp_gpu_proc(const void *a, const void *b)
{
	const gpu_proc *x = a, *y = b;
	int c = strcmp(x->node, y->node);
	return c ? c : strcmp(x->process, y->process);
}

static void handle_gpuinfo(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_run *r = a->run;
	const char *span = a->span;
	gpu_proc *procs = tb_xcalloc(r->n_profiles + 1, sizeof *procs);
	size_t n = 0, unmatched = 0;
	for (size_t i = 0; i < r->n_profiles; i++) {
		const tb_prof_profile *p = &r->profiles[i];
		if (p->trace->status != TB_PROF_OK || strcmp(p->span, span) != 0 ||
		    !p->trace->n_devices)
			continue;
		gpu_proc *g = &procs[n++];
		char *pid;
		if (split_worker(&g->node, &pid, p->worker) != 0) {
			g->node = tb_xstrdup(p->worker);
			pid = tb_xasprintf("%zu", unmatched++);
		}
		g->process = tb_xasprintf("Process %s", pid);
		free(pid);
		g->t = p->trace;
	}
	if (n)
		qsort(procs, n, sizeof *procs, cmp_gpu_proc);
	if (!n) {
		tb_json_null(j);
	} else {
		tb_json_obj_begin(j);
		tb_json_key(j, "metadata");
		tb_json_obj_begin(j);
		tb_json_key_str(j, "title", "Device Information");
		tb_json_obj_end(j);
		tb_json_key(j, "data");
		tb_json_obj_begin(j);
		for (size_t i = 0; i < n; i++) {
			if (i == 0 || strcmp(procs[i].node, procs[i - 1].node) != 0) {
				if (i)
					tb_json_obj_end(j);
				tb_json_key(j, procs[i].node);
				tb_json_obj_begin(j);
			}
			tb_json_key(j, procs[i].process);
			tb_json_obj_begin(j);
			const tb_prof_trace *t = procs[i].t;
			for (size_t k = 0; k < t->n_used_devices; k++) {
				int id = t->used_devices[k];
				if (id < 0 || (size_t)id >= t->n_devices)
					continue;
				char key[32];
				snprintf(key, sizeof key, "GPU%d", id);
				tb_json_key(j, key);
				gpu_info(j, &t->devices[id]);
			}
			tb_json_obj_end(j);
		}
		tb_json_obj_end(j);
		tb_json_obj_end(j);
		tb_json_obj_end(j);
	}
	for (size_t i = 0; i < n; i++) {
		free(procs[i].node);
		free(procs[i].process);
	}
	free(procs);
}

int tb_profile_unit(const char **name, double *factor, int memory, const char *q)
{
	if (memory)
		return find_unit(name, factor, memory_units,
				 sizeof memory_units / sizeof memory_units[0], q);
	return find_unit(name, factor, time_units, sizeof time_units / sizeof time_units[0], q);
}

void tb_profile_json_num(tb_json *j, tb_prof_num n)
{
	put_json_num(j, n);
}

/* ---- tboard's own: the traces the Trace view draws -------------------------- */

static const char *trace_format(const tb_prof_trace *t)
{
	return t->status == TB_PROF_OK	     ? "kineto"
	       : t->status == TB_PROF_LEGACY ? "legacy"
	       : t->status == TB_PROF_CHROME ? "chrome"
					     : NULL;
}

/* Every trace file of a run, with its format ("kineto", "legacy",
 * "chrome" for another profiler's) or, for
 * a file that did not parse, its error: the legacy ones, which have no
 * view of the reference's, are drawn too. */
static void handle_timelines(tb_json *j, const tb_profile_ask *a)
{
	const tb_prof_run *r = a->run;
	tb_json_arr_begin(j);
	for (size_t i = 0; i < r->n_profiles; i++) {
		const tb_prof_profile *p = &r->profiles[i];
		const char *format = trace_format(p->trace);
		tb_json_obj_begin(j);
		tb_json_key_str(j, "worker", p->worker);
		tb_json_key_str(j, "span", p->span);
		tb_json_key_str(j, "file", p->file);
		tb_json_key(j, "format");
		if (format)
			tb_json_str(j, format);
		else
			tb_json_null(j);
		tb_json_key(j, "error");
		if (!format && p->trace->error)
			tb_json_str(j, p->trace->error);
		else
			tb_json_null(j);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
}

/* The next part of a streamed trace file: up to 256 KiB, uncompressed. */
static int next_trace_part(tb_buf *out, void *payload)
{
	tb_buf_reserve(out, 1 << 18);
	char *msg;
	int64_t n = tb_prof_text_read(payload, out->ptr + out->len, 1 << 18, &msg);
	free(msg);
	if (n < 0)
		return TB_EIO;
	out->len += (size_t)n;
	out->ptr[out->len] = '\0';
	return n > 0;
}

static void close_trace_file(void *payload)
{
	tb_prof_text_close(payload);
}

/* The trace file of run, worker and span as it is (no GPU counters spliced
 * in, so nothing is parsed again), for Kineto and legacy traces; streamed
 * as it is read, so a trace of any size is served in bounded memory. */
static void handle_timeline(tb_json *j, const tb_profile_ask *a)
{
	(void)j; /* the body is the file's text, streamed */
	const tb_prof_run *r = a->run;
	const char *worker = tb_req_query(a->req, "worker"), *span = tb_req_query(a->req, "span");
	const tb_prof_profile *p = NULL;
	for (size_t i = 0; i < r->n_profiles && !p; i++)
		if (strcmp(r->profiles[i].worker, worker) == 0 &&
		    strcmp(r->profiles[i].span, span) == 0)
			p = &r->profiles[i];
	if (!p || !trace_format(p->trace)) {
		tb_resp_error(a->resp, 404, "no trace to draw for %s/%s/%s", r->name, worker, span);
		return;
	}
	tb_prof_text *f;
	char *msg;
	if (tb_prof_text_open(&f, &msg, p->path) != 0) {
		free(msg);
		tb_resp_error(a->resp, 404, "cannot read %s", p->file);
		return;
	}
	tb_resp_stream(a->resp, next_trace_part, f, close_trace_file);
}

static tb_profile_route routes[] = {
    {"/runs", handle_runs, TB_PROFILE_NOTHING, {NULL}, NULL},
    {"/views", handle_views, TB_PROFILE_RUN, {NULL}, NULL},
    {"/workers", handle_workers, TB_PROFILE_RUN, {"view"}, NULL},
    {"/spans", handle_spans, TB_PROFILE_RUN, {"worker"}, NULL},
    {"/kernel", handle_kernel, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/kernel/table", handle_kernel_table, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/overview", handle_overview, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/operation", handle_operation, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/operation/table", handle_operation_table, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/operation/stack", handle_operation_stack, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/kernel/tc_pie", handle_tc_pie, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/trace", handle_trace, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/distributed/gpuinfo", handle_gpuinfo, TB_PROFILE_DIST, {NULL}, NULL},
    {"/memory_curve", handle_memory_curve, TB_PROFILE_PROFILE, {NULL}, NULL},
    {"/timelines", handle_timelines, TB_PROFILE_RUN, {NULL}, NULL},
    {"/timeline", handle_timeline, TB_PROFILE_RUN, {"worker", "span"}, NULL},
};

void tb_profile_register(tb_router *r, tb_dash *d)
{
	tb_profile_routes(r, d, routes, sizeof routes / sizeof routes[0]);
	tb_profile_memory_register(r, d);
	tb_profile_dist_register(r, d);
	tb_profile_diff_register(r, d);
}
