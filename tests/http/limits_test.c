/* The server's limits against hostile or careless clients, on real servers
 * on 127.0.0.1 (port 0) with raw sockets and libcurl: protocol checks,
 * access token, work stopped when the client leaves, time and size limits,
 * the worker queue, slow headers and connection floods. Every probe has its
 * own short time limit. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../harness.h"
#include "../api/http_client.h"
#include "../api/testutil.h"
#include "common/buf.h"
#include "http/auth.h"
#include "http/http.h"

/* --- test handlers ------------------------------------------------------- */

static void h_small(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)req;
	(void)payload;
	tb_buf_puts(tb_resp_body(resp), "{\"ok\": 1}");
}

static atomic_int slow_running; /* h_slow calls in progress */

/* Works until told to stop, in small steps, up to 20 s. */
static void h_slow(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	atomic_fetch_add(&slow_running, 1);
	double end = tb_test_now() + 20;
	while (tb_test_now() < end && !tb_req_should_stop(req, resp))
		usleep(2000);
	atomic_fetch_sub(&slow_running, 1);
}

/* Wait up to 5 s for cond to hold. */
#define WAIT_FOR(cond)                                                                             \
	for (double wait_end = tb_test_now() + 5; !(cond) && tb_test_now() < wait_end;)                            \
		usleep(5000)

/* Builds a body of 1 KiB pieces until told to stop. */
static void h_big(tb_resp *resp, const tb_req *req, void *payload)
{
	(void)payload;
	char piece[1024];
	memset(piece, 'x', sizeof piece);
	for (int i = 0; i < 1 << 20 && !tb_req_should_stop(req, resp); i++)
		tb_buf_append(tb_resp_body(resp), piece, sizeof piece);
}

/* --- clients ------------------------------------------------------------- */

/* Send a raw request from `from` and return the reply's status, or 0 when
 * no reply came within timeout_s. The reply head goes to head if given. */
static int raw(const char *from, int port, const char *request, double timeout_s, tb_buf *head)
{
	int fd = tb_http_dial(from, port);
	if (fd < 0)
		return 0;
	size_t n = strlen(request);
	int status = 0;
	if (write(fd, request, n) != (ssize_t)n)
		goto out;
	char buf[4096] = {0};
	size_t got = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	double end = tb_test_now() + timeout_s;
	while (got < sizeof buf - 1 && !strstr(buf, "\r\n\r\n")) {
		buf[got] = 0;
		int left = (int)((end - tb_test_now()) * 1000);
		if (left <= 0 || poll(&p, 1, left) != 1)
			break;
		ssize_t k = read(fd, buf + got, sizeof buf - 1 - got);
		if (k <= 0)
			break;
		got += (size_t)k;
		buf[got] = 0;
	}
	buf[got] = 0;
	if (got > 12)
		sscanf(buf, "HTTP/1.%*d %d", &status);
	if (head)
		tb_buf_puts(head, buf);
out:
	close(fd);
	return status;
}

/* GET path with extra headers (NULL-terminated, may be NULL), giving up
 * after timeout_ms; the reply keeps its header block. Returns libcurl's
 * code. */
static int get(tb_http_reply *out, int port, const char *path, const char *const *extra,
	       long timeout_ms)
{
	CURL *c = curl_easy_init();
	tb_http_req req = {.headers = extra, .timeout_ms = timeout_ms, .want_head = 1};
	int rc = tb_http_send(out, c, port, path, &req);
	curl_easy_cleanup(c);
	return rc;
}

static tb_router *routes(void)
{
	tb_router *rt = tb_router_new();
	tb_router_add(rt, "/data/runs", h_small, NULL);
	tb_router_add(rt, "/data/plugin/test/tags", h_small, NULL);
	tb_router_add(rt, "/data/plugin/test/slow", h_slow, NULL);
	tb_router_add(rt, "/data/plugin/test/big", h_big, NULL);
	return rt;
}

static tb_server *start(tb_router *rt, tb_server_opts o)
{
	tb_server *s = NULL;
	o.host = "127.0.0.1";
	if (tb_server_start(&s, rt, &o) != 0)
		fprintf(stderr, "cannot start a server\n");
	return s;
}

/* --- tests --------------------------------------------------------------- */

