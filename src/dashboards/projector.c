/* Projector dashboard (spec HTTP_API.md 3.12, 4.4, 11.1; FORMAT.md 12-13):
 * embeddings described by projector_config.pbtxt files beside the event
 * files, and the module-loading page the UI frame starts from.
 *
 * Unlike the other dashboards the projector reads plain files, not event
 * records. Those paths come from files in the log directory, so they are
 * untrusted: every config and every asset path is resolved (symbolic links
 * followed) and must stay inside the resolved log directory, and an asset
 * also inside its config's directory; anything else is refused before a
 * byte is read. Files are opened without following a final symlink and
 * without blocking (FIFOs), must be regular, and are read up to a size cap.
 *
 * A log directory in object storage (s3://, gs://) is read through the
 * file-system layer: it has no links, so paths there are resolved
 * lexically and checked the same way.
 *
 * Discovery is redone on each request, as upstream's is; configs are a few
 * hundred bytes. Only tensor shapes, which need the whole tensor file, are
 * cached, keyed by the file's identity and modification time. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "dash.h"
#include "fs/fs.h"
#include "registry.h"
#include "proto/pbtxt.h"
#include "common/chars.h"

#define CONFIG_NAME "projector_config.pbtxt"
#define ASSETS_DIR "plugins/org_tensorflow_tensorboard_projector"

/* Largest files read, in bytes. */
#define CONFIG_MAX ((size_t)1 << 20)
#define TENSOR_MAX ((size_t)256 << 20)
#define ASSET_MAX ((size_t)64 << 20)

/* Discovery runs on every request, so each distinct warning is logged
 * once, not on every poll. */
#define WARNED_MAX 512
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static char *warned[WARNED_MAX]; /* guarded by warned_lock */
static size_t n_warned;		 /* guarded by warned_lock */

static void warn_once(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void warn_once(const char *fmt, ...)
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

/* ---- the config model (ProjectorConfig, FORMAT.md 12.2) ------------------ */

typedef struct u32s {
	uint32_t *v;
	size_t n;
} u32s;

typedef struct embedding {
	char *tensor_name, *metadata_path, *bookmarks_path, *tensor_path; /* "" when unset */
	u32s tensor_shape;
	int has_sprite; /* the sprite message was present */
	char *image_path;
	u32s single_image_dim;
} embedding;

typedef struct pconfig {
	char *model_checkpoint_path, *model_checkpoint_dir;
	embedding *emb;
	size_t n_emb;
} pconfig;

static void pconfig_free(pconfig *c)
{
	for (size_t i = 0; i < c->n_emb; i++) {
		embedding *e = &c->emb[i];
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

typedef struct errbuf {
	char *p;
	size_t n;
} errbuf;

static int set_string(char **dst, const tb_pbtxt_field *f, errbuf e)
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
static int add_u32(u32s *dst, const tb_pbtxt_field *f, errbuf e)
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

static int need_message(const tb_pbtxt_field *f, errbuf e)
{
	if (f->kind == TB_PBTXT_MESSAGE)
		return 0;
	snprintf(e.p, e.n, "line %d: field \"%s\" needs a message in { }", f->line, f->name);
	return TB_ECORRUPT;
}

static void warn_unknown(const char *where, const tb_pbtxt_field *f, const char *path)
{
	warn_once("%s: line %d: unknown field \"%s\" in %s, skipped", path, f->line, f->name,
		  where);
}

static int map_sprite(embedding *em, const tb_pbtxt_field *m, errbuf e, const char *path)
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

static int map_embedding(embedding *em, const tb_pbtxt_field *m, errbuf e, const char *path)
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

/* Map a parsed text-format tree onto c. Unknown fields are logged and
 * skipped; wrong value types are errors. Unset strings become "". */
static int map_config(pconfig *c, const tb_pbtxt_field *root, errbuf e, const char *path)
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
			embedding *em = &c->emb[c->n_emb++];
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
		embedding *em = &c->emb[i];
		char **es[5] = {&em->tensor_name, &em->metadata_path, &em->bookmarks_path,
				&em->tensor_path, &em->image_path};
		for (int k = 0; k < 5; k++)
			if (!*es[k])
				*es[k] = tb_xstrdup("");
	}
	return rc;
}

/* ---- paths ----------------------------------------------------------------- */

/* os.path.join(a, b) for a relative b. */
static char *join(const char *a, const char *b)
{
	size_t n = strlen(a);
	if (n == 0)
		return tb_xstrdup(b);
	return tb_xasprintf("%s%s%s", a, a[n - 1] == '/' ? "" : "/", b);
}

static char *dirname_of(const char *p)
{
	const char *slash = strrchr(p, '/');
	if (!slash)
		return tb_xstrdup("");
	if (slash == p)
		return tb_xstrdup("/");
	return tb_xstrndup(p, (size_t)(slash - p));
}

/* Nonzero when the resolved path p is dir itself or below it. */
static int inside(const char *p, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return 1;
	return strncmp(p, dir, n) == 0 && (p[n] == '/' || p[n] == '\0');
}

static int is_url(const char *p)
{
	return strstr(p, "://") != NULL;
}

/* Resolve p as os.path.realpath does without strict mode: symbolic links
 * in the existing part are followed, the missing rest is taken lexically
 * (all of it for an object storage URL, never above its bucket).
 * Returns a malloc'd absolute path, or NULL when a component is a link
 * that cannot be followed (dangling or looping) or the path is unusable. */
static char *resolve(const char *p)
{
	int url = is_url(p);
	char *r = url ? NULL : realpath(p, NULL);
	if (r)
		return r;
	tb_buf cur = TB_BUF_INIT;
	const char *s = p;
	size_t floor = 0; /* ".." never goes above the first floor bytes */
	if (url) {
		const char *bucket = strstr(p, "://") + 3;
		s = bucket + strcspn(bucket, "/");
		tb_buf_append(&cur, p, (size_t)(s - p));
		floor = cur.len;
	} else if (p[0] != '/') {
		char *cwd = getcwd(NULL, 0);
		if (!cwd)
			return NULL;
		tb_buf_puts(&cur, strcmp(cwd, "/") == 0 ? "" : cwd);
		free(cwd);
	}
	/* cur never holds a link: each existing component is resolved as it is
	 * appended, so ".." can be taken lexically, as realpath() does. */
	while (*s) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (n == 0)
			break;
		if (n == 1 && s[0] == '.') {
			/* nothing */
		} else if (n == 2 && s[0] == '.' && s[1] == '.') {
			char *slash = cur.ptr ? strrchr(cur.ptr, '/') : NULL;
			if (slash && (size_t)(slash - cur.ptr) >= floor)
				cur.len = (size_t)(slash - cur.ptr), cur.ptr[cur.len] = '\0';
		} else {
			tb_buf_putc(&cur, '/');
			tb_buf_append(&cur, s, n);
			struct stat st;
			if (!url && lstat(cur.ptr, &st) == 0 && S_ISLNK(st.st_mode)) {
				char *real = realpath(cur.ptr, NULL);
				if (!real) {
					tb_buf_free(&cur);
					return NULL;
				}
				tb_buf_clear(&cur);
				tb_buf_puts(&cur, real);
				if (cur.len == 1) /* "/": keep cur free of a trailing slash */
					tb_buf_clear(&cur);
				free(real);
			}
		}
		s += n;
	}
	if (cur.len == 0)
		tb_buf_putc(&cur, '/');
	return tb_buf_detach(&cur);
}

