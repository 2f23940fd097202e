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

static tb_series *series(tb_store *st, const char *run, const char *tag)
{
	tb_run *r = tb_store_find_run(st, run);
	return r ? tb_run_series_w(r, tag, strlen(tag)) : NULL;
}

/* A loader of the one source (name, root) into a new store *st, with the
 * reload interval, threads and descriptor budget of tb_loader_opts. */
static tb_loader *new_loader(tb_store **st, const char *name, const char *root, double reload,
			     int threads, size_t max_open_files)
{
	tb_loader_source src = {name, root};
	tb_loader_opts o = {&src, 1, reload, threads, max_open_files};
	*st = tb_store_new();
	return tb_loader_new(*st, &o);
}

static void test_loader__edge_cases_corpus(void)
{
	tb_store *st;
	char dir[4096];
	tb_loader *l =
	    new_loader(&st, NULL, tb_test_corpus(dir, sizeof dir, "edge-cases/logdir"), 0, 2, 0);
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

/* The event file of the run in folder dir, its path in buf (n bytes). */
static char *run_file(char *buf, size_t n, const char *dir)
{
	snprintf(buf, n, "%s/events.out.tfevents.1.host", dir);
	return buf;
}

/* Append steps from..to-1 of scalar "x" (value base + step) to the event
 * file of folder dir. */
static void append_steps(const char *dir, int from, int to, float base)
{
	char path[4096];
	FILE *f = fopen(run_file(path, sizeof path, dir), "ab");
	for (int i = from; i < to; i++)
		tb_test_put_scalar(f, i, "x", base + (float)i);
	fclose(f);
}

/* A run root/name (its folder's path in dir, 300 bytes) of steps 0..steps-1. */
static void write_run(char *dir, const char *root, const char *name, int steps)
{
	snprintf(dir, 300, "%s/%s", root, name);
	mkdir(dir, 0755);
	append_steps(dir, 0, steps, 0);
}

static void test_loader__tails_growing_file(void)
{
	char dir[256];
	CHECK(tb_test_tmpdir(dir, sizeof dir, "tb_loader_test") == 0);
	append_steps(dir, 0, 10, 0);
	char path[512];
	FILE *f = fopen(run_file(path, sizeof path, dir), "ab");
	/* half a record at the end: the writer is still writing */
	long before = ftell(f);
	tb_test_put_scalar(f, 10, "x", 10.0f);
	fflush(f);
	CHECK(ftruncate(fileno(f), before + 20) == 0);
	fseek(f, 0, SEEK_END);

	tb_store *st;
	tb_loader *l = new_loader(&st, NULL, dir, 0, 1, 0);
	warnings = 0;
	tb_log_set_hook(count_warnings, NULL);
	tb_loader_cycle(l);
	tb_series *s = series(st, ".", "x");
	CHECK(s && s->len == 10);
	/* the rest of the record arrives, then more */
	CHECK(ftruncate(fileno(f), before) == 0);
	fseek(f, before, SEEK_SET);
	for (int i = 10; i < 15; i++)
		tb_test_put_scalar(f, i, "x", (float)i);
	fclose(f);
	tb_loader_cycle(l);
	tb_log_set_hook(NULL, NULL);
	CHECK_INT(warnings, 0); /* a cut record is never damage */
	CHECK(s && s->len == 15 && tb_series_step(s, 14) == 14);
	tb_loader_free(l);
	tb_store_free(st);
	CHECK(tb_test_rmtree(dir) == 0);
}

static void test_loader__new_runs_and_logdir_spec(void)
{
	char root[256], a[300], b[300], b_sub[300];
	CHECK(tb_test_tmpdir(root, sizeof root, "tb_loader_spec") == 0);
	write_run(a, root, "a", 3);
	snprintf(b, sizeof b, "%s/b", root);
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
	write_run(b_sub, b, "sub", 5);
	tb_loader_cycle(l);
	CHECK_INT(tb_store_run_count(st), 2);
	tb_series *s = series(st, "sub", "x");
	CHECK(s && s->len == 5);
	/* and one whose files are gone leaves */
	char path[1024];
	unlink(run_file(path, sizeof path, b_sub));
	tb_loader_cycle(l);
	CHECK_INT(tb_store_run_count(st), 1);
	CHECK(tb_store_find_run(st, "sub") == NULL);
	tb_loader_free(l);
	tb_store_free(st);
	CHECK(tb_test_rmtree(root) == 0);
}

static void test_loader__wakes_on_change(void)
{
	char dir[256], run[300], run2[300];
	CHECK(tb_test_tmpdir(dir, sizeof dir, "tb_loader_live") == 0);
	write_run(run, dir, "live", 3);
	/* a reload interval far longer than the test: only the watcher can
	 * bring the new points in time */
	tb_store *st;
	tb_loader *l = new_loader(&st, NULL, dir, 600, 1, 0);
	tb_loader_start(l);
	for (int i = 0; i < 500 && tb_loader_cycles(l) < 1; i++)
		usleep(10000);
	append_steps(run, 3, 4, 0);
	/* and a run that did not exist */
	write_run(run2, dir, "late", 2);
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
	CHECK(tb_test_rmtree(dir) == 0);
}

/* Ten runs r0..r9 of five steps in root. */
static void ten_runs(const char *root, char dirs[10][300])
{
	for (int i = 0; i < 10; i++) {
		char name[8];
		snprintf(name, sizeof name, "r%d", i);
		write_run(dirs[i], root, name, 5);
	}
}

/* The pool of open files: with room for two, ten runs load completely,
 * never more than two files are open, and a file that grows after being
 * closed is reopened where it stopped (its old records are not read
 * again). */
static void test_loader__pool_reopens_at_offset(void)
{
	char root[256], dirs[10][300];
	CHECK(tb_test_tmpdir(root, sizeof root, "tb_loader_pool") == 0);
	ten_runs(root, dirs);
	tb_store *st;
	tb_loader *l = new_loader(&st, NULL, root, 0, 2, 2);
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
	CHECK(tb_test_rmtree(root) == 0);
}

/* The budget covers every descriptor of the process: with twelve held
 * elsewhere (stdio, six more opened here, ...) and a budget of those plus
 * the headroom plus two, ten runs load with at most two files open. */
static void test_loader__budget_counts_other_descriptors(void)
{
	char root[256], dirs[10][300];
	CHECK(tb_test_tmpdir(root, sizeof root, "tb_loader_budget") == 0);
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
	tb_store *st;
	tb_loader *l = new_loader(&st, NULL, root, 0, 2, held + 4 + 2);
	tb_loader_cycle(l);
	tb_loader_stats a;
	tb_loader_get_stats(l, &a);
	CHECK_INT(a.records, 50);
	CHECK(a.open_files_peak <= 2);
	tb_loader_free(l);
	tb_store_free(st);
	for (int i = 0; i < 6; i++)
		close(extra[i]);
	CHECK(tb_test_rmtree(root) == 0);
}

/* A file truncated and written again, then one replaced by another (a new
 * inode, larger than the old one), is read anew from the start: the
 * series shows the new points only. */
static void test_loader__truncated_and_replaced(void)
{
	char root[256], path[1024], tmp[300];
	CHECK(tb_test_tmpdir(root, sizeof root, "tb_loader_trunc") == 0);
	append_steps(root, 0, 100, 0);
	tb_store *st;
	tb_loader *l = new_loader(&st, NULL, root, 0, 1, 0);
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
	CHECK(tb_test_rmtree(root) == 0);
}

/* Body of the permissions test, in a process that cannot read what it
 * cannot read (not root). Returns the number of failed checks. */
static int unreadable_body(void)
{
	int before = tb__failed_checks;
	char root[256], a[300], b[300], c[300], path[1024];
	CHECK(tb_test_tmpdir(root, sizeof root, "tb_loader_perm") == 0);
	write_run(a, root, "a", 5);
	write_run(b, root, "b", 5);
	write_run(c, root, "c", 5);
	CHECK(chmod(run_file(path, sizeof path, b), 0) == 0);
	tb_store *st;
	tb_loader *l = new_loader(&st, NULL, root, 0, 1, 0);
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
	CHECK(tb_test_rmtree(root) == 0);
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
	char root[256], run[300], dir[600];
	CHECK(tb_test_tmpdir(root, sizeof root, "tb_loader_assets") == 0);
	write_run(run, root, "train", 2);
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
	tb_store *st;
	tb_loader *l = new_loader(&st, "x", root, 0, 1, 0);
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
