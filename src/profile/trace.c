/* Streaming reduction of a PyTorch profiler trace (see trace.h).
 *
 * yajl delivers tokens; a small state machine keeps the fields of the
 * event object being read (depth 3 under "traceEvents", its "args" at
 * depth 4) and folds each finished event into the aggregates. Nested
 * values below that (input shapes, call stacks) are skipped. What makes
 * the reference reject a whole file (an X event without a category, an
 * operator without a name, a ProfilerStep#N whose N is not a number, an
 * event without a name when it scans for "Record Window End") is checked
 * here too, so both list the same views. */
#include "trace.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>
#include <zlib.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "fs/fs.h"
#include "http/json.h"
#include "memory.h"
#include "modules.h"
#include "optree.h"

enum field {
	F_NONE,
	F_NAME,
	F_PH,
	F_CAT,
	F_TS,
	F_DUR,
	F_ARGS,
	F_PID,
	F_TID,
	F_ID,
	P_NAME, /* deviceProperties fields */
	P_MEM,
	P_MAJOR,
	P_MINOR,
	A_EXT,	   /* "external id" */
	A_EXT_OLD, /* "External id" */
	A_BPS,
	A_OCC,
	A_DEVICE,
	A_MODULE,
	A_DEVTYPE,
	A_DEVID,
	A_ADDR,
	A_TALLOC,
	A_BYTES,
	A_PYID,
	A_PYPARENT,
	A_TRES,
	A_CORR,
};

/* Arguments kept as Python's str() of their value, for the operator tree. */
enum cap {
	CAP_STACK,    /* "Call stack" */
	CAP_DIMS,     /* "Input Dims" */
	CAP_DIMS_OLD, /* "Input dims" */
	CAP_GRID,
	CAP_BLOCK,
	CAP_REGS,  /* "registers per thread" */
	CAP_SHMEM, /* "shared memory" */
	CAP_TYPES, /* "Input type" */
	N_CAP,
};

static const char *const cap_keys[N_CAP] = {
    "Call stack", "Input Dims",		  "Input dims",	   "grid",
    "block",	  "registers per thread", "shared memory", "Input type",
};

enum kind {
	K_NONE,
	K_KERNEL,
	K_MEMCPY,
	K_MEMSET,
	K_RUNTIME,
	K_OPERATOR,
	K_ANNOTATION,
	K_PYTHON,
	K_PYFUNC,
	K_TRACE,
	K_OTHER
};

typedef struct event {
	tb_buf name, ph, cat;
	int has_name, name_is_str, has_cat;
	int has_ts, has_dur, dur_float, ts_float, bps_float;
	double ts, dur;
	int has_ext, has_ext_old;
	int64_t ext, ext_old;
	int has_bps, has_occ, has_device, has_module;
	int device; /* -1 unless an integer */
	int pid;    /* -1 unless a small non-negative integer */
	double bps, occ;
	int has_addr, has_talloc, has_tres, devtype, devid;
	double talloc, tres;
	uint64_t addr;
	int64_t bytes;
	int has_pyid, has_pyparent;
	int64_t pyid, pyparent, module_id;
	int has_tid, tid_is_str, has_corr, has_id;
	int64_t tid, corr, id;
	tb_buf cap[N_CAP];    /* str() of the argument's value */
	int cap_has[N_CAP];   /* present */
	int cap_str[N_CAP];   /* the value is a string */
	int cap_none[N_CAP];  /* the value is null */
	int cap_false[N_CAP]; /* the value is falsy in Python */
} event;

typedef struct comm_op {
	int64_t ext;
	double start, end;
	uint64_t seq; /* order by ts, for "last one wins" */
} comm_op;

struct tb_prof_parser {
	yajl_handle h;
	int failed; /* the JSON is bad (message in err) */
	size_t fed;  /* bytes parsed before the current piece */
	char *err;
	int depth;
	int top;	 /* 0 unknown, 1 object, 2 array */
	int in_events;	 /* inside the top object's "traceEvents" array */
	int events_seen; /* a "traceEvents" member was found */
	int events_not_array;
	int top_key_events;
	int lightning;
	enum field field, arg_field;
	event ev;
	uint64_t index;
	/* the reference's scan for "Record Window End" */
	int64_t last_nameless, last_rwe, last_iter;
	char *reject; /* first event the reference would reject the file for */
	tb_prof_trace *t;
	/* kernel statistics by name: open addressing on name */
	tb_prof_kernel *kern;
	size_t n_kern, cap_kern;
	size_t *slots;
	size_t n_slots;
	int64_t *kernel_ext; /* external ids of kernels; INT64_MIN for none */
	size_t n_kernel_ext, cap_kernel_ext;
	comm_op *comm;
	size_t n_comm, cap_comm;
	int keep_kernels;
	int chrome; /* another profiler's trace: checked and counted only */
	size_t cap_mem;
	int in_props;	      /* inside the top object's "deviceProperties" array */
	int top_key_props;    /* the pending top-level key is "deviceProperties" */
	enum field prop_field;
	size_t cap_devices;
	uint64_t used[1024];  /* bit set of device pids seen */
	size_t cap_kspans;
	tb_prof_num min_ts, max_end; /* over complete events, for the range */
	int has_minmax, has_profiler0;
	tb_prof_num p0_start, p0_end;
	tb_prof_opbuild *ops;	    /* the operator tree's builder, when kept */
	int cap_i;		    /* argument being captured, or -1 */
	int cap_depth;		    /* depth of its value */
	uint64_t cap_more, cap_map; /* per nesting level: not first / a map */
};

/* ---- helpers ------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void reject(tb_prof_parser *p, const char *fmt, const char *what)
{
	if (p->reject)
		return;
	char msg[256];
	snprintf(msg, sizeof msg, fmt, what ? what : "");
	p->reject = tb_xstrdup(msg);
}

/* Substrings that mark a Tensor Core kernel in the reference's list. */
static const char *const tc_fragments[] = {
    "h884",	   "s884",	      "h1688",		   "s1688",
    "hmma",	   "i8816",	      "16816",		   "dgrad_1x1_stride_2x2",
    "first_layer_wgrad_kernel", "conv1x1", "conv2d_c1_k1",	   "direct_group",
    "xmma_implicit_gemm",	   "xmma_sparse_conv", "xmma_warp_specialized_implicit_gemm",
    "xmma_gemm",   "xmma_sparse_gemm", "c1688",
};

int tb_prof_tensor_core_kernel(const char *name)
{
	for (size_t i = 0; i < sizeof tc_fragments / sizeof tc_fragments[0]; i++)
		if (strstr(name, tc_fragments[i]))
			return 1;
	return 0;
}

static tb_prof_kernel *kernel_slot(tb_prof_parser *p, const char *name)
{
	if (p->n_kern * 2 >= p->n_slots) {
		size_t n = p->n_slots ? p->n_slots * 2 : 64;
		size_t *s = tb_xmalloc(n * sizeof *s);
		for (size_t i = 0; i < n; i++)
			s[i] = SIZE_MAX;
		for (size_t k = 0; k < p->n_kern; k++) {
			size_t i = hash_str(p->kern[k].name) & (n - 1);
			while (s[i] != SIZE_MAX)
				i = (i + 1) & (n - 1);
			s[i] = k;
		}
		free(p->slots);
		p->slots = s;
		p->n_slots = n;
	}
	size_t i = hash_str(name) & (p->n_slots - 1);
	while (p->slots[i] != SIZE_MAX) {
		if (strcmp(p->kern[p->slots[i]].name, name) == 0)
			return &p->kern[p->slots[i]];
		i = (i + 1) & (p->n_slots - 1);
	}
	p->kern = tb_xgrow(p->kern, &p->cap_kern, p->n_kern + 1, sizeof *p->kern);
	tb_prof_kernel *k = &p->kern[p->n_kern];
	memset(k, 0, sizeof *k);
	k->name = tb_xstrdup(name);
	k->tensor_cores = tb_prof_tensor_core_kernel(name);
	p->slots[i] = p->n_kern++;
	return k;
}

