/* Exact-match routing table: routes in an array, found through a
 * tb_idxset keyed by the path's hash.
 *
 * Upstream has no wildcard routes (spec HTTP_API.md 1.5), so a lookup is one
 * hash and usually one string compare. The table is written only while the
 * server is being set up and is read-only while it serves, so lookups take
 * no lock. It owns the path copies, not the payloads. */
#include "router.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "message.h"

typedef struct route {
	char *path;
	size_t len;
	tb_handler_fn fn;
	void *payload;
	tb_version_fn version; /* NULL: not cacheable */
	void *version_payload;
} route;

struct tb_router {
	route *routes;
	size_t n, alloc;
	tb_idxset index; /* path hash -> routes[] */
};

tb_router *tb_router_new(void)
{
	return tb_xcalloc(1, sizeof(tb_router));
}

static route *find(const tb_router *r, const char *path, size_t n, uint64_t h)
{
	size_t pos = 0, k;
	while ((k = tb_idxset_next(&r->index, h, &pos)))
		if (r->routes[k - 1].len == n && memcmp(r->routes[k - 1].path, path, n) == 0)
			return &r->routes[k - 1];
	return NULL;
}

void tb_router_add(tb_router *r, const char *path, tb_handler_fn fn, void *payload)
{
	size_t n = strlen(path);
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, path, n);
	route *s = find(r, path, n, h);
	if (!s) {
		r->routes = tb_xgrow(r->routes, &r->alloc, r->n + 1, sizeof *r->routes);
		if (tb_idxset_add(&r->index, h, r->n) != 0)
			abort(); /* out of memory while setting up: the server stops (alloc.h) */
		s = &r->routes[r->n++];
		memset(s, 0, sizeof *s);
		s->path = tb_xstrndup(path, n);
		s->len = n;
	}
	s->fn = fn;
	s->payload = payload;
}

tb_handler_fn tb_router_find(const tb_router *r, const char *path, size_t n, void **payload)
{
	const route *s = find(r, path, n, tb_hash_bytes(TB_HASH_SEED, path, n));
	if (!s)
		return NULL;
	*payload = s->payload;
	return s->fn;
}

void tb_router_set_version(tb_router *r, const char *path, tb_version_fn fn, void *payload)
{
	size_t n = strlen(path);
	route *s = find(r, path, n, tb_hash_bytes(TB_HASH_SEED, path, n));
	if (!s)
		return;
	s->version = fn;
	s->version_payload = payload;
}

tb_version_fn tb_router_version(const tb_router *r, const char *path, size_t n, void **payload)
{
	const route *s = find(r, path, n, tb_hash_bytes(TB_HASH_SEED, path, n));
	if (!s || !s->version)
		return NULL;
	*payload = s->version_payload;
	return s->version;
}

void tb_router_free(tb_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->routes[i].path);
	free(r->routes);
	tb_idxset_free(&r->index);
	free(r);
}

tb_resp *tb_router_call(const tb_router *r, const tb_call *c)
{
	tb_req q;
	tb_req_init(&q);
	tb_resp *resp = tb_xmalloc(sizeof *resp);
	tb_resp_init(resp);
	q.method = c->method ? c->method : "GET";
	q.path = tb_xstrdup(c->path);
	q.path_len = strlen(c->path);
	q.experiment = tb_xstrdup("");
	q.script_root = tb_xstrdup("");
	for (size_t i = 0; i < c->n_query; i++)
		tb_form_add(&q.query, c->query[2 * i], c->query[2 * i + 1]);
	for (size_t i = 0; i < c->n_form; i++)
		tb_form_add(&q.form, c->form[2 * i], c->form[2 * i + 1]);
	if (c->body.len)
		tb_buf_append(&q.body, c->body.ptr, c->body.len);
	void *payload;
	tb_handler_fn fn = tb_router_find(r, q.path, q.path_len, &payload);
	if (fn)
		fn(resp, &q, payload);
	else
		tb_resp_error(resp, 404, "Not found");
	tb_req_release(&q);
	return resp;
}
