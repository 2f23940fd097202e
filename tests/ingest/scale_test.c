/* The loader at scale against a real server on 127.0.0.1: many runs under a
 * lowered file descriptor limit (no run ever disappears, open files stay
 * within the pool), and a sparse 4 GB zero-filled event file beside a
 * healthy run (requests keep answering fast while it is scanned, and the
 * healthy run's points are all there). The log directories are written
 * with libtboard into a temporary folder and removed afterwards. */
#include <curl/curl.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <tboard/writer.h>

#include "../api/http_client.h"
#include "../api/spawn.h"
#include "../api/testutil.h"
#include "../harness.h"

#define STEPS 20

static CURL *curl;

/* GET path; the parsed JSON answer (json_decref) or NULL; *secs the time. */
static json_t *get_json(int port, const char *path, double *secs)
{
	static const tb_http_req req = {.timeout_s = 30, .accept_encoding = ""};
	tb_http_reply r;
	int rc = tb_http_send(&r, curl, port, path, &req);
	*secs = r.secs;
	json_t *j =
	    rc == CURLE_OK && r.status == 200 ? json_loadb(r.body.ptr, r.body.len, 0, NULL) : NULL;
	tb_http_reply_free(&r);
	return j;
}

static void write_run(const char *dir, int steps)
{
	tb_writer *w;
	if (tb_writer_open(&w, dir, NULL) != 0) {
		fprintf(stderr, "cannot write %s\n", dir);
		exit(1);
	}
	for (int s = 0; s < steps; s++)
		tb_writer_add_scalar(w, "loss", 1.0 / (s + 1), s, 1700000000.0 + s);
	tb_writer_close(w);
}

/* Run tboard with its stderr in log (a file), returning the child. */
static tb_spawn *start(const char *logdir, const char *const *extra, FILE *log)
{
	const char *bin = tb_spawn_binary();
	fflush(stderr);
	int saved = dup(2);
	dup2(fileno(log), 2);
	tb_spawn *s = NULL;
	int clean;
	char err[256];
	int rc = tb_spawn_start(&s, &clean, bin, logdir, extra, 60, err, sizeof err);
	dup2(saved, 2);
	close(saved);
	if (rc)
		fprintf(stderr, "tboard did not start: %s\n", err);
	return s;
}

static int log_has(FILE *log, const char *needle)
{
	fflush(log);
	rewind(log);
	char line[4096];
	int found = 0;
	while (fgets(line, sizeof line, log))
		found |= strstr(line, needle) != NULL;
	fseek(log, 0, SEEK_END);
	return found;
}

/* Many runs under a low descriptor limit: in a child process (the limit
 * is inherited by the server), 400 runs, RLIMIT_NOFILE 256. /data/runs
 * never loses a run, open descriptors stay under the limit (64 event files
 * at most by default), nothing is
 * logged as removed; then the same with a pool larger than the limit, so
 * opening files fails with EMFILE and must be retried, not taken for
 * deletion. */
