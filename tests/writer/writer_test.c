/* Tests for src/writer/writer.c through the public API: file naming, the
 * first record, byte-exact scalar records (spec FORMAT.md 3.6, 3.7, 15),
 * buffering, several writers and threads, and hostile input. Files are
 * re-read record by record with both CRCs checked. */
#include "../harness.h"
#include "../api/testutil.h"

#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/crc32c.h"
#include "tboard/writer.h"
#include "../proto/worked_records.h"
#include "wutil.h"

/* A file's records, each a malloc'd payload. */
typedef struct records {
	uint8_t *rec[20000];
	size_t len[20000];
	size_t n;
	int bad;      /* framing or CRC errors seen */
	size_t trail; /* bytes after the last whole record */
} records;

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void read_records(records *r, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *all = NULL;
	long size;
	size_t off = 0;

	memset(r, 0, sizeof *r);
	if (!f) {
		r->bad++;
		return;
	}
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	all = malloc((size_t)size + 1);
	if (fread(all, 1, (size_t)size, f) != (size_t)size)
		r->bad++;
	fclose(f);
	while ((size_t)size - off >= 12 && r->n < 20000) {
		uint64_t len = (uint64_t)le32(all + off) | (uint64_t)le32(all + off + 4) << 32;
		if (tb_crc32c_mask(tb_crc32c(all + off, 8)) != le32(all + off + 8)) {
			r->bad++;
			break;
		}
		if ((size_t)size - off - 12 < len + 4)
			break;
		if (tb_crc32c_mask(tb_crc32c(all + off + 12, len)) != le32(all + off + 12 + len))
			r->bad++;
		r->rec[r->n] = malloc(len ? len : 1);
		memcpy(r->rec[r->n], all + off + 12, len);
		r->len[r->n++] = len;
		off += 16 + len;
	}
	r->trail = (size_t)size - off;
	free(all);
}

static void free_records(records *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->rec[i]);
	r->n = 0;
}

static records recs; /* large: keep it off the stack */

static long file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static char tmpdir[4096];

static const char *make_tmpdir(void)
{
	if (tb_test_tmpdir(tmpdir, sizeof tmpdir, "tb_writer_test.") != 0)
		tmpdir[0] = '\0';
	return tmpdir;
}

static void remove_tmpdir(void)
{
	if (tmpdir[0])
		tb_test_rmtree(tmpdir);
}

static const char legacy_366[] = TB_WORKED_LEGACY_LOSS;
static const char tf2_377[] = TB_WORKED_TF2_LOSS;
static const char tf2_accuracy_15[] = TB_WORKED_TF2_ACCURACY;

static int rec_is(const records *r, size_t i, const char *bytes, size_t n)
{
	return i < r->n && r->len[i] == n && memcmp(r->rec[i], bytes, n) == 0;
}

static void test_writer__file_name(void)
{
	char dir[4200], expect[4400], host[256] = "";
	tb_writer_opts o;
	tb_writer *w = NULL;
	const char *path, *base;

	snprintf(dir, sizeof dir, "%s/naming", tmpdir);
	tb_writer_opts_init(&o);
	o.filename_suffix = ".v2";
	CHECK_INT(tb_writer_open(&w, dir, &o), TB_OK);
	path = tb_writer_path(w);
	CHECK(path != NULL);
	if (!path)
		goto out;
	CHECK(strncmp(path, dir, strlen(dir)) == 0 && path[strlen(dir)] == '/');
	base = path + strlen(dir) + 1;
	CHECK(strncmp(base, "events.out.tfevents.", 20) == 0);
	for (int i = 0; i < 10; i++)
		CHECK(base[20 + i] >= '0' && base[20 + i] <= '9');
	CHECK(labs(atol(base + 20) - (long)time(NULL)) < 5);
	gethostname(host, sizeof host);
	snprintf(expect, sizeof expect, ".%s.%ld.", host, (long)getpid());
	CHECK(strncmp(base + 30, expect, strlen(expect)) == 0);
	CHECK(strlen(base) > 3 && strcmp(base + strlen(base) - 3, ".v2") == 0);
	CHECK(strstr(base, "tfevents") != NULL);
out:
	CHECK_INT(tb_writer_close(w), TB_OK);
}

