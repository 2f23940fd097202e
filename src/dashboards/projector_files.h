/* The projector dashboard's files (spec HTTP_API.md 11.1; FORMAT.md 12):
 * the projector_config.pbtxt files found beside the event files, the asset
 * paths they name (resolved and confined to the log directory) and the
 * tensors those hold. Shared by the projector's routes (projector.c), its
 * config model (projector_config.c), discovery and file reading
 * (projector_files.c) and the TSV tensor parser (projector_tensor.c). */
#ifndef TB_DASHBOARDS_PROJECTOR_FILES_H
#define TB_DASHBOARDS_PROJECTOR_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "dash.h"
#include "proto/pbtxt.h"

/* Largest asset (metadata, bookmarks, sprite) read, in bytes. */
#define TB_PROJ_ASSET_MAX ((size_t)64 << 20)

/* ---- the config model (ProjectorConfig, FORMAT.md 12.2) ------------------ */

typedef struct u32s {
	uint32_t *v;
	size_t n;
} tb_proj_u32s;

typedef struct embedding {
	char *tensor_name, *metadata_path, *bookmarks_path, *tensor_path; /* "" when unset */
	tb_proj_u32s tensor_shape;
	int has_sprite; /* the sprite message was present */
	char *image_path;
	tb_proj_u32s single_image_dim;
} tb_proj_embedding;

typedef struct pconfig {
	char *model_checkpoint_path, *model_checkpoint_dir;
	tb_proj_embedding *emb;
	size_t n_emb;
} tb_proj_config;

typedef struct tb_proj_errbuf {
	char *p;
	size_t n;
} tb_proj_errbuf;

void tb_proj_config_free(tb_proj_config *c);

/* Map a parsed text-format tree onto c. Unknown fields are logged and
 * skipped; wrong value types are errors (message in e). Unset strings
 * become "". path names the config in messages. */
int tb_proj_config_map(tb_proj_config *c, const tb_pbtxt_field *root, tb_proj_errbuf e,
		       const char *path);

/* Log a warning once per distinct text: discovery runs on every request. */
void tb_proj_warn_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- discovery (spec 11.1) ------------------------------------------------ */

typedef struct found {
	char *run;
	char *config_path;     /* as upstream names it in messages */
	char *config_dir;      /* dirname(config_path), unresolved */
	char *config_dir_real; /* resolved, inside root */
	tb_proj_config cfg;
} tb_proj_found;

typedef struct refused {
	char *run;
	char *msg; /* why this run's config could not be used */
} tb_proj_refused;

typedef struct discovery {
	char *root; /* the resolved log directory, or NULL */
	tb_proj_found *v;
	size_t n;
	tb_proj_refused *bad;
	size_t n_bad;
} tb_proj_discovery;

typedef enum file_err {
	TB_PROJ_FILE_OK = 0,
	TB_PROJ_FILE_MISSING,  /* no such file */
	TB_PROJ_FILE_NOT_FILE, /* a directory, device, FIFO or link */
	TB_PROJ_FILE_TOO_BIG,
	TB_PROJ_FILE_IO,
} tb_proj_file_err;

/* Find every usable config (spec 11.1 "Discovery"). shapes: also infer
 * missing tensor shapes, which reads tensor files. Free with
 * tb_proj_discovery_free. */
void tb_proj_discover(tb_proj_discovery *dv, tb_dash *d, int shapes);
void tb_proj_discovery_free(tb_proj_discovery *dv);
const tb_proj_found *tb_proj_find_run(const tb_proj_discovery *dv, const char *run);
/* Answer 400 for a run without a usable config: the reason its config was
 * refused when there is one, else upstream's "Unknown run". */
void tb_proj_unknown_run(tb_resp *resp, const tb_proj_discovery *dv, const char *run);
/* The embedding named name (":0" implied on names without a colon). */
const tb_proj_embedding *tb_proj_find_embedding(const tb_proj_found *f, const char *name);

/* Asset path as written in a config -> the path upstream would open
 * (*joined, for messages) and its resolved form (*real). Returns 0, or
 * TB_EINVAL with *msg set when the asset resolves outside the config
 * directory or the log directory. */
int tb_proj_asset_path(char **joined, char **real, char **msg, const tb_proj_discovery *dv,
		       const tb_proj_found *f, const char *written);

/* Read the regular file at the resolved path real, checked to lie inside
 * root, (at most cap bytes) into out; see projector_files.c. */
tb_proj_file_err tb_proj_read_file(tb_buf *out, const char *root, const char *real, size_t cap);

/* ---- tensors (FORMAT.md 12.3) --------------------------------------------- */

/* Load an embedding's tensor from the resolved path real: TSV when the file
 * is UTF-8 text, else raw little-endian float32 shaped by tensor_shape.
 * shown is the path for messages. Returns 0, or an error with *msg set
 * (TB_ENOTFOUND when the file does not exist). */
int tb_proj_load_tensor(float **out, size_t *rows, size_t *cols, const tb_proj_embedding *em,
			const char *root, const char *real, const char *shown, char **msg);

/* Parse a TSV tensor of n bytes: one row per non-empty line (universal
 * newlines), tab-separated values as Python's float() reads them, every
 * row as long as the first. Returns 0 with a malloc'd rows × cols array in
 * *out, or TB_ECORRUPT with *msg (naming shown) set. */
int tb_proj_parse_tsv(float **out, size_t *rows, size_t *cols, const char *text, size_t n,
		      const char *shown, char **msg);

/* The next line of text with universal newlines (\n, \r\n, \r), as Python's
 * text mode reads it. Returns 0 at the end; *line and *len exclude the line
 * end, *had_end says whether there was one. */
int tb_proj_next_line(const char **line, size_t *len, int *had_end, const char **p,
		      const char *end);

#endif
