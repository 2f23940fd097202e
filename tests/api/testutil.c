/* See testutil.h. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "record/rec_writer.h"

double tb_test_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int tb_test_tmpdir(char *out, size_t n, const char *prefix)
{
	const char *base = getenv("TMPDIR");
	int len = snprintf(out, n, "%s/%sXXXXXX", base && *base ? base : "/tmp", prefix);
	if (len < 0 || (size_t)len >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return mkdtemp(out) ? 0 : -1;
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int tb_test_rmtree(const char *path)
{
	return nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

int tb_test_put_record(FILE *f, const void *payload, size_t len)
{
	unsigned char *rec = malloc(len + TB_REC_OVERHEAD);
	if (!rec)
		return -1;
	size_t n = tb_rec_frame(rec, payload, len);
	int rc = fwrite(rec, 1, n, f) == n ? 0 : -1;
	free(rec);
	return rc;
}

int tb_test_count_fds(pid_t pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 2;
}
