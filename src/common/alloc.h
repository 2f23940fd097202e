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

/* Fault in the whole pages within [p, p + n) with one system call
 * (MADV_POPULATE_WRITE), for memory about to be written: touching each new
 * page first costs a fault apiece, a trap into the kernel (on a virtual
 * machine, through the hypervisor too). Returns 1 when done; 0 without
 * glibc or Linux 5.14, or under AddressSanitizer, where it does nothing. */
int tb_prefault(void *p, size_t n);
/* tb_prefault `bytes` (at most about 2 MiB) of the calling thread's malloc
 * heap ahead of what the thread will allocate there: a loader thread
 * stores many small blocks. The block is freed back to the top of the
 * heap, where the next ones are carved. The first call fixes glibc's mmap
 * and trim thresholds at 2 and 4 MiB, so that the block comes from the
 * heap and stays there once freed. Returns as tb_prefault. */
int tb_heap_warm(size_t bytes);

#endif
