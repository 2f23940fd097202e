/* Allocation for the server: these abort the process on out-of-memory.
 *
 * The server has nothing sensible to do when malloc fails, so it stops with a
 * message instead of threading TB_ENOMEM through every path. Library code
 * that runs inside someone else's process (the writer) must not use these. */
#ifndef TB_ALLOC_H
#define TB_ALLOC_H

#include <stddef.h>

void *tb_xmalloc(size_t n);
void *tb_xcalloc(size_t count, size_t size);
void *tb_xrealloc(void *p, size_t n);
/* Grow an array to hold at least `need` elements of `size` bytes; *cap is
 * updated. Growth is geometric so appends are amortised O(1). */
void *tb_xgrow(void *p, size_t *cap, size_t need, size_t size);
char *tb_xstrdup(const char *s);
char *tb_xstrndup(const char *s, size_t n);
char *tb_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
