/* Loader: discovery + parallel incremental reading (see loader.h).
 *
 * Per-run state (file list, readers) belongs to the loader and is only
 * touched by the worker that holds the run during a pass; the store's run
 * object is shared with readers and is only changed under its write lock,
 * which is taken only to commit an already read and decoded batch.
 *
 * Resources are bounded whatever the number of runs: a reader between
 * passes keeps only its offset and resync state; open files form one LRU
 * pool of at most max_open_files handles (a file with nothing new in a
 * pass is closed, the least recently used one when another needs the slot,
 * and it is reopened at its offset when stat says it grew); read
 * buffers are lent to a file for one pass and come from a small free list
 * shared by the workers. Failures are states: a folder or file that cannot
 * be read now is warned about once, retried with back-off, and never taken
 * for deleted, so no run and no point is lost to a passing error. */
#include "loader.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "common/sync.h"
#include "compat.h"
#include "fs/fs.h"
#include "proto/event.h"
#include "record/rec_reader.h"
#include "scan.h"
#include "store/store_internal.h"

/* Records read and decoded per commit (one run write-lock hold); a batch
 * also ends where the read buffer does (its records are views into it). */
#define BATCH 2048
/* Bytes a damaged file's resync scan may examine per pass (LOADING.md 5). */
#define SCAN_BUDGET ((uint64_t)16 << 20)
/* Read buffers kept for reuse, and the largest size kept. */
#define READ_BUF (256u << 10)
#define MAX_FREE_BUFS 8
/* Retry delays after a failure, seconds. */
#define BACKOFF_MIN 0.25
#define BACKOFF_MAX 8.0
/* Descriptors left free below the budget for what others open between two
 * counts: connections, a profile trace, the scan's folder listings, this
 * count's own listing. 4 let a 1000-run load peak one over the budget. */
#define FD_HEADROOM 8

typedef struct lfile {
	char *name;
	char *path;
	tb_rec_reader *reader; /* created at the first read; keeps the offset */
	tb_series *prev;       /* last series stored into, see tb_compat_add_event */
	uint64_t id;	       /* identity of the file the reader has read */
	int failing;	       /* the last attempt failed (warned once) */
	double retry_at;       /* monotonic seconds: no attempt before */
	double backoff;
	/* guarded by the pool's mutex: */
	tb_fs_file *fh; /* open handle, or NULL */
	int in_use;	/* a worker reads it; not to be closed */
	struct lfile *lru_prev, *lru_next;
} lfile;

typedef struct lrun {
	char *name;
	char *dir;
	tb_run *run; /* in the store */
	lfile **files;
	size_t n_files, files_alloc;
	int present; /* seen by the current scan */
} lrun;

typedef struct fpool {
	pthread_mutex_t mu;
	lfile lru;	     /* sentinel: lru.lru_next is the most recent */
	size_t open, limit;  /* handles open; limit: the process's descriptor budget */
	size_t others;	     /* descriptors held outside the pool at the last count */
	size_t peak;	     /* most handles ever open at once */
	uint8_t **bufs;	     /* free read buffers of READ_BUF bytes */
	size_t n_bufs, bufs_alloc;
} fpool;

struct tb_loader {
	tb_store *store;
	tb_loader_source *sources;
	size_t n_sources;
	double reload_interval;
	int threads;
	fpool pool;

	lrun **runs; /* owned by the cycle in progress */
	size_t n_runs, runs_alloc;
	size_t next_job; /* atomic: next run index for workers */
	int more;	 /* atomic: a file has more to do right away */
	char **failed;	 /* folders the last scan could not read, sorted */
	size_t n_failed;

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

/* ---- the pool of open files and read buffers ------------------------------ */

static void lru_unlink(lfile *f)
{
	f->lru_prev->lru_next = f->lru_next;
	f->lru_next->lru_prev = f->lru_prev;
	f->lru_prev = f->lru_next = NULL;
}

static void lru_push_front(fpool *p, lfile *f)
{
	f->lru_next = p->lru.lru_next;
	f->lru_prev = &p->lru;
	p->lru.lru_next->lru_prev = f;
	p->lru.lru_next = f;
}

/* Close f's handle if open. Caller holds p->mu; f is not in use. */
static void pool_close_locked(fpool *p, lfile *f)
{
	if (!f->fh)
		return;
	lru_unlink(f);
	tb_fs_close(f->fh);
	f->fh = NULL;
	p->open--;
}

static void pool_close(fpool *p, lfile *f)
{
	pthread_mutex_lock(&p->mu);
	pool_close_locked(p, f);
	pthread_mutex_unlock(&p->mu);
}

/* Descriptors this process holds now, or 0 when /proc cannot tell. */
static size_t process_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return 0;
	size_t n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n ? n - 1 : 0; /* not the listing's own */
}