static void test_limits__protocol(void)
{
	tb_router *rt = routes();
	tb_server *s = start(rt, (tb_server_opts){0});
	int port = tb_server_port(s);
	CHECK_INT(raw(NULL, port, "GET /data/runs HTTP/1.1\r\n\r\n", 2, NULL), 400);
	CHECK_INT(raw(NULL, port, "GET /data/runs HTTP/1.1\r\nHost: a\r\n\r\n", 2, NULL), 200);
	CHECK_INT(raw(NULL, port, "GET /data/runs HTTP/1.0\r\n\r\n", 2, NULL), 200);
	CHECK_INT(raw(NULL, port, "GET /data/runs%00/x HTTP/1.1\r\nHost: a\r\n\r\n", 2, NULL), 400);
	tb_buf head = TB_BUF_INIT;
	CHECK_INT(raw(NULL, port, "DELETE /data/runs HTTP/1.1\r\nHost: a\r\n\r\n", 2, &head), 405);
	CHECK(head.ptr && strstr(head.ptr, "\r\nAllow: GET, HEAD, POST\r\n"));
	tb_buf_free(&head);
	CHECK_INT(raw(NULL, port, "PUT /data/plugin/test/tags HTTP/1.1\r\nHost: a\r\n\r\n", 2, NULL),
		  405);
	tb_server_free(s);
	tb_router_free(rt);
}

static void test_limits__token_compare(void)
{
	CHECK(tb_auth_equal("s3cret", 6, "s3cret"));
	CHECK(!tb_auth_equal("s3cre", 5, "s3cret"));
	CHECK(!tb_auth_equal("s3cretX", 7, "s3cret"));
	CHECK(!tb_auth_equal("S3cret", 6, "s3cret"));
	CHECK(!tb_auth_equal("", 0, ""));
	size_t n = 0;
	const char *v = tb_auth_cookie(&n, "a=1; tboard_token_9=xyz; b=2", "tboard_token_9");
	CHECK(v && n == 3 && memcmp(v, "xyz", 3) == 0);
	CHECK(!tb_auth_cookie(&n, "tboard_token_90=xyz", "tboard_token_9"));
	CHECK(!tb_auth_cookie(&n, NULL, "x"));
}

static void test_limits__auth(void)
{
	tb_router *rt = routes();
	tb_server *s = start(rt, (tb_server_opts){.auth_token = "tok-123"});
	int port = tb_server_port(s);
	tb_http_reply r;
	get(&r, port, "/data/runs", NULL, 2000);
	CHECK_INT(r.status, 401);
	CHECK(strstr(r.head.ptr, "WWW-Authenticate: Bearer"));
	tb_http_reply_free(&r);

	const char *bad[] = {"Authorization: Bearer tok-12", NULL};
	get(&r, port, "/data/runs", bad, 2000);
	CHECK_INT(r.status, 401);
	tb_http_reply_free(&r);

	const char *good[] = {"Authorization: Bearer tok-123", NULL};
	get(&r, port, "/data/runs", good, 2000);
	CHECK_INT(r.status, 200);
	CHECK_STR(r.body.ptr, "{\"ok\": 1}");
	tb_http_reply_free(&r);

	/* the printed link: redirect without the token, cookie set */
	get(&r, port, "/data/runs?a=1&token=tok-123&b=2", NULL, 2000);
	CHECK_INT(r.status, 302);
	CHECK(strstr(r.head.ptr, "Location: /data/runs?a=1&b=2\r\n"));
	char want[128];
	snprintf(want, sizeof want, "Set-Cookie: tboard_token_%d=tok-123; Path=/; HttpOnly", port);
	CHECK(strstr(r.head.ptr, want));
	tb_http_reply_free(&r);
	get(&r, port, "/data/runs?token=nope", NULL, 2000);
	CHECK_INT(r.status, 401);
	tb_http_reply_free(&r);

	char cookie[128];
	snprintf(cookie, sizeof cookie, "Cookie: x=1; tboard_token_%d=tok-123", port);
	const char *with_cookie[] = {cookie, NULL};
	get(&r, port, "/data/plugin/test/tags", with_cookie, 2000);
	CHECK_INT(r.status, 200);
	tb_http_reply_free(&r);
	snprintf(cookie, sizeof cookie, "Cookie: tboard_token_%d=tok-124", port);
	get(&r, port, "/data/plugin/test/tags", with_cookie, 2000);
	CHECK_INT(r.status, 401);
	tb_http_reply_free(&r);
	tb_server_free(s);
	tb_router_free(rt);
}