static void test_writer__first_record(void)
{
	char dir[4200];
	tb_writer *w = NULL;
	double wall;

	snprintf(dir, sizeof dir, "%s/first", tmpdir);
	CHECK_INT(tb_writer_open(&w, dir, NULL), TB_OK);
	/* Already on disk before any flush. */
	read_records(&recs, tb_writer_path(w));
	CHECK_INT(recs.n, 1);
	CHECK_INT(recs.bad, 0);
	CHECK_INT(recs.trail, 0);
	CHECK_INT(recs.len[0], 34);
	if (recs.n == 1 && recs.len[0] == 34) {
		CHECK(recs.rec[0][0] == 0x09);
		memcpy(&wall, recs.rec[0] + 1, 8);
		CHECK(fabs(wall - (double)time(NULL)) < 5);
		CHECK(memcmp(recs.rec[0] + 9,
			     "\x1a\x0d"
			     "brain.Event:2"
			     "\x52\x08\x0a\x06"
			     "tboard",
			     25) == 0);
	}
	free_records(&recs);
	CHECK_INT(tb_writer_close(w), TB_OK);
}

/* Write the values of the worked records (tag "loss": 0.25 at step 1,
 * "accuracy": 0.99 at step 77) of the n tags in order with scalar
 * encoding enc into tmpdir/name, then read the file into recs: the
 * file_version and n records, all whole. */
static void write_worked(const char *name, int enc, const char *const *tags, size_t n)
{
	char path[4400];
	tb_writer *w = wu_open(path, sizeof path, tmpdir, name, 0, enc);

	CHECK(w != NULL);
	for (size_t i = 0; i < n; i++) {
		int acc = strcmp(tags[i], "accuracy") == 0;
		CHECK_INT(tb_writer_add_scalar(w, tags[i], acc ? 0.99 : 0.25, acc ? 77 : 1,
					       acc ? 1599759606.859727 : 1700000001.5),
			  TB_OK);
	}
	CHECK_INT(tb_writer_close(w), TB_OK);
	read_records(&recs, path);
	CHECK_INT(recs.n, n + 1);
	CHECK_INT(recs.bad, 0);
}

static void test_writer__tf2_records_byte_exact(void)
{
	write_worked("tf2", TB_SCALAR_TENSOR, (const char *const[]){"loss", "accuracy", "loss"}, 3);
	CHECK(rec_is(&recs, 1, tf2_377, sizeof tf2_377 - 1));
	CHECK(rec_is(&recs, 2, tf2_accuracy_15, sizeof tf2_accuracy_15 - 1));
	/* The second "loss" value has no metadata: 13 bytes shorter. */
	CHECK_INT(recs.len[3], sizeof tf2_377 - 1 - 13);
	CHECK(recs.n == 4 && memcmp(recs.rec[3], tf2_377, 11) == 0);
	free_records(&recs);
}

static void test_writer__legacy_record_byte_exact(void)
{
	write_worked("legacy", TB_SCALAR_SIMPLE_VALUE, (const char *const[]){"loss", "loss"}, 2);
	CHECK(rec_is(&recs, 1, legacy_366, sizeof legacy_366 - 1));
	CHECK(rec_is(&recs, 2, legacy_366, sizeof legacy_366 - 1));
	free_records(&recs);
}

static void test_writer__buffering_and_flush(void)
{
	char path[4400];
	tb_writer *w = wu_open(path, sizeof path, tmpdir, "buffer", 4, TB_SCALAR_SIMPLE_VALUE);
	long first;

	CHECK(w != NULL);
	first = file_size(path);
	CHECK_INT(first, 16 + 34);
	for (int i = 0; i < 3; i++)
		CHECK_INT(tb_writer_add_scalar(w, "loss", 0.25, 1, 1700000001.5), TB_OK);
	CHECK_INT(file_size(tb_writer_path(w)), first); /* still queued */
	CHECK_INT(tb_writer_add_scalar(w, "loss", 0.25, 1, 1700000001.5), TB_OK);
	CHECK_INT(file_size(tb_writer_path(w)), first + 4 * 42); /* queue full */
	CHECK_INT(tb_writer_add_scalar(w, "loss", 0.25, 1, 1700000001.5), TB_OK);
	CHECK_INT(file_size(tb_writer_path(w)), first + 4 * 42);
	CHECK_INT(tb_writer_flush(w), TB_OK);
	CHECK_INT(file_size(tb_writer_path(w)), first + 5 * 42);
	CHECK_INT(tb_writer_flush(w), TB_OK); /* nothing queued */
	CHECK_INT(file_size(tb_writer_path(w)), first + 5 * 42);
	CHECK_INT(tb_writer_close(w), TB_OK);
}

