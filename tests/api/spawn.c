/* Child-process control for loopback tests. The child's stdout is a pipe:
 * we read it until the server announces its URL, then a small thread keeps
 * draining it so a chatty server never blocks on a full pipe. The child is
 * also killed if the test process dies first (PR_SET_PDEATHSIG). */
#include "spawn.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tb_spawn {
	pid_t pid;
	int port;
	int fd;		 /* read end of the child's stdout */
	int reaped;	 /* 1 once waitpid returned the child */
	int status;	 /* wait status once reaped */
	pthread_t drain; /* discards stdout after the URL line */
	int draining;
};

static void *drain_main(void *arg)
{
	tb_spawn *s = arg;
	char buf[4096];
	int echo = getenv("TB_API_VERBOSE") != NULL;
	for (;;) {
		ssize_t n = read(s->fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (echo)
			fwrite(buf, 1, (size_t)n, stderr);
	}
	return NULL;
}

/* The port in the first "http://127.0.0.1:PORT/" of line, or 0. */
static int find_port(const char *line)
{
	const char *p = strstr(line, "http://127.0.0.1:");
	if (!p)
		return 0;
	p += strlen("http://127.0.0.1:");
	long port = 0;
	while (*p >= '0' && *p <= '9' && port < 65536)
		port = port * 10 + (*p++ - '0');
	return *p == '/' && port > 0 && port < 65536 ? (int)port : 0;
}

int tb_spawn_start(tb_spawn **out, int *exited_clean, const char *binary, const char *logdir,
		   const char *const *extra, int timeout_s, char *err, size_t errlen)
{
	*out = NULL;
	*exited_clean = 0;
	const char *argv[32] = {binary, "--logdir", logdir, "--port", "0"};
	int argc = 5;
	for (int i = 0; extra && extra[i] && argc < 31; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;

	int fds[2];
	if (pipe2(fds, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		dup2(fds[1], STDOUT_FILENO);
		execv(binary, (char *const *)argv);
		fprintf(stderr, "exec %s: %s\n", binary, strerror(errno));
		_exit(127);
	}
	close(fds[1]);

	tb_spawn *s = calloc(1, sizeof *s);
	s->pid = pid;
	s->fd = fds[0];
	char line[4096];
	size_t fill = 0;
	double deadline = tb_test_now() + timeout_s;
	while (!s->port) {
		double left = deadline - tb_test_now();
		if (left <= 0) {
			snprintf(err, errlen, "no \"http://127.0.0.1:PORT/\" line within %d s",
				 timeout_s);
			goto fail;
		}
		struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
		int r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			continue;
		ssize_t n = read(s->fd, line + fill, sizeof line - 1 - fill);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			waitpid(pid, &s->status, 0);
			s->reaped = 1;
			if (WIFEXITED(s->status)) {
				*exited_clean = WEXITSTATUS(s->status) == 0;
				snprintf(err, errlen, "exited with status %d before serving",
					 WEXITSTATUS(s->status));
			} else {
				snprintf(err, errlen, "killed by signal %d before serving",
					 WTERMSIG(s->status));
			}
			goto fail;
		}
		fill += (size_t)n;
		line[fill] = '\0';
		/* Look at complete lines only; keep a partial one for later. */
		char *nl;
		while (!s->port && (nl = strchr(line, '\n'))) {
			*nl = '\0';
			s->port = find_port(line);
			fill -= (size_t)(nl + 1 - line);
			memmove(line, nl + 1, fill + 1);
		}
		if (fill == sizeof line - 1)
			fill = 0; /* an absurdly long line: drop it */
	}
	s->draining = pthread_create(&s->drain, NULL, drain_main, s) == 0;
	*out = s;
	return 0;
fail:
	tb_spawn_stop(s);
	return -1;
}

pid_t tb_spawn_pid(const tb_spawn *s)
{
	return s->pid;
}

int tb_spawn_port(const tb_spawn *s)
{
	return s->port;
}

int tb_spawn_alive(tb_spawn *s)
{
	if (s->reaped)
		return 0;
	if (waitpid(s->pid, &s->status, WNOHANG) == s->pid)
		s->reaped = 1;
	return !s->reaped;
}

int tb_spawn_stop(tb_spawn *s)
{
	if (!s)
		return -1;
	if (!s->reaped) {
		kill(s->pid, SIGTERM);
		double deadline = tb_test_now() + 5;
		while (waitpid(s->pid, &s->status, WNOHANG) == 0) {
			if (tb_test_now() > deadline) {
				kill(s->pid, SIGKILL);
				waitpid(s->pid, &s->status, 0);
				break;
			}
			struct timespec ts = {0, 20 * 1000 * 1000};
			nanosleep(&ts, NULL);
		}
		s->reaped = 1;
	}
	if (s->draining)
		pthread_join(s->drain, NULL);
	close(s->fd);
	int status = s->status;
	free(s);
	return status;
}

const char *const tb_spawn_loaded[] = {TB_SPAWN_LOADED_FLAGS, NULL};

const char *tb_spawn_binary(void)
{
	const char *binary = getenv("TB_BINARY");
	if (!binary)
		fprintf(stderr, "TB_BINARY must be set (CTest sets it)\n");
	return binary;
}

tb_spawn *tb_spawn_serve(const char *binary, const char *logdir, const char *const *extra,
			 int *port)
{
	tb_spawn *s = NULL;
	int clean = 0;
	char err[512];
	if (tb_spawn_start(&s, &clean, binary, logdir, extra, 60, err, sizeof err) != 0)
		fprintf(stderr, "server did not start: %s\n", err);
	else if (port)
		*port = s->port;
	return s;
}

tb_spawn *tb_spawn_serve_new(const char *binary, char *dir, size_t n, const char *prefix,
			     void (*write)(const char *dir), const char *const *extra, int *port)
{
	if (tb_test_tmpdir(dir, n, prefix) != 0) {
		perror("mkdtemp");
		return NULL;
	}
	write(dir);
	tb_spawn *s = tb_spawn_serve(binary, dir, extra, port);
	if (!s)
		tb_test_rmtree(dir);
	return s;
}

int tb_spawn_stop_clean(tb_spawn *s)
{
	int status = tb_spawn_stop(s);
	return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}
