/* The web UI's files, embedded at build time by tools/embed.c.
 *
 * Each asset is stored gzip-compressed once; the server sends those bytes as
 * they are to clients that accept gzip and inflates them for the rest. */
#ifndef TB_ASSETS_H
#define TB_ASSETS_H

#include <stddef.h>

typedef struct tb_asset {
	const char *path;	  /* URL path, e.g. "/index.html" */
	const char *content_type; /* full header value */
	const unsigned char *gz;  /* gzip member */
	size_t gz_len;
	size_t raw_len; /* length once inflated */
} tb_asset;

extern const tb_asset tb_assets[];
extern const size_t tb_assets_count;

/* The asset served at `path`, or NULL. */
const tb_asset *tb_asset_find(const char *path);

#endif