#define RUNS 400
static int many_runs(const char *root, const char *pool)
{
	int failed = 0;
	struct rlimit rl = {256, 256};
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		fprintf(stderr, "setrlimit failed\n");
		return 1;
	}
	FILE *log = tmpfile();
	const char *extra[] = {"--reload_interval", "1", pool ? "--max_open_files" : NULL, pool,
			       NULL};
	tb_spawn *s = start(root, extra, log);
	if (!s)
		return 1;
	int port = tb_spawn_port(s);
	int best = 0, peak_fds = 0, full_polls = 0;
	double t0 = tb_test_now();
	while (tb_test_now() - t0 < 60 && full_polls < 20) {
		double secs;
		json_t *j = get_json(port, "/data/runs", &secs);
		int n = j && json_is_array(j) ? (int)json_array_size(j) : -1;
		json_decref(j);
		if (n < best) {
			fprintf(stderr, "/data/runs went from %d to %d runs\n", best, n);
			failed++;
		}
		if (n > best)
			best = n;
		if (n == RUNS)
			full_polls++;
		int fds = tb_test_count_fds(tb_spawn_pid(s));
		if (fds > peak_fds)
			peak_fds = fds;
		usleep(50000);
	}
	/* every point of the last run by name */
	double secs;
	char path[256];
	snprintf(path, sizeof path, "/data/plugin/scalars/scalars?run=run_%03d&tag=loss", RUNS - 1);
	json_t *j = get_json(port, path, &secs);
	if (!j || json_array_size(j) != STEPS) {
		fprintf(stderr, "run_%03d has %d points\n", RUNS - 1,
			j ? (int)json_array_size(j) : -1);
		failed++;
	}
	json_decref(j);
	if (best != RUNS || full_polls < 20) {
		fprintf(stderr, "saw at most %d runs (%d full answers)\n", best, full_polls);
		failed++;
	}
	if (!pool && peak_fds >= 256) {
		fprintf(stderr, "peak %d descriptors\n", peak_fds);
		failed++;
	}
	if (log_has(log, "removed")) {
		fprintf(stderr, "a run was logged as removed\n");
		failed++;
	}
	fprintf(stderr, "  pool %s: %d runs seen in every answer, peak %d descriptors\n",
		pool ? pool : "default", best, peak_fds);
	tb_spawn_stop(s);
	fclose(log);
	return failed;
}

static void test_scale__many_runs_low_fd_limit(void)
{
	char root[256];
	CHECK(tb_test_tmpdir(root, sizeof root, "tb_scale_") == 0);
	for (int i = 0; i < RUNS; i++) {
		char dir[512];
		snprintf(dir, sizeof dir, "%s/run_%03d", root, i);
		write_run(dir, STEPS);
	}
	const char *pools[] = {NULL, "1000"};
	for (int k = 0; k < 2; k++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(many_runs(root, pools[k]) ? 1 : 0);
		int status = 0;
		waitpid(pid, &status, 0);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	CHECK(tb_test_rmtree(root) == 0);
}

/* A sparse 4 GB file of zeros beside a healthy run. */
static void test_scale__zero_file_does_not_stall(void)
{
	char root[256];
	CHECK(tb_test_tmpdir(root, sizeof root, "tb_zero_") == 0);
	char dir[512], path[600];
	snprintf(dir, sizeof dir, "%s/zeros", root);
	mkdir(dir, 0755);
	snprintf(path, sizeof path, "%s/events.out.tfevents.1700000000.zero", dir);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	CHECK(fd >= 0 && ftruncate(fd, (off_t)4 << 30) == 0);
	close(fd);
	snprintf(dir, sizeof dir, "%s/healthy", root);
	write_run(dir, 1000);

	FILE *log = tmpfile();
	const char *extra[] = {"--reload_interval", "1", NULL};
	tb_spawn *s = start(root, extra, log);
	CHECK(s != NULL);
	if (!s) {
		CHECK(tb_test_rmtree(root) == 0);
		return;
	}
	int port = tb_spawn_port(s);
	double worst = 0, t0 = tb_test_now();
	int polls = 0, complete = 0;
	while (tb_test_now() - t0 < 8) {
		double a, b;
		json_t *runs = get_json(port, "/data/runs", &a);
		json_t *pts =
		    get_json(port, "/data/plugin/scalars/scalars?run=healthy&tag=loss", &b);
		CHECK(runs != NULL);
		if (a > worst)
			worst = a;
		if (b > worst)
			worst = b;
		if (pts && json_array_size(pts) == 1000)
			complete = 1;
		json_decref(runs);
		json_decref(pts);
		polls++;
		usleep(20000);
	}
	fprintf(stderr, "  %d polls, slowest answer %.3f s\n", polls, worst);
	CHECK(worst < 1.0);
	CHECK(complete);
	CHECK(log_has(log, "damaged record at byte 0"));
	tb_spawn_stop(s);
	fclose(log);
	CHECK(tb_test_rmtree(root) == 0);
}

int main(void)
{
	if (!tb_spawn_binary())
		return 1;
	curl_global_init(CURL_GLOBAL_ALL);
	curl = curl_easy_init();
	TB_RUN(test_scale__zero_file_does_not_stall);
	TB_RUN(test_scale__many_runs_low_fd_limit);
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return tb_test_finish();
}