static enum kind kind_of(const char *cat)
{
	static const struct {
		const char *cat;
		enum kind kind;
	} map[] = {
	    {"trace", K_TRACE},		  {"cpu_op", K_OPERATOR},	   {"operator", K_OPERATOR},
	    {"runtime", K_RUNTIME},	  {"cuda_runtime", K_RUNTIME},	   {"mtia_runtime", K_RUNTIME},
	    {"glow_runtime", K_RUNTIME},  {"xpu_runtime", K_RUNTIME},	   {"privateuse1_runtime", K_RUNTIME},
	    {"kernel", K_KERNEL},	  {"memcpy", K_MEMCPY},		   {"gpu_memcpy", K_MEMCPY},
	    {"memset", K_MEMSET},	  {"gpu_memset", K_MEMSET},	   {"python", K_PYTHON},
	    {"memory", K_OTHER},	  {"python_function", K_PYFUNC},   {"user_annotation", K_ANNOTATION},
	    {"gpu_user_annotation", K_ANNOTATION},
	};
	char low[32];
	size_t n = strlen(cat);
	if (n >= sizeof low)
		return K_NONE;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)cat[i]);
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(low, map[i].cat) == 0)
			return map[i].kind;
	return K_NONE;
}

static int is_comm_name(const char *n)
{
	static const char *const ops[] = {"broadcast", "reduce", "all_reduce", "all_gather",
					  "reduce_scatter"};
	const char *rest;
	if (strncmp(n, "nccl:", 5) == 0)
		rest = n + 5;
	else if (strncmp(n, "gloo:", 5) == 0)
		rest = n + 5;
	else
		return 0;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(rest, ops[i]) == 0)
			return n[0] == 'n' ? TB_PROF_NCCL : TB_PROF_GLOO;
	return 0;
}

/* Python's int() of the text after "ProfilerStep#" up to the next '#'. */
static int step_number_ok(const char *s)
{
	const char *end = strchr(s, '#');
	size_t n = end ? (size_t)(end - s) : strlen(s);
	size_t i = 0;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	while (n > i && isspace((unsigned char)s[n - 1]))
		n--;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= n || !isdigit((unsigned char)s[i]))
		return 0;
	for (; i < n; i++) {
		if (isdigit((unsigned char)s[i]))
			continue;
		if (s[i] == '_' && i + 1 < n && isdigit((unsigned char)s[i + 1]))
			continue;
		return 0;
	}
	return 1;
}

/* ---- one finished event -------------------------------------------------- */

static void event_reset(event *e)
{
	tb_buf_clear(&e->name);
	tb_buf_clear(&e->ph);
	tb_buf_clear(&e->cat);
	e->has_name = e->name_is_str = e->has_cat = 0;
	e->has_ts = e->has_dur = e->dur_float = e->ts_float = e->bps_float = 0;
	e->has_ext = e->has_ext_old = 0;
	e->has_bps = e->has_occ = e->has_device = e->has_module = 0;
	e->ts = e->dur = e->bps = e->occ = 0;
	e->device = -1;
	e->pid = -1;
	e->has_addr = e->has_talloc = e->has_tres = 0;
	e->devtype = e->devid = -1;
	e->talloc = e->tres = 0;
	e->addr = 0;
	e->bytes = 0;
	e->has_pyid = e->has_pyparent = 0;
	e->pyid = e->pyparent = e->module_id = 0;
	e->has_tid = e->tid_is_str = e->has_corr = e->has_id = 0;
	e->tid = e->corr = 0;
	for (int i = 0; i < N_CAP; i++) {
		tb_buf_clear(&e->cap[i]);
		e->cap_has[i] = e->cap_str[i] = e->cap_none[i] = e->cap_false[i] = 0;
	}
}

static const char *event_name(const event *e)
{
	return e->name.ptr ? e->name.ptr : "";
}

/* profiler_start_ts: min() over every event the reference creates */
/* Keep a [memory] event for the memory tables (memory.h). */
static void add_memrec(tb_prof_trace *t, const event *e)
{
	if (!t->memory)
		t->memory = tb_prof_memory_new();
	tb_prof_memrec r = {0};
	r.ts = e->ts;
	r.has_tid = (uint8_t)e->has_tid;
	r.tid_is_str = (uint8_t)e->tid_is_str;
	r.tid = e->tid;
	r.has_addr = (uint8_t)e->has_addr;
	r.addr = e->addr;
	r.bytes = e->bytes;
	r.device = e->devtype == 0				 ? -1
		   : e->devtype == 1 && e->devid >= 0 ? e->devid
							 : TB_PROF_MEM_NODEV;
	tb_prof_memory_add(t->memory, &r);
}

static void note_start(tb_prof_parser *p, tb_prof_num ts)
{
	if (!p->t->has_start || ts.v < p->t->start.v)
		p->t->start = ts;
	p->t->has_start = 1;
}

static void note_device(tb_prof_parser *p)
{
	int pid = p->ev.pid;
	if (pid >= 0)
		p->used[pid / 64] |= 1ull << (pid % 64);
}

/* str() of captured argument i, or NULL when absent. */
static const char *cap_text(const event *e, int i)
{
	return e->cap_has[i] ? (e->cap[i].ptr ? e->cap[i].ptr : "") : NULL;
}

/* Hand a complete event of kind k to the operator tree's builder. */
static void keep_op(tb_prof_parser *p, enum kind k, int has_ext, int64_t ext)
{
	const event *e = &p->ev;
	const char *name = event_name(e);
	tb_prof_oprec r = {0};
	switch (k) {
	case K_KERNEL:
		r.kind = TB_OK_KERNEL;
		break;
	case K_MEMCPY:
		r.kind = TB_OK_MEMCPY;
		break;
	case K_MEMSET:
		r.kind = TB_OK_MEMSET;
		break;
	case K_RUNTIME:
		r.kind = TB_OK_RUNTIME;
		break;
	case K_OPERATOR:
	case K_ANNOTATION:
		r.kind = strncmp(name, "ProfilerStep#", 13) == 0 ? TB_OK_STEP
			 : k == K_OPERATOR			 ? TB_OK_OPERATOR
								 : TB_OK_ANNOTATION;
		break;
	case K_PYTHON:
		r.kind = TB_OK_PYTHON;
		break;
	case K_PYFUNC:
		if (p->lightning || !e->has_module)
			return;
		r.kind = TB_OK_MODULE;
		r.module_id = e->module_id;
		break;
	default:
		return;
	}
	r.name = name;
	r.ts = e->ts;
	r.dur = e->dur;
	r.tid = e->has_tid ? e->tid : 0;
	r.tid_is_str = e->tid_is_str;
	r.has_ext = has_ext;
	r.ext = ext;
	r.has_corr = e->has_corr;
	r.corr = e->corr;
	r.stack = e->cap_has[CAP_STACK] && e->cap_str[CAP_STACK] ? cap_text(e, CAP_STACK) : NULL;
	/* "Input Dims", else "Input dims", else [] */
	if (e->cap_has[CAP_DIMS] && !e->cap_none[CAP_DIMS])
		r.shape = cap_text(e, CAP_DIMS);
	else if (e->cap_has[CAP_DIMS_OLD])
		r.shape = cap_text(e, CAP_DIMS_OLD);
	else
		r.shape = "[]";
	r.grid = cap_text(e, CAP_GRID);
	r.block = cap_text(e, CAP_BLOCK);
	/* str(x or '0') */
	r.regs = e->cap_has[CAP_REGS] && !e->cap_false[CAP_REGS] ? cap_text(e, CAP_REGS) : "0";
	r.shmem = e->cap_has[CAP_SHMEM] && !e->cap_false[CAP_SHMEM] ? cap_text(e, CAP_SHMEM) : "0";
	r.has_bps = e->has_bps;
	r.bps = e->bps;
	r.has_occ = e->has_occ;
	r.occ = e->occ;
	r.is_float = e->ts_float || e->dur_float;
	r.device = e->has_device ? e->device : -1;
	r.types = cap_text(e, CAP_TYPES);
	tb_prof_opbuild_add(p->ops, &r);
}