/* realpath(p), or for a URL its lexical form when p exists. */
static char *real_path(const char *p)
{
	if (!is_url(p))
		return realpath(p, NULL);
	tb_fs_stat st;
	return tb_fs_stat_path(&st, p) == 0 ? resolve(p) : NULL;
}

/* stat(p) for a local path; for a URL the fields the shape cache compares
 * (the object's identity and size). Returns 0 or -1. */
static int stat_any(const char *p, struct stat *out)
{
	if (!is_url(p))
		return stat(p, out);
	tb_fs_stat st;
	if (tb_fs_stat_path(&st, p) != 0)
		return -1;
	memset(out, 0, sizeof *out);
	out->st_ino = (ino_t)st.id;
	out->st_size = (off_t)st.size;
	out->st_mode = st.type == TB_FS_REG ? S_IFREG : st.type == TB_FS_DIR ? S_IFDIR : 0;
	return 0;
}

/* ---- discovery (spec 11.1) ------------------------------------------------ */

typedef struct found {
	char *run;
	char *config_path;     /* as upstream names it in messages */
	char *config_dir;      /* dirname(config_path), unresolved */
	char *config_dir_real; /* resolved, inside root */
	pconfig cfg;
} found;

typedef struct refused {
	char *run;
	char *msg; /* why this run's config could not be used */
} refused;

typedef struct discovery {
	char *root; /* the resolved log directory, or NULL */
	found *v;
	size_t n;
	refused *bad;
	size_t n_bad;
} discovery;

static void discovery_free(discovery *dv)
{
	for (size_t i = 0; i < dv->n; i++) {
		free(dv->v[i].run);
		free(dv->v[i].config_path);
		free(dv->v[i].config_dir);
		free(dv->v[i].config_dir_real);
		pconfig_free(&dv->v[i].cfg);
	}
	for (size_t i = 0; i < dv->n_bad; i++) {
		free(dv->bad[i].run);
		free(dv->bad[i].msg);
	}
	free(dv->v);
	free(dv->bad);
	free(dv->root);
	memset(dv, 0, sizeof *dv);
}

static void refuse(discovery *dv, const char *run, char *msg)
{
	warn_once("run \"%s\": %s", run, msg);
	dv->bad = tb_xrealloc(dv->bad, (dv->n_bad + 1) * sizeof *dv->bad);
	dv->bad[dv->n_bad].run = tb_xstrdup(run);
	dv->bad[dv->n_bad++].msg = msg;
}

typedef enum file_err {
	FILE_OK = 0,
	FILE_MISSING,  /* no such file */
	FILE_NOT_FILE, /* a directory, device, FIFO or link */
	FILE_TOO_BIG,
	FILE_IO,
} file_err;

/* Read the regular file at the resolved path real, checked to lie inside
 * root, (at most cap bytes) into out. The open is confined to root as well
 * (tb_fs_open_beneath), so a link swapped in after the check cannot lead
 * out; never follows a final symlink and never blocks on a FIFO. */
static file_err read_url(tb_buf *out, const char *real, size_t cap)
{
	tb_fs_file *f;
	int rc = tb_fs_open(&f, real);
	if (rc)
		return rc == TB_ENOTFOUND ? FILE_MISSING : FILE_IO;
	tb_fs_stat st;
	file_err err = FILE_OK;
	if (tb_fs_fstat(&st, f) != 0)
		err = FILE_IO;
	else if (st.type != TB_FS_REG)
		err = FILE_NOT_FILE;
	else if (st.size > cap)
		err = FILE_TOO_BIG;
	else
		tb_buf_reserve(out, (size_t)st.size + 1);
	while (!err && out->len < st.size) {
		int64_t got = tb_fs_read(f, out->ptr + out->len, (size_t)st.size - out->len,
					 out->len);
		if (got <= 0)
			err = FILE_IO;
		else
			out->len += (size_t)got;
	}
	if (out->ptr)
		out->ptr[out->len] = '\0';
	tb_fs_close(f);
	return err;
}

