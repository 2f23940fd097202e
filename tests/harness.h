/* A tiny test harness: CHECK macros and a runner that prints one line per
 * failure and a closing "N passed, N failed" line. Each test file defines
 * static void test_x(void) functions and a main() that calls TB_RUN(test_x)
 * for each, then returns tb_test_finish(). */
#ifndef TB_HARNESS_H
#define TB_HARNESS_H

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int tb__failed_checks;
static int tb__tests_passed, tb__tests_failed;

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
			tb__failed_checks++;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_INT(a, b)                                                                            \
	do {                                                                                       \
		long long tb__a = (long long)(a), tb__b = (long long)(b);                          \
		if (tb__a != tb__b) {                                                              \
			fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__,      \
				__LINE__, #a, tb__a, #b, tb__b);                                   \
			tb__failed_checks++;                                                       \
		}                                                                                  \
	} while (0)

#define CHECK_STR(a, b)                                                                            \
	do {                                                                                       \
		const char *tb__a = (a), *tb__b = (b);                                             \
		if (!tb__a || !tb__b || strcmp(tb__a, tb__b) != 0) {                               \
			fprintf(stderr, "%s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__,        \
				__LINE__, #a, tb__a ? tb__a : "(null)", tb__b ? tb__b : "(null)"); \
			tb__failed_checks++;                                                       \
		}                                                                                  \
	} while (0)

#define TB_RUN(fn)                                                                                 \
	do {                                                                                       \
		int tb__before = tb__failed_checks;                                                \
		fn();                                                                              \
		if (tb__failed_checks == tb__before) {                                             \
			tb__tests_passed++;                                                        \
		} else {                                                                           \
			tb__tests_failed++;                                                        \
			fprintf(stderr, "FAIL %s\n", #fn);                                         \
		}                                                                                  \
	} while (0)

static inline int tb_test_finish(void)
{
	printf("%d passed, %d failed\n", tb__tests_passed, tb__tests_failed);
	return tb__tests_failed ? 1 : 0;
}

#endif