static void fold_event(tb_prof_parser *p)
{
	event *e = &p->ev;
	tb_prof_trace *t = p->t;
	int64_t idx = (int64_t)p->index++;
	t->events++;
	const char *name = event_name(e);
	if (!e->has_name || !e->name_is_str)
		p->last_nameless = idx;
	else if (strcmp(name, "Record Window End") == 0)
		p->last_rwe = idx;
	else if (strncmp(name, "Iteration Start:", 16) == 0)
		p->last_iter = idx;

	if (e->has_cat && e->cat.ptr && strcmp(e->cat.ptr, "fwdbwd") == 0) {
		/* a forward operator's flow to its backward: the tree's
		 * backward modules pair them by id */
		const char *fph = e->ph.ptr ? e->ph.ptr : "";
		if (p->ops && e->has_id && e->has_ts && (!strcmp(fph, "s") || !strcmp(fph, "f")))
			tb_prof_opbuild_flow(p->ops, fph[0] == 's', e->id, e->ts);
		return;
	}
	const char *ph = e->ph.ptr ? e->ph.ptr : "";
	if (strcmp(ph, "i") == 0 && e->name_is_str && strcmp(name, "[memory]") == 0) {
		t->has_memory = 1;
		if (!e->has_ts) {
			reject(p, "a memory event has no ts%s", NULL);
			return;
		}
		tb_prof_num ts = {e->ts, e->ts_float};
		note_start(p, ts);
		if (p->ops)
			add_memrec(t, e);
		/* the curve skips records without an address or a total */
		if (!e->has_addr || !e->has_talloc || !e->has_tres || e->devtype < 0 || e->devtype > 1)
			return;
		t->mem = tb_xgrow(t->mem, &p->cap_mem, t->n_mem + 1, sizeof *t->mem);
		tb_prof_mem *m = &t->mem[t->n_mem++];
		m->ts = ts;
		m->device = e->devtype == 0 ? -1 : e->devid;
		m->allocated = e->talloc;
		m->reserved = e->tres;
		return;
	}
	if (strcmp(ph, "X") != 0)
		return;
	if (!e->has_cat) {
		reject(p, "a complete event has no category%s", NULL);
		return;
	}
	enum kind k = kind_of(e->cat.ptr ? e->cat.ptr : "");
	if (k == K_NONE || (k == K_PYFUNC && p->lightning))
		return;
	if (!e->has_dur || !e->has_ts) {
		reject(p, "a complete event has no ts or dur%s", NULL);
		return;
	}
	tb_prof_num ts = {e->ts, e->ts_float}, end = {e->ts + e->dur, e->ts_float || e->dur_float};
	note_start(p, ts);
	/* min() and max() keep the first of equal values */
	if (!p->has_minmax || ts.v < p->min_ts.v)
		p->min_ts = ts;
	if (!p->has_minmax || end.v > p->max_end.v)
		p->max_end = end;
	p->has_minmax = 1;
	if (k == K_TRACE && e->name_is_str && strcmp(name, "PyTorch Profiler (0)") == 0 &&
	    (!p->has_profiler0 || ts.v >= p->p0_start.v)) {
		p->has_profiler0 = 1;
		p->p0_start = ts;
		p->p0_end = end;
	}
	int has_ext = e->has_ext || e->has_ext_old;
	int64_t ext = e->has_ext ? e->ext : e->ext_old;
	if (p->ops)
		keep_op(p, k, has_ext, ext);
	switch (k) {
	case K_KERNEL: {
		note_device(p);
		if (p->keep_kernels && e->has_device && e->device >= 0) {
			t->kspans = tb_xgrow(t->kspans, &p->cap_kspans, t->n_kspans + 1,
					     sizeof *t->kspans);
			tb_prof_kspan *ks = &t->kspans[t->n_kspans++];
			ks->start = ts;
			ks->end = end;
			ks->bps.v = e->bps;
			ks->bps.is_float = e->bps_float;
			ks->has_bps = e->has_bps;
			ks->device = e->device;
		}
		p->kernel_ext = tb_xgrow(p->kernel_ext, &p->cap_kernel_ext, p->n_kernel_ext + 1,
					 sizeof *p->kernel_ext);
		p->kernel_ext[p->n_kernel_ext++] = has_ext ? ext : INT64_MIN;
		if (e->dur_float)
			t->kernel_dur_float = 1;
		if (e->has_device) {
			if (e->has_bps && e->bps > 0.0)
				t->has_blocks_per_sm = 1;
			if (e->has_occ && e->occ >= 0.0)
				t->has_occupancy = 1;
		}
		if (!e->name_is_str)
			return;
		tb_prof_kernel *kr = kernel_slot(p, name);
		if (kr->count == 0 || e->dur < kr->min)
			kr->min = e->dur;
		if (kr->count == 0 || e->dur > kr->max)
			kr->max = e->dur;
		kr->count++;
		kr->sum += e->dur;
		kr->wbps += (e->has_bps ? e->bps : 0.0) * e->dur;
		kr->wocc += (e->has_occ ? e->occ : 0.0) * e->dur;
		return;
	}
	case K_MEMCPY:
	case K_MEMSET:
		t->has_memcpy_or_memset = 1;
		note_device(p);
		return;
	case K_RUNTIME:
		t->has_runtime = 1;
		return;
	case K_OPERATOR:
	case K_ANNOTATION:
	case K_PYTHON:
		if (!e->name_is_str) {
			reject(p, "an operator has no name%s", NULL);
			return;
		}
		if (k != K_PYTHON && strncmp(name, "ProfilerStep#", 13) == 0) {
			if (!step_number_ok(name + 13))
				reject(p, "step name \"%.200s\" has no number", name);
			return;
		}
		{
			int lib = is_comm_name(name);
			if (lib) {
				t->comm_libs |= lib;
				t->n_comm_ops++;
				p->comm = tb_xgrow(p->comm, &p->cap_comm, p->n_comm + 1, sizeof *p->comm);
				comm_op *c = &p->comm[p->n_comm];
				c->ext = has_ext ? ext : INT64_MIN;
				c->start = e->ts;
				c->end = e->ts + e->dur;
				c->seq = p->n_comm++;
			}
		}
		return;
	case K_PYFUNC:
		if (!p->lightning && e->has_module)
			t->has_module = 1;
		if (p->ops && !p->lightning) {
			/* the Module view's hierarchy (modules.h) */
			if (!t->modules)
				t->modules = tb_prof_modules_new();
			tb_prof_modules_event(t->modules, e->has_pyid, e->pyid, e->has_pyparent,
					      e->pyparent, e->has_module ? name : NULL,
					      e->module_id);
		}
		return;
	default:
		return;
	}
}

/* ---- arguments kept as Python's str() ------------------------------------- */

/* Python's repr() of a string. */
static void py_repr_str(tb_buf *b, const unsigned char *s, size_t n)
{
	char q = memchr(s, '\'', n) && !memchr(s, '"', n) ? '"' : '\'';
	tb_buf_putc(b, q);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];
		if (c == (unsigned char)q || c == '\\') {
			tb_buf_putc(b, '\\');
			tb_buf_putc(b, (char)c);
		} else if (c == '\n') {
			tb_buf_puts(b, "\\n");
		} else if (c == '\r') {
			tb_buf_puts(b, "\\r");
		} else if (c == '\t') {
			tb_buf_puts(b, "\\t");
		} else if (c < 0x20 || c == 0x7f) {
			tb_buf_printf(b, "\\x%02x", c);
		} else {
			tb_buf_putc(b, (char)c);
		}
	}
	tb_buf_putc(b, q);
}

static void cap_begin(tb_prof_parser *p, int i)
{
	event *e = &p->ev;
	tb_buf_clear(&e->cap[i]);
	e->cap_has[i] = 1;
	e->cap_str[i] = e->cap_none[i] = e->cap_false[i] = 0;
	p->cap_i = i;
	p->cap_depth = p->depth;
	p->cap_more = p->cap_map = 0;
}

/* Before a value inside the captured one: the separator its container
 * needs. Returns the buffer. */
static tb_buf *cap_value(tb_prof_parser *p)
{
	int level = p->depth - p->cap_depth;
	tb_buf *b = &p->ev.cap[p->cap_i];
	if (level > 0 && level < 64 && !(p->cap_map >> level & 1)) {
		if (p->cap_more >> level & 1)
			tb_buf_puts(b, ", ");
		p->cap_more |= 1ull << level;
	}
	return b;
}

/* After a scalar or a closed container: the capture ends with the
 * argument's own value. */
