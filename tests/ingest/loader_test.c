/* Tests for src/ingest/: the loader on the damaged shared corpus
 * (edge-cases/MANIFEST.md) and on files that grow while being read. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../harness.h"
#include "common/log.h"
#include "ingest/loader.h"
#include "proto/event.h"

static int warnings;

static void count_warnings(int level, const char *msg, void *payload)
{
	(void)payload;
	if (level >= TB_LOG_WARN) {
		warnings++;
		fprintf(stderr, "  (logged) %s\n", msg);
	}
}

static char *corpus(const char *name)
{
	const char *src = getenv("TB_SOURCE_DIR");
	static char path[4096];
	snprintf(path, sizeof path, "%s/tests/corpora/%s/logdir", src ? src : ".", name);
	return path;
}

static tb_series *series(tb_store *st, const char *run, const char *tag)
{
	tb_run *r = tb_store_find_run(st, run);
	return r ? tb_run_find_series(r, tag, strlen(tag)) : NULL;
}

static void test_loader__edge_cases_corpus(void)
{
	tb_store *st = tb_store_new();
	tb_loader_source src = {NULL, corpus("edge-cases")};
	tb_loader_opts o = {&src, 1, 0, 2, 0};
	tb_loader *l = tb_loader_new(st, &o);
	warnings = 0;
	tb_log_set_hook(count_warnings, NULL);
	tb_loader_cycle(l);
	tb_log_set_hook(NULL, NULL);
	CHECK_INT(warnings, 1); /* one bit flip, one warning */
	CHECK_INT(tb_store_run_count(st), 11);

	/* every intact record of the bit-flipped file: all steps but 99 */
	tb_series *s = series(st, "crc_corrupt_middle", "loss");
	CHECK(s != NULL);
	if (s) {
		CHECK_INT(s->len, 199);
		for (size_t i = 0; i < s->len; i++)
			CHECK_INT(s->steps[i], i < 99 ? (int64_t)i : (int64_t)i + 1);
	}
	s = series(st, "truncated_tail", "loss");
	CHECK(s && s->len == 99 && s->steps[98] == 98);

	/* a restart replaces what it re-covers: one clean line */
	s = series(st, "restart_no_sessionlog", "loss");
	CHECK(s && s->len == 270);
	if (s)
		for (size_t i = 0; i < s->len; i++) {
			CHECK_INT(s->steps[i], (int64_t)i);
			CHECK((s->values[i] > 0) == (i < 120));
		}
	s = series(st, "restart_sessionlog", "loss");
	CHECK(s && s->len == 110);
	if (s)
		for (size_t i = 0; i < s->len; i++)
			CHECK(s->values[i] == (i < 50 ? (double)i : 1000.0 + (double)i));
	s = series(st, "legacy_no_file_version", "loss");
	CHECK(s && s->len == 70 && s->steps[69] == 69 && s->values[69] == 99.0);

	s = series(st, "multi_file", "loss");
	CHECK(s && s->len == 300 && s->steps[299] == 299);
	s = series(st, "huge_steps", "metric/acc");
	CHECK(s && s->len == 8 && s->steps[6] == 9007199254740993LL &&
	      s->steps[7] == 4611686018427387904LL);
	CHECK(s && s->data_class == TB_DC_SCALAR && strcmp(s->display_name, "") == 0);
	s = series(st, "huge_steps", "loss");
	CHECK(s && strcmp(s->display_name, "loss") == 0);

	tb_run *empty = tb_store_find_run(st, "empty_file");
	CHECK(empty && empty->n_series == 0 && !empty->has_start);
	CHECK(tb_store_find_run(st, "\xc3\xbc"
				    "n\xc3\xaf"
				    "c\xc3\xb6"
				    "d\xc3\xa9-run") != NULL);
	tb_loader_free(l);
	tb_store_free(st);
}

