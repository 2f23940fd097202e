/* Loader: discovery + parallel incremental reading (see loader.h).
 *
 * Per-run state (open readers, file list) belongs to the loader and is only
 * touched by the worker that holds the run during a cycle; the store's run
 * object is shared with readers and is only changed under its write lock. */
#include "loader.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/error.h"
#include "common/log.h"
#include "compat.h"
#include "proto/event.h"
#include "record/rec_reader.h"
#include "scan.h"
#include "watch.h"

/* Records committed per run write-lock hold. */
#define BATCH 2048

typedef struct lfile {
	char *name;
	char *path;
	tb_rec_reader *reader;
	tb_series *prev; /* last series stored into, see tb_compat_add_event */
	int dead;
} lfile;

typedef struct lrun {
	char *name;
	tb_run *run; /* in the store */
	lfile *files;
	size_t n_files, files_alloc;
	int present; /* seen by the current scan */
} lrun;

struct tb_loader {
	tb_store *store;
	tb_loader_source *sources;
	size_t n_sources;
	double reload_interval;
	int threads;

	lrun **runs; /* owned by the cycle in progress */
	size_t n_runs, runs_alloc;
	size_t next_job; /* atomic: next run index for workers */

	pthread_t thread;
	int thread_started;
	tb_watch *watch;    /* NULL without inotify or when loading once */
	pthread_mutex_t mu; /* guards stop and the condition below */
	pthread_cond_t cond;
	int stop;
	uint64_t cycles;  /* atomic */
	uint64_t records; /* atomic */
	uint64_t bytes;	  /* atomic */
	uint64_t damaged; /* atomic */
};

tb_loader *tb_loader_new(tb_store *store, const tb_loader_opts *opts)
{
	tb_loader *l = tb_xcalloc(1, sizeof *l);
	l->store = store;
	l->n_sources = opts->n_sources;
	l->sources = tb_xcalloc(opts->n_sources ? opts->n_sources : 1, sizeof *l->sources);
	for (size_t i = 0; i < opts->n_sources; i++) {
		l->sources[i].name =
		    opts->sources[i].name ? tb_xstrdup(opts->sources[i].name) : NULL;
		l->sources[i].path = tb_xstrdup(opts->sources[i].path);
	}
	l->reload_interval = opts->reload_interval;
	l->threads = opts->threads > 0 ? opts->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (l->threads < 1)
		l->threads = 1;
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cond, NULL);
	if (l->reload_interval > 0)
		l->watch = tb_watch_new();
	return l;
}

static lrun *find_lrun(tb_loader *l, const char *name)
{
	for (size_t i = 0; i < l->n_runs; i++)
		if (strcmp(l->runs[i]->name, name) == 0)
			return l->runs[i];
	return NULL;
}

static void lrun_free(lrun *r)
{
	for (size_t i = 0; i < r->n_files; i++) {
		tb_rec_reader_free(r->files[i].reader);
		free(r->files[i].name);
		free(r->files[i].path);
	}
	free(r->files);
	free(r->name);
	free(r);
}

static int cmp_lfile(const void *a, const void *b)
{
	return strcmp(((const lfile *)a)->name, ((const lfile *)b)->name);
}

/* Merge a scanned run into the loader's state; new runs enter the store. */
static void merge_scanned(tb_loader *l, const tb_scan_run *sr, const char *name)
{
	lrun *r = find_lrun(l, name);
	if (!r) {
		r = tb_xcalloc(1, sizeof *r);
		r->name = tb_xstrdup(name);
		r->run = tb_store_add_run(l->store, name);
		l->runs = tb_xgrow(l->runs, &l->runs_alloc, l->n_runs + 1, sizeof *l->runs);
		l->runs[l->n_runs++] = r;
	}
	r->present = 1;
	int added = 0;
	for (size_t i = 0; i < sr->n_files; i++) {
		int known = 0;
		for (size_t j = 0; j < r->n_files && !known; j++)
			known = strcmp(r->files[j].name, sr->files[i]) == 0;
		if (known)
			continue;
		r->files = tb_xgrow(r->files, &r->files_alloc, r->n_files + 1, sizeof *r->files);
		lfile *f = &r->files[r->n_files++];
		memset(f, 0, sizeof *f);
		f->name = tb_xstrdup(sr->files[i]);
		f->path = tb_xasprintf("%s/%s", sr->dir, sr->files[i]);
		added = 1;
	}
	if (added)
		qsort(r->files, r->n_files, sizeof *r->files, cmp_lfile);
}