static void cap_after(tb_prof_parser *p)
{
	if (p->depth == p->cap_depth) {
		p->cap_i = -1;
		p->arg_field = F_NONE;
	}
}

/* A scalar token while capturing: type 'n' null, 'b' bool, 'd' number,
 * 's' string. */
static int cap_scalar(tb_prof_parser *p, int type, const char *s, size_t n, int v)
{
	event *e = &p->ev;
	int top = p->depth == p->cap_depth, i = p->cap_i;
	tb_buf *b = cap_value(p);
	switch (type) {
	case 'n':
		tb_buf_puts(b, "None");
		if (top)
			e->cap_none[i] = e->cap_false[i] = 1;
		break;
	case 'b':
		tb_buf_puts(b, v ? "True" : "False");
		if (top && !v)
			e->cap_false[i] = 1;
		break;
	case 'd': {
		char tmp[64];
		double x = 0;
		if (n < sizeof tmp) {
			memcpy(tmp, s, n);
			tmp[n] = 0;
			x = strtod(tmp, NULL);
		}
		if (memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n))
			tb_buf_append(b, tmp, tb_fmt_double(tmp, x));
		else
			tb_buf_append(b, s, n);
		if (top && x == 0)
			e->cap_false[i] = 1;
		break;
	}
	default:
		if (top) {
			tb_buf_append(b, s, n); /* str() of a string is itself */
			e->cap_str[i] = 1;
			if (!n)
				e->cap_false[i] = 1;
		} else {
			py_repr_str(b, (const unsigned char *)s, n);
		}
	}
	cap_after(p);
	return 1;
}

static int cap_open(tb_prof_parser *p, int is_map)
{
	tb_buf *b = cap_value(p);
	tb_buf_putc(b, is_map ? '{' : '[');
	p->depth++;
	int level = p->depth - p->cap_depth;
	if (level < 64) {
		p->cap_more &= ~(1ull << level);
		if (is_map)
			p->cap_map |= 1ull << level;
		else
			p->cap_map &= ~(1ull << level);
	}
	return 1;
}

static int cap_close(tb_prof_parser *p, int is_map)
{
	tb_buf *b = &p->ev.cap[p->cap_i];
	tb_buf_putc(b, is_map ? '}' : ']');
	if (p->depth == p->cap_depth + 1 && b->len == 2)
		p->ev.cap_false[p->cap_i] = 1; /* [] or {} */
	p->depth--;
	cap_after(p);
	return 1;
}

static int cap_key(tb_prof_parser *p, const unsigned char *s, size_t n)
{
	int level = p->depth - p->cap_depth;
	tb_buf *b = &p->ev.cap[p->cap_i];
	if (level > 0 && level < 64) {
		if (p->cap_more >> level & 1)
			tb_buf_puts(b, ", ");
		p->cap_more |= 1ull << level;
	}
	py_repr_str(b, s, n);
	tb_buf_puts(b, ": ");
	return 1;
}

/* ---- yajl callbacks ------------------------------------------------------- */

static int on_value(tb_prof_parser *p)
{
	/* a scalar value at the current depth ends any pending key */
	if (p->depth == 1 && p->top == 1 && p->top_key_events) {
		p->events_seen = 1;
		p->events_not_array = 1;
		p->top_key_events = 0;
	}
	return 1;
}

static int cb_null(void *ctx)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_scalar(p, 'n', NULL, 0, 0);
	if (p->depth == 3 && p->in_events && p->field == F_NAME)
		p->ev.has_name = 1;
	if (p->depth == 3 && p->in_events && p->field == F_CAT)
		p->ev.has_cat = 1; /* null category: the reference fails on it too */
	p->field = F_NONE;
	p->arg_field = F_NONE;
	return on_value(p);
}

static int cb_bool(void *ctx, int v)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_scalar(p, 'b', NULL, 0, v);
	return cb_null(ctx);
}

static tb_prof_device *cur_device(tb_prof_parser *p)
{
	return p->t->n_devices ? &p->t->devices[p->t->n_devices - 1] : NULL;
}

/* An id read as a double, as an integer; out-of-range values (which no
 * profiler writes) collapse to one id instead of overflowing. */
static int64_t to_id(double v)
{
	return v > -9e18 && v < 9e18 ? (int64_t)v : INT64_MAX;
}

static int cb_number(void *ctx, const char *s, size_t n)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_scalar(p, 'd', s, n, 0);
	if (p->in_props && p->depth == 3 && cur_device(p)) {
		char tmp[64];
		tb_prof_device *d = cur_device(p);
		tb_prof_num v = {0, memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n)};
		if (n < sizeof tmp) {
			memcpy(tmp, s, n);
			tmp[n] = 0;
			v.v = strtod(tmp, NULL);
		}
		if (p->prop_field == P_MEM)
			d->has_mem = 1, d->mem = v;
		else if (p->prop_field == P_MAJOR)
			d->has_major = 1, d->major = v;
		else if (p->prop_field == P_MINOR)
			d->has_minor = 1, d->minor = v;
		p->prop_field = F_NONE;
		return 1;
	}
	if (p->in_events && (p->depth == 3 || p->depth == 4)) {
		char tmp[64];
		int is_float = memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n);
		double v = 0;
		if (n < sizeof tmp) {
			memcpy(tmp, s, n);
			tmp[n] = 0;
			v = strtod(tmp, NULL);
		}
		event *e = &p->ev;
		if (p->depth == 3) {
			switch (p->field) {
			case F_TS:
				e->has_ts = 1, e->ts = v, e->ts_float = is_float;
				break;
			case F_DUR:
				e->has_dur = 1, e->dur = v, e->dur_float = is_float;
				break;
			case F_PID:
				if (!is_float && v >= 0 && v < 65536)
					e->pid = (int)v;
				break;
			case F_TID:
				e->has_tid = 1, e->tid = to_id(v);
				break;
			case F_ID:
				e->has_id = !is_float, e->id = to_id(v);
				break;
			case F_NAME:
				e->has_name = 1;
				break;
			case F_CAT:
				e->has_cat = 1;
				break;
			default:
				break;
			}
		} else {
			switch (p->arg_field) {
			case A_EXT:
				e->has_ext = 1, e->ext = to_id(v);
				break;
			case A_EXT_OLD:
				e->has_ext_old = 1, e->ext_old = to_id(v);
				break;
			case A_BPS:
				e->has_bps = 1, e->bps = v, e->bps_float = is_float;
				break;
			case A_OCC:
				e->has_occ = 1, e->occ = v;
				break;
			case A_DEVICE:
				e->has_device = 1;
				if (!is_float && v >= 0 && v < 1e9)
					e->device = (int)v;
				break;
			case A_MODULE:
				e->has_module = 1;
				e->module_id = to_id(v);
				break;
			case A_PYID:
				e->has_pyid = 1, e->pyid = to_id(v);
				break;
			case A_PYPARENT:
				e->has_pyparent = 1, e->pyparent = to_id(v);
				break;
			case A_DEVTYPE:
				if (!is_float && v >= 0 && v < 1e9)
					e->devtype = (int)v;
				break;
			case A_DEVID:
				if (!is_float && v >= 0 && v < 1e9)
					e->devid = (int)v;
				break;
			case A_ADDR:
				e->has_addr = 1;
				if (n < sizeof tmp)
					e->addr = strtoull(tmp, NULL, 10);
				break;
			case A_BYTES:
				if (n < sizeof tmp)
					e->bytes = strtoll(tmp, NULL, 10);
				break;
			case A_TALLOC:
				e->has_talloc = 1, e->talloc = v;
				break;
			case A_TRES:
				e->has_tres = 1, e->tres = v;
				break;
			case A_CORR:
				e->has_corr = 1, e->corr = to_id(v);
				break;
			default:
				break;
			}
		}
	}
	p->field = p->depth == 3 ? F_NONE : p->field;
	p->arg_field = F_NONE;
	return on_value(p);
}

/* Python's int() of a decimal string (spaces around, a sign, digits);
 * returns 0 when it is not one. */
static int str_int(int64_t *out, const unsigned char *s, size_t n)
{
	char tmp[32];
	while (n && isspace(*s))
		s++, n--;
	while (n && isspace(s[n - 1]))
		n--;
	if (!n || n >= sizeof tmp)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	char *end;
	long long v = strtoll(tmp, &end, 10);
	if (*end || !isdigit((unsigned char)tmp[n - 1]) || isspace((unsigned char)tmp[0]))
		return 0;
	*out = v;
	return 1;
}

