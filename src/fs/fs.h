/* The file-system layer: everything the loader asks of storage goes through
 * one small interface, so a log directory can live somewhere other than the
 * local disk. A backend (tb_fs_ops) lists a folder, stats a path, opens a
 * file and reads byte ranges of it, and may offer change notification; the
 * local backend (POSIX calls, inotify) is picked for every path without a
 * URL scheme, the object storage backends (s3.h) for s3:// and gs://.
 *
 * Errors are sorted for the caller, which must never mistake a passing
 * failure for a vanished file: TB_ENOTFOUND means the path is gone, TB_EIO
 * anything else (permissions, fd exhaustion, I/O); tb_fs_transient() says
 * whether retrying soon may help, and the text of the failure is in
 * tb_fs_errmsg() of the calling thread until its next fs call.
 *
 * Thread-safe: backends keep no shared mutable state except the watcher,
 * which one thread waits on (see watch.h). */
#ifndef TB_FS_H
#define TB_FS_H

#include <stddef.h>
#include <stdint.h>

#include "watch.h"

typedef struct tb_fs_file tb_fs_file;

enum tb_fs_type { TB_FS_OTHER = 0, TB_FS_REG = 1, TB_FS_DIR = 2 };

typedef struct tb_fs_stat {
	int type;      /* TB_FS_* (symbolic links followed) */
	uint64_t size; /* bytes */
	uint64_t id;   /* identity of the object (device and inode): changes
			* when a file is replaced under the same name */
} tb_fs_stat;

typedef struct tb_fs_dirent {
	char *name;
	tb_fs_stat st; /* type TB_FS_OTHER when the entry could not be stat'ed */
} tb_fs_dirent;

typedef struct tb_fs_ops {
	const char *scheme; /* "" for local paths */
	int (*list)(tb_fs_dirent **out, size_t *n, const char *dir);
	int (*stat)(tb_fs_stat *out, const char *path);
	int (*open)(tb_fs_file **out, const char *path);
	/* Up to n bytes at off: bytes read, 0 at end of file, or TB_EIO. */
	int64_t (*read)(tb_fs_file *f, void *buf, size_t n, uint64_t off);
	int (*fstat)(tb_fs_stat *out, tb_fs_file *f);
	void (*close)(tb_fs_file *f);
	/* A watcher for change notification, or NULL where there is none. */
	tb_watch *(*watch_new)(void);
	/* Optional: take a fresh view of everything below root, from which
	 * list and stat below it may answer until the next call (object
	 * stores: one recursive listing per reload). Returns 0 or TB_EIO. */
	int (*snapshot)(const char *root);
} tb_fs_ops;

/* The backend for `path` (by URL scheme; local for plain paths), or NULL
 * for a scheme no backend serves. */
const tb_fs_ops *tb_fs_for(const char *path);
extern const tb_fs_ops tb_fs_local;

/* List the entries of dir (not "." and ".."), sorted bytewise by name, each
 * with its stat (dangling or looping links: TB_FS_OTHER). An entry that
 * cannot be stat'ed for another reason (permissions) fails the listing, so
 * nothing below it is taken for gone. *out is owned by the caller
 * (tb_fs_dirents_free). Returns 0, TB_ENOTFOUND or TB_EIO. */
int tb_fs_list(tb_fs_dirent **out, size_t *n, const char *dir);
void tb_fs_dirents_free(tb_fs_dirent *v, size_t n);
/* Stat path, following links. Returns 0, TB_ENOTFOUND or TB_EIO. */
int tb_fs_stat_path(tb_fs_stat *out, const char *path);
/* Open path for reading; returns 0, TB_ENOTFOUND or TB_EIO. */
int tb_fs_open(tb_fs_file **out, const char *path);
int64_t tb_fs_read(tb_fs_file *f, void *buf, size_t n, uint64_t off);
int tb_fs_fstat(tb_fs_stat *out, tb_fs_file *f);
/* Close an open file. NULL is a no-op. */
void tb_fs_close(tb_fs_file *f);
/* A watcher for changes under paths of this backend, or NULL. */
tb_watch *tb_fs_watch_new(const char *path);

/* Refresh the backend's view of everything below root before walking it
 * (see tb_fs_ops.snapshot; nothing to do for local paths). Returns 0 or
 * TB_EIO (tb_fs_errmsg / tb_fs_transient tell why; the previous view is
 * kept). */
int tb_fs_snapshot(const char *root);

/* For backends: record this thread's failure text and whether it may pass
 * by itself; returns TB_EIO. */
int tb_fs_fail(int transient, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Nonzero when the last failure of this thread's fs calls may pass by
 * itself (out of file descriptors or memory, interrupted, busy), so the
 * caller should retry soon and assume nothing is gone. */
int tb_fs_transient(void);
/* Text of this thread's last fs failure ("" if none). */
const char *tb_fs_errmsg(void);

/* Open the regular file `rel` below the directory `root` for reading,
 * refusing any path that leaves root (by "..", an absolute link, a link
 * pointing outside) and a final symbolic link; never blocks on a FIFO.
 * Uses openat2(RESOLVE_BENEATH) where the kernel has it, else walks the
 * path one component at a time with O_NOFOLLOW. Local paths only. Returns
 * a file descriptor, or TB_ENOTFOUND (no such file), TB_EINVAL (leaves
 * root, not a regular file) or TB_EIO. */
int tb_fs_open_beneath(const char *root, const char *rel);

#endif