static file_err read_file(tb_buf *out, const char *root, const char *real, size_t cap)
{
	if (is_url(real))
		return read_url(out, real, cap);
	const char *rel = real + strlen(root);
	while (*rel == '/')
		rel++;
	int fd = tb_fs_open_beneath(root, rel);
	if (fd < 0)
		return fd == TB_ENOTFOUND ? FILE_MISSING : fd == TB_EINVAL ? FILE_NOT_FILE : FILE_IO;
	struct stat st;
	file_err rc = FILE_OK;
	if (fstat(fd, &st) != 0) {
		rc = FILE_IO;
	} else if (!S_ISREG(st.st_mode)) {
		rc = FILE_NOT_FILE;
	} else if ((uint64_t)st.st_size > cap) {
		rc = FILE_TOO_BIG;
	} else {
		tb_buf_reserve(out, (size_t)st.st_size + 1);
		for (;;) {
			char chunk[65536];
			ssize_t got = read(fd, chunk, sizeof chunk);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = FILE_IO;
				break;
			}
			if (got == 0)
				break;
			if (out->len + (size_t)got > cap) {
				rc = FILE_TOO_BIG; /* grew while being read */
				break;
			}
			tb_buf_append(out, chunk, (size_t)got);
		}
	}
	close(fd);
	return rc;
}

static int load_tensor(float **out, size_t *rows, size_t *cols, const embedding *em,
		       const char *root, const char *real, const char *shown, char **msg);

/* Tensor shapes inferred from tensor files, keyed by the resolved path and
 * the file's identity, size and modification time. */
typedef struct shape_entry {
	char *real;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	size_t rows, cols;
} shape_entry;

#define SHAPE_CACHE_MAX 256
static pthread_mutex_t shape_lock = PTHREAD_MUTEX_INITIALIZER;
static shape_entry shape_cache[SHAPE_CACHE_MAX]; /* guarded by shape_lock */
static size_t shape_count;			 /* guarded by shape_lock */

