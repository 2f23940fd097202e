/* Small things many tests need: a monotonic clock, a temporary folder and
 * removing it again, and one TFRecord appended to an event file. */
#ifndef TB_TESTUTIL_H
#define TB_TESTUTIL_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Seconds on the monotonic clock. */
double tb_test_now(void);

/* Make a new empty folder $TMPDIR/<prefix>XXXXXX (TMPDIR defaults to /tmp)
 * and write its path to out (n bytes). Returns 0, or -1 with errno set. */
int tb_test_tmpdir(char *out, size_t n, const char *prefix);

/* Remove path and everything under it, not following symbolic links.
 * Returns 0, or -1 when something could not be removed. */
int tb_test_rmtree(const char *path);

/* Append the len bytes of payload to f as one TFRecord (length, CRCs).
 * Returns 0, or -1 when writing failed. */
int tb_test_put_record(FILE *f, const void *payload, size_t len);

/* How many file descriptors process pid has open (from /proc), or -1. */
int tb_test_count_fds(pid_t pid);
#endif
