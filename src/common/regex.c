/* tb_regex on PCRE2 (see regex.h). Patterns are compiled in UTF mode with
 * PCRE2_MATCH_INVALID_UTF, so tags that are not valid UTF-8 are matched
 * rather than refused, and without UCP, so \d and \w stay ASCII as in the
 * earlier POSIX implementation. Each match allocates its own match data,
 * which keeps tb_regex immutable and shareable between request threads. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "regex.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>

#include "error.h"

/* Backtracking steps and nesting per match: ample for real tag patterns
 * (thousands of steps), a few milliseconds for a hostile one. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 2000

struct tb_regex {
	pcre2_code *code;
	pcre2_match_context *mctx;
};

int tb_regex_new(tb_regex **out, const char *pattern, size_t len, int mode, char *err,
		 size_t errlen)
{
	*out = NULL;
	if (len > TB_REGEX_MAX_LEN) {
		if (err && errlen)
			snprintf(err, errlen, "pattern longer than %d bytes", TB_REGEX_MAX_LEN);
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
			snprintf(err, errlen, "%s at position %zu", (const char *)msg,
				 (size_t)offset);
		}
		rc = TB_EINVAL;
		goto out;
	}
	re->mctx = pcre2_match_context_create(NULL);
	if (!re->mctx)
		goto out;
	pcre2_set_match_limit(re->mctx, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, DEPTH_LIMIT);
	*out = re;
	re = NULL;
	rc = 0;
out:
	tb_regex_free(re);
	return rc;
}

int tb_regex_match(const tb_regex *re, const char *subject, size_t len)
{
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	if (!md)
		return 0;
	int n = pcre2_match(re->code, (PCRE2_SPTR)subject, len, 0, 0, md, re->mctx);
	pcre2_match_data_free(md);
	return n >= 0;
}

void tb_regex_free(tb_regex *re)
{
	if (!re)
		return;
	pcre2_code_free(re->code);
	pcre2_match_context_free(re->mctx);
	free(re);
}
