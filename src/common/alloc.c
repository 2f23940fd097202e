/* Aborting allocators for the server (see alloc.h). */
#include "alloc.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>
#include <pthread.h>
#endif

static void oom(size_t n)
{
	fprintf(stderr, "tboard: out of memory (allocating %zu bytes)\n", n);
	abort();
}

void *tb_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *tb_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		oom(count * size);
	return p;
}

void *tb_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

void *tb_xgrow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 8;
	while (c < need) {
		if (c > ((size_t)-1) / 2 / size)
			oom((size_t)-1);
		c *= 2;
	}
	p = tb_xrealloc(p, c * size);
	*cap = c;
	return p;
}

char *tb_xstrdup(const char *s)
{
	return tb_xstrndup(s, strlen(s));
}

char *tb_xstrndup(const char *s, size_t n)
{
	char *d = tb_xmalloc(n + 1);
	if (n)
		memcpy(d, s, n);
	d[n] = 0;
	return d;
}

char *tb_xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		oom(0);
	char *s = tb_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

/* Warming needs glibc's heap (ASan's allocator has no thresholds and would
 * only quarantine the block) and Linux 5.14's MADV_POPULATE_WRITE; both
 * functions do nothing without them. */
#if defined(__SANITIZE_ADDRESS__)
#define TB_NO_HEAP_WARM
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TB_NO_HEAP_WARM
#endif
#endif

#if defined(__GLIBC__) && defined(MADV_POPULATE_WRITE) && !defined(TB_NO_HEAP_WARM)
/* Blocks up to this size come from the heap, and a free top of the heap up
 * to twice that is kept: where glibc's own dynamic thresholds go once a
 * block of this size has been freed, fixed from the start. */
#define HEAP_BLOCK_MAX ((size_t)2 << 20)

static void set_thresholds(void)
{
	mallopt(M_MMAP_THRESHOLD, (int)HEAP_BLOCK_MAX);
	mallopt(M_TRIM_THRESHOLD, (int)(2 * HEAP_BLOCK_MAX));
}

int tb_prefault(void *p, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t a = ((uintptr_t)p + page - 1) & ~(uintptr_t)(page - 1);
	uintptr_t end = ((uintptr_t)p + n) & ~(uintptr_t)(page - 1);
	return end > a && madvise((void *)a, end - a, MADV_POPULATE_WRITE) == 0;
}

int tb_heap_warm(size_t bytes)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, set_thresholds);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	if (bytes > HEAP_BLOCK_MAX - 2 * page)
		bytes = HEAP_BLOCK_MAX - 2 * page;
	char *p = malloc(bytes + page);
	if (!p)
		return 0;
	int ok = tb_prefault(p, bytes + page);
	free(p); /* back to the top of the heap, its pages now present */
	return ok;
}
#else
int tb_prefault(void *p, size_t n)
{
	(void)p;
	(void)n;
	return 0;
}

int tb_heap_warm(size_t bytes)
{
	(void)bytes;
	return 0;
}
#endif
