/* The memory tables of one trace (see memory.h).
 *
 * Records are tied to nodes as the reference's MemoryParser does: per
 * thread, in time order, walking down from the node that held the last
 * record; a record before the current node, or after the thread's whole
 * tree, is left unattached. Allocations are then paired with their frees
 * by address over the whole trace, so a free carries the operator of its
 * allocation. Statistics of a time range walk the tree again, skipping
 * subtrees outside the range; their cost is one pass over the nodes. */
#include "memory.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "omap.h"

struct tb_prof_memory {
	tb_prof_memrec *rec; /* in time order once the tree is set */
	size_t n_rec, cap_rec;
	tb_prof_mnode *node;
	size_t n_node;
	uint32_t *roots;
	int64_t *root_tid;
	size_t n_roots;
	char **names;
	size_t n_names;
	uint32_t *rec_of; /* record indices, grouped by node */
	int *devs;	  /* devices of the records, in name order */
	size_t n_devs;
};

tb_prof_memory *tb_prof_memory_new(void)
{
	return tb_xcalloc(1, sizeof(tb_prof_memory));
}

void tb_prof_memory_free(tb_prof_memory *m)
{
	if (!m)
		return;
	free(m->rec);
	free(m->node);
	free(m->roots);
	free(m->root_tid);
	for (size_t i = 1; i < m->n_names; i++)
		free(m->names[i]);
	free(m->names);
	free(m->rec_of);
	free(m->devs);
	free(m);
}

void tb_prof_memory_add(tb_prof_memory *m, const tb_prof_memrec *r)
{
	m->rec = tb_xgrow(m->rec, &m->cap_rec, m->n_rec + 1, sizeof *m->rec);
	m->rec[m->n_rec] = *r;
	m->rec[m->n_rec].op = m->rec[m->n_rec].parent = 0;
	m->n_rec++;
}

size_t tb_prof_memory_count(const tb_prof_memory *m)
{
	return m ? m->n_rec : 0;
}

int64_t tb_prof_memory_tree(const tb_prof_mnode **nodes, char *const **names,
			    const tb_prof_memory *m)
{
	*nodes = m ? m->node : NULL;
	*names = m ? m->names : NULL;
	return m && m->n_roots ? (int64_t)m->roots[0] : -1;
}

/* ---- tying records to nodes --------------------------------------------------- */

static int cmp_rec(const void *a, const void *b)
{
	const tb_prof_memrec *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return 0;
}

/* Stable sort of the records by time (merge sort on a copy). */
static void sort_records(tb_prof_memrec *r, size_t n)
{
	if (n < 2)
		return;
	tb_prof_memrec *tmp = tb_xmalloc(n * sizeof *tmp);
	for (size_t w = 1; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, o = lo;
			while (i < mid && j < hi)
				tmp[o++] = cmp_rec(&r[j], &r[i]) < 0 ? r[j++] : r[i++];
			while (i < mid)
				tmp[o++] = r[i++];
			while (j < hi)
				tmp[o++] = r[j++];
		}
		memcpy(r, tmp, n * sizeof *r);
	}
	free(tmp);
}

typedef struct frame {
	uint32_t node, child;
} frame;

/* Tie the records of thread tid (indices idx, in time order) to the
 * nodes of its tree; node_of[i] receives the node of record idx[i], or
 * UINT32_MAX. */
static void tie_thread(tb_prof_memory *m, uint32_t *node_of, const uint32_t *idx, size_t n,
		       int64_t tid, int tid_ok)
{
	int64_t cur = -1;
	for (size_t i = 0; tid_ok && i < m->n_roots; i++)
		if (m->root_tid[i] == tid) {
			cur = m->roots[i];
			break;
		}
	frame *st = NULL;
	size_t depth = 0, cap = 0;
	uint32_t child = 0;
	if (cur >= 0)
		m->node[cur].processed = 1;
	for (size_t i = 0; i < n;) {
		tb_prof_memrec *r = &m->rec[idx[i]];
		node_of[i] = UINT32_MAX;
		if (cur < 0 || isnan(m->node[cur].start) || isnan(m->node[cur].end)) {
			i++;
			continue;
		}
		tb_prof_mnode *c = &m->node[cur];
		if (r->ts < c->start) {
			i++;
			continue;
		}
		if (r->ts >= c->end) {
			if (depth) {
				depth--;
				cur = st[depth].node;
				child = st[depth].child + 1;
			} else {
				cur = -1;
			}
			continue;
		}
		while (child < m->node[cur].n) {
			const tb_prof_mnode *k = &m->node[m->node[cur].first + child];
			if (r->ts < k->start)
				break;
			if (r->ts >= k->end) {
				child++;
				continue;
			}
			st = tb_xgrow(st, &cap, depth + 1, sizeof *st);
			st[depth].node = (uint32_t)cur;
			st[depth++].child = child;
			cur = m->node[cur].first + child;
			m->node[cur].processed = 1;
			child = 0;
		}
		if (m->node[cur].is_op) {
			node_of[i] = (uint32_t)cur;
			if (r->bytes > 0) {
				r->op = m->node[cur].name;
				r->parent = depth ? m->node[st[depth - 1].node].name : 0;
			}
		}
		i++;
	}
	free(st);
}

