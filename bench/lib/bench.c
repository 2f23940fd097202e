/* Helpers the benchmarks share: a monotonic clock, medians, a minimal
 * HTTP/1.1 GET client for loopback, starting a tboard process and reading
 * the port it prints, and a process's peak RSS. */
#include "bench.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_url_escape(char *out, size_t n, const char *s)
{
	size_t o = 0;
	for (; *s && o + 4 < n; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, n - o, "%%%02X", c);
	}
	out[o] = 0;
}

/* GET path on 127.0.0.1:port; returns the body (malloc) or NULL. */
char *bench_http_get(int port, const char *path)
{
	return bench_http_request(port, path, NULL, NULL);
}

char *bench_http_request(int port, const char *path, const char *form, int *status)
{
	if (status)
		*status = 0;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
		close(fd);
		return NULL;
	}
	char req[8192];
	int n = form ? snprintf(req, sizeof req,
				"POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
				"Content-Type: application/x-www-form-urlencoded\r\n"
				"Content-Length: %zu\r\n\r\n%s",
				path, strlen(form), form)
		     : snprintf(req, sizeof req,
				"GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", path);
	if (n < 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n) {
		close(fd);
		return NULL;
	}
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	ssize_t r;
	while ((r = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)r;
		if (len + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(fd);
	buf[len] = 0;
	char *body = strstr(buf, "\r\n\r\n");
	if (status && len > 12)
		*status = atoi(buf + 9);
	if (!body || strncmp(buf, "HTTP/1.1 200", 12) != 0) {
		free(buf);
		return NULL;
	}
	memmove(buf, body + 4, strlen(body + 4) + 1);
	return buf;
}

/* Step of the last [wall, step, value] point of a scalars answer. */
long long bench_last_step(const char *json)
{
	const char *p = strrchr(json, '[');
	if (!p)
		return -1;
	const char *comma = strchr(p, ',');
	return comma ? atoll(comma + 1) : -1;
}

long bench_status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	long kb = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof line, f))
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			kb = atol(line + n + 1);
	if (f)
		fclose(f);
	return kb;
}

long bench_vm_hwm_kb(pid_t pid)
{
	return bench_status_kb(pid, "VmHWM");
}

pid_t bench_start_tboard(const char *tboard, const char *logdir, int *port, int *out_fd)
{
	return bench_start_tboard_args(tboard, logdir, NULL, port, out_fd);
}

pid_t bench_start_tboard_args(const char *tboard, const char *logdir, const char *const *extra,
			      int *port, int *out_fd)
{
	int out[2];
	if (pipe(out))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		int devnull = open("/dev/null", O_WRONLY);
		dup2(devnull, 2);
		const char *argv[32] = {tboard, "--logdir", logdir, "--port", "0",
					"--reload_interval", "5"};
		size_t n = 7;
		for (size_t i = 0; extra && extra[i] && n < 31; i++)
			argv[n++] = extra[i];
		argv[n] = NULL;
		execv(tboard, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	char line[512];
	size_t len = 0;
	*port = 0;
	while (!*port && len < sizeof line - 1) {
		ssize_t r = read(out[0], line + len, 1);
		if (r <= 0)
			break;
		if (line[len++] == '\n') {
			line[len] = 0;
			char *p = strstr(line, "127.0.0.1:");
			*port = p ? atoi(p + 10) : 0;
			len = 0;
		}
	}
	*out_fd = out[0];
	return pid;
}

void bench_stop(pid_t pid, int out_fd)
{
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	close(out_fd);
}

double bench_time_to_answer(long *rss_kb, const char *tboard, const char *logdir, const char *path,
			    int (*done)(const char *body, void *payload), void *payload, double timeout_s)
{
	double t0 = bench_now();
	int port, out_fd;
	pid_t pid = bench_start_tboard(tboard, logdir, &port, &out_fd);
	if (pid < 0)
		return -1;
	double t = -1;
	while (port && bench_now() - t0 < timeout_s) {
		char *body = bench_http_get(port, path);
		int ok = body && done(body, payload);
		free(body);
		if (ok) {
			t = bench_now() - t0;
			break;
		}
		usleep(2000);
	}
	*rss_kb = bench_vm_hwm_kb(pid);
	bench_stop(pid, out_fd);
	return t;
}

long bench_arg(int argc, char **argv, int i, long def, long min)
{
	char *end;
	long v;
	if (argc <= i)
		return def;
	v = strtol(argv[i], &end, 10);
	if (*end || v < min) {
		fprintf(stderr, "%s: bad number %s\n", argv[0], argv[i]);
		exit(2);
	}
	return v;
}

tb_writer *bench_train_run(char *dir)
{
	if (!mkdtemp(dir))
		return NULL;
	char run[256];
	snprintf(run, sizeof run, "%s/train", dir);
	tb_writer *w;
	if (tb_writer_open(&w, run, NULL))
		return NULL;
	tb_writer_add_scalar(w, "loss", 1.0, 0, 0);
	return w;
}

/* Read fd to its end and close it; the bytes read. */
static uint64_t read_fd(int fd)
{
	static char buf[1 << 20];
	uint64_t bytes = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		bytes += (uint64_t)n;
	close(fd);
	return bytes;
}

uint64_t bench_read_all(const char *path)
{
	int fd = open(path, O_RDONLY);
	return fd >= 0 ? read_fd(fd) : 0;
}

uint64_t bench_reread(const char *path, int advice)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	fdatasync(fd); /* a dirty page cannot be dropped */
	posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	posix_fadvise(fd, 0, 0, advice);
	return read_fd(fd);
}
