/* The operator tree and its aggregates (see optree.h).
 *
 * Events are kept compactly (strings interned) until the end of the
 * file. Lookups by correlation id, external id and thread keep the
 * insertion order the reference's dictionaries have, including a key
 * that was removed and added again going to the end, because the order
 * of the aggregates (and so of equal rows after sorting) follows it. */
#include "optree.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "memory.h"
#include "modules.h"

/* ---- interned strings ------------------------------------------------------- */

typedef struct strpool {
	char **s; /* s[0] is NULL: "none" */
	size_t n, cap;
	tb_idxset set;
} strpool;

static uint64_t hash_z(const char *s)
{
	return tb_hash_bytes(TB_HASH_SEED, s, strlen(s));
}

static uint32_t intern(strpool *p, const char *s)
{
	if (!s)
		return 0;
	if (!p->n) {
		p->s = tb_xgrow(p->s, &p->cap, 1, sizeof *p->s);
		p->s[p->n++] = NULL;
	}
	uint64_t h = hash_z(s);
	size_t pos = 0, i1;
	while ((i1 = tb_idxset_next(&p->set, h, &pos)))
		if (strcmp(p->s[i1 - 1], s) == 0)
			return (uint32_t)(i1 - 1);
	p->s = tb_xgrow(p->s, &p->cap, p->n + 1, sizeof *p->s);
	p->s[p->n] = tb_xstrdup(s);
	if (tb_idxset_add(&p->set, h, p->n) != 0)
		abort();
	return (uint32_t)p->n++;
}

static void strpool_free(strpool *p)
{
	for (size_t i = 1; i < p->n; i++)
		free(p->s[i]);
	free(p->s);
	tb_idxset_free(&p->set);
}

/* ---- small vectors and ordered maps ----------------------------------------- */

typedef struct vec {
	uint32_t *v;
	size_t n, cap;
} vec;

static void vpush(vec *a, uint32_t x)
{
	a->v = tb_xgrow(a->v, &a->cap, a->n + 1, sizeof *a->v);
	a->v[a->n++] = x;
}

/* A key (an id that may be absent, like Python's None) to a list, in
 * order of insertion; a removed key that comes back goes last. */
typedef struct mentry {
	int has, alive;
	int64_t key;
	vec list;
} mentry;

typedef struct imap {
	mentry *e;
	size_t n, cap;
	tb_idxset set;
} imap;

static uint64_t hash_key(int has, int64_t key)
{
	int64_t k[2] = {has, has ? key : 0};
	return tb_hash_bytes(TB_HASH_SEED, k, sizeof k);
}

static mentry *imap_get(imap *m, int has, int64_t key)
{
	uint64_t h = hash_key(has, key);
	size_t pos = 0, i1;
	while ((i1 = tb_idxset_next(&m->set, h, &pos))) {
		mentry *e = &m->e[i1 - 1];
		if (e->alive && e->has == has && (!has || e->key == key))
			return e;
	}
	return NULL;
}

static mentry *imap_put(imap *m, int has, int64_t key)
{
	mentry *e = imap_get(m, has, key);
	if (e)
		return e;
	m->e = tb_xgrow(m->e, &m->cap, m->n + 1, sizeof *m->e);
	e = &m->e[m->n];
	memset(e, 0, sizeof *e);
	e->has = has;
	e->key = has ? key : 0;
	e->alive = 1;
	if (tb_idxset_add(&m->set, hash_key(has, key), m->n) != 0)
		abort();
	m->n++;
	return e;
}

/* Remove key; its list moves to *out (empty when absent). */
static void imap_pop(vec *out, imap *m, int has, int64_t key)
{
	memset(out, 0, sizeof *out);
	mentry *e = imap_get(m, has, key);
	if (!e)
		return;
	*out = e->list;
	memset(&e->list, 0, sizeof e->list);
	e->alive = 0;
}

static void imap_free(imap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->e[i].list.v);
	free(m->e);
	tb_idxset_free(&m->set);
}

/* ---- events, nodes ----------------------------------------------------------- */

typedef struct orec {
	uint8_t kind, has_ext, has_corr, has_bps, has_occ, tid_is_str, is_float;
	uint32_t name, stack, shape, grid, block, regs, shmem, types;
	int32_t device;
	double ts, dur, bps, occ;
	int64_t tid, ext, corr;
	int64_t mid; /* modules: the Python module id */
} orec;

/* in the order of enum tb_prof_tclass, which the kept tree uses */
enum ncls { NC_OP, NC_STEP, NC_MODULE, NC_DATALOADER, NC_OPTIMIZER, NC_ROOT, NC_BACKWARD };

/* The type of a backward module node: none of the event kinds. */
#define TYPE_BACKWARD 0xff

typedef struct onode {
	uint8_t cls, type, has_ext, tc_eligible;
	uint32_t name, shape, stack;
	double start, end;
	int64_t ext;
	vec children, runtimes;
	double dev, self_host, self_dev, tc_self, tc_total;
	int64_t tid, mid;
} onode;

typedef struct ort {
	int has_time, has_ext;
	double start, end;
	int64_t ext;
	vec devs;
	double dev, tc;
} ort;

typedef struct odev {
	uint32_t rec;
	uint32_t op_name; /* 0: none */
	int op_tc, tc_used;
	double start, end;
} odev;

struct tb_prof_opbuild {
	strpool str;
	orec *r;
	size_t n, cap;
	onode *node;
	size_t n_node, cap_node;
	ort *rt;
	size_t n_rt, cap_rt;
	odev *dev;
	size_t n_dev, cap_dev;
	vec ops, kernels; /* the walk's result: node and device indices */
	imap fwd, bwd;	  /* flows: id to the index of its last ts in flow_ts */
	double *flow_ts;
	size_t n_flow, cap_flow;
	int keep_tree;
	int keep_copy;
};

void tb_prof_opbuild_flow(tb_prof_opbuild *b, int is_start, int64_t id, double ts)
{
	b->flow_ts = tb_xgrow(b->flow_ts, &b->cap_flow, b->n_flow + 1, sizeof *b->flow_ts);
	b->flow_ts[b->n_flow] = ts;
	mentry *e = imap_put(is_start ? &b->fwd : &b->bwd, 1, id);
	e->list.n = 0;
	vpush(&e->list, (uint32_t)b->n_flow++);
}

static int is_comm_op(const char *n);

tb_prof_opbuild *tb_prof_opbuild_new(void)
{
	return tb_xcalloc(1, sizeof(tb_prof_opbuild));
}

void tb_prof_opbuild_keep_tree(tb_prof_opbuild *b)
{
	b->keep_tree = 1;
}

void tb_prof_opbuild_keep_copy(tb_prof_opbuild *b)
{
	b->keep_copy = 1;
}

void tb_prof_opbuild_add(tb_prof_opbuild *b, const tb_prof_oprec *in)
{
	b->r = tb_xgrow(b->r, &b->cap, b->n + 1, sizeof *b->r);
	orec *r = &b->r[b->n++];
	memset(r, 0, sizeof *r);
	r->kind = (uint8_t)in->kind;
	r->name = intern(&b->str, in->name ? in->name : "");
	r->ts = in->ts;
	r->dur = in->dur;
	r->tid = in->tid;
	r->tid_is_str = (uint8_t)in->tid_is_str;
	r->is_float = (uint8_t)in->is_float;
	r->has_ext = (uint8_t)in->has_ext;
	r->ext = in->ext;
	r->has_corr = (uint8_t)in->has_corr;
	r->corr = in->corr;
	r->mid = in->module_id;
	r->stack = intern(&b->str, in->stack);
	r->shape = intern(&b->str, in->shape ? in->shape : "[]");
	r->device = in->device;
	if (in->types && is_comm_op(in->name ? in->name : ""))
		r->types = intern(&b->str, in->types);
	if (in->kind == TB_OK_KERNEL) {
		r->grid = intern(&b->str, in->grid ? in->grid : "None");
		r->block = intern(&b->str, in->block ? in->block : "None");
		r->regs = intern(&b->str, in->regs ? in->regs : "0");
		r->shmem = intern(&b->str, in->shmem ? in->shmem : "0");
		r->has_bps = (uint8_t)in->has_bps;
		r->has_occ = (uint8_t)in->has_occ;
		r->bps = in->bps;
		r->occ = in->occ;
	}
}

static const char *S(const tb_prof_opbuild *b, uint32_t id)
{
	return b->str.s[id];
}

/* ---- stable sorts ---------------------------------------------------------------- */

typedef int (*cmp_fn)(const void *ctx, uint32_t a, uint32_t b);

static void msort(uint32_t *a, uint32_t *tmp, size_t n, cmp_fn cmp, const void *ctx)
{
	if (n < 2)
		return;
	size_t h = n / 2;
	msort(a, tmp, h, cmp, ctx);
	msort(a + h, tmp, n - h, cmp, ctx);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		tmp[k++] = cmp(ctx, a[j], a[i]) < 0 ? a[j++] : a[i++];
	while (i < h)
		tmp[k++] = a[i++];
	while (j < n)
		tmp[k++] = a[j++];
	memcpy(a, tmp, n * sizeof *a);
}

static void stable_sort_idx(uint32_t *a, size_t n, cmp_fn cmp, const void *ctx)
{
	if (n < 2)
		return;
	uint32_t *tmp = tb_xmalloc(n * sizeof *tmp);
	msort(a, tmp, n, cmp, ctx);
	free(tmp);
}

static int cmp_d(double a, double b)
{
	return a < b ? -1 : a > b;
}

