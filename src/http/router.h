/* The server's side of the router (see http.h for registration). */
#ifndef TB_ROUTER_H
#define TB_ROUTER_H

#include <stddef.h>

#include "http.h"

/* The handler for exactly `path` (n bytes), or NULL; stores its payload.
 * Safe to call from many threads once registration has finished. */
tb_handler_fn tb_router_find(const tb_router *r, const char *path, size_t n, void **payload);

/* The version function of exactly `path` and its payload, or NULL. */
tb_version_fn tb_router_version(const tb_router *r, const char *path, size_t n, void **payload);

#endif
