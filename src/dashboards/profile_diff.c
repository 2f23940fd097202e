/* The Profile dashboard's Diff view: two profiles' operator trees (their
 * first thread) compared node by node, as the reference plugin does it
 * (diff, diffnode).
 *
 * The top level holds the operators under the steps (or under the root
 * when there are no steps). Two lists of sibling nodes are matched on the
 * nodes that mark a phase of a step (data loading, modules, backward
 * modules, the optimizer, steps): each left one pairs with the next right
 * one of the same class and name; the runs of other nodes between the
 * pairs become composite nodes. A pair of single nodes, or of composite
 * nodes, is compared again one level down. Each side of a diff node says
 * its host and device time and its operators aggregated by name.
 *
 * The trees are not kept after a run's load, so memory stays bounded by
 * the summaries: a comparison reads both traces again (with their trees)
 * and lives in the profile routes' shared cache (profile_req.c) for the
 * diffnode requests that walk it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "profile/optree.h"
#include "profile_views.h"

/* Sibling nodes of one tree: none (a blank side), one, or several (a
 * composite side). */
typedef struct side {
	const tb_prof_optree *t;
	size_t *ix;
	size_t n;
} side;

typedef struct dnode {
	side l, r;
	struct dnode *kids;
	size_t n_kids, cap_kids;
} dnode;

static int is_phase(int cls)
{
	return cls == TB_TC_BACKWARD || cls == TB_TC_DATALOADER || cls == TB_TC_MODULE ||
	       cls == TB_TC_OPTIMIZER || cls == TB_TC_STEP;
}

static side slice(const tb_prof_optree *t, const size_t *ix, size_t from, size_t to)
{
	side s = {t, NULL, to - from};
	s.ix = tb_xmalloc((s.n ? s.n : 1) * sizeof *s.ix);
	memcpy(s.ix, ix + from, s.n * sizeof *s.ix);
	return s;
}

static void build(dnode *d);

static dnode *add_kid(dnode *d, side l, side r)
{
	d->kids = tb_xgrow(d->kids, &d->cap_kids, d->n_kids + 1, sizeof *d->kids);
	dnode *k = &d->kids[d->n_kids++];
	memset(k, 0, sizeof *k);
	k->l = l;
	k->r = r;
	return k;
}

/* Match the phase nodes of two sibling lists and add the diff nodes. */
static void compare(dnode *d, const tb_prof_optree *lt, const size_t *l, size_t nl,
		    const tb_prof_optree *rt, const size_t *r, size_t nr)
{
	size_t *pl = tb_xmalloc((nl ? nl : 1) * sizeof *pl),
	       *pr = tb_xmalloc((nl ? nl : 1) * sizeof *pr);
	size_t np = 0, key = 0;
	for (size_t i = 0; i < nl; i++) {
		const tb_prof_tnode *a = &lt->nodes[l[i]];
		if (!is_phase(a->cls))
			continue;
		for (size_t j = key; j < nr; j++) {
			const tb_prof_tnode *b = &rt->nodes[r[j]];
			if (b->cls == a->cls && strcmp(b->name, a->name) == 0) {
				pl[np] = i, pr[np++] = j;
				key = j + 1;
				break;
			}
		}
	}
	size_t li = 0, ri = 0;
	for (size_t k = 0; k < np; k++) {
		if (pl[k] > li || pr[k] > ri)
			add_kid(d, slice(lt, l, li, pl[k]), slice(rt, r, ri, pr[k]));
		add_kid(d, slice(lt, l, pl[k], pl[k] + 1), slice(rt, r, pr[k], pr[k] + 1));
		li = pl[k] + 1;
		ri = pr[k] + 1;
	}
	if (np && (li < nl || ri < nr))
		add_kid(d, slice(lt, l, li, nl), slice(rt, r, ri, nr));
	free(pl);
	free(pr);
	for (size_t k = 0; k < d->n_kids; k++)
		build(&d->kids[k]);
}

static size_t *kid_list(const tb_prof_optree *t, size_t node)
{
	const tb_prof_tnode *n = &t->nodes[node];
	size_t *ix = tb_xmalloc((n->n_kids ? n->n_kids : 1) * sizeof *ix);
	for (size_t i = 0; i < n->n_kids; i++)
		ix[i] = n->first_kid + i;
	return ix;
}

static void build(dnode *d)
{
	if (!d->l.n || !d->r.n || (d->l.n == 1) != (d->r.n == 1))
		return;
	if (d->l.n > 1) {
		compare(d, d->l.t, d->l.ix, d->l.n, d->r.t, d->r.ix, d->r.n);
		return;
	}
	size_t *l = kid_list(d->l.t, d->l.ix[0]), *r = kid_list(d->r.t, d->r.ix[0]);
	compare(d, d->l.t, l, d->l.t->nodes[d->l.ix[0]].n_kids, d->r.t, r,
		d->r.t->nodes[d->r.ix[0]].n_kids);
	free(l);
	free(r);
}