static int same_file(const shape_entry *e, const char *real, const struct stat *st)
{
	return strcmp(e->real, real) == 0 && e->dev == st->st_dev && e->ino == st->st_ino &&
	       e->size == st->st_size && e->mtime.tv_sec == st->st_mtim.tv_sec &&
	       e->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

static int cached_shape(size_t *rows, size_t *cols, const char *real, const struct stat *st)
{
	int hit = 0;
	pthread_mutex_lock(&shape_lock);
	for (size_t i = 0; i < shape_count && !hit; i++)
		if (same_file(&shape_cache[i], real, st)) {
			*rows = shape_cache[i].rows;
			*cols = shape_cache[i].cols;
			hit = 1;
		}
	pthread_mutex_unlock(&shape_lock);
	return hit;
}

static void remember_shape(const char *real, const struct stat *st, size_t rows, size_t cols)
{
	pthread_mutex_lock(&shape_lock);
	if (shape_count == SHAPE_CACHE_MAX) {
		for (size_t i = 0; i < shape_count; i++)
			free(shape_cache[i].real);
		shape_count = 0;
	}
	shape_entry *e = &shape_cache[shape_count++];
	e->real = tb_xstrdup(real);
	e->dev = st->st_dev;
	e->ino = st->st_ino;
	e->size = st->st_size;
	e->mtime = st->st_mtim;
	e->rows = rows;
	e->cols = cols;
	pthread_mutex_unlock(&shape_lock);
}

/* Asset path as written in a config -> the path upstream would open
 * (*joined, for messages) and its resolved form (*real). Returns 0, or
 * TB_EINVAL with *msg set when the asset resolves outside the config
 * directory or the log directory. */
static int asset_path(char **joined, char **real, char **msg, const discovery *dv, const found *f,
		      const char *written)
{
	*joined = *real = *msg = NULL;
	const char *home = getenv("HOME");
	if (written[0] == '~' && (written[1] == '/' || written[1] == '\0') && home && *home)
		*joined = tb_xasprintf("%s%s", home, written + 1);
	else
		*joined = tb_xstrdup(written);
	if ((*joined)[0] != '/') {
		char *j = join(f->config_dir, *joined);
		free(*joined);
		*joined = j;
	}
	*real = resolve(*joined);
	if (!*real || !inside(*real, f->config_dir_real) || !inside(*real, dv->root)) {
		*msg = tb_xasprintf("Asset path \"%s\" resolves outside the config directory",
				    written);
		free(*real);
		*real = NULL;
		return TB_EINVAL;
	}
	return 0;
}

/* Fill tensor_shape of embeddings that name a tensor file but no shape. A
 * file that cannot be read leaves the shape unset (the tensor route then
 * explains why). */
static void infer_shapes(const discovery *dv, found *f)
{
	for (size_t i = 0; i < f->cfg.n_emb; i++) {
		embedding *em = &f->cfg.emb[i];
		if (!em->tensor_path[0] || em->tensor_shape.n)
			continue;
		char *joined, *real, *msg;
		if (asset_path(&joined, &real, &msg, dv, f, em->tensor_path) == 0) {
			struct stat st;
			size_t rows = 0, cols = 0;
			int ok = stat_any(real, &st) == 0 && cached_shape(&rows, &cols, real, &st);
			if (!ok) {
				float *t = NULL;
				ok = load_tensor(&t, &rows, &cols, em, dv->root, real, joined,
						 &msg) == 0;
				free(t);
				if (ok && stat_any(real, &st) == 0)
					remember_shape(real, &st, rows, cols);
			}
			if (ok && rows <= UINT32_MAX && cols <= UINT32_MAX) {
				em->tensor_shape.v = tb_xmalloc(2 * sizeof(uint32_t));
				em->tensor_shape.v[0] = (uint32_t)rows;
				em->tensor_shape.v[1] = (uint32_t)cols;
				em->tensor_shape.n = 2;
			}
		}
		if (msg)
			warn_once("%s", msg);
		free(joined);
		free(real);
		free(msg);
	}
}

/* Look at one candidate (run, directory) pair; a usable config replaces
 * the run's earlier one in place or is appended. */
static void consider(discovery *dv, const char *run, const char *dir, int shapes)
{
	char *path = join(dir, CONFIG_NAME);
	char *cdir = dirname_of(path);
	char *cdir_real = NULL, *file_real = NULL;
	tb_pbtxt_field *tree = NULL;
	pconfig cfg = {0};
	tb_buf text = TB_BUF_INIT;
	struct stat st;
	if (is_url(path) ? stat_any(path, &st) != 0 : lstat(path, &st) != 0)
		goto out; /* no config here */
	cdir_real = real_path(cdir);
	file_real = real_path(path);
	if (!cdir_real || !file_real || !inside(cdir_real, dv->root) ||
	    !inside(file_real, dv->root)) {
		refuse(dv, run,
		       tb_xasprintf("Projector config \"%s\" resolves outside the log directory",
				    path));
		goto out;
	}
	switch (read_file(&text, dv->root, file_real, CONFIG_MAX)) {
	case FILE_OK:
		break;
	case FILE_TOO_BIG:
		refuse(dv, run,
		       tb_xasprintf("Projector config \"%s\" is larger than %zu bytes", path,
				    CONFIG_MAX));
		goto out;
	default:
		refuse(dv, run,
		       tb_xasprintf("Projector config \"%s\" is not a readable file", path));
		goto out;
	}
	char err[256];
	errbuf e = {err, sizeof err};
	if (tb_pbtxt_parse(&tree, text.ptr ? text.ptr : "", text.len, err, sizeof err) != 0 ||
	    map_config(&cfg, tree, e, path) != 0) {
		refuse(dv, run, tb_xasprintf("Malformed projector config \"%s\": %s", path, err));
		goto out;
	}
	/* Usable: some embedding names a tensor file (checkpoints: D25). The
	 * first such embedding without a name is named after its file. */
	int usable = 0;
	for (size_t i = 0; i < cfg.n_emb && !usable; i++) {
		embedding *em = &cfg.emb[i];
		if (!em->tensor_path[0])
			continue;
		usable = 1;
		if (!em->tensor_name[0]) {
			const char *slash = strrchr(em->tensor_path, '/');
			free(em->tensor_name);
			em->tensor_name = tb_xstrdup(slash ? slash + 1 : em->tensor_path);
		}
	}
	if (!usable)
		goto out;
	for (size_t i = 0; i < cfg.n_emb; i++) {
		char *name = cfg.emb[i].tensor_name;
		size_t n = strlen(name);
		if (n >= 2 && strcmp(name + n - 2, ":0") == 0)
			name[n - 2] = '\0';
	}
	found *slot = NULL;
	for (size_t i = 0; i < dv->n && !slot; i++)
		if (strcmp(dv->v[i].run, run) == 0)
			slot = &dv->v[i];
	if (slot) {
		free(slot->config_path);
		free(slot->config_dir);
		free(slot->config_dir_real);
		pconfig_free(&slot->cfg);
	} else {
		dv->v = tb_xrealloc(dv->v, (dv->n + 1) * sizeof *dv->v);
		slot = &dv->v[dv->n++];
		slot->run = tb_xstrdup(run);
	}
	slot->config_path = path;
	slot->config_dir = cdir;
	slot->config_dir_real = cdir_real;
	slot->cfg = cfg;
	path = cdir = cdir_real = NULL;
	memset(&cfg, 0, sizeof cfg);
	if (shapes)
		infer_shapes(dv, slot);
out:
	pconfig_free(&cfg);
	tb_pbtxt_free(tree);
	tb_buf_free(&text);
	free(path);
	free(cdir);
	free(cdir_real);
	free(file_real);
}

/* Find every usable config (spec 11.1 "Discovery"). shapes: also infer
 * missing tensor shapes, which reads tensor files. */
static void discover(discovery *dv, tb_dash *d, int shapes)
{
	memset(dv, 0, sizeof *dv);
	if (!d->logdir) /* --logdir_spec: run folders are not <logdir>/<run> */
		return;
	dv->root = real_path(d->logdir);
	if (!dv->root)
		return;
	tb_store_rdlock(d->store);
	size_t n = tb_store_run_count(d->store);
	char **runs = tb_xcalloc(n ? n : 1, sizeof *runs);
	int has_dot = 0;
	for (size_t i = 0; i < n; i++) {
		runs[i] = tb_xstrdup(tb_store_run_at(d->store, i)->name);
		has_dot |= strcmp(runs[i], ".") == 0;
	}
	tb_store_unlock(d->store);

	char **dirs = tb_xcalloc(n ? n : 1, sizeof *dirs);
	for (size_t i = 0; i < n; i++) {
		dirs[i] = join(d->logdir, runs[i]);
		consider(dv, runs[i], dirs[i], shapes);
	}
	for (size_t i = 0; i < n; i++) {
		char *assets = join(dirs[i], ASSETS_DIR);
		consider(dv, runs[i], assets, shapes);
		free(assets);
	}
	if (!has_dot)
		consider(dv, ".", d->logdir, shapes);
	for (size_t i = 0; i < n; i++) {
		free(runs[i]);
		free(dirs[i]);
	}
	free(runs);
	free(dirs);
}

static const found *find_run(const discovery *dv, const char *run)
{
	for (size_t i = 0; i < dv->n; i++)
		if (strcmp(dv->v[i].run, run) == 0)
			return &dv->v[i];
	return NULL;
}

/* Answer 400 for a run without a usable config: the reason its config was
 * refused when there is one, else upstream's "Unknown run". */
static void unknown_run(tb_resp *resp, const discovery *dv, const char *run)
{
	for (size_t i = dv->n_bad; i-- > 0;)
		if (strcmp(dv->bad[i].run, run) == 0) {
			tb_resp_error(resp, 400, "%s", dv->bad[i].msg);
			return;
		}
	tb_resp_error(resp, 400, "Unknown run: \"%s\"", run);
}

/* Names compare as if ":0" were appended to names without a colon. */
static int same_tensor(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	int ca = strchr(a, ':') != NULL, cb = strchr(b, ':') != NULL;
	if (ca == cb)
		return strcmp(a, b) == 0;
	if (ca) { /* a has the colon: it must be b + ":0" */
		const char *t = a;
		a = b, b = t;
		size_t tn = na;
		na = nb, nb = tn;
	}
	return nb == na + 2 && strncmp(a, b, na) == 0 && strcmp(b + na, ":0") == 0;
}

static const embedding *find_embedding(const found *f, const char *name)
{
	for (size_t i = 0; i < f->cfg.n_emb; i++)
		if (same_tensor(f->cfg.emb[i].tensor_name, name))
			return &f->cfg.emb[i];
	return NULL;
}

/* ---- tensors (FORMAT.md 12.3) --------------------------------------------- */

/* Python's float() on one TSV field: surrounding whitespace, optional sign,
 * decimal digits with single underscores between them, optional fraction
 * and exponent, or inf/infinity/nan. Stored as float32 after rounding to
 * double first, as numpy does. */
static int parse_py_float(float *out, const char *s, size_t n)
{
	static const char ws[] = " \t\n\v\f\r\x1c\x1d\x1e\x1f";
	while (n && strchr(ws, s[0]))
		s++, n--;
	while (n && strchr(ws, s[n - 1]))
		n--;
	char buf[128];
	size_t k = 0, i = 0;
	if (n == 0 || n >= sizeof buf)
		return -1;
	if (s[i] == '+' || s[i] == '-')
		buf[k++] = s[i++];
	const char *word = s + i;
	size_t wn = n - i;
	static const char *const words[] = {"inf", "infinity", "nan"};
	for (int w = 0; w < 3; w++)
		if (wn == strlen(words[w]) && strncasecmp(word, words[w], wn) == 0) {
			double v = w == 2 ? NAN : INFINITY;
			*out = (float)(k && buf[0] == '-' ? -v : v);
			return 0;
		}
		/* digits: runs of [0-9] joined by single underscores; returns count */
#define DIGITS(cnt)                                                                                \
	do {                                                                                       \
		cnt = 0;                                                                           \
		while (i < n && s[i] >= '0' && s[i] <= '9') {                                      \
			buf[k++] = s[i++], cnt++;                                                  \
			if (i + 1 < n && s[i] == '_' && s[i + 1] >= '0' && s[i + 1] <= '9')        \
				i++;                                                               \
		}                                                                                  \
	} while (0)
	size_t int_digits, frac_digits = 0, exp_digits;
	DIGITS(int_digits);
	if (i < n && s[i] == '.') {
		buf[k++] = s[i++];
		DIGITS(frac_digits);
	}
	if (int_digits + frac_digits == 0)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		buf[k++] = s[i++];
		if (i < n && (s[i] == '+' || s[i] == '-'))
			buf[k++] = s[i++];
		DIGITS(exp_digits);
		if (!exp_digits)
			return -1;
	}
#undef DIGITS
	if (i != n)
		return -1;
	buf[k] = '\0';
	*out = (float)strtod(buf, NULL);
	return 0;
}