static int cmp_rec_ts(const void *ctx, uint32_t a, uint32_t b)
{
	const tb_prof_opbuild *bd = ctx;
	return cmp_d(bd->r[a].ts, bd->r[b].ts);
}

/* (start, -end) */
static int cmp_node(const void *ctx, uint32_t a, uint32_t b)
{
	const onode *n = ((const tb_prof_opbuild *)ctx)->node;
	int c = cmp_d(n[a].start, n[b].start);
	return c ? c : cmp_d(n[b].end, n[a].end);
}

/* (start, -end); a runtime without times last */
static int cmp_rt(const void *ctx, uint32_t a, uint32_t b)
{
	const ort *r = ((const tb_prof_opbuild *)ctx)->rt;
	double sa = r[a].has_time ? r[a].start : INFINITY,
	       sb = r[b].has_time ? r[b].start : INFINITY;
	double ea = r[a].has_time ? r[a].end : -INFINITY, eb = r[b].has_time ? r[b].end : -INFINITY;
	int c = cmp_d(sa, sb);
	return c ? c : cmp_d(eb, ea);
}

static int cmp_dev(const void *ctx, uint32_t a, uint32_t b)
{
	const odev *d = ((const tb_prof_opbuild *)ctx)->dev;
	int c = cmp_d(d[a].start, d[b].start);
	return c ? c : cmp_d(d[b].end, d[a].end);
}

/* ---- the reference's name lists ------------------------------------------------- */

static const char *const tc_ops[] = {
    "aten::_convolution",
    "aten::conv1d",
    "aten::conv2d",
    "aten::conv3d",
    "aten::conv_tbc",
    "aten::conv_transpose1d",
    "aten::conv_transpose2d",
    "aten::conv_transpose3d",
    "aten::convolution",
    "aten::cudnn_convolution",
    "aten::cudnn_convolution_transpose",
    "aten::prelu",
    "aten::addmm",
    "aten::addmv",
    "aten::addr",
    "aten::matmul",
    "aten::mm",
    "aten::mv",
    "aten::linear",
    "aten::addbmm",
    "aten::baddbmm",
    "aten::bmm",
    "aten::chain_matmul",
    "aten::linalg_multi_dot",
    "aten::_thnn_fused_lstm_cell",
    "aten::_thnn_fused_gru_cell",
    "aten::lstm_cell",
    "aten::gru_cell",
    "aten::rnn_tanh_cell",
    "aten::rnn_relu_cell",
    "CudnnConvolutionBackward",
    "BmmBackward0",
    "aten::cudnn_convolution_transpose_backward",
    "CudnnConvolutionTransposeBackward",
    "MmBackward",
    "aten::cudnn_convolution_backward_weight",
    "aten::addmm_",
    "AddmvBackward",
    "MvBackward",
    "aten::cudnn_convolution_transpose_backward_weight",
    "aten::cudnn_convolution_transpose_backward_input",
    "AddmmBackward",
    "aten::cudnn_convolution_backward_input",
    "AddbmmBackward",
    "aten::cudnn_convolution_backward",
};

static int tc_eligible_op(const char *name)
{
	for (size_t i = 0; i < sizeof tc_ops / sizeof tc_ops[0]; i++)
		if (strcmp(name, tc_ops[i]) == 0)
			return 1;
	return 0;
}

