/* Aborting allocators for the server (see alloc.h). */
#include "alloc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