/* Count the descriptors held outside the pool (sockets, the watcher,
 * stdio, traces a request reads), so that files take only what they
 * leave of the budget. Called before each read pass. */
static void pool_count_others(fpool *p)
{
	size_t total = process_fds();
	pthread_mutex_lock(&p->mu);
	p->others = total > p->open ? total - p->open : 0;
	pthread_mutex_unlock(&p->mu);
}

/* Handles the pool may hold: the budget less the others and the headroom,
 * at least one. Caller holds p->mu. */
static size_t pool_cap(const fpool *p)
{
	size_t used = p->others + FD_HEADROOM;
	return p->limit > used ? p->limit - used : 1;
}

/* Make f's handle available to the calling worker, opening the file (and
 * closing the least recently used idle one when the pool is full). Returns
 * 0, 1 when every handle is in use by other workers, TB_ENOTFOUND or
 * TB_EIO (tb_fs_errmsg / tb_fs_transient tell why). */
static int pool_acquire(fpool *p, lfile *f)
{
	pthread_mutex_lock(&p->mu);
	if (f->fh) {
		lru_unlink(f);
		lru_push_front(p, f);
		f->in_use = 1;
		pthread_mutex_unlock(&p->mu);
		return 0;
	}
	while (p->open >= pool_cap(p)) {
		lfile *v = p->lru.lru_prev;
		while (v != &p->lru && v->in_use)
			v = v->lru_prev;
		if (v == &p->lru) {
			pthread_mutex_unlock(&p->mu);
			return 1; /* every handle busy: try again next pass */
		}
		pool_close_locked(p, v);
	}
	p->open++; /* reserve the slot while opening without the lock */
	if (p->open > p->peak)
		p->peak = p->open;
	pthread_mutex_unlock(&p->mu);
	tb_fs_file *fh;
	int rc = tb_fs_open(&fh, f->path);
	pthread_mutex_lock(&p->mu);
	if (rc) {
		p->open--;
	} else {
		f->fh = fh;
		f->in_use = 1;
		lru_push_front(p, f);
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

static void pool_release(fpool *p, lfile *f)
{
	pthread_mutex_lock(&p->mu);
	f->in_use = 0;
	pthread_mutex_unlock(&p->mu);
}

static uint8_t *pool_get_buf(fpool *p, size_t *cap)
{
	uint8_t *b = NULL;
	pthread_mutex_lock(&p->mu);
	if (p->n_bufs)
		b = p->bufs[--p->n_bufs];
	pthread_mutex_unlock(&p->mu);
	*cap = READ_BUF;
	if (b)
		return b;
	b = tb_xmalloc(READ_BUF);
	tb_prefault(b, READ_BUF); /* it is about to be filled: fault it in at once */
	return b;
}

static void pool_put_buf(fpool *p, uint8_t *b, size_t cap)
{
	if (!b)
		return;
	pthread_mutex_lock(&p->mu);
	if (cap == READ_BUF && p->n_bufs < MAX_FREE_BUFS) {
		p->bufs = tb_xgrow(p->bufs, &p->bufs_alloc, p->n_bufs + 1, sizeof *p->bufs);
		p->bufs[p->n_bufs++] = b;
		b = NULL;
	}
	pthread_mutex_unlock(&p->mu);
	free(b); /* grown for a large record, or enough kept */
}

/* ---- loader ---------------------------------------------------------------- */

size_t tb_loader_default_open_files(void)
{
	struct rlimit rl;
	size_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY
			  ? (size_t)rl.rlim_cur
			  : 1024;
	size_t n = soft / 4;
	if (n > 512)
		n = 512;
	return n < 8 ? 8 : n;
}

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
	pthread_mutex_init(&l->pool.mu, NULL);
	l->pool.lru.lru_next = l->pool.lru.lru_prev = &l->pool.lru;
	l->pool.limit =
	    opts->max_open_files ? opts->max_open_files : tb_loader_default_open_files();
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cond, NULL);
	if (l->reload_interval > 0 && l->n_sources)
		l->watch = tb_fs_watch_new(l->sources[0].path);
	return l;
}