static int is_comm_op(const char *n)
{
	static const char *const ops[] = {"broadcast", "reduce", "all_reduce", "all_gather",
					  "reduce_scatter"};
	if (strncmp(n, "nccl:", 5) != 0 && strncmp(n, "gloo:", 5) != 0)
		return 0;
	for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
		if (strcmp(n + 5, ops[i]) == 0)
			return 1;
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_operator_node(const tb_prof_opbuild *b, const onode *n)
{
	const char *name = S(b, n->name);
	return n->cls == NC_OP && n->type == TB_OK_OPERATOR &&
	       strcmp(name, "DataParallel.forward") != 0 &&
	       strcmp(name, "DistributedDataParallel.forward") != 0 &&
	       strncmp(name, "Optimizer.", 10) != 0;
}

/* ---- building ---------------------------------------------------------------------- */

static uint32_t new_node(tb_prof_opbuild *b, const orec *r, int cls)
{
	b->node = tb_xgrow(b->node, &b->cap_node, b->n_node + 1, sizeof *b->node);
	onode *n = &b->node[b->n_node];
	memset(n, 0, sizeof *n);
	n->cls = (uint8_t)cls;
	if (r) {
		n->type = r->kind;
		n->name = r->name;
		n->shape = r->shape;
		n->stack = r->stack;
		n->start = r->ts;
		n->end = r->ts + r->dur;
		/* module nodes drop their external id, as the reference does */
		n->has_ext = cls == NC_MODULE ? 0 : r->has_ext;
		n->ext = r->ext;
		n->tid = r->tid;
		n->mid = r->mid;
		n->tc_eligible = (uint8_t)tc_eligible_op(S(b, r->name));
	}
	return (uint32_t)b->n_node++;
}

/* The node class of an operator-like event, or -1 when it makes none. */
static int node_class(const tb_prof_opbuild *b, const orec *r)
{
	const char *name = S(b, r->name);
	if (r->kind == TB_OK_STEP)
		return NC_STEP;
	if (r->kind == TB_OK_MODULE)
		return NC_MODULE;
	if ((strncmp(name, "enumerate(DataLoader)#", 22) == 0 && ends_with(name, ".__next__")) ||
	    strncmp(name, "enumerate(DataPipe)#", 20) == 0)
		return NC_DATALOADER;
	if (strncmp(name, "Optimizer.step", 14) == 0)
		return NC_OPTIMIZER;
	if (r->kind == TB_OK_ANNOTATION)
		return is_comm_op(name) ? NC_OP : -1;
	return NC_OP;
}

static void rt_fill(tb_prof_opbuild *b, ort *rt, const onode *op)
{
	for (size_t i = 0; i < rt->devs.n; i++) {
		odev *d = &b->dev[rt->devs.v[i]];
		if (op) {
			d->op_name = op->name;
			d->op_tc = op->tc_eligible;
		}
		double dur = d->end - d->start;
		rt->dev += dur;
		rt->tc += d->tc_used ? dur : 0;
	}
}

/* Node n's totals from its children: device time and Tensor Core time
 * summed, host self time its span less theirs; with inherit_tc, n is
 * Tensor Core eligible when a child is. */
static void add_children(const tb_prof_opbuild *b, onode *n, int inherit_tc)
{
	n->self_host = n->end - n->start;
	for (size_t i = 0; i < n->children.n; i++) {
		const onode *c = &b->node[n->children.v[i]];
		n->dev += c->dev;
		n->self_host -= c->end - c->start;
		n->tc_total += c->tc_total;
		if (inherit_tc && c->tc_eligible)
			n->tc_eligible = 1;
	}
}

static void fill_stats(tb_prof_opbuild *b, uint32_t ni)
{
	onode *n = &b->node[ni];
	stable_sort_idx(n->children.v, n->children.n, cmp_node, b);
	stable_sort_idx(n->runtimes.v, n->runtimes.n, cmp_rt, b);
	for (size_t i = 0; i < b->node[ni].children.n; i++)
		fill_stats(b, b->node[ni].children.v[i]);
	n = &b->node[ni];
	for (size_t i = 0; i < n->runtimes.n; i++)
		rt_fill(b, &b->rt[n->runtimes.v[i]], n);
	add_children(b, n, n->type == TB_OK_OPERATOR);
	for (size_t i = 0; i < n->runtimes.n; i++) {
		const ort *rt = &b->rt[n->runtimes.v[i]];
		if (rt->has_time)
			n->self_host -= rt->end - rt->start;
		n->dev += rt->dev;
		n->self_dev += rt->dev;
		n->tc_self += rt->tc;
		n->tc_total += rt->tc;
		if (n->type == TB_OK_OPERATOR && !n->tc_eligible && rt->tc > 0)
			n->tc_eligible = 1;
	}
	if (n->cls == NC_MODULE)
		for (size_t i = 0; i < n->children.n; i++) {
			const onode *c = &b->node[n->children.v[i]];
			if (is_operator_node(b, c))
				n->self_dev += c->dev;
		}
}

/* Merge a node with its only child of the same name (both operators),
 * as the autograd profiler does. */
static void remove_dups(tb_prof_opbuild *b, uint32_t ni)
{
	for (;;) {
		onode *n = &b->node[ni];
		if (n->children.n != 1)
			break;
		onode *c = &b->node[n->children.v[0]];
		if (n->name != c->name || n->type != TB_OK_OPERATOR || c->type != TB_OK_OPERATOR)
			break;
		free(n->children.v);
		free(n->runtimes.v);
		n->children = c->children;
		n->runtimes = c->runtimes;
		memset(&c->children, 0, sizeof c->children);
		memset(&c->runtimes, 0, sizeof c->runtimes);
	}
	for (size_t i = 0; i < b->node[ni].children.n; i++)
		remove_dups(b, b->node[ni].children.v[i]);
}

/* One thread's tree: nest its operators by time range under a root. */
static uint32_t build_thread(tb_prof_opbuild *b, vec *ops, const vec *zero_rts, const vec *staled,
			     int *step)
{
	stable_sort_idx(ops->v, ops->n, cmp_node, b);
	int has_step = 0;
	for (size_t i = 0; i < ops->n; i++)
		if (strncmp(S(b, b->node[ops->v[i]].name), "ProfilerStep#", 13) == 0)
			has_step = 1;
	uint32_t root = new_node(b, NULL, NC_ROOT);
	onode *rn = &b->node[root];
	rn->type = TB_OK_PYTHON;
	rn->name = intern(&b->str, "CallTreeRoot");
	rn->start = -INFINITY;
	rn->end = INFINITY;
	for (size_t i = 0; zero_rts && i < zero_rts->n; i++)
		vpush(&rn->runtimes, zero_rts->v[i]);
	if (has_step && staled->n) {
		/* kernels no runtime claimed hang off a timeless runtime of
		 * the thread that has the steps */
		b->rt = tb_xgrow(b->rt, &b->cap_rt, b->n_rt + 1, sizeof *b->rt);
		ort *d = &b->rt[b->n_rt];
		memset(d, 0, sizeof *d);
		for (size_t i = 0; i < staled->n; i++)
			vpush(&d->devs, staled->v[i]);
		stable_sort_idx(d->devs.v, d->devs.n, cmp_dev, b);
		rt_fill(b, d, NULL);
		vpush(&b->node[root].runtimes, (uint32_t)b->n_rt++);
	}
	vec stack = {0};
	vpush(&stack, root);
	for (size_t i = 0; i < ops->n; i++) {
		uint32_t ni = ops->v[i];
		for (;;) {
			uint32_t tail = stack.v[stack.n - 1];
			if (b->node[ni].start < b->node[tail].end) {
				if (b->node[ni].end <= b->node[tail].end) {
					vpush(&b->node[tail].children, ni);
					vpush(&stack, ni);
				}
				break; /* an operator crossing its parent's end is dropped */
			}
			stack.n--;
		}
	}
	free(stack.v);
	remove_dups(b, root);
	fill_stats(b, root);
	*step = has_step;
	return root;
}

/* Post-order: operators and the kernels their runtimes launched. */
static void walk(tb_prof_opbuild *b, uint32_t ni)
{
	const onode *n = &b->node[ni];
	for (size_t i = 0; i < n->children.n; i++)
		walk(b, b->node[ni].children.v[i]);
	n = &b->node[ni];
	for (size_t i = 0; i < n->runtimes.n; i++) {
		const ort *rt = &b->rt[n->runtimes.v[i]];
		for (size_t k = 0; k < rt->devs.n; k++)
			if (b->r[b->dev[rt->devs.v[k]].rec].kind == TB_OK_KERNEL)
				vpush(&b->kernels, rt->devs.v[k]);
	}
	if (is_operator_node(b, n))
		vpush(&b->ops, ni);
}

/* ---- backward modules ------------------------------------------------------------- */

#define BACKWARD_PREFIX "autograd::engine::evaluate_function:"
#define ACCUMULATE_GRAD "autograd::engine::evaluate_function: torch::autograd::AccumulateGrad"

/* A time as a map key (its bits). */
static int64_t tkey(double t)
{
	int64_t k;
	if (t == 0)
		t = 0; /* -0.0 is 0 */
	memcpy(&k, &t, sizeof k);
	return k;
}

static int is_backward_root(const tb_prof_opbuild *b, uint32_t ni)
{
	return strncmp(S(b, b->node[ni].name), BACKWARD_PREFIX, sizeof BACKWARD_PREFIX - 1) == 0;
}

/* Modules (not entered) and backward roots directly under a root or its
 * steps; bw maps each such parent to its backward roots. */
static void find_modules(tb_prof_opbuild *b, uint32_t parent, uint32_t ni, vec *modules, imap *bw)
{
	const onode *n = &b->node[ni];
	if (n->cls == NC_MODULE) {
		vpush(modules, ni);
	} else if (n->cls == NC_STEP) {
		for (size_t i = 0; i < b->node[ni].children.n; i++)
			find_modules(b, ni, b->node[ni].children.v[i], modules, bw);
	} else if (is_backward_root(b, ni)) {
		vpush(&imap_put(bw, 1, parent)->list, ni);
	}
}

/* Child start time to parent, the first seen winning. */
static void node_parents(const tb_prof_opbuild *b, uint32_t ni, imap *parent)
{
	const onode *n = &b->node[ni];
	for (size_t i = 0; i < n->children.n; i++) {
		uint32_t c = n->children.v[i];
		int64_t k = tkey(b->node[c].start);
		if (!imap_get(parent, 1, k))
			vpush(&imap_put(parent, 1, k)->list, ni);
		node_parents(b, c, parent);
	}
}

static void fill_backward(tb_prof_opbuild *b, uint32_t ni)
{
	onode *n = &b->node[ni];
	stable_sort_idx(n->children.v, n->children.n, cmp_node, b);
	n->start = b->node[n->children.v[0]].start;
	n->end = b->node[n->children.v[n->children.n - 1]].end;
	add_children(b, n, 1);
}

/* "<module>.backward" for module ni and its submodules, holding the
 * backward operators of the forward operators inside them. */
static void build_backward(tb_prof_opbuild *b, uint32_t ni, int64_t parent, imap *fwd_groups,
			   vec *result)
{
	if (b->node[ni].cls == NC_MODULE) {
		char *name = tb_xasprintf("%s.backward", S(b, b->node[ni].name));
		uint32_t bn = new_node(b, NULL, NC_BACKWARD);
		onode *x = &b->node[bn];
		x->type = TYPE_BACKWARD;
		x->name = intern(&b->str, name);
		x->start = b->node[ni].start;
		x->end = b->node[ni].end;
		x->tid = b->node[ni].tid;
		free(name);
		if (parent < 0)
			vpush(result, bn);
		else
			vpush(&b->node[parent].children, bn);
		parent = bn;
	}
	for (size_t i = 0; i < b->node[ni].children.n; i++) {
		uint32_t c = b->node[ni].children.v[i];
		if (parent >= 0 && is_operator_node(b, &b->node[c])) {
			const mentry *g = imap_get(fwd_groups, 1, tkey(b->node[c].start));
			for (size_t k = 0; g && k < g->list.n; k++)
				vpush(&b->node[parent].children, g->list.v[k]);
		}
		build_backward(b, c, parent, fwd_groups, result);
	}
	if (b->node[ni].cls == NC_MODULE && parent >= 0 && b->node[parent].children.n)
		fill_backward(b, (uint32_t)parent);
}

static void vinsert(vec *a, size_t at, uint32_t x)
{
	vpush(a, x);
	memmove(a->v + at + 1, a->v + at, (a->n - 1 - at) * sizeof *a->v);
	a->v[at] = x;
}

/* Place the backward modules (sorted) in the tree under root, each under
 * the deepest node whose range holds it; those outside are dropped. */
static void insert_backward(tb_prof_opbuild *b, uint32_t root, vec *mods)
{
	stable_sort_idx(mods->v, mods->n, cmp_node, b);
	vec stack = {0}, stack_i = {0};
	int64_t cur = root;
	size_t ci = 0;
	for (size_t mi = 0; mi < mods->n;) {
		const onode *m = &b->node[mods->v[mi]];
		if (cur < 0 || m->end < b->node[cur].start) {
			mi++;
			continue;
		}
		if (m->start > b->node[cur].end) {
			if (stack.n) {
				cur = stack.v[--stack.n];
				ci = stack_i.v[--stack_i.n] + 1;
			} else {
				cur = -1;
			}
			continue;
		}
		while (ci < b->node[cur].children.n) {
			const onode *c = &b->node[b->node[cur].children.v[ci]];
			if (m->end < c->start)
				break;
			if (m->start >= c->end) {
				ci++;
			} else {
				vpush(&stack, (uint32_t)cur);
				vpush(&stack_i, (uint32_t)ci);
				cur = b->node[cur].children.v[ci];
				ci = 0;
			}
		}
		vinsert(&b->node[cur].children, ci, mods->v[mi]);
		ci++;
		mi++;
	}
	free(stack.v);
	free(stack_i.v);
}

/* The reference's backward modules: with nn.Module events and
 * forward/backward flows, the backward roots leave their place and go
 * under "<module>.backward" nodes inserted in the main thread's tree.
 * roots[i] is the tree of thread tids[i]; main is the index of the
 * thread with steps, or -1. Returns 1 when the trees were rebuilt (the
 * reference then drops threads left without operators). */
static int backward_modules(tb_prof_opbuild *b, const vec *roots, const int64_t *tids, int main)
{
	int rebuilt = 0;
	/* forward ts -> backward ts, in order of the forward flows */
	imap fb = {0};
	vec fb_order = {0};
	for (size_t i = 0; i < b->fwd.n; i++) {
		const mentry *f = &b->fwd.e[i];
		const mentry *k = imap_get(&b->bwd, 1, f->key);
		if (!k)
			continue;
		double fts = b->flow_ts[f->list.v[0]];
		mentry *e = imap_get(&fb, 1, tkey(fts));
		if (!e) {
			e = imap_put(&fb, 1, tkey(fts));
			vpush(&fb_order, f->list.v[0]);
		}
		e->list.n = 0;
		vpush(&e->list, k->list.v[0]);
	}
	if (!fb.n)
		goto out_fb;
	if (main < 0) {
		if (roots->n == 1) {
			main = 0;
		} else {
			/* the longest thread other than the backward one */
			int64_t bw_tid = 0;
			int has_bw = 0;
			for (size_t i = 0; i < roots->n && !has_bw; i++) {
				const onode *r = &b->node[roots->v[i]];
				for (size_t k = 0; k < r->children.n && !has_bw; k++)
					if (is_backward_root(b, r->children.v[k]))
						has_bw = 1, bw_tid = tids[i];
			}
			double best = 0;
			for (size_t i = 0; i < roots->n; i++) {
				const onode *r = &b->node[roots->v[i]];
				if ((has_bw && tids[i] == bw_tid) || !r->children.n)
					continue;
				double len = b->node[r->children.v[r->children.n - 1]].end -
					     b->node[r->children.v[0]].start;
				if (main < 0 || len > best)
					main = (int)i, best = len;
			}
			if (main < 0)
				goto out_fb;
		}
	}
	vec modules = {0}, flat = {0};
	imap bw = {0};
	for (size_t i = 0; i < roots->n; i++) {
		const onode *r = &b->node[roots->v[i]];
		for (size_t k = 0; k < r->children.n; k++)
			find_modules(b, roots->v[i], b->node[roots->v[i]].children.v[k], &modules,
				     &bw);
	}
	if (!modules.n)
		goto out;
	/* the backward roots leave their parents */
	for (size_t i = 0; i < bw.n; i++) {
		const mentry *e = &bw.e[i];
		vec *ch = &b->node[e->key].children;
		size_t w = 0;
		for (size_t k = 0; k < ch->n; k++) {
			int gone = 0;
			for (size_t j = 0; j < e->list.n && !gone; j++)
				gone = e->list.v[j] == ch->v[k];
			if (!gone)
				ch->v[w++] = ch->v[k];
		}
		ch->n = w;
		for (size_t k = 0; k < e->list.n; k++)
			vpush(&flat, e->list.v[k]);
	}
	if (!flat.n)
		goto out;
	imap parent = {0}, groups = {0}, fwd_groups = {0};
	for (size_t i = 0; i < flat.n; i++)
		node_parents(b, flat.v[i], &parent);
	/* a root and the AccumulateGrad roots after it form one group */
	int64_t head = -1;
	for (size_t i = 0; i < flat.n; i++) {
		if (head < 0 || strcmp(S(b, b->node[flat.v[i]].name), ACCUMULATE_GRAD) != 0)
			head = flat.v[i];
		vpush(&imap_put(&groups, 1, head)->list, flat.v[i]);
	}
	for (size_t i = 0; i < fb_order.n; i++) {
		double fts = b->flow_ts[fb_order.v[i]];
		const mentry *e = imap_get(&fb, 1, tkey(fts));
		double bts = b->flow_ts[e->list.v[0]];
		const mentry *pe = imap_get(&parent, 1, tkey(bts));
		int64_t p = pe ? (int64_t)pe->list.v[0] : -1;
		for (size_t guard = 0;
		     p >= 0 && !is_backward_root(b, (uint32_t)p) && guard < b->n_node; guard++) {
			pe = imap_get(&parent, 1, tkey(b->node[p].start));
			p = pe ? (int64_t)pe->list.v[0] : -1;
		}
		if (p < 0 || (p >= 0 && !is_backward_root(b, (uint32_t)p)))
			continue;
		vec g;
		imap_pop(&g, &groups, 1, p);
		if (!g.n)
			continue; /* the reference fails on a root claimed twice */
		mentry *fe = imap_put(&fwd_groups, 1, tkey(fts));
		free(fe->list.v);
		fe->list = g;
	}
	rebuilt = 1;
	vec result = {0};
	for (size_t i = 0; fwd_groups.n && i < modules.n; i++)
		build_backward(b, modules.v[i], -1, &fwd_groups, &result);
	insert_backward(b, roots->v[main], &result);
	free(result.v);
	imap_free(&parent);
	imap_free(&groups);
	imap_free(&fwd_groups);
out:
	free(modules.v);
	free(flat.v);
	imap_free(&bw);
out_fb:
	imap_free(&fb);
	free(fb_order.v);
	return rebuilt;
}

/* ---- the Overview: step time by role ---------------------------------------------- */

typedef struct rng {
	double a, b;
} rng;

typedef struct rlist {
	rng *r;
	size_t n, cap;
} rlist;

static void rpush(rlist *l, double a, double b)
{
	l->r = tb_xgrow(l->r, &l->cap, l->n + 1, sizeof *l->r);
	l->r[l->n].a = a;
	l->r[l->n].b = b;
	l->n++;
}

/* Sorted by start (stable) and merged where they overlap or touch. */
static void merge_ranges(rlist *out, const rlist *in)
{
	out->n = 0;
	if (!in->n)
		return;
	rng *s = tb_xmalloc(in->n * sizeof *s);
	memcpy(s, in->r, in->n * sizeof *s);
	/* a stable sort: indices as the tie-break */
	uint32_t *idx = tb_xmalloc(in->n * sizeof *idx);
	for (size_t i = 0; i < in->n; i++)
		idx[i] = (uint32_t)i;
	for (size_t i = 1; i < in->n; i++) {
		uint32_t x = idx[i];
		size_t k = i;
		while (k > 0 && s[idx[k - 1]].a > s[x].a) {
			idx[k] = idx[k - 1];
			k--;
		}
		idx[k] = x;
	}
	rpush(out, s[idx[0]].a, s[idx[0]].b);
	for (size_t i = 1; i < in->n; i++) {
		rng c = s[idx[i]];
		rng *last = &out->r[out->n - 1];
		if (c.b > last->b) {
			if (c.a <= last->b)
				last->b = c.b;
			else
				rpush(out, c.a, c.b);
		}
	}
	free(idx);
	free(s);
}

/* The parts of l1 inside l2 (both sorted, disjoint). */
static void intersect(rlist *out, const rlist *l1, const rlist *l2)
{
	out->n = 0;
	if (!l1->n || !l2->n)
		return;
	size_t i1 = 0, i2 = 0;
	rng r1 = l1->r[0], r2 = l2->r[0];
	while (i1 < l1->n && i2 < l2->n) {
		if (r2.b <= r1.a) {
			if (++i2 < l2->n)
				r2 = l2->r[i2];
		} else if (r2.a <= r1.a && r2.b < r1.b) {
			rpush(out, r1.a, r2.b);
			r1.a = r2.b;
			if (++i2 < l2->n)
				r2 = l2->r[i2];
		} else if (r2.a <= r1.a) {
			rpush(out, r1.a, r1.b);
			r2.a = r1.b;
			if (++i1 < l1->n)
				r1 = l1->r[i1];
		} else if (r2.b < r1.b) {
			rpush(out, r2.a, r2.b);
			r1.a = r2.b;
			if (++i2 < l2->n)
				r2 = l2->r[i2];
		} else if (r2.a < r1.b) {
			rpush(out, r2.a, r1.b);
			r2.a = r1.b;
			if (++i1 < l1->n)
				r1 = l1->r[i1];
		} else {
			if (++i1 < l1->n)
				r1 = l1->r[i1];
		}
	}
}

/* The parts of l1 outside l2. */
static void subtract(rlist *out, const rlist *l1, const rlist *l2)
{
	out->n = 0;
	if (!l1->n)
		return;
	if (!l2->n) {
		for (size_t i = 0; i < l1->n; i++)
			rpush(out, l1->r[i].a, l1->r[i].b);
		return;
	}
	size_t i1 = 0, i2 = 0;
	rng r1 = l1->r[0], r2 = l2->r[0];
	while (i1 < l1->n) {
		if (i2 == l2->n) {
			rpush(out, r1.a, r1.b);
			if (++i1 < l1->n)
				r1 = l1->r[i1];
		} else if (r2.b <= r1.a) {
			if (++i2 < l2->n)
				r2 = l2->r[i2];
		} else if (r2.a <= r1.a && r2.b < r1.b) {
			r1.a = r2.b;
			if (++i2 < l2->n)
				r2 = l2->r[i2];
		} else if (r2.a <= r1.a) {
			r2.a = r1.b;
			if (++i1 < l1->n)
				r1 = l1->r[i1];
		} else if (r2.a < r1.b) {
			rpush(out, r1.a, r2.a);
			r1.a = r2.a;
		} else {
			rpush(out, r1.a, r1.b);
			if (++i1 < l1->n)
				r1 = l1->r[i1];
		}
	}
}

/* Python's int() of a step number ("5", " 5", "0_5"), as text. */
static char *step_name(const char *s)
{
	const char *hash = strchr(s, '#');
	size_t n = hash ? (size_t)(hash - s) : strlen(s);
	char digits[64];
	size_t k = 0;
	int neg = 0;
	for (size_t i = 0; i < n && k + 1 < sizeof digits; i++) {
		if (s[i] == '-')
			neg = 1;
		else if (s[i] >= '0' && s[i] <= '9')
			digits[k++] = s[i];
	}
	digits[k] = 0;
	const char *d = digits;
	while (d[0] == '0' && d[1])
		d++;
	return tb_xasprintf("%s%s", neg && strcmp(d, "0") ? "-" : "", k ? d : "0");
}

static double rsum(const rlist *l)
{
	double s = 0;
	for (size_t k = 0; k < l->n; k++)
		s += l->r[k].b - l->r[k].a;
	return s;
}

/* The time of l inside [a, b), as Python holds it: a float when the
 * trace has fractional times and some range is inside, else an int. */
static tb_prof_num rsum_in(const rlist *l, double a, double b, int any_float)
{
	rlist one = {0}, in = {0};
	rpush(&one, a, b);
	intersect(&in, &one, l);
	tb_prof_num n = {rsum(&in), any_float && in.n > 0};
	free(one.r);
	free(in.r);
	return n;
}

/* Stretch each step to the device activity its runtime calls launched
 * and drop tail steps that launched little, as the reference does. */
static void device_steps(const tb_prof_opbuild *b, rlist *steps, size_t *n_names)
{
	size_t ns = steps->n;
	double *dmin = tb_xmalloc((ns ? ns : 1) * sizeof *dmin);
	double *dmax = tb_xmalloc((ns ? ns : 1) * sizeof *dmax);
	size_t *matched = tb_xcalloc(ns ? ns : 1, sizeof *matched);
	uint8_t *hit = tb_xcalloc(b->n_dev ? b->n_dev : 1, 1);
	size_t any = 0, is = 0, ir = 0;
	double lo = INFINITY, hi = -INFINITY;
	/* runtimes are in time order (b->rt follows the sorted records) */
	while (is < ns && ir < b->n_rt) {
		const ort *rt = &b->rt[ir];
		if (rt->start < steps->r[is].a) {
			ir++;
		} else if (rt->end <= steps->r[is].b) {
			for (size_t k = 0; k < rt->devs.n; k++) {
				const odev *d = &b->dev[rt->devs.v[k]];
				lo = fmin(lo, d->start);
				hi = fmax(hi, d->end);
				if (!hit[rt->devs.v[k]])
					any++;
				hit[rt->devs.v[k]] = 1;
				matched[is]++;
			}
			ir++;
		} else if (rt->start < steps->r[is].b) {
			ir++;
		} else {
			dmin[is] = lo, dmax[is] = hi, is++;
			lo = INFINITY, hi = -INFINITY;
		}
	}
	for (; is < ns; is++) {
		dmin[is] = lo, dmax[is] = hi;
		lo = INFINITY, hi = -INFINITY;
	}
	if (any) {
		double prev = steps->r[0].a;
		if (dmin[0] != INFINITY)
			for (size_t k = 0; k < b->n_dev; k++)
				if (!hit[k] && b->dev[k].end < dmin[0])
					prev = fmax(prev, b->dev[k].end);
		for (size_t i = 0; i < ns; i++) {
			double a = fmax(prev, steps->r[i].a), e = steps->r[i].b;
			if (dmin[i] == INFINITY)
				e = fmax(e, a);
			else
				e = fmax(fmax(e, dmax[i]), a);
			steps->r[i].a = a;
			steps->r[i].b = e;
			prev = e;
		}
		if (ns > 1) {
			size_t i = ns;
			while (i > 0 && !matched[i - 1])
				i--;
			if (i > 0) {
				size_t keep = i;
				if (i > 1 && (double)matched[i - 2] * 0.8 > (double)matched[i - 1])
					keep = i - 1;
				steps->n = keep;
				if (*n_names > keep)
					*n_names = keep;
			}
		}
	}
	free(dmin);
	free(dmax);
	free(matched);
	free(hit);
}

/* Bytes of a communication operator's inputs from str() of its "Input
 * Dims" and "Input type", as the reference counts them. */
static double comm_bytes(const char *shape, const char *types)
{
	static const struct {
		const char *name;
		int size;
	} sizes[] = {{"long int", 8},  {"float", 4},	     {"int", 4},
		     {"c10::Half", 2}, {"c10::BFloat16", 2}, {"unsigned char", 1}};
	if (!shape || shape[0] != '[' || !types)
		return 0;
	double total = 0;
	const char *s = shape + 1, *ty = types;
	while (*s && *s != ']') {
		while (*s == ' ' || *s == ',')
			s++;
		if (*s != '[')
			break;
		double prod = 1;
		for (s++; *s && *s != ']';) {
			char *end;
			double v = strtod(s, &end);
			if (end == s)
				break;
			prod *= v;
			s = end;
			while (*s == ' ' || *s == ',')
				s++;
		}
		if (*s == ']')
			s++;
		/* the next quoted type name */
		const char *q = strchr(ty, '\'');
		int size = 0;
		if (q) {
			const char *e = strchr(q + 1, '\'');
			if (!e)
				break;
			for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++)
				if (strlen(sizes[k].name) == (size_t)(e - q - 1) &&
				    strncmp(q + 1, sizes[k].name, (size_t)(e - q - 1)) == 0)
					size = sizes[k].size;
			ty = e + 1;
		}
		total += prod * size;
	}
	return total;
}

