/* The projector's config model: ProjectorConfig (FORMAT.md 12.2) mapped
 * from a parsed text-format tree, and the once-per-text warnings that
 * discovery logs. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/chars.h"
#include "common/log.h"
#include "projector_files.h"

/* Each distinct warning is logged once, not on every poll. */
#define WARNED_MAX 512
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static char *warned[WARNED_MAX]; /* guarded by warned_lock */
static size_t n_warned;		 /* guarded by warned_lock */

void tb_proj_warn_once(const char *fmt, ...)
{
	tb_buf b = TB_BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	tb_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	int fresh = 1;
	pthread_mutex_lock(&warned_lock);
	for (size_t i = 0; i < n_warned && fresh; i++)
		fresh = strcmp(warned[i], b.ptr) != 0;
	if (fresh && n_warned < WARNED_MAX)
		warned[n_warned++] = tb_xstrdup(b.ptr);
	pthread_mutex_unlock(&warned_lock);
	if (fresh)
		tb_log_warn("projector: %s", b.ptr);
	tb_buf_free(&b);
}

void tb_proj_config_free(tb_proj_config *c)
{
	for (size_t i = 0; i < c->n_emb; i++) {
		tb_proj_embedding *e = &c->emb[i];
		free(e->tensor_name);
		free(e->metadata_path);
		free(e->bookmarks_path);
		free(e->tensor_path);
		free(e->tensor_shape.v);
		free(e->image_path);
		free(e->single_image_dim.v);
	}
	free(c->emb);
	free(c->model_checkpoint_path);
	free(c->model_checkpoint_dir);
	memset(c, 0, sizeof *c);
}

static int set_string(char **dst, const tb_pbtxt_field *f, tb_proj_errbuf e)
{
	if (f->kind != TB_PBTXT_STRING) {
		snprintf(e.p, e.n, "line %d: field \"%s\" needs a quoted string", f->line, f->name);
		return TB_ECORRUPT;
	}
	if (memchr(f->value, '\0', f->value_len) || !tb_utf8_valid(f->value, f->value_len)) {
		snprintf(e.p, e.n, "line %d: field \"%s\" is not valid UTF-8 text", f->line,
			 f->name);
		return TB_ECORRUPT;
	}
	free(*dst);
	*dst = tb_xstrdup(f->value);
	return 0;
}

/* A uint32 as text format writes it: decimal or 0x hex. */
static int add_u32(tb_proj_u32s *dst, const tb_pbtxt_field *f, tb_proj_errbuf e)
{
	const char *s = f->value;
	int ok = f->kind == TB_PBTXT_SCALAR && s[0] >= '0' && s[0] <= '9';
	unsigned long long v = 0;
	if (ok) {
		int base = 10;
		if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
			base = 16;
			s += 2;
		}
		char *end;
		errno = 0;
		v = strtoull(s, &end, base);
		ok = end != s && *end == '\0' && errno == 0 && v <= UINT32_MAX;
	}
	if (!ok) {
		snprintf(e.p, e.n, "line %d: field \"%s\" needs an integer in [0, 4294967295]",
			 f->line, f->name);
		return TB_ECORRUPT;
	}
	dst->v = tb_xrealloc(dst->v, (dst->n + 1) * sizeof *dst->v);
	dst->v[dst->n++] = (uint32_t)v;
	return 0;
}

static int need_message(const tb_pbtxt_field *f, tb_proj_errbuf e)
{
	if (f->kind == TB_PBTXT_MESSAGE)
		return 0;
	snprintf(e.p, e.n, "line %d: field \"%s\" needs a message in { }", f->line, f->name);
	return TB_ECORRUPT;
}

static void warn_unknown(const char *where, const tb_pbtxt_field *f, const char *path)
{
	tb_proj_warn_once("%s: line %d: unknown field \"%s\" in %s, skipped", path, f->line,
			  f->name, where);
}

static int map_sprite(tb_proj_embedding *em, const tb_pbtxt_field *m, tb_proj_errbuf e,
		      const char *path)
{
	em->has_sprite = 1;
	for (size_t i = 0; i < m->n_fields; i++) {
		const tb_pbtxt_field *f = &m->fields[i];
		int rc = 0;
		if (strcmp(f->name, "image_path") == 0)
			rc = set_string(&em->image_path, f, e);
		else if (strcmp(f->name, "single_image_dim") == 0)
			rc = add_u32(&em->single_image_dim, f, e);
		else
			warn_unknown("SpriteMetadata", f, path);
		if (rc)
			return rc;
	}
	return 0;
}

static int map_embedding(tb_proj_embedding *em, const tb_pbtxt_field *m, tb_proj_errbuf e,
			 const char *path)
{
	for (size_t i = 0; i < m->n_fields; i++) {
		const tb_pbtxt_field *f = &m->fields[i];
		int rc = 0;
		if (strcmp(f->name, "tensor_name") == 0)
			rc = set_string(&em->tensor_name, f, e);
		else if (strcmp(f->name, "metadata_path") == 0)
			rc = set_string(&em->metadata_path, f, e);
		else if (strcmp(f->name, "bookmarks_path") == 0)
			rc = set_string(&em->bookmarks_path, f, e);
		else if (strcmp(f->name, "tensor_path") == 0)
			rc = set_string(&em->tensor_path, f, e);
		else if (strcmp(f->name, "tensor_shape") == 0)
			rc = add_u32(&em->tensor_shape, f, e);
		else if (strcmp(f->name, "sprite") == 0)
			rc = need_message(f, e) ? TB_ECORRUPT : map_sprite(em, f, e, path);
		else
			warn_unknown("EmbeddingInfo", f, path);
		if (rc)
			return rc;
	}
	return 0;
}

int tb_proj_config_map(tb_proj_config *c, const tb_pbtxt_field *root, tb_proj_errbuf e,
		       const char *path)
{
	int rc = 0;
	for (size_t i = 0; i < root->n_fields && !rc; i++) {
		const tb_pbtxt_field *f = &root->fields[i];
		if (strcmp(f->name, "model_checkpoint_path") == 0) {
			rc = set_string(&c->model_checkpoint_path, f, e);
		} else if (strcmp(f->name, "model_checkpoint_dir") == 0) {
			rc = set_string(&c->model_checkpoint_dir, f, e);
		} else if (strcmp(f->name, "embeddings") == 0) {
			if ((rc = need_message(f, e)))
				break;
			c->emb = tb_xrealloc(c->emb, (c->n_emb + 1) * sizeof *c->emb);
			tb_proj_embedding *em = &c->emb[c->n_emb++];
			memset(em, 0, sizeof *em);
			rc = map_embedding(em, f, e, path);
		} else {
			warn_unknown("ProjectorConfig", f, path);
		}
	}
	char **strs[2] = {&c->model_checkpoint_path, &c->model_checkpoint_dir};
	for (int k = 0; k < 2; k++)
		if (!*strs[k])
			*strs[k] = tb_xstrdup("");
	for (size_t i = 0; i < c->n_emb; i++) {
		tb_proj_embedding *em = &c->emb[i];
		char **es[5] = {&em->tensor_name, &em->metadata_path, &em->bookmarks_path,
				&em->tensor_path, &em->image_path};
		for (int k = 0; k < 5; k++)
			if (!*es[k])
				*es[k] = tb_xstrdup("");
	}
	return rc;
}
