/* The Module view (see modules.h).
 *
 * The hierarchy is the reference's: from every leaf of the Python call
 * tree, walk up through callers, making each module the parent of the
 * module met below it; modules without a parent are roots. Walks stop at
 * a (function, module) pair already walked, so the work is linear in the
 * events. Equal top-level hierarchies (same names, ids and children) are
 * shown once. The dictionaries the reference walks are insertion-ordered
 * maps here (omap.h), so children come in the reference's order. */
#include "modules.h"

#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "omap.h"

/* Key of an absent Python id (None). */
#define NO_ID UINT64_MAX
/* Deepest module nesting followed (a cyclic hierarchy stops there). */
#define MAX_DEPTH 512

typedef struct pyev {
	uint64_t id, parent;
	int64_t mid;
	char *name; /* NULL: not a module */
} pyev;

typedef struct modagg {
	char *name;
	int64_t mid;
	uint64_t occ, ops;
	double host, self_host, dev, self_dev;
} modagg;

typedef struct ulist {
	uint32_t *v;
	size_t n, cap;
} ulist;

struct tb_prof_modules {
	pyev *ev;
	size_t n_ev, cap_ev;
	modagg *agg;
	size_t n_agg, cap_agg;
	tb_idxset agg_set;
	tb_prof_modrow *rows;
	size_t n_rows, cap_rows;
};

tb_prof_modules *tb_prof_modules_new(void)
{
	return tb_xcalloc(1, sizeof(tb_prof_modules));
}

void tb_prof_modules_free(tb_prof_modules *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_ev; i++)
		free(m->ev[i].name);
	free(m->ev);
	for (size_t i = 0; i < m->n_agg; i++)
		free(m->agg[i].name);
	free(m->agg);
	tb_idxset_free(&m->agg_set);
	for (size_t i = 0; i < m->n_rows; i++)
		free(m->rows[i].name);
	free(m->rows);
	free(m);
}

void tb_prof_modules_event(tb_prof_modules *m, int has_id, int64_t id, int has_parent,
			   int64_t parent, const char *module_name, int64_t module_id)
{
	m->ev = tb_xgrow(m->ev, &m->cap_ev, m->n_ev + 1, sizeof *m->ev);
	pyev *e = &m->ev[m->n_ev++];
	e->id = has_id ? (uint64_t)id : NO_ID;
	e->parent = has_parent ? (uint64_t)parent : NO_ID;
	e->mid = module_id;
	e->name = module_name ? tb_xstrdup(module_name) : NULL;
}

static uint64_t agg_hash(const char *name, int64_t mid)
{
	return tb_hash_bytes(tb_hash_bytes(TB_HASH_SEED, name, strlen(name)), &mid, sizeof mid);
}

static modagg *find_agg(const tb_prof_modules *m, const char *name, int64_t mid)
{
	size_t pos = 0, i1;
	uint64_t h = agg_hash(name, mid);
	while ((i1 = tb_idxset_next(&m->agg_set, h, &pos)))
		if (m->agg[i1 - 1].mid == mid && strcmp(m->agg[i1 - 1].name, name) == 0)
			return &m->agg[i1 - 1];
	return NULL;
}

void tb_prof_modules_node(tb_prof_modules *m, const char *name, int64_t module_id,
			  uint64_t operators, double host, double self_host, double device,
			  double self_device)
{
	modagg *a = find_agg(m, name, module_id);
	if (!a) {
		m->agg = tb_xgrow(m->agg, &m->cap_agg, m->n_agg + 1, sizeof *m->agg);
		a = &m->agg[m->n_agg];
		memset(a, 0, sizeof *a);
		a->name = tb_xstrdup(name);
		a->mid = module_id;
		if (tb_idxset_add(&m->agg_set, agg_hash(name, module_id), m->n_agg) != 0)
			abort();
		m->n_agg++;
	}
	a->occ++;
	a->ops += operators;
	a->host += host;
	a->self_host += self_host;
	a->dev += device;
	a->self_dev += self_device;
}

static void upush(ulist *l, uint32_t x)
{
	l->v = tb_xgrow(l->v, &l->cap, l->n + 1, sizeof *l->v);
	l->v[l->n++] = x;
}

/* The hierarchy under construction: per Python id (dense index), its
 * event and its child modules. */
typedef struct hier {
	const tb_prof_modules *m;
	int64_t *event; /* dense id -> last event with that id, -1: none */
	ulist *kids;	/* dense id -> child module ids (dense) */
} hier;

/* Whether the hierarchies under dense ids a and b are equal. */
static int same_tree(const hier *h, uint32_t a, uint32_t b, int depth)
{
	const pyev *x = &h->m->ev[h->event[a]], *y = &h->m->ev[h->event[b]];
	if (x->mid != y->mid || strcmp(x->name, y->name) != 0 || h->kids[a].n != h->kids[b].n)
		return 0;
	if (depth >= MAX_DEPTH)
		return 1;
	for (size_t i = 0; i < h->kids[a].n; i++)
		if (!same_tree(h, h->kids[a].v[i], h->kids[b].v[i], depth + 1))
			return 0;
	return 1;
}

static char *strip_prefix(const char *name)
{
	static const char pre[] = "nn.Module: ";
	size_t n = sizeof pre - 1;
	char *out = tb_xmalloc(strlen(name) + 1), *o = out;
	for (const char *s = name; *s;)
		if (strncmp(s, pre, n) == 0)
			s += n;
		else
			*o++ = *s++;
	*o = 0;
	return out;
}