void tb_prof_device_name(char *out, size_t n, int device)
{
	if (device < 0)
		snprintf(out, n, "CPU");
	else
		snprintf(out, n, "GPU%d", device);
}

int tb_prof_device_cmp(const void *a, const void *b)
{
	char x[32], y[32];
	tb_prof_device_name(x, sizeof x, *(const int *)a);
	tb_prof_device_name(y, sizeof y, *(const int *)b);
	return strcmp(x, y);
}

void tb_prof_memory_set_tree(tb_prof_memory *m, tb_prof_mnode *nodes, size_t n, uint32_t *roots,
			     const int64_t *root_tids, size_t n_roots, char **names, size_t n_names)
{
	m->node = nodes;
	m->n_node = n;
	m->roots = roots;
	m->n_roots = n_roots;
	m->root_tid = tb_xmalloc((n_roots + 1) * sizeof *m->root_tid);
	if (n_roots)
		memcpy(m->root_tid, root_tids, n_roots * sizeof *root_tids);
	m->names = names;
	m->n_names = n_names;
	sort_records(m->rec, m->n_rec);

	/* threads in order of their first record, records in time order */
	tb_prof_omap tids = {0};
	uint32_t *order = tb_xmalloc((m->n_rec + 1) * sizeof *order);
	uint32_t *node_of = tb_xmalloc((m->n_rec + 1) * sizeof *node_of);
	uint32_t *owner = tb_xmalloc((m->n_rec + 1) * sizeof *owner);
	size_t *count = NULL, cap_count = 0, n_threads = 0;
	for (size_t i = 0; i < m->n_rec; i++) {
		const tb_prof_memrec *r = &m->rec[i];
		/* a string thread id never finds its tree: its own group */
		uint64_t key = r->tid_is_str || !r->has_tid ? UINT64_MAX - (r->has_tid ? 0 : 1)
							    : (uint64_t)r->tid;
		int64_t g = tb_prof_omap_get(&tids, key);
		if (g < 0) {
			g = (int64_t)n_threads++;
			tb_prof_omap_set(&tids, key, g);
			count = tb_xgrow(count, &cap_count, n_threads, sizeof *count);
			count[g] = 0;
		}
		owner[i] = (uint32_t)g;
		count[g]++;
	}
	size_t *at = tb_xcalloc(n_threads + 1, sizeof *at);
	for (size_t g = 1; g <= n_threads; g++)
		at[g] = at[g - 1] + count[g - 1];
	size_t *fill = tb_xmalloc((n_threads + 1) * sizeof *fill);
	memcpy(fill, at, (n_threads + 1) * sizeof *fill);
	for (size_t i = 0; i < m->n_rec; i++)
		order[fill[owner[i]]++] = (uint32_t)i;
	for (size_t g = 0; g < n_threads; g++) {
		const tb_prof_memrec *r = &m->rec[order[at[g]]];
		tie_thread(m, node_of + at[g], order + at[g], at[g + 1] - at[g], r->tid,
			   r->has_tid && !r->tid_is_str);
	}
	/* each node's records, in the order they were tied */
	uint32_t *per = tb_xcalloc(m->n_node + 1, sizeof *per);
	for (size_t i = 0; i < m->n_rec; i++)
		if (node_of[i] != UINT32_MAX)
			per[node_of[i]]++;
	uint32_t sum = 0;
	for (size_t k = 0; k < m->n_node; k++) {
		m->node[k].rec_first = sum;
		m->node[k].n_recs = 0;
		sum += per[k];
	}
	m->rec_of = tb_xmalloc((sum + 1) * sizeof *m->rec_of);
	for (size_t i = 0; i < m->n_rec; i++)
		if (node_of[i] != UINT32_MAX) {
			tb_prof_mnode *k = &m->node[node_of[i]];
			m->rec_of[k->rec_first + k->n_recs++] = order[i];
		}
	free(per);
	free(order);
	free(node_of);
	free(owner);
	free(count);
	free(at);
	free(fill);
	tb_prof_omap_free(&tids);

	/* a free carries the operator of its allocation */
	tb_prof_omap alloc = {0};
	for (size_t i = 0; i < m->n_rec; i++) {
		tb_prof_memrec *r = &m->rec[i];
		if (!r->has_addr)
			continue;
		if (r->bytes > 0) {
			tb_prof_omap_set(&alloc, r->addr, (int64_t)i);
		} else {
			int64_t a = tb_prof_omap_get(&alloc, r->addr);
			if (a >= 0) {
				r->op = m->rec[a].op;
				r->parent = m->rec[a].parent;
				tb_prof_omap_del(&alloc, r->addr);
			}
		}
	}
	tb_prof_omap_free(&alloc);

	for (size_t i = 0; i < m->n_rec; i++) {
		int d = m->rec[i].device;
		size_t k = 0;
		while (k < m->n_devs && m->devs[k] != d)
			k++;
		if (k == m->n_devs && d != TB_PROF_MEM_NODEV) {
			m->devs = tb_xrealloc(m->devs, (m->n_devs + 1) * sizeof *m->devs);
			m->devs[m->n_devs++] = d;
		}
	}
	if (m->n_devs)
		qsort(m->devs, m->n_devs, sizeof *m->devs, tb_prof_device_cmp);
}