static lrun *find_lrun(tb_loader *l, const char *name)
{
	for (size_t i = 0; i < l->n_runs; i++)
		if (strcmp(l->runs[i]->name, name) == 0)
			return l->runs[i];
	return NULL;
}

static void lrun_free(tb_loader *l, lrun *r)
{
	for (size_t i = 0; i < r->n_files; i++) {
		lfile *f = r->files[i];
		pool_close(&l->pool, f);
		tb_rec_reader_free(f->reader);
		free(f->name);
		free(f->path);
		free(f);
	}
	free(r->files);
	free(r->name);
	free(r->dir);
	free(r);
}

static int cmp_lfile(const void *a, const void *b)
{
	return strcmp((*(lfile *const *)a)->name, (*(lfile *const *)b)->name);
}

/* Merge a scanned run into the loader's state; new runs enter the store. */
static void merge_scanned(tb_loader *l, const tb_scan_run *sr, const char *name)
{
	lrun *r = find_lrun(l, name);
	if (!r) {
		r = tb_xcalloc(1, sizeof *r);
		r->name = tb_xstrdup(name);
		r->dir = tb_xstrdup(sr->dir);
		r->run = tb_store_add_run(l->store, name);
		l->runs = tb_xgrow(l->runs, &l->runs_alloc, l->n_runs + 1, sizeof *l->runs);
		l->runs[l->n_runs++] = r;
	}
	r->present = 1;
	int added = 0;
	for (size_t i = 0; i < sr->n_files; i++) {
		int known = 0;
		for (size_t j = 0; j < r->n_files && !known; j++)
			known = strcmp(r->files[j]->name, sr->files[i]) == 0;
		if (known)
			continue;
		r->files = tb_xgrow(r->files, &r->files_alloc, r->n_files + 1, sizeof *r->files);
		lfile *f = tb_xcalloc(1, sizeof *f);
		f->name = tb_xstrdup(sr->files[i]);
		f->path = tb_xasprintf("%s/%s", sr->dir, sr->files[i]);
		r->files[r->n_files++] = f;
		added = 1;
	}
	if (added)
		qsort(r->files, r->n_files, sizeof *r->files, cmp_lfile);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int in_list(char *const *v, size_t n, const char *s)
{
	return n && bsearch(&s, v, n, sizeof *v, cmp_str) != NULL;
}

/* Warn about folders that became unreadable, once, and say when they are
 * readable again; keep the new list. */
static void note_failures(tb_loader *l, tb_scan_failure *v, size_t n)
{
	char **now = tb_xcalloc(n ? n : 1, sizeof *now);
	for (size_t i = 0; i < n; i++)
		now[i] = tb_xstrdup(v[i].path);
	qsort(now, n, sizeof *now, cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (in_list(l->failed, l->n_failed, v[i].path))
			continue;
		/* msg names the path where it comes from the fs layer */
		const char *sep = strstr(v[i].msg, v[i].path) ? "" : ": ";
		const char *path = *sep ? v[i].path : "";
		if (v[i].transient)
			tb_log_info("%s%s%s; runs below it are kept and it is retried", path, sep,
				    v[i].msg);
		else
			tb_log_warn("%s%s%s; runs below it are kept", path, sep, v[i].msg);
	}
	for (size_t i = 0; i < l->n_failed; i++) {
		if (!in_list(now, n, l->failed[i]))
			tb_log_info("%s: readable again", l->failed[i]);
		free(l->failed[i]);
	}
	free(l->failed);
	l->failed = now;
	l->n_failed = n;
}

/* Nonzero when dir is, or is below, a folder the last scan could not read:
 * its runs cannot be judged gone. */
static int below_failure(const tb_loader *l, const char *dir)
{
	for (size_t i = 0; i < l->n_failed; i++) {
		size_t k = strlen(l->failed[i]);
		if (strncmp(dir, l->failed[i], k) == 0 && (dir[k] == '\0' || dir[k] == '/'))
			return 1;
	}
	return 0;
}

static void discover(tb_loader *l)
{
	for (size_t i = 0; i < l->n_runs; i++)
		l->runs[i]->present = 0;
	tb_scan_failure *failed = NULL;
	size_t n_failed = 0, failed_alloc = 0;
	tb_store_asset *assets = NULL;
	size_t n_assets = 0, assets_alloc = 0;
	for (size_t s = 0; s < l->n_sources; s++) {
		tb_scan_result res;
		tb_scan(&res, l->sources[s].path);
		for (size_t i = 0; i < res.n_dirs; i++)
			tb_watch_add(l->watch, res.dirs[i]);
		const char *prefix = l->sources[s].name;
		for (size_t i = 0; i < res.n_runs; i++) {
			const char *rel = res.runs[i].name;
			char *name = prefix ? tb_xasprintf("%s/%s", prefix, rel) : tb_xstrdup(rel);
			merge_scanned(l, &res.runs[i], name);
			free(name);
		}
		/* failures and assets move into the cycle's lists */
		if (res.n_failed) {
			failed = tb_xgrow(failed, &failed_alloc, n_failed + res.n_failed,
					  sizeof *failed);
			memcpy(failed + n_failed, res.failed, res.n_failed * sizeof *failed);
			n_failed += res.n_failed;
			res.n_failed = 0;
		}
		assets = tb_xgrow(assets, &assets_alloc, n_assets + res.n_assets, sizeof *assets);
		for (size_t i = 0; i < res.n_assets; i++) {
			tb_store_asset *a = &res.assets[i];
			if (prefix) {
				char *run = tb_xasprintf("%s/%s", prefix, a->run);
				free(a->run);
				a->run = run;
			}
			assets[n_assets++] = *a;
		}
		res.n_assets = 0;
		tb_scan_result_release(&res);
	}
	note_failures(l, failed, n_failed);
	for (size_t i = 0; i < n_failed; i++) {
		free(failed[i].path);
		free(failed[i].msg);
	}
	free(failed);
	tb_store_set_assets(l->store, assets, n_assets);
	tb_store_assets_free(assets, n_assets);

	/* Runs whose event files are all gone leave the store (LOADING.md 3.4);
	 * a run below a folder that could not be read stays. */
	size_t kept = 0;
	for (size_t i = 0; i < l->n_runs; i++) {
		lrun *r = l->runs[i];
		if (r->present || below_failure(l, r->dir)) {
			l->runs[kept++] = r;
		} else {
			tb_log_info("run %s: no event files any more; removed", r->name);
			tb_store_remove_run(l->store, r->run);
			lrun_free(l, r);
		}
	}
	l->n_runs = kept;
}

/* Enter the failing state (warn once) and schedule a retry. */
static void file_failed(lfile *f, const char *msg, int transient)
{
	if (!f->failing) {
		if (transient)
			tb_log_info("%s; retrying", msg);
		else
			tb_log_warn("%s; retrying with back-off", msg);
	}
	f->failing = 1;
	f->backoff = f->backoff ? f->backoff * 2 : BACKOFF_MIN;
	if (f->backoff > BACKOFF_MAX)
		f->backoff = BACKOFF_MAX;
	f->retry_at = tb_now() + (transient ? BACKOFF_MIN : f->backoff);
}

static void file_ok(lfile *f)
{
	if (f->failing)
		tb_log_info("%s: readable again", f->path);
	f->failing = 0;
	f->backoff = 0;
	f->retry_at = 0;
}

static int64_t lfile_read(void *payload, void *buf, size_t n, uint64_t off)
{
	lfile *f = payload;
	return tb_fs_read(f->fh, buf, n, off);
}

static int64_t lfile_size(void *payload)
{
	lfile *f = payload;
	tb_fs_stat st;
	return tb_fs_fstat(&st, f->fh) ? -1 : (int64_t)st.size;
}

/* A batch of records read from one file, decoded outside the run lock.
 * The records are views into the reader's buffer, held until the next
 * batch (tb_rec_reader_hold). */
typedef struct batch {
	struct brec {
		tb_slice rec;
		uint64_t file_off;
	} *recs;
	tb_event *evs;
	int *ok;
	size_t n, alloc, evs_alloc, ok_alloc;
	tb_compat_defer defer; /* tensors decoded only if still kept at commit end */
	long faults;	       /* the thread's page faults after it last warmed */
	size_t ahead;	       /* bytes it warms at a time (heap_check) */
	size_t unchecked;      /* records since it last looked at them */
} batch;

static void batch_free(batch *b)
{
	free(b->recs);
	free(b->evs);
	free(b->ok);
	tb_compat_defer_free(&b->defer);
}

/* Read up to one batch from f's reader. Returns 1 when the file may have
 * more right now, 0 when it is read to its end (or failed). */
static int read_batch(tb_loader *l, lfile *f, batch *b, int *failed)
{
	b->n = 0;
	tb_rec_reader_hold(f->reader, 1); /* releases the previous batch */
	while (b->n < BATCH) {
		tb_slice rec;
		int rc = tb_rec_reader_next(&rec, f->reader);
		if (rc == TB_EPARTIAL) {
			if (tb_rec_reader_hold_full(f->reader))
				return 1; /* the buffer is full of this batch */
			if (tb_rec_reader_scanning(f->reader))
				__atomic_store_n(&l->more, 1, __ATOMIC_RELAXED);
			return 0;
		}
		if (rc == TB_EIO) {
			*failed = 1;
			return 0;
		}
		if (rc == TB_ECORRUPT) {
			__atomic_add_fetch(&l->damaged, 1, __ATOMIC_RELAXED);
			tb_log_warn("%s: damaged record at byte %llu (%s); skipping to the next "
				    "intact record",
				    f->path,
				    (unsigned long long)tb_rec_reader_damage_offset(f->reader),
				    tb_rec_reader_damage_reason(f->reader));
			continue;
		}
		b->recs = tb_xgrow(b->recs, &b->alloc, b->n + 1, sizeof *b->recs);
		b->recs[b->n++] = (struct brec){rec, tb_rec_reader_record_offset(f->reader)};
	}
	return 1;
}

/* Decode the batch's events (no lock held). */
static void decode_batch(tb_loader *l, lfile *f, batch *b)
{
	b->evs = tb_xgrow(b->evs, &b->evs_alloc, b->n ? b->n : 1, sizeof *b->evs);
	b->ok = tb_xgrow(b->ok, &b->ok_alloc, b->n ? b->n : 1, sizeof *b->ok);
	for (size_t i = 0; i < b->n; i++) {
		b->ok[i] = tb_event_decode(&b->evs[i], b->recs[i].rec) == 0;
		if (!b->ok[i]) {
			__atomic_add_fetch(&l->damaged, 1, __ATOMIC_RELAXED);
			tb_log_warn("%s: record at byte %llu is not a valid event; skipped",
				    f->path, (unsigned long long)b->recs[i].file_off);
		} else if (!isfinite(b->evs[i].wall_time)) {
			b->ok[i] = 0; /* cannot be placed in time (LOADING.md 6.2) */
		}
	}
}

/* Commit the decoded batch under the run's write lock. Tensor values are
 * decoded at the end, only those the reservoirs still keep; `more`: the
 * file's next batch follows (tb_compat_settle). */
static void commit_batch(tb_loader *l, lrun *r, lfile *f, batch *b, int more)
{
	tb_run_wrlock(r->run);
	for (size_t i = 0; i < b->n; i++) {
		if (b->ok[i] && tb_compat_add_event_deferred(l->store, r->run, &b->evs[i], &f->prev,
							     &b->defer) < 0) {
			__atomic_add_fetch(&l->damaged, 1, __ATOMIC_RELAXED);
			tb_log_warn("%s: event at byte %llu is partly malformed; kept what "
				    "could be read",
				    f->path, (unsigned long long)b->recs[i].file_off);
		}
	}
	size_t bad = tb_compat_settle(&b->defer, more);
	tb_run_unlock(r->run);
	if (bad) {
		__atomic_add_fetch(&l->damaged, bad, __ATOMIC_RELAXED);
		tb_log_warn("%s: %zu tensor values could not be decoded; skipped", f->path, bad);
	}
	__atomic_add_fetch(&l->records, b->n, __ATOMIC_RELAXED);
	if (b->n)
		tb_store_touch(l->store); /* clients poll this to learn of new data */
}

/* A loader thread keeps part of its heap faulted in ahead of what it
 * allocates (tb_heap_warm), so that one call stands for the faults of many
 * pages. It looks at its page faults every WARM_CHECK records and as it
 * starts a new file (getrusage: a system call, so not after every batch).
 * WARM_AFTER faults or more since it last warmed mean the heap grew past
 * what was ready: what it keeps ahead grows by as much (from WARM_BYTES up
 * to WARM_MAX) and is faulted in at once. A new file is also warmed for
 * before it is read, since filling a run's reservoirs grows the heap most
 * at its start. A load that keeps much of what it reads then takes a call
 * and a few dozen faults per MiB kept instead of a fault per page; one
 * that keeps little seldom warms, and the most a thread holds unused is
 * WARM_MAX. */
#define WARM_CHECK 16384
#define WARM_AFTER 8
#define WARM_BYTES (512u << 10)
#define WARM_MAX (2u << 20)

static void heap_check(batch *b, int new_file)
{
	struct rusage ru;
	if (getrusage(RUSAGE_THREAD, &ru))
		return;
	long grew = ru.ru_minflt - b->faults;
	if (grew >= WARM_AFTER) {
		size_t more = (size_t)grew * (size_t)sysconf(_SC_PAGESIZE);
		size_t ahead = b->ahead < WARM_BYTES ? WARM_BYTES : b->ahead + more;
		b->ahead = ahead > WARM_MAX ? WARM_MAX : ahead;
	} else if (!new_file || !b->ahead) {
		return;
	}
	tb_heap_warm(b->ahead);
	if (getrusage(RUSAGE_THREAD, &ru) == 0) /* the warming counts as faults too */
		b->faults = ru.ru_minflt;
}

static void keep_heap_ahead(batch *b)
{
	b->unchecked += b->n;
	if (b->unchecked < WARM_CHECK)
		return;
	b->unchecked = 0;
	heap_check(b, 0);
}

/* Read everything new in one file (up to the scan budget of a damaged
 * one). Opens the file only when it has something new. */
static void read_file(tb_loader *l, lrun *r, lfile *f, batch *b)
{
	if (f->retry_at && tb_now() < f->retry_at)
		return;
	tb_fs_stat st;
	int rc = tb_fs_stat_path(&st, f->path);
	if (rc == TB_ENOTFOUND) {
		pool_close(&l->pool, f); /* gone: keep what was read */
		return;
	}
	if (rc) {
		if (below_failure(l, r->dir)) /* said once for the folder */
			f->failing = 1;
		file_failed(f, tb_fs_errmsg(), tb_fs_transient());
		return;
	}
	if (f->reader) {
		uint64_t off = tb_rec_reader_offset(f->reader);
		if (st.id != f->id || st.size < off) {
			tb_log_info("%s was %s; reading it again from the start", f->path,
				    st.id != f->id ? "replaced" : "truncated");
			pool_close(&l->pool, f);
			tb_rec_reader_rewind(f->reader);
		} else if (st.size == off && !tb_rec_reader_scanning(f->reader)) {
			pool_close(&l->pool, f); /* idle for a pass: give the slot back */
			file_ok(f);
			return;
		}
	}
	rc = pool_acquire(&l->pool, f);
	if (rc == TB_ENOTFOUND)
		return;
	if (rc == 1) {
		__atomic_store_n(&l->more, 1, __ATOMIC_RELAXED);
		return;
	}
	if (rc) {
		file_failed(f, tb_fs_errmsg(), tb_fs_transient());
		return;
	}
	tb_fs_stat fst;
	if (tb_fs_fstat(&fst, f->fh) == 0)
		st = fst;
	if (!f->reader) {
		heap_check(b, 1);
		f->reader = tb_rec_reader_new(f->path);
		tb_rec_reader_set_scan_budget(f->reader, SCAN_BUDGET);
	} else if (st.id != f->id) {
		tb_rec_reader_rewind(f->reader); /* replaced between stat and open */
	}
	f->id = st.id;
	size_t cap;
	uint8_t *buf = pool_get_buf(&l->pool, &cap);
	tb_rec_io io = {lfile_read, lfile_size, f};
	tb_rec_reader_attach(f->reader, &io, buf, cap);
	uint64_t start = tb_rec_reader_offset(f->reader);
	int failed = 0, more = 1;
	while (more) {
		more = read_batch(l, f, b, &failed);
		decode_batch(l, f, b);
		commit_batch(l, r, f, b, more);
		keep_heap_ahead(b);
	}
	uint64_t end = tb_rec_reader_offset(f->reader);
	tb_rec_reader_hold(f->reader, 0);
	tb_rec_reader_detach(f->reader, &buf, &cap);
	pool_put_buf(&l->pool, buf, cap);
	pool_release(&l->pool, f);
	__atomic_add_fetch(&l->bytes, end > start ? end - start : 0, __ATOMIC_RELAXED);
	if (failed)
		file_failed(f, tb_fs_errmsg(), tb_fs_transient());
	else
		file_ok(f);
}

static void *worker(void *arg)
{
	tb_loader *l = arg;
	batch b;
	memset(&b, 0, sizeof b);
	for (;;) {
		size_t i = __atomic_fetch_add(&l->next_job, 1, __ATOMIC_RELAXED);
		if (i >= l->n_runs)
			break;
		lrun *r = l->runs[i];
		for (size_t j = 0; j < r->n_files; j++)
			read_file(l, r, r->files[j], &b);
	}
	batch_free(&b);
	return NULL;
}

/* One read pass over every run, in parallel. */
static void read_pass(tb_loader *l)
{
	__atomic_store_n(&l->more, 0, __ATOMIC_RELAXED);
	pool_count_others(&l->pool);
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
}

void tb_loader_cycle(tb_loader *l)
{
	discover(l);
	read_pass(l);
	/* loading once: finish what the per-pass budgets left over */
	while (l->reload_interval <= 0 && __atomic_load_n(&l->more, __ATOMIC_RELAXED))
		read_pass(l);
	__atomic_add_fetch(&l->cycles, 1, __ATOMIC_RELEASE);
}

/* Wait for the next cycle: a change seen by the watcher, the reload
 * interval, or stop. Returns nonzero to stop. */
static int wait_next(tb_loader *l)
{
	if (__atomic_load_n(&l->more, __ATOMIC_RELAXED)) {
		/* unfinished work (a resync scan, a busy pool): go on, briefly
		 * yielding the cores to requests */
		usleep(2000);
		pthread_mutex_lock(&l->mu);
		int stop = l->stop;
		pthread_mutex_unlock(&l->mu);
		return stop;
	}
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
	fpool *p = (fpool *)&l->pool;
	pthread_mutex_lock(&p->mu);
	out->open_files = p->open;
	out->open_files_peak = p->peak;
	out->open_files_limit = p->limit;
	pthread_mutex_unlock(&p->mu);
}

void tb_loader_free(tb_loader *l)
{
	if (!l)
		return;
	if (l->thread_started) {
		tb_sync_raise(&l->mu, &l->cond, &l->stop);
		tb_watch_wake(l->watch);
		pthread_join(l->thread, NULL);
	}
	tb_watch_free(l->watch);
	for (size_t i = 0; i < l->n_runs; i++)
		lrun_free(l, l->runs[i]);
	free(l->runs);
	for (size_t i = 0; i < l->n_failed; i++)
		free(l->failed[i]);
	free(l->failed);
	for (size_t i = 0; i < l->pool.n_bufs; i++)
		free(l->pool.bufs[i]);
	free(l->pool.bufs);
	pthread_mutex_destroy(&l->pool.mu);
	for (size_t i = 0; i < l->n_sources; i++) {
		free((char *)l->sources[i].name);
		free((char *)l->sources[i].path);
	}
	free(l->sources);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cond);
	free(l);
}

size_t tb_loader_split_spec(tb_loader_source **out, char *spec)
{
	size_t n = 0, alloc = 0;
	tb_loader_source *src = NULL;
	char *save = NULL;
	for (char *item = strtok_r(spec, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (!*item)
			continue;
		src = tb_xgrow(src, &alloc, n + 1, sizeof *src);
		char *colon = strchr(item, ':');
		int is_uri = colon && strncmp(colon, "://", 3) == 0; /* name:s3://... is named */
		int is_drive =
		    item[0] && item[1] == ':' && ((item[0] | 32) >= 'a' && (item[0] | 32) <= 'z');
		if (colon && item[0] != '/' && !is_uri && !is_drive) {
			*colon = 0;
			src[n].name = item;
			src[n].path = colon + 1;
		} else {
			src[n].name = NULL;
			src[n].path = item;
		}
		n++;
	}
	*out = src;
	return n;
}