static int cmp_range_desc(const void *x, const void *y)
{
	const double *a = x, *b = y;
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return a[1] > b[1] ? -1 : a[1] < b[1];
}

static int cmp_commnode(const void *x, const void *y)
{
	const tb_prof_commnode *a = x, *b = y;
	return cmp_range_desc(a->ranges, b->ranges);
}

/* The communication operators (keyed by external id, the last wins) with
 * their NCCL kernels, in time order, each placed in its step. */
static void comm_nodes(const tb_prof_opbuild *b, const uint32_t *order, const imap *comm,
		       const rlist *steps, tb_prof_trace *t)
{
	if (!comm->n || t->comm_libs == (TB_PROF_NCCL | TB_PROF_GLOO))
		return;
	size_t n = 0;
	for (size_t i = 0; i < comm->n; i++)
		n += comm->e[i].alive;
	tb_prof_commnode *c = tb_xcalloc(n, sizeof *c);
	size_t *cap = tb_xcalloc(n, sizeof *cap);
	imap slot = {0};
	size_t k = 0;
	for (size_t i = 0; i < comm->n; i++) {
		const mentry *e = &comm->e[i];
		if (!e->alive)
			continue;
		const orec *r = &b->r[e->list.v[e->list.n - 1]];
		c[k].name = tb_xstrdup(S(b, r->name));
		c[k].bytes = comm_bytes(S(b, r->shape), r->types ? S(b, r->types) : NULL);
		c[k].ranges = tb_xgrow(c[k].ranges, &cap[k], 2, sizeof *c[k].ranges);
		c[k].ranges[0] = r->ts;
		c[k].ranges[1] = r->ts + r->dur;
		c[k].n_ranges = 1;
		c[k].step = -1;
		vpush(&imap_put(&slot, e->has, e->key)->list, (uint32_t)k);
		k++;
	}
	for (size_t oi = 0; (t->comm_libs & TB_PROF_NCCL) && oi < b->n; oi++) {
		const orec *r = &b->r[order[oi]];
		const mentry *e =
		    r->kind == TB_OK_KERNEL ? imap_get(&slot, r->has_ext, r->ext) : NULL;
		if (!e)
			continue;
		tb_prof_commnode *x = &c[e->list.v[0]];
		x->ranges =
		    tb_xgrow(x->ranges, &cap[e->list.v[0]], 2 * x->n_ranges + 2, sizeof *x->ranges);
		x->ranges[2 * x->n_ranges] = r->ts;
		x->ranges[2 * x->n_ranges + 1] = r->ts + r->dur;
		x->n_ranges++;
	}
	imap_free(&slot);
	free(cap);
	for (size_t i = 0; i < n; i++)
		qsort(c[i].ranges, c[i].n_ranges, 2 * sizeof *c[i].ranges, cmp_range_desc);
	qsort(c, n, sizeof *c, cmp_commnode);
	size_t s = 0;
	for (size_t i = 0; i < n && s < steps->n; i++) {
		double a = c[i].ranges[0], e = c[i].ranges[1];
		while (s < steps->n) {
			if (a >= steps->r[s].a && e <= steps->r[s].b) {
				c[i].step = (long)s;
				break;
			} else if (a >= steps->r[s].b) {
				s++;
			} else {
				break;
			}
		}
	}
	t->commnodes = c;
	t->n_commnodes = n;
}

