/* The dashboards' regex helper (common/regex): Python-like syntax, the two
 * modes, bounded compile and match on hostile patterns. */
#include <string.h>
#include <time.h>

#include "../api/testutil.h"
#include "../harness.h"
#include "common/error.h"
#include "common/regex.h"

static int matches(const char *pat, int mode, const char *subject)
{
	tb_regex *re;
	if (tb_regex_new(&re, pat, strlen(pat), mode, NULL, 0, NULL) != 0)
		return -1;
	int m = tb_regex_match(re, subject, strlen(subject));
	tb_regex_free(re);
	return m;
}


static void test_regex__modes(void)
{
	CHECK_INT(matches("oss", TB_REGEX_SEARCH, "loss"), 1);
	CHECK_INT(matches("oss", TB_REGEX_ANCHORED, "loss"), 0);
	CHECK_INT(matches("lo", TB_REGEX_ANCHORED, "loss"), 1);
	CHECK_INT(matches("^loss$", TB_REGEX_ANCHORED, "loss/x"), 0);
	CHECK_INT(matches("", TB_REGEX_SEARCH, "anything"), 1);
}

static void test_regex__python_syntax(void)
{
	CHECK_INT(matches("layer_\\d/", TB_REGEX_ANCHORED, "layer_3/w"), 1);
	CHECK_INT(matches("(?:lo|ac)c?", TB_REGEX_ANCHORED, "acc"), 1);
	CHECK_INT(matches("(?P<x>a)(?P=x)", TB_REGEX_SEARCH, "baab"), 1);
	CHECK_INT(matches("lo{x}", TB_REGEX_SEARCH, "lo{x}"), 1); /* literal brace */
	CHECK_INT(matches("a(?=b)", TB_REGEX_SEARCH, "ab"), 1);
	CHECK_INT(matches("\\d", TB_REGEX_SEARCH, "\xd9\xa3"), 0); /* ASCII digits only */
}

static void test_regex__invalid(void)
{
	const char *bad[] = {"(", ")", "a)", "[", "[a-", "*a", "\\", "a{99999}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		tb_regex *re = (tb_regex *)1;
		char err[128] = "";
		CHECK_INT(
		    tb_regex_new(&re, bad[i], strlen(bad[i]), TB_REGEX_SEARCH, err, sizeof err, NULL),
		    TB_EINVAL);
		CHECK(re == NULL);
		CHECK(err[0] != '\0');
	}
	char long_pat[TB_REGEX_MAX_LEN + 2];
	memset(long_pat, 'a', sizeof long_pat - 1);
	long_pat[sizeof long_pat - 1] = '\0';
	tb_regex *re;
	CHECK_INT(tb_regex_new(&re, long_pat, strlen(long_pat), TB_REGEX_SEARCH, NULL, 0, NULL),
		  TB_EINVAL);
	tb_regex_free(NULL);
}

/* Exponential for a plain backtracking matcher; the match limit stops each
 * within milliseconds and the answer is "no match". */
static void test_regex__catastrophic_bounded(void)
{
	char subject[4001];
	memset(subject, 'a', sizeof subject - 1);
	subject[sizeof subject - 1] = '\0';
	const char *slow[] = {"(a*)*b",	    "(a|aa)*b", "(a+)+$x",	  "(.*a){20}b",
			      "((a|a)*)*z", "(a|a?)+b", "([a-z]+)*[0-9]", "(a|a)*\\1b"};
	for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++) {
		tb_regex *re;
		CHECK_INT(tb_regex_new(&re, slow[i], strlen(slow[i]), TB_REGEX_SEARCH, NULL, 0, NULL), 0);
		double t0 = tb_test_now();
		CHECK_INT(tb_regex_match(re, subject, strlen(subject)), 0);
		double secs = tb_test_now() - t0;
		if (secs > 1.0) {
			fprintf(stderr, "%s took %.2f s\n", slow[i], secs);
			CHECK(0);
		}
		tb_regex_free(re);
	}
}

/* Subjects need not be UTF-8 or NUL-free. */
static void test_regex__bytes(void)
{
	tb_regex *re;
	CHECK_INT(tb_regex_new(&re, "a.b", 3, TB_REGEX_ANCHORED, NULL, 0, NULL), 0);
	CHECK_INT(tb_regex_match(re, "a\0b", 3), 1);
	CHECK_INT(tb_regex_match(re,
				 "a\xff"
				 "b",
				 3),
		  0);
	tb_regex_free(re);
	CHECK_INT(tb_regex_new(&re, "x", 1, TB_REGEX_SEARCH, NULL, 0, NULL), 0);
	CHECK_INT(tb_regex_match(re, "\xff\xfex", 3), 1);
	tb_regex_free(re);
}

int main(void)
{
	TB_RUN(test_regex__modes);
	TB_RUN(test_regex__python_syntax);
	TB_RUN(test_regex__invalid);
	TB_RUN(test_regex__catastrophic_bounded);
	TB_RUN(test_regex__bytes);
	return tb_test_finish();
}