static int cb_string(void *ctx, const unsigned char *s, size_t n)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_scalar(p, 's', (const char *)s, n, 0);
	if (p->in_props && p->depth == 3 && cur_device(p)) {
		if (p->prop_field == P_NAME && !memchr(s, 0, n)) {
			free(cur_device(p)->name);
			cur_device(p)->name = tb_xstrndup((const char *)s, n);
		}
		p->prop_field = F_NONE;
		return 1;
	}
	if (p->depth == 1 && p->top == 1 && p->top_key_events) {
		/* "traceEvents": "..." iterates characters: rejected unless empty */
		p->events_seen = 1;
		if (n)
			p->events_not_array = 1;
		p->top_key_events = 0;
		return 1;
	}
	if (p->depth == 1 && p->top == 1 && p->field == F_NAME) {
		/* top-level "Framework" */
		p->lightning = n == 17 && memcmp(s, "pytorch-lightning", 17) == 0;
		p->field = F_NONE;
		return 1;
	}
	if (p->in_events && p->depth == 3) {
		event *e = &p->ev;
		switch (p->field) {
		case F_NAME:
			e->has_name = e->name_is_str = 1;
			tb_buf_clear(&e->name);
			tb_buf_append(&e->name, s, n);
			if (memchr(s, 0, n)) /* keep C strings whole */
				e->name_is_str = 0;
			break;
		case F_PH:
			tb_buf_clear(&e->ph);
			tb_buf_append(&e->ph, s, n);
			break;
		case F_CAT:
			e->has_cat = 1;
			tb_buf_clear(&e->cat);
			tb_buf_append(&e->cat, s, n);
			break;
		case F_TID:
			/* the reference groups operators by int(tid) */
			e->has_tid = str_int(&e->tid, s, n);
			e->tid_is_str = 1;
			break;
		default:
			break;
		}
		p->field = F_NONE;
	} else if (p->in_events && p->depth == 4 && p->field == F_ARGS) {
		if (p->arg_field == A_DEVICE)
			p->ev.has_device = 1;
		else if (p->arg_field == A_MODULE)
			p->ev.has_module = 1;
		else if (p->arg_field == A_ADDR)
			p->ev.has_addr = 1;
		p->arg_field = F_NONE;
	}
	return on_value(p);
}

static int key_is(const unsigned char *s, size_t n, const char *z)
{
	return strlen(z) == n && memcmp(s, z, n) == 0;
}

static int cb_map_key(void *ctx, const unsigned char *s, size_t n)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_key(p, s, n);
	if (p->depth == 2 && p->events_not_array == 2)
		p->events_not_array = 1; /* keys of a "traceEvents" object */
	if (p->in_props && p->depth == 3) {
		p->prop_field = key_is(s, n, "name")		 ? P_NAME
				: key_is(s, n, "totalGlobalMem") ? P_MEM
				: key_is(s, n, "computeMajor")	 ? P_MAJOR
				: key_is(s, n, "computeMinor")	 ? P_MINOR
								 : F_NONE;
		return 1;
	}
	if (p->depth == 1 && p->top == 1) {
		p->top_key_props = key_is(s, n, "deviceProperties");
		p->top_key_events = key_is(s, n, "traceEvents");
		p->field = key_is(s, n, "Framework") ? F_NAME : F_NONE;
	} else if (p->in_events && p->depth == 3) {
		enum field f = F_NONE;
		if (key_is(s, n, "name"))
			f = F_NAME;
		else if (key_is(s, n, "ph"))
			f = F_PH;
		else if (key_is(s, n, "cat"))
			f = F_CAT;
		else if (key_is(s, n, "ts"))
			f = F_TS;
		else if (key_is(s, n, "dur"))
			f = F_DUR;
		else if (key_is(s, n, "args"))
			f = F_ARGS;
		else if (key_is(s, n, "pid"))
			f = F_PID;
		else if (key_is(s, n, "tid"))
			f = F_TID;
		else if (key_is(s, n, "id"))
			f = F_ID;
		p->field = f;
	} else if (p->in_events && p->depth == 4 && p->field == F_ARGS) {
		enum field f = F_NONE;
		if (key_is(s, n, "external id"))
			f = A_EXT;
		else if (key_is(s, n, "External id"))
			f = A_EXT_OLD;
		else if (key_is(s, n, "blocks per SM"))
			f = A_BPS;
		else if (key_is(s, n, "est. achieved occupancy %"))
			f = A_OCC;
		else if (key_is(s, n, "device"))
			f = A_DEVICE;
		else if (key_is(s, n, "Python id"))
			f = A_PYID;
		else if (key_is(s, n, "Python parent id"))
			f = A_PYPARENT;
		else if (key_is(s, n, "Python module id"))
			f = A_MODULE;
		else if (key_is(s, n, "Device Type"))
			f = A_DEVTYPE;
		else if (key_is(s, n, "Device Id"))
			f = A_DEVID;
		else if (key_is(s, n, "Addr"))
			f = A_ADDR;
		else if (key_is(s, n, "Bytes"))
			f = A_BYTES;
		else if (key_is(s, n, "Total Allocated"))
			f = A_TALLOC;
		else if (key_is(s, n, "Total Reserved"))
			f = A_TRES;
		else if (key_is(s, n, "correlation"))
			f = A_CORR;
		p->arg_field = f;
		for (int i = 0; p->ops && f == F_NONE && i < N_CAP; i++)
			if (key_is(s, n, cap_keys[i]))
				cap_begin(p, i);
	}
	return 1;
}

/* An object or array as the value of an event field or argument: it is
 * skipped, but a name or category that is present counts as present. */
static void nested_value(tb_prof_parser *p)
{
	if (p->in_events && p->depth == 3) {
		if (p->field == F_NAME)
			p->ev.has_name = 1;
		if (p->field == F_CAT)
			p->ev.has_cat = 1;
		p->field = F_NONE;
	} else if (p->in_events && p->depth == 4) {
		if (p->arg_field == A_DEVICE)
			p->ev.has_device = 1;
		else if (p->arg_field == A_MODULE)
			p->ev.has_module = 1;
		p->arg_field = F_NONE;
	}
}

static int cb_start_map(void *ctx)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_open(p, 1);
	if (p->depth == 0) {
		p->top = 1;
	} else if (p->depth == 1 && p->top == 1 && p->top_key_events) {
		/* "traceEvents": {...} iterates keys: rejected unless empty */
		p->events_seen = 1;
		p->events_not_array = 2;
		p->top_key_events = 0;
	} else if (p->in_props && p->depth == 2) {
		tb_prof_trace *t = p->t;
		t->devices = tb_xgrow(t->devices, &p->cap_devices, t->n_devices + 1, sizeof *t->devices);
		memset(&t->devices[t->n_devices++], 0, sizeof *t->devices);
		p->prop_field = F_NONE;
	} else if (p->in_events && p->depth == 2) {
		event_reset(&p->ev);
		p->field = F_NONE;
	} else if (p->in_events && p->depth == 3 && p->field == F_ARGS) {
		p->arg_field = F_NONE;
	} else {
		nested_value(p);
	}
	p->depth++;
	return 1;
}

static int cb_end_map(void *ctx)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_close(p, 1);
	p->depth--;
	if (p->in_events && p->depth == 2 && p->chrome) {
		p->t->events++;
		event_reset(&p->ev);
	} else if (p->in_events && p->depth == 2) {
		fold_event(p);
	} else if (p->in_events && p->depth == 3)
		p->field = F_NONE; /* end of args */
	else if (p->depth == 1 && p->events_not_array == 2)
		p->events_not_array = 0; /* an empty object: nothing to iterate */
	return 1;
}

static int cb_start_array(void *ctx)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_open(p, 0);
	if (p->depth == 0) {
		p->top = 2;
	} else if (p->depth == 1 && p->top == 1 && p->top_key_events) {
		p->events_seen = 1;
		p->events_not_array = 0;
		p->in_events = 1;
		p->top_key_events = 0;
	} else if (p->depth == 1 && p->top == 1 && p->top_key_props) {
		p->in_props = 1;
		p->top_key_props = 0;
	} else {
		nested_value(p);
	}
	p->depth++;
	return 1;
}