static void emit(tb_prof_modules *m, const hier *h, uint32_t d, int depth)
{
	const pyev *e = &m->ev[h->event[d]];
	size_t at = m->n_rows;
	m->rows = tb_xgrow(m->rows, &m->cap_rows, at + 1, sizeof *m->rows);
	tb_prof_modrow *r = &m->rows[at];
	memset(r, 0, sizeof *r);
	r->name = strip_prefix(e->name);
	r->id = e->mid;
	const modagg *a = find_agg(m, e->name, e->mid);
	if (a) {
		r->occurrences = a->occ;
		r->operators = a->ops;
		r->host = a->host;
		r->self_host = a->self_host;
		r->device = a->dev;
		r->self_device = a->self_dev;
		double dev_avg = a->dev / (double)a->occ;
		r->avg = dev_avg > 0 ? dev_avg : a->host / (double)a->occ;
	}
	m->n_rows++;
	if (depth < MAX_DEPTH)
		for (size_t i = 0; i < h->kids[d].n; i++) {
			m->rows[at].n_children++;
			emit(m, h, h->kids[d].v[i], depth + 1);
		}
	m->rows[at].size = (uint32_t)(m->n_rows - at);
}

typedef struct root {
	uint32_t dense;
	const char *name;
	size_t order;
} root;

static int cmp_root(const void *a, const void *b)
{
	const root *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

void tb_prof_modules_finish(tb_prof_modules *m)
{
	/* Python ids to dense indices, in the order the reference's
	 * children dictionary first sees them (an id, then its parent) */
	tb_prof_omap dense = {0};
	size_t nd = 0;
	uint32_t *ev_id = tb_xmalloc((m->n_ev + 1) * sizeof *ev_id);
	uint32_t *ev_parent = tb_xmalloc((m->n_ev + 1) * sizeof *ev_parent);
	for (size_t i = 0; i < m->n_ev; i++) {
		uint64_t keys[2] = {m->ev[i].id, m->ev[i].parent};
		uint32_t *outs[2] = {&ev_id[i], &ev_parent[i]};
		for (int k = 0; k < 2; k++) {
			int64_t v = tb_prof_omap_get(&dense, keys[k]);
			if (v == TB_PROF_OMAP_NONE) {
				v = (int64_t)nd++;
				tb_prof_omap_set(&dense, keys[k], v);
			}
			*outs[k] = (uint32_t)v;
		}
	}
	tb_prof_omap_free(&dense);
	hier h = {m, tb_xmalloc((nd + 1) * sizeof *h.event), tb_xcalloc(nd + 1, sizeof *h.kids)};
	size_t *n_calls = tb_xcalloc(nd + 1, sizeof *n_calls);
	for (size_t d = 0; d < nd; d++)
		h.event[d] = -1;
	for (size_t i = 0; i < m->n_ev; i++) {
		h.event[ev_id[i]] = (int64_t)i;
		n_calls[ev_parent[i]]++;
	}
	/* module parents: dense id -> 0 (a root) or parent's dense id + 1 */
	tb_prof_omap parent_of = {0}, seen = {0};
	for (size_t leaf = 0; leaf < nd; leaf++) {
		if (n_calls[leaf] || h.event[leaf] < 0)
			continue;
		int64_t ev = h.event[leaf];
		int64_t cur = -1; /* dense id of the module below, -1: none */
		while (ev >= 0) {
			uint32_t id = ev_id[ev];
			if (m->ev[ev].name) {
				if (cur >= 0)
					tb_prof_omap_set(&parent_of, (uint64_t)cur,
							 (int64_t)id + 1);
				cur = id;
				if (tb_prof_omap_get(&parent_of, id) == TB_PROF_OMAP_NONE)
					tb_prof_omap_set(&parent_of, id, 0);
			}
			uint64_t pair = (uint64_t)id * (nd + 1) + (uint64_t)(cur + 1);
			if (tb_prof_omap_get(&seen, pair) != TB_PROF_OMAP_NONE)
				break;
			tb_prof_omap_set(&seen, pair, 0);
			ev = h.event[ev_parent[ev]];
		}
	}
	tb_prof_omap_free(&seen);
	root *roots = NULL;
	size_t n_roots = 0, cap_roots = 0;
	for (size_t s = 0; s < parent_of.n_slots; s++) {
		int64_t p = parent_of.slot_val[s];
		uint32_t child = (uint32_t)parent_of.slot_key[s];
		if (p > 0) {
			upush(&h.kids[p - 1], child);
		} else if (p == 0) {
			roots = tb_xgrow(roots, &cap_roots, n_roots + 1, sizeof *roots);
			roots[n_roots].dense = child;
			roots[n_roots].name = m->ev[h.event[child]].name;
			roots[n_roots].order = n_roots;
			n_roots++;
		}
	}
	tb_prof_omap_free(&parent_of);
	/* equal top-level hierarchies are shown once */
	size_t kept = 0;
	for (size_t i = 0; i < n_roots; i++) {
		int dup = 0;
		for (size_t k = 0; k < kept && !dup; k++)
			dup = same_tree(&h, roots[k].dense, roots[i].dense, 0);
		if (!dup)
			roots[kept++] = roots[i];
	}
	if (kept)
		qsort(roots, kept, sizeof *roots, cmp_root);
	if (m->n_agg)
		for (size_t i = 0; i < kept; i++)
			emit(m, &h, roots[i].dense, 0);
	for (size_t d = 0; d < nd; d++)
		free(h.kids[d].v);
	free(h.kids);
	free(h.event);
	free(n_calls);
	free(roots);
	free(ev_id);
	free(ev_parent);
}

size_t tb_prof_modules_rows(const tb_prof_modrow **out, const tb_prof_modules *m)
{
	*out = m ? m->rows : NULL;
	return m ? m->n_rows : 0;
}
