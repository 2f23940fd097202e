/* Answer cache (see cache.h): a chained hash table of entries that are
 * also on a doubly linked LRU list, most recently used at the head.
 *
 * Tuned for a few thousand answers of tens of kilobytes asked again and
 * again by dashboards that refresh: a hit is one hash probe, one key
 * compare and the queueing of a response libmicrohttpd already holds. */
#include "cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/sync.h"
#include "fs/netlib.h"

#define ENTRY_OVERHEAD 256 /* bytes counted per entry beyond key and body */

typedef struct entry {
	struct entry *chain;	   /* next in the hash bucket */
	struct entry *prev, *next; /* LRU list */
	uint64_t hash, token;
	unsigned status;
	struct MHD_Response *resp; /* one reference held */
	size_t cost;		   /* bytes counted against the bound */
	size_t klen;
	unsigned char key[]; /* klen bytes */
} entry;

struct tb_cache {
	pthread_mutex_t lock;
	entry **buckets;  /* guarded by lock, like everything below */
	size_t n_buckets; /* power of two */
	size_t count;
	entry *head, *tail;
	size_t bytes, max_bytes;
};

tb_cache *tb_cache_new(size_t max_bytes)
{
	tb_cache *c = tb_xcalloc(1, sizeof *c);
	pthread_mutex_init(&c->lock, NULL);
	c->n_buckets = 256;
	c->buckets = tb_xcalloc(c->n_buckets, sizeof *c->buckets);
	c->max_bytes = max_bytes;
	return c;
}

static void lru_unlink(tb_cache *c, entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void lru_push_front(tb_cache *c, entry *e)
{
	e->prev = NULL;
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (!c->tail)
		c->tail = e;
}

static entry **find_slot(tb_cache *c, uint64_t hash, const void *key, size_t klen)
{
	entry **p = &c->buckets[hash & (c->n_buckets - 1)];
	while (*p &&
	       !((*p)->hash == hash && (*p)->klen == klen && memcmp((*p)->key, key, klen) == 0))
		p = &(*p)->chain;
	return p;
}

static void drop(tb_cache *c, entry **slot)
{
	entry *e = *slot;
	*slot = e->chain;
	lru_unlink(c, e);
	c->bytes -= e->cost;
	c->count--;
	tb_mhd.destroy_response(e->resp);
	free(e);
}

static void grow(tb_cache *c)
{
	size_t n = c->n_buckets * 2;
	entry **b = tb_xcalloc(n, sizeof *b);
	for (size_t i = 0; i < c->n_buckets; i++) {
		entry *e = c->buckets[i];
		while (e) {
			entry *next = e->chain;
			e->chain = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
			e = next;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->n_buckets = n;
}

int tb_cache_serve(tb_cache *c, enum MHD_Result *ret, struct MHD_Connection *conn, uint64_t hash,
		   const void *key, size_t klen, uint64_t token)
{
	int hit = 0;
	pthread_mutex_lock(&c->lock);
	entry **slot = find_slot(c, hash, key, klen);
	if (*slot && (*slot)->token == token) {
		entry *e = *slot;
		lru_unlink(c, e);
		lru_push_front(c, e);
		/* queueing takes libmicrohttpd's own reference, so the entry
		 * may be evicted while the answer is still being sent */
		*ret = tb_mhd.queue_response(conn, e->status, e->resp);
		hit = 1;
	} else if (*slot) {
		drop(c, slot); /* made from an older state: never useful again */
	}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void tb_cache_put(tb_cache *c, uint64_t hash, const void *key, size_t klen, uint64_t token,
		  unsigned status, struct MHD_Response *m, size_t body_len)
{
	size_t cost = klen + body_len + ENTRY_OVERHEAD;
	if (cost > c->max_bytes / 4) {
		tb_mhd.destroy_response(m);
		return;
	}
	entry *e = tb_xmalloc(sizeof *e + klen);
	memset(e, 0, sizeof *e);
	e->hash = hash;
	e->token = token;
	e->status = status;
	e->resp = m;
	e->cost = cost;
	e->klen = klen;
	memcpy(e->key, key, klen);
	pthread_mutex_lock(&c->lock);
	entry **slot = find_slot(c, hash, key, klen);
	if (*slot)
		drop(c, slot);
	while (c->tail && c->bytes + cost > c->max_bytes) {
		entry *old = c->tail;
		drop(c, find_slot(c, old->hash, old->key, old->klen));
	}
	if (c->count + 1 > c->n_buckets)
		grow(c);
	slot = &c->buckets[hash & (c->n_buckets - 1)];
	e->chain = *slot;
	*slot = e;
	lru_push_front(c, e);
	c->bytes += cost;
	c->count++;
	pthread_mutex_unlock(&c->lock);
}

size_t tb_cache_bytes(tb_cache *c)
{
	return tb_sync_read(&c->lock, &c->bytes);
}

int tb_cache_has(tb_cache *c, uint64_t hash, const void *key, size_t klen, uint64_t token)
{
	pthread_mutex_lock(&c->lock);
	entry **slot = find_slot(c, hash, key, klen);
	int has = *slot && (*slot)->token == token;
	pthread_mutex_unlock(&c->lock);
	return has;
}

void tb_cache_free(tb_cache *c)
{
	if (!c)
		return;
	while (c->tail)
		drop(c, find_slot(c, c->tail->hash, c->tail->key, c->tail->klen));
	free(c->buckets);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