static void test_writer__flush_secs_elapsed(void)
{
	char dir[4200];
	tb_writer_opts o;
	tb_writer *w = NULL;

	snprintf(dir, sizeof dir, "%s/flushsecs", tmpdir);
	tb_writer_opts_init(&o);
	o.max_queue = 1000;
	o.flush_secs = 1e-9;
	o.scalar_encoding = TB_SCALAR_SIMPLE_VALUE;
	CHECK_INT(tb_writer_open(&w, dir, &o), TB_OK);
	usleep(50000); /* the timer may use a clock with a few ms resolution */
	CHECK_INT(tb_writer_add_scalar(w, "loss", 0.25, 1, 1700000001.5), TB_OK);
	CHECK_INT(file_size(tb_writer_path(w)), 50 + 42);
	CHECK_INT(tb_writer_close(w), TB_OK);
}

static void test_writer__distinct_files_in_one_process(void)
{
	char dir[4200];
	tb_writer *w[5] = {0};

	snprintf(dir, sizeof dir, "%s/many", tmpdir);
	for (int i = 0; i < 5; i++)
		CHECK_INT(tb_writer_open(&w[i], dir, NULL), TB_OK);
	for (int i = 0; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			CHECK(w[i] && w[j] &&
			      strcmp(tb_writer_path(w[i]), tb_writer_path(w[j])) != 0);
	for (int i = 0; i < 5; i++) {
		CHECK_INT(tb_writer_add_scalar(w[i], "x", i, i, 0), TB_OK);
		CHECK_INT(tb_writer_close(w[i]), TB_OK);
	}
}

static void test_writer__many_records_all_valid(void)
{
	char path[4400];
	/* nested, trailing '/' */
	tb_writer *w = wu_open(path, sizeof path, tmpdir, "bulk/a/b/", 7, TB_SCALAR_TENSOR);
	const int n = 15000;

	CHECK(w != NULL);
	CHECK(strstr(path, "//") == NULL);
	for (int i = 0; i < n; i++) {
		char tag[32];
		snprintf(tag, sizeof tag, "group_%d/tag_%d", i % 5, i % 11);
		CHECK_INT(tb_writer_add_scalar(w, tag, i * 0.5, i, 1700000000.0 + i), TB_OK);
	}
	{
		/* Over 127 bytes: nested lengths become two bytes wide. */
		char long_tag[300];
		memset(long_tag, 'L', sizeof long_tag - 1);
		long_tag[sizeof long_tag - 1] = '\0';
		CHECK_INT(tb_writer_add_scalar(w, long_tag, 1, 1, 0), TB_OK);
	}
	CHECK_INT(tb_writer_close(w), TB_OK);
	read_records(&recs, path);
	CHECK_INT(recs.n, n + 2);
	CHECK_INT(recs.bad, 0);
	CHECK_INT(recs.trail, 0);
	free_records(&recs);
}

static tb_writer *shared_writer;

static void *add_many(void *arg)
{
	long id = (long)arg;
	char tag[32];
	snprintf(tag, sizeof tag, "thread_%ld", id);
	for (int i = 0; i < 2000; i++)
		if (tb_writer_add_scalar(shared_writer, tag, i, i, 0) != TB_OK)
			return (void *)1;
	return NULL;
}

static void test_writer__threads_share_a_writer(void)
{
	char dir[4200], path[4400];
	pthread_t t[4];
	int metadata = 0;

	snprintf(dir, sizeof dir, "%s/threads", tmpdir);
	CHECK_INT(tb_writer_open(&shared_writer, dir, NULL), TB_OK);
	snprintf(path, sizeof path, "%s", tb_writer_path(shared_writer));
	for (long i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, add_many, (void *)i);
	for (int i = 0; i < 4; i++) {
		void *res;
		pthread_join(t[i], &res);
		CHECK(res == NULL);
	}
	CHECK_INT(tb_writer_close(shared_writer), TB_OK);
	read_records(&recs, path);
	CHECK_INT(recs.n, 1 + 4 * 2000);
	CHECK_INT(recs.bad, 0);
	for (size_t i = 1; i < recs.n; i++)
		if (recs.len[i] > 7 && memmem(recs.rec[i], recs.len[i], "scalars", 7))
			metadata++;
	CHECK_INT(metadata, 4); /* once per tag */
	free_records(&recs);
}

/* The float bytes of the value in a legacy record written with tag "v". */
static int legacy_value_bits(const records *r, size_t i, uint32_t *out)
{
	const uint8_t *p = r->rec[i];
	size_t n = r->len[i];
	if (n < 5 || p[n - 5] != 0x15)
		return 0;
	*out = le32(p + n - 4);
	return 1;
}

static void test_writer__hostile_input(void)
{
	char path[4400];
	tb_writer *w = wu_open(path, sizeof path, tmpdir, "hostile", 0, TB_SCALAR_SIMPLE_VALUE);
	uint32_t bits;
	double wall;

	CHECK(w != NULL);

	CHECK_INT(tb_writer_add_scalar(w, NULL, 1, 1, 0), TB_EINVAL);
	CHECK(tb_writer_errmsg(w)[0] != '\0');
	CHECK_INT(tb_writer_add_scalar(w, "", 1, 1, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_scalar(w, "bad\xff", 1, 1, 0), TB_EINVAL);
	CHECK_INT(tb_writer_add_scalar(w, "\xc0\xaf", 1, 1, 0), TB_EINVAL);	/* overlong */
	CHECK_INT(tb_writer_add_scalar(w, "\xed\xa0\x80", 1, 1, 0), TB_EINVAL); /* surrogate */
	CHECK_INT(tb_writer_add_scalar(w, "\xe2\x82", 1, 1, 0), TB_EINVAL);	/* cut short */
	CHECK_INT(tb_writer_add_scalar(NULL, "v", 1, 1, 0), TB_EINVAL);
	CHECK_INT(tb_writer_flush(NULL), TB_EINVAL);

	CHECK_INT(tb_writer_add_scalar(w, "v", NAN, 1, 1700000001.5), TB_OK);
	CHECK_INT(tb_writer_add_scalar(w, "v", INFINITY, 2, 1700000001.5), TB_OK);
	CHECK_INT(tb_writer_add_scalar(w, "v", -INFINITY, 3, 1700000001.5), TB_OK);
	CHECK_INT(tb_writer_add_scalar(w, "v", 1e300, 4, 1700000001.5), TB_OK);
	CHECK_INT(tb_writer_add_scalar(w, "v", 1, -1, NAN), TB_OK); /* wall: now */
	CHECK_INT(tb_writer_add_scalar(w, "v", 1, INT64_MAX, INFINITY), TB_OK);
	CHECK_INT(tb_writer_add_scalar(w, "caf\xc3\xa9/\xf0\x9f\x93\x88", 1, 1, -5), TB_OK);
	CHECK_INT(tb_writer_close(w), TB_OK);

	read_records(&recs, path);
	CHECK_INT(recs.n, 8);
	CHECK_INT(recs.bad, 0);
	if (recs.n == 8) {
		CHECK(legacy_value_bits(&recs, 1, &bits) && (bits & 0x7f800000u) == 0x7f800000u &&
		      (bits & 0x7fffffu) != 0); /* NaN */
		CHECK(legacy_value_bits(&recs, 2, &bits) && bits == 0x7f800000u);
		CHECK(legacy_value_bits(&recs, 3, &bits) && bits == 0xff800000u);
		CHECK(legacy_value_bits(&recs, 4, &bits) && bits == 0x7f800000u);
		memcpy(&wall, recs.rec[5] + 1, 8);
		CHECK(fabs(wall - (double)time(NULL)) < 5);
		CHECK(memcmp(recs.rec[5] + 9, "\x10\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11) ==
		      0);
		memcpy(&wall, recs.rec[6] + 1, 8);
		CHECK(fabs(wall - (double)time(NULL)) < 5);
		memcpy(&wall, recs.rec[7] + 1, 8);
		CHECK(fabs(wall - (double)time(NULL)) < 5);
	}
	free_records(&recs);
}

static void test_writer__bad_open_arguments(void)
{
	char file[4200], under[4300];
	tb_writer_opts o;
	tb_writer *w = (tb_writer *)&o; /* must be reset to NULL on failure */
	FILE *f;

	CHECK_INT(tb_writer_close(NULL), TB_OK);
	CHECK(tb_writer_path(NULL) == NULL);
	CHECK_INT(tb_writer_open(NULL, tmpdir, NULL), TB_EINVAL);
	CHECK(tb_writer_errmsg(NULL)[0] != '\0');
	CHECK_INT(tb_writer_open(&w, NULL, NULL), TB_EINVAL);
	CHECK_INT(tb_writer_open(&w, "", NULL), TB_EINVAL);
	CHECK(w == NULL);

	tb_writer_opts_init(&o);
	o.filename_suffix = "/escape";
	CHECK_INT(tb_writer_open(&w, tmpdir, &o), TB_EINVAL);
	tb_writer_opts_init(&o);
	o.scalar_encoding = 7;
	CHECK_INT(tb_writer_open(&w, tmpdir, &o), TB_EINVAL);
	CHECK(w == NULL);

	/* A log directory below a regular file cannot be created. */
	snprintf(file, sizeof file, "%s/plainfile", tmpdir);
	f = fopen(file, "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	snprintf(under, sizeof under, "%s/sub/dir", file);
	w = (tb_writer *)&o;
	CHECK_INT(tb_writer_open(&w, under, NULL), TB_EIO);
	CHECK(w == NULL);
	CHECK(strstr(tb_writer_errmsg(NULL), "plainfile") != NULL);
	/* The regular file itself is not a directory either. */
	CHECK_INT(tb_writer_open(&w, file, NULL), TB_EIO);
	CHECK(strstr(tb_writer_errmsg(NULL), "directory") != NULL);
	/* A zeroed opts struct means defaults. */
	memset(&o, 0, sizeof o);
	CHECK_INT(tb_writer_open(&w, tmpdir, &o), TB_OK);
	CHECK_STR(tb_writer_errmsg(NULL), "");
	CHECK_STR(tb_writer_errmsg(w), "");
	CHECK_INT(tb_writer_close(w), TB_OK);
}

static void test_writer__write_error_keeps_writer_usable(void)
{
	char path[4400];
	tb_writer *w = wu_open(path, sizeof path, tmpdir, "fsize", 1000, TB_SCALAR_SIMPLE_VALUE);
	struct rlimit old;
	long before;
	int rc = TB_OK;

	CHECK(w != NULL);
	before = file_size(path);
	for (int i = 0; i < 100; i++)
		CHECK_INT(tb_writer_add_scalar(w, "loss", 0.25, 1, 1700000001.5), TB_OK);

	/* Let the file grow by 1000 bytes only: a short write, then EFBIG. */
	if (wu_limit_file_size(&old, (rlim_t)before + 1000) == 0) {
		rc = tb_writer_flush(w);
		setrlimit(RLIMIT_FSIZE, &old);
		CHECK_INT(rc, TB_EIO);
		CHECK(strstr(tb_writer_errmsg(w), "write") != NULL);
		CHECK_INT(file_size(path), before + 1000); /* a torn record */
	}
	/* The writer stays usable and finishes the torn record. */
	CHECK_INT(tb_writer_add_scalar(w, "loss", 0.25, 1, 1700000001.5), TB_OK);
	CHECK_INT(tb_writer_close(w), TB_OK);
	read_records(&recs, path);
	CHECK_INT(recs.n, 1 + 101);
	CHECK_INT(recs.bad, 0);
	CHECK_INT(recs.trail, 0);
	for (size_t i = 1; i < recs.n; i++)
		CHECK(rec_is(&recs, i, legacy_366, sizeof legacy_366 - 1));
	free_records(&recs);
}

static void test_writer__unwritable_directory(void)
{
	char dir[4200];
	tb_writer *w = NULL;

	if (geteuid() == 0)
		return; /* root ignores permissions */
	snprintf(dir, sizeof dir, "%s/readonly", tmpdir);
	CHECK_INT(mkdir(dir, 0500), 0);
	CHECK_INT(tb_writer_open(&w, dir, NULL), TB_EIO);
	CHECK(strstr(tb_writer_errmsg(NULL), "readonly") != NULL);
	chmod(dir, 0700);
}

int main(void)
{
	if (!make_tmpdir()[0]) {
		fprintf(stderr, "cannot create a temporary directory\n");
		return 1;
	}
	TB_RUN(test_writer__file_name);
	TB_RUN(test_writer__first_record);
	TB_RUN(test_writer__tf2_records_byte_exact);
	TB_RUN(test_writer__legacy_record_byte_exact);
	TB_RUN(test_writer__buffering_and_flush);
	TB_RUN(test_writer__flush_secs_elapsed);
	TB_RUN(test_writer__distinct_files_in_one_process);
	TB_RUN(test_writer__many_records_all_valid);
	TB_RUN(test_writer__threads_share_a_writer);
	TB_RUN(test_writer__hostile_input);
	TB_RUN(test_writer__bad_open_arguments);
	TB_RUN(test_writer__write_error_keeps_writer_usable);
	TB_RUN(test_writer__unwritable_directory);
	remove_tmpdir();
	return tb_test_finish();
}
