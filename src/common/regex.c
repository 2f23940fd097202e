/* tb_regex on PCRE2 (see regex.h). Patterns are compiled in UTF mode with
 * PCRE2_MATCH_INVALID_UTF, so tags that are not valid UTF-8 are matched
 * rather than refused, and without UCP, so \d and \w stay ASCII as in the
 * earlier POSIX implementation. Each match allocates its own match data,
 * which keeps tb_regex immutable and shareable between request threads. No
 * JIT: its limits are counted differently and subjects are short. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"

/* Per match: backtracking steps, nesting, and backtracking heap. Ample for
 * real tag, run and hparam patterns (thousands of steps), a few
 * milliseconds for a hostile one. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 2000
#define HEAP_LIMIT_KIB 8192

struct tb_regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
	size_t groups;
};

int tb_regex_new(tb_regex **out, const char *pattern, size_t len, int mode, char *err,
		 size_t errlen, size_t *erroff)
{
	*out = NULL;
	if (erroff)
		*erroff = 0;
	if (len > TB_REGEX_MAX_LEN) {
		if (err && errlen)
			snprintf(err, errlen, "pattern longer than %d bytes", TB_REGEX_MAX_LEN);
		if (erroff)
			*erroff = TB_REGEX_MAX_LEN;
		return TB_EINVAL;
	}
	tb_regex *re = calloc(1, sizeof *re);
	if (!re)
		return TB_ENOMEM;
	int rc = TB_ENOMEM;
	int code;
	PCRE2_SIZE offset;
	uint32_t opts = PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_NEVER_BACKSLASH_C;
	if (mode == TB_REGEX_ANCHORED)
		opts |= PCRE2_ANCHORED;
	re->code = pcre2_compile((PCRE2_SPTR)pattern, len, opts, &code, &offset, NULL);
	if (!re->code) {
		if (code == PCRE2_ERROR_NOMEMORY)
			goto out;
		if (err && errlen) {
			PCRE2_UCHAR msg[160];
			pcre2_get_error_message(code, msg, sizeof msg);
			snprintf(err, errlen, "%s", (const char *)msg);
		}
		if (erroff)
			*erroff = offset;
		rc = TB_EINVAL;
		goto out;
	}
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->mctx)
		goto out;
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mctx, HEAP_LIMIT_KIB);
	uint32_t groups = 0;
	pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &groups);
	re->groups = groups;
	*out = re;
	re = NULL;
	rc = 0;
out:
	tb_regex_free(re);
	return rc;
}

size_t tb_regex_groups(const tb_regex *re)
{
	return re->groups;
}

int tb_regex_exec(const tb_regex *re, const char *subject, size_t len, size_t *ov, size_t max)
{
	pcre2_match_data *md = pcre2_match_data_create((uint32_t)re->groups + 1, NULL);
	if (!md)
		return TB_EINVAL;
	int n = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, re->mctx);
	int rc;
	if (n >= 0) {
		PCRE2_SIZE *v = pcre2_get_ovector_pointer(md);
		size_t have = 2 * (size_t)pcre2_get_ovector_count(md);
		for (size_t i = 0; i < 2 * max; i++)
			ov[i] = i < have && v[i] != PCRE2_UNSET ? (size_t)v[i] : SIZE_MAX;
		rc = 1;
	} else if (n == PCRE2_ERROR_NOMATCH) {
		rc = 0;
	} else {
		rc = TB_EINVAL; /* a limit, or out of memory */
	}
	pcre2_match_data_free(md);
	return rc;
}

int tb_regex_match(const tb_regex *re, const char *subject, size_t len)
{
	return tb_regex_exec(re, subject, len, NULL, 0) == 1;
}

void tb_regex_free(tb_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	pcre2_match_context_free(re->mctx);
	free(re);
}
