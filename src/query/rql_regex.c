/* PCRE2 behind tb_rql_regex. Limits: 100,000 match-function calls, a
 * backtracking depth of 10,000 and 8 MiB of backtracking heap per match,
 * far above what a name or value of a few hundred bytes needs with any
 * sane pattern, and far below what lets one request take the server. No
 * JIT: its limits are counted differently and subjects are short. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/alloc.h"
#include "common/error.h"
#include "rql_regex.h"

#define MATCH_LIMIT 100000
#define DEPTH_LIMIT 10000
#define HEAP_LIMIT_KIB 8192

struct tb_rql_regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
	size_t groups;
};

int tb_rql_regex_new(tb_rql_regex **out, const char *pat, size_t n, char *err, size_t errlen,
		     size_t *erroff)
{
	*out = NULL;
	*erroff = 0;
	if (n > TB_RQL_REGEX_MAX) {
		snprintf(err, errlen, "pattern longer than %d bytes", TB_RQL_REGEX_MAX);
		return TB_EINVAL;
	}
	int code;
	PCRE2_SIZE off;
	pcre2_code *c = pcre2_compile((PCRE2_SPTR)pat, n, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
				      &code, &off, NULL);
	if (!c) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(code, msg, sizeof msg);
		snprintf(err, errlen, "%s", (const char *)msg);
		*erroff = off;
		return TB_EINVAL;
	}
	tb_rql_regex *re = tb_xcalloc(1, sizeof *re);
	re->code = c;
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->mctx)
		abort(); /* out of memory, as tb_xmalloc */
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mctx, HEAP_LIMIT_KIB);
	uint32_t groups = 0;
	pcre2_pattern_info(c, PCRE2_INFO_CAPTURECOUNT, &groups);
	re->groups = groups;
	*out = re;
	return 0;
}

void tb_rql_regex_free(tb_rql_regex *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re);
}

size_t tb_rql_regex_groups(const tb_rql_regex *re)
{
	return re->groups;
}

int tb_rql_regex_match(const tb_rql_regex *re, const char *s, size_t n, size_t *ov, size_t max)
{
	pcre2_match_data *md = pcre2_match_data_create((uint32_t)re->groups + 1, NULL);
	if (!md)
		abort();
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, md, re->mctx);
	int ret;
	if (rc >= 0) {
		PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
		uint32_t have = pcre2_get_ovector_count(md);
		for (size_t i = 0; i < 2 * max; i++)
			ov[i] =
			    i < 2 * (size_t)have && v[i] != PCRE2_UNSET ? (size_t)v[i] : SIZE_MAX;
		ret = 1;
	} else if (rc == PCRE2_ERROR_NOMATCH) {
		ret = 0;
	} else {
		ret = TB_EINVAL; /* a limit, or a subject PCRE2 refuses */
	}
	pcre2_match_data_free(md);
	return ret;
}