/* The next line of text with universal newlines (\n, \r\n, \r), as Python's
 * text mode reads it. Returns 0 at the end; *line and *len exclude the line
 * end, *had_end says whether there was one. */
static int next_line(const char **line, size_t *len, int *had_end, const char **p, const char *end)
{
	if (*p >= end)
		return 0;
	const char *s = *p, *q = s;
	while (q < end && *q != '\n' && *q != '\r')
		q++;
	*line = s;
	*len = (size_t)(q - s);
	*had_end = q < end;
	if (q < end && *q == '\r' && q + 1 < end && q[1] == '\n')
		q++;
	*p = q < end ? q + 1 : q;
	return 1;
}

/* Parse a TSV tensor: one row per non-empty line, tab-separated floats. */
static int parse_tsv(float **out, size_t *rows, size_t *cols, const char *text, size_t n,
		     const char *shown, char **msg)
{
	size_t cap = 0, len = 0, r = 0, c = 0;
	float *v = NULL;
	const char *p = text, *end = text + n, *line;
	size_t ll;
	int had_end;
	size_t lineno = 0;
	while (next_line(&line, &ll, &had_end, &p, end)) {
		lineno++;
		if (ll == 0)
			continue;
		size_t fields = 0;
		const char *f = line, *le = line + ll;
		for (;;) {
			const char *tab = memchr(f, '\t', (size_t)(le - f));
			const char *fe = tab ? tab : le;
			v = tb_xgrow(v, &cap, len + 1, sizeof *v);
			if (parse_py_float(&v[len], f, (size_t)(fe - f)) != 0) {
				*msg =
				    tb_xasprintf("Tensor file \"%s\": line %zu: value %zu is not "
						 "a number",
						 shown, lineno, fields + 1);
				free(v);
				return TB_ECORRUPT;
			}
			len++;
			fields++;
			if (!tab)
				break;
			f = tab + 1;
		}
		if (r == 0) {
			c = fields;
		} else if (fields != c) {
			*msg = tb_xasprintf("Tensor file \"%s\": line %zu has %zu values, the "
					    "rows before it %zu",
					    shown, lineno, fields, c);
			free(v);
			return TB_ECORRUPT;
		}
		r++;
	}
	if (r == 0) {
		*msg = tb_xasprintf("Tensor file \"%s\" holds no rows", shown);
		free(v);
		return TB_ECORRUPT;
	}
	*out = v;
	*rows = r;
	*cols = c;
	return 0;
}

/* Load an embedding's tensor from the resolved path real: TSV when the file
 * is UTF-8 text, else raw little-endian float32 shaped by tensor_shape.
 * shown is the path for messages. Returns 0, or an error with *msg set
 * (TB_ENOTFOUND when the file does not exist). */
