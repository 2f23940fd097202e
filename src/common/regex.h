/* Regular expressions for patterns users type into dashboards (custom
 * scalars tag patterns, hparams column filters), on PCRE2, whose syntax is
 * the closest to Python's `re` that upstream evaluates them with: \d, (?:,
 * (?P<name>, lookaround, back-references and a brace that is no quantifier
 * read as a literal all mean what they mean there.
 *
 * Patterns are untrusted. Compiling is bounded by TB_REGEX_MAX_LEN bytes
 * of pattern and PCRE2's own limits; matching by a match limit and a depth
 * limit, so a pattern that backtracks catastrophically costs at most a few
 * milliseconds per subject and then counts as no match (or, through
 * tb_regex_exec, as a limit reached). A compiled
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
 * subject). Returns TB_EINVAL for a too long or invalid pattern, with PCRE2's
 * message in err (errlen bytes; err may be NULL) and the byte offset in
 * pattern where compiling stopped in *erroff (erroff may be NULL), or
 * TB_ENOMEM. */
int tb_regex_new(tb_regex **out, const char *pattern, size_t len, int mode, char *err,
		 size_t errlen, size_t *erroff);

/* Number of capture groups in re's pattern. */
size_t tb_regex_groups(const tb_regex *re);

/* Search the len bytes of subject for re's first match. Returns 1 and
 * fills ov[0..2*max) with the byte offsets (start, end) of the match and
 * of its first max-1 groups (SIZE_MAX for a group that took no part), 0
 * when nothing matches, or TB_EINVAL when matching hit the match, depth or
 * heap limit first (or ran out of memory). ov may be NULL when max is 0.
 * Thread-safe. */
int tb_regex_exec(const tb_regex *re, const char *subject, size_t len, size_t *ov, size_t max);

/* 1 when re matches the len bytes of subject, 0 when it does not or when
 * matching hit a limit (tb_regex_exec tells these apart). Thread-safe. */
int tb_regex_match(const tb_regex *re, const char *subject, size_t len);

/* Free re. NULL is a no-op. */
void tb_regex_free(tb_regex *re);

#endif