static int cb_end_array(void *ctx)
{
	tb_prof_parser *p = ctx;
	if (p->cap_i >= 0)
		return cap_close(p, 0);
	p->depth--;
	if (p->in_events && p->depth == 1)
		p->in_events = 0;
	if (p->in_props && p->depth == 1)
		p->in_props = 0;
	else if (p->top == 2 && p->depth == 0)
		return 1;
	return 1;
}

/* An element of the events array that is not an object. */
static int element_check(tb_prof_parser *p)
{
	if (p->in_events && p->depth == 2)
		reject(p, "an element of traceEvents is not an object%s", NULL);
	return 1;
}

static int cb_null_el(void *ctx)
{
	element_check(ctx);
	return cb_null(ctx);
}
static int cb_bool_el(void *ctx, int v)
{
	element_check(ctx);
	return cb_bool(ctx, v);
}
static int cb_number_el(void *ctx, const char *s, size_t n)
{
	element_check(ctx);
	return cb_number(ctx, s, n);
}
static int cb_string_el(void *ctx, const unsigned char *s, size_t n)
{
	element_check(ctx);
	return cb_string(ctx, s, n);
}
static int cb_start_array_el(void *ctx)
{
	element_check(ctx);
	return cb_start_array(ctx);
}

static const yajl_callbacks callbacks = {
    cb_null_el,	  cb_bool_el,	NULL,	     NULL,	   cb_number_el,      cb_string_el,
    cb_start_map, cb_map_key,	cb_end_map,  cb_start_array_el, cb_end_array,
};

/* ---- parser lifecycle ------------------------------------------------------ */

tb_prof_parser *tb_prof_parser_new(void)
{
	tb_prof_parser *p = tb_xcalloc(1, sizeof *p);
	p->t = tb_xcalloc(1, sizeof *p->t);
	p->h = yajl_alloc(&callbacks, NULL, p);
	if (!p->h)
		abort();
	yajl_config(p->h, yajl_dont_validate_strings, 1);
	p->last_nameless = p->last_rwe = p->last_iter = -1;
	p->cap_i = -1;
	return p;
}

static void set_json_error(tb_prof_parser *p, const unsigned char *buf, size_t n)
{
	unsigned char *msg = yajl_get_error(p->h, 0, buf, n);
	char *line = tb_xstrdup(msg ? (const char *)msg : "invalid JSON");
	if (msg)
		yajl_free_error(p->h, msg);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	size_t len = strlen(line);
	while (len && line[len - 1] == ' ')
		line[--len] = 0;
	if (!buf && strstr(line, "premature EOF"))
		p->err = tb_xasprintf("the JSON ends early at byte %zu (truncated?)", p->fed);
	else
		p->err = tb_xasprintf("invalid JSON at byte %zu: %s",
				      p->fed + (buf ? (size_t)yajl_get_bytes_consumed(p->h) : 0), line);
	free(line);
	p->failed = 1;
}