static int is_dataloader(const char *name)
{
	return (strncmp(name, "enumerate(DataLoader)#", 22) == 0 && ends_with(name, ".__next__")) ||
	       strncmp(name, "enumerate(DataPipe)#", 20) == 0;
}

/* Each step's time split into the reference's roles, the steps' split
 * into compute and communication, and the communication operators. Runs
 * once runtime calls know the device activity they launched. */
static void overview(const tb_prof_opbuild *b, const uint32_t *order, tb_prof_trace *t)
{
	rlist role[TB_PROF_ROLE_OTHER] = {{0}}, steps = {0};
	vec names = {0};
	imap comm = {0};
	double cpu_min = INFINITY, cpu_max = -INFINITY;
	int any_float = 0;
	for (size_t oi = 0; oi < b->n; oi++) {
		const orec *r = &b->r[order[oi]];
		if ((r->kind == TB_OK_OPERATOR || r->kind == TB_OK_ANNOTATION ||
		     r->kind == TB_OK_PYTHON || r->kind == TB_OK_STEP || r->kind == TB_OK_MODULE) &&
		    is_comm_op(S(b, r->name))) {
			mentry *e = imap_put(&comm, r->has_ext, r->ext);
			e->list.n = 0;
			vpush(&e->list, order[oi]);
		}
	}
	for (size_t oi = 0; oi < b->n; oi++) {
		const orec *r = &b->r[order[oi]];
		const char *name = S(b, r->name);
		double a = r->ts, e = r->ts + r->dur;
		any_float |= r->is_float;
		switch (r->kind) {
		case TB_OK_KERNEL:
			rpush(&role[imap_get(&comm, r->has_ext, r->ext) ? TB_PROF_ROLE_COMM
									: TB_PROF_ROLE_KERNEL],
			      a, e);
			break;
		case TB_OK_MEMCPY:
			rpush(&role[TB_PROF_ROLE_MEMCPY], a, e);
			break;
		case TB_OK_MEMSET:
			rpush(&role[TB_PROF_ROLE_MEMSET], a, e);
			break;
		case TB_OK_RUNTIME:
			rpush(&role[TB_PROF_ROLE_RUNTIME], a, e);
			break;
		case TB_OK_STEP:
			rpush(&steps, a, e);
			vpush(&names, (uint32_t)oi);
			break;
		case TB_OK_OPERATOR:
		case TB_OK_ANNOTATION:
		case TB_OK_PYTHON:
			if (r->kind != TB_OK_PYTHON && is_dataloader(name))
				rpush(&role[TB_PROF_ROLE_DATALOADER], a, e);
			else if (is_comm_op(name))
				rpush(&role[TB_PROF_ROLE_COMM], a, e);
			else
				rpush(&role[TB_PROF_ROLE_CPU], a, e);
			if (strcmp(name, "DataParallel.forward") == 0)
				t->use_dp = 1;
			if (strcmp(name, "DistributedDataParallel.forward") == 0)
				t->use_ddp = 1;
			break;
		default:
			break;
		}
		if (r->kind == TB_OK_PYTHON || r->kind == TB_OK_OPERATOR || r->kind == TB_OK_STEP) {
			if (a < cpu_min)
				cpu_min = a;
			if (e > cpu_max)
				cpu_max = e;
		}
	}
	t->times_float = any_float;
	/* without steps the whole CPU time is one step; with neither, the
	 * reference's step runs from sys.maxsize to -sys.maxsize - 1, a
	 * negative time beyond 64 bits that is no Overview */
	if (!steps.n && cpu_min == INFINITY) {
		comm_nodes(b, order, &comm, &steps, t); /* in no step */
		goto out;
	}
	if (!steps.n)
		rpush(&steps, cpu_min, cpu_max);
	size_t n_names = names.n;
	device_steps(b, &steps, &n_names);
	comm_nodes(b, order, &comm, &steps, t);
	t->has_comm_role = role[TB_PROF_ROLE_COMM].n > 0;
	rlist merged[TB_PROF_ROLE_OTHER] = {{0}};
	for (int i = 0; i < TB_PROF_ROLE_OTHER; i++)
		merge_ranges(&merged[i], &role[i]);
	/* each role takes what the roles before it left of the steps; the
	 * rest is Other. As the reference: the first role, and any role met
	 * once nothing is left, is taken whole and the steps start again. */
	rlist cost[TB_PROF_N_ROLES] = {{0}}, slots = {0}, tmp = {0};
	for (int i = 0; i < TB_PROF_ROLE_OTHER; i++) {
		if (slots.n) {
			intersect(&cost[i], &slots, &merged[i]);
		} else {
			for (size_t k = 0; k < merged[i].n; k++)
				rpush(&cost[i], merged[i].r[k].a, merged[i].r[k].b);
			merge_ranges(&slots, &steps);
		}
		subtract(&tmp, &slots, &cost[i]);
		rlist x = slots;
		slots = tmp;
		tmp = x;
	}
	for (size_t k = 0; k < slots.n; k++)
		rpush(&cost[TB_PROF_ROLE_OTHER], slots.r[k].a, slots.r[k].b);
	/* compute is kernel time, else CPU operator time */
	const rlist *compute = merged[TB_PROF_ROLE_KERNEL].n ? &merged[TB_PROF_ROLE_KERNEL]
							     : &merged[TB_PROF_ROLE_CPU];
	rlist overlap = {0};
	intersect(&overlap, compute, &merged[TB_PROF_ROLE_COMM]);
	t->n_steps = steps.n;
	t->steps = tb_xcalloc(steps.n, sizeof *t->steps);
	for (size_t s = 0; s < steps.n; s++) {
		tb_prof_step *st = &t->steps[s];
		double a = steps.r[s].a, e = steps.r[s].b;
		st->name =
		    n_names ? step_name(S(b, b->r[order[names.v[s]]].name) + 13) : tb_xstrdup("0");
		st->total.v = e - a;
		st->total.is_float = any_float;
		for (int i = 0; i < TB_PROF_N_ROLES; i++)
			st->cost[i] = rsum_in(&cost[i], a, e, any_float);
		st->overlap = rsum_in(&overlap, a, e, any_float);
		st->compute = rsum_in(compute, a, e, any_float);
		st->comm = rsum_in(&merged[TB_PROF_ROLE_COMM], a, e, any_float);
		st->other.v = st->total.v + st->overlap.v - st->compute.v - st->comm.v;
		st->other.is_float = st->total.is_float || st->overlap.is_float ||
				     st->compute.is_float || st->comm.is_float;
	}
	t->has_overview = 1;
	t->steps_start = steps.r[0].a;
	t->steps_end = steps.r[steps.n - 1].b;
	free(overlap.r);
	for (int i = 0; i < TB_PROF_N_ROLES; i++)
		free(cost[i].r);
	for (int i = 0; i < TB_PROF_ROLE_OTHER; i++)
		free(merged[i].r);
	free(slots.r);
	free(tmp.r);
out:
	for (int i = 0; i < TB_PROF_ROLE_OTHER; i++)
		free(role[i].r);
	free(steps.r);
	free(names.v);
	imap_free(&comm);
}