/* ---- statistics of a time range ----------------------------------------------- */

typedef struct walk {
	const tb_prof_memory *m;
	const tb_prof_mrange *r;
	int64_t *agg;	 /* [name][dev][TB_MS_N] */
	uint64_t *calls; /* [name] */
	int64_t **lvl;	 /* per depth: [dev][3] totals of the node being walked */
	size_t n_lvl;
} walk;

static size_t dev_index(const tb_prof_memory *m, int device)
{
	for (size_t k = 0; k < m->n_devs; k++)
		if (m->devs[k] == device)
			return k;
	return m->n_devs;
}

static int in_range(const tb_prof_mrange *r, double ts)
{
	return !(r->has_start && ts < r->start) && !(r->has_end && ts > r->end);
}

/* Walk node ni at depth d; adds its total metrics to up (NULL: none). */
static void walk_node(walk *w, uint32_t ni, size_t d, int64_t *up)
{
	const tb_prof_memory *m = w->m;
	const tb_prof_mnode *n = &m->node[ni];
	if (w->r->has_start && n->end < w->r->start)
		return;
	if (w->r->has_end && n->start > w->r->end)
		return;
	if (n->is_op)
		w->calls[n->name]++;
	if (!n->processed)
		return;
	size_t nd = m->n_devs;
	if (d >= w->n_lvl) {
		w->lvl = tb_xrealloc(w->lvl, (d + 1) * sizeof *w->lvl);
		for (size_t k = w->n_lvl; k <= d; k++)
			w->lvl[k] = tb_xmalloc((nd * 3 + 1) * sizeof **w->lvl);
		w->n_lvl = d + 1;
	}
	int64_t *tot = w->lvl[d];
	memset(tot, 0, nd * 3 * sizeof *tot);
	int64_t *self = w->agg + (size_t)n->name * nd * TB_MS_N;
	if (n->is_op)
		for (uint32_t k = 0; k < n->n_recs; k++) {
			const tb_prof_memrec *r = &m->rec[m->rec_of[n->rec_first + k]];
			if (!in_range(w->r, r->ts) || r->device == TB_PROF_MEM_NODEV)
				continue;
			size_t di = dev_index(m, r->device);
			int64_t *a = self + di * TB_MS_N, *t = tot + di * 3;
			a[TB_MS_SELF_INCREASE] += r->bytes;
			t[0] += r->bytes;
			if (r->bytes > 0) {
				a[TB_MS_SELF_ALLOC_SIZE] += r->bytes;
				a[TB_MS_SELF_ALLOC_COUNT]++;
				t[1] += r->bytes;
				t[2]++;
			}
		}
	for (uint32_t c = 0; c < n->n; c++)
		walk_node(w, n->first + c, d + 1, w->lvl[d]);
	tot = w->lvl[d];
	if (n->is_op)
		for (size_t di = 0; di < nd; di++) {
			int64_t *a = self + di * TB_MS_N;
			a[TB_MS_INCREASE] += tot[di * 3];
			a[TB_MS_ALLOC_SIZE] += tot[di * 3 + 1];
			a[TB_MS_ALLOC_COUNT] += tot[di * 3 + 2];
		}
	if (up)
		for (size_t k = 0; k < nd * 3; k++)
			up[k] += tot[k];
}