static void dnode_free(dnode *d)
{
	for (size_t i = 0; i < d->n_kids; i++)
		dnode_free(&d->kids[i]);
	free(d->kids);
	free(d->l.ix);
	free(d->r.ix);
}

/* The top level: the children of the root's steps, else of the root. */
static side top(const tb_prof_optree *t)
{
	side s = {t, NULL, 0};
	size_t cap = 0;
	const tb_prof_tnode *root = &t->nodes[0];
	int steps = 0;
	for (size_t i = 0; i < root->n_kids; i++)
		steps |= t->nodes[root->first_kid + i].cls == TB_TC_STEP;
	for (size_t i = 0; i < root->n_kids; i++) {
		size_t c = root->first_kid + i;
		const tb_prof_tnode *n = &t->nodes[c];
		if (!steps) {
			s.ix = tb_xgrow(s.ix, &cap, s.n + 1, sizeof *s.ix);
			s.ix[s.n++] = c;
		} else if (n->cls == TB_TC_STEP) {
			for (size_t k = 0; k < n->n_kids; k++) {
				s.ix = tb_xgrow(s.ix, &cap, s.n + 1, sizeof *s.ix);
				s.ix[s.n++] = n->first_kid + k;
			}
		}
	}
	return s;
}

/* ---- answers ------------------------------------------------------------------------ */

typedef struct agg {
	const char *name;
	uint64_t calls;
	double host, dev, self_host, self_dev;
} agg;

typedef struct aggs {
	agg *a;
	size_t n, cap;
	tb_idxset set;
} aggs;

/* Post-order: the operators under node i, aggregated by name. */
static void gather(aggs *g, const tb_prof_optree *t, size_t i)
{
	const tb_prof_tnode *n = &t->nodes[i];
	for (size_t k = 0; k < n->n_kids; k++)
		gather(g, t, n->first_kid + k);
	if (!n->is_op)
		return;
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, n->name, strlen(n->name));
	size_t pos = 0, i1, slot = g->n;
	while ((i1 = tb_idxset_next(&g->set, h, &pos)))
		if (strcmp(g->a[i1 - 1].name, n->name) == 0)
			slot = i1 - 1;
	if (slot == g->n) {
		g->a = tb_xgrow(g->a, &g->cap, g->n + 1, sizeof *g->a);
		memset(&g->a[g->n], 0, sizeof *g->a);
		g->a[g->n].name = n->name;
		if (tb_idxset_add(&g->set, h, g->n) != 0)
			abort();
		g->n++;
	}
	agg *a = &g->a[slot];
	a->calls++;
	a->host += n->end - n->start;
	a->dev += n->dev;
	a->self_host += n->self_host;
	a->self_dev += n->self_dev;
}

static void json_time(tb_json *j, double x)
{
	tb_profile_json_num(j, (tb_prof_num){x, x != nearbyint(x)});
}

static void put_side(tb_json *j, const side *s)
{
	double dur = 0, dev = 0, total = 0;
	aggs g = {0};
	for (size_t i = 0; i < s->n; i++) {
		const tb_prof_tnode *n = &s->t->nodes[s->ix[i]];
		dur += n->end - n->start;
		dev += n->dev;
		total += n->dev != 0 ? n->dev : n->end - n->start;
		gather(&g, s->t, s->ix[i]);
	}
	const char *name = !s->n ? "Blank" : "CompositeNodes";
	if (s->n == 1)
		name = s->t->nodes[s->ix[0]].name;
	tb_json_obj_begin(j);
	tb_json_key_str(j, "name", name);
	tb_json_key(j, "duration");
	json_time(j, dur);
	tb_json_key(j, "device_duration");
	json_time(j, dev);
	tb_json_key(j, "total_duration");
	json_time(j, total);
	tb_json_key(j, "aggs");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < g.n; i++) {
		const agg *a = &g.a[i];
		tb_json_obj_begin(j);
		tb_json_key_str(j, "name", a->name);
		tb_json_key(j, "calls");
		tb_json_int(j, (int64_t)a->calls);
		tb_json_key(j, "host_duration");
		json_time(j, a->host);
		tb_json_key(j, "device_duration");
		json_time(j, a->dev);
		tb_json_key(j, "self_host_duration");
		json_time(j, a->self_host);
		tb_json_key(j, "self_device_duration");
		json_time(j, a->self_dev);
		tb_json_obj_end(j);
	}
	tb_json_arr_end(j);
	tb_json_obj_end(j);
	free(g.a);
	tb_idxset_free(&g.set);
}

static void put_sides(tb_json *j, const dnode *d)
{
	tb_json_key(j, "left");
	put_side(j, &d->l);
	tb_json_key(j, "right");
	put_side(j, &d->r);
}

