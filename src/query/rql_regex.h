/* Regular expressions for run queries and run grouping: PCRE2 with limits,
 * so a hostile pattern from a URL costs bounded time on every subject.
 *
 * A compiled expression is immutable and may be matched from many threads
 * at once (each match allocates its own match data). */
#ifndef TB_RQL_REGEX_H
#define TB_RQL_REGEX_H

#include <stddef.h>

typedef struct tb_rql_regex tb_rql_regex;

/* Longest pattern accepted, in bytes. */
#define TB_RQL_REGEX_MAX 4096

/* Compile n bytes of pattern (UTF-8; Perl syntax). Returns 0 with *out
 * set, or TB_EINVAL with a message in err (errlen bytes) and the byte
 * offset in the pattern where compiling stopped in *erroff. */
int tb_rql_regex_new(tb_rql_regex **out, const char *pat, size_t n, char *err, size_t errlen,
		     size_t *erroff);
/* NULL is a no-op. */
void tb_rql_regex_free(tb_rql_regex *re);
/* Number of capture groups in the pattern. */
size_t tb_rql_regex_groups(const tb_rql_regex *re);
/* Search subject s (n bytes) for the first match. Returns 1 and fills
 * ov[0..2*max) with byte offsets (start, end) of the match and its groups
 * (SIZE_MAX for a group that did not take part), 0 when nothing matches,
 * or TB_EINVAL when the match, depth or heap limit was reached first. ov
 * may be NULL when max is 0. */
int tb_rql_regex_match(const tb_rql_regex *re, const char *s, size_t n, size_t *ov, size_t max);

#endif
