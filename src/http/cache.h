/* The answer cache: finished responses (headers and body as sent, gzipped
 * when the client took gzip) keyed by the request's bytes and the state
 * token of the route's version function (http.h tb_router_set_version).
 *
 * An entry answers only a request with the same key and the same token, so
 * an answer never outlives the state it was made from. Memory is bounded:
 * least recently used entries go first. Thread-safe (one mutex; a hit holds
 * it for a hash probe and the queueing of a shared, reference-counted
 * libmicrohttpd response). */
#ifndef TB_CACHE_H
#define TB_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

typedef struct tb_cache tb_cache;

/* A cache bounded to about max_bytes of keys and bodies. */
tb_cache *tb_cache_new(size_t max_bytes);
/* Free the cache and release its responses. NULL is a no-op. */
void tb_cache_free(tb_cache *c);

/* If an answer for (key, token) is kept, queue it on conn, store the
 * result of MHD_queue_response in *ret and return 1; else return 0. */
int tb_cache_serve(tb_cache *c, enum MHD_Result *ret, struct MHD_Connection *conn, uint64_t hash,
		   const void *key, size_t klen, uint64_t token);

/* Keep response m (status, body_len bytes of body) for (key, token); the
 * cache takes over the caller's reference to m in every case (it may
 * release it at once when the answer is too large to keep). */
void tb_cache_put(tb_cache *c, uint64_t hash, const void *key, size_t klen, uint64_t token,
		  unsigned status, struct MHD_Response *m, size_t body_len);

/* Bytes counted against the bound, and whether (key, token) is kept
 * (without touching its place in the LRU order); for tests. */
size_t tb_cache_bytes(tb_cache *c);
int tb_cache_has(tb_cache *c, uint64_t hash, const void *key, size_t klen, uint64_t token);

#endif
