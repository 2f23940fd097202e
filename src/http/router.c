/* Exact-match routing table: an open-addressing hash table keyed by path.
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

typedef struct route {
	char *path; /* NULL = empty slot */
	size_t len;
	uint64_t hash;
	tb_handler_fn fn;
	void *payload;
	tb_version_fn version; /* NULL: not cacheable */
	void *version_payload;
} route;

struct tb_router {
	route *slots;
	size_t cap; /* power of two */
	size_t count;
};

static uint64_t hash_path(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

tb_router *tb_router_new(void)
{
	tb_router *r = tb_xcalloc(1, sizeof *r);
	r->cap = 128;
	r->slots = tb_xcalloc(r->cap, sizeof *r->slots);
	return r;
}

static route *slot_for(route *slots, size_t cap, const char *path, size_t n, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);
	while (slots[i].path &&
	       !(slots[i].hash == h && slots[i].len == n && memcmp(slots[i].path, path, n) == 0))
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static void grow(tb_router *r)
{
	size_t cap = r->cap * 2;
	route *slots = tb_xcalloc(cap, sizeof *slots);
	for (size_t i = 0; i < r->cap; i++)
		if (r->slots[i].path)
			*slot_for(slots, cap, r->slots[i].path, r->slots[i].len, r->slots[i].hash) =
			    r->slots[i];
	free(r->slots);
	r->slots = slots;
	r->cap = cap;
}

void tb_router_add(tb_router *r, const char *path, tb_handler_fn fn, void *payload)
{
	if ((r->count + 1) * 2 > r->cap)
		grow(r);
	size_t n = strlen(path);
	uint64_t h = hash_path(path, n);
	route *s = slot_for(r->slots, r->cap, path, n, h);
	if (!s->path) {
		s->path = tb_xstrndup(path, n);
		s->len = n;
		s->hash = h;
		r->count++;
	}
	s->fn = fn;
	s->payload = payload;
}

tb_handler_fn tb_router_find(const tb_router *r, const char *path, size_t n, void **payload)
{
	uint64_t h = hash_path(path, n);
	route *s = slot_for(r->slots, r->cap, path, n, h);
	if (!s->path)
		return NULL;
	*payload = s->payload;
	return s->fn;
}

void tb_router_set_version(tb_router *r, const char *path, tb_version_fn fn, void *payload)
{
	size_t n = strlen(path);
	route *s = slot_for(r->slots, r->cap, path, n, hash_path(path, n));
	if (!s->path)
		return;
	s->version = fn;
	s->version_payload = payload;
}

tb_version_fn tb_router_version(const tb_router *r, const char *path, size_t n, void **payload)
{
	route *s = slot_for(r->slots, r->cap, path, n, hash_path(path, n));
	if (!s->path || !s->version)
		return NULL;
	*payload = s->version_payload;
	return s->version;
}

void tb_router_free(tb_router *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->cap; i++)
		free(r->slots[i].path);
	free(r->slots);
	free(r);
}