static int load_tensor(float **out, size_t *rows, size_t *cols, const embedding *em,
		       const char *root, const char *real, const char *shown, char **msg)
{
	*out = NULL;
	tb_buf b = TB_BUF_INIT;
	int rc = 0;
	switch (read_file(&b, root, real, TENSOR_MAX)) {
	case FILE_OK:
		break;
	case FILE_MISSING:
		*msg = tb_xasprintf("Tensor file \"%s\" does not exist", shown);
		rc = TB_ENOTFOUND;
		goto out;
	case FILE_NOT_FILE:
		*msg = tb_xasprintf("Tensor file \"%s\" is not a file", shown);
		rc = TB_EINVAL;
		goto out;
	case FILE_TOO_BIG:
		*msg =
		    tb_xasprintf("Tensor file \"%s\" is larger than %zu bytes", shown, TENSOR_MAX);
		rc = TB_EINVAL;
		goto out;
	default:
		*msg = tb_xasprintf("Tensor file \"%s\" could not be read", shown);
		rc = TB_EIO;
		goto out;
	}
	if (tb_utf8_valid(b.ptr, b.len)) {
		rc = parse_tsv(out, rows, cols, b.ptr ? b.ptr : "", b.len, shown, msg);
		goto out;
	}
	const u32s *sh = &em->tensor_shape;
	if (sh->n != 2) {
		tb_buf m = TB_BUF_INIT;
		tb_buf_printf(&m,
			      "Tensor file \"%s\" is binary, so tensor_shape must have 2 "
			      "dimensions; it has %zu",
			      shown, sh->n);
		*msg = tb_buf_detach(&m);
		rc = TB_EINVAL;
		goto out;
	}
	uint64_t want = (uint64_t)sh->v[0] * sh->v[1];
	if (b.len % 4 != 0 || b.len / 4 != want) {
		*msg = tb_xasprintf("Tensor file \"%s\" holds %zu bytes, not the %u x %u float32 "
				    "values of its tensor_shape",
				    shown, b.len, sh->v[0], sh->v[1]);
		rc = TB_EINVAL;
		goto out;
	}
	float *v = tb_xmalloc(want ? (size_t)want * sizeof *v : 1);
	for (size_t i = 0; i < (size_t)want; i++) {
		const unsigned char *q = (const unsigned char *)b.ptr + 4 * i;
		uint32_t u = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 |
			     (uint32_t)q[3] << 24;
		memcpy(&v[i], &u, 4);
	}
	*out = v;
	*rows = sh->v[0];
	*cols = sh->v[1];
out:
	tb_buf_free(&b);
	return rc;
}

/* ---- routes ----------------------------------------------------------------- */

/* num_rows as upstream reads it: absent or empty means all rows; otherwise
 * Python int() of the text, which must be > 0. Values beyond SIZE_MAX mean
 * all rows too. Returns 0 with *out (0 = all), or -1. */
static int parse_num_rows(size_t *out, const char *s)
{
	*out = 0;
	if (!s || !*s)
		return 0;
	static const char ws[] = " \t\n\v\f\r\x1c\x1d\x1e\x1f";
	size_t n = strlen(s);
	while (n && strchr(ws, *s))
		s++, n--;
	while (n && strchr(ws, s[n - 1]))
		n--;
	size_t i = 0;
	int neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t digits = 0, v = 0;
	int nonzero = 0, big = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9') {
		unsigned dg = (unsigned)(s[i] - '0');
		nonzero |= dg != 0;
		if (v > (SIZE_MAX - dg) / 10)
			big = 1;
		else
			v = v * 10 + dg;
		i++, digits++;
		if (i + 1 < n && s[i] == '_' && s[i + 1] >= '0' && s[i + 1] <= '9')
			i++;
	}
	if (!digits || i != n || neg || !nonzero)
		return -1;
	*out = big ? SIZE_MAX : v;
	return 0;
}

/* Common start of the run/name routes: parameters in upstream's order, then
 * the run's config. Returns the config or NULL after answering. */
static const found *begin(tb_resp *resp, const tb_req *req, const discovery *dv, int run_nonempty,
			  int rows, const char **name, size_t *num_rows)
{
	const char *run = tb_req_query(req, "run");
	if (!run || (run_nonempty && !*run)) {
		tb_resp_error(resp, 400, "query parameter \"run\" is required");
		return NULL;
	}
	*name = tb_req_query(req, "name");
	if (!*name) {
		tb_resp_error(resp, 400, "query parameter \"name\" is required");
		return NULL;
	}
	if (rows && parse_num_rows(num_rows, tb_req_query(req, "num_rows")) != 0) {
		tb_resp_error(resp, 400, "query parameter num_rows must be integer > 0");
		return NULL;
	}
	const found *f = find_run(dv, run);
	if (!f)
		unknown_run(resp, dv, run);
	return f;
}

static void handle_runs(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	discovery dv;
	discover(&dv, payload, 0);
	tb_json j;
	tb_resp_type(resp, "application/json");
	tb_json_init(&j, tb_resp_body(resp));
	tb_json_arr_begin(&j);
	for (size_t i = 0; i < dv.n; i++)
		tb_json_str(&j, dv.v[i].run);
	tb_json_arr_end(&j);
	discovery_free(&dv);
}

/* ProjectorConfig as protobuf JSON (spec 2.3): an indenting writer, and
 * fields at their defaults left out. */
static void pr_str_field(tb_json *w, const char *key, const char *v)
{
	if (!*v)
		return;
	tb_json_key(w, key);
	tb_json_str(w, v);
}

static void pr_u32_field(tb_json *w, const char *key, const u32s *v)
{
	if (!v->n)
		return;
	tb_json_key(w, key);
	tb_json_arr_begin(w);
	for (size_t i = 0; i < v->n; i++)
		tb_json_int(w, v->v[i]);
	tb_json_arr_end(w);
}