/* A client that gives up stops the handler within a second. */
static void test_limits__client_leaves(void)
{
	tb_router *rt = routes();
	tb_server *s = start(rt, (tb_server_opts){0});
	int port = tb_server_port(s);
	tb_http_reply r;
	CHECK_INT(get(&r, port, "/data/plugin/test/slow", NULL, 300), CURLE_OPERATION_TIMEDOUT);
	tb_http_reply_free(&r);
	double end = tb_test_now() + 2;
	while (tb_server_abandoned(s) == 0 && tb_test_now() < end)
		usleep(10000);
	CHECK_INT(tb_server_abandoned(s), 1);
	tb_server_free(s);
	tb_router_free(rt);
}

static void test_limits__time_and_size(void)
{
	tb_router *rt = routes();
	tb_server *s =
	    start(rt, (tb_server_opts){.request_timeout = 0.5, .max_response = 1 << 20});
	int port = tb_server_port(s);
	tb_http_reply r;
	get(&r, port, "/data/plugin/test/slow", NULL, 3000);
	CHECK_INT(r.status, 503);
	CHECK(r.secs < 2);
	tb_http_reply_free(&r);
	get(&r, port, "/data/plugin/test/big", NULL, 3000);
	CHECK_INT(r.status, 413);
	CHECK(strstr(r.body.ptr, "Response too large"));
	tb_http_reply_free(&r);
	tb_server_free(s);
	tb_router_free(rt);
}

/* A handler working longer than the idle timeout still gets its answer
 * out: the idle timeout is for silent clients, not for slow work. */
static void test_limits__work_outlives_idle(void)
{
	tb_router *rt = routes();
	tb_server *s = start(rt, (tb_server_opts){.idle_timeout = 1, .request_timeout = 2.5});
	int port = tb_server_port(s);
	tb_http_reply r;
	get(&r, port, "/data/plugin/test/slow", NULL, 6000);
	CHECK_INT(r.status, 503);
	CHECK(r.secs > 2 && r.secs < 4);
	tb_http_reply_free(&r);
	tb_server_free(s);
	tb_router_free(rt);
}

typedef struct slow_arg {
	int port;
	long status;
} slow_arg;

static void *slow_client(void *p)
{
	slow_arg *a = p;
	tb_http_reply r;
	get(&r, a->port, "/data/plugin/test/slow", NULL, 10000);
	a->status = r.status;
	tb_http_reply_free(&r);
	return NULL;
}

/* Expensive requests fill the one worker and its queue: the next one gets
 * 429 at once, while core routes and tag listings are still answered. */
static void test_limits__queue(void)
{
	tb_router *rt = routes();
	tb_server *s =
	    start(rt, (tb_server_opts){.workers = 1, .max_queued = 1, .request_timeout = 3});
	int port = tb_server_port(s);
	pthread_t t[2];
	slow_arg a[2] = {{port, 0}, {port, 0}};
	pthread_create(&t[0], NULL, slow_client, &a[0]);
	WAIT_FOR(atomic_load(&slow_running) == 1);
	pthread_create(&t[1], NULL, slow_client, &a[1]);
	WAIT_FOR(tb_server_queued(s) == 1);
	CHECK_INT(tb_server_queued(s), 1);
	tb_http_reply r;
	get(&r, port, "/data/plugin/test/slow", NULL, 1000);
	CHECK_INT(r.status, 429);
	CHECK(strstr(r.head.ptr, "Retry-After: 1"));
	CHECK(r.secs < 1);
	tb_http_reply_free(&r);
	get(&r, port, "/data/runs", NULL, 1000);
	CHECK_INT(r.status, 200);
	CHECK(r.secs < 1);
	tb_http_reply_free(&r);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	/* the first ran out its time; the second waited past its deadline */
	CHECK_INT(a[0].status, 503);
	CHECK_INT(a[1].status, 503);
	tb_server_free(s);
	tb_router_free(rt);
}

/* Send head on a new connection to port, then piece every 0.2 s for up
 * to 4 s: 1 when the server closed the connection within 2.5 s. */
