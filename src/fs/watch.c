/* inotify-based change notification for the loader (see watch.h).
 *
 * Directories already watched are remembered by path (an array indexed by
 * a tb_idxset), so re-adding every scanned directory each cycle costs one
 * hash lookup, not a system call. */
#include "watch.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/hash.h"
#include "common/log.h"

#define WATCH_MASK                                                                                 \
	(IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |        \
	 IN_DELETE_SELF)

struct tb_watch {
	int ifd;      /* inotify */
	int efd;      /* eventfd for wake-ups */
	char **paths; /* watched directories */
	size_t n_paths, cap;
	tb_idxset index; /* paths by hash */
	int warned;
};

tb_watch *tb_watch_new(void)
{
	int ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0) {
		tb_log_info(
		    "inotify unavailable (%s); new data is picked up at the reload interval",
		    strerror(errno));
		return NULL;
	}
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		close(ifd);
		return NULL;
	}
	tb_watch *w = tb_xcalloc(1, sizeof *w);
	w->ifd = ifd;
	w->efd = efd;
	return w;
}

static int set_has(const tb_watch *w, const char *path)
{
	uint64_t h = tb_hash_bytes(TB_HASH_SEED, path, strlen(path));
	size_t pos = 0, i1;
	while ((i1 = tb_idxset_next(&w->index, h, &pos)))
		if (strcmp(w->paths[i1 - 1], path) == 0)
			return 1;
	return 0;
}

void tb_watch_add(tb_watch *w, const char *dir)
{
	if (!w || set_has(w, dir))
		return;
	if (inotify_add_watch(w->ifd, dir, WATCH_MASK) < 0) {
		if (!w->warned && errno != ENOENT) {
			tb_log_warn(
			    "cannot watch %s (%s); some changes are picked up at the reload "
			    "interval only",
			    dir, strerror(errno));
			w->warned = 1;
		}
		return;
	}
	if (w->n_paths == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->paths = tb_xrealloc(w->paths, w->cap * sizeof *w->paths);
	}
	if (tb_idxset_add(&w->index, tb_hash_bytes(TB_HASH_SEED, dir, strlen(dir)), w->n_paths))
		abort(); /* out of memory, as tb_xmalloc */
	w->paths[w->n_paths++] = tb_xstrdup(dir);
}

int tb_watch_wait(tb_watch *w, int timeout_ms)
{
	struct pollfd fds[2] = {{w->ifd, POLLIN, 0}, {w->efd, POLLIN, 0}};
	int n = poll(fds, 2, timeout_ms);
	if (n <= 0)
		return 0;
	uint64_t v;
	if (fds[1].revents & POLLIN) {
		ssize_t r = read(w->efd, &v, sizeof v);
		(void)r;
		return 0;
	}
	/* drain: one cycle covers every event seen so far */
	char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
	while (read(w->ifd, buf, sizeof buf) > 0)
		;
	return 1;
}

void tb_watch_wake(tb_watch *w)
{
	if (!w)
		return;
	uint64_t one = 1;
	ssize_t r = write(w->efd, &one, sizeof one);
	(void)r;
}

void tb_watch_free(tb_watch *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n_paths; i++)
		free(w->paths[i]);
	free(w->paths);
	tb_idxset_free(&w->index);
	close(w->ifd);
	close(w->efd);
	free(w);
}