static void handle_info(tb_resp *resp, const tb_req *req, void *payload)
{
	const char *run = tb_req_query(req, "run");
	if (!run) {
		tb_resp_error(resp, 400, "query parameter \"run\" is required");
		return;
	}
	discovery dv;
	discover(&dv, payload, 1);
	const found *f = find_run(&dv, run);
	if (!f) {
		unknown_run(resp, &dv, run);
		discovery_free(&dv);
		return;
	}
	const pconfig *c = &f->cfg;
	tb_resp_type(resp, "application/json");
	tb_json w;
	tb_json_init_indent(&w, tb_resp_body(resp), 2);
	tb_json_obj_begin(&w);
	pr_str_field(&w, "modelCheckpointPath", c->model_checkpoint_path);
	if (c->n_emb) {
		tb_json_key(&w, "embeddings");
		tb_json_arr_begin(&w);
		for (size_t i = 0; i < c->n_emb; i++) {
			const embedding *e = &c->emb[i];
			tb_json_obj_begin(&w);
			pr_str_field(&w, "tensorName", e->tensor_name);
			pr_str_field(&w, "metadataPath", e->metadata_path);
			pr_str_field(&w, "bookmarksPath", e->bookmarks_path);
			pr_u32_field(&w, "tensorShape", &e->tensor_shape);
			if (e->has_sprite) {
				tb_json_key(&w, "sprite");
				tb_json_obj_begin(&w);
				pr_str_field(&w, "imagePath", e->image_path);
				pr_u32_field(&w, "singleImageDim", &e->single_image_dim);
				tb_json_obj_end(&w);
			}
			pr_str_field(&w, "tensorPath", e->tensor_path);
			tb_json_obj_end(&w);
		}
		tb_json_arr_end(&w);
	}
	pr_str_field(&w, "modelCheckpointDir", c->model_checkpoint_dir);
	tb_json_obj_end(&w);
	discovery_free(&dv);
}

static void handle_tensor(tb_resp *resp, const tb_req *req, void *payload)
{
	discovery dv;
	discover(&dv, payload, 0);
	const char *name;
	size_t num_rows = 0;
	const found *f = begin(resp, req, &dv, 0, 1, &name, &num_rows);
	if (!f)
		goto out;
	const embedding *em = find_embedding(f, name);
	if (!em || !em->tensor_path[0]) {
		tb_resp_error(resp, 400, "Tensor \"%s\" not found in checkpoint dir \"%s\"", name,
			      f->cfg.model_checkpoint_path);
		goto out;
	}
	char *joined, *real, *msg;
	float *t = NULL;
	size_t rows, cols;
	if (asset_path(&joined, &real, &msg, &dv, f, em->tensor_path) == 0 &&
	    load_tensor(&t, &rows, &cols, em, dv.root, real, joined, &msg) == 0) {
		if (num_rows && num_rows < rows)
			rows = num_rows;
		size_t n = rows * cols;
		tb_buf *body = tb_resp_body(resp);
		tb_buf_reserve(body, n * 4);
		for (size_t i = 0; i < n; i++) {
			uint32_t u;
			memcpy(&u, &t[i], 4);
			unsigned char q[4] = {(unsigned char)u, (unsigned char)(u >> 8),
					      (unsigned char)(u >> 16), (unsigned char)(u >> 24)};
			tb_buf_append(body, q, 4);
		}
		tb_resp_type(resp, "application/octet-stream");
	} else {
		tb_resp_error(resp, 400, "%s", msg);
	}
	free(t);
	free(joined);
	free(real);
	free(msg);
out:
	discovery_free(&dv);
}

/* Resolve and read one of an embedding's asset files for a route. Answers
 * the error itself and returns nonzero on failure. */
static int read_asset(tb_buf *out, tb_resp *resp, const discovery *dv, const found *f,
		      const char *written, int sprite)
{
	char *joined, *real, *msg;
	int rc = asset_path(&joined, &real, &msg, dv, f, written);
	if (rc) {
		tb_resp_error(resp, 400, "%s", msg);
	} else {
		size_t cap = ASSET_MAX;
		switch (read_file(out, dv->root, real, cap)) {
		case FILE_OK:
			break;
		case FILE_TOO_BIG:
			tb_resp_error(resp, 400, "\"%s\" is larger than %zu bytes", joined, cap);
			rc = TB_EINVAL;
			break;
		case FILE_IO:
			tb_resp_error(resp, 400, "\"%s\" could not be read", joined);
			rc = TB_EIO;
			break;
		default:
			if (sprite)
				tb_resp_error(resp, 400, "\"%s\" does not exist or is directory",
					      joined);
			else
				tb_resp_error(resp, 400, "\"%s\" not found, or is not a file",
					      joined);
			rc = TB_ENOTFOUND;
			break;
		}
	}
	free(joined);
	free(real);
	free(msg);
	return rc;
}

static void handle_metadata(tb_resp *resp, const tb_req *req, void *payload)
{
	discovery dv;
	discover(&dv, payload, 0);
	const char *name;
	size_t num_rows = 0;
	tb_buf text = TB_BUF_INIT;
	const found *f = begin(resp, req, &dv, 0, 1, &name, &num_rows);
	if (!f)
		goto out;
	const embedding *em = find_embedding(f, name);
	if (!em || !em->metadata_path[0]) {
		tb_resp_error(resp, 400,
			      "No metadata file found for tensor \"%s\" in the config file \"%s\"",
			      name, f->config_path);
		goto out;
	}
	if (read_asset(&text, resp, &dv, f, em->metadata_path, 0))
		goto out;
	if (!tb_utf8_valid(text.ptr, text.len)) {
		tb_resp_error(resp, 400, "Metadata file \"%s\" is not UTF-8 text",
			      em->metadata_path);
		goto out;
	}
	/* Lines with their ends turned into \n; with num_rows, that many plus a
	 * header line when the first line holds a tab. */
	tb_buf *body = tb_resp_body(resp);
	const char *p = text.ptr ? text.ptr : "", *end = p + text.len, *line;
	size_t ll, count = 0, header = 0;
	int had_end;
	while (next_line(&line, &ll, &had_end, &p, end)) {
		tb_buf_append(body, line, ll);
		if (had_end)
			tb_buf_putc(body, '\n');
		if (++count == 1 && memchr(line, '\t', ll))
			header = 1;
		if (num_rows && count >= num_rows + header)
			break;
	}
	tb_resp_type(resp, "text/plain; charset=utf-8");
out:
	tb_buf_free(&text);
	discovery_free(&dv);
}