int tb_prof_parser_feed(tb_prof_parser *p, const void *buf, size_t n)
{
	if (p->failed)
		return TB_ECORRUPT;
	if (yajl_parse(p->h, buf, n) != yajl_status_ok) {
		set_json_error(p, buf, n);
		return TB_ECORRUPT;
	}
	p->fed += n;
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_comm_ext(const void *a, const void *b)
{
	const comm_op *x = a, *y = b;
	if (x->ext != y->ext)
		return x->ext < y->ext ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_comm_time(const void *a, const void *b)
{
	const tb_prof_comm *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return 0;
}

static int cmp_kernel_name(const void *a, const void *b)
{
	const tb_prof_kernel *x = a, *y = b;
	return strcmp(x->name, y->name);
}

/* NumPy's default argsort (introsort: median-of-3 quicksort, insertion
 * sort below 16 elements, heapsort past the depth limit), ascending. It is
 * not stable, and the reference orders kernels with it, so the order of
 * kernels with equal totals is only the same if the same algorithm runs. */
static int less(double a, double b)
{
	return a < b || (b != b && a == a);
}

static void sift(const double *v, size_t *a, size_t i, size_t n)
{
	/* a is 1-based here, as in NumPy's heapsort */
	size_t tmp = a[i], j;
	for (j = i * 2; j <= n; i = j, j *= 2) {
		if (j < n && less(v[a[j]], v[a[j + 1]]))
			j++;
		if (!less(v[tmp], v[a[j]]))
			break;
		a[i] = a[j];
	}
	a[i] = tmp;
}

static void heap_argsort(const double *v, size_t *idx, size_t n)
{
	size_t *a = idx - 1; /* 1-based */
	for (size_t l = n >> 1; l > 0; --l)
		sift(v, a, l, n);
	for (; n > 1;) {
		size_t tmp = a[n];
		a[n] = a[1];
		a[1] = tmp;
		n--;
		sift(v, a, 1, n);
	}
}

static void np_argsort(const double *v, size_t *idx, size_t num)
{
	enum { SMALL = 15, STACK = 128 };
	if (num < 2)
		return;
	size_t *pl = idx, *pr = idx + num - 1;
	size_t *stack[STACK], **sptr = stack;
	int depth[STACK], *psdepth = depth;
	int msb = 0;
	for (size_t x = num; x > 1; x >>= 1)
		msb++;
	int cdepth = msb * 2;
#define SWAP(a, b)                                                                                 \
	do {                                                                                       \
		size_t t_ = (a);                                                                   \
		(a) = (b);                                                                         \
		(b) = t_;                                                                          \
	} while (0)
	for (;;) {
		if (cdepth < 0) {
			heap_argsort(v, pl, (size_t)(pr - pl + 1));
			goto pop;
		}
		while (pr - pl > SMALL) {
			size_t *pm = pl + ((pr - pl) >> 1);
			if (less(v[*pm], v[*pl]))
				SWAP(*pm, *pl);
			if (less(v[*pr], v[*pm]))
				SWAP(*pr, *pm);
			if (less(v[*pm], v[*pl]))
				SWAP(*pm, *pl);
			double vp = v[*pm];
			size_t *pi = pl, *pj = pr - 1;
			SWAP(*pm, *pj);
			for (;;) {
				do
					++pi;
				while (less(v[*pi], vp));
				do
					--pj;
				while (less(vp, v[*pj]));
				if (pi >= pj)
					break;
				SWAP(*pi, *pj);
			}
			size_t *pk = pr - 1;
			SWAP(*pi, *pk);
			if (pi - pl < pr - pi) {
				*sptr++ = pi + 1;
				*sptr++ = pr;
				pr = pi - 1;
			} else {
				*sptr++ = pl;
				*sptr++ = pi - 1;
				pl = pi + 1;
			}
			*psdepth++ = --cdepth;
		}
		for (size_t *pi = pl + 1; pi <= pr; ++pi) {
			size_t vi = *pi;
			double vp = v[vi];
			size_t *pj = pi, *pk = pi - 1;
			while (pj > pl && less(vp, v[*pk]))
				*pj-- = *pk--;
			*pj = vi;
		}
	pop:
		if (sptr == stack)
			break;
		pr = *(--sptr);
		pl = *(--sptr);
		cdepth = *(--psdepth);
	}
#undef SWAP
}

/* Kernels as the reference lists them: grouped by name (sorted), then
 * sorted by total duration, descending, the way pandas does it: NumPy's
 * argsort of the reversed totals, read backwards. */
static void order_kernels(tb_prof_kernel *k, size_t n)
{
	if (n)
		qsort(k, n, sizeof *k, cmp_kernel_name);
	if (n < 2)
		return;
	double *rev = tb_xmalloc(n * sizeof *rev);
	size_t *idx = tb_xmalloc(n * sizeof *idx);
	for (size_t i = 0; i < n; i++) {
		rev[i] = k[n - 1 - i].sum;
		idx[i] = i;
	}
	np_argsort(rev, idx, n);
	tb_prof_kernel *out = tb_xmalloc(n * sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = k[n - 1 - idx[n - 1 - i]];
	memcpy(k, out, n * sizeof *k);
	free(out);
	free(idx);
	free(rev);
}

/* Stable merge sort by a double key, as Python's sort of the events by
 * ts leaves them (traces are nearly in order: sorted halves are skipped). */
static void merge_sort(char *a, char *tmp, size_t n, size_t size, double (*key)(const void *))
{
	if (n < 2)
		return;
	size_t h = n / 2;
	merge_sort(a, tmp, h, size, key);
	merge_sort(a + h * size, tmp, n - h, size, key);
	if (!(key(a + h * size) < key(a + (h - 1) * size)))
		return;
	size_t x = 0, y = h, o = 0;
	while (x < h && y < n) {
		int right = key(a + y * size) < key(a + x * size);
		memcpy(tmp + o++ * size, a + (right ? y++ : x++) * size, size);
	}
	memcpy(tmp + o * size, a + x * size, (h - x) * size);
	o += h - x;
	memcpy(tmp + o * size, a + y * size, (n - y) * size);
	memcpy(a, tmp, n * size);
}

static void stable_sort(void *a, size_t n, size_t size, double (*key)(const void *))
{
	if (n < 2)
		return;
	char *tmp = tb_xmalloc(n * size);
	merge_sort(a, tmp, n, size, key);
	free(tmp);
}

static double kspan_start(const void *k)
{
	return ((const tb_prof_kspan *)k)->start.v;
}

static double mem_ts(const void *m)
{
	return ((const tb_prof_mem *)m)->ts.v;
}

/* The reference keys communication operators by external id (the last by
 * time wins) and gives each its own range plus, with NCCL, one per kernel
 * launched under the same external id. */
static void build_comms(tb_prof_parser *p)
{
	tb_prof_trace *t = p->t;
	if (p->n_kernel_ext)
		qsort(p->kernel_ext, p->n_kernel_ext, sizeof *p->kernel_ext, cmp_i64);
	if (p->n_comm)
		qsort(p->comm, p->n_comm, sizeof *p->comm, cmp_comm_ext);
	size_t n = 0;
	for (size_t i = 0; i < p->n_comm; i++) {
		if (i + 1 < p->n_comm && p->comm[i + 1].ext == p->comm[i].ext)
			continue; /* a later operator with the same id replaces it */
		p->comm[n++] = p->comm[i];
	}
	/* kernels of a communication operator are communication, not compute */
	for (size_t i = 0, c = 0; i < p->n_kernel_ext; i++) {
		int64_t x = p->kernel_ext[i];
		while (c < n && p->comm[c].ext < x)
			c++;
		if (x == INT64_MIN || c >= n || p->comm[c].ext != x) {
			t->has_kernel = 1;
			break;
		}
	}
	if (t->comm_libs == (TB_PROF_NCCL | TB_PROF_GLOO))
		return;
	t->comms = tb_xcalloc(n ? n : 1, sizeof *t->comms);
	for (size_t i = 0; i < n; i++) {
		tb_prof_comm *c = &t->comms[i];
		c->start = p->comm[i].start;
		c->end = p->comm[i].end;
		c->ranges = 1;
		if ((t->comm_libs & TB_PROF_NCCL) && p->comm[i].ext != INT64_MIN) {
			/* count kernels with this id: binary search for the first */
			size_t lo = 0, hi = p->n_kernel_ext;
			while (lo < hi) {
				size_t mid = lo + (hi - lo) / 2;
				if (p->kernel_ext[mid] < p->comm[i].ext)
					lo = mid + 1;
				else
					hi = mid;
			}
			while (lo < p->n_kernel_ext && p->kernel_ext[lo] == p->comm[i].ext)
				c->ranges++, lo++;
		}
	}
	t->n_comms = n;
	if (n)
		qsort(t->comms, n, sizeof *t->comms, cmp_comm_time);
}

void tb_prof_parser_finish(tb_prof_trace **out, tb_prof_parser *p)
{
	tb_prof_trace *t = p->t;
	if (!p->failed && yajl_complete_parse(p->h) != yajl_status_ok)
		set_json_error(p, NULL, 0);
	if (p->failed) {
		t->status = TB_PROF_BAD;
		t->error = p->err;
		p->err = NULL;
	} else if (p->chrome &&
		   (p->top == 2 || (p->top == 1 && p->events_seen && !p->events_not_array))) {
		t->status = TB_PROF_CHROME;
	} else if (p->top == 2) {
		t->status = TB_PROF_LEGACY;
	} else if (p->top != 1) {
		t->status = TB_PROF_BAD;
		t->error = tb_xstrdup("the trace is not a JSON object");
	} else if (!p->events_seen) {
		t->status = TB_PROF_BAD;
		t->error = tb_xstrdup("the trace has no traceEvents");
	} else if (p->events_not_array) {
		t->status = TB_PROF_BAD;
		t->error = tb_xstrdup("traceEvents is not an array");
	} else {
		/* the reference scans names backwards until it has seen both a
		 * "Record Window End" and an "Iteration Start:"; a nameless event
		 * met on the way fails the file */
		int64_t stop = -1;
		if (p->last_rwe >= 0 && p->last_iter >= 0)
			stop = p->last_rwe < p->last_iter ? p->last_rwe : p->last_iter;
		if (!p->reject && p->last_nameless >= 0 && p->last_nameless > stop)
			p->reject = tb_xstrdup("an event has no name");
		if (p->reject) {
			t->status = TB_PROF_BAD;
			t->error = p->reject;
			p->reject = NULL;
		} else {
			t->status = TB_PROF_OK;
		}
	}
	if (t->status == TB_PROF_OK) {
		if (p->ops)
			tb_prof_opbuild_finish(p->ops, t);
		p->ops = NULL;
		build_comms(p);
		if (p->has_profiler0) {
			t->has_range = 1;
			t->range_start = p->p0_start;
			t->range_end = p->p0_end;
		} else if (p->has_minmax) {
			t->has_range = 1;
			t->range_start = p->min_ts;
			t->range_end = p->max_end;
		}
		stable_sort(t->kspans, t->n_kspans, sizeof *t->kspans, kspan_start);
		stable_sort(t->mem, t->n_mem, sizeof *t->mem, mem_ts);
		for (int i = 0; i < 65536; i++)
			if (p->used[i / 64] >> (i % 64) & 1) {
				t->used_devices = tb_xrealloc(t->used_devices, (t->n_used_devices + 1) *
										   sizeof *t->used_devices);
				t->used_devices[t->n_used_devices++] = i;
			}
		t->kernels = p->kern;
		t->n_kernels = p->n_kern;
		p->kern = NULL;
		p->n_kern = 0;
		order_kernels(t->kernels, t->n_kernels);
	} else {
		t->has_kernel = t->has_memory = t->has_module = 0;
	}
	p->t = NULL;
	*out = t;
	tb_prof_parser_free(p);
}

void tb_prof_parser_free(tb_prof_parser *p)
{
	if (!p)
		return;
	if (p->h)
		yajl_free(p->h);
	free(p->err);
	free(p->reject);
	tb_buf_free(&p->ev.name);
	tb_buf_free(&p->ev.ph);
	tb_buf_free(&p->ev.cat);
	for (int i = 0; i < N_CAP; i++)
		tb_buf_free(&p->ev.cap[i]);
	tb_prof_opbuild_free(p->ops);
	for (size_t i = 0; i < p->n_kern; i++)
		free(p->kern[i].name);
	free(p->kern);
	free(p->slots);
	free(p->kernel_ext);
	free(p->comm);
	tb_prof_trace_free(p->t);
	free(p);
}

void tb_prof_parser_keep_kernels(tb_prof_parser *p)
{
	p->keep_kernels = 1;
}

void tb_prof_parser_chrome(tb_prof_parser *p)
{
	p->chrome = 1;
}

void tb_prof_parser_keep_ops(tb_prof_parser *p)
{
	if (!p->ops)
		p->ops = tb_prof_opbuild_new();
}

/* Bytes asked of the file-system layer at a time, and inflated at a time. */
#define CHUNK ((size_t)1 << 17)

struct tb_prof_text {
	tb_fs_file *f;
	uint64_t off;	   /* of the next read from the file */
	unsigned char *in; /* CHUNK bytes read, not yet inflated */
	int gz;		   /* -1 until the first bytes tell */
	int state;	   /* 0 in a gzip member, 1 after one, 2 at the end */
	int zinit;
	z_stream z;
};

int tb_prof_text_open(tb_prof_text **out, char **msg, const char *path)
{
	*out = NULL;
	*msg = NULL;
	tb_prof_text *t = tb_xcalloc(1, sizeof *t);
	t->gz = -1;
	int rc = tb_fs_open(&t->f, path);
	if (rc) {
		*msg = tb_xasprintf("cannot open the file: %s", tb_fs_errmsg());
		free(t);
		return rc;
	}
	t->in = tb_xmalloc(CHUNK);
	*out = t;
	return 0;
}

/* Refill t->in from the file; returns bytes read (0 at the end) or TB_EIO. */
static int64_t refill(tb_prof_text *t, char **msg)
{
	int64_t n = tb_fs_read(t->f, t->in, CHUNK, t->off);
	if (n < 0) {
		*msg = tb_xasprintf("cannot read the file: %s", tb_fs_errmsg());
		return TB_EIO;
	}
	t->off += (uint64_t)n;
	t->z.next_in = t->in;
	t->z.avail_in = (uInt)n;
	return n;
}

int64_t tb_prof_text_read(tb_prof_text *t, void *buf, size_t n, char **msg)
{
	*msg = NULL;
	if (t->gz < 0) {
		int64_t got = refill(t, msg);
		if (got <= 0)
			return got;
		t->gz = got >= 2 && t->in[0] == 0x1f && t->in[1] == 0x8b;
		t->zinit = t->gz && inflateInit2(&t->z, 15 + 16) == Z_OK;
		if (t->gz && !t->zinit) {
			*msg = tb_xstrdup("cannot decompress: zlib did not start");
			return TB_EIO;
		}
		if (!t->gz) { /* plain text: hand out what was read first */
			size_t k = (size_t)got < n ? (size_t)got : n;
			memcpy(buf, t->in, k);
			t->z.next_in = t->in + k;
			t->z.avail_in = (uInt)((size_t)got - k);
			return (int64_t)k;
		}
	}
	if (!t->gz) {
		if (t->z.avail_in) {
			size_t k = t->z.avail_in < n ? t->z.avail_in : n;
			memcpy(buf, t->z.next_in, k);
			t->z.next_in += k;
			t->z.avail_in -= (uInt)k;
			return (int64_t)k;
		}
		int64_t got = tb_fs_read(t->f, buf, n, t->off);
		if (got < 0) {
			*msg = tb_xasprintf("cannot read the file: %s", tb_fs_errmsg());
			return TB_EIO;
		}
		t->off += (uint64_t)got;
		return got;
	}
	n = n > UINT32_MAX ? UINT32_MAX : n;
	t->z.next_out = buf;
	t->z.avail_out = (uInt)n;
	while (t->z.avail_out == n && t->state != 2) {
		if (!t->z.avail_in) {
			int64_t got = refill(t, msg);
			if (got < 0)
				return got;
			if (got == 0) {
				if (t->state == 0) {
					*msg =
					    tb_xstrdup("cannot decompress: unexpected end of file");
					return TB_ECORRUPT;
				}
				t->state = 2;
				break;
			}
		}
		if (t->state == 1) { /* a member ended: another, or trailing bytes */
			if (t->z.next_in[0] != 0x1f) {
				t->state = 2;
				break;
			}
			inflateReset(&t->z);
			t->state = 0;
		}
		int zr = inflate(&t->z, Z_NO_FLUSH);
		int stuck = zr == Z_BUF_ERROR && t->z.avail_in && t->z.avail_out == n;
		if ((zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) || stuck) {
			*msg = tb_xasprintf("cannot decompress: %s",
					    t->z.msg ? t->z.msg : "zlib error");
			return TB_ECORRUPT;
		}
		if (zr == Z_STREAM_END)
			t->state = 1;
	}
	return (int64_t)(n - t->z.avail_out);
}

void tb_prof_text_close(tb_prof_text *t)
{
	if (!t)
		return;
	if (t->zinit)
		inflateEnd(&t->z);
	free(t->in);
	tb_fs_close(t->f);
	free(t);
}

int tb_prof_read_text(char **msg, const char *path, tb_prof_sink fn, void *payload)
{
	tb_prof_text *t;
	int rc = tb_prof_text_open(&t, msg, path);
	if (rc)
		return rc;
	char *buf = tb_xmalloc(CHUNK);
	for (;;) {
		int64_t n = tb_prof_text_read(t, buf, CHUNK, msg);
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		rc = fn(buf, (size_t)n, payload);
		if (rc)
			break;
	}
	free(buf);
	tb_prof_text_close(t);
	return rc;
}

static int feed_parser(const void *buf, size_t n, void *payload)
{
	return tb_prof_parser_feed(payload, buf, n);
}

/* What a read of a trace keeps besides its summary. */
enum keep {
	KEEP_AGGREGATES, /* the operator aggregates */
	KEEP_KERNELS,	 /* the kernel ranges alone */
	KEEP_TREE,	 /* the aggregates and the first thread's tree */
	KEEP_COPY,	 /* the aggregates and the memory tables' copy of the trees */
	KEEP_CHROME,	 /* nothing: another profiler's Chrome trace, checked */
};

static void read_file(tb_prof_trace **out, const char *path, enum keep keep)
{
	tb_prof_parser *p = tb_prof_parser_new();
	p->keep_kernels = keep == KEEP_KERNELS;
	p->chrome = keep == KEEP_CHROME;
	if (keep != KEEP_KERNELS && keep != KEEP_CHROME)
		tb_prof_parser_keep_ops(p);
	if (keep == KEEP_TREE)
		tb_prof_opbuild_keep_tree(p->ops);
	if (keep == KEEP_COPY)
		tb_prof_opbuild_keep_copy(p->ops);
	char *msg = NULL;
	tb_prof_read_text(&msg, path, feed_parser, p);
	/* a parse failure keeps its own message; a read failure is the cause */
	if (msg && !p->failed) {
		p->failed = 1;
		p->err = msg;
		msg = NULL;
	}
	free(msg);
	tb_prof_parser_finish(out, p);
}

void tb_prof_trace_read(tb_prof_trace **out, const char *path)
{
	read_file(out, path, KEEP_AGGREGATES);
}

void tb_prof_trace_read_kernels(tb_prof_trace **out, const char *path)
{
	read_file(out, path, KEEP_KERNELS);
}

void tb_prof_trace_read_tree(tb_prof_trace **out, const char *path)
{
	read_file(out, path, KEEP_TREE);
}

void tb_prof_trace_read_copy(tb_prof_trace **out, const char *path)
{
	read_file(out, path, KEEP_COPY);
}

void tb_prof_trace_read_chrome(tb_prof_trace **out, const char *path)
{
	read_file(out, path, KEEP_CHROME);
}

void tb_prof_trace_free(tb_prof_trace *t)
{
	if (!t)
		return;
	free(t->error);
	for (size_t i = 0; i < t->n_kernels; i++)
		free(t->kernels[i].name);
	free(t->kernels);
	free(t->comms);
	free(t->kspans);
	free(t->mem);
	tb_prof_memory_free(t->memory);
	tb_prof_modules_free(t->modules);
	for (size_t i = 0; i < t->n_devices; i++)
		free(t->devices[i].name);
	free(t->devices);
	free(t->used_devices);
	for (int g = 0; g < TB_PROF_N_GROUPS; g++) {
		for (size_t i = 0; i < t->n_ops[g]; i++) {
			free(t->ops[g][i].name);
			free(t->ops[g][i].shape);
			free(t->ops[g][i].stack);
		}
		free(t->ops[g]);
	}
	for (size_t i = 0; i < t->n_kops; i++) {
		tb_prof_kopagg *k = &t->kops[i];
		free(k->name);
		free(k->op);
		free(k->grid);
		free(k->block);
		free(k->regs);
		free(k->shmem);
	}
	free(t->kops);
	for (size_t i = 0; i < t->n_steps; i++)
		free(t->steps[i].name);
	free(t->steps);
	free(t->gpus);
	tb_prof_optree_free(t->tree);
	for (size_t i = 0; i < t->n_commnodes; i++) {
		free(t->commnodes[i].name);
		free(t->commnodes[i].ranges);
	}
	free(t->commnodes);
	free(t);
}
