/* Leveled logging to stderr (see log.h). */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int min_level = TB_LOG_INFO;
static tb_log_hook log_hook;
static void *log_payload;

void tb_log_set_level(int level)
{
	min_level = level;
}

void tb_log_set_hook(tb_log_hook hook, void *payload)
{
	log_hook = hook;
	log_payload = payload;
}

void tb_log(int level, const char *fmt, ...)
{
	static const char *names[] = {"debug", "info", "warning", "error"};
	if (level < min_level)
		return;
	char line[2048];
	int n = snprintf(line, sizeof line, "tboard: %s: ", names[level & 3]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (log_hook) {
		log_hook(level, line + n, log_payload);
		return;
	}
	size_t len = strlen(line);
	line[len++] = '\n';
	ssize_t w = write(2, line, len);
	(void)w;
}

double tb_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