/* ---- GPU summary ------------------------------------------------------------------ */

typedef struct endpoint {
	double t, v;
	int end;
	size_t seq;
} endpoint;

static int cmp_endpoint(const void *x, const void *y)
{
	const endpoint *a = x, *b = y;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->end != b->end)
		return a->end - b->end;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The reference's estimated SM efficiency of one device: blocks per SM
 * summed over overlapping kernels, capped at 1, weighted by time inside
 * [a, b) and divided by its length. Returns 0 when no kernel counts. */
static int sm_efficiency(double *out, const tb_prof_opbuild *b, int gpu, double a, double e)
{
	endpoint *p = NULL;
	size_t n = 0, cap = 0;
	for (size_t k = 0; k < b->n_dev; k++) {
		const orec *r = &b->r[b->dev[k].rec];
		if (r->kind != TB_OK_KERNEL || r->device != gpu || !r->has_bps || !(r->bps > 0))
			continue;
		p = tb_xgrow(p, &cap, n + 2, sizeof *p);
		p[n] = (endpoint){r->ts, r->bps, 0, n};
		p[n + 1] = (endpoint){r->ts + r->dur, r->bps, 1, n + 1};
		n += 2;
	}
	int found = 0;
	double sum = 0;
	if (n) {
		qsort(p, n, sizeof *p, cmp_endpoint);
		double last_t = p[0].t, v = p[0].v;
		for (size_t i = 1; i < n; i++) {
			if (p[i].t > last_t && v > 0.0) {
				double lo = fmax(last_t, a), hi = fmin(p[i].t, e);
				if (lo < hi) {
					sum += fmin(v, 1.0) * (hi - lo);
					found = 1;
				}
			}
			last_t = p[i].t;
			v += p[i].end ? -p[i].v : p[i].v;
		}
	}
	free(p);
	*out = found ? sum / (e - a) : 0;
	return found;
}

/* Kernel time of the runtime calls of operators (Tensor Core kernels
 * only when tc); per device into by_dev[id] when not NULL. */
static double op_kernel_time(const tb_prof_opbuild *b, uint32_t ni, int tc, double *by_dev)
{
	double sum = 0;
	const onode *n = &b->node[ni];
	for (size_t i = 0; i < n->runtimes.n; i++) {
		const ort *rt = &b->rt[n->runtimes.v[i]];
		for (size_t k = 0; k < rt->devs.n; k++) {
			const odev *d = &b->dev[rt->devs.v[k]];
			const orec *r = &b->r[d->rec];
			if (r->kind != TB_OK_KERNEL || (tc && !d->tc_used))
				continue;
			sum += d->end - d->start;
			if (by_dev && r->device >= 0 && r->device < TB_PROF_MAX_GPUS)
				by_dev[r->device] += d->end - d->start;
		}
	}
	return sum;
}

/* Kernel time of the lowest Tensor Core eligible operators under ni;
 * *found tells whether there is one. */
static double bottom_tc_time(const tb_prof_opbuild *b, uint32_t ni, int *found)
{
	double sum = 0;
	int below = 0;
	for (size_t i = 0; i < b->node[ni].children.n; i++)
		sum += bottom_tc_time(b, b->node[ni].children.v[i], &below);
	*found |= below;
	if (b->node[ni].tc_eligible && !below) {
		*found = 1;
		sum += op_kernel_time(b, ni, 0, NULL);
	}
	return sum;
}

/* Utilisation, SM efficiency, occupancy and Tensor Core share per device
 * over all steps, as the Overview's GPU summary gives them. */
static void gpu_summary(const tb_prof_opbuild *b, const vec *roots, tb_prof_trace *t)
{
	if (!t->n_steps)
		return;
	double a = t->steps_start, e = t->steps_end;
	double *tc = tb_xcalloc(TB_PROF_MAX_GPUS, sizeof *tc);
	double *all = tb_xcalloc(TB_PROF_MAX_GPUS, sizeof *all);
	double ops_sum = 0;
	int has_kernel = 0;
	for (size_t i = 0; i < b->ops.n; i++) {
		ops_sum += op_kernel_time(b, b->ops.v[i], 0, all);
		op_kernel_time(b, b->ops.v[i], 1, tc);
	}
	for (size_t i = 0; i < TB_PROF_MAX_GPUS; i++)
		has_kernel |= all[i] > 0;
	double bottom = 0;
	for (size_t i = 0; i < roots->n; i++) {
		const onode *rn = &b->node[roots->v[i]];
		for (size_t k = 0; k < rn->children.n; k++) {
			int found = 0;
			bottom += bottom_tc_time(b, rn->children.v[k], &found);
		}
	}
	t->tc_eligible_ratio = ops_sum > 0 ? bottom / ops_sum : 0.0;
	uint8_t seen[TB_PROF_MAX_GPUS] = {0};
	for (size_t k = 0; k < b->n_dev; k++) {
		const orec *r = &b->r[b->dev[k].rec];
		if (r->kind == TB_OK_KERNEL && r->device >= 0 && r->device < TB_PROF_MAX_GPUS)
			seen[r->device] = 1;
	}
	for (int g = 0; g < TB_PROF_MAX_GPUS; g++) {
		if (!seen[g])
			continue;
		t->gpus = tb_xrealloc(t->gpus, (t->n_gpus + 1) * sizeof *t->gpus);
		tb_prof_gpu *x = &t->gpus[t->n_gpus++];
		memset(x, 0, sizeof *x);
		x->id = g;
		rlist ks = {0}, m = {0};
		double occ = 0, occ_t = 0;
		for (size_t k = 0; k < b->n_dev; k++) {
			const orec *r = &b->r[b->dev[k].rec];
			if (r->kind != TB_OK_KERNEL || r->device != g)
				continue;
			rpush(&ks, r->ts, r->ts + r->dur);
			if (r->has_occ && r->occ >= 0.0) {
				double lo = fmax(r->ts, a), hi = fmin(r->ts + r->dur, e);
				if (lo < hi) {
					occ += r->occ * (hi - lo);
					occ_t += hi - lo;
				}
			}
		}
		merge_ranges(&m, &ks);
		x->util = rsum_in(&m, a, e, 0).v / (e - a);
		free(ks.r);
		free(m.r);
		x->has_sm_eff = sm_efficiency(&x->sm_eff, b, g, a, e);
		x->has_occ = occ_t > 0;
		x->occ = x->has_occ ? occ / occ_t : 0;
		x->has_tc = has_kernel;
		x->tc = all[g] > 0 ? tc[g] / all[g] : 0.0;
	}
	free(tc);
	free(all);
}