static void discover(tb_loader *l)
{
	for (size_t i = 0; i < l->n_runs; i++)
		l->runs[i]->present = 0;
	for (size_t s = 0; s < l->n_sources; s++) {
		tb_scan_result res;
		tb_scan(&res, l->sources[s].path);
		for (size_t i = 0; i < res.n_dirs; i++)
			tb_watch_add(l->watch, res.dirs[i]);
		for (size_t i = 0; i < res.n_runs; i++) {
			const char *rel = res.runs[i].name;
			char *name = l->sources[s].name
					 ? tb_xasprintf("%s/%s", l->sources[s].name, rel)
					 : tb_xstrdup(rel);
			merge_scanned(l, &res.runs[i], name);
			free(name);
		}
		tb_scan_result_release(&res);
	}
	/* Runs whose event files are all gone leave the store (LOADING.md 3.4). */
	size_t kept = 0;
	for (size_t i = 0; i < l->n_runs; i++) {
		lrun *r = l->runs[i];
		if (r->present) {
			l->runs[kept++] = r;
		} else {
			tb_log_info("run %s: no event files any more; removed", r->name);
			tb_store_remove_run(l->store, r->run);
			lrun_free(r);
		}
	}
	l->n_runs = kept;
}

/* Read everything new in one file. */
static void read_file(tb_loader *l, lrun *r, lfile *f)
{
	if (f->dead)
		return;
	if (!f->reader && tb_rec_reader_open(&f->reader, f->path)) {
		f->dead = 1; /* vanished or unreadable: keep what was read */
		return;
	}
	uint64_t start = tb_rec_reader_offset(f->reader);
	uint64_t records = 0;
	int done = 0;
	while (!done) {
		uint64_t before = records;
		tb_run_wrlock(r->run);
		for (int i = 0; i < BATCH; i++) {
			tb_slice rec;
			int rc = tb_rec_reader_next(&rec, f->reader);
			if (rc == TB_EPARTIAL || rc == TB_EIO) {
				done = 1;
				break;
			}
			if (rc == TB_ECORRUPT) {
				__atomic_add_fetch(&l->damaged, 1, __ATOMIC_RELAXED);
				tb_log_warn(
				    "%s: damaged record at byte %llu (%s); skipping to the next "
				    "intact record",
				    f->path,
				    (unsigned long long)tb_rec_reader_damage_offset(f->reader),
				    tb_rec_reader_damage_reason(f->reader));
				continue;
			}
			records++;
			tb_event ev;
			if (tb_event_decode(&ev, rec)) {
				__atomic_add_fetch(&l->damaged, 1, __ATOMIC_RELAXED);
				tb_log_warn(
				    "%s: record at byte %llu is not a valid event; skipped",
				    f->path,
				    (unsigned long long)tb_rec_reader_record_offset(f->reader));
				continue;
			}
			if (!isfinite(ev.wall_time))
				continue; /* cannot be placed in time (LOADING.md 6.2) */
			if (tb_compat_add_event(l->store, r->run, &ev, &f->prev) < 0) {
				__atomic_add_fetch(&l->damaged, 1, __ATOMIC_RELAXED);
				tb_log_warn(
				    "%s: event at byte %llu is partly malformed; kept what "
				    "could be read",
				    f->path,
				    (unsigned long long)tb_rec_reader_record_offset(f->reader));
			}
		}
		tb_run_unlock(r->run);
		if (records != before)
			tb_store_touch(l->store); /* clients poll this to learn of new data */
	}
	__atomic_add_fetch(&l->records, records, __ATOMIC_RELAXED);
	__atomic_add_fetch(&l->bytes, tb_rec_reader_offset(f->reader) - start, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
	tb_loader *l = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&l->next_job, 1, __ATOMIC_RELAXED);
		if (i >= l->n_runs)
			return NULL;
		lrun *r = l->runs[i];
		for (size_t j = 0; j < r->n_files; j++)
			read_file(l, r, &r->files[j]);
	}
}

