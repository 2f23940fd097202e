/* The profiler runs of a log directory: every folder holding a file named
 * `<worker>[.<timestamp>].pt.trace.json[.gz]`, or another profiler's
 * Chrome trace `plugins/profile/<stamp>/<host>.trace.json[.gz]` (as
 * TensorFlow and JAX write them; worker = host, span = stamp, only the
 * Trace view), is a run, named by its path relative to the log directory
 * (the log directory itself by its base name). The files are the
 * TB_ASSET_PROFILE_TRACE assets the loader's scan leaves in the store, so
 * a log directory in object storage has its profiles too; traces are read
 * through the file-system layer. A run's traces are parsed (trace.h) the
 * first time the run is asked for, all of them, and kept as small
 * summaries; after that the run is immutable and read without locks, as
 * the reference reads a run once.
 *
 * Per run: the profiles (one per worker and span: spans of a worker are
 * numbered 1.. in string order of their timestamps, a file without one is
 * span "default"), the views each offers, and, per span, whether the
 * workers' communication operators line up for the Distributed view
 * (worker "All").
 *
 * Thread-safe: the store and each run's first load take their own
 * mutexes; readers of a loaded run need none. */
#ifndef TB_PROF_PROFILES_H
#define TB_PROF_PROFILES_H

#include <pthread.h>
#include <stddef.h>

#include "store/store.h"
#include "trace.h"

/* Views in the reference's order (bit i of a view mask is view i). */
enum tb_prof_view {
	TB_PROF_OVERVIEW,
	TB_PROF_OPERATOR,
	TB_PROF_KERNEL,
	TB_PROF_TRACE,
	TB_PROF_DISTRIBUTED,
	TB_PROF_MEMORY,
	TB_PROF_MODULE,
	TB_PROF_N_VIEWS,
};

/* Display name of view v ("Overview", ...). */
const char *tb_prof_view_name(int v);

typedef struct tb_prof_profile {
	char *worker;
	char *span; /* "1", "2", ... or "default" */
	char *file; /* path inside the run folder (a file name for PyTorch) */
	char *path; /* full path */
	tb_prof_trace *trace;
	unsigned views; /* mask of enum tb_prof_view; 0 when the trace failed */
} tb_prof_profile;

typedef struct tb_prof_run {
	char *name;
	char *dir;
	pthread_mutex_t lock; /* guards loaded and the fields below during load */
	int loaded;
	tb_prof_profile *profiles; /* by worker, then span (strcmp) */
	size_t n_profiles;
	char **dist_spans; /* spans with a Distributed profile (worker "All") */
	size_t n_dist_spans;
} tb_prof_run;

typedef struct tb_prof_store tb_prof_store;

/* A store of the runs whose traces are among the assets of `store` (NULL:
 * no runs; borrowed, must outlive s); the run at the top of the log
 * directory is named by the base name of `logdir` ("." when NULL).
 * Nothing is read until asked. */
tb_prof_store *tb_prof_store_new(tb_store *store, const char *logdir);
void tb_prof_store_free(tb_prof_store *s);

/* Take the run folders from the store's current asset list (a copy of a
 * list, no file-system access); runs once found stay. */
void tb_prof_store_scan(tb_prof_store *s);

/* Names of the runs found so far, sorted; *out is a NULL-terminated array
 * the caller frees with tb_prof_names_free. Returns the count. */
size_t tb_prof_store_names(char ***out, tb_prof_store *s);
void tb_prof_names_free(char **names);

/* The run named `name`, parsed on first use (which logs one warning per
 * trace that could not be used), or NULL. Borrowed; lives as long as s. */
tb_prof_run *tb_prof_store_run(tb_prof_store *s, const char *name);

/* Union of the views of the run's profiles (mask). */
unsigned tb_prof_run_views(const tb_prof_run *r);

/* The profile of worker and span whose trace was usable, or NULL (also
 * for another profiler's trace: see tb_prof_run_chrome). */
const tb_prof_profile *tb_prof_run_profile(const tb_prof_run *r, const char *worker,
					   const char *span);

/* Whether worker and span name another profiler's Chrome trace, which
 * has the Trace view only. */
int tb_prof_run_chrome(const tb_prof_run *r, const char *worker, const char *span);

/* Whether span has a Distributed profile. */
int tb_prof_run_has_dist(const tb_prof_run *r, const char *span);

/* The worker and span-timestamp parts of a trace file name, or -1 when
 * the name is not a trace's. *worker and *stamp (NULL when absent) are
 * the caller's to free. */
int tb_prof_split_name(char **worker, char **stamp, const char *file);

#endif
