/* The projector's files: discovery of projector_config.pbtxt files beside
 * the event files (spec HTTP_API.md 11.1), the asset paths they name, and
 * reading those files and tensors.
 *
 * The projector reads plain files, not event records. Their paths come
 * from files in the log directory, so they are
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
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/chars.h"
#include "fs/fs.h"
#include "projector_files.h"

#define CONFIG_NAME "projector_config.pbtxt"
#define ASSETS_DIR "plugins/org_tensorflow_tensorboard_projector"

/* Largest files read, in bytes. */
#define CONFIG_MAX ((size_t)1 << 20)
#define TENSOR_MAX ((size_t)256 << 20)

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

void tb_proj_discovery_free(tb_proj_discovery *dv)
{
	for (size_t i = 0; i < dv->n; i++) {
		free(dv->v[i].run);
		free(dv->v[i].config_path);
		free(dv->v[i].config_dir);
		free(dv->v[i].config_dir_real);
		tb_proj_config_free(&dv->v[i].cfg);
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

static void refuse(tb_proj_discovery *dv, const char *run, char *msg)
{
	tb_proj_warn_once("run \"%s\": %s", run, msg);
	dv->bad = tb_xrealloc(dv->bad, (dv->n_bad + 1) * sizeof *dv->bad);
	dv->bad[dv->n_bad].run = tb_xstrdup(run);
	dv->bad[dv->n_bad++].msg = msg;
}

/* Read the regular file at the resolved path real, checked to lie inside
 * root, (at most cap bytes) into out. The open is confined to root as well
 * (tb_fs_open_beneath), so a link swapped in after the check cannot lead
 * out; never follows a final symlink and never blocks on a FIFO. */
static tb_proj_file_err read_url(tb_buf *out, const char *real, size_t cap)
{
	tb_fs_file *f;
	int rc = tb_fs_open(&f, real);
	if (rc)
		return rc == TB_ENOTFOUND ? TB_PROJ_FILE_MISSING : TB_PROJ_FILE_IO;
	tb_fs_stat st;
	tb_proj_file_err err = TB_PROJ_FILE_OK;
	if (tb_fs_fstat(&st, f) != 0)
		err = TB_PROJ_FILE_IO;
	else if (st.type != TB_FS_REG)
		err = TB_PROJ_FILE_NOT_FILE;
	else if (st.size > cap)
		err = TB_PROJ_FILE_TOO_BIG;
	else
		tb_buf_reserve(out, (size_t)st.size + 1);
	while (!err && out->len < st.size) {
		int64_t got =
		    tb_fs_read(f, out->ptr + out->len, (size_t)st.size - out->len, out->len);
		if (got <= 0)
			err = TB_PROJ_FILE_IO;
		else
			out->len += (size_t)got;
	}
	if (out->ptr)
		out->ptr[out->len] = '\0';
	tb_fs_close(f);
	return err;
}

tb_proj_file_err tb_proj_read_file(tb_buf *out, const char *root, const char *real, size_t cap)
{
	if (is_url(real))
		return read_url(out, real, cap);
	const char *rel = real + strlen(root);
	while (*rel == '/')
		rel++;
	int fd = tb_fs_open_beneath(root, rel);
	if (fd < 0)
		return fd == TB_ENOTFOUND ? TB_PROJ_FILE_MISSING
		       : fd == TB_EINVAL  ? TB_PROJ_FILE_NOT_FILE
					  : TB_PROJ_FILE_IO;
	struct stat st;
	tb_proj_file_err rc = TB_PROJ_FILE_OK;
	if (fstat(fd, &st) != 0) {
		rc = TB_PROJ_FILE_IO;
	} else if (!S_ISREG(st.st_mode)) {
		rc = TB_PROJ_FILE_NOT_FILE;
	} else if ((uint64_t)st.st_size > cap) {
		rc = TB_PROJ_FILE_TOO_BIG;
	} else {
		tb_buf_reserve(out, (size_t)st.st_size + 1);
		for (;;) {
			char chunk[65536];
			ssize_t got = read(fd, chunk, sizeof chunk);
			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0) {
				rc = TB_PROJ_FILE_IO;
				break;
			}
			if (got == 0)
				break;
			if (out->len + (size_t)got > cap) {
				rc = TB_PROJ_FILE_TOO_BIG; /* grew while being read */
				break;
			}
			tb_buf_append(out, chunk, (size_t)got);
		}
	}
	close(fd);
	return rc;
}

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

int tb_proj_asset_path(char **joined, char **real, char **msg, const tb_proj_discovery *dv,
		       const tb_proj_found *f, const char *written)
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
static void infer_shapes(const tb_proj_discovery *dv, tb_proj_found *f)
{
	for (size_t i = 0; i < f->cfg.n_emb; i++) {
		tb_proj_embedding *em = &f->cfg.emb[i];
		if (!em->tensor_path[0] || em->tensor_shape.n)
			continue;
		char *joined, *real, *msg;
		if (tb_proj_asset_path(&joined, &real, &msg, dv, f, em->tensor_path) == 0) {
			struct stat st;
			size_t rows = 0, cols = 0;
			int ok = stat_any(real, &st) == 0 && cached_shape(&rows, &cols, real, &st);
			if (!ok) {
				float *t = NULL;
				ok = tb_proj_load_tensor(&t, &rows, &cols, em, dv->root, real,
							 joined, &msg) == 0;
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
			tb_proj_warn_once("%s", msg);
		free(joined);
		free(real);
		free(msg);
	}
}

/* Look at one candidate (run, directory) pair; a usable config replaces
 * the run's earlier one in place or is appended. */
static void consider(tb_proj_discovery *dv, const char *run, const char *dir, int shapes)
{
	char *path = join(dir, CONFIG_NAME);
	char *cdir = dirname_of(path);
	char *cdir_real = NULL, *file_real = NULL;
	tb_pbtxt_field *tree = NULL;
	tb_proj_config cfg = {0};
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
	switch (tb_proj_read_file(&text, dv->root, file_real, CONFIG_MAX)) {
	case TB_PROJ_FILE_OK:
		break;
	case TB_PROJ_FILE_TOO_BIG:
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
	tb_proj_errbuf e = {err, sizeof err};
	if (tb_pbtxt_parse(&tree, text.ptr ? text.ptr : "", text.len, err, sizeof err) != 0 ||
	    tb_proj_config_map(&cfg, tree, e, path) != 0) {
		refuse(dv, run, tb_xasprintf("Malformed projector config \"%s\": %s", path, err));
		goto out;
	}
	/* Usable: some embedding names a tensor file (checkpoints: D25). The
	 * first such embedding without a name is named after its file. */
	int usable = 0;
	for (size_t i = 0; i < cfg.n_emb && !usable; i++) {
		tb_proj_embedding *em = &cfg.emb[i];
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
	tb_proj_found *slot = NULL;
	for (size_t i = 0; i < dv->n && !slot; i++)
		if (strcmp(dv->v[i].run, run) == 0)
			slot = &dv->v[i];
	if (slot) {
		free(slot->config_path);
		free(slot->config_dir);
		free(slot->config_dir_real);
		tb_proj_config_free(&slot->cfg);
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
	tb_proj_config_free(&cfg);
	tb_pbtxt_free(tree);
	tb_buf_free(&text);
	free(path);
	free(cdir);
	free(cdir_real);
	free(file_real);
}

void tb_proj_discover(tb_proj_discovery *dv, tb_dash *d, int shapes)
{
	memset(dv, 0, sizeof *dv);
	if (!d->logdir) /* --logdir_spec: run folders are not <logdir>/<run> */
		return;
	dv->root = real_path(d->logdir);
	if (!dv->root)
		return;
	tb_reader rd;
	tb_reader_begin(&rd, d->store);
	size_t n = tb_reader_run_count(&rd), pos = 0;
	char **runs = tb_xcalloc(n ? n : 1, sizeof *runs);
	int has_dot = 0;
	for (size_t i = 0; i < n; i++) {
		runs[i] = tb_xstrdup(tb_run_name(tb_reader_next_run(&rd, &pos)));
		has_dot |= strcmp(runs[i], ".") == 0;
	}
	tb_reader_end(&rd);

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

const tb_proj_found *tb_proj_find_run(const tb_proj_discovery *dv, const char *run)
{
	for (size_t i = 0; i < dv->n; i++)
		if (strcmp(dv->v[i].run, run) == 0)
			return &dv->v[i];
	return NULL;
}

void tb_proj_unknown_run(tb_resp *resp, const tb_proj_discovery *dv, const char *run)
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

const tb_proj_embedding *tb_proj_find_embedding(const tb_proj_found *f, const char *name)
{
	for (size_t i = 0; i < f->cfg.n_emb; i++)
		if (same_tensor(f->cfg.emb[i].tensor_name, name))
			return &f->cfg.emb[i];
	return NULL;
}

/* ---- tensors (FORMAT.md 12.3) --------------------------------------------- */

int tb_proj_load_tensor(float **out, size_t *rows, size_t *cols, const tb_proj_embedding *em,
			const char *root, const char *real, const char *shown, char **msg)
{
	*out = NULL;
	tb_buf b = TB_BUF_INIT;
	int rc = 0;
	switch (tb_proj_read_file(&b, root, real, TENSOR_MAX)) {
	case TB_PROJ_FILE_OK:
		break;
	case TB_PROJ_FILE_MISSING:
		*msg = tb_xasprintf("Tensor file \"%s\" does not exist", shown);
		rc = TB_ENOTFOUND;
		goto out;
	case TB_PROJ_FILE_NOT_FILE:
		*msg = tb_xasprintf("Tensor file \"%s\" is not a file", shown);
		rc = TB_EINVAL;
		goto out;
	case TB_PROJ_FILE_TOO_BIG:
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
		rc = tb_proj_parse_tsv(out, rows, cols, b.ptr ? b.ptr : "", b.len, shown, msg);
		goto out;
	}
	const tb_proj_u32s *sh = &em->tensor_shape;
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
