/* Regular expressions for patterns users type into dashboards (custom
 * scalars tag patterns, hparams column filters), on PCRE2, whose syntax is
 * the closest to Python's `re` that upstream evaluates them with: \d, (?:,
 * (?P<name>, lookaround, back-references and a brace that is no quantifier
 * read as a literal all mean what they mean there.
 *
 * Patterns are untrusted. Compiling is bounded by TB_REGEX_MAX_LEN bytes
 * of pattern and PCRE2's own limits; matching by a match limit and a depth
 * limit, so a pattern that backtracks catastrophically costs at most a few
 * milliseconds per subject and then counts as no match. A compiled
 * tb_regex is immutable: any number of threads may match with it at once. */
#ifndef TB_REGEX_H
#define TB_REGEX_H

#include <stddef.h>

typedef struct tb_regex tb_regex;

/* Longest pattern accepted, in bytes. */
#define TB_REGEX_MAX_LEN 1024

enum {
	TB_REGEX_SEARCH = 0,   /* anywhere in the subject (Python's re.search) */
	TB_REGEX_ANCHORED = 1, /* at its start only (Python's re.match) */
};

/* Compile the len bytes of pattern (UTF-8; subjects may be any bytes)
 * with mode TB_REGEX_SEARCH or TB_REGEX_ANCHORED. On success *out owns the
 * regex (tb_regex_free) and returns 0 (an empty pattern matches every
 * subject). Returns TB_EINVAL for a too long or invalid pattern, with a message in err (errlen
 * bytes, may be NULL), or TB_ENOMEM. */
int tb_regex_new(tb_regex **out, const char *pattern, size_t len, int mode, char *err,
		 size_t errlen);

/* 1 when re matches the len bytes of subject, 0 when it does not or when
 * matching hit the match or depth limit. Thread-safe. */
int tb_regex_match(const tb_regex *re, const char *subject, size_t len);

/* Free re. NULL is a no-op. */
void tb_regex_free(tb_regex *re);

#endif