static void handle_bookmarks(tb_resp *resp, const tb_req *req, void *payload)
{
	discovery dv;
	discover(&dv, payload, 0);
	const char *name;
	tb_buf data = TB_BUF_INIT;
	const found *f = begin(resp, req, &dv, 1, 0, &name, NULL);
	if (!f)
		goto out;
	const embedding *em = find_embedding(f, name);
	if (!em || !em->bookmarks_path[0]) {
		tb_resp_error(resp, 400,
			      "No bookmarks file found for tensor \"%s\" in the config file \"%s\"",
			      name, f->config_path);
		goto out;
	}
	if (read_asset(&data, resp, &dv, f, em->bookmarks_path, 0))
		goto out;
	tb_resp_bytes(resp, "application/json", data.ptr ? data.ptr : "", data.len);
out:
	tb_buf_free(&data);
	discovery_free(&dv);
}

static void handle_sprite_image(tb_resp *resp, const tb_req *req, void *payload)
{
	discovery dv;
	discover(&dv, payload, 0);
	const char *name;
	tb_buf data = TB_BUF_INIT;
	const found *f = begin(resp, req, &dv, 1, 0, &name, NULL);
	if (!f)
		goto out;
	const embedding *em = find_embedding(f, name);
	if (!em || !em->image_path[0]) {
		tb_resp_error(resp, 400,
			      "No sprite image file found for tensor \"%s\" in the config file "
			      "\"%s\"",
			      name, f->config_path);
		goto out;
	}
	if (read_asset(&data, resp, &dv, f, em->image_path, 1))
		goto out;
	const unsigned char *p = (const unsigned char *)(data.ptr ? data.ptr : "");
	tb_resp_bytes(resp, tb_dash_image_type(tb_slice_make(p, data.len)), p, data.len);
out:
	tb_buf_free(&data);
	discovery_free(&dv);
}

/* ---- the module page (spec 3.12) ------------------------------------------ */

/* The stock plugins (spec 4.3); only the projector is module-based. */
#define ENTRY_SCRIPT "import(\"./index.js\").then((m) => void m.render());"
/* base64 of the SHA-256 of ENTRY_SCRIPT, allowed by the page's CSP */
#define ENTRY_SCRIPT_SHA256 "PVZp/wXI2V6hq7T2aNiDNM+vJWIOWwNwyhE53i+6lSQ="

static const char ENTRY_CSP[] =
    "default-src 'self';font-src 'self' data:;frame-src 'self' https://ui.perfetto.dev;"
    "img-src 'self' data: blob:;object-src 'none';"
    "style-src 'self' https://www.gstatic.com data: 'unsafe-inline';connect-src 'self';"
    "script-src 'self' 'unsafe-eval' 'sha256-" ENTRY_SCRIPT_SHA256 "'";

static const char ENTRY_PAGE[] = "\n<!DOCTYPE html>\n"
				 "<head><base href=\"plugin/projector/\" /></head>\n"
				 "<body><script type=\"module\">" ENTRY_SCRIPT "</script></body>\n";

static void handle_plugin_entry(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	const char *name = tb_req_query(req, "name");
	const tb_dashboard *db = name ? tb_dashboard_find(name) : NULL;
	if (!name) {
		tb_resp_error(resp, 404, "Not found");
	} else if (!db) {
		tb_resp_error(resp, 404, "Not found: %s", name);
	} else if (db->loading != TB_LOAD_IFRAME) {
		tb_resp_error(resp, 400, "Plugin is not module loadable");
	} else {
		tb_resp_bytes(resp, "text/html; charset=utf-8", ENTRY_PAGE, sizeof ENTRY_PAGE - 1);
		tb_resp_header(resp, "Content-Security-Policy", ENTRY_CSP);
	}
}

/* A stand-in for the projector application: the frame shows a notice. */
static const char INDEX_JS[] =
    "export function render() {\n"
    "  const p = document.createElement(\"p\");\n"
    "  p.style.font = \"14px sans-serif\";\n"
    "  p.style.margin = \"24px\";\n"
    "  p.textContent = \"The embedding projector view is coming in a later version of "
    "tboard. Its data is already served under data/plugin/projector/.\";\n"
    "  document.body.appendChild(p);\n"
    "}\n";

static void handle_index_js(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_resp_bytes(resp, "application/javascript", INDEX_JS, sizeof INDEX_JS - 1);
}

/* ---- registration ------------------------------------------------------------- */

int tb_projector_active(tb_dash *d)
{
	if (__atomic_load_n(&d->projector_seen, __ATOMIC_RELAXED))
		return 1;
	discovery dv;
	discover(&dv, d, 0);
	int found = dv.n > 0;
	discovery_free(&dv);
	if (found)
		__atomic_store_n(&d->projector_seen, 1, __ATOMIC_RELAXED);
	return found;
}

void tb_projector_register(tb_router *r, tb_dash *d)
{
	tb_router_add(r, "/data/plugin_entry.html", handle_plugin_entry, d);
	tb_router_add(r, "/data/plugin/projector/runs", handle_runs, d);
	tb_router_add(r, "/data/plugin/projector/info", handle_info, d);
	tb_router_add(r, "/data/plugin/projector/tensor", handle_tensor, d);
	tb_router_add(r, "/data/plugin/projector/metadata", handle_metadata, d);
	tb_router_add(r, "/data/plugin/projector/bookmarks", handle_bookmarks, d);
	tb_router_add(r, "/data/plugin/projector/sprite_image", handle_sprite_image, d);
	tb_router_add(r, "/data/plugin/projector/index.js", handle_index_js, d);
}
