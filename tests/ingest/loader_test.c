/* Tests for src/ingest/: the loader on the damaged shared corpus
 * (edge-cases/MANIFEST.md) and on files that grow while being read. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../api/testutil.h"
#include "../harness.h"
#include "common/log.h"
#include "ingest/loader.h"
#include "store/store_internal.h"
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
	return r ? tb_run_series_w(r, tag, strlen(tag)) : NULL;
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
			CHECK_INT(tb_series_step(s, i), i < 99 ? (int64_t)i : (int64_t)i + 1);
	}
	s = series(st, "truncated_tail", "loss");
	CHECK(s && s->len == 99 && tb_series_step(s, 98) == 98);

	/* a restart replaces what it re-covers: one clean line */
	s = series(st, "restart_no_sessionlog", "loss");
	CHECK(s && s->len == 270);
	if (s)
		for (size_t i = 0; i < s->len; i++) {
			CHECK_INT(tb_series_step(s, i), (int64_t)i);
			CHECK((tb_series_value(s, i) > 0) == (i < 120));
		}
	s = series(st, "restart_sessionlog", "loss");
	CHECK(s && s->len == 110);
	if (s)
		for (size_t i = 0; i < s->len; i++)
			CHECK(tb_series_value(s, i) == (i < 50 ? (double)i : 1000.0 + (double)i));
	s = series(st, "legacy_no_file_version", "loss");
	CHECK(s && s->len == 70 && tb_series_step(s, 69) == 69 && tb_series_value(s, 69) == 99.0);

	s = series(st, "multi_file", "loss");
	CHECK(s && s->len == 300 && tb_series_step(s, 299) == 299);
	s = series(st, "huge_steps", "metric/acc");
	CHECK(s && s->len == 8 && tb_series_step(s, 6) == 9007199254740993LL &&
	      tb_series_step(s, 7) == 4611686018427387904LL);
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
	CHECK(s && s->len == 15 && tb_series_step(s, 14) == 14);
	tb_loader_free(l);
	tb_store_free(st);
	unlink(path);
	rmdir(dir);
}