/* ---- the kept tree ---------------------------------------------------------------- */

/* Copy node ni into slot at of out; its kids take the slots from *next. */
static void keep_node(tb_prof_optree *out, size_t at, size_t *next, const tb_prof_opbuild *b,
		      uint32_t ni)
{
	const onode *n = &b->node[ni];
	tb_prof_tnode *x = &out->nodes[at];
	x->name = tb_xstrdup(S(b, n->name) ? S(b, n->name) : "");
	x->cls = n->cls;
	x->is_op = is_operator_node(b, n);
	x->start = n->start;
	x->end = n->end;
	x->dev = n->dev;
	x->self_host = n->self_host;
	x->self_dev = n->self_dev;
	x->first_kid = *next;
	x->n_kids = n->children.n;
	*next += n->children.n;
	for (size_t i = 0; i < n->children.n; i++)
		keep_node(out, x->first_kid + i, next, b, n->children.v[i]);
}

static size_t count_nodes(const tb_prof_opbuild *b, uint32_t ni)
{
	size_t n = 1;
	for (size_t i = 0; i < b->node[ni].children.n; i++)
		n += count_nodes(b, b->node[ni].children.v[i]);
	return n;
}

static void keep_tree(const tb_prof_opbuild *b, uint32_t root, tb_prof_trace *t)
{
	tb_prof_optree *out = tb_xcalloc(1, sizeof *out);
	out->n_nodes = count_nodes(b, root);
	out->nodes = tb_xcalloc(out->n_nodes, sizeof *out->nodes);
	size_t next = 1;
	keep_node(out, 0, &next, b, root);
	t->tree = out;
}

void tb_prof_optree_free(tb_prof_optree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_nodes; i++)
		free(t->nodes[i].name);
	free(t->nodes);
	free(t);
}

/* ---- aggregation ----------------------------------------------------------------- */

#define KEY_IDS 6

typedef struct aggmap {
	tb_idxset set;
	uint32_t (*keys)[KEY_IDS];
	size_t cap_keys;
} aggmap;

/* The index of the aggregate with key k (string ids; unused ones 0)
 * among the *n so far, added (*added = 1) when new. */
static size_t agg_slot(aggmap *m, size_t *n, const uint32_t k[KEY_IDS], int *added)
{
	size_t size = KEY_IDS * sizeof *k;
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, k, size);
	size_t pos = 0, i1;
	while ((i1 = tb_idxset_next(&m->set, h, &pos)))
		if (memcmp(m->keys[i1 - 1], k, size) == 0) {
			*added = 0;
			return i1 - 1;
		}
	m->keys = tb_xgrow(m->keys, &m->cap_keys, *n + 1, sizeof *m->keys);
	memcpy(m->keys[*n], k, size);
	if (tb_idxset_add(&m->set, h, *n) != 0)
		abort();
	*added = 1;
	return (*n)++;
}

static void aggmap_free(aggmap *m)
{
	tb_idxset_free(&m->set);
	free(m->keys);
}

static char *dup_id(const tb_prof_opbuild *b, uint32_t id)
{
	return id ? tb_xstrdup(S(b, id)) : NULL;
}

static void aggregate_ops(tb_prof_opbuild *b, tb_prof_trace *t)
{
	for (int g = 0; g < TB_PROF_N_GROUPS; g++) {
		aggmap m = {0};
		size_t cap = 0;
		for (size_t i = 0; i < b->ops.n; i++) {
			const onode *n = &b->node[b->ops.v[i]];
			int with_shape = g == TB_PROF_BY_SHAPE || g == TB_PROF_BY_SHAPE_STACK;
			int with_stack = g >= TB_PROF_BY_NAME_STACK;
			/* the stack groupings keep only calls with a call stack */
			if (with_stack && (!n->stack || !*S(b, n->stack)))
				continue;
			int added;
			uint32_t key[KEY_IDS] = {n->name, with_shape ? n->shape : 0,
						 with_stack ? n->stack : 0};
			size_t k = agg_slot(&m, &t->n_ops[g], key, &added);
			if (added) {
				t->ops[g] =
				    tb_xgrow(t->ops[g], &cap, t->n_ops[g], sizeof *t->ops[g]);
				tb_prof_opagg *a = &t->ops[g][k];
				memset(a, 0, sizeof *a);
				a->name = dup_id(b, n->name);
				a->shape = dup_id(b, n->shape);
				a->stack = with_stack ? dup_id(b, n->stack) : NULL;
				a->tc_eligible = n->tc_eligible;
			}
			tb_prof_opagg *a = &t->ops[g][k];
			a->calls++;
			a->host += n->end - n->start;
			a->device += n->dev;
			a->self_host += n->self_host;
			a->self_device += n->self_dev;
			a->tc_self += n->tc_self;
			a->tc_total += n->tc_total;
		}
		aggmap_free(&m);
	}
}

static void aggregate_kernels(tb_prof_opbuild *b, tb_prof_trace *t)
{
	uint32_t na = intern(&b->str, "N/A");
	aggmap m = {0};
	size_t cap = 0;
	for (size_t i = 0; i < b->kernels.n; i++) {
		const odev *d = &b->dev[b->kernels.v[i]];
		const orec *r = &b->r[d->rec];
		uint32_t op = d->op_name ? d->op_name : na;
		int added;
		uint32_t key[KEY_IDS] = {r->name, op, r->grid, r->block, r->regs, r->shmem};
		size_t k = agg_slot(&m, &t->n_kops, key, &added);
		if (added) {
			t->kops = tb_xgrow(t->kops, &cap, t->n_kops, sizeof *t->kops);
			tb_prof_kopagg *a = &t->kops[k];
			memset(a, 0, sizeof *a);
			a->name = dup_id(b, r->name);
			a->op = dup_id(b, op);
			a->grid = dup_id(b, r->grid);
			a->block = dup_id(b, r->block);
			a->regs = dup_id(b, r->regs);
			a->shmem = dup_id(b, r->shmem);
			a->tc_used = d->tc_used;
			a->op_tc_eligible = d->op_tc;
		}
		tb_prof_kopagg *a = &t->kops[k];
		double dur = d->end - d->start;
		if (a->calls == 0 || dur < a->min)
			a->min = dur;
		if (dur > a->max)
			a->max = dur;
		a->calls++;
		a->sum += dur;
		a->wbps += (r->has_bps ? r->bps : 0.0) * dur;
		a->wocc += (r->has_occ ? r->occ : 0.0) * dur;
	}
	aggmap_free(&m);
}

/* A root's time range as the reference sets it after building: from its
 * first child's start to its last child's end (NAN: no children). */
static void root_span(const tb_prof_opbuild *b, uint32_t root, double out[2])
{
	const vec *c = &b->node[root].children;
	out[0] = c->n ? b->node[c->v[0]].start : NAN;
	out[1] = c->n ? b->node[c->v[c->n - 1]].end : NAN;
}

/* ---- the tree for the memory tables ------------------------------------------- */

static uint32_t export_name(uint32_t *map, char ***names, size_t *n, size_t *cap, const char *s,
			    uint32_t id)
{
	if (!map[id]) {
		*names = tb_xgrow(*names, cap, *n + 1, sizeof **names);
		(*names)[*n] = tb_xstrdup(s ? s : "");
		map[id] = (uint32_t)(*n)++;
	}
	return map[id];
}

/* Copy the kept thread trees (memory.h) into t->memory, children laid
 * out together; span[i] is root i's time range as the reference sets it
 * once the tree is built (NAN: none). */
