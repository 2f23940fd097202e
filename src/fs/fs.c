/* The file-system layer's dispatch and its local backend (see fs.h).
 *
 * The local backend is a thin layer over POSIX: pread on a file
 * descriptor, readdir + fstatat for listings (one directory descriptor per
 * listing, closed before returning), inotify through watch.c. errno is
 * turned into a code and a per-thread message where each call fails. */
#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "s3.h"

struct tb_fs_file {
	const tb_fs_ops *ops; /* first in every backend's file: the dispatch reads it */
	int fd;
};

static _Thread_local char last_msg[512];
static _Thread_local int last_transient;

static int fail(int err, const char *what, const char *path)
{
	snprintf(last_msg, sizeof last_msg, "%s %s: %s", what, path, strerror(err));
	last_transient = err == EMFILE || err == ENFILE || err == ENOMEM || err == EINTR ||
			 err == EAGAIN || err == EBUSY || err == ENOBUFS;
	return err == ENOENT || err == ENOTDIR ? TB_ENOTFOUND : TB_EIO;
}

int tb_fs_transient(void)
{
	return last_transient;
}

const char *tb_fs_errmsg(void)
{
	return last_msg;
}

int tb_fs_fail(int transient, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof last_msg, fmt, ap);
	va_end(ap);
	last_transient = transient;
	return TB_EIO;
}

static void fill_stat(tb_fs_stat *out, const struct stat *st)
{
	out->type = S_ISREG(st->st_mode) ? TB_FS_REG : S_ISDIR(st->st_mode) ? TB_FS_DIR : TB_FS_OTHER;
	out->size = (uint64_t)st->st_size;
	out->id = (uint64_t)st->st_ino ^ ((uint64_t)st->st_dev << 40);
}

static int cmp_dirent(const void *a, const void *b)
{
	return strcmp(((const tb_fs_dirent *)a)->name, ((const tb_fs_dirent *)b)->name);
}

static int local_list(tb_fs_dirent **out, size_t *n, const char *dir)
{
	*out = NULL;
	*n = 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return fail(errno, "cannot read directory", dir);
	DIR *d = fdopendir(dfd);
	if (!d) {
		int rc = fail(errno, "cannot read directory", dir);
		close(dfd);
		return rc;
	}
	tb_fs_dirent *v = NULL;
	size_t len = 0, alloc = 0;
	struct dirent *e;
	errno = 0;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		v = tb_xgrow(v, &alloc, len + 1, sizeof *v);
		tb_fs_dirent *de = &v[len++];
		memset(de, 0, sizeof *de);
		de->name = tb_xstrdup(e->d_name);
		struct stat st;
		if (fstatat(dfd, e->d_name, &st, 0) == 0) {
			fill_stat(&de->st, &st);
		} else if (errno != ENOENT && errno != ELOOP) {
			break; /* an entry we cannot see into: the listing is not whole */
		}
		errno = 0;
	}
	int rc = errno ? fail(errno, "cannot read directory", dir) : 0;
	closedir(d);
	if (rc) {
		tb_fs_dirents_free(v, len);
		return rc;
	}
	if (len)
		qsort(v, len, sizeof *v, cmp_dirent);
	*out = v;
	*n = len;
	return 0;
}

static int local_stat(tb_fs_stat *out, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return fail(errno, "cannot stat", path);
	fill_stat(out, &st);
	return 0;
}

static int local_open(tb_fs_file **out, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(errno, "cannot open", path);
	tb_fs_file *f = tb_xmalloc(sizeof *f);
	f->ops = &tb_fs_local;
	f->fd = fd;
	*out = f;
	return 0;
}

static int64_t local_read(tb_fs_file *f, void *buf, size_t n, uint64_t off)
{
	for (;;) {
		ssize_t got = pread(f->fd, buf, n, (off_t)off);
		if (got >= 0)
			return got;
		if (errno != EINTR) {
			fail(errno, "cannot read", "file");
			return TB_EIO;
		}
	}
}

static int local_fstat(tb_fs_stat *out, tb_fs_file *f)
{
	struct stat st;
	if (fstat(f->fd, &st) != 0)
		return fail(errno, "cannot stat", "file");
	fill_stat(out, &st);
	return 0;
}

static void local_close(tb_fs_file *f)
{
	close(f->fd);
	free(f);
}

const tb_fs_ops tb_fs_local = {
    .scheme = "",
    .list = local_list,
    .stat = local_stat,
    .open = local_open,
    .read = local_read,
    .fstat = local_fstat,
    .close = local_close,
    .watch_new = tb_watch_new,
};

