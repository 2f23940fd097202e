/* Wake the loader when something changes under the log directory.
 *
 * inotify on every directory the scan visits (IN_MODIFY catches a file
 * growing, IN_CREATE / IN_MOVED_TO / IN_DELETE new and vanished files and
 * runs), so a point written to disk reaches the store in a fraction of a
 * second instead of at the next reload interval. Where inotify is missing
 * or its watch limit is reached, the loader falls back to polling at the
 * reload interval, which it does anyway. One thread waits; any thread may
 * wake it. */
#ifndef TB_WATCH_H
#define TB_WATCH_H

typedef struct tb_watch tb_watch;

/* A watcher, or NULL when inotify is not available (logged once). */
tb_watch *tb_watch_new(void);
/* Watch dir for changes; cheap to repeat for a directory already watched.
 * Failures (watch limit, vanished directory) are logged once and ignored. */
void tb_watch_add(tb_watch *w, const char *dir);
/* Block until a change is seen (returns 1), timeout_ms passes or
 * tb_watch_wake is called (returns 0). Pending events are consumed. */
int tb_watch_wait(tb_watch *w, int timeout_ms);
/* Make a waiting (or the next) tb_watch_wait return. Thread-safe. */
void tb_watch_wake(tb_watch *w);
/* Free the watcher. NULL is a no-op. */
void tb_watch_free(tb_watch *w);

#endif
