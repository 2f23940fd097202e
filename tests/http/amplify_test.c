/* The real tboard binary against requests that used to amplify into
 * hundreds of MB of work: timeSeries calls with 1000 sub-requests (POST
 * body) or 2500 (GET URL) are refused at once while /data/runs keeps
 * answering; and the --auth_token_file flag. Event files are written with
 * libtboard into a temporary log directory. */
#define _XOPEN_SOURCE 700
#include <curl/curl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "../harness.h"
#include "../api/http_client.h"
#include "../api/spawn.h"
#include "../api/testutil.h"
#include "common/buf.h"
#include "tboard/writer.h"

static char logdir[256];
static int port;

static int write_logdir(void)
{
	if (tb_test_tmpdir(logdir, sizeof logdir, "tb_amplify_") != 0)
		return -1;
	for (int r = 0; r < 8; r++) {
		char dir[300];
		snprintf(dir, sizeof dir, "%s/run%d", logdir, r);
		tb_writer *w;
		if (tb_writer_open(&w, dir, NULL) != 0)
			return -1;
		for (int step = 0; step < 100; step++)
			tb_writer_add_scalar(w, "loss", 1.0 / (step + 1), step, 1.7e9 + step);
		tb_writer_close(w);
	}
	return 0;
}

/* One request; post is the urlencoded body or NULL for GET, auth an extra
 * header line or NULL. Returns the status; *secs the time it took; the body
 * in out if given. Each call has its own handle, so threads may call it. */
static long fetch(const char *path, const char *post, const char *auth, double *secs, tb_buf *out)
{
	const char *headers[] = {auth, NULL};
	tb_http_req req = {.body = post, .body_len = -1, .headers = headers};
	tb_http_reply r;
	CURL *c = curl_easy_init();
	tb_http_send(&r, c, port, path, &req);
	curl_easy_cleanup(c);
	if (secs)
		*secs = r.secs;
	if (out)
		tb_buf_append(out, r.body.ptr, r.body.len);
	long status = r.status;
	tb_http_reply_free(&r);
	return status;
}

/* requests=[{"plugin":"scalars","tag":"loss"}, ...] n times, urlencoded. */
static char *many(int n)
{
	tb_buf b = TB_BUF_INIT;
	tb_buf_puts(&b, "requests=%5B");
	for (int i = 0; i < n; i++)
		tb_buf_puts(&b, i ? "%2C%7B%22plugin%22%3A%22scalars%22%2C%22tag%22%3A%22loss%22%7D"
				  : "%7B%22plugin%22%3A%22scalars%22%2C%22tag%22%3A%22loss%22%7D");
	tb_buf_puts(&b, "%5D");
	return tb_buf_detach(&b);
}

static long bad_status[2];

static void *flood(void *arg)
{
	long *status = arg;
	char *body = many(1000);
	for (int i = 0; i < 5; i++)
		*status = fetch("/data/plugin/timeseries/timeSeries", body, NULL, NULL, NULL);
	free(body);
	return NULL;
}

static void test_amplify__post_1000(void)
{
	double secs = 0;
	char *body = many(1000);
	CHECK_INT(fetch("/data/plugin/timeseries/timeSeries", body, NULL, &secs, NULL), 400);
	CHECK(secs < 1);
	free(body);

	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, flood, &bad_status[i]);
	for (int i = 0; i < 5; i++) {
		CHECK_INT(fetch("/data/runs", NULL, NULL, &secs, NULL), 200);
		CHECK(secs < 1);
	}
	for (int i = 0; i < 2; i++) {
		pthread_join(t[i], NULL);
		CHECK_INT(bad_status[i], 400);
	}
}

static void test_amplify__post_100(void)
{
	char *body = many(100);
	tb_buf out = TB_BUF_INIT;
	CHECK_INT(fetch("/data/plugin/timeseries/timeSeries", body, NULL, NULL, &out), 200);
	tb_buf_puts(&out, "");
	CHECK(strstr(out.ptr, "\"runToSeries\""));
	free(body);
	tb_buf_free(&out);
}

static void test_amplify__get_2500(void)
{
	char *body = many(2500);
	tb_buf path = TB_BUF_INIT;
	tb_buf_puts(&path, "/data/plugin/timeseries/timeSeries?");
	tb_buf_puts(&path, body);
	double secs = 0;
	long st = fetch(path.ptr, NULL, NULL, &secs, NULL);
	CHECK(st == 400 || st == 413 || st == 414);
	CHECK(secs < 1);
	free(body);
	tb_buf_free(&path);
}

/* scalars_multirun: each run once in the order first named, whatever the
 * repeats; more than 10000 names is a 400 at once. */
static void test_amplify__multirun(void)
{
	tb_buf form = TB_BUF_INIT, out = TB_BUF_INIT;
	tb_buf_puts(&form, "tag=loss");
	for (int i = 0; i < 3000; i++)
		tb_buf_printf(&form, "&runs=run%d", (i * 7) % 3);
	CHECK_INT(fetch("/data/plugin/scalars/scalars_multirun", form.ptr, NULL, NULL, &out), 200);
	tb_buf_puts(&out, "");
	const char *a = strstr(out.ptr, "\"run0\""), *b = strstr(out.ptr, "\"run1\"");
	const char *c = strstr(out.ptr, "\"run2\"");
	CHECK(a && b && c && a < b && b < c);
	CHECK(!strstr(a + 1, "\"run0\"") && !strstr(out.ptr, "\"run3\""));
	for (int i = 0; i < 8000; i++)
		tb_buf_puts(&form, "&runs=x");
	double secs = 0;
	CHECK_INT(fetch("/data/plugin/scalars/scalars_multirun", form.ptr, NULL, &secs, NULL), 400);
	CHECK(secs < 1);
	tb_buf_free(&form);
	tb_buf_free(&out);
}

static const char *binary;

static void test_amplify__token_file(void)
{
	char file[300];
	snprintf(file, sizeof file, "%s/token.txt", logdir);
	FILE *f = fopen(file, "w");
	fputs("abcdefgh-123\n", f);
	fclose(f);
	const char *extra[] = {"--auth_token_file", file, NULL};
	int saved = port;
	tb_spawn *srv = tb_spawn_serve(binary, logdir, extra, &port);
	CHECK(srv);
	if (!srv)
		return;
	CHECK_INT(fetch("/data/runs", NULL, NULL, NULL, NULL), 401);
	CHECK_INT(fetch("/data/runs", NULL, "Authorization: Bearer abcdefgh-123", NULL, NULL), 200);
	CHECK_INT(fetch("/data/runs?token=abcdefgh-123", NULL, NULL, NULL, NULL), 302);
	port = saved;
	tb_spawn_stop(srv);
	unlink(file);
}

int main(void)
{
	binary = tb_spawn_binary();
	if (!binary)
		return 1;
	if (write_logdir() != 0) {
		fprintf(stderr, "cannot write the log directory\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	const char *extra[] = {"--reload_task", "blocking", NULL};
	tb_spawn *srv = tb_spawn_serve(binary, logdir, extra, &port);
	if (!srv) {
		tb_test_rmtree(logdir);
		return 1;
	}
	TB_RUN(test_amplify__post_1000);
	TB_RUN(test_amplify__post_100);
	TB_RUN(test_amplify__get_2500);
	TB_RUN(test_amplify__multirun);
	CHECK(tb_spawn_alive(srv));
	tb_spawn_stop(srv);
	TB_RUN(test_amplify__token_file);
	tb_test_rmtree(logdir);
	curl_global_cleanup();
	return tb_test_finish();
}