static int trickle_cut_off(int port, const char *head, const char *piece)
{
	int fd = tb_http_dial(NULL, port);
	CHECK(fd >= 0);
	double t0 = tb_test_now(), closed_at = 0;
	if (write(fd, head, strlen(head)) < 0)
		CHECK(0);
	while (tb_test_now() - t0 < 4 && !closed_at) {
		usleep(200000);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		char c;
		if (write(fd, piece, strlen(piece)) < 0 ||
		    (poll(&p, 1, 0) == 1 && read(fd, &c, 1) <= 0))
			closed_at = tb_test_now();
	}
	close(fd);
	return closed_at > 0 && closed_at - t0 < 2.5;
}

/* A header sent one line at a time, never finished, is cut off after the
 * header timeout although bytes keep coming. */
static void test_limits__slow_header(void)
{
	tb_router *rt = routes();
	tb_server *s = start(rt, (tb_server_opts){.header_timeout = 1});
	int port = tb_server_port(s);
	CHECK(trickle_cut_off(port, "GET /data/runs HTTP/1.1\r\n", "X-A: b\r\n"));
	CHECK(tb_server_header_timeouts(s) >= 1);
	/* an idle keep-alive connection too */
	int fd = tb_http_dial(NULL, port);
	double t0 = tb_test_now();
	struct pollfd p = {.fd = fd, .events = POLLIN};
	CHECK_INT(poll(&p, 1, 3000), 1);
	CHECK(tb_test_now() - t0 < 2.5);
	close(fd);
	tb_server_free(s);
	tb_router_free(rt);
}

/* A body sent a few bytes at a time is cut off at the request time limit. */
static void test_limits__slow_body(void)
{
	tb_router *rt = routes();
	tb_server *s = start(rt, (tb_server_opts){.request_timeout = 1});
	const char *head = "POST /data/runs HTTP/1.1\r\nHost: a\r\nContent-Length: 100000\r\n"
			   "Content-Type: application/x-www-form-urlencoded\r\n\r\n";
	CHECK(trickle_cut_off(tb_server_port(s), head, "a=1&"));
	tb_server_free(s);
	tb_router_free(rt);
}

/* 1100 idle sockets from one address, then 1020 more from four others:
 * a client from yet another address is still served. */
static void test_limits__flood(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_max < 5000) {
		printf("did not run: test_limits__flood needs 5000 descriptors, the hard limit is "
		       "%llu\n",
		       (unsigned long long)rl.rlim_max);
		return;
	}
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	tb_router *rt = routes();
	tb_server *s = start(rt, (tb_server_opts){0});
	int port = tb_server_port(s);
	static int fds[2200];
	size_t n = 0;
	for (int i = 0; i < 1100; i++)
		if ((fds[n] = tb_http_dial("127.0.0.1", port)) >= 0)
			n++;
	const char *others[] = {"127.0.0.3", "127.0.0.4", "127.0.0.5", "127.0.0.6"};
	for (int k = 0; k < 4; k++)
		for (int i = 0; i < 255; i++)
			if ((fds[n] = tb_http_dial(others[k], port)) >= 0)
				n++;
	CHECK(n >= 2000);
	usleep(300000);
	double t0 = tb_test_now();
	CHECK_INT(raw("127.0.0.2", port, "GET /data/runs HTTP/1.1\r\nHost: a\r\n\r\n", 1, NULL),
		  200);
	CHECK(tb_test_now() - t0 < 1);
	/* the flooding address itself gets no more than its share */
	CHECK_INT(raw("127.0.0.1", port, "GET /data/runs HTTP/1.1\r\nHost: a\r\n\r\n", 1, NULL),
		  0);
	for (size_t i = 0; i < n; i++)
		close(fds[i]);
	tb_server_free(s);
	tb_router_free(rt);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	TB_RUN(test_limits__protocol);
	TB_RUN(test_limits__token_compare);
	TB_RUN(test_limits__auth);
	TB_RUN(test_limits__client_leaves);
	TB_RUN(test_limits__time_and_size);
	TB_RUN(test_limits__work_outlives_idle);
	TB_RUN(test_limits__queue);
	TB_RUN(test_limits__slow_header);
	TB_RUN(test_limits__slow_body);
	TB_RUN(test_limits__flood);
	curl_global_cleanup();
	return tb_test_finish();
}