/* Frame one record around a payload (TFRecord). */
#include "common/crc32c.h"
static void frame(FILE *f, const uint8_t *p, size_t n)
{
	uint8_t hdr[12];
	for (int i = 0; i < 8; i++)
		hdr[i] = (uint8_t)((uint64_t)n >> (8 * i));
	uint32_t c = tb_crc32c_mask(tb_crc32c(hdr, 8));
	for (int i = 0; i < 4; i++)
		hdr[8 + i] = (uint8_t)(c >> (8 * i));
	uint32_t d = tb_crc32c_mask(tb_crc32c(p, n));
	uint8_t ftr[4] = {(uint8_t)d, (uint8_t)(d >> 8), (uint8_t)(d >> 16), (uint8_t)(d >> 24)};
	fwrite(hdr, 1, 12, f);
	fwrite(p, 1, n, f);
	fwrite(ftr, 1, 4, f);
}

/* Event{wall_time, step, summary{value{tag "x", simple_value v}}} */
static size_t scalar_event(uint8_t *b, int step, float v)
{
	size_t n = 0;
	double wall = 1700000000.0 + step;
	b[n++] = 0x09;
	memcpy(b + n, &wall, 8);
	n += 8;
	b[n++] = 0x10;
	b[n++] = (uint8_t)step; /* steps < 128 */
	const uint8_t sum[] = {0x2a, 0x0a, 0x0a, 0x08, 0x0a, 0x01, 'x', 0x15};
	memcpy(b + n, sum, sizeof sum);
	n += sizeof sum;
	memcpy(b + n, &v, 4);
	return n + 4;
}

static void test_loader__tails_growing_file(void)
{
	char dir[] = "/tmp/tb_loader_testXXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char path[256];
	snprintf(path, sizeof path, "%s/events.out.tfevents.1.host", dir);
	FILE *f = fopen(path, "wb");
	uint8_t ev[64];
	for (int i = 0; i < 10; i++) {
		size_t n = scalar_event(ev, i, (float)i);
		frame(f, ev, n);
	}
	/* half a record at the end: the writer is still writing */
	size_t n = scalar_event(ev, 10, 10.0f);
	long before = ftell(f);
	frame(f, ev, n);
	fflush(f);
	CHECK(ftruncate(fileno(f), before + 20) == 0);
	fseek(f, 0, SEEK_END);

	tb_store *st = tb_store_new();
	tb_loader_source src = {NULL, dir};
	tb_loader_opts o = {&src, 1, 0, 1, 0};
	tb_loader *l = tb_loader_new(st, &o);
	warnings = 0;
	tb_log_set_hook(count_warnings, NULL);
	tb_loader_cycle(l);
	tb_series *s = series(st, ".", "x");
	CHECK(s && s->len == 10);
	/* the rest of the record arrives, then more */
	CHECK(ftruncate(fileno(f), before) == 0);
	fseek(f, before, SEEK_SET);
	for (int i = 10; i < 15; i++) {
		n = scalar_event(ev, i, (float)i);
		frame(f, ev, n);
	}
	fclose(f);
	tb_loader_cycle(l);
	tb_log_set_hook(NULL, NULL);
	CHECK_INT(warnings, 0); /* a cut record is never damage */
	CHECK(s && s->len == 15 && s->steps[14] == 14);
	tb_loader_free(l);
	tb_store_free(st);
	unlink(path);
	rmdir(dir);
}

static void write_run(const char *dir, int steps)
{
	char path[512];
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/events.out.tfevents.1.host", dir);
	FILE *f = fopen(path, "wb");
	uint8_t ev[64];
	for (int i = 0; i < steps; i++)
		frame(f, ev, scalar_event(ev, i, (float)i));
	fclose(f);
}

