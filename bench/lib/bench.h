/* Helpers shared by the benchmark programs (bench/lib/bench.c). */
#ifndef TB_BENCH_H
#define TB_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <tboard/writer.h>

/* Seconds on a monotonic clock. */
double bench_now(void);
/* Median of n values (sorts v). */
double bench_median(double *v, int n);
/* Percent-encode s into out (n bytes). */
void bench_url_escape(char *out, size_t n, const char *s);
/* GET path from 127.0.0.1:port; the body of a 200 answer (free()), or NULL. */
char *bench_http_get(int port, const char *path);
/* GET, or POST when form (an urlencoded body) is given; *status (may be
 * NULL) gets the status code, 0 when no answer. Body as bench_http_get. */
char *bench_http_request(int port, const char *path, const char *form, int *status);
/* Step of the last [wall, step, value] point of a scalars answer, or -1. */
long long bench_last_step(const char *json);
/* A KiB field of /proc/PID/status ("VmRSS", "VmHWM"), or -1. */
long bench_status_kb(pid_t pid, const char *field);
/* Peak resident set of a process in KiB (VmHWM), or -1. */
long bench_vm_hwm_kb(pid_t pid);
/* Start `tboard --logdir logdir --port 0`; sets *port once it serves
 * (0 if it never did) and *out_fd to its stdout. Returns the pid or -1. */
pid_t bench_start_tboard(const char *tboard, const char *logdir, int *port, int *out_fd);
/* argv[i] as a number >= min, or def when absent; exits with status 2 on
 * anything else. */
long bench_arg(int argc, char **argv, int i, long def, long min);
/* The same with extra flags (NULL-terminated, up to 24). */
pid_t bench_start_tboard_args(const char *tboard, const char *logdir, const char *const *extra,
			      int *port, int *out_fd);
/* SIGTERM, reap, close. */
void bench_stop(pid_t pid, int out_fd);
/* Start tboard on logdir and GET path until done(body, payload) says the
 * answer is the awaited one (or timeout_s passes). Returns the seconds from
 * exec to that answer (-1 if it never came) and the server's peak RSS in
 * *rss_kb; the server is stopped again. */
double bench_time_to_answer(long *rss_kb, const char *tboard, const char *logdir, const char *path,
			    int (*done)(const char *body, void *payload), void *payload, double timeout_s);
/* Make a folder from the mkdtemp template dir (rewritten in place) with a
 * run "train" holding loss = 1.0 at step 0, not yet flushed. Returns the
 * run's open writer, or NULL. */
tb_writer *bench_train_run(char *dir);
/* Read path to its end; the bytes read (0 when it cannot be opened). */
uint64_t bench_read_all(const char *path);
/* The same after dropping path from the page cache, with advice
 * (POSIX_FADV_SEQUENTIAL: readahead on; POSIX_FADV_RANDOM: off) for the
 * read that brings it back. */
uint64_t bench_reread(const char *path, int advice);

#endif