const tb_fs_ops *tb_fs_for(const char *path)
{
	const char *colon = strstr(path, "://");
	if (!colon)
		return &tb_fs_local;
	if (colon - path == 2 && memcmp(path, "s3", 2) == 0)
		return &tb_fs_s3;
	if (colon - path == 2 && memcmp(path, "gs", 2) == 0)
		return &tb_fs_gs;
	return NULL;
}

static const tb_fs_ops *ops_for(const char *path)
{
	const tb_fs_ops *ops = tb_fs_for(path);
	if (!ops) {
		snprintf(last_msg, sizeof last_msg, "%s: no backend for this kind of path", path);
		last_transient = 0;
	}
	return ops;
}

int tb_fs_list(tb_fs_dirent **out, size_t *n, const char *dir)
{
	const tb_fs_ops *ops = ops_for(dir);
	return ops ? ops->list(out, n, dir) : TB_EIO;
}

int tb_fs_snapshot(const char *root)
{
	const tb_fs_ops *ops = ops_for(root);
	if (!ops)
		return TB_EIO;
	return ops->snapshot ? ops->snapshot(root) : 0;
}

void tb_fs_dirents_free(tb_fs_dirent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

int tb_fs_stat_path(tb_fs_stat *out, const char *path)
{
	const tb_fs_ops *ops = ops_for(path);
	return ops ? ops->stat(out, path) : TB_EIO;
}

int tb_fs_open(tb_fs_file **out, const char *path)
{
	const tb_fs_ops *ops = ops_for(path);
	return ops ? ops->open(out, path) : TB_EIO;
}

int64_t tb_fs_read(tb_fs_file *f, void *buf, size_t n, uint64_t off)
{
	return f->ops->read(f, buf, n, off);
}

int tb_fs_fstat(tb_fs_stat *out, tb_fs_file *f)
{
	return f->ops->fstat(out, f);
}

void tb_fs_close(tb_fs_file *f)
{
	if (f)
		f->ops->close(f);
}

tb_watch *tb_fs_watch_new(const char *path)
{
	const tb_fs_ops *ops = tb_fs_for(path);
	return ops && ops->watch_new ? ops->watch_new() : NULL;
}

/* ---- confined open ------------------------------------------------------ */

static int have_openat2 = 1; /* cleared once the kernel says ENOSYS */

static int beneath_code(int err)
{
	if (err == ENOENT || err == ENOTDIR)
		return TB_ENOTFOUND;
	return err == EXDEV || err == ELOOP ? TB_EINVAL : TB_EIO;
}

/* Without openat2: one component at a time, never following a link and
 * never stepping up with "..". */
static int walk_beneath(int dfd, const char *rel)
{
	int cur = dup(dfd);
	if (cur < 0)
		return TB_EIO;
	const char *s = rel;
	for (;;) {
		while (*s == '/')
			s++;
		size_t n = strcspn(s, "/");
		if (n == 0) {
			close(cur);
			return TB_EINVAL; /* the root itself, or a trailing slash */
		}
		char comp[NAME_MAX + 1];
		if (n > NAME_MAX || (n == 2 && s[0] == '.' && s[1] == '.')) {
			close(cur);
			return TB_EINVAL;
		}
		memcpy(comp, s, n);
		comp[n] = '\0';
		s += n;
		while (*s == '/')
			s++;
		int last = *s == '\0';
		if (n == 1 && comp[0] == '.' && !last)
			continue;
		int flags = O_NOFOLLOW | O_CLOEXEC | (last ? O_RDONLY | O_NONBLOCK : O_DIRECTORY);
		int next = openat(cur, comp, flags);
		int err = errno;
		close(cur);
		if (next < 0)
			return beneath_code(err);
		if (last)
			return next;
		cur = next;
	}
}

int tb_fs_open_beneath(const char *root, const char *rel)
{
	int dfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return beneath_code(errno);
	int fd = -1, rc = 0;
	if (__atomic_load_n(&have_openat2, __ATOMIC_RELAXED)) {
		struct open_how how = {
		    .flags = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC,
		    .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
		};
		fd = (int)syscall(SYS_openat2, dfd, rel, &how, sizeof how);
		if (fd < 0 && errno == ENOSYS)
			__atomic_store_n(&have_openat2, 0, __ATOMIC_RELAXED);
		else if (fd < 0)
			rc = beneath_code(errno);
	}
	if (fd < 0 && !rc) {
		fd = walk_beneath(dfd, rel);
		if (fd < 0)
			rc = fd;
	}
	close(dfd);
	if (rc)
		return rc;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return TB_EINVAL;
	}
	return fd;
}