static void test_loader__new_runs_and_logdir_spec(void)
{
	char root[] = "/tmp/tb_loader_specXXXXXX";
	CHECK(mkdtemp(root) != NULL);
	char a[256], b[256], b_sub[256];
	snprintf(a, sizeof a, "%s/a", root);
	snprintf(b, sizeof b, "%s/b", root);
	snprintf(b_sub, sizeof b_sub, "%s/b/sub", root);
	write_run(a, 3);
	mkdir(b, 0755);
	tb_store *st = tb_store_new();
	/* "x:" names a root; a spec entry without a name keeps plain names */
	tb_loader_source srcs[2] = {{"x", a}, {NULL, b}};
	tb_loader_opts o = {srcs, 2, 0, 2, 0};
	tb_loader *l = tb_loader_new(st, &o);
	tb_loader_cycle(l);
	CHECK_INT(tb_store_run_count(st), 1);
	CHECK(tb_store_find_run(st, "x/.") != NULL); /* upstream's quirk for a named root */
	/* a run that appears later is picked up by the next cycle */
	write_run(b_sub, 5);
	tb_loader_cycle(l);
	CHECK_INT(tb_store_run_count(st), 2);
	tb_series *s = series(st, "sub", "x");
	CHECK(s && s->len == 5);
	/* and one whose files are gone leaves */
	char path[512];
	snprintf(path, sizeof path, "%s/events.out.tfevents.1.host", b_sub);
	unlink(path);
	tb_loader_cycle(l);
	CHECK_INT(tb_store_run_count(st), 1);
	CHECK(tb_store_find_run(st, "sub") == NULL);
	tb_loader_free(l);
	tb_store_free(st);
	snprintf(path, sizeof path, "%s/events.out.tfevents.1.host", a);
	unlink(path);
	rmdir(b_sub);
	rmdir(b);
	rmdir(a);
	rmdir(root);
}

static void test_loader__wakes_on_change(void)
{
	char dir[] = "/tmp/tb_loader_liveXXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char run[300], path[400];
	snprintf(run, sizeof run, "%s/live", dir);
	write_run(run, 3);
	tb_store *st = tb_store_new();
	tb_loader_source src = {NULL, dir};
	/* a reload interval far longer than the test: only the watcher can
	 * bring the new points in time */
	tb_loader_opts o = {&src, 1, 600, 1, 0};
	tb_loader *l = tb_loader_new(st, &o);
	tb_loader_start(l);
	for (int i = 0; i < 500 && tb_loader_cycles(l) < 1; i++)
		usleep(10000);
	snprintf(path, sizeof path, "%s/events.out.tfevents.1.host", run);
	FILE *f = fopen(path, "ab");
	uint8_t ev[64];
	frame(f, ev, scalar_event(ev, 3, 3.0f));
	fclose(f);
	/* and a run that did not exist */
	char run2[300];
	snprintf(run2, sizeof run2, "%s/late", dir);
	write_run(run2, 2);
	size_t len = 0;
	int seen_late = 0;
	for (int i = 0; i < 500 && (len < 4 || !seen_late); i++) {
		usleep(10000);
		tb_store_rdlock(st);
		tb_run *r = tb_store_find_run(st, "live");
		if (r) {
			tb_run_rdlock(r);
			tb_series *s = tb_run_find_series(r, "x", 1);
			len = s ? s->len : 0;
			tb_run_unlock(r);
		}
		seen_late = tb_store_find_run(st, "late") != NULL;
		tb_store_unlock(st);
	}
	CHECK_INT(len, 4);
	CHECK(seen_late);
	tb_loader_free(l);
	tb_store_free(st);
	unlink(path);
	snprintf(path, sizeof path, "%s/events.out.tfevents.1.host", run2);
	unlink(path);
	rmdir(run);
	rmdir(run2);
	rmdir(dir);
}

int main(void)
{
	TB_RUN(test_loader__edge_cases_corpus);
	TB_RUN(test_loader__tails_growing_file);
	TB_RUN(test_loader__new_runs_and_logdir_spec);
	TB_RUN(test_loader__wakes_on_change);
	return tb_test_finish();
}