void tb_loader_cycle(tb_loader *l)
{
	discover(l);
	l->next_job = 0;
	int n = l->threads;
	if ((size_t)n > l->n_runs)
		n = (int)l->n_runs;
	pthread_t *tids = tb_xcalloc((size_t)(n > 0 ? n : 1), sizeof *tids);
	int started = 0;
	for (int i = 1; i < n; i++)
		if (pthread_create(&tids[i], NULL, worker, l) == 0)
			started = i;
	worker(l);
	for (int i = 1; i <= started; i++)
		pthread_join(tids[i], NULL);
	free(tids);
	__atomic_add_fetch(&l->cycles, 1, __ATOMIC_RELEASE);
}

/* Wait for the next cycle: a change seen by the watcher, the reload
 * interval, or stop. Returns nonzero to stop. */
static int wait_next(tb_loader *l)
{
	if (l->watch && l->reload_interval > 0) {
		if (tb_watch_wait(l->watch, (int)(l->reload_interval * 1000)))
			usleep(20000); /* let a burst of writes settle into one cycle */
		pthread_mutex_lock(&l->mu);
		int stop = l->stop;
		pthread_mutex_unlock(&l->mu);
		return stop;
	}
	pthread_mutex_lock(&l->mu);
	if (l->reload_interval <= 0) {
		while (!l->stop)
			pthread_cond_wait(&l->cond, &l->mu);
	} else if (!l->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		double secs = floor(l->reload_interval);
		ts.tv_sec += (time_t)secs;
		ts.tv_nsec += (long)((l->reload_interval - secs) * 1e9);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!l->stop && pthread_cond_timedwait(&l->cond, &l->mu, &ts) != ETIMEDOUT)
			;
	}
	int stop = l->stop;
	pthread_mutex_unlock(&l->mu);
	return stop;
}

static void *reload_loop(void *arg)
{
	tb_loader *l = arg;
	do
		tb_loader_cycle(l);
	while (!wait_next(l));
	return NULL;
}

void tb_loader_start(tb_loader *l)
{
	if (pthread_create(&l->thread, NULL, reload_loop, l) == 0)
		l->thread_started = 1;
	else
		tb_log_error("cannot start the loader thread");
}

uint64_t tb_loader_cycles(const tb_loader *l)
{
	return __atomic_load_n(&l->cycles, __ATOMIC_ACQUIRE);
}

void tb_loader_get_stats(const tb_loader *l, tb_loader_stats *out)
{
	out->records = __atomic_load_n(&l->records, __ATOMIC_RELAXED);
	out->bytes = __atomic_load_n(&l->bytes, __ATOMIC_RELAXED);
	out->damaged = __atomic_load_n(&l->damaged, __ATOMIC_RELAXED);
}

void tb_loader_free(tb_loader *l)
{
	if (!l)
		return;
	if (l->thread_started) {
		pthread_mutex_lock(&l->mu);
		l->stop = 1;
		pthread_cond_broadcast(&l->cond);
		pthread_mutex_unlock(&l->mu);
		tb_watch_wake(l->watch);
		pthread_join(l->thread, NULL);
	}
	tb_watch_free(l->watch);
	for (size_t i = 0; i < l->n_runs; i++)
		lrun_free(l->runs[i]);
	free(l->runs);
	for (size_t i = 0; i < l->n_sources; i++) {
		free((char *)l->sources[i].name);
		free((char *)l->sources[i].path);
	}
	free(l->sources);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cond);
	free(l);
}
