/* scale_bench: what a whole first load costs a tboard binary, compared with
 * another binary in the same run.
 *
 *     scale_bench LOGDIR REPEATS TBOARD [BASELINE] [--pages=small|large]
 *                 [-- extra flags...]
 *
 * Starts `TBOARD --logdir LOGDIR --port 0 --reload_task blocking
 * --reload_interval 0 [extra]`, which serves only once the load is done, and
 * measures the time from exec to the serving line, the peak number of open
 * descriptors (sampled from /proc every 2 ms while loading, printed beside
 * tboard's descriptor budget), the peak RSS (VmHWM once serving) and the
 * CPU time (user + system) the process used. With BASELINE, the two binaries alternate
 * REPEATS times each, so both see the same machine state; medians and the
 * ratios TBOARD / BASELINE are printed. Each round also times one thread
 * reading every file under LOGDIR with read() (bench_read_all): the
 * copy out of the page cache that every loader pays, which depends on how
 * the cache holds the files (in 4 KiB pages it takes about twice as long
 * as in large folios), so that a load time can be read against it.
 * --pages sets that state first: every file is dropped from the cache and
 * read back once, with readahead on (large: the folios the kernel reads
 * ahead into) or off (small: 4 KiB pages where memory is fragmented, larger
 * folios where it is not; the read time printed says which it got). */
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tests/api/testutil.h"
#include "lib/bench.h"

typedef struct sample {
	double secs;
	double cpu; /* user + system seconds of the whole run */
	long rss_kb;
	int fds;
} sample;

static int run_once(sample *out, const char *tboard, const char *logdir, char **extra, int n_extra)
{
	const char *argv[64] = {tboard,		"--logdir",	     logdir, "--port", "0",
				"--reload_task", "blocking", "--reload_interval", "0"};
	int argc = 9;
	for (int i = 0; i < n_extra && argc < 63; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;
	int fds[2];
	if (pipe(fds))
		return -1;
	double t0 = bench_now();
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		int null = open("/dev/null", O_WRONLY);
		if (null >= 0) {
			dup2(null, 2);
			close(null); /* tboard starts with stdio only */
		}
		execv(tboard, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	char buf[4096];
	size_t len = 0;
	int peak = 0, serving = 0;
	while (!serving) {
		struct pollfd p = {fds[0], POLLIN, 0};
		int n = tb_test_count_fds(pid);
		if (n > peak)
			peak = n;
		if (poll(&p, 1, 2) <= 0)
			continue;
		ssize_t got = read(fds[0], buf + len, sizeof buf - 1 - len);
		if (got <= 0)
			break;
		len += (size_t)got;
		buf[len] = 0;
		serving = strstr(buf, "http://127.0.0.1:") != NULL;
		if (len == sizeof buf - 1)
			len = 0;
	}
	out->secs = bench_now() - t0;
	out->fds = peak;
	out->rss_kb = bench_vm_hwm_kb(pid);
	kill(pid, SIGTERM);
	struct rusage ru;
	if (wait4(pid, NULL, 0, &ru) == pid)
		out->cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
			   (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	close(fds[0]);
	return serving ? 0 : -1;
}

static uint64_t read_bytes;
static int page_advice = -1; /* --pages: the advice to read back with */

static int read_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_F)
		read_bytes +=
		    page_advice >= 0 ? bench_reread(path, page_advice) : bench_read_all(path);
	return 0;
}

/* Seconds one thread takes to read every file under logdir. */
static double read_all(const char *logdir)
{
	read_bytes = 0;
	double t0 = bench_now();
	nftw(logdir, read_one, 16, FTW_PHYS);
	return bench_now() - t0;
}

static void report(const char *label, sample *v, int n, double *t, double *cpu, double *rss,
		   double *fd)
{
	double a[256], b[256], c[256], d[256];
	for (int i = 0; i < n; i++) {
		a[i] = v[i].secs;
		b[i] = (double)v[i].rss_kb / 1024;
		c[i] = v[i].fds;
		d[i] = v[i].cpu;
	}
	*t = bench_median(a, n);
	*rss = bench_median(b, n);
	*fd = bench_median(c, n);
	*cpu = bench_median(d, n);
	printf("%-9s load %.3f s (CPU %.3f s), peak RSS %.1f MB, peak open descriptors %.0f "
	       "(medians of %d)\n",
	       label, *t, *cpu, *rss, *fd, n);
}

/* tboard's descriptor budget: --max_open_files when given, else a quarter
 * of the hard limit (tboard raises its soft limit to it), 8 to 512. */
static long fd_budget(char **extra, int n_extra)
{
	for (int i = 0; i + 1 < n_extra; i++)
		if (strcmp(extra[i], "--max_open_files") == 0)
			return atol(extra[i + 1]);
	struct rlimit rl;
	long hard = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max != RLIM_INFINITY
			? (long)rl.rlim_max
			: 1024;
	long n = hard / 4;
	return n > 512 ? 512 : n < 8 ? 8 : n;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: scale_bench LOGDIR REPEATS TBOARD [BASELINE] [-- flags...]\n");
		return 2;
	}
	const char *logdir = argv[1];
	int repeats = atoi(argv[2]);
	if (repeats < 1 || repeats > 256)
		repeats = 3;
	const char *bins[2] = {argv[3], NULL};
	int i = 4;
	if (i < argc && strncmp(argv[i], "--", 2) != 0)
		bins[1] = argv[i++];
	if (i < argc && strncmp(argv[i], "--pages=", 8) == 0) {
		const char *p = argv[i++] + 8;
		if (strcmp(p, "small") && strcmp(p, "large")) {
			fprintf(stderr, "scale_bench: --pages is small or large\n");
			return 2;
		}
		page_advice = strcmp(p, "small") == 0 ? POSIX_FADV_RANDOM : POSIX_FADV_SEQUENTIAL;
		read_all(logdir);
		page_advice = -1;
	}
	char **extra = NULL;
	int n_extra = 0;
	if (i < argc && strcmp(argv[i], "--") == 0) {
		extra = argv + i + 1;
		n_extra = argc - i - 1;
	}
	sample v[2][256];
	double reads[256];
	for (int r = 0; r < repeats; r++) {
		reads[r] = read_all(logdir);
		for (int b = 0; b < 2 && bins[b]; b++)
			if (run_once(&v[b][r], bins[b], logdir, extra, n_extra)) {
				fprintf(stderr, "scale_bench: %s did not serve\n", bins[b]);
				return 1;
			}
	}
	double t[2], cpu[2], rss[2], fd[2];
	report("tboard", v[0], repeats, &t[0], &cpu[0], &rss[0], &fd[0]);
	if (bins[1]) {
		report("baseline", v[1], repeats, &t[1], &cpu[1], &rss[1], &fd[1]);
		printf("ratio     load %.2fx, CPU %.2fx, peak RSS %.2fx, descriptors %.2fx\n",
		       t[0] / t[1], cpu[0] / cpu[1], rss[0] / rss[1], fd[0] / fd[1]);
	}
	printf("reading the files alone: %.3f s for %.1f MB (one thread, read(); median of %d)\n",
	       bench_median(reads, repeats), (double)read_bytes / 1e6, repeats);
	printf("descriptor budget %ld\n", fd_budget(extra, n_extra));
	return 0;
}