static void export_tree(tb_prof_opbuild *b, tb_prof_trace *t, const vec *roots,
			const int64_t *tids, const double (*span)[2], int rebuilt)
{
	uint32_t *map = tb_xcalloc(b->str.n + 1, sizeof *map);
	char **names = NULL;
	size_t n_names = 1, cap_names = 0;
	names = tb_xgrow(names, &cap_names, 1, sizeof *names);
	names[0] = NULL;
	tb_prof_mnode *out = NULL;
	uint32_t *src = NULL, *rl = tb_xmalloc((roots->n + 1) * sizeof *rl);
	int64_t *rtid = tb_xmalloc((roots->n + 1) * sizeof *rtid);
	size_t n = 0, cap = 0, cap_src = 0, nr = 0;
	for (size_t i = 0; i < roots->n; i++) {
		if (rebuilt && !b->node[roots->v[i]].children.n)
			continue;
		size_t q = n;
		rl[nr] = (uint32_t)n;
		rtid[nr++] = tids[i];
		out = tb_xgrow(out, &cap, n + 1, sizeof *out);
		src = tb_xgrow(src, &cap_src, n + 1, sizeof *src);
		src[n++] = roots->v[i];
		/* breadth first: each node's children follow one another */
		for (size_t k = q; k < n; k++) {
			const onode *bn = &b->node[src[k]];
			tb_prof_mnode *tn = &out[k];
			memset(tn, 0, sizeof *tn);
			tn->start = k == q ? span[i][0] : bn->start;
			tn->end = k == q ? span[i][1] : bn->end;
			tn->name = export_name(map, &names, &n_names, &cap_names, S(b, bn->name), bn->name);
			tn->is_op = (uint8_t)is_operator_node(b, bn);
			tn->kind = bn->type;
			tn->tid = k == q ? tids[i] : bn->tid;
			/* a backward module answers with the thread of the backward
			 * operators it holds, as the reference's do */
			for (const onode *x = bn; x->type == TYPE_BACKWARD && x->children.n;) {
				x = &b->node[x->children.v[0]];
				tn->tid = x->tid;
			}
			tn->first = (uint32_t)n;
			tn->n = (uint32_t)bn->children.n;
			for (size_t c = 0; c < bn->children.n; c++) {
				out = tb_xgrow(out, &cap, n + 1, sizeof *out);
				src = tb_xgrow(src, &cap_src, n + 1, sizeof *src);
				src[n++] = b->node[src[k]].children.v[c];
			}
		}
	}
	free(src);
	free(map);
	tb_prof_memory_set_tree(t->memory, out, n, rl, rtid, nr, names, n_names);
	free(rtid);
}

/* Hand the module nodes reachable through steps, modules and operators
 * to the Module view (modules.h), as the reference collects them. */
static void module_nodes(tb_prof_opbuild *b, tb_prof_modules *m, uint32_t ni)
{
	const onode *n = &b->node[ni];
	if (n->cls != NC_OP && n->cls != NC_STEP && n->cls != NC_MODULE && n->cls != NC_OPTIMIZER &&
	    n->cls != NC_DATALOADER)
		return;
	if (n->cls == NC_MODULE) {
		uint64_t ops = 0;
		for (size_t i = 0; i < n->children.n; i++)
			ops += (uint64_t)is_operator_node(b, &b->node[n->children.v[i]]);
		tb_prof_modules_node(m, S(b, n->name), n->mid, ops, n->end - n->start, n->self_host,
				     n->dev, n->self_dev);
	}
	for (size_t i = 0; i < b->node[ni].children.n; i++)
		module_nodes(b, m, b->node[ni].children.v[i]);
}

void tb_prof_opbuild_finish(tb_prof_opbuild *b, tb_prof_trace *t)
{
	uint32_t *order = tb_xmalloc((b->n ? b->n : 1) * sizeof *order);
	for (size_t i = 0; i < b->n; i++)
		order[i] = (uint32_t)i;
	stable_sort_idx(order, b->n, cmp_rec_ts, b);

	imap corr_dev = {0}, corr_rt = {0}, ext_rt = {0}, tid_ops = {0}, tid_zero = {0};
	for (size_t oi = 0; oi < b->n; oi++) {
		uint32_t ri = order[oi];
		const orec *r = &b->r[ri];
		switch (r->kind) {
		case TB_OK_KERNEL:
		case TB_OK_MEMCPY:
		case TB_OK_MEMSET: {
			b->dev = tb_xgrow(b->dev, &b->cap_dev, b->n_dev + 1, sizeof *b->dev);
			odev *d = &b->dev[b->n_dev];
			memset(d, 0, sizeof *d);
			d->rec = ri;
			d->start = r->ts;
			d->end = r->ts + r->dur;
			d->tc_used = tb_prof_tensor_core_kernel(S(b, r->name));
			mentry *e = imap_get(&corr_rt, r->has_corr, r->corr);
			if (e)
				vpush(&b->rt[e->list.v[0]].devs, (uint32_t)b->n_dev);
			else
				vpush(&imap_put(&corr_dev, r->has_corr, r->corr)->list,
				      (uint32_t)b->n_dev);
			b->n_dev++;
			break;
		}
		case TB_OK_RUNTIME: {
			b->rt = tb_xgrow(b->rt, &b->cap_rt, b->n_rt + 1, sizeof *b->rt);
			ort *rt = &b->rt[b->n_rt];
			memset(rt, 0, sizeof *rt);
			rt->has_time = 1;
			rt->start = r->ts;
			rt->end = r->ts + r->dur;
			rt->has_ext = r->has_ext;
			rt->ext = r->ext;
			imap_pop(&rt->devs, &corr_dev, r->has_corr, r->corr);
			stable_sort_idx(rt->devs.v, rt->devs.n, cmp_dev, b);
			mentry *e = imap_put(&corr_rt, r->has_corr, r->corr);
			e->list.n = 0;
			vpush(&e->list, (uint32_t)b->n_rt);
			vpush(&imap_put(&ext_rt, r->has_ext, r->ext)->list, (uint32_t)b->n_rt);
			/* the reference files these under the thread id as written
			 * and looks them up by its int(): a string id never matches */
			if (r->has_ext && r->ext == 0 && !r->tid_is_str)
				vpush(&imap_put(&tid_zero, 1, r->tid)->list, (uint32_t)b->n_rt);
			b->n_rt++;
			break;
		}
		default: {
			int cls = node_class(b, r);
			if (cls < 0)
				break;
			uint32_t ni = new_node(b, r, cls);
			vpush(&imap_put(&tid_ops, 1, r->tid)->list, ni);
			break;
		}
		}
	}
	overview(b, order, t);
	free(order);

	/* runtimes to their operator, by external id (first operator wins) */
	for (size_t i = 0; i < tid_ops.n; i++) {
		const vec *ops = &tid_ops.e[i].list;
		for (size_t k = 0; k < ops->n; k++) {
			onode *n = &b->node[ops->v[k]];
			vec rts;
			imap_pop(&rts, &ext_rt, n->has_ext, n->ext);
			for (size_t j = 0; j < rts.n; j++)
				vpush(&b->node[ops->v[k]].runtimes, rts.v[j]);
			free(rts.v);
		}
	}
	vec staled = {0};
	for (size_t i = 0; i < corr_dev.n; i++) {
		const mentry *e = &corr_dev.e[i];
		for (size_t k = 0; e->alive && k < e->list.n; k++)
			if (b->r[b->dev[e->list.v[k]].rec].kind == TB_OK_KERNEL)
				vpush(&staled, e->list.v[k]);
	}
	vec roots = {0};
	int64_t *tids = tb_xmalloc((tid_ops.n ? tid_ops.n : 1) * sizeof *tids);
	double(*span)[2] = tb_xmalloc((tid_ops.n ? tid_ops.n : 1) * sizeof *span);
	int main = -1;
	for (size_t i = 0; i < tid_ops.n; i++) {
		mentry *e = &tid_ops.e[i];
		const mentry *z = imap_get(&tid_zero, 1, e->key);
		int has_step;
		vpush(&roots, build_thread(b, &e->list, z ? &z->list : NULL, &staled, &has_step));
		tids[roots.n - 1] = e->key;
		root_span(b, roots.v[roots.n - 1], span[roots.n - 1]);
		if (has_step)
			main = (int)(roots.n - 1);
	}
	free(staled.v);
	int rebuilt = backward_modules(b, &roots, tids, main);
	for (size_t i = 0; i < roots.n; i++)
		if (!rebuilt || b->node[roots.v[i]].children.n)
			walk(b, roots.v[i]);
	for (size_t i = 0; t->modules && i < roots.n; i++)
		if (!rebuilt || b->node[roots.v[i]].children.n)
			for (size_t c = 0; c < b->node[roots.v[i]].children.n; c++)
				module_nodes(b, t->modules, b->node[roots.v[i]].children.v[c]);
	if (t->modules)
		tb_prof_modules_finish(t->modules);
	if ((t->has_module || b->keep_copy) && !t->memory)
		t->memory = tb_prof_memory_new();
	if (t->memory)
		export_tree(b, t, &roots, tids, (const double(*)[2])span, rebuilt);
	gpu_summary(b, &roots, t);
	if (b->keep_tree && roots.n)
		keep_tree(b, roots.v[0], t);
	free(roots.v);
	free(tids);
	free(span);
	imap_free(&corr_dev);
	imap_free(&corr_rt);
	imap_free(&ext_rt);
	imap_free(&tid_ops);
	imap_free(&tid_zero);

	aggregate_ops(b, t);
	aggregate_kernels(b, t);
	tb_prof_opbuild_free(b);
}

void tb_prof_opbuild_free(tb_prof_opbuild *b)
{
	if (!b)
		return;
	strpool_free(&b->str);
	free(b->r);
	for (size_t i = 0; i < b->n_node; i++) {
		free(b->node[i].children.v);
		free(b->node[i].runtimes.v);
	}
	free(b->node);
	for (size_t i = 0; i < b->n_rt; i++)
		free(b->rt[i].devs.v);
	free(b->rt);
	free(b->dev);
	free(b->ops.v);
	free(b->kernels.v);
	imap_free(&b->fwd);
	imap_free(&b->bwd);
	free(b->flow_ts);
	free(b);
}