static int cmp_stat(const void *a, const void *b)
{
	const tb_prof_memstat *x = a, *y = b;
	if (x->device != y->device) {
		return tb_prof_device_cmp(&x->device, &y->device);
	}
	return strcmp(x->name, y->name);
}

size_t tb_prof_memory_stats(tb_prof_memstat **out, const tb_prof_memory *m, const tb_prof_mrange *r)
{
	*out = NULL;
	if (!m || !m->n_devs)
		return 0;
	walk w = {0};
	w.m = m;
	w.r = r;
	size_t nd = m->n_devs;
	w.agg = tb_xcalloc(m->n_names * nd * TB_MS_N + 1, sizeof *w.agg);
	w.calls = tb_xcalloc(m->n_names + 1, sizeof *w.calls);
	for (size_t i = 0; i < m->n_roots; i++) {
		const tb_prof_mnode *root = &m->node[m->roots[i]];
		for (uint32_t c = 0; c < root->n; c++)
			walk_node(&w, root->first + c, 0, NULL);
	}
	size_t n = 0, cap = 0;
	tb_prof_memstat *rows = NULL;
	for (size_t di = 0; di < nd; di++)
		for (size_t k = 1; k < m->n_names; k++) {
			const int64_t *a = w.agg + (k * nd + di) * TB_MS_N;
			int any = 0;
			for (int v = 0; v < TB_MS_N; v++)
				any |= a[v] != 0;
			if (!any)
				continue;
			rows = tb_xgrow(rows, &cap, n + 1, sizeof *rows);
			rows[n].device = m->devs[di];
			rows[n].name = m->names[k];
			memcpy(rows[n].v, a, sizeof rows[n].v);
			rows[n].calls = w.calls[k];
			n++;
		}
	if (n)
		qsort(rows, n, sizeof *rows, cmp_stat);
	for (size_t k = 0; k < w.n_lvl; k++)
		free(w.lvl[k]);
	free(w.lvl);
	free(w.agg);
	free(w.calls);
	*out = rows;
	return n;
}

/* ---- the events table ------------------------------------------------------------ */

static void event_row(tb_prof_memevent *e, const tb_prof_memory *m, const tb_prof_memrec *r)
{
	memset(e, 0, sizeof *e);
	e->device = r->device;
	e->op = r->op ? m->names[r->op] : NULL;
	e->parent = r->parent ? m->names[r->parent] : NULL;
}

size_t tb_prof_memory_events(tb_prof_memevent **out, const tb_prof_memory *m,
			     const tb_prof_mrange *r)
{
	*out = NULL;
	if (!m)
		return 0;
	tb_prof_omap alloc = {0}, freed = {0};
	tb_prof_memevent *rows = NULL;
	size_t n = 0, cap = 0;
	for (size_t i = 0; i < m->n_rec; i++) {
		const tb_prof_memrec *x = &m->rec[i];
		if (!x->has_addr || !in_range(r, x->ts))
			continue;
		if (x->bytes > 0) {
			tb_prof_omap_set(&alloc, x->addr, (int64_t)i);
			continue;
		}
		int64_t a = tb_prof_omap_get(&alloc, x->addr);
		if (a >= 0) {
			const tb_prof_memrec *ar = &m->rec[a];
			rows = tb_xgrow(rows, &cap, n + 1, sizeof *rows);
			event_row(&rows[n], m, ar);
			rows[n].bytes = -x->bytes;
			rows[n].has_alloc = rows[n].has_free = 1;
			rows[n].alloc_ts = ar->ts;
			rows[n].free_ts = x->ts;
			n++;
			tb_prof_omap_del(&alloc, x->addr);
		} else {
			tb_prof_omap_set(&freed, x->addr, (int64_t)i);
		}
	}
	for (int pass = 0; pass < 2; pass++) {
		const tb_prof_omap *o = pass ? &freed : &alloc;
		for (size_t s = 0; s < o->n_slots; s++) {
			if (o->slot_val[s] < 0)
				continue;
			const tb_prof_memrec *x = &m->rec[o->slot_val[s]];
			rows = tb_xgrow(rows, &cap, n + 1, sizeof *rows);
			event_row(&rows[n], m, x);
			rows[n].bytes = pass ? -x->bytes : x->bytes;
			if (pass)
				rows[n].has_free = 1, rows[n].free_ts = x->ts;
			else
				rows[n].has_alloc = 1, rows[n].alloc_ts = x->ts;
			n++;
		}
	}
	tb_prof_omap_free(&alloc);
	tb_prof_omap_free(&freed);
	*out = rows;
	return n;
}