static void put_tree(tb_json *j, const dnode *d)
{
	tb_json_obj_begin(j);
	put_sides(j, d);
	tb_json_key(j, "children");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < d->n_kids; i++)
		put_tree(j, &d->kids[i]);
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

/* The node at path "0-i-j-..." (indices without leading zeros), or NULL. */
static const dnode *at_path(const dnode *d, const char *path)
{
	if (strncmp(path, "0", 1) != 0)
		return NULL;
	const char *s = path + 1;
	while (*s) {
		if (*s != '-' || !(s[1] >= '0' && s[1] <= '9') ||
		    (s[1] == '0' && s[2] >= '0' && s[2] <= '9'))
			return NULL;
		char *end;
		unsigned long i = strtoul(s + 1, &end, 10);
		if (i >= d->n_kids)
			return NULL;
		d = &d->kids[i];
		s = end;
	}
	return d;
}

/* A comparison with the trees it points into. */
typedef struct comparison {
	tb_prof_trace *lt, *rt;
	dnode d;
} comparison;

static void drop_comparison(void *value)
{
	comparison *c = value;
	tb_prof_trace_free(c->lt);
	tb_prof_trace_free(c->rt);
	dnode_free(&c->d);
	free(c);
}

/* Both traces read again with their trees and compared, or NULL after
 * answering 404. */
static void *compare_traces(const tb_profile_ask *a, void *payload)
{
	const tb_prof_profile *r = payload;
	comparison *c = tb_xcalloc(1, sizeof *c);
	tb_prof_trace_read_tree(&c->lt, a->profile->path);
	tb_prof_trace_read_tree(&c->rt, r->path);
	if (!c->lt->tree || !c->rt->tree) {
		tb_resp_error(a->resp, 404, "the trace of %s has no operators",
			      !c->lt->tree ? a->profile->worker : r->worker);
		drop_comparison(c);
		return NULL;
	}
	c->d.l = top(c->lt->tree);
	c->d.r = top(c->rt->tree);
	build(&c->d);
	return c;
}

static void put_diff(tb_json *j, const tb_profile_ask *a, void *value, void *payload)
{
	(void)a;
	(void)payload;
	put_tree(j, &((comparison *)value)->d);
}

static void put_diffnode(tb_json *j, const tb_profile_ask *a, void *value, void *payload)
{
	(void)payload;
	const char *path = tb_req_query(a->req, "path");
	if (!path)
		path = "0";
	const dnode *n = at_path(&((comparison *)value)->d, path);
	if (!n) {
		tb_resp_error(a->resp, 404, "could not find diff run for %s", path);
		return;
	}
	tb_json_obj_begin(j);
	put_sides(j, n);
	tb_json_key_str(j, "path", path);
	tb_json_key(j, "children");
	tb_json_arr_begin(j);
	for (size_t i = 0; i < n->n_kids; i++) {
		char *kp = tb_xasprintf("%s-%zu", path, i);
		tb_json_obj_begin(j);
		put_sides(j, &n->kids[i]);
		tb_json_key_str(j, "path", kp);
		tb_json_obj_end(j);
		free(kp);
	}
	tb_json_arr_end(j);
	tb_json_obj_end(j);
}

/* The comparison of the asked profile with exp_run, exp_worker and
 * exp_span's, from the shared cache (a diff and the diffnode requests that
 * walk it read the traces once), answered by use. */
static void answer(tb_json *j, const tb_profile_ask *a,
		   void (*use)(tb_json *, const tb_profile_ask *, void *, void *))
{
	const tb_prof_profile *r =
	    tb_profile_find(a->resp, a->dash, tb_req_query(a->req, "exp_run"),
			    tb_req_query(a->req, "exp_worker"), tb_req_query(a->req, "exp_span"));
	if (!r)
		return;
	const tb_profile_build b = {compare_traces, use, drop_comparison, (void *)r};
	char *key = tb_xasprintf("diff\n%s\n%s", a->profile->path, r->path);
	tb_profile_cached(j, a, key, &b);
	free(key);
}

static void handle_diff(tb_json *j, const tb_profile_ask *a)
{
	answer(j, a, put_diff);
}

static void handle_diffnode(tb_json *j, const tb_profile_ask *a)
{
	answer(j, a, put_diffnode);
}

static tb_profile_route routes[] = {
    {"/diff", handle_diff, TB_PROFILE_PROFILE, {"span", "exp_run", "exp_worker", "exp_span"}, NULL},
    {"/diffnode",
     handle_diffnode,
     TB_PROFILE_PROFILE,
     {"span", "exp_run", "exp_worker", "exp_span"},
     NULL},
};

void tb_profile_diff_register(tb_router *r, tb_dash *d)
{
	tb_profile_routes(r, d, routes, sizeof routes / sizeof routes[0]);
}