static void write_run(const char *dir, int steps)
{
	char path[1024];
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
	char path[1024];
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
			tb_series *s = tb_run_series_w(r, "x", 1);
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

static char *run_file(char *buf, size_t n, const char *dir)
{
	snprintf(buf, n, "%s/events.out.tfevents.1.host", dir);
	return buf;
}

static void append_steps(const char *dir, int from, int to, float base)
{
	char path[1024];
	FILE *f = fopen(run_file(path, sizeof path, dir), "ab");
	uint8_t ev[64];
	for (int i = from; i < to; i++)
		frame(f, ev, scalar_event(ev, i, base + (float)i));
	fclose(f);
}

/* Ten runs of five steps in a new folder from the mkdtemp template root. */
static void ten_runs(char *root, char **dirs)
{
	CHECK(mkdtemp(root) != NULL);
	for (int i = 0; i < 10; i++) {
		CHECK(asprintf(&dirs[i], "%s/r%d", root, i) > 0);
		write_run(dirs[i], 5);
	}
}

static void remove_ten_runs(const char *root, char **dirs)
{
	char path[1024];
	for (int i = 0; i < 10; i++) {
		unlink(run_file(path, sizeof path, dirs[i]));
		rmdir(dirs[i]);
		free(dirs[i]);
	}
	rmdir(root);
}

/* The pool of open files: with room for two, ten runs load completely,
 * never more than two files are open, and a file that grows after being
 * closed is reopened where it stopped (its old records are not read
 * again). */
static void test_loader__pool_reopens_at_offset(void)
{
	char root[] = "/tmp/tb_loader_poolXXXXXX";
	char *dirs[10];
	ten_runs(root, dirs);
	tb_store *st = tb_store_new();
	tb_loader_source src = {NULL, root};
	tb_loader_opts o = {&src, 1, 0, 2, 2};
	tb_loader *l = tb_loader_new(st, &o);
	tb_loader_cycle(l);
	tb_loader_stats a, b;
	tb_loader_get_stats(l, &a);
	CHECK_INT(a.records, 50);
	CHECK_INT(a.open_files_limit, 2);
	CHECK(a.open_files_peak <= 2);
	for (int i = 0; i < 10; i++)
		append_steps(dirs[i], 5, 8, 0);
	tb_loader_cycle(l);
	tb_loader_get_stats(l, &b);
	CHECK_INT(b.records - a.records, 30);
	CHECK(b.open_files_peak <= 2);
	for (int i = 0; i < 10; i++) {
		char name[8];
		snprintf(name, sizeof name, "r%d", i);
		tb_series *s = series(st, name, "x");
		CHECK(s && s->len == 8 && tb_series_step(s, 7) == 7);
	}
	/* nothing new: every file is closed again */
	tb_loader_cycle(l);
	tb_loader_get_stats(l, &b);
	CHECK_INT(b.open_files, 0);
	tb_loader_free(l);
	tb_store_free(st);
	remove_ten_runs(root, dirs);
}

/* The budget covers every descriptor of the process: with twelve held
 * elsewhere (stdio, six more opened here, ...) and a budget of those plus
 * the headroom plus two, ten runs load with at most two files open. */
static void test_loader__budget_counts_other_descriptors(void)
{
	char root[] = "/tmp/tb_loader_budgetXXXXXX";
	char *dirs[10];
	ten_runs(root, dirs);
	int extra[6];
	for (int i = 0; i < 6; i++)
		extra[i] = open("/dev/null", O_RDONLY);
	size_t held = 0;
	DIR *d = opendir("/proc/self/fd");
	for (struct dirent *e; d && (e = readdir(d));)
		held += e->d_name[0] != '.';
	if (d)
		closedir(d);
	held--; /* the listing's own */
	tb_store *st = tb_store_new();
	tb_loader_source src = {NULL, root};
	tb_loader_opts o = {&src, 1, 0, 2, held + 4 + 2};
	tb_loader *l = tb_loader_new(st, &o);
	tb_loader_cycle(l);
	tb_loader_stats a;
	tb_loader_get_stats(l, &a);
	CHECK_INT(a.records, 50);
	CHECK(a.open_files_peak <= 2);
	tb_loader_free(l);
	tb_store_free(st);
	for (int i = 0; i < 6; i++)
		close(extra[i]);
	remove_ten_runs(root, dirs);
}

/* A file truncated and written again, then one replaced by another (a new
 * inode, larger than the old one), is read anew from the start: the
 * series shows the new points only. */
static void test_loader__truncated_and_replaced(void)
{
	char root[] = "/tmp/tb_loader_truncXXXXXX";
	CHECK(mkdtemp(root) != NULL);
	char path[1024], tmp[300];
	write_run(root, 100);
	tb_store *st = tb_store_new();
	tb_loader_source src = {NULL, root};
	tb_loader_opts o = {&src, 1, 0, 1, 0};
	tb_loader *l = tb_loader_new(st, &o);
	tb_loader_cycle(l);
	tb_series *s = series(st, ".", "x");
	CHECK(s && s->len == 100);
	CHECK(truncate(run_file(path, sizeof path, root), 0) == 0);
	append_steps(root, 0, 20, 1000);
	tb_loader_cycle(l);
	CHECK(s && s->len == 20);
	for (size_t i = 0; s && i < s->len; i++)
		CHECK(tb_series_value(s, i) == 1000.0 + (double)i);
	snprintf(tmp, sizeof tmp, "%s/new", root);
	mkdir(tmp, 0755);
	append_steps(tmp, 0, 30, 2000);
	char moved[1024];
	CHECK(rename(run_file(moved, sizeof moved, tmp), path) == 0);
	rmdir(tmp);
	tb_loader_cycle(l);
	CHECK(s && s->len == 30);
	for (size_t i = 0; s && i < s->len; i++)
		CHECK(tb_series_value(s, i) == 2000.0 + (double)i);
	tb_loader_free(l);
	tb_store_free(st);
	unlink(path);
	rmdir(root);
}

/* Body of the permissions test, in a process that cannot read what it
 * cannot read (not root). Returns the number of failed checks. */
static int unreadable_body(void)
{
	int before = tb__failed_checks;
	char root[] = "/tmp/tb_loader_permXXXXXX";
	CHECK(mkdtemp(root) != NULL);
	char a[300], b[300], c[300], path[1024];
	snprintf(a, sizeof a, "%s/a", root);
	snprintf(b, sizeof b, "%s/b", root);
	snprintf(c, sizeof c, "%s/c", root);
	write_run(a, 5);
	write_run(b, 5);
	write_run(c, 5);
	CHECK(chmod(run_file(path, sizeof path, b), 0) == 0);
	tb_store *st = tb_store_new();
	tb_loader_source src = {NULL, root};
	tb_loader_opts o = {&src, 1, 0, 1, 0};
	tb_loader *l = tb_loader_new(st, &o);
	warnings = 0;
	tb_log_set_hook(count_warnings, NULL);
	tb_loader_cycle(l);
	CHECK_INT(warnings, 1); /* b's file, once */
	tb_series *s = series(st, "a", "x");
	CHECK(s && s->len == 5);
	CHECK(tb_store_find_run(st, "b") != NULL);
	CHECK(series(st, "b", "x") == NULL);
	/* a folder that cannot be read any more keeps its run and its points,
	 * and is warned about once however often it is tried */
	CHECK(chmod(c, 0) == 0);
	for (int i = 0; i < 3; i++) {
		usleep(300000);
		tb_loader_cycle(l);
	}
	CHECK_INT(warnings, 2);
	s = series(st, "c", "x");
	CHECK(s && s->len == 5);
	/* readable again: picked up at the next retry */
	CHECK(chmod(path, 0644) == 0);
	CHECK(chmod(c, 0755) == 0);
	for (int i = 0; i < 100 && !series(st, "b", "x"); i++) {
		usleep(100000);
		tb_loader_cycle(l);
	}
	s = series(st, "b", "x");
	CHECK(s && s->len == 5);
	CHECK_INT(warnings, 2);
	tb_log_set_hook(NULL, NULL);
	tb_loader_free(l);
	tb_store_free(st);
	unlink(run_file(path, sizeof path, a));
	unlink(run_file(path, sizeof path, b));
	unlink(run_file(path, sizeof path, c));
	rmdir(a);
	rmdir(b);
	rmdir(c);
	rmdir(root);
	return tb__failed_checks - before;
}

/* Permissions: as root everything is readable, so the test drops to the
 * unprivileged "nobody" user in a child process. */
static void test_loader__unreadable_then_readable(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) {
			fprintf(stderr, "did not run: cannot drop root privileges\n");
			_exit(0);
		}
		_exit(unreadable_body() ? 1 : 0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void touch(const char *root, const char *rel)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", root, rel);
	FILE *f = fopen(path, "w");
	if (f)
		fclose(f);
}

/* The scan notes projector configs and profiler traces as it walks; the
 * store lists them per run, named as runs are. */
static void test_loader__assets(void)
{
	char root[] = "/tmp/tb_loader_assetsXXXXXX";
	CHECK(mkdtemp(root) != NULL);
	char run[300], dir[600];
	snprintf(run, sizeof run, "%s/train", root);
	write_run(run, 2);
	touch(run, "projector_config.pbtxt");
	snprintf(dir, sizeof dir, "%s/plugins", run);
	mkdir(dir, 0755);
	snprintf(dir, sizeof dir, "%s/plugins/profile", run);
	mkdir(dir, 0755);
	snprintf(dir, sizeof dir, "%s/plugins/profile/2024_01_01", run);
	mkdir(dir, 0755);
	touch(dir, "host.trace.json.gz");
	snprintf(dir, sizeof dir, "%s/prof", root);
	mkdir(dir, 0755);
	touch(dir, "worker0.pt.trace.json");
	touch(dir, "notes.json");
	tb_store *st = tb_store_new();
	tb_loader_source src = {"x", root};
	tb_loader_opts o = {&src, 1, 0, 1, 0};
	tb_loader *l = tb_loader_new(st, &o);
	tb_loader_cycle(l);
	tb_store_asset *v;
	size_t n = tb_store_assets(&v, st, TB_ASSET_PROJECTOR_CONFIG);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(v[0].run, "x/train");
	tb_store_assets_free(v, n);
	n = tb_store_assets(&v, st, TB_ASSET_PROFILE_TRACE);
	CHECK_INT(n, 2);
	if (n == 2) {
		CHECK_STR(v[0].run, "x/prof");
		CHECK(strstr(v[0].path, "/prof/worker0.pt.trace.json") != NULL);
		CHECK_STR(v[1].run, "x/train");
		CHECK(strstr(v[1].path, "/plugins/profile/2024_01_01/host.trace.json.gz") != NULL);
	}
	tb_store_assets_free(v, n);
	CHECK_INT(tb_store_assets(&v, st, 0), 3);
	tb_store_assets_free(v, 3);
	tb_loader_free(l);
	tb_store_free(st);
	CHECK(tb_test_rmtree(root) == 0);
}

int main(void)
{
	TB_RUN(test_loader__edge_cases_corpus);
	TB_RUN(test_loader__tails_growing_file);
	TB_RUN(test_loader__new_runs_and_logdir_spec);
	TB_RUN(test_loader__wakes_on_change);
	TB_RUN(test_loader__pool_reopens_at_offset);
	TB_RUN(test_loader__budget_counts_other_descriptors);
	TB_RUN(test_loader__truncated_and_replaced);
	TB_RUN(test_loader__unreadable_then_readable);
	TB_RUN(test_loader__assets);
	return tb_test_finish();
}
